"""Onboarding: clinician codes mapped to accounts, patient accounts in bulk, first sign-in links.

The store keeps what :mod:`analytics.service` decides with: the mapping of each
``clinician_id`` of the data (C01, ...) to one clinician account, and each first
sign-in link as the SHA-256 hash of its token (never the token). An account made
for a first sign-in link has no password yet: its stored hash is
:data:`NO_PASSWORD_YET`, which no password ever matches, until its owner chooses
one with the link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from analytics.errors import ConflictError, NotFoundError
from analytics.store import _models as models
from analytics.store._engine import StoreBase
from analytics.store._values import check_actor, check_text, utcnow

__all__ = [
    "Onboarding",
    "NO_PASSWORD_YET",
    "CLINICIAN_CODE_COLUMNS",
    "ONBOARDING_COLUMNS",
    "assign_by_code",
]

#: The stored password hash of an account whose owner has not chosen a password yet:
#: not a PHC string, so no password verifies against it.
NO_PASSWORD_YET = "!none: the owner chooses a password with a first sign-in link"
#: Columns of :meth:`Onboarding.clinician_codes`.
CLINICIAN_CODE_COLUMNS = ["clinician_id", "n_patients", "clinician"]
#: Columns of :meth:`Onboarding.onboarding_status`.
ONBOARDING_COLUMNS = [
    "patient_id",
    "clinician_id",
    "mapped_clinician",
    "clinicians",
    "username",
    "has_password",
    "invite_expires_at",
]
_CHUNK = 500


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    items = list(ids)
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def assign_by_code(
    conn: sa.Connection, actor: str, patient_ids: Sequence[str]
) -> dict[str, list[str]]:
    """Assign each of ``patient_ids`` to the clinician its ``clinician_id`` is mapped to.

    Runs in the caller's transaction (an import's, so that a failed import assigns
    nothing). Patients already assigned to that clinician, without a code or with an
    unmapped code are left alone.

    Returns
    -------
    dict of str to list of str
        Clinician username to the patient ids newly assigned to them (sorted).
    """
    p, cc, u, cp = models.patients, models.clinician_codes, models.users, models.clinician_patients
    found: list[Any] = []
    for part in _chunks(sorted({str(i) for i in patient_ids})):
        found += conn.execute(
            sa.select(p.c.patient_id, u.c.id, u.c.username)
            .join(cc, cc.c.clinician_id == p.c.clinician_id)
            .join(u, u.c.id == cc.c.user_id)
            .where(p.c.patient_id.in_(part), u.c.role == "clinician")
            .where(~sa.exists().where(cp.c.user_id == u.c.id, cp.c.patient_id == p.c.patient_id))
        ).all()
    if not found:
        return {}
    now = utcnow()
    conn.execute(
        cp.insert(),
        [
            {"user_id": int(r.id), "patient_id": str(r.patient_id), "assigned_at": now,
             "assigned_by": actor}
            for r in found
        ],
    )  # fmt: skip
    out: dict[str, list[str]] = {}
    for r in found:
        out.setdefault(str(r.username), []).append(str(r.patient_id))
    return {k: sorted(v) for k, v in sorted(out.items())}


class Onboarding(StoreBase):
    """Rows of ``clinician_codes`` and ``invites``; patient accounts without a password."""

    # -- clinician codes -------------------------------------------------------------

    def map_clinician_code(self, actor: str, code: str, clinician: str) -> str | None:
        """Map the data's clinician code ``code`` to the clinician account ``clinician``.

        Returns
        -------
        str or None
            The username the code was mapped to before (None when it was not).

        Raises
        ------
        NotFoundError
            No account named ``clinician``.
        ValueError
            The account is not a clinician's.
        """
        func = "Store.map_clinician_code"
        check_actor(actor, func)
        check_text(code, "code", func)
        u, cc = models.users, models.clinician_codes

        def work(conn: sa.Connection) -> str | None:
            row = conn.execute(sa.select(u.c.id, u.c.role).where(u.c.username == clinician)).first()
            if row is None:
                raise NotFoundError(f"No account named {clinician}. Check the spelling.")
            if row.role != "clinician":
                raise ValueError(
                    f"{clinician} is a {row.role} account; a clinician code maps to a "
                    "clinician account."
                )
            before = conn.execute(
                sa.select(u.c.username)
                .join(cc, cc.c.user_id == u.c.id)
                .where(cc.c.clinician_id == code)
            ).scalar_one_or_none()
            values = {"user_id": int(row.id), "mapped_at": utcnow(), "mapped_by": actor}
            if before is None:
                conn.execute(cc.insert(), {"clinician_id": code, **values})
            else:
                conn.execute(cc.update().where(cc.c.clinician_id == code).values(values))
            return None if before is None else str(before)

        return self._write(f"map the clinician code {code!r}", work)

    def clinician_codes(self) -> pd.DataFrame:
        """Return every clinician code of the stored patients, or mapped, with its account.

        Returns
        -------
        pandas.DataFrame
            ``clinician_id`` (str), ``n_patients`` (int64: stored patients with the
            code), ``clinician`` (str, the mapped account's username; missing when the
            code is not mapped), sorted by code.
        """
        p, cc, u = models.patients, models.clinician_codes, models.users
        with self._reading("read the clinician codes") as conn:
            counts = conn.execute(
                sa.select(p.c.clinician_id, sa.func.count())
                .where(p.c.clinician_id.is_not(None))
                .group_by(p.c.clinician_id)
            ).all()
            mapped = conn.execute(
                sa.select(cc.c.clinician_id, u.c.username).join(u, u.c.id == cc.c.user_id)
            ).all()
        n = {str(code): int(k) for code, k in counts}
        who = {str(code): str(name) for code, name in mapped}
        codes = sorted(set(n) | set(who))
        return pd.DataFrame(
            {
                "clinician_id": pd.Series(codes, dtype="str"),
                "n_patients": pd.Series([n.get(c, 0) for c in codes], dtype="int64"),
                "clinician": pd.Series([who.get(c) for c in codes], dtype="str"),
            },
            columns=CLINICIAN_CODE_COLUMNS,
        )

    def patients_with_code(self, code: str, *, unassigned: bool = True) -> list[str]:
        """Return the stored patients with clinician code ``code`` (assigned to nobody, by default)."""
        p, cp = models.patients, models.clinician_patients
        stmt = sa.select(p.c.patient_id).where(p.c.clinician_id == code)
        if unassigned:
            stmt = stmt.where(~sa.exists().where(cp.c.patient_id == p.c.patient_id))
        with self._reading("read the patients of a clinician code") as conn:
            return sorted(str(i) for i in conn.execute(stmt).scalars())

    def assign_by_code(self, actor: str, patient_ids: Sequence[str]) -> dict[str, list[str]]:
        """Assign patients to the clinicians their codes are mapped to (see :func:`assign_by_code`)."""
        check_actor(actor, "Store.assign_by_code")
        return self._write(
            "assign patients by their clinician codes",
            lambda conn: assign_by_code(conn, actor, patient_ids),
        )

    # -- onboarding status -------------------------------------------------------------

    def onboarding_status(self, patient_ids: Sequence[str]) -> pd.DataFrame:
        """Return where each patient stands: clinician code, clinicians, account, first sign-in link.

        Returns
        -------
        pandas.DataFrame
            One row per stored patient of ``patient_ids``, sorted: ``patient_id``,
            ``clinician_id`` (the data's code, missing when none), ``mapped_clinician``
            (the account the code is mapped to), ``clinicians`` (the usernames the
            patient is assigned to, comma-separated; "" for none), ``username`` (the
            patient account, missing when none), ``has_password`` (bool: the owner can
            sign in with a password), ``invite_expires_at`` (naive UTC expiry of the
            newest live first sign-in link, NaT when none).
        """
        p, cc, u, cp, inv = (
            models.patients, models.clinician_codes, models.users, models.clinician_patients,
            models.invites,
        )  # fmt: skip
        rows: list[Any] = []
        assigned: dict[str, list[str]] = {}
        live: dict[int, dt.datetime] = {}
        mapped = (
            sa.select(cc.c.clinician_id, u.c.username.label("mapped"))
            .join(u, u.c.id == cc.c.user_id)
            .subquery()
        )
        account = (
            sa.select(u.c.id, u.c.username, u.c.patient_id, u.c.password_hash)
            .where(u.c.role == "patient")
            .subquery()
        )
        now = utcnow()
        with self._reading("read the onboarding of patients") as conn:
            for part in _chunks(sorted({str(i) for i in patient_ids})):
                rows += conn.execute(
                    sa.select(
                        p.c.patient_id,
                        p.c.clinician_id,
                        mapped.c.mapped,
                        account.c.id,
                        account.c.username,
                        account.c.password_hash,
                    )  # fmt: skip
                    .outerjoin(mapped, mapped.c.clinician_id == p.c.clinician_id)
                    .outerjoin(account, account.c.patient_id == p.c.patient_id)
                    .where(p.c.patient_id.in_(part))
                ).all()
                for pid, name in conn.execute(
                    sa.select(cp.c.patient_id, u.c.username)
                    .join(u, u.c.id == cp.c.user_id)
                    .where(cp.c.patient_id.in_(part))
                ):
                    assigned.setdefault(str(pid), []).append(str(name))
            user_ids = [int(r.id) for r in rows if r.id is not None]
            for part_ids in [user_ids[i : i + _CHUNK] for i in range(0, len(user_ids), _CHUNK)]:
                for uid, expires in conn.execute(
                    sa.select(inv.c.user_id, sa.func.max(inv.c.expires_at))
                    .where(
                        inv.c.user_id.in_(part_ids),
                        inv.c.used_at.is_(None),
                        inv.c.revoked_at.is_(None),
                        inv.c.expires_at > now,
                    )  # fmt: skip
                    .group_by(inv.c.user_id)
                ):
                    live[int(uid)] = expires
        records = [
            {
                "patient_id": str(r.patient_id),
                "clinician_id": r.clinician_id,
                "mapped_clinician": r.mapped,
                "clinicians": ", ".join(sorted(assigned.get(str(r.patient_id), []))),
                "username": r.username,
                "has_password": r.password_hash is not None and r.password_hash != NO_PASSWORD_YET,
                "invite_expires_at": live.get(int(r.id)) if r.id is not None else None,
            }
            for r in rows
        ]
        frame = pd.DataFrame.from_records(records, columns=ONBOARDING_COLUMNS)
        out = frame.astype(
            {"patient_id": "str", "clinician_id": "str", "mapped_clinician": "str",
             "clinicians": "str", "username": "str", "has_password": "bool"}
        )  # fmt: skip
        out["invite_expires_at"] = pd.to_datetime(frame["invite_expires_at"]).astype(
            "datetime64[us]"
        )
        return out.sort_values("patient_id", kind="stable").reset_index(drop=True)

    # -- first sign-in links -----------------------------------------------------------

    def add_invite(
        self, actor: str, *, token_hash: str, user_id: int, expires_at: dt.datetime
    ) -> tuple[int, list[int]]:
        """Store a first sign-in link of account ``user_id``; older live links are revoked.

        Returns
        -------
        (int, list of int)
            The new link's id, and the ids of the links it revoked.
        """
        func = "Store.add_invite"
        check_actor(actor, func)
        check_text(token_hash, "token_hash", func)
        inv = models.invites

        def work(conn: sa.Connection) -> tuple[int, list[int]]:
            now = utcnow()
            older = [
                int(i)
                for i in conn.execute(
                    sa.select(inv.c.id).where(
                        inv.c.user_id == int(user_id),
                        inv.c.used_at.is_(None),
                        inv.c.revoked_at.is_(None),
                    )  # fmt: skip
                ).scalars()
            ]
            if older:
                conn.execute(inv.update().where(inv.c.id.in_(older)).values(revoked_at=now))
            new_id = conn.execute(
                inv.insert().returning(inv.c.id),
                {
                    "token_hash": token_hash, "user_id": int(user_id), "created_by": actor,
                    "created_at": now, "expires_at": expires_at,
                },
            ).scalar_one()  # fmt: skip
            return int(new_id), older

        return self._write("create a first sign-in link", work)

    def invite(self, token_hash: str) -> dict[str, Any] | None:
        """Read the first sign-in link with this token hash, with its account, or None.

        Keys: ``id``, ``user_id``, ``created_by``, ``created_at``, ``expires_at``,
        ``used_at``, ``revoked_at`` (naive UTC), ``username``, ``role``,
        ``patient_id``, ``disabled`` (bool).
        """
        inv, u = models.invites, models.users
        with self._reading("read a first sign-in link") as conn:
            row = conn.execute(
                sa.select(
                    inv.c.id,
                    inv.c.user_id,
                    inv.c.created_by,
                    inv.c.created_at,
                    inv.c.expires_at,
                    inv.c.used_at,
                    inv.c.revoked_at,
                    u.c.username,
                    u.c.role,
                    u.c.patient_id,
                    u.c.disabled,
                )  # fmt: skip
                .join(u, u.c.id == inv.c.user_id)
                .where(inv.c.token_hash == token_hash)
            ).first()
        if row is None:
            return None
        record = dict(row._mapping)
        record["disabled"] = bool(record["disabled"])
        return record

    def use_invite(self, invite_id: int, password_hash: str, *, now: dt.datetime) -> None:
        """Spend a first sign-in link and set its account's password, in one transaction.

        The owner chose the password: it need not be changed; the account's lock and
        failed sign-ins are cleared.

        Raises
        ------
        ConflictError
            The link was used or revoked meanwhile (nothing was written).
        """
        check_text(password_hash, "password_hash", "Store.use_invite")
        inv, u = models.invites, models.users

        def work(conn: sa.Connection) -> None:
            done = conn.execute(
                inv.update()
                .where(
                    inv.c.id == int(invite_id), inv.c.used_at.is_(None), inv.c.revoked_at.is_(None)
                )
                .values(used_at=now)
                .returning(inv.c.user_id)
            ).scalar_one_or_none()
            if done is None:
                raise ConflictError(
                    "This first sign-in link was used or replaced a moment ago; nothing was "
                    "changed. Sign in with your password, or ask the clinic for a new link."
                )
            conn.execute(
                u.update()
                .where(u.c.id == int(done))
                .values(
                    password_hash=password_hash,
                    password_changed_at=now,
                    must_change_password=False,
                    failed_count=0,
                    locked_until=None,
                )  # fmt: skip
            )

        self._write("use a first sign-in link", work)
