"""Who may sign in and what leaves the clinic.

Accounts, passwords and session tokens; de-identification for research exports.
"""

from __future__ import annotations

from ._auth import (
    IDLE_MINUTES,
    LOCAL_OPERATOR,
    LOCK_MINUTES,
    MAX_FAILURES,
    MIN_PASSWORD_LENGTH,
    ROLES,
    SESSION_MAX_HOURS,
    SIGN_IN_REFUSED,
    Clock,
    Role,
    User,
    authenticate,
    check_password,
    demo_accounts,
    demo_key_id,
    demo_password,
    hash_password,
    issue_token,
    read_token,
    renew_token,
    revoke_token,
    secret_key,
    user_for_sso,
    user_from_record,
    verify_password,
)
from ._deidentify import (
    DEID_DIARY_COLUMNS,
    DEID_PATIENT_COLUMNS,
    DEID_SESSION_COLUMNS,
    DeidentifiedDataset,
    deidentify,
)

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
    "SIGN_IN_REFUSED",
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
    "demo_key_id",
    "demo_accounts",
    "user_from_record",
    "deidentify",
    "DeidentifiedDataset",
    "DEID_PATIENT_COLUMNS",
    "DEID_DIARY_COLUMNS",
    "DEID_SESSION_COLUMNS",
]
