"""The Treatment response page: small groups show counts, percentages are whole.

The numbers come from ``analytics.stats`` (tested against scipy/statsmodels in
``tests/stats/test_small_groups.py``); here: what the page and its chart print.
"""

from __future__ import annotations

import re

import pandas as pd

from analytics.stats import group_summary
from dashboard import charts

from .conftest import open_page

TOO_FEW = "too few patients to compare (n < 5 per group)"


def test_responder_chart_hover_says_too_few_instead_of_an_interval():
    outcomes = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(8)],
            "group": ["big"] * 6 + ["small"] * 2,
            "baseline_pain": [6.0] * 8,
            "followup_pain": [2.0, 3.0, 5.0, 6.0, 2.5, 4.0, 2.0, 6.0],
        }
    )
    summary = group_summary(outcomes)
    bar = charts.responder_rates(summary, by="group").data[0]
    big, small = (list(row) for row in bar.customdata)
    assert big == ["4 of 6 (67%)", "30% to 90%"]
    assert small == ["1 of 2 (50%)", "too few patients to compare"]
    assert "nan" not in bar.hovertemplate


def test_treatment_response_tables_print_counts_and_whole_percentages(demo_db):
    at = open_page("views/treatment_response.py", user="admin")
    assert not at.exception, at.exception
    tables = [t.value for t in at.dataframe if {"group", "responders"} <= set(t.value.columns)]
    pairs = [t.value for t in at.dataframe if "group_a" in t.value.columns]
    assert len(tables) == 3 and len(pairs) == 3
    condition = tables[1]
    small = condition["n_patients"].astype(int) < 5
    assert small.any()
    assert condition.loc[small, "responder_ci"].eq(TOO_FEW).all()
    assert condition.loc[small, "mean_change_ci"].eq(TOO_FEW).all()
    assert condition["responders"].str.fullmatch(r"\d+ of \d+ \(\d+%\)").all()
    # no decimal percentage anywhere in the group tables ("33.33%" beside "50%")
    text = " ".join(frame.astype(str).to_string() for frame in tables + pairs)
    assert not re.search(r"\d\.\d+%", text)
    captions = " ".join(c.value for c in at.caption)
    assert "follow-up pain of A minus B adjusted for baseline pain, negative" in captions
