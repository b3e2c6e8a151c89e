"""Accounts and access: users, clinician assignments, sign-in sessions, share links, settings.

The store keeps what :mod:`analytics.access` and :mod:`analytics.service` decide
with: it never sees a password, only its argon2id hash, and it checks nothing
about who may do what (the service does). Callers pass the acting username as
``actor`` where a change is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from analytics.contract.schema import DATE_DTYPE
from analytics.errors import ConflictError, DataValidationError, NotFoundError, StoreError
from analytics.store import _models as models
from analytics.store._engine import StoreBase
from analytics.store._values import check_actor, check_text, utcnow

__all__ = ["Access", "USER_COLUMNS", "SHARE_LINK_COLUMNS", "USERNAME_MAX"]

#: Longest username.
USERNAME_MAX = 64
#: Columns of :meth:`Access.users`.
USER_COLUMNS = [
    "user_id",
    "username",
    "role",
    "patient_id",
    "display_name",
    "disabled",
    "failed_count",
    "locked_until",
    "password_changed_at",
    "created_at",
    "assigned_patients",
    "must_change_password",
    "last_sign_in",
]
#: Columns of :meth:`Access.share_links`.
SHARE_LINK_COLUMNS = [
    "link_id",
    "patient_id",
    "created_by",
    "created_at",
    "expires_at",
    "revoked_at",
]

_USER_FIELDS = [
    "id",
    "username",
    "role",
    "patient_id",
    "display_name",
    "password_hash",
    "disabled",
    "failed_count",
    "locked_until",
    "password_changed_at",
    "created_at",
    "must_change_password",
]


def _check_username(value: Any, func: str) -> str:
    if (
        isinstance(value, str)
        and 1 <= len(value) <= USERNAME_MAX
        and value == value.strip()
        and value.isprintable()
    ):
        return value
    raise ValueError(
        f"The 'username' parameter of {func} must be a str of 1 to {USERNAME_MAX} printable "
        f"characters without leading or trailing spaces. Got {value!r} instead."
    )


class Access(StoreBase):
    """Rows of ``users``, ``clinician_patients``, ``auth_sessions``, ``share_links``, ``settings``."""

    # -- users ----------------------------------------------------------------------

    def _user_where(self, conn: sa.Connection, clause: Any) -> dict[str, Any] | None:
        u = models.users
        row = conn.execute(sa.select(*(u.c[c] for c in _USER_FIELDS)).where(clause)).first()
        if row is None:
            return None
        record = dict(row._mapping)
        record["disabled"] = bool(record["disabled"])
        record["must_change_password"] = bool(record["must_change_password"])
        return record

    def user_record(self, username: str) -> dict[str, Any] | None:
        """Read the stored account ``username`` (with its password hash), or None.

        Keys: ``id``, ``username``, ``role``, ``patient_id``, ``display_name``,
        ``password_hash``, ``disabled``, ``failed_count``, ``locked_until``,
        ``password_changed_at``, ``created_at`` (times naive UTC),
        ``must_change_password`` (bool: the password was set by an administrator).
        """
        if not isinstance(username, str):
            return None
        with self._reading("read an account") as conn:
            return self._user_where(conn, models.users.c.username == username)

    def user_record_by_id(self, user_id: int) -> dict[str, Any] | None:
        """Read the stored account with id ``user_id`` (see :meth:`user_record`), or None."""
        with self._reading("read an account") as conn:
            return self._user_where(conn, models.users.c.id == int(user_id))

    def add_user(
        self,
        actor: str,
        *,
        username: str,
        role: str,
        password_hash: str,
        patient_id: str | None = None,
        display_name: str = "",
        must_change_password: bool = False,
    ) -> dict[str, Any]:
        """Create an account and return its record (see :meth:`user_record`).

        ``must_change_password`` marks a password its owner must replace at the next
        sign-in (one an administrator chose).

        Raises
        ------
        ConflictError
            The username is taken (nothing was written).
        DataValidationError
            A patient account names a patient that is not stored.
        ValueError
            Bad username, role, or a patient id where the role has none.
        """
        func = "Store.add_user"
        check_actor(actor, func)
        _check_username(username, func)
        if role not in models.ROLES:
            raise ValueError(
                f"The 'role' parameter of {func} must be a str among {list(models.ROLES)}. "
                f"Got {role!r} instead."
            )
        if (role == "patient") != (patient_id is not None):
            raise ValueError(
                f"The 'patient_id' parameter of {func} must be given for role 'patient' and only "
                f"for it. Got role {role!r} with patient_id {patient_id!r}."
            )
        check_text(password_hash, "password_hash", func)
        u = models.users

        def work(conn: sa.Connection) -> dict[str, Any]:
            if conn.execute(sa.select(u.c.id).where(u.c.username == username)).first():
                raise ConflictError(
                    f"An account named {username!r} already exists; nothing was written. "
                    "Choose another name."
                )
            if patient_id is not None:
                found = conn.execute(
                    sa.select(models.patients.c.patient_id).where(
                        models.patients.c.patient_id == patient_id
                    )
                ).first()
                if found is None:
                    raise DataValidationError(
                        f"Unknown patient {patient_id!r}: import or save the patient before "
                        "creating their account."
                    )
            now = utcnow()
            conn.execute(
                u.insert(),
                {
                    "username": username,
                    "role": role,
                    "patient_id": patient_id,
                    "display_name": display_name or "",
                    "password_hash": password_hash,
                    "disabled": False,
                    "failed_count": 0,
                    "locked_until": None,
                    "password_changed_at": now,
                    "created_at": now,
                    "must_change_password": bool(must_change_password),
                },
            )
            record = self._user_where(conn, u.c.username == username)
            if record is None:  # the insert went through, so only a faulty database gets here
                raise StoreError(
                    f"The account {username!r} could not be read back right after it was "
                    "written; nothing was saved. Check the database and try again."
                )
            return record

        return self._write(f"create the account {username!r}", work)

    def _update_user(
        self, username: str, what: str, values: Mapping[str, Any] | None = None, **kw: Any
    ) -> None:
        u = models.users

        def work(conn: sa.Connection) -> None:
            done = conn.execute(
                u.update().where(u.c.username == username).values({**(values or {}), **kw})
            )
            if done.rowcount == 0:
                raise NotFoundError(f"No account named {username!r}.")

        self._write(what, work)

    def set_password_hash(
        self,
        actor: str,
        username: str,
        password_hash: str,
        *,
        changed: bool = True,
        must_change: bool = False,
    ) -> None:
        """Replace an account's password hash and unlock it.

        Tokens carry a stamp of the hash, so every token issued before is refused.
        With ``changed=False`` (a re-hash of the same password with newer
        parameters) ``password_changed_at`` and ``must_change_password`` are kept;
        otherwise ``must_change_password`` becomes ``must_change`` (True for a
        password an administrator chose, False for the owner's own).
        """
        func = "Store.set_password_hash"
        check_actor(actor, func)
        check_text(password_hash, "password_hash", func)
        values: dict[str, Any] = {
            "password_hash": password_hash,
            "failed_count": 0,
            "locked_until": None,
        }
        if changed:
            values["password_changed_at"] = utcnow()
            values["must_change_password"] = bool(must_change)
        self._update_user(username, f"change the password of {username!r}", values)

    def set_disabled(self, actor: str, username: str, disabled: bool = True) -> None:
        """Disable (or enable again) an account. A disabled account cannot sign in.

        Raises
        ------
        NotFoundError
            No such account.
        """
        check_actor(actor, "Store.set_disabled")
        verb = "disable" if disabled else "enable"
        self._update_user(username, f"{verb} the account {username!r}", disabled=bool(disabled))

    def unlock(self, actor: str, username: str) -> dict[str, Any]:
        """Clear an account's lock and failed sign-in count; its password is kept.

        Returns
        -------
        dict
            ``failed_count`` and ``locked_until`` as they were before the unlock.

        Raises
        ------
        NotFoundError
            No such account.
        """
        check_actor(actor, "Store.unlock")
        u = models.users

        def work(conn: sa.Connection) -> dict[str, Any]:
            row = conn.execute(
                sa.select(u.c.failed_count, u.c.locked_until).where(u.c.username == username)
            ).first()
            if row is None:
                raise NotFoundError(f"No account named {username!r}.")
            conn.execute(
                u.update().where(u.c.username == username).values(failed_count=0, locked_until=None)
            )
            return {"failed_count": int(row.failed_count), "locked_until": row.locked_until}

        return self._write(f"unlock the account {username!r}", work)

    def record_login_failure(
        self, user_id: int, *, now: dt.datetime, max_failures: int, lock_for: dt.timedelta
    ) -> dict[str, Any]:
        """Count one failed sign-in; lock the account when ``max_failures`` is reached.

        The count and the lock change in one statement, so concurrent failures are all
        counted, and a failure never clears or shortens a lock another one set.

        Returns
        -------
        dict
            ``failed_count`` after the call and ``locked_until`` (None unless this
            failure locked the account).
        """
        u = models.users
        reached = u.c.failed_count + 1 >= max_failures
        until = now + lock_for

        def work(conn: sa.Connection) -> dict[str, Any]:
            conn.execute(
                u.update()
                .where(u.c.id == int(user_id))
                .values(
                    failed_count=sa.case((reached, 0), else_=u.c.failed_count + 1),
                    locked_until=sa.case((reached, until), else_=u.c.locked_until),
                )
            )
            count = int(
                conn.execute(sa.select(u.c.failed_count).where(u.c.id == int(user_id))).scalar_one()
            )
            # Only the failure that reached the limit sets the count back to 0.
            if count == 0:
                return {"failed_count": max_failures, "locked_until": until}
            return {"failed_count": count, "locked_until": None}

        return self._write("record a failed sign-in", work)

    def record_login_success(self, user_id: int, *, now: dt.datetime) -> bool:
        """Reset an account's failed sign-in count, unless it is locked or disabled by now.

        Returns
        -------
        bool
            True when the sign-in may go ahead; False when another attempt locked the
            account (or an administrator disabled it) while this password was checked.
        """
        u = models.users
        open_account = sa.and_(
            u.c.id == int(user_id),
            u.c.disabled.is_(False),
            sa.or_(u.c.locked_until.is_(None), u.c.locked_until <= now),
        )
        changed = self._write(
            "record a sign-in",
            lambda conn: (
                conn.execute(
                    u.update().where(open_account).values(failed_count=0, locked_until=None)
                ).rowcount
            ),
        )
        return bool(changed == 1)

    def users(self, actor: str) -> pd.DataFrame:
        """Every account, without password hashes.

        Returns
        -------
        pandas.DataFrame
            ``user_id`` (int64), ``username``, ``role``, ``patient_id`` (NaN unless
            a patient account), ``display_name``, ``disabled`` (bool),
            ``failed_count`` (int64), ``locked_until``, ``password_changed_at``,
            ``created_at`` (datetime64, UTC, NaT when none), ``assigned_patients``
            (int64: patients assigned to a clinician, else 0), ``must_change_password``
            (bool: the password was set by an administrator and is not changed yet),
            ``last_sign_in`` (datetime64, UTC: the newest sign-in session, NaT when
            none). Sorted by username.
        """
        check_actor(actor, "Store.users")
        u, cp, s = models.users, models.clinician_patients, models.auth_sessions
        n = (
            sa.select(sa.func.count())
            .where(cp.c.user_id == u.c.id)
            .scalar_subquery()
            .label("assigned_patients")
        )
        last = (
            sa.select(sa.func.max(s.c.created_at))
            .where(s.c.user_id == u.c.id)
            .scalar_subquery()
            .label("last_sign_in")
        )
        stmt = sa.select(
            u.c.id, u.c.username, u.c.role, u.c.patient_id, u.c.display_name, u.c.disabled,
            u.c.failed_count, u.c.locked_until, u.c.password_changed_at, u.c.created_at, n,
            u.c.must_change_password, last,
        ).order_by(u.c.username)  # fmt: skip
        with self._reading("read the accounts") as conn:
            rows = conn.execute(stmt).all()
        frame = pd.DataFrame.from_records(rows, columns=USER_COLUMNS)
        out = frame.astype(
            {
                "user_id": "int64",
                "username": "str",
                "role": "str",
                "patient_id": "str",
                "display_name": "str",
                "disabled": "bool",
                "failed_count": "int64",
                "assigned_patients": "int64",
                "must_change_password": "bool",
            }
        )
        for c in ("locked_until", "password_changed_at", "created_at", "last_sign_in"):
            out[c] = pd.to_datetime(frame[c]).astype(DATE_DTYPE)
        return out

    # -- clinician assignments --------------------------------------------------------

    def _clinician_id(self, conn: sa.Connection, clinician: str) -> int:
        u = models.users
        row = conn.execute(sa.select(u.c.id, u.c.role).where(u.c.username == clinician)).first()
        if row is None:
            raise NotFoundError(f"No account named {clinician!r}.")
        if row.role != "clinician":
            raise ValueError(
                f"{clinician!r} is a {row.role} account; only clinicians are assigned patients."
            )
        return int(row.id)

    def assign(self, actor: str, clinician: str, patient_ids: Sequence[str]) -> int:
        """Let clinician ``clinician`` see ``patient_ids``; returns how many were newly assigned.

        Raises
        ------
        NotFoundError
            No such account.
        DataValidationError
            Unknown patients (nothing was written).
        """
        func = "Store.assign"
        check_actor(actor, func)
        ids = sorted({str(p) for p in patient_ids})
        cp, p = models.clinician_patients, models.patients

        def work(conn: sa.Connection) -> int:
            uid = self._clinician_id(conn, clinician)
            known = set(
                conn.execute(sa.select(p.c.patient_id).where(p.c.patient_id.in_(ids))).scalars()
            )
            unknown = [i for i in ids if i not in known]
            if unknown:
                shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
                raise DataValidationError(
                    f"{len(unknown)} unknown patient(s): {shown}; nothing was assigned."
                )
            have = set(
                conn.execute(sa.select(cp.c.patient_id).where(cp.c.user_id == uid)).scalars()
            )
            new = [i for i in ids if i not in have]
            if new:
                now = utcnow()
                conn.execute(
                    cp.insert(),
                    [
                        {"user_id": uid, "patient_id": i, "assigned_at": now, "assigned_by": actor}
                        for i in new
                    ],
                )
            return len(new)

        return self._write(f"assign patients to {clinician!r}", work)

    def unassign(self, actor: str, clinician: str, patient_ids: Sequence[str]) -> int:
        """Remove assignments; returns how many were removed."""
        check_actor(actor, "Store.unassign")
        ids = sorted({str(p) for p in patient_ids})
        cp = models.clinician_patients

        def work(conn: sa.Connection) -> int:
            uid = self._clinician_id(conn, clinician)
            done = conn.execute(cp.delete().where(cp.c.user_id == uid, cp.c.patient_id.in_(ids)))
            return int(done.rowcount or 0)

        return self._write(f"unassign patients from {clinician!r}", work)

    def assigned_patient_ids(self, user_id: int) -> list[str]:
        """Sorted ids of the patients assigned to the clinician ``user_id``."""
        cp = models.clinician_patients
        with self._reading("read the assignments") as conn:
            ids = (
                conn.execute(sa.select(cp.c.patient_id).where(cp.c.user_id == int(user_id)))
                .scalars()
                .all()
            )
        return sorted(ids)

    def is_assigned(self, user_id: int, patient_id: str) -> bool:
        """Tell whether ``patient_id`` is assigned to the clinician ``user_id``."""
        cp = models.clinician_patients
        with self._reading("read the assignments") as conn:
            row = conn.execute(
                sa.select(cp.c.patient_id).where(
                    cp.c.user_id == int(user_id), cp.c.patient_id == patient_id
                )
            ).first()
        return row is not None

    def patient_exists(self, patient_id: str) -> bool:
        """Tell whether ``patient_id`` is stored."""
        p = models.patients
        with self._reading("read the patient list") as conn:
            row = conn.execute(
                sa.select(p.c.patient_id).where(p.c.patient_id == patient_id)
            ).first()
        return row is not None

    # -- sign-in sessions --------------------------------------------------------------

    def create_auth_session(self, session_id: str, user_id: int, now: dt.datetime) -> None:
        """Record a new sign-in session ``session_id`` of ``user_id``."""
        s = models.auth_sessions
        self._write(
            "record a sign-in session",
            lambda conn: conn.execute(
                s.insert(), {"id": session_id, "user_id": int(user_id), "created_at": now}
            ),
        )

    def auth_session(self, session_id: str) -> dict[str, Any] | None:
        """Read a session: ``id``, ``user_id``, ``created_at``, ``revoked_at`` (None if unknown)."""
        s = models.auth_sessions
        with self._reading("read a sign-in session") as conn:
            row = conn.execute(sa.select(s).where(s.c.id == session_id)).first()
        return dict(row._mapping) if row is not None else None

    def revoke_auth_session(self, session_id: str, now: dt.datetime) -> bool:
        """Revoke a session (sign-out); False when it was unknown or already revoked."""
        s = models.auth_sessions

        def work(conn: sa.Connection) -> bool:
            done = conn.execute(
                s.update()
                .where(s.c.id == session_id, s.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return bool(done.rowcount)

        return self._write("revoke a sign-in session", work)

    # -- share links ---------------------------------------------------------------------

    def add_share_link(
        self, actor: str, *, token_hash: str, patient_id: str, expires_at: dt.datetime
    ) -> int:
        """Store a share link (its token's hash only); returns its id."""
        check_actor(actor, "Store.add_share_link")
        s = models.share_links

        def work(conn: sa.Connection) -> int:
            result = conn.execute(
                s.insert().returning(s.c.id),
                {
                    "token_hash": token_hash,
                    "patient_id": patient_id,
                    "created_by": actor,
                    "created_at": utcnow(),
                    "expires_at": expires_at,
                },
            )
            return int(result.scalar_one())

        return self._write("create a share link", work)

    def share_link(
        self, *, token_hash: str | None = None, link_id: int | None = None
    ) -> dict[str, Any] | None:
        """Read one share link by token hash or id, or None.

        Keys: ``id``, ``token_hash``, ``patient_id``, ``created_by``, ``created_at``,
        ``expires_at``, ``revoked_at``.
        """
        s = models.share_links
        clause = s.c.token_hash == token_hash if token_hash is not None else s.c.id == link_id
        with self._reading("read a share link") as conn:
            row = conn.execute(sa.select(s).where(clause)).first()
        return dict(row._mapping) if row is not None else None

    def revoke_share_link(self, actor: str, link_id: int, now: dt.datetime) -> bool:
        """Revoke a share link; False when it was already revoked."""
        check_actor(actor, "Store.revoke_share_link")
        s = models.share_links

        def work(conn: sa.Connection) -> bool:
            done = conn.execute(
                s.update()
                .where(s.c.id == int(link_id), s.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return bool(done.rowcount)

        return self._write("revoke a share link", work)

    def revoke_share_links_by(
        self,
        actor: str,
        created_by: str,
        now: dt.datetime,
        patient_ids: list[str] | None = None,
    ) -> list[tuple[int, str]]:
        """Revoke the live share links ``created_by`` made (of ``patient_ids`` only, if given).

        Returns the ``(link id, patient id)`` of each link revoked, in one transaction.
        """
        check_actor(actor, "Store.revoke_share_links_by")
        s = models.share_links

        def work(conn: sa.Connection) -> list[tuple[int, str]]:
            where = [s.c.created_by == created_by, s.c.revoked_at.is_(None)]
            if patient_ids is not None:
                where.append(s.c.patient_id.in_(list(patient_ids)))
            rows = conn.execute(sa.select(s.c.id, s.c.patient_id).where(*where)).all()
            if rows:
                ids = [int(r.id) for r in rows]
                conn.execute(s.update().where(s.c.id.in_(ids)).values(revoked_at=now))
            return [(int(r.id), str(r.patient_id)) for r in rows]

        return self._write("revoke share links", work)

    def share_links(
        self,
        actor: str,
        patient_id: str | None = None,
        *,
        active_at: dt.datetime | None = None,
    ) -> pd.DataFrame:
        """Share links (never their tokens), newest first; columns :data:`SHARE_LINK_COLUMNS`.

        ``patient_id`` keeps one patient's links; ``active_at`` (naive UTC) keeps the
        links that work at that moment: not revoked and expiring after it. Both filter
        in the query.
        """
        check_actor(actor, "Store.share_links")
        s = models.share_links
        stmt = sa.select(
            s.c.id, s.c.patient_id, s.c.created_by, s.c.created_at, s.c.expires_at, s.c.revoked_at
        ).order_by(s.c.id.desc())
        if patient_id is not None:
            stmt = stmt.where(s.c.patient_id == patient_id)
        if active_at is not None:
            stmt = stmt.where(s.c.revoked_at.is_(None), s.c.expires_at > active_at)
        with self._reading("read the share links") as conn:
            rows = conn.execute(stmt).all()
        frame = pd.DataFrame.from_records(rows, columns=SHARE_LINK_COLUMNS)
        out = frame.astype({"link_id": "int64", "patient_id": "str", "created_by": "str"})
        for c in ("created_at", "expires_at", "revoked_at"):
            out[c] = pd.to_datetime(frame[c]).astype(DATE_DTYPE)
        return out

    # -- settings --------------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        """Read the stored value of setting ``key``, or None."""
        s = models.settings
        with self._reading("read a setting") as conn:
            return conn.execute(sa.select(s.c.value).where(s.c.key == key)).scalar_one_or_none()

    def set_setting(self, actor: str, key: str, value: str) -> None:
        """Store setting ``key`` (insert or replace)."""
        check_actor(actor, "Store.set_setting")
        s = models.settings

        def work(conn: sa.Connection) -> None:
            if conn.execute(sa.select(s.c.key).where(s.c.key == key)).first():
                conn.execute(s.update().where(s.c.key == key).values(value=value))
            else:
                conn.execute(s.insert(), {"key": key, "value": value})

        self._write(f"store the setting {key!r}", work)
