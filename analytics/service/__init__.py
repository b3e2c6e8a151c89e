"""The one door to patient data: every face reads and writes through a Service built for
the signed-in user, which checks the user's role and scope, reads with the scope in
the SQL query and records every access in the audit log.
"""

from __future__ import annotations

from analytics.service._service import ANALYSIS_SETTINGS_KEY, SHARE_LINK_MAX_DAYS, Service

__all__ = ["Service", "SHARE_LINK_MAX_DAYS", "ANALYSIS_SETTINGS_KEY"]
