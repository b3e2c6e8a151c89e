"""The patient's headache sentence and the clinician's line, from an outcome row."""

from __future__ import annotations

import numpy as np

from analytics.presentation import headache_line, headache_sentence

ROW = {
    "headache_patient": True,
    "baseline_headache_days": 14.0,
    "followup_headache_days": 9.0,
    "followup_headache_n": 28,
    "change_headache_days": 5.0,
    "pct_change_headache_days": 100 * 5 / 14,
    "headache_responder_50": False,
    "baseline_migraine_days": np.nan,
    "followup_migraine_days": np.nan,
}


def test_the_patient_sentence() -> None:
    assert headache_sentence(ROW) == (
        "You had 9 headache days in the last 4 weeks, 5 fewer than before treatment."
    )
    scaled = {**ROW, "followup_headache_n": 20, "followup_headache_days": 1.4}
    assert headache_sentence(scaled, before="you joined the waiting list") == (
        "You had about 1 headache day in the last 4 weeks, 13 fewer than before you joined "
        "the waiting list."
    )
    assert headache_sentence({**ROW, "baseline_headache_days": np.nan}).endswith("4 weeks.")
    assert headache_sentence({**ROW, "followup_headache_days": np.nan}).startswith("Not enough")
    assert headache_sentence({**ROW, "headache_patient": False}) == ""
    assert headache_sentence(None) == ""


def test_the_clinician_line() -> None:
    assert headache_line(ROW) == (
        "Headache days per 4 weeks: 14.0 before, 9.0 at follow-up (5.0 fewer, 36%; "
        "not a 50% responder)."
    )
    marked = {**ROW, "baseline_migraine_days": 8.0, "followup_migraine_days": 3.5}
    assert headache_line(marked).endswith("Migraine days: 8.0 before, 3.5 at follow-up.")
    assert headache_line({"headache_patient": False}) == ""
