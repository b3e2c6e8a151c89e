"""A daily diary reminder as an iCalendar (.ics) file: reminders without a server.

The patient downloads the file once and opens it with any calendar (phone or
desktop); the calendar then reminds them every day at the chosen time, with a
link back to the app. Nothing is sent anywhere: no e-mail, no push service.

The file follows RFC 5545 (Internet Calendaring and Scheduling Core Object
Specification): CRLF line endings (section 3.1), content lines folded at 75
octets (3.1), TEXT values escaped (3.3.11), a daily ``RRULE`` (3.3.10), a
``VALARM`` with a ``DISPLAY`` action (3.6.6) and a ``UID`` that stays the same
for the same patient and app, so downloading a new file with another time
updates the reminder instead of adding a second one.

The time is a *floating* local time (RFC 5545 section 3.3.5, form #1: no ``Z``,
no ``TZID``): "20:00" stays 20:00 wherever the person is, also after a change to
or from daylight saving time, and no time-zone table has to be shipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from analytics.checks import check_int

__all__ = [
    "ICS_MEDIA_TYPE",
    "ICS_FILE_NAME",
    "escape_text",
    "fold_line",
    "reminder_calendar",
]

#: Media type of the file (RFC 5545 section 8.1), for a download button.
ICS_MEDIA_TYPE = "text/calendar"
#: Suggested file name of the download.
ICS_FILE_NAME = "paindiary-reminder.ics"

_PRODID = "-//paindiary//Daily diary reminder//EN"
_CRLF = "\r\n"
_MAX_OCTETS = 75
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_URL_RE = re.compile(r"^https?://[^\s\"<>\\^`{|}]+$")


def escape_text(value: str) -> str:
    r"""Escape a TEXT property value as RFC 5545 section 3.3.11 requires.

    Backslash, semicolon and comma get a backslash; a line break (CRLF, CR or
    LF) becomes the two characters ``\n``.

    >>> escape_text("pain, sleep; mood\\notes\nok")
    'pain\\, sleep\\; mood\\\\notes\\nok'
    """
    text = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """One content line folded into lines of at most 75 octets (RFC 5545 section 3.1).

    Each continuation line starts with a single space, which counts towards its
    75 octets. A multi-octet UTF-8 character is never split. The result has no
    trailing CRLF.
    """
    raw = line.encode("utf-8")
    if len(raw) <= _MAX_OCTETS:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = _MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
            limit = _MAX_OCTETS - 1  # the leading space of a continuation line
        current += char
        size += width
    parts.append(current)
    return (_CRLF + " ").join(parts)


def _check_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str):
        match = _TIME_RE.match(value.strip())
        if match:
            return dt.time(int(match.group(1)), int(match.group(2)))
    raise ValueError(
        "The 'time' parameter of reminder_calendar must be a datetime.time or a 'HH:MM' "
        f"string from 00:00 to 23:59. Got {value!r} instead."
    )


def _check_url(value: Any) -> str:
    if isinstance(value, str) and _URL_RE.match(value):
        return value
    raise ValueError(
        "The 'url' parameter of reminder_calendar must be an http:// or https:// address "
        f"without spaces or line breaks. Got {value!r} instead."
    )


def _check_text(value: Any, name: str, max_len: int) -> str:
    if isinstance(value, str) and value.strip() and len(value) <= max_len:
        return value
    raise ValueError(
        f"The '{name}' parameter of reminder_calendar must be a non-empty str of at most "
        f"{max_len} characters. Got {value!r} instead."
    )


def _utc_stamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(
            "The 'now' parameter of reminder_calendar must be a timezone-aware datetime. "
            f"Got {moment!r} instead."
        )
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def reminder_calendar(
    *,
    time: dt.time | str,
    url: str,
    start: dt.date | None = None,
    uid_seed: str = "",
    summary: str = "Log today's pain diary",
    description: str | None = None,
    alarm_minutes_before: int = 0,
    duration_minutes: int = 5,
    now: dt.datetime | None = None,
) -> str:
    r"""Write an iCalendar file with a daily reminder to log the pain diary.

    Parameters
    ----------
    time : datetime.time or str
        Local time of the reminder, e.g. ``"20:00"`` (floating time: the same
        clock time in every time zone).
    url : str
        Address of the app (``http://`` or ``https://``), put in the event's
        ``URL`` and in its description.
    start : datetime.date, optional
        First day of the reminder; default: today.
    uid_seed : str
        Text that makes the ``UID`` differ between people sharing an app (e.g.
        the patient id). Only a hash of it is written to the file.
    summary : str
        Title of the event (at most 200 characters).
    description : str, optional
        Body of the event; default: a sentence with the link.
    alarm_minutes_before : int
        Minutes before the event at which the alarm goes off, in [0, 1440].
    duration_minutes : int
        Length of the event in the calendar, in [1, 60].
    now : datetime.datetime, optional
        Time stamp of the file (``DTSTAMP``), timezone-aware; default: now.

    Returns
    -------
    str
        The calendar: lines joined and ended by CRLF, folded at 75 octets. Write
        it as UTF-8 (``.encode("utf-8")``) with media type :data:`ICS_MEDIA_TYPE`.

    Raises
    ------
    ValueError
        In scikit-learn's wording for a malformed time, address, text, a number
        out of range or a naive ``now``.

    Notes
    -----
    RFC 5545: VCALENDAR with VERSION 2.0 and PRODID; one VEVENT with UID,
    DTSTAMP, floating DTSTART, DURATION, ``RRULE:FREQ=DAILY``, SUMMARY,
    DESCRIPTION, URL and a VALARM (ACTION DISPLAY, TRIGGER relative to the
    start). The UID is ``<sha256(uid_seed | url)[:32]>@paindiary``: the same
    person and app always get the same UID.

    Examples
    --------
    >>> ics = reminder_calendar(time="20:00", url="http://localhost:8501",
    ...     start=dt.date(2026, 3, 1), now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    >>> "DTSTART:20260301T200000\r\n" in ics and "RRULE:FREQ=DAILY\r\n" in ics
    True
    """
    func = "reminder_calendar"
    at = _check_time(time)
    link = _check_url(url)
    title = _check_text(summary, "summary", 200)
    body = description if description is not None else f"Time to log today's pain diary: {link}"
    body = _check_text(body, "description", 2000)
    before = check_int(alarm_minutes_before, "alarm_minutes_before", func, 0, 1440)
    length = check_int(duration_minutes, "duration_minutes", func, 1, 60)
    if not isinstance(uid_seed, str):
        raise ValueError(
            f"The 'uid_seed' parameter of {func} must be a str. Got {uid_seed!r} instead."
        )
    if start is None:
        start = dt.date.today()
    elif not isinstance(start, dt.date):
        raise ValueError(
            f"The 'start' parameter of {func} must be a datetime.date. Got {start!r} instead."
        )
    if isinstance(start, dt.datetime):
        start = start.date()
    stamp = _utc_stamp(now if now is not None else dt.datetime.now(dt.UTC))
    digest = hashlib.sha256(f"{uid_seed}|{link}".encode()).hexdigest()[:32]
    begins = dt.datetime.combine(start, at)
    trigger = f"-PT{before}M" if before else "PT0M"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{digest}@paindiary",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{begins:%Y%m%dT%H%M%S}",
        f"DURATION:PT{length}M",
        "RRULE:FREQ=DAILY",
        f"SUMMARY:{escape_text(title)}",
        f"DESCRIPTION:{escape_text(body)}",
        f"URL:{link}",
        "TRANSP:TRANSPARENT",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{escape_text(title)}",
        f"TRIGGER:{trigger}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold_line(line) + _CRLF for line in lines)
