"""The one door to patient data.

Every face reads and writes through a Service built for the signed-in user, which checks the user's role and scope against one policy table,
reads with the scope in the SQL query and records every access in the audit log.
"""

from __future__ import annotations

from analytics.service._account_checks import username_problem
from analytics.service._door import ANALYSIS_SETTINGS_KEY, Governance, governance_of, governed
from analytics.service._onboarding import (
    APP_URL_VARIABLE,
    CLINIC_NAME_VARIABLE,
    DEFAULT_APP_URL,
    DEFAULT_CLINIC_NAME,
    INVITE_DAYS,
    INVITE_MAX_DAYS,
    Invite,
    app_url,
    clinic_name,
    invite_frame,
    invite_link,
    patient_username,
)
from analytics.service._policy import ALL, ASSIGNED, NO, OWN, POLICY, POLICY_ROLES, Rule
from analytics.service._service import Service
from analytics.service._sharing import (
    SHARE_DENIAL_WINDOW,
    SHARE_LINK_MAX_DAYS,
    SHARE_LINK_REFUSED,
)

__all__ = [
    "Service",
    "username_problem",
    "SHARE_LINK_MAX_DAYS",
    "SHARE_LINK_REFUSED",
    "SHARE_DENIAL_WINDOW",
    "ANALYSIS_SETTINGS_KEY",
    "POLICY",
    "POLICY_ROLES",
    "Rule",
    "OWN",
    "ASSIGNED",
    "ALL",
    "NO",
    "governed",
    "governance_of",
    "Governance",
    "Invite",
    "INVITE_DAYS",
    "INVITE_MAX_DAYS",
    "APP_URL_VARIABLE",
    "CLINIC_NAME_VARIABLE",
    "DEFAULT_APP_URL",
    "DEFAULT_CLINIC_NAME",
    "app_url",
    "clinic_name",
    "invite_frame",
    "invite_link",
    "patient_username",
]
