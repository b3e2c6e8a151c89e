"""SQLAlchemy 2 tables of the paindiary database.

The data tables mirror the CSV contract of :mod:`analytics.contract.schema` column for
column, and the database enforces the same rules the loaders check: NOT NULL for
required columns, CHECK constraints for ranges, choices and text lengths, the
natural keys as primary keys (so ``UNIQUE(patient_id, date)`` for the diary and
the sessions) and foreign keys to ``patients``. The only rule the database
cannot hold is "not after today" (it changes every day); the loaders check it.

Types: dates are ``DATE``, session date-times ``TIMESTAMP`` (naive, local clinic
time), numbers ``DOUBLE PRECISION`` (SQLite: ``REAL``, also 8-byte IEEE, so
floats round-trip exactly), integers ``INTEGER``, text ``TEXT``.

Two bookkeeping tables keep what the data tables no longer show:

``history``
    one row per change of a stored record (create through the single-record
    API, update, delete): when, who, which record, the old and new values as
    JSON text, and the reason of a deletion.
``audit_log``
    append-only: one row per look at, change of or export of patient data, per
    import, login, failed login, lockout and account change: when (UTC), who
    (username and role), through which face, what, which patient ("*" for the
    cohort), the outcome ("ok", "denied", "failed") and details as JSON text.
``audit_repeats``
    the count of an audit row's event repeated within minutes (the row stands
    for all of them) and the time of the latest; the audit row is never changed.
    Database triggers refuse UPDATE and DELETE of its rows.

Accounts and access:

``users``
    one row per account: unique username, role (patient, clinician, admin), the
    patient a patient account belongs to, the argon2id password hash (never the
    password), whether it is disabled, the failed-login count and lock, and whether
    its password was set by an administrator and must be changed at the next sign-in.
``clinician_patients``
    which patients a clinician may see (set by admins).
``course_states``
    the course of treatment of each patient, one row per change: active, paused
    or ended (with the day and the reason), who set it and when; the latest row
    is the current state, a patient without a row is on an active course.
``share_links``
    read-only links to one patient's data: only the SHA-256 hash of the token
    is stored, with its expiry and revocation.
``clinician_codes``
    the clinician codes of the data (``patients.clinician_id``, e.g. C01), each
    mapped once to a clinician account: an import assigns new patients by them.
``invites``
    first sign-in links of accounts: only the SHA-256 hash of the token, its
    expiry, its one use and its revocation (a newer link revokes the older).
``auth_sessions``
    one row per sign-in: the signed session token carries its id, a sign-out
    revokes it.
``settings``
    key/value text, e.g. ``demo`` = ``"true"`` for a database created by
    ``paindiary init-demo``.

Derived rows:

``stored_outcomes``
    the per-patient analysis tables of each patient (one row per patient,
    settings fingerprint and table, the rows as an Arrow IPC stream), kept up
    to date by the service on every write and by ``paindiary refresh``.
``outcome_snapshots``
    the same tables kept together per scope (the clinic, or one clinician's
    patients): one row per scope, fingerprint and table, with each patient's
    stamp, patched per patient when read (:mod:`analytics.store._snapshots`).

The schema is created and changed only by the Alembic migrations in
``analytics/store/migrations``; ``tests/store`` checks that the migrated
database matches this module.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from analytics.contract import ENTRIES, QUESTIONNAIRES, schema

__all__ = [
    "metadata",
    "patients",
    "diary",
    "sessions",
    "history",
    "audit_log",
    "audit_repeats",
    "users",
    "clinician_patients",
    "course_states",
    "COURSE_STATES",
    "share_links",
    "clinician_codes",
    "invites",
    "auth_sessions",
    "settings",
    "stored_outcomes",
    "outcome_snapshots",
    "DATA_TABLES",
    "questionnaire_answers",
    "entries",
    "ROLES",
    "AUDIT_OUTCOMES",
]

metadata = sa.MetaData()

_TYPES = {
    "id": sa.Text,
    "text": sa.Text,
    "choice": sa.Text,
    "list": sa.Text,
    "number": sa.Double,
    "integer": sa.Integer,
    "date": sa.Date,
    "datetime": sa.DateTime,
}


def _quote(name: str) -> str:
    # "group" is an SQL keyword: quote every column name in CHECK text alike.
    return f'"{name}"'


def _checks(spec: schema.TableSpec) -> list[sa.CheckConstraint]:
    """CHECK constraints equivalent to the contract's column rules."""
    out = []
    for col in spec.columns:
        q = _quote(col.name)
        if col.kind == "id":
            out.append(
                sa.CheckConstraint(
                    f"length({q}) BETWEEN 1 AND 64", name=f"ck_{spec.name}_{col.name}_len"
                )
            )
        if col.min is not None and col.max is not None:
            out.append(
                sa.CheckConstraint(
                    f"{q} BETWEEN {col.min:g} AND {col.max:g}",
                    name=f"ck_{spec.name}_{col.name}_range",
                )
            )
        elif col.min is not None:
            out.append(
                sa.CheckConstraint(f"{q} >= {col.min:g}", name=f"ck_{spec.name}_{col.name}_range")
            )
        if col.kind == "choice":
            allowed = ", ".join(f"'{c}'" for c in col.choices)
            out.append(
                sa.CheckConstraint(f"{q} IN ({allowed})", name=f"ck_{spec.name}_{col.name}_choice")
            )
        if col.max_len is not None:
            out.append(
                sa.CheckConstraint(
                    f"length({q}) <= {col.max_len}", name=f"ck_{spec.name}_{col.name}_len"
                )
            )
    return out


