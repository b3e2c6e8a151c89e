"""The audit log for administrators: its rows filtered in SQL, and its rows as a CSV file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analytics.service._door import Door, governed

__all__ = ["AuditLog"]


class AuditLog(Door):
    """Reading and downloading the audit log (admins)."""

    @governed("read_audit_log")
    def audit_log(
        self,
        *,
        username: str | None = None,
        patient_id: str | None = None,
        since: Any = None,
        action: str | None = None,
        outcomes: Sequence[str] | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> pd.DataFrame:
        """Return audit rows, newest first, filtered in SQL and paged (see ``Store.audit_log``).

        Parameters
        ----------
        username, patient_id : str, optional
            Only the rows of this user, of this patient.
        since : date-like, optional
            Only rows from this time on.
        action : str, optional
            Only the rows of this action.
        outcomes : sequence of {"ok", "denied", "failed"}, optional
            Only the rows with one of these outcomes.
        limit : int or None, default 100
            None for every matching row.
        offset : int, default 0

        Returns
        -------
        pandas.DataFrame
            The columns of ``Store.audit_log``.

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        """
        return self.store.audit_log(
            self.user.username, username=username, patient_id=patient_id, since=since,
            action=action, outcomes=outcomes, limit=limit, offset=offset, newest_first=True,
        )  # fmt: skip

    @governed("record_page_refusal")
    def record_page_refusal(self, page: str) -> None:
        """Record that the dashboard refused ``page`` to this user: one "denied" view row.

        A signed-in person who opens a page their role may not see (a deep link, an
        edited address) is shown a refusal; the page's script never runs, so no
        patient data are read. The row names the page and the role.

        Parameters
        ----------
        page : str
            The title of the refused page, e.g. ``"Admin"``.
        """
        role = self.user.role
        shown = "".join(c if c.isprintable() else "?" for c in str(page))[:80]
        self._audit(
            "view", None, outcome="denied", page=shown, role=role,
            what=f"the page {shown} as a {role}",
        )  # fmt: skip

    @governed("export_audit_log")
    def audit_log_csv(
        self,
        *,
        username: str | None = None,
        patient_id: str | None = None,
        since: Any = None,
        action: str | None = None,
        outcomes: Sequence[str] | None = None,
    ) -> bytes:
        """Return every audit row matching the filters as a CSV file (audited "export").

        The rows of :meth:`audit_log` (newest first, no paging) with the ``what``
        column of :func:`analytics.presentation.audit_table`; text cells that a
        spreadsheet would run as a formula are prefixed with ``'``. The export row
        is written before the bytes are returned: when it cannot be written, no
        bytes leave.

        Parameters
        ----------
        username, patient_id, since, action, outcomes
            As :meth:`audit_log`.

        Returns
        -------
        bytes
            UTF-8 CSV: ``at`` (UTC, ISO), ``what``, then the other columns of
            ``Store.audit_log`` (``last_at`` ISO, empty for an event that happened once).

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        """
        from analytics.io import csv_file_bytes, neutralise_cell
        from analytics.presentation import audit_table

        filters = {
            "username": username, "patient_id": patient_id, "since": since, "action": action,
            "outcomes": None if outcomes is None else list(outcomes),
        }  # fmt: skip
        rows = self.store.audit_log(
            self.user.username,
            newest_first=True,
            **filters,  # type: ignore[arg-type]
        )
        table = audit_table(rows)
        cells = table.astype("str").where(table.notna(), "")
        for column in ("at", "last_at"):
            cells[column] = table[column].dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("")
        cells = cells.apply(neutralise_cell)
        self._audit(
            "export", None, what="audit log (CSV)", n_rows=len(rows),
            filters={k: str(v) for k, v in filters.items() if v is not None},
        )  # fmt: skip
        return csv_file_bytes(cells)
