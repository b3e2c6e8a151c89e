"""Today's date, for every page: the day the status columns count back from.

One clock for the whole app, so that a test fixes the day in one place
(``monkeypatch.setattr(clock, "today", ...)``) and the numbers do not move with the
calendar. Callers look it up as ``clock.today()`` at call time.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["today", "now", "zone"]


def today() -> dt.date:
    """Return the server's local date."""
    return dt.date.today()


def now() -> dt.datetime:
    """Return the server's local time (naive, to the minute the forms use)."""
    return dt.datetime.now().replace(second=0, microsecond=0)


def zone() -> str:
    """Name the server's time zone, the clinic time every form uses (e.g. ``"CET"``)."""
    return dt.datetime.now().astimezone().tzname() or "local time"
