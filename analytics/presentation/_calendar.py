"""A month of a diary as a calendar: weeks from Monday, each day with its status and pain."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

import pandas as pd

from analytics.checks import check_int

__all__ = ["DAY_STATUSES", "month_grid", "shift_month", "month_span"]

#: What a day of the calendar can be, in the order a person reads them.
DAY_STATUSES = ("logged", "gap", "today", "before_start", "future")

_WEEKS = calendar.Calendar(firstweekday=calendar.MONDAY)


def shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    """Return the month ``by`` months after ``year``-``month`` (before it when negative).

    Examples
    --------
    >>> shift_month(2026, 12, 1), shift_month(2026, 1, -1), shift_month(2024, 5, -17)
    ((2027, 1), (2025, 12), (2022, 12))
    """
    check_int(month, "month", "shift_month", 1, 12)
    index = int(year) * 12 + (month - 1) + int(by)
    return index // 12, index % 12 + 1


def month_span(dates: Iterable[object], today: dt.date) -> tuple[tuple[int, int], tuple[int, int]]:
    """Return the first and last month a calendar of these diary days offers.

    From the month of the earliest day (today's month when there is none) to today's
    month; a day after today (a clock set back) extends the span to its month.

    Examples
    --------
    >>> month_span([dt.date(2026, 3, 9), dt.date(2026, 5, 1)], dt.date(2026, 7, 4))
    ((2026, 3), (2026, 7))
    """
    days = [pd.Timestamp(d).date() for d in dates if not pd.isna(d)]
    first = min([*days, today])
    last = max([*days, today])
    return (first.year, first.month), (last.year, last.month)


def _daily_pain(diary: pd.DataFrame) -> pd.Series:
    """Return pain by calendar day (the mean when a day holds several rows)."""
    if diary.empty:
        return pd.Series(dtype=float)
    days = pd.to_datetime(diary["date"]).dt.normalize()
    return pd.to_numeric(diary["pain"], errors="coerce").groupby(days.to_numpy()).mean()


def month_grid(
    diary: pd.DataFrame,
    *,
    year: int,
    month: int,
    today: dt.date,
    changed: Iterable[object] = (),
    flares: Iterable[object] = (),
) -> pd.DataFrame:
    """Lay out one month of a diary as weeks starting on Monday, with a status per day.

    Parameters
    ----------
    diary : DataFrame
        The patient's diary rows (``date`` and ``pain`` are used; other columns are
        ignored). Not modified.
    year, month : int
        The month to lay out (``month`` from 1 to 12).
    today : datetime.date
        Today's date: days after it have not come yet.
    changed : iterable of dates or ISO date strings, optional
        The days changed after they were first logged.
    flares : iterable of dates or ISO date strings, optional
        The days with an entry marked as a flare or attack.

    Returns
    -------
    DataFrame
        One row per cell of the calendar, whole weeks (4 to 6 of them, 28 to 42 rows),
        in reading order:

        - ``date`` (datetime64): the day.
        - ``week`` (int): the row of the calendar, 0 for the week holding the 1st.
        - ``weekday`` (int): the column, 0 = Monday … 6 = Sunday.
        - ``in_month`` (bool): the day belongs to the month (else it only fills the
          first or last week).
        - ``status`` (str): one of :data:`DAY_STATUSES` — ``logged`` (an entry),
          ``future`` (after today, without an entry), ``today`` (today without an entry), ``before_start``
          (before the diary's first entry, or any past day of an empty diary), else
          ``gap`` (a past day without an entry).
        - ``pain`` (float): the day's pain, 0-10 (the mean should a day hold several
          rows); NaN unless logged.
        - ``changed`` (bool): the day was changed after it was first logged.
        - ``flare`` (bool): the patient logged a flare or attack that day.
        - ``is_today`` (bool): the day is today.

    Raises
    ------
    ValueError
        When ``month`` is not an int from 1 to 12.

    Examples
    --------
    >>> diary = pd.DataFrame({"date": pd.to_datetime(["2026-02-02"]), "pain": [5.0]})
    >>> grid = month_grid(diary, year=2026, month=2, today=dt.date(2026, 2, 4))
    >>> grid.loc[grid["in_month"], "status"].head(5).tolist()
    ['before_start', 'logged', 'gap', 'today', 'future']
    """
    check_int(month, "month", "month_grid", 1, 12)
    weeks = _WEEKS.monthdatescalendar(int(year), month)
    dates = pd.to_datetime([day for week in weeks for day in week])
    pain = _daily_pain(diary)
    first = pain.index.min() if len(pain) else None
    day_pain = pain.reindex(dates)
    now = pd.Timestamp(today)
    logged = day_pain.index.isin(pain.index)
    status = pd.Series("gap", index=dates, dtype=object)
    if first is None:
        status[:] = "before_start"
    else:
        status[dates < first] = "before_start"
    status[dates == now] = "today"
    status[dates > now] = "future"
    status[logged] = "logged"  # an entry dated after today (a clock set back) still shows
    changed_days = pd.to_datetime(pd.Series(list(changed), dtype=object)).dt.normalize()
    flare_days = pd.to_datetime(pd.Series(list(flares), dtype=object)).dt.normalize()
    return pd.DataFrame(
        {
            "date": dates,
            "week": [i for i, week in enumerate(weeks) for _ in week],
            "weekday": [day.weekday() for week in weeks for day in week],
            "in_month": [day.month == month for week in weeks for day in week],
            "status": status.to_numpy(),
            "pain": day_pain.where(logged).to_numpy(dtype=float),
            "changed": dates.isin(changed_days),
            "flare": dates.isin(flare_days),
            "is_today": dates == now,
        }
    )
