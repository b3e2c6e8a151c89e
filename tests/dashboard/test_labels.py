"""The one label module: every code in words, readable column names, signs in words."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from analytics.contract.schema import ADVERSE_EVENTS, CONDITIONS, FREQUENCY_BANDS, SEXES, TECHNIQUES
from analytics.stats import (
    BY_TECHNIQUE_COLUMNS,
    DOSE_SUMMARY_COLUMNS,
    FLAGS,
    REASONS,
    RESPONSE_CATEGORIES,
    SECONDARY_MEASURES,
)
from analytics.stats._groups import COMPARISON_COLUMNS, SUMMARY_COLUMNS
from dashboard import labels

# codes the store writes: history actions, audit actions and SaveResult actions
EVENTS = ("create", "update", "delete", "import", "export", "created", "unchanged", "updated")


def test_labels_import_neither_streamlit_nor_plotly():
    code = (
        "import json, sys; import dashboard.labels; "
        "print(json.dumps(sorted(k for k in sys.modules "
        "if k.split('.')[0] in ('streamlit', 'plotly'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize(
    ("mapping", "codes"),
    [
        (labels.TECHNIQUE_LABELS, TECHNIQUES),
        (labels.TECHNIQUE_LABELS, [f"electro_{b}" for b in (*FREQUENCY_BANDS, "unknown")]),
        (labels.FREQUENCY_BAND_LABELS, (*FREQUENCY_BANDS, "unknown")),
        (labels.CONDITION_LABELS, CONDITIONS),
        (labels.ADVERSE_EVENT_LABELS, (*ADVERSE_EVENTS, "any")),
        (labels.FLAG_LABELS, FLAGS),
        (labels.REASON_LABELS, REASONS),
        (labels.CATEGORY_LABELS, (*RESPONSE_CATEGORIES, "not_evaluable")),
        (labels.EVENT_LABELS, EVENTS),
        (labels.SEX_LABELS, SEXES),
        (labels.SECONDARY_LABELS, SECONDARY_MEASURES),
    ],
)
def test_every_code_has_words(mapping, codes):
    missing = [c for c in codes if c not in mapping]
    assert not missing
    for code in codes:
        text = mapping[code]
        assert text.strip() and "_" not in text, (code, text)
        if "_" in code or len(code) <= 2:  # a code that is not already a plain word
            assert text != code, (code, text)


def test_label_functions_use_the_mappings():
    assert labels.technique_label("electro") == "Electroacupuncture (EA)"
    assert labels.frequency_band_label("mixed") == "mixed frequencies (e.g. 2/100 Hz)"
    assert labels.condition_label("tension_type_headache") == "tension-type headache"
    assert labels.adverse_event_label("bleeding") == "Bleeding"
    assert labels.event_label("update") == "changed"
    assert labels.flag_label("low_adherence") == "📉 low adherence"
    assert labels.reason_label("zero_baseline").startswith("baseline pain is 0")
    assert labels.sex_label("U") == "not stated"
    # unknown codes read as words; missing values as the dash
    assert labels.condition_label("frozen_shoulder") == "frozen shoulder"
    assert labels.event_label(None) == labels.MISSING
    assert labels.frequency_band_label(np.nan) == labels.MISSING


TREATMENT_RESPONSE_COLUMNS = [
    *SUMMARY_COLUMNS,
    *COMPARISON_COLUMNS,
    *BY_TECHNIQUE_COLUMNS,
    *DOSE_SUMMARY_COLUMNS,
]


def test_every_treatment_response_column_has_a_readable_name():
    unnamed = [c for c in TREATMENT_RESPONSE_COLUMNS if c not in labels.COLUMN_LABELS]
    assert not unnamed
    for column in TREATMENT_RESPONSE_COLUMNS:
        text = labels.column_label(column)
        assert "_" not in text, text
        # no statistician's shorthand on its own
        assert text.lower() not in {"nnt", "rd", "rd ci low", "ci low", "p"}, text
    assert labels.column_label("rd_ci_low") == "risk difference, 95% CI low"
    assert labels.column_label("rd_ci_high") == "risk difference, 95% CI high"
    assert "nnt" not in labels.column_label("nnt")
    assert labels.column_label("mean_change") == ("mean pain reduction, points (positive = better)")


def test_columns_whose_meaning_depends_on_the_table():
    comparison = labels.column_labels(COMPARISON_COLUMNS, "group_comparison")
    assert comparison["ci_low"] == "adjusted difference, 95% CI low"
    assert comparison["rd_ci_low"] == "risk difference, 95% CI low"
    dose = labels.column_labels(DOSE_SUMMARY_COLUMNS, "dose_summary")
    assert dose["ci_high"] == "mean pain reduction, 95% CI high"
    assert labels.column_label("brand_new_column") == "brand new column"


def test_every_change_column_states_its_direction_in_words():
    for column in (
        "mean_change",
        "pct_change_of_means",
        "change",
        "pct_change",
        "short_term_change",
    ):
        assert "(positive = better)" in labels.column_label(column)
    assert "(negative = less pain in A)" in labels.column_label("adjusted_difference")


@pytest.mark.parametrize(
    ("value", "spec", "expected"),
    [
        (-0.0, ".2f", "0.00"),
        (-0.001, ".2f", "0.00"),
        (-0.004999, ".2f", "0.00"),
        (-0.006, ".2f", "−0.01"),
        (0.0, "+.1f", "0.0"),
        (-0.04, "+.1f", "0.0"),
        (1.25, "+.1f", "+1.3"),  # half away from zero (format alone gives +1.2)
        (-2.45, "+.1f", "−2.5"),
        (0.565, ".0%", "57%"),
        (-1.5, "+.1f", "−1.5"),
        (-0.001, ".0%", "0%"),
        (-0.25, ".0%", "−25%"),
        (-3, "d", "−3"),
        (np.nan, ".2f", labels.MISSING),
        (None, ".2f", labels.MISSING),
        (pd.NA, ".2f", labels.MISSING),
        (float("-inf"), ".2f", "−inf"),
        ("text", ".2f", "text"),
    ],
)
def test_number_text_never_shows_a_negative_zero(value, spec, expected):
    assert labels.number_text(value, spec) == expected


def test_drop_negative_zero_only_changes_what_would_show_as_minus_zero():
    frame = pd.DataFrame(
        {"rd": [-0.001, -0.0049, -0.005, -0.2, 0.003, np.nan], "name": list("abcdef")}
    )
    out = labels.drop_negative_zero(frame, digits=2)
    expected = [0.0, 0.0, -0.005, -0.2, 0.003, np.nan]
    np.testing.assert_array_equal(out["rd"].to_numpy(), expected)
    assert not np.signbit(out["rd"].to_numpy()[:2]).any()
    assert list(out["name"]) == list("abcdef")
    assert frame["rd"].iloc[0] == -0.001  # input untouched
    series = labels.drop_negative_zero(pd.Series([-0.0004, 0.5]), digits=3)
    assert list(series) == [0.0, 0.5]
    assert f"{-0.001:.2f}" == "-0.00" and f"{out['rd'].iloc[0]:.2f}" == "0.00"


@pytest.mark.parametrize(
    ("measure", "change", "improvement", "words"),
    [
        # change = baseline − follow-up (analytics.stats)
        ("sleep_quality", -2.41, 2.41, "better by 2.4 points"),  # slept better
        ("sleep_quality", 1.0, -1.0, "worse by 1.0 point"),
        ("mood", -0.5, 0.5, "better by 0.5 points"),
        ("stress", 2.0, 2.0, "better by 2.0 points"),  # less stress
        ("stress", -3.0, -3.0, "worse by 3.0 points"),
        ("peg", 1.25, 1.25, "better by 1.2 points"),
        ("analgesic_doses", -1.0, -1.0, "worse by 1.0 dose"),
        ("opioid_mme", 15.0, 15.0, "better by 15.0 MME"),
        ("mood", 0.01, -0.01, "no change"),
    ],
)
def test_secondary_changes_in_better_or_worse_words(measure, change, improvement, words):
    assert labels.improvement(measure, change) == pytest.approx(improvement)
    assert labels.change_words(measure, change) == words


def test_missing_secondary_change():
    assert np.isnan(labels.improvement("mood", np.nan))
    assert labels.change_words("mood", None) == labels.MISSING


def test_higher_is_better_only_for_sleep_and_mood():
    assert labels.HIGHER_IS_BETTER == {"sleep_quality", "mood"}
    assert labels.HIGHER_IS_BETTER <= set(SECONDARY_MEASURES)


@pytest.mark.parametrize(
    ("reduction", "words"),
    [
        (2.44, "2.4 points less pain"),
        (-1.0, "1.0 point more pain"),
        (0.02, "no change in pain"),
        (np.nan, labels.MISSING),
    ],
)
def test_pain_change_words(reduction, words):
    assert labels.pain_change_words(reduction) == words