def _data_table(spec: schema.TableSpec, *extra: sa.Constraint | sa.Column[Any]) -> sa.Table:
    cols = [
        sa.Column(
            c.name,
            _TYPES[c.kind](),
            primary_key=c.name in spec.key,
            nullable=not (c.required or c.name in spec.key),
            comment=c.description or None,
        )
        for c in spec.columns
    ]
    return sa.Table(spec.name, metadata, *cols, *_checks(spec), *extra)


patients = _data_table(schema.PATIENTS)
diary = _data_table(
    schema.DIARY,
    sa.ForeignKeyConstraint(["patient_id"], ["patients.patient_id"], name="fk_diary_patient"),
)
sessions = _data_table(
    schema.SESSIONS,
    sa.ForeignKeyConstraint(["patient_id"], ["patients.patient_id"], name="fk_sessions_patient"),
)

#: The answers to the outcome questionnaires, one row per patient, date, instrument and item
#: (the contract's ``questionnaires.csv``); their changes are kept in :data:`history`.
questionnaire_answers = _data_table(
    QUESTIONNAIRES,
    sa.ForeignKeyConstraint(
        ["patient_id"], ["patients.patient_id"], name="fk_questionnaires_patient"
    ),
)

#: Entries during the day, one row per patient, day and minute (the contract's
#: ``entries.csv``), with who answered "Did it help?" about the rescue medicine and when;
#: their changes are kept in :data:`history`.
entries = _data_table(
    ENTRIES,
    sa.Column("rescue_answered_by", sa.Text, comment="who answered whether the rescue helped"),
    sa.Column("rescue_answered_at", sa.DateTime, comment="when that was answered (UTC)"),
    sa.ForeignKeyConstraint(["patient_id"], ["patients.patient_id"], name="fk_entries_patient"),
)

#: Actions recorded in :data:`history`.
HISTORY_ACTIONS = ("create", "update", "delete")

