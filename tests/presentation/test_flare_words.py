"""The patient's flare sentences and the clinician's line, from a hand-counted flare table."""

from __future__ import annotations

import pandas as pd

from analytics.contract import empty_entries, empty_frame
from analytics.pipeline import analysis_diary, flares
from analytics.presentation import flare_duration_text, flare_line, flare_sentences


def _table() -> pd.DataFrame:
    """P1: first session 15 March; 14 baseline days with 2 flares, 14 later days with 1."""
    days = pd.date_range("2026-03-01", "2026-03-28")
    diary = empty_frame("diary").reindex(range(len(days)))
    diary["patient_id"] = "P1"
    diary["date"] = days
    diary["pain"] = 4.0
    sessions = empty_frame("sessions").reindex(range(1))
    sessions.loc[0, ["patient_id", "date", "technique"]] = [
        "P1",
        pd.Timestamp("2026-03-15 09:00"),
        "manual",
    ]
    rows = [  # date, pain, flare, minutes, rescue, helped
        ("2026-03-03", 8, "yes", 30, "ibuprofen", "yes"),
        ("2026-03-09", 7, "yes", 90, "ibuprofen", "no"),
        ("2026-03-20", 9, "yes", 200, "paracetamol", "a_little"),
        ("2026-03-21", 3, "no", None, None, None),
    ]
    entries = empty_entries().reindex(range(len(rows)))
    entries["patient_id"] = "P1"
    entries["date"] = pd.to_datetime([r[0] for r in rows]).astype(entries["date"].dtype)
    entries["time"] = "10:00"
    entries["pain"] = [r[1] for r in rows]
    entries["flare"] = [r[2] for r in rows]
    entries["duration_minutes"] = pd.array([r[3] for r in rows], dtype="Int64")
    entries["rescue_medication"] = [r[4] for r in rows]
    entries["rescue_helped"] = [r[5] for r in rows]
    entries = entries.astype(empty_entries().dtypes.to_dict())
    return flares(analysis_diary(diary, entries), entries, None, sessions)


def test_the_words_say_the_hand_counted_numbers() -> None:
    table = _table()
    # by hand: 2 flares in 14 logged baseline days = 4 per 28 days; 1 in the last 14 = 2;
    # durations 30, 90, 200 min: median 90; rescue helped "yes" and "a_little" of 3 answers
    assert flare_sentences(table) == [
        "Lately you logged about 2 flares per 4 weeks; before treatment, about 4 flares per "
        "4 weeks.",
        "A typical flare lasted 1 h 30 min.",
        "Your rescue medicine helped 2 of 3 times.",
    ]
    assert flare_line(table) == (
        "Flares per 4 weeks: 4.0 before, 2.0 at follow-up (2.0 fewer). 3 flares in 4 entries. "
        "Median flare 1 h 30 min (3 with a duration). Rescue medicine helped 2 of 3 answered "
        "uses (3 taken)."
    )


def test_nothing_is_said_without_entries() -> None:
    assert flare_sentences(None) == [] and flare_sentences(pd.DataFrame()) == []
    assert flare_line(None) == ""
    assert flare_duration_text(None) == "" and flare_duration_text(59.6) == "1 h"
