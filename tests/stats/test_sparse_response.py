"""Time to response for a diary kept every second or third day.

Hand calculation (defaults: 7-day trailing mean of post-index days, at most 70 % of
the baseline for 7 days, 4 entries for a daily diary): a patient logs every third
day, pain 8 before treatment (baseline mean 8, limit 5.6) and 2 from the index day
on (−75 %). Cadence 3 days → the window needs min(4, max(2, ⌊7/3⌋)) = 2 entries.
Post-index entries fall on days 0, 3, 6, 9, …; the window of day t holds days
max(0, t − 6)..t: day 0–2 one entry (missing), from day 3 on two or three entries,
all at 2 ≤ 5.6. The first run of 7 qualifying days starts on day 3: responder at
day 3. Under a fixed 4-in-7 rule no window is ever valid: censored at the diary's
end (day 81), the failure a sparse diary used to meet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.pipeline import AnalysisSettings, per_patient
from analytics.stats import cadence_min_entries, time_to_response
from tests.frames import daily_diary, make_sessions

START = pd.Timestamp("2026-01-15")


def _every(step: int, before: float = 8.0, after: float = 2.0) -> pd.DataFrame:
    days = np.arange(-14, 82)
    pains = [(before if d < 0 else after) if (d % step == 0) else float("nan") for d in days]
    return daily_diary("p", (START - pd.Timedelta(days=14)).strftime("%Y-%m-%d"), pains)


def test_a_patient_logging_every_third_day_who_improves_75_percent_responds():
    diary = _every(3)
    index = pd.Series({"p": START})
    got = time_to_response(diary, index, pd.Series({"p": 8.0}))
    assert got[["days_to_response", "event"]].to_dict("records") == [
        {"days_to_response": 3, "event": True}
    ]
    # through the pipeline: the baseline (every third day in the 14 days before) is 8
    tables = per_patient(None, diary, make_sessions(patient_id=["p"], date=[START]))
    row = tables["patient_outcomes"].iloc[0]
    assert (row["baseline_pain"], row["pct_change"], row["days_to_response"]) == (8.0, 75.0, 3)


def test_every_second_day_needs_three_entries_and_a_daily_diary_keeps_four():
    """Every second day: windows hold 3 or 4 entries (days 0, 2, 4, 6 by day 6).

    Day 4 (days 0, 2, 4) is the first window with 3 entries: response on day 4.
    """
    got = time_to_response(_every(2), pd.Series({"p": START}), pd.Series({"p": 8.0}))
    assert got["days_to_response"].tolist() == [4] and bool(got["event"].iloc[0])
    daily = time_to_response(_every(1), pd.Series({"p": START}), pd.Series({"p": 8.0}))
    assert daily["days_to_response"].tolist() == [3]  # 4 entries: days 0-3
    assert cadence_min_entries([1, 2, 3, 4]).tolist() == [4, 3, 2, 2]
    assert cadence_min_entries([3], min_entries=1).tolist() == [1]
    assert AnalysisSettings().rolling_min_entries == 4