history = sa.Table(
    "history",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("changed_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("table_name", sa.Text, nullable=False),
    sa.Column("patient_id", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False, comment="natural key as text, e.g. the ISO date"),
    sa.Column("old", sa.Text, comment="JSON object of the previous values"),
    sa.Column("new", sa.Text, comment="JSON object of the new values"),
    sa.Column("reason", sa.Text),
    sa.CheckConstraint("action IN ('create', 'update', 'delete')", name="ck_history_action"),
    sa.Index("ix_history_patient", "patient_id", "id"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False, server_default=""),
    sa.Column("face", sa.Text, nullable=False, server_default=""),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("patient_id", sa.Text, comment='patient id, "*" for the cohort, NULL for none'),
    sa.Column("outcome", sa.Text, nullable=False, server_default="ok"),
    sa.Column("detail", sa.Text, comment="JSON object"),
    sa.CheckConstraint("outcome IN ('ok', 'denied', 'failed')", name="ck_audit_log_outcome"),
    sa.Index("ix_audit_log_patient", "patient_id", "id"),
    sa.Index("ix_audit_log_username", "username", "id"),
)

audit_repeats = sa.Table(
    "audit_repeats",
    metadata,
    sa.Column(
        "audit_id",
        sa.Integer,
        sa.ForeignKey("audit_log.id"),
        primary_key=True,
        comment="the audit row that stands for the repeats",
    ),  # fmt: skip
    sa.Column(
        "n_times", sa.Integer, nullable=False, comment="times it happened, the first included"
    ),
    sa.Column("last_at", sa.DateTime, nullable=False, comment="UTC, naive: the latest repeat"),
    sa.CheckConstraint("n_times >= 2", name="ck_audit_repeats_n_times"),
)

#: Roles of :data:`users`.
ROLES = ("patient", "clinician", "admin")
#: Outcomes of :data:`audit_log` rows.
AUDIT_OUTCOMES = ("ok", "denied", "failed")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column(
        "patient_id",
        sa.Text,
        sa.ForeignKey("patients.patient_id", name="fk_users_patient"),
        comment="the patient of a patient account",
    ),
    sa.Column("display_name", sa.Text, nullable=False, server_default=""),
    sa.Column("password_hash", sa.Text, nullable=False, comment="argon2id, PHC string"),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("failed_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime, comment="UTC, naive"),
    sa.Column("password_changed_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column(
        "must_change_password",
        sa.Boolean,
        nullable=False,
        server_default=sa.false(),
        comment="set by an administrator's password; cleared when the owner sets theirs",
    ),
    sa.UniqueConstraint("username", name="uq_users_username"),
    sa.CheckConstraint("length(username) BETWEEN 1 AND 64", name="ck_users_username_len"),
    sa.CheckConstraint("role IN ('patient', 'clinician', 'admin')", name="ck_users_role"),
    sa.CheckConstraint(
        "(role = 'patient') = (patient_id IS NOT NULL)", name="ck_users_patient_role"
    ),
)

clinician_patients = sa.Table(
    "clinician_patients",
    metadata,
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", name="fk_clinician_patients_user"),
        primary_key=True,
    ),
    sa.Column(
        "patient_id",
        sa.Text,
        sa.ForeignKey("patients.patient_id", name="fk_clinician_patients_patient"),
        primary_key=True,
    ),
    sa.Column("assigned_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("assigned_by", sa.Text, nullable=False),
    sa.Index("ix_clinician_patients_patient", "patient_id"),
)

#: States of a course of treatment kept in :data:`course_states`.
COURSE_STATES = ("active", "paused", "ended")

course_states = sa.Table(
    "course_states",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "patient_id",
        sa.Text,
        sa.ForeignKey("patients.patient_id", name="fk_course_states_patient"),
        nullable=False,
    ),
    sa.Column("state", sa.Text, nullable=False, comment="active, paused or ended"),
    sa.Column("effective_date", sa.Date, nullable=False, comment="the day the state began"),
    sa.Column("reason", sa.Text, comment="why an ended course ended; empty otherwise"),
    sa.Column("set_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("set_by", sa.Text, nullable=False, comment="username, or the import's actor"),
    sa.CheckConstraint("state IN ('active', 'paused', 'ended')", name="ck_course_states_state"),
    sa.CheckConstraint(
        "reason IS NULL OR reason IN ('completed', 'discharged', 'dropped_out', 'moved')",
        name="ck_course_states_reason",
    ),
    sa.CheckConstraint(
        "(state = 'ended') = (reason IS NOT NULL)", name="ck_course_states_ended_reason"
    ),
    sa.Index("ix_course_states_patient", "patient_id", "id"),
)

share_links = sa.Table(
    "share_links",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("token_hash", sa.Text, nullable=False, comment="SHA-256 hex of the token"),
    sa.Column(
        "patient_id",
        sa.Text,
        sa.ForeignKey("patients.patient_id", name="fk_share_links_patient"),
        nullable=False,
    ),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("expires_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("revoked_at", sa.DateTime, comment="UTC, naive"),
    sa.UniqueConstraint("token_hash", name="uq_share_links_token_hash"),
)

clinician_codes = sa.Table(
    "clinician_codes",
    metadata,
    sa.Column("clinician_id", sa.Text, primary_key=True, comment="a code of the data, e.g. C01"),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", name="fk_clinician_codes_user"),
        nullable=False,
        comment="the clinician account the code stands for",
    ),
    sa.Column("mapped_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("mapped_by", sa.Text, nullable=False),
)

invites = sa.Table(
    "invites",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("token_hash", sa.Text, nullable=False, comment="SHA-256 hex of the token"),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", name="fk_invites_user"),
        nullable=False,
        comment="the account whose owner chooses a password with it",
    ),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("expires_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("used_at", sa.DateTime, comment="UTC, naive; a link works once"),
    sa.Column("revoked_at", sa.DateTime, comment="UTC, naive; set by a newer link"),
    sa.UniqueConstraint("token_hash", name="uq_invites_token_hash"),
    sa.Index("ix_invites_user", "user_id"),
)

auth_sessions = sa.Table(
    "auth_sessions",
    metadata,
    sa.Column("id", sa.Text, primary_key=True, comment="random, carried by the signed token"),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", name="fk_auth_sessions_user"),
        nullable=False,
    ),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Column("revoked_at", sa.DateTime, comment="UTC, naive; set by a sign-out"),
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

stored_outcomes = sa.Table(
    "stored_outcomes",
    metadata,
    sa.Column(
        "patient_id",
        sa.Text,
        sa.ForeignKey("patients.patient_id", name="fk_stored_outcomes_patient"),
        primary_key=True,
    ),
    sa.Column(
        "fingerprint", sa.Text, primary_key=True, comment="hash of the settings that shape the rows"
    ),
    sa.Column("table_name", sa.Text, primary_key=True, comment="a per-patient table"),
    sa.Column("payload", sa.LargeBinary, nullable=False, comment="the rows, Arrow IPC stream"),
    sa.Column("digest", sa.Text, nullable=False, comment="SHA-256 of the payload"),
    sa.Column("updated_at", sa.DateTime, nullable=False, comment="UTC, naive"),
    sa.Index("ix_stored_outcomes_fingerprint", "fingerprint", "patient_id"),
    sa.Index("ix_stored_outcomes_version", "fingerprint", "updated_at"),
    sa.Index("ix_stored_outcomes_stamp", "fingerprint", "table_name", "patient_id", "updated_at"),
)

outcome_snapshots = sa.Table(
    "outcome_snapshots",
    metadata,
    sa.Column("scope", sa.Text, primary_key=True, comment="'clinic', or 'clinician:<user id>'"),
    sa.Column(
        "fingerprint", sa.Text, primary_key=True, comment="hash of the settings that shape the rows"
    ),
    sa.Column("table_name", sa.Text, primary_key=True, comment="a per-patient table"),
    sa.Column(
        "members",
        sa.LargeBinary,
        nullable=False,
        comment="patient_id and stamp of every patient in it, Arrow IPC stream",
    ),
    sa.Column("payload", sa.LargeBinary, nullable=False, comment="the rows, Arrow IPC stream"),
    sa.Column("updated_at", sa.DateTime, nullable=False, comment="UTC, naive"),
)

#: The data tables by contract name.
DATA_TABLES: dict[str, sa.Table] = {"patients": patients, "diary": diary, "sessions": sessions}
