"""The daily reminder calendar: parsed back by the icalendar package, RFC 5545 rules checked."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from analytics.io import ICS_MEDIA_TYPE, escape_text, fold_line, reminder_calendar

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
URL = "https://diary.example.org/?page=log_today"


def _ics(**kw) -> str:
    args = {"time": "20:15", "url": URL, "start": dt.date(2026, 3, 2), "now": NOW}
    return reminder_calendar(**{**args, **kw})


def _event(text: str):
    cal = icalendar.Calendar.from_ical(text)
    (event,) = cal.walk("VEVENT")
    return cal, event


def test_parses_back_as_a_daily_event_with_an_alarm_and_a_link():
    cal, event = _event(_ics(uid_seed="P001"))
    assert str(cal["VERSION"]) == "2.0" and "paindiary" in str(cal["PRODID"])
    assert event.decoded("DTSTART") == dt.datetime(2026, 3, 2, 20, 15)  # floating: no tzinfo
    assert event.decoded("DURATION") == dt.timedelta(minutes=5)
    assert event.decoded("DTSTAMP") == NOW
    assert dict(event["RRULE"]) == {"FREQ": ["DAILY"]}
    assert str(event["URL"]) == URL
    assert str(event["SUMMARY"]) == "Log today's pain diary"
    assert URL in str(event["DESCRIPTION"])
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == dt.timedelta(0)
    assert str(alarm["DESCRIPTION"])


def test_alarm_can_go_off_before_the_event():
    _, event = _event(_ics(alarm_minutes_before=15, time=dt.time(7, 5)))
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -dt.timedelta(minutes=15)
    assert event.decoded("DTSTART") == dt.datetime(2026, 3, 2, 7, 5)


def test_uid_is_stable_for_the_same_person_and_app():
    uid = str(_event(_ics(uid_seed="P001"))[1]["UID"])
    again = str(
        _event(_ics(uid_seed="P001", time="08:00", now=NOW + dt.timedelta(days=3)))[1]["UID"]
    )
    other = str(_event(_ics(uid_seed="P002"))[1]["UID"])
    assert uid == again != other
    assert uid.endswith("@paindiary") and "P001" not in uid


def test_lines_end_with_crlf_and_are_at_most_75_octets():
    text = _ics(description="é" * 120 + " 🙂" * 40 + " " + "x" * 200)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    for line in lines:
        raw = line.encode("utf-8")
        assert len(raw) <= 75, line
        raw.decode("utf-8")  # no multi-octet character split across lines
    folded = [line for line in lines if line.startswith(" ")]
    assert len(folded) >= 5
    # unfolding (RFC 5545 section 3.1: remove CRLF + one space) gives the line back
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:" + "é" * 120 + " 🙂" * 40 + " " + "x" * 200 + "\r\n" in unfolded
    _, event = _event(text)
    assert str(event["DESCRIPTION"]) == "é" * 120 + " 🙂" * 40 + " " + "x" * 200


def test_fold_line_rules():
    assert fold_line("A" * 75) == "A" * 75
    folded = fold_line("A" * 76)
    assert folded == "A" * 75 + "\r\n A"
    # continuation lines hold 74 octets after their space
    assert fold_line("B" * 75 + "C" * 80).split("\r\n") == ["B" * 75, " " + "C" * 74, " " + "C" * 6]
    # a 2-octet character that would straddle the 75th octet moves to the next line
    parts = fold_line("a" * 74 + "é" + "z").split("\r\n")
    assert parts == ["a" * 74, " éz"]


def test_text_escaping_rules():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    assert escape_text("x\r\ny\rz") == "x\\ny\\nz"
    note = 'Pain, sleep; mood \\ stress\nsecond line "quoted"'
    text = _ics(summary="Diary; pain, mood", description=note)
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:Diary\\; pain\\, mood\r\n" in unfolded
    assert 'DESCRIPTION:Pain\\, sleep\\; mood \\\\ stress\\nsecond line "quoted"\r\n' in unfolded
    _, event = _event(text)
    assert str(event["SUMMARY"]) == "Diary; pain, mood"
    assert str(event["DESCRIPTION"]) == note


def test_media_type():
    assert ICS_MEDIA_TYPE == "text/calendar"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"time": "24:00"}, "The 'time' parameter of reminder_calendar must be"),
        ({"time": "8pm"}, "The 'time' parameter of reminder_calendar"),
        ({"time": 20}, "The 'time' parameter of reminder_calendar"),
        ({"url": "javascript:alert(1)"}, "The 'url' parameter of reminder_calendar"),
        ({"url": "https://x.org/\r\nATTACH:evil"}, "The 'url' parameter of reminder_calendar"),
        ({"url": "https://x.org/a b"}, "The 'url' parameter of reminder_calendar"),
        ({"summary": ""}, "The 'summary' parameter of reminder_calendar"),
        ({"description": "x" * 2001}, "The 'description' parameter of reminder_calendar"),
        ({"alarm_minutes_before": -1}, r"'alarm_minutes_before' parameter .* \[0, 1440\]"),
        ({"duration_minutes": 0}, "The 'duration_minutes' parameter of reminder_calendar"),
        ({"start": "2026-03-02"}, "The 'start' parameter of reminder_calendar"),
        ({"uid_seed": 1}, "The 'uid_seed' parameter of reminder_calendar"),
        ({"now": dt.datetime(2026, 3, 1)}, "The 'now' parameter of reminder_calendar"),
    ],
)
def test_bad_parameters_raise_in_scikit_learn_wording(kw, message):
    with pytest.raises(ValueError, match=message) as info:
        _ics(**kw)
    assert "Got " in str(info.value) and str(info.value).endswith("instead.")


def test_a_line_break_in_stored_text_cannot_add_a_property():
    text = _ics(summary="Diary\r\nATTACH:https://evil.example")
    assert "\r\nATTACH" not in text
    _, event = _event(text)
    assert "ATTACH" not in event
