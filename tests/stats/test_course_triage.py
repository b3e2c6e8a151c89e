"""Triage of the clinic overview: active courses, clinical signals before logging gaps.

Hand-built patients, each with one known signal; the expected order is worked out
by hand from the rule in the docstring of ``course_triage``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.stats import course_triage

NAN = float("nan")
AS_OF = "2026-06-01"


def _outcomes(**rows: dict) -> pd.DataFrame:
    base = {
        "change": 1.0,
        "slope_ci_low": NAN,
        "change_opioid_mme": NAN,
        "flag_recent_adverse_event": False,
        "not_logging": False,
        "flag_low_adherence": False,
        "flag_insufficient_baseline": False,
        "days_since_last_entry": 1,
    }
    return pd.DataFrame([{"patient_id": pid, **base, **row} for pid, row in rows.items()])


def _courses(**rows: tuple[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"patient_id": pid, "course_state": state, "last_session": pd.Timestamp(last)}
            for pid, (state, last) in rows.items()
        ],
        columns=["patient_id", "course_state", "last_session"],
    )


def test_clinical_signals_come_before_gaps_and_only_active_courses_need_attention() -> None:
    out = _outcomes(
        gap_long={"not_logging": True, "days_since_last_entry": 40},
        gap_short={"not_logging": True, "days_since_last_entry": 9},
        worse_a_little={"change": -0.1, "not_logging": True, "days_since_last_entry": 30},
        worse_a_lot={"change": -2.5},
        opioid={"change_opioid_mme": -25.0},
        small_opioid={"change_opioid_mme": -19.9},
        rising={"slope_ci_low": 0.05},
        adverse={"flag_recent_adverse_event": True},
        fine={},
        paused_worse={"change": -3.0},
        ended_worse={"change": -3.0, "not_logging": True},
    )
    courses = _courses(paused_worse=("paused", "2026-05-20"), ended_worse=("ended", "2026-01-10"))
    t = course_triage(out, courses, as_of=AS_OF)
    assert t["patient_id"].tolist() == [
        # worse than baseline first, the largest rise of pain first
        "worse_a_lot",
        "worse_a_little",
        "rising",
        "adverse",
        "opioid",
        # gaps: the longest silence first
        "gap_long",
        "gap_short",
        "fine",
        "small_opioid",  # 19.9 MME is below the 20 MME of a large rise
        "paused_worse",
        "ended_worse",
    ]
    attention = t.set_index("patient_id")["needs_attention"]
    assert attention[attention].index.tolist() == [
        "worse_a_lot", "worse_a_little", "rising", "adverse", "opioid", "gap_long", "gap_short"
    ]  # fmt: skip
    row = t.set_index("patient_id").loc["worse_a_little"]
    # any negative change is "worse than baseline", not only the -2 point / -30 % flag
    assert row["signals"] == "worse_than_baseline;not_logging"
    assert t["triage_group"].tolist() == [0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 4]


@pytest.mark.parametrize(
    ("last_session", "probably"), [("2026-04-06", True), ("2026-04-07", False)]
)
def test_no_session_for_the_quiet_weeks_is_probably_ended_not_not_logging(
    last_session: str, probably: bool
) -> None:
    # 2026-04-06 is 56 days (8 weeks) before AS_OF; a day later is 7.86 weeks
    out = _outcomes(p={"not_logging": True, "days_since_last_entry": 20})
    t = course_triage(out, _courses(p=("active", last_session)), as_of=AS_OF, quiet_weeks=8)
    row = t.iloc[0]
    assert bool(row["probably_ended"]) is probably
    assert bool(row["not_logging"]) is not probably
    assert row["signals"] == ("probably_ended" if probably else "not_logging")
    assert row["weeks_since_session"] == pytest.approx(
        (pd.Timestamp(AS_OF) - pd.Timestamp(last_session)).days / 7
    )
    assert bool(row["needs_attention"])


def test_a_patient_without_a_course_row_or_a_session_is_active_and_never_probably_ended() -> None:
    out = _outcomes(p={"not_logging": True})
    t = course_triage(out, _courses(), as_of=AS_OF)
    assert t.iloc[0]["course_state"] == "active"
    assert np.isnan(t.iloc[0]["weeks_since_session"])
    assert not t.iloc[0]["probably_ended"] and t.iloc[0]["not_logging"]


def test_quiet_weeks_is_checked_in_words() -> None:
    with pytest.raises(ValueError, match="'quiet_weeks' parameter of course_triage"):
        course_triage(_outcomes(p={}), _courses(), as_of=AS_OF, quiet_weeks=0)
