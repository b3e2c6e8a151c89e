"""Chart builders: traces, axes, colours, and plotted values equal to the analytics output.

Values are compared on the figure objects (``fig.data[i].y``), not on JSON, because
plotly >= 6 may encode arrays as base64 ``bdata``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from analytics._common import empty_frame, frequency_band, index_dates
from analytics.loaders import load_dataset
from analytics.pipeline import AnalysisSettings, analyze
from analytics.safety import adverse_event_rates
from analytics.store import project_root
from analytics.trends import its_fit_lines, rolling_mean
from dashboard import charts, labels


@pytest.fixture(scope="module")
def clinic():
    ds = load_dataset(project_root() / "sample_data")
    return ds, analyze(ds.patients, ds.diary, ds.sessions, AnalysisSettings(n_boot=200))


def _diary(pains, start="2026-01-01", pid="A", **extra) -> pd.DataFrame:
    frame = empty_frame("diary")
    n = len(pains)
    data = {
        "patient_id": [pid] * n,
        "date": pd.date_range(start, periods=n, freq="D").astype("datetime64[ns]"),
        "pain": np.asarray(pains, dtype="float64"),
        **extra,
    }
    rows = pd.DataFrame(data)
    return pd.concat([frame, rows], ignore_index=True).astype(frame.dtypes.to_dict())


def _sessions(dates, techniques, freqs=None, pid="A") -> pd.DataFrame:
    frame = empty_frame("sessions")
    rows = pd.DataFrame(
        {
            "patient_id": pid,
            "date": pd.to_datetime(dates).astype("datetime64[ns]"),
            "technique": techniques,
            "frequency_hz": freqs if freqs is not None else [np.nan] * len(dates),
            "pain_before": [6.0] * len(dates),
            "pain_after": [4.0] * len(dates),
            "points": ["LI4;ST36"] * len(dates),
        }
    )
    out = pd.concat([frame, rows], ignore_index=True).astype(frame.dtypes.to_dict())
    return out.assign(technique_band=frequency_band(out["technique"], out["frequency_hz"]))


def _trace(fig: go.Figure, name: str):
    matches = [t for t in fig.data if t.name == name]
    assert matches, f"no trace {name!r} in {[t.name for t in fig.data]}"
    return matches[0]


def test_palettes_cover_every_band_and_category():
    from analytics.outcomes import RESPONSE_CATEGORIES
    from analytics.schema import FREQUENCY_BANDS, TECHNIQUES

    bands = [t for t in TECHNIQUES if t != "electro"] + [f"electro_{b}" for b in FREQUENCY_BANDS]
    assert set(bands) <= set(charts.TECHNIQUE_COLORS)
    assert set(RESPONSE_CATEGORIES) <= set(charts.CATEGORY_COLORS)
    assert len(set(charts.CATEGORY_COLORS.values())) == len(charts.CATEGORY_COLORS)
    assert charts.technique_color("unheard-of") == charts.TECHNIQUE_COLORS["other"]
    assert charts.category_color(np.nan) == charts.CATEGORY_COLORS["not_evaluable"]


def test_pain_trajectory_plots_diary_rolling_mean_baseline_sessions_and_its():
    pains = [7, 6, 7, 8, 7, 6, 7, 7, 5, 4, 5, 4, 3, 4, 3, 3]
    diary = _diary(pains)
    sessions = _sessions(["2026-01-09", "2026-01-12"], ["manual", "electro"], [np.nan, "2/100"])
    rolled = rolling_mean(diary, window_days=7, min_entries=4)
    idx = index_dates(None, sessions)
    its = its_fit_lines(diary, idx, "A")
    fig = charts.pain_trajectory(
        diary,
        rolling=rolled["pain_rolling_mean"],
        sessions=sessions,
        baseline=(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-08"), 6.875),
        its_lines=its,
    )
    assert tuple(fig.layout.yaxis.range) == charts.PAIN_RANGE
    assert fig.layout.yaxis.title.text == "Pain (0-10 NRS)"
    assert fig.layout.xaxis.title.text == "Date"
    assert_allclose(_trace(fig, "Daily pain").y, pains)
    assert_allclose(_trace(fig, "7-day mean").y, rolled["pain_rolling_mean"], equal_nan=True)
    assert_allclose(_trace(fig, "Baseline mean (6.9)").y, [6.875, 6.875])
    assert_allclose(
        _trace(fig, "Trend before treatment").y, its.loc[its["segment"] == "pre", "fitted"]
    )
    assert_allclose(_trace(fig, "Trend after start").y, its.loc[its["segment"] == "post", "fitted"])
    manual = _trace(fig, "Session: Manual")
    assert manual.marker.color == charts.TECHNIQUE_COLORS["manual"]
    mixed = _trace(fig, "Session: EA mixed (e.g. 2/100 Hz)")
    assert mixed.marker.color == charts.TECHNIQUE_COLORS["electro_mixed"]
    assert "2/100 Hz" in mixed.text[0] and "LI4, ST36" in mixed.text[0]
    assert len(fig.layout.shapes) == 1  # the shaded baseline window
    assert all(t.showlegend is not False for t in fig.data)


def test_pain_trajectory_without_optional_layers():
    fig = charts.pain_trajectory(_diary([3, 4]))
    assert [t.name for t in fig.data] == ["Daily pain"]
    assert tuple(fig.layout.yaxis.range) == (0, 10)


def test_pain_trajectory_of_a_few_days_shows_a_week_of_day_ticks():
    # two diary days would otherwise get hourly ticks (00:00, 03:00, ...)
    fig = charts.pain_trajectory(_diary([3, 4], start="2026-03-10"))
    assert fig.layout.xaxis.dtick == 86_400_000
    low, high = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert low < pd.Timestamp("2026-03-10") and high > pd.Timestamp("2026-03-17")
    # a long diary keeps plotly's automatic range and ticks
    long = charts.pain_trajectory(_diary([3] * 30, start="2026-03-10"))
    assert long.layout.xaxis.range is None and long.layout.xaxis.dtick is None


def test_wellbeing_small_multiples_one_panel_per_score():
    diary = _diary(
        [5, 5, 5], sleep_quality=[3.0, np.nan, 6.0], mood=[4.0, 5, 6], stress=[8.0, 7, 6]
    )
    fig = charts.wellbeing_small_multiples(diary)
    assert len(fig.data) == 3
    assert_allclose(fig.data[0].y, [3.0, np.nan, 6.0], equal_nan=True)
    assert_allclose(fig.data[2].y, [8.0, 7, 6])
    for axis in ("yaxis", "yaxis2", "yaxis3"):
        assert tuple(fig.layout[axis].range) == (0, 10)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("Sleep quality") and "10 = worst" in titles[2]


def test_medication_chart_has_doses_and_mme_on_two_axes():
    diary = _diary(
        [5, 5], analgesic_doses=pd.array([2, pd.NA], dtype="Int64"), opioid_mme=[0.0, 7.5]
    )
    fig = charts.medication_chart(diary)
    bars, line = fig.data
    assert_allclose(bars.y, [2.0, np.nan], equal_nan=True)
    assert_allclose(line.y, [0.0, 7.5])
    assert line.yaxis == "y2"
    assert "Morphine" in fig.layout.yaxis2.title.text


def test_session_before_after_bars():
    sessions = _sessions(["2026-01-09", "2026-01-12"], ["manual", "manual"])
    fig = charts.session_before_after(sessions)
    assert [t.name for t in fig.data] == ["Before session", "After session"]
    assert_allclose(fig.data[0].y, sessions["pain_before"])
    assert_allclose(fig.data[1].y, sessions["pain_after"])
    assert tuple(fig.layout.yaxis.range) == (0, 10)


def test_session_response_chart_equals_analytics(clinic):
    _, result = clinic
    sr = result.session_response
    one = sr[sr["patient_id"] == sr["patient_id"].iloc[0]]
    fig = charts.session_response_chart(one)
    assert_allclose(fig.data[0].y, one["short_term_change"], equal_nan=True)
    assert_allclose(fig.data[1].y, one["relief_days"], equal_nan=True)
    symbols = np.asarray(fig.data[1].marker.symbol)
    assert ((symbols == "diamond-open") == one["relief_censored"].to_numpy()).all()
    assert list(fig.data[0].marker.color) == [
        charts.technique_color(b) for b in one["technique_band"]
    ]


def test_change_by_session_patient_cohort_and_emax(clinic):
    _, result = clinic
    dr = result.dose_response
    pid = dr.loc[dr["change_from_baseline"].notna(), "patient_id"].iloc[0]
    patient = dr[(dr["patient_id"] == pid) & dr["change_from_baseline"].notna()]
    cohort = result.dose_response_summary
    k = np.arange(1, 11, dtype=float)
    fig = charts.change_by_session(patient, cohort=cohort, emax=(k, result.emax_fit.predict(k)))
    assert_allclose(_trace(fig, "This patient").y, patient["change_from_baseline"])
    assert_allclose(_trace(fig, "Cohort mean").y, cohort["mean_change"])
    assert_allclose(_trace(fig, "Cohort Emax fit").y, result.emax_fit.predict(k))
    band = _trace(fig, "Cohort 95% CI")
    assert len(band.x) == 2 * len(cohort)


def test_waterfall_sorted_and_coloured_by_category(clinic):
    _, result = clinic
    po = result.patient_outcomes
    fig = charts.waterfall(po, threshold=30.0)
    evaluable = po.dropna(subset=["pct_change"])
    plotted = pd.concat(
        [pd.Series(np.asarray(t.y, dtype=float), index=list(t.x)) for t in fig.data]
    )
    expected = evaluable.set_index("patient_id")["pct_change"]
    assert_allclose(plotted.sort_index(), expected.sort_index())
    by_label = {labels.category_label(c): c for c in charts.CATEGORY_COLORS}
    for trace in fig.data:
        # legends read "Moderate (30–49%)"; colours stay keyed on the code
        assert trace.marker.color == charts.CATEGORY_COLORS[by_label[trace.name]]
    order = list(fig.layout.xaxis.categoryarray)
    assert_allclose(expected[order], np.sort(expected.to_numpy())[::-1])
    assert fig.layout.shapes[0].y0 == 30.0


def test_responder_rates_are_percentages_with_wilson_ci(clinic):
    _, result = clinic
    gs = result.group_summary
    by_group = gs[gs["group_by"] == "group"].dropna(subset=["responder_rate"])
    fig = charts.responder_rates(by_group, by="group")
    bar = fig.data[0]
    assert_allclose(bar.x, by_group["responder_rate"] * 100)
    assert_allclose(
        np.asarray(bar.x) + np.asarray(bar.error_x.array), by_group["responder_ci_high"] * 100
    )
    assert_allclose(
        np.asarray(bar.x) - np.asarray(bar.error_x.arrayminus), by_group["responder_ci_low"] * 100
    )
    assert list(bar.y) == list(by_group["group"])
    by_tech = gs[gs["group_by"] == "technique"].dropna(subset=["responder_rate"])
    fig = charts.responder_rates(by_tech, by="group", grouping="technique")
    assert list(fig.data[0].y) == [labels.technique_label(b) for b in by_tech["group"]]
    assert "electro_low" not in fig.data[0].y
    assert tuple(fig.layout.xaxis.range) == (0, 100)


def test_cpra_chart_equals_cpra_curve(clinic):
    _, result = clinic
    fig = charts.cpra_chart(result.cpra, threshold=30.0)
    assert_allclose(fig.data[0].x, result.cpra["cutoff_pct"])
    assert_allclose(fig.data[0].y, result.cpra["share_responding"] * 100)
    assert tuple(fig.layout.yaxis.range) == (0, 100)


def test_kaplan_meier_chart_equals_the_km_table(clinic):
    _, result = clinic
    table = result.kaplan_meier.table
    fig = charts.kaplan_meier_chart(table)
    curve = _trace(fig, "Not yet responding")
    assert curve.line.shape == "hv"
    assert_allclose(curve.x, table["time"])
    assert_allclose(curve.y, table["survival"] * 100)
    band = _trace(fig, "95% CI")
    assert_allclose(np.asarray(band.y)[: len(table)], table["ci_high"] * 100, equal_nan=True)


def test_dose_response_chart_with_emax(clinic):
    _, result = clinic
    summary = result.dose_response_summary.rename(columns={"n_patients": "n"})
    k = np.linspace(1, 12, 50)
    fig = charts.dose_response_chart(summary, emax=(k, result.emax_fit.predict(k)))
    assert_allclose(fig.data[0].y, summary["mean_change"])
    assert_allclose(
        np.asarray(fig.data[0].y) + np.asarray(fig.data[0].error_y.array), summary["ci_high"]
    )
    assert_allclose(fig.data[1].y, result.emax_fit.predict(k))


def test_technique_response_chart_equals_analytics(clinic):
    _, result = clinic
    by_tech = result.session_response_by_technique
    fig = charts.technique_response_chart(by_tech)
    assert list(fig.data[0].x) == [labels.technique_label(b) for b in by_tech["technique_band"]]
    assert_allclose(fig.data[0].y, by_tech["mean_immediate_change"], equal_nan=True)
    assert list(fig.data[0].marker.color) == [
        charts.TECHNIQUE_COLORS[b] for b in by_tech["technique_band"]
    ]


def test_adverse_event_chart_shows_rates_and_the_benchmark():
    sessions = _sessions(["2026-01-01", "2026-01-08", "2026-01-15", "2026-01-22"], ["manual"] * 4)
    sessions["adverse_events"] = pd.array(
        ["bruising", np.nan, "soreness;bruising", np.nan], dtype="str"
    )
    rates = adverse_event_rates(sessions.drop(columns="technique_band"))
    fig = charts.adverse_event_chart(rates)
    shown = rates.dropna(subset=["events_per_100_sessions"])
    assert_allclose(fig.data[0].y, shown["events_per_100_sessions"])
    assert dict(zip(fig.data[0].x, fig.data[0].y, strict=True))["Any event"] == 75.0
    bench = fig.data[1]
    assert list(bench.x) == ["Any event"] and bench.y[0] == 9.4
    assert "Bäumler" in bench.name


def test_empty_figure_states_the_message():
    fig = charts.empty_figure("Nothing yet")
    assert fig.layout.annotations[0].text == "Nothing yet"
    assert len(fig.data) == 0


def test_medication_chart_without_opioids_has_no_second_axis():
    diary = _diary(
        [5, 5], analgesic_doses=pd.array([1, 3], dtype="Int64"), opioid_mme=[0.0, np.nan]
    )
    fig = charts.medication_chart(diary)
    assert [t.name for t in fig.data] == ["Analgesic doses"]
    assert_allclose(fig.data[0].y, [1.0, 3.0])
