"""Accounts and sign-in: who is asking.

Passwords are hashed with argon2id (argon2-cffi's RFC 9106 low-memory profile)
and never stored, printed or logged in clear. Sign-in counts failures: after
:data:`MAX_FAILURES` wrong passwords in a row an account is locked, for 1 minute
the first time in a day and twice as long each further time, at most
:data:`LOCK_MINUTES` minutes; an address that keeps failing waits longer and longer
between attempts (:mod:`analytics.access._delays`). Every refusal raises
:class:`~analytics.errors.AuthenticationError` with one and the same message,
whether the account exists, is locked, disabled or the password is wrong; the
audit log (for admins) records which it was.

Failures are counted and accounts locked in one database statement per attempt, a
lock is checked again after the password check (a right password that arrives while
other attempts lock the account is refused), and at most :data:`CHECKS_PER_ACCOUNT`
password checks run at once for one username and :data:`CHECKS_IN_FLIGHT` in the
whole process, so a burst of sign-ins neither outruns the lockout nor takes
argon2's 64 MiB per check many times over. A password longer than
:data:`MAX_PASSWORD_LENGTH` is refused before it is hashed.

A signed-in user carries a session token: an itsdangerous signature over the
user id, a sign-in session id (revoked by a sign-out) and a stamp of the
password hash (so a password change ends every older session), timed so that a
token not renewed for :data:`IDLE_MINUTES` minutes is refused. The signing key
is ``$PAINDIARY_SECRET_KEY`` or a random key kept in ``<data dir>/secret_key``
(created with mode 0600).

Every function that depends on the time takes ``clock``, a callable returning
the current UTC time (naive), so tests can move time forward.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import hmac
import json
import os
import secrets
import stat
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from analytics.access._delays import (
    FIRST_LOCK_MINUTES,
    LOCK_MEMORY_HOURS,
    LOCK_MINUTES,
    AddressDelays,
    CheckGate,
    lock_minutes,
)
from analytics.access._passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, check_password
from analytics.errors import AuthenticationError, StoreError
from analytics.safe_text import hidden_characters

if TYPE_CHECKING:  # pragma: no cover
    from analytics.store import Store

__all__ = [
    "Role",
    "ROLES",
    "User",
    "LOCAL_OPERATOR",
    "MAX_FAILURES",
    "LOCK_MINUTES",
    "IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "MIN_PASSWORD_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "CHECKS_PER_ACCOUNT",
    "CHECKS_IN_FLIGHT",
    "SIGN_IN_REFUSED",
    "sign_ins_waiting",
    "Clock",
    "hash_password",
    "verify_password",
    "check_password",
    "authenticate",
    "user_for_sso",
    "issue_token",
    "read_token",
    "renew_token",
    "revoke_token",
    "secret_key",
    "demo_password",
    "is_demo",
    "demo_key_id",
    "demo_accounts",
    "user_from_record",
]

Role = Literal["patient", "clinician", "admin"]
#: The roles, least to most privileged.
ROLES: tuple[Role, ...] = ("patient", "clinician", "admin")
#: Wrong passwords in a row that lock an account (for 1 minute, longer after further locks).
MAX_FAILURES = 5
#: A session token not renewed for this many minutes is refused (automatic logoff).
IDLE_MINUTES = 30
#: A sign-in session ends after this many hours even when active.
SESSION_MAX_HOURS = 12
#: Password checks running at once for one username; later attempts wait their turn.
CHECKS_PER_ACCOUNT = 2
#: Password checks running at once in the whole process (argon2 takes 64 MiB each).
CHECKS_IN_FLIGHT = 4
#: The one message of every refused sign-in: it never says whether the account exists.
SIGN_IN_REFUSED = (
    "Sign-in refused: the username or password is wrong, or the account is locked or "
    f"disabled. After {MAX_FAILURES} wrong passwords an account is locked for "
    f"{FIRST_LOCK_MINUTES} minute, longer after each further lock (at most {LOCK_MINUTES} "
    "minutes), and a device that keeps getting it wrong waits longer between tries; an "
    "administrator can unlock an account sooner or set a new password."
)
_SESSION_ENDED = (
    "Your session has ended (signed out, {idle} minutes without activity, or the password "
    "was changed). Please sign in again."
)
_SALT = "paindiary.session.v1"

#: A callable returning the current UTC time as a naive datetime.
Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class User:
    """A signed-in person (or the local operator of the command line).

    Attributes
    ----------
    user_id : int
        The account's id (0 for :data:`LOCAL_OPERATOR`, negative for share links).
    username : str
    role : {"patient", "clinician", "admin"}
    patient_id : str or None
        The patient of a patient account (exactly one); None for other roles.
    display_name : str
    must_change_password : bool
        The password was set by an administrator: until the person chooses their own,
        the service refuses everything else.
    """

    user_id: int
    username: str
    role: Role
    patient_id: str | None
    display_name: str = ""
    must_change_password: bool = False


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"


#: The command line's identity when no ``--user`` is given. Whoever can run the
#: CLI on the server can read the database file anyway (docs/security.md).
LOCAL_OPERATOR = User(0, f"local:{_os_user()}", "admin", None, "local operator")


def user_from_record(record: dict[str, Any]) -> User:
    """Build the :class:`User` of a stored account record (see ``Store.user_record``)."""
    return User(
        user_id=int(record["id"]),
        username=str(record["username"]),
        role=record["role"],
        patient_id=record["patient_id"],
        display_name=str(record.get("display_name") or ""),
        must_change_password=bool(record.get("must_change_password", False)),
    )


# --------------------------------------------------------------------------- passwords


def _hasher() -> Any:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(type=Type.ID)  # RFC 9106 low-memory profile: t=3, m=64 MiB, p=4


def hash_password(password: str, *, username: str | None = None) -> str:
    """Hash an acceptable password with argon2id (PHC string, ``$argon2id$v=19$...``).

    The password is checked by :func:`check_password` (``username`` is the account's)
    and hashed in its NFKC form.
    """
    text = check_password(password, username=username, func="hash_password")
    return str(_hasher().hash(text))


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether ``password`` matches ``password_hash`` (constant-time, argon2 verify).

    The password is compared in its NFKC form, as :func:`hash_password` stores it; a
    hash made before passwords were normalised also matches the password as typed.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    text = unicodedata.normalize("NFKC", password)
    for candidate in (text, password) if text != password else (text,):
        try:
            if _hasher().verify(password_hash, candidate):
                return True
        except InvalidHashError:
            # No usable password (an account waiting for its first sign-in): spend
            # the time of a real check, so a refusal does not tell such accounts apart.
            verify_password(_dummy_hash(), password)
            return False
        except VerificationError:
            continue
    return False


# A hash of a random password, verified for unknown usernames so that a refusal
# takes as long whether or not the account exists.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = str(_hasher().hash(secrets.token_urlsafe(16)))
    return _DUMMY_HASH


# --------------------------------------------------------------------------- sign-in


def _audit_name(username: Any) -> str:
    # every character outside printable ASCII as an escape: a Cyrillic "\u0430dmin" never
    # reads as "admin" in the log (no account has such a name: usernames are ASCII)
    text = username if isinstance(username, str) else repr(username)
    text = "".join(ch if ch.isascii() and ch.isprintable() else _escaped(ch) for ch in text)
    return text[:64] or "(empty)"


def _escaped(ch: str) -> str:
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


def _lookalike_hint(username: Any) -> str:
    """Name the characters of a username a reader would take for others (or "")."""
    found = hidden_characters(username) if isinstance(username, str) else []
    if not found:
        return ""
    return (
        f" The username holds {'; '.join(found[:5])}: usernames are written with the letters "
        "a to z, digits, dots, dashes and underscores."
    )


_GATE = CheckGate(CHECKS_PER_ACCOUNT, CHECKS_IN_FLIGHT)


#: The failed sign-ins of each source address in this process.
_ADDRESSES = AddressDelays()


def sign_ins_waiting(username: str) -> int:
    """Count sign-in attempts for ``username`` in this process, checked or waiting their turn."""
    return _GATE.waiting(_audit_name(username))


def authenticate(
    store: Store,
    username: str,
    password: str,
    *,
    face: str = "dashboard:login",
    clock: Clock | None = None,
    source: str | None = None,
) -> User:
    """Check a username and password; return the :class:`User` or raise.

    Records "login" (ok), or "login_failed" (outcome "failed", with the reason
    for admins) and, when this failure locks the account, "lockout".
    ``source``: the address the attempt comes from (:func:`source_address`); an
    address that keeps failing waits longer and longer between attempts (refused
    before any password check meanwhile). None (the command line) for no address rule.

    Raises
    ------
    AuthenticationError
        Always with :data:`SIGN_IN_REFUSED`: unknown user, wrong password, locked
        or disabled account.
    """
    now = (clock or _utcnow)()
    given = password if isinstance(password, str) else ""

    def refuse(reason: str, role: str = "", *, counted: bool = True) -> AuthenticationError:
        _ADDRESSES.failed(source if counted else None, now)
        hint = _lookalike_hint(username)
        store.record_audit(
            _audit_name(username), "login_failed", role=role, face=face, outcome="failed",
            detail={k: v for k, v in (("reason", reason), ("address", source),
                                      ("look_alikes", hint.strip())) if v},
        )  # fmt: skip
        return AuthenticationError(SIGN_IN_REFUSED + hint)

    early = _refused_before_hashing(given, source, now)
    if early is not None:
        raise refuse(early[0], counted=early[1])
    with _GATE.turn(_audit_name(username)):
        # made by a process's first sign-in whatever name it gives: were it made only for
        # an unknown one, that first refusal would take twice as long as a known name's
        dummy = _dummy_hash()
        record = store.user_record(username) if isinstance(username, str) else None
        if record is None:
            verify_password(dummy, given)
            raise refuse("unknown user")
        role = str(record["role"])
        ok = verify_password(record["password_hash"], given)  # also when locked: same timing
        if record["locked_until"] is not None and record["locked_until"] > now:
            raise refuse(f"locked until {record['locked_until']:%Y-%m-%d %H:%M} UTC", role)
        if record["disabled"]:
            raise refuse("disabled", role)
        if not ok:
            raise _count_failure(store, record, face, now, refuse)
        if _demo_password_outside_the_demo(store, record):  # a clinic's database
            raise refuse("a demo account's demo password outside the demo", role)
        if not store.record_login_success(int(record["id"]), now=(clock or _utcnow)()):
            raise refuse("locked or disabled while the password was checked", role)
    if _hasher().check_needs_rehash(record["password_hash"]):
        name = str(record["username"])
        store.set_password_hash(
            name, name, str(_hasher().hash(unicodedata.normalize("NFKC", given))), changed=False
        )
    _ADDRESSES.succeeded(source)
    store.record_audit(str(record["username"]), "login", role=role, face=face)
    return user_from_record(record)


def _refused_before_hashing(
    given: str, source: str | None, now: dt.datetime
) -> tuple[str, bool] | None:
    """Return why an attempt is refused before any password check (and whether it counts).

    An address inside its wait is refused without counting another failure against it;
    a password over :data:`MAX_PASSWORD_LENGTH` characters is never hashed (no account
    has one) and counts as a failure of its address.
    """
    until = _ADDRESSES.wait_until(source, now)
    if until is not None:
        return f"this address waits until {until:%H:%M:%S} UTC", False
    if len(given) > MAX_PASSWORD_LENGTH:
        return f"password over {MAX_PASSWORD_LENGTH} characters", True
    return None


def _demo_password_outside_the_demo(store: Store, record: dict[str, Any]) -> bool:
    """Tell whether ``record`` is a demo account, demo password unchanged, outside the demo."""
    if is_demo(store) or record["password_changed_at"] != record["created_at"]:
        return False
    return record["username"] in _demo_account_names(store)


def _count_failure(
    store: Store,
    record: dict[str, Any],
    face: str,
    now: dt.datetime,
    refuse: Callable[[str, str], AuthenticationError],
) -> AuthenticationError:
    """Count a wrong password (locking the account at the limit); return the refusal."""
    role = str(record["role"])
    name = str(record["username"])
    recent_locks = store.audit_log(
        name, username=name, action="lockout", since=now - dt.timedelta(hours=LOCK_MEMORY_HOURS)
    )
    minutes = lock_minutes(len(recent_locks))
    state = store.record_login_failure(
        int(record["id"]),
        now=now,
        max_failures=MAX_FAILURES,
        lock_for=dt.timedelta(minutes=minutes),
    )
    error = refuse(f"wrong password ({state['failed_count']} in a row)", role)
    if state["locked_until"] is not None:
        store.record_audit(
            name, "lockout", role=role, face=face, outcome="ok",
            detail={"locked_until": state["locked_until"].isoformat(), "minutes": minutes},
        )  # fmt: skip
    return error


def user_for_sso(
    store: Store, username: str, *, face: str = "dashboard:sso", clock: Clock | None = None
) -> User:
    """Return the account of a user signed in by single sign-on (the provider checked the password).

    The role and patient come from the user table. Records "login" (method "sso").

    Raises
    ------
    AuthenticationError
        No such account, or it is disabled or locked.
    """
    now = (clock or _utcnow)()
    record = store.user_record(username) if isinstance(username, str) else None
    reason = None
    if record is None:
        reason = "unknown user"
    elif record["disabled"]:
        reason = "disabled"
    elif record["locked_until"] is not None and record["locked_until"] > now:
        reason = "locked"
    if reason is not None or record is None:
        store.record_audit(
            _audit_name(username), "login_failed", role=record["role"] if record else "",
            face=face, outcome="failed", detail={"reason": reason, "method": "sso"},
        )  # fmt: skip
        raise AuthenticationError(
            "Single sign-on worked, but this account may not use paindiary (unknown or "
            "disabled here). Ask an administrator."
        )
    store.record_audit(
        str(record["username"]), "login", role=str(record["role"]), face=face,
        detail={"method": "sso"},
    )  # fmt: skip
    return user_from_record(record)


# --------------------------------------------------------------------------- tokens


def secret_key() -> bytes:
    """Return the key that signs session tokens.

    ``$PAINDIARY_SECRET_KEY`` (at least 32 characters) when set, else the key in
    ``<data dir>/secret_key``, created once with 32 random bytes and mode 0600.

    Raises
    ------
    StoreError
        The environment key is too short, or the key file is readable by others
        or cannot be read or created.
    """
    env = os.environ.get("PAINDIARY_SECRET_KEY")
    if env is not None:
        if len(env) < 32:
            raise StoreError(
                "PAINDIARY_SECRET_KEY must have at least 32 characters (e.g. the output of "
                "'python -c \"import secrets; print(secrets.token_hex(32))\"')."
            )
        return env.encode()
    from analytics.store import data_dir

    path = data_dir() / "secret_key"
    if not path.exists():
        _create_key(path)
    return _read_key(path)


def _create_key(path: Path) -> None:
    """Write a new random key to ``path`` atomically (0600; a concurrent creator wins)."""
    tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # fails when another process created the key first
        except FileExistsError:
            pass
    except OSError as exc:
        raise StoreError(f"Cannot create the secret key file {path}: {exc.strerror}.") from None
    finally:
        tmp.unlink(missing_ok=True)


def _read_key(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise StoreError(
                f"The secret key file {path} can be read by other users (mode "
                f"{stat.S_IMODE(mode):o}); run 'chmod 600 {path}'. Sessions are refused until then."
            )
        key = path.read_text().strip()
    except OSError as exc:
        raise StoreError(f"Cannot read the secret key file {path}: {exc.strerror}.") from None
    if len(key) < 32:
        raise StoreError(
            f"The secret key file {path} is damaged (too short); delete it to create a new one "
            "(every open session ends)."
        )
    return key.encode()


def _serializer(clock: Clock | None) -> Any:
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    now = clock or _utcnow

    class _Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now().replace(tzinfo=dt.UTC).timestamp())

    return URLSafeTimedSerializer(secret_key(), salt=_SALT, signer=_Signer)


def _stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _sign(user_id: int, session_id: str, stamp: str, clock: Clock | None) -> str:
    return str(_serializer(clock).dumps({"u": user_id, "s": session_id, "p": stamp}))


def issue_token(store: Store, user: User, *, clock: Clock | None = None) -> str:
    """Start a sign-in session for ``user`` and return its signed token."""
    record = store.user_record_by_id(user.user_id)
    if record is None or record["disabled"]:
        raise AuthenticationError(SIGN_IN_REFUSED)
    session_id = secrets.token_urlsafe(18)
    store.create_auth_session(session_id, user.user_id, (clock or _utcnow)())
    return _sign(user.user_id, session_id, _stamp(record["password_hash"]), clock)


def _payload(token: Any, clock: Clock | None, max_age: int | None) -> dict[str, Any]:
    from itsdangerous import BadData

    if not isinstance(token, str) or not token:
        raise AuthenticationError(_SESSION_ENDED.format(idle=IDLE_MINUTES))
    try:
        data = _serializer(clock).loads(token, max_age=max_age)
    except BadData:
        raise AuthenticationError(_SESSION_ENDED.format(idle=IDLE_MINUTES)) from None
    if not (isinstance(data, dict) and {"u", "s", "p"} <= data.keys()):
        raise AuthenticationError(_SESSION_ENDED.format(idle=IDLE_MINUTES))
    return data


def _check_session(
    store: Store, data: dict[str, Any], now: dt.datetime, idle: int
) -> dict[str, Any]:
    ended = AuthenticationError(_SESSION_ENDED.format(idle=idle))
    session = store.auth_session(str(data["s"]))
    if session is None or session["revoked_at"] is not None:
        raise ended
    if int(session["user_id"]) != int(data["u"]):
        raise ended
    if now - session["created_at"] > dt.timedelta(hours=SESSION_MAX_HOURS):
        raise ended
    record = store.user_record_by_id(int(data["u"]))
    if record is None or record["disabled"]:
        raise ended
    if not hmac.compare_digest(_stamp(record["password_hash"]), str(data["p"])):
        raise ended  # the password changed since the token was issued
    return record


def read_token(
    store: Store, token: str, *, max_idle_minutes: int = IDLE_MINUTES, clock: Clock | None = None
) -> User:
    """Check a session token and return the :class:`User` it belongs to.

    Raises
    ------
    AuthenticationError
        The token is forged or damaged, older than ``max_idle_minutes`` (idle
        expiry), its session was signed out or is older than
        :data:`SESSION_MAX_HOURS`, the account is disabled or gone, or the password
        changed since it was issued.
    """
    if not isinstance(max_idle_minutes, int) or max_idle_minutes < 1:
        raise ValueError(
            "The 'max_idle_minutes' parameter of read_token must be an int >= 1. "
            f"Got {max_idle_minutes!r} instead."
        )
    data = _payload(token, clock, max_idle_minutes * 60)
    record = _check_session(store, data, (clock or _utcnow)(), max_idle_minutes)
    return user_from_record(record)


def renew_token(
    store: Store, token: str, *, max_idle_minutes: int = IDLE_MINUTES, clock: Clock | None = None
) -> str:
    """Issue a fresh token of the same session (the idle clock restarts).

    Raises as :func:`read_token`.
    """
    read_token(store, token, max_idle_minutes=max_idle_minutes, clock=clock)
    data = _payload(token, clock, None)
    return _sign(int(data["u"]), str(data["s"]), str(data["p"]), clock)


def revoke_token(
    store: Store, token: str, *, face: str = "dashboard:logout", clock: Clock | None = None
) -> None:
    """Sign out: revoke the token's session (also when it is already idle) and record "logout".

    Raises
    ------
    AuthenticationError
        The token is forged or damaged.
    """
    data = _payload(token, clock, None)
    if store.revoke_auth_session(str(data["s"]), (clock or _utcnow)()):
        record = store.user_record_by_id(int(data["u"]))
        if record is not None:
            store.record_audit(
                str(record["username"]), "logout", role=str(record["role"]), face=face
            )


# --------------------------------------------------------------------------- demo


def demo_password(username: str) -> str:
    """Derive the password of a demo account from the secret key (it is never stored).

    Twelve characters from an alphabet without look-alikes, in three groups
    (e.g. ``"k7mq-2xhd-p9rt"``). The same database and key give the same passwords.
    """
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    digest = hmac.new(secret_key(), f"demo-account:{username}".encode(), hashlib.sha256).digest()
    chars = [alphabet[b % len(alphabet)] for b in digest[:12]]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 12, 4))


def demo_key_id() -> str:
    """Fingerprint the secret key without revealing it.

    The fingerprint tells whether the demo passwords stored as hashes were derived from
    the key in use.
    """
    return hashlib.sha256(b"paindiary demo key id:" + secret_key()).hexdigest()[:16]


def _demo_account_names(store: Store) -> list[str]:
    """Return the usernames ``paindiary init-demo`` created (none when the setting is damaged)."""
    try:
        return list(json.loads(store.get_setting("demo_accounts") or "[]"))
    except (ValueError, TypeError):
        return []


def is_demo(store: Store) -> bool:
    """Tell whether the database is the demo clinic (made by ``paindiary init-demo``)."""
    return store.get_setting("demo") == "true"


def demo_accounts(store: Store) -> list[dict[str, Any]] | None:
    """List the demo accounts with their passwords while the database is the demo, else None.

    Lists only the accounts ``paindiary init-demo`` created (setting
    ``demo_accounts``) whose password was never changed (so their demo password
    still works) and that are not disabled: dicts with ``username``, ``role``,
    ``patient_id`` and ``password``; admins, then clinicians, then patients.
    """
    if not is_demo(store):
        return None
    if store.get_setting("demo_key_id") not in (None, demo_key_id()):
        return []  # made with another key: the derived passwords would be wrong (re-run init-demo)
    names = _demo_account_names(store)
    users = store.users("demo-listing")
    users = users[
        users["username"].isin(list(names))
        & (users["password_changed_at"] == users["created_at"])
        & ~users["disabled"]
    ].copy()
    users["order"] = users["role"].map({"admin": 0, "clinician": 1, "patient": 2})
    users = users.sort_values(["order", "username"], kind="stable")
    return [
        {
            "username": str(row.username),
            "role": str(row.role),
            "patient_id": None if row.role != "patient" else str(row.patient_id),
            "password": demo_password(str(row.username)),
        }
        for row in users.itertuples(index=False)
    ]
