"""AnalysisSettings is the one home of defaults, ranges and help; the CLI and the sidebar follow it."""

from __future__ import annotations

import argparse
import dataclasses

import pandas as pd
import pytest

from analytics.cli import build_parser
from analytics.pipeline import AnalysisSettings, per_patient
from analytics.settings import add_arguments, from_arguments, options
from analytics.stats import time_to_response
from tests.frames import daily_diary, make_sessions


def test_every_field_has_an_option_with_help_and_a_range():
    names = [f.name for f in dataclasses.fields(AnalysisSettings)]
    assert [f.name for f, _ in options()] == names
    for f, opt in options():
        assert opt.help and opt.kind in {"int", "float", "date", "text"}, f.name
        if opt.kind in ("int", "float"):
            assert opt.low is not None
            default = f.default
            if default is not None:
                assert opt.low <= default <= (opt.high if opt.high is not None else default)
        if opt.widget:
            assert opt.label and opt.ui_low is not None and opt.ui_high is not None and opt.step


@pytest.mark.parametrize(
    ("name", "opt"), [(f.name, o) for f, o in options() if o.kind in ("int", "float")]
)
def test_range_of_each_option_is_enforced(name, opt):
    too_low = opt.low - (1 if opt.kind == "int" else 0.001)
    with pytest.raises(ValueError, match=f"The '{name}' parameter of AnalysisSettings"):
        AnalysisSettings(**{name: type(opt.low)(too_low) if opt.kind == "int" else too_low})
    if opt.high is not None:
        with pytest.raises(ValueError, match=f"'{name}'"):
            AnalysisSettings(**{name: opt.high + 1})


def test_cli_options_are_generated_from_the_settings():
    parser = build_parser()
    args = parser.parse_args(["analyze", "data", "--out", "out"])
    assert from_arguments(args) == AnalysisSettings()
    args = parser.parse_args(
        ["analyze", "d", "--out", "o", "--min-entries", "3", "--trend-window-days", "5"]
    )
    assert from_arguments(args) == AnalysisSettings(min_entries=3, trend_window_days=5)
    help_text = parser._subparsers._group_actions[0].choices["analyze"].format_help()  # noqa: SLF001
    for f, opt in options():
        if opt.cli:
            assert "--" + f.name.replace("_", "-") in help_text


def test_out_of_range_cli_value_gets_the_library_message():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(ValueError, match=r"'baseline_days' parameter .* \[1, 3650\]"):
        from_arguments(parser.parse_args(["--baseline-days", "0"]))


def test_session_min_entries_cannot_exceed_its_window():
    with pytest.raises(ValueError, match="session_min_entries"):
        AnalysisSettings(session_window_days=2, session_min_entries=3)


def test_dashboard_widgets_are_generated_from_the_settings():
    from dashboard.components import settings_panel

    widget_fields = [f.name for f, opt in options() if opt.widget]
    assert list(settings_panel.DEFAULTS) == widget_fields
    defaults = AnalysisSettings()
    for name, value in settings_panel.DEFAULTS.items():
        assert value == (getattr(defaults, name) or 0)


def test_time_to_response_takes_min_entries_and_window_from_the_settings():
    """The sidebar's fewest-entries setting reaches the trailing mean inside time to response.

    Hand calculation: baseline 14 days at 8 (mean 8, 70 % = 5.6); from the index
    day (2026-01-15) the patient logs pain 2 on three days in a row, then skips four
    (days 0-2, 7-9, ..., 35-37): the median gap between entries is 1 day, so the
    daily minimum applies (tests/stats/test_sparse_response.py covers sparser
    cadences), and every 7-day window from day 2 on holds exactly 3 entries.
    """
    pains = [8.0] * 14 + [2.0 if i % 7 < 3 else float("nan") for i in range(38)]
    # With >= 3 every window from day 2 (days 0, 1, 2) is valid and <= 5.6, so the
    # run starts on day 2. With >= 4 no window is ever valid: censored at day 37.
    diary = daily_diary("p", "2026-01-01", pains)
    sessions = make_sessions(patient_id=["p"], date=["2026-01-15"])
    idx = pd.Series({"p": pd.Timestamp("2026-01-15")})
    base = pd.Series({"p": 8.0})
    for m in (3, 4):
        tables = per_patient(None, diary, sessions, AnalysisSettings(min_entries=m))
        direct = time_to_response(diary, idx, base, min_entries=m)
        got = tables["time_to_response"]
        assert got["days_to_response"].tolist() == direct["days_to_response"].tolist()
    few = per_patient(None, diary, sessions, AnalysisSettings(min_entries=3))["time_to_response"]
    many = per_patient(None, diary, sessions, AnalysisSettings(min_entries=4))["time_to_response"]
    assert few["days_to_response"].tolist() == [2]
    assert many["days_to_response"].tolist() == [37] and not many["event"].iloc[0]


def test_docs_list_every_setting_with_its_option_and_default():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "analytics.md").read_text("utf-8")
    table = doc.split("### Settings: one home")[1].split("\n### ")[0]
    for f, _ in options():
        flag = "--" + f.name.replace("_", "-")
        line = next((ln for ln in table.splitlines() if ln.startswith(f"| {f.name} |")), None)
        assert line is not None, f.name
        assert f"`{flag}`" in line, f.name
        default = "not set" if f.default is None else f.default
        if isinstance(default, float):
            default = f"{default:g}"
        assert f"| {default} |" in line, (f.name, default)
