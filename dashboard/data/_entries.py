"""Entries during the day of one patient, through the service: add, answer, read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from analytics.access import User
from analytics.contract import is_flare
from dashboard.data._access import forget_rows, service

__all__ = ["add_entry", "answer_rescue", "rescue_questions", "entries", "flare_days"]


def add_entry(
    user: User, patient_id: str, record: dict[str, Any], *, today: dt.date, purpose: str
) -> str:
    """Save one entry during the day (audited edit); "created", "updated" or "unchanged".

    The rows read in this visit are forgotten, so the next read (and the patient's
    summary, keyed on the rows) has the entry.
    """
    result = service(user, purpose).add_entry(patient_id, record, today=today)
    forget_rows()
    return result


def answer_rescue(
    user: User, patient_id: str, day: dt.date, time: str, helped: str, *, purpose: str
) -> None:
    """Save whether an entry's rescue medicine helped (audited edit); forget the visit's rows."""
    service(user, purpose).answer_rescue(patient_id, day, time, helped)
    forget_rows()


def rescue_questions(
    user: User, patient_id: str, *, now: dt.datetime, purpose: str
) -> pd.DataFrame:
    """Return the entries whose "Did it help?" is due now (audited view)."""
    return service(user, purpose).rescue_questions(patient_id, now=now)


def entries(user: User, patient_id: str, *, purpose: str) -> pd.DataFrame:
    """Return the patient's entries during the day (audited view)."""
    return service(user, purpose).entries(patient_id)


def flare_days(user: User, patient_id: str, *, purpose: str) -> list[dt.date]:
    """Return the days with a flare or attack of the patient (audited view)."""
    found = entries(user, patient_id, purpose=purpose)
    return sorted({pd.Timestamp(d).date() for d in found.loc[is_flare(found), "date"]})
