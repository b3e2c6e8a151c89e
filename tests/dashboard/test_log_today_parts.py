"""The pure parts of Log today: which sessions are asked about, and the words of additions."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.components.entry_form import describe_additions, entry_changes, needs_question
from dashboard.components.entry_now import describe_entry_now, entry_record
from dashboard.components.session_pain import open_sessions

TODAY = dt.date(2026, 12, 6)


def test_sessions_of_the_last_seven_days_missing_a_score_are_asked_about() -> None:
    sessions = pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2026-11-28 09:00", "2026-11-29 09:00", "2026-12-02 10:00", "2026-12-04 11:00",
                 "2026-12-06 08:30"]
            ),
            "pain_before": [None, None, 6.0, 5.0, None],
            "pain_after": [None, 3.0, None, 2.0, None],
        }
    )  # fmt: skip
    before = sessions.copy()
    asked = open_sessions(sessions, TODAY)
    # 28 Nov is 8 days back; 4 Dec has both scores
    assert list(asked["date"].dt.day) == [29, 2, 6]
    pd.testing.assert_frame_equal(sessions, before)  # the input is untouched
    assert open_sessions(sessions.iloc[0:0], TODAY).empty


def test_additions_are_saved_at_once_and_a_changed_value_is_asked_about() -> None:
    stored = {"pain": 5.0, "notes": "stiff"}
    added = entry_changes(stored, {**stored, "sleep_quality": 4, "mood": 6})
    assert not needs_question(added)
    assert describe_additions(added) == "sleep 4, mood 6"
    changed = entry_changes(stored, {"pain": 3, "notes": "stiff", "mood": 6})
    assert needs_question(changed)
    cleared = entry_changes(stored, {"pain": 5.0, "notes": ""})
    assert needs_question(cleared)


def test_an_entry_now_is_saved_in_minutes_and_says_when_it_will_ask() -> None:
    record = entry_record(day=dt.date(2026, 12, 6), at=dt.time(14, 30), pain=8, flare=True,
                          duration=1.5, unit="hours", medicine="ibuprofen")  # fmt: skip
    assert record["duration_minutes"] == 90 and record["time"] == "14:30"
    assert describe_entry_now(record) == (
        "Saved: pain 8/10 at 14:30, a flare of 1 h 30 min, ibuprofen taken — we will ask at "
        "16:30 whether it helped."
    )
    plain = entry_record(day=dt.date(2026, 12, 6), at=dt.time(9, 5), pain=4, flare=False,
                         duration=None, unit="minutes", medicine=None)  # fmt: skip
    assert describe_entry_now(plain) == "Saved: pain 4/10 at 09:05."
