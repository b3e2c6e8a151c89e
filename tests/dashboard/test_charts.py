"""Chart builders: traces, axes, colours, and plotted values equal to the analytics output.

Values are compared on the figure objects (``fig.data[i].y``), not on JSON, because
plotly >= 6 may encode arrays as base64 ``bdata``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from analytics.contract import empty_frame, frequency_band, index_dates
from analytics.io import load_dataset
from analytics.pipeline import AnalysisSettings, analyze
from analytics.stats import adverse_event_rates, its_fit_lines, rolling_mean
from analytics.store import project_root
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


def _ys(values) -> np.ndarray:
    """Plotted values as floats, a line break (None) as NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _title(axis) -> str:
    """An axis title as read (a long title is set on two lines with <br>)."""
    return (axis.title.text or "").replace("<br>", " ")


def _trace(fig: go.Figure, name: str):
    matches = [t for t in fig.data if t.name == name]
    assert matches, f"no trace {name!r} in {[t.name for t in fig.data]}"
    return matches[0]


def test_palettes_cover_every_band_and_category():
    from analytics.contract.schema import FREQUENCY_BANDS, TECHNIQUES
    from analytics.stats import RESPONSE_CATEGORIES

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
    assert _title(fig.layout.yaxis) == "Pain (0-10 NRS)"
    assert _title(fig.layout.xaxis) == "Date"
    assert_allclose(_trace(fig, "Daily pain").y, pains)
    assert_allclose(_ys(_trace(fig, "7-day mean").y), rolled["pain_rolling_mean"], equal_nan=True)
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


def test_flares_are_stars_on_the_pain_line_at_their_time_with_their_rescue_medicine():
    entries = pd.DataFrame(
        {"patient_id": "A", "date": pd.to_datetime(["2026-01-01", "2026-01-02"]),
         "time": ["14:30", "08:00"], "pain": [8.0, 5.0], "flare": ["yes", "no"],
         "duration_minutes": pd.array([90, None], dtype="Int64"),
         "rescue_medication": ["ibuprofen", None], "rescue_helped": ["a_little", None]}
    )  # fmt: skip
    fig = charts.pain_trajectory(_diary([3, 4]), flares=entries)
    stars = _trace(fig, "Flare or attack")
    assert [pd.Timestamp(x) for x in stars.x] == [pd.Timestamp("2026-01-01 14:30")]
    assert list(stars.y) == [8.0] and stars.marker.symbol == "star"
    assert "Lasted 90 minutes" in stars.text[0] and "ibuprofen; helped: a little" in stars.text[0]


def test_pain_trajectory_of_a_few_days_shows_a_week_of_day_ticks():
    # two diary days would otherwise get hourly ticks (00:00, 03:00, ...)
    fig = charts.pain_trajectory(_diary([3, 4], start="2026-03-10"))
    assert fig.layout.xaxis.dtick == 86_400_000
    low, high = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert low < pd.Timestamp("2026-03-10") and high > pd.Timestamp("2026-03-17")
    # a long diary spans its own days, with plotly's automatic date ticks
    long = charts.pain_trajectory(_diary([3] * 30, start="2026-03-10"))
    assert [pd.Timestamp(x) for x in long.layout.xaxis.range] == [
        pd.Timestamp("2026-03-09 12:00"),
        pd.Timestamp("2026-04-08 12:00"),
    ]
    assert long.layout.xaxis.dtick is None


def test_wellbeing_small_multiples_one_panel_per_score():
    diary = _diary(
        [5, 5, 5], sleep_quality=[3.0, np.nan, 6.0], mood=[4.0, 5, 6], stress=[8.0, 7, 6]
    )
    fig = charts.wellbeing_small_multiples(diary)
    assert len(fig.data) == 3
    assert_allclose(_ys(fig.data[0].y), [3.0, np.nan, 6.0], equal_nan=True)
    assert_allclose(_ys(fig.data[2].y), [8.0, 7, 6])
    for axis in ("yaxis", "yaxis2", "yaxis3"):
        assert tuple(fig.layout[axis].range) == (0, 10)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("Sleep quality") and "10 = worst" in titles[2]


def test_medication_chart_has_doses_and_mme_on_two_axes():
    diary = _diary(
        [5, 5], analgesic_doses=pd.array([2, pd.NA], dtype="Int64"), opioid_mme=[0.0, 7.5]
    )
    fig = charts.medication_chart(diary)
    bars, line, opioid_days = fig.data
    assert_allclose(bars.y, [2.0, np.nan], equal_nan=True)
    assert_allclose(_ys(line.y), [0.0, 7.5])
    assert line.yaxis == opioid_days.yaxis == "y2"
    assert "morphine mg equivalents" in _title(fig.layout.yaxis2)


def test_medication_chart_marks_opioid_days_and_has_round_ticks():
    diary = _diary([5, 5, 5, 5], opioid_mme=[0.0, 20.0, np.nan, 7.5])
    fig = charts.medication_chart(diary)
    line, days = fig.data
    # a distinct marker on each day with an opioid only, named in the legend
    assert days.name == "Opioid day" and days.marker.symbol == "diamond"
    assert_allclose(days.y, [20.0, 7.5])
    assert days.marker.size >= 10 and fig.layout.showlegend is not False
    assert days.marker.color == line.line.color
    # the axis runs 0 to 21 (20 with 5 % room) in steps of 5: 0 / 5 / 10 / 15 / 20
    axis = fig.layout.yaxis2
    assert (axis.tickmode, axis.tick0, axis.dtick) == ("linear", 0, 5)
    ticks = np.arange(axis.tick0, axis.range[1] + 1e-9, axis.dtick)
    assert_allclose(ticks, [0, 5, 10, 15, 20])


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
    assert _title(fig.layout.yaxis) == charts.REDUCTION_POINTS_TITLE
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
    # labels reach plotly as escaped text ("<" as "&lt;", shown as "<")
    assert [y.replace("<br>", " ") for y in fig.data[0].y] == [
        labels.technique_label(b).replace("<", "&lt;") for b in by_tech["group"]
    ]
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
    curve = _trace(fig, "No sustained response yet")
    assert curve.line.shape == "hv"
    assert_allclose(curve.x, table["time"])
    assert_allclose(curve.y, table["survival"] * 100)
    band = _trace(fig, "95% CI")
    assert_allclose(np.asarray(band.y)[: len(table)], table["ci_high"] * 100, equal_nan=True)
    # whole days on the time axis, the whole follow-up shown
    assert fig.layout.xaxis.tickmode == "linear" and float(fig.layout.xaxis.dtick).is_integer()
    assert fig.layout.xaxis.range[0] == 0 and fig.layout.xaxis.range[1] >= table["time"].max()
    short = charts.kaplan_meier_chart(
        pd.DataFrame(
            {"time": [0.0, 2.0, 3.0], "survival": [1.0, 0.5, 0.25], "ci_low": 0.1, "ci_high": 1.0}
        )
    )
    assert short.layout.xaxis.dtick == 1


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
    assert fig.data[0].orientation == "h"  # names read on a phone without tilting
    shown = [y.replace("<br>", " ") for y in fig.data[0].y]  # long names on two lines
    assert shown == [labels.technique_label(b) for b in by_tech["technique_band"]]
    assert_allclose(fig.data[0].x, by_tech["mean_immediate_change"], equal_nan=True)
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


# --------------------------------------------------------------------------- chart rules


def _relative_luminance(hex_colour: str) -> float:
    # WCAG 2.1 definition of relative luminance (sRGB, linearised)
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast_on_white(hex_colour: str) -> float:
    return 1.05 / (_relative_luminance(hex_colour) + 0.05)


def test_every_line_and_marker_colour_has_3_to_1_contrast_on_white():
    # known answer: #767676 is the lightest grey with 4.5:1 on white (WebAIM contrast checker)
    assert _contrast_on_white("#767676") == pytest.approx(4.54, abs=0.01)
    palettes = {**charts.TECHNIQUE_COLORS, **charts.CATEGORY_COLORS, **charts.SERIES_COLORS}
    solid = {k: v for k, v in palettes.items() if v.startswith("#")}
    assert len(solid) >= len(palettes) - 1  # only the baseline band is a translucent fill
    low = {
        k: round(_contrast_on_white(v), 2) for k, v in solid.items() if _contrast_on_white(v) < 3
    }
    assert not low, f"colours below 3:1 on white: {low}"


def test_adherence_colour_is_neutral_not_red_or_green():
    r, g, b = (int(charts.ADHERENCE_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    assert charts.ADHERENCE_COLOR not in charts.CATEGORY_COLORS.values()
    # a blue-grey: no channel dominates the way red or green would
    assert max(r, g, b) - min(r, g, b) < 80 and b >= r
    assert _contrast_on_white(charts.ADHERENCE_COLOR) >= 3


def test_period_is_the_days_ending_on_a_date():
    assert charts.period("2026-03-28", 28) == (
        pd.Timestamp("2026-03-01"),
        pd.Timestamp("2026-03-28"),
    )
    assert charts.period(pd.Timestamp("2026-03-28 17:45"), 1) == (pd.Timestamp("2026-03-28"),) * 2
    with pytest.raises(ValueError, match="The 'days' parameter of period must be an int"):
        charts.period("2026-03-28", 0)


def _long_patient():
    # 100 diary days from 1 Jan; first session on 15 Jan, baseline 1-14 Jan
    diary = _diary([6] * 14 + [4] * 86, start="2026-01-01")
    sessions = _sessions(["2026-01-15", "2026-03-20"], ["manual", "manual"])
    baseline = (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-14"), 6.0)
    return diary, sessions, baseline


def test_x_range_is_the_chosen_period_and_an_earlier_baseline_becomes_a_line_and_a_note():
    diary, sessions, baseline = _long_patient()
    lo, hi = charts.period(diary["date"].max(), 28)
    shown = diary[diary["date"] >= lo]
    fig = charts.pain_trajectory(
        shown,
        sessions=sessions[sessions["date"] >= lo],
        baseline=baseline,
        x_range=(lo, hi),
    )
    x0, x1 = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert (x0, x1) == (lo - pd.Timedelta(hours=12), hi + pd.Timedelta(hours=12))
    assert fig.layout.meta["period"] == [f"{lo:%Y-%m-%d}", f"{hi:%Y-%m-%d}"]
    # no shaded band stretching the axis back to January: a reference line across the period
    assert len(fig.layout.shapes) == 0
    ref = _trace(fig, "Baseline mean (6.0)")
    assert_allclose(ref.y, [6.0, 6.0])
    assert [pd.Timestamp(x) for x in ref.x] == [x0, x1]
    note = fig.layout.annotations[0].text
    assert "01 Jan–14 Jan 2026" in note and "before this period" in note


def test_x_range_covers_a_period_with_few_logged_days():
    # "4 weeks" with only the last 3 days logged still shows four weeks
    diary = _diary([5, 4, 3], start="2026-03-26")
    fig = charts.pain_trajectory(diary, x_range=charts.period("2026-03-28", 28))
    x0, x1 = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert x0 == pd.Timestamp("2026-02-28 12:00") and x1 == pd.Timestamp("2026-03-28 12:00")


def test_a_baseline_partly_inside_the_period_is_shaded_only_inside():
    diary, sessions, baseline = _long_patient()
    lo = pd.Timestamp("2026-01-10")
    fig = charts.pain_trajectory(diary[diary["date"] >= lo], baseline=baseline)
    (band,) = fig.layout.shapes
    assert pd.Timestamp(band.x0) == lo - pd.Timedelta(hours=12)
    assert pd.Timestamp(band.x1) == pd.Timestamp("2026-01-14 12:00")
    assert pd.Timestamp(fig.layout.xaxis.range[0]) == lo - pd.Timedelta(hours=12)
    assert not fig.layout.annotations


def test_default_range_is_the_data_not_the_baseline():
    diary, _, baseline = _long_patient()
    late = diary[diary["date"] >= "2026-02-01"]
    fig = charts.pain_trajectory(late, baseline=baseline)
    assert pd.Timestamp(fig.layout.xaxis.range[0]) == pd.Timestamp("2026-01-31 12:00")


def test_x_range_must_run_forwards():
    with pytest.raises(ValueError, match="'x_range' parameter"):
        charts.pain_trajectory(_diary([3, 4]), x_range=("2026-03-10", "2026-03-01"))


def _gappy_diary():
    # logged on 1, 2, 3 Jan, then 10, 11 Jan: a week without entries in between
    diary = _diary(
        [5, 5, 5, 6, 6],
        sleep_quality=[4.0, 5, 6, 3, 2],
        mood=[5.0, 5, 5, 5, 5],
        stress=[3.0, 3, 3, 4, 4],
        opioid_mme=[10.0, 10, 15, 15, 15],
        analgesic_doses=pd.array([1, 2, 1, 3, 2], dtype="Int64"),
    )
    diary["date"] = pd.to_datetime(
        ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-10", "2026-01-11"]
    ).astype("datetime64[ns]")
    return diary


def test_lines_break_where_days_are_missing():
    diary = _gappy_diary()
    rolling = pd.Series([np.nan, np.nan, np.nan, 5.4, 5.5])
    rolling.iloc[:3] = [5.0, 5.0, 5.0]
    pain = charts.pain_trajectory(diary, rolling=rolling)
    line = _trace(pain, "7-day mean")
    assert line.connectgaps is False
    assert list(line.y) == [5.0, 5.0, 5.0, None, 5.4, 5.5]
    assert pd.Timestamp(line.x[3]) == pd.Timestamp("2026-01-04")
    wellbeing = charts.wellbeing_small_multiples(diary)
    assert all(list(t.y).count(None) == 1 and t.connectgaps is False for t in wellbeing.data)
    meds = charts.medication_chart(diary)
    mme = _trace(meds, "Opioid dose (morphine-equivalent mg a day)")
    assert list(mme.y) == [10.0, 10.0, 15.0, None, 15.0, 15.0]
    # the break survives serialisation (what st.plotly_chart sends)
    sent = json.loads(meds.to_json())["data"]
    assert [t for t in sent if t["name"] == "Opioid dose (morphine-equivalent mg a day)"][0]["y"][
        3
    ] is None


def test_consecutive_days_are_not_broken():
    fig = charts.wellbeing_small_multiples(_diary([5, 5, 5], mood=[4.0, 5, 6]), columns=["mood"])
    assert list(fig.data[0].y) == [4.0, 5.0, 6.0]


def test_worst_pain_is_drawn_when_logged():
    diary = _diary([5, 6, 4], worst_pain=[8.0, np.nan, 7.0])
    fig = charts.pain_trajectory(diary)
    worst = _trace(fig, "Worst pain")
    assert_allclose(worst.y, [8.0, 7.0])
    assert list(pd.to_datetime(worst.x)) == list(diary["date"].iloc[[0, 2]])
    assert "Worst pain" not in [t.name for t in charts.pain_trajectory(_diary([5, 6])).data]


def test_no_legend_entry_for_a_line_that_is_not_drawn():
    diary = _diary([5, 6, 4])
    fig = charts.pain_trajectory(
        diary,
        rolling=pd.Series([np.nan] * 3),
        baseline=(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-02"), np.nan),
        its_lines=pd.DataFrame({"date": diary["date"], "fitted": np.nan, "segment": "pre"}),
    )
    assert [t.name for t in fig.data] == ["Daily pain"]
    # a diary with doses but no opioid: no MME line, no right axis; no panel for an unlogged score
    meds = charts.medication_chart(
        _diary([5, 5], analgesic_doses=pd.array([1, 2], dtype="Int64"), opioid_mme=[np.nan] * 2)
    )
    assert [t.name for t in meds.data] == ["Analgesic doses"]
    nothing = charts.medication_chart(
        _diary([5, 5], analgesic_doses=pd.array([pd.NA] * 2, dtype="Int64"), opioid_mme=[0.0] * 2)
    )
    assert len(nothing.data) == 0 and nothing.layout.annotations[0].text == "No medication logged."
    well = charts.wellbeing_small_multiples(_diary([5, 5], mood=[4.0, 5.0]))
    assert [a.text for a in well.layout.annotations] == ["Mood (0-10, 10 = best)"]
    # no relief diamonds when no relief was measurable
    response = pd.DataFrame(
        {
            "session_date": pd.to_datetime(["2026-01-09"]),
            "technique_band": ["manual"],
            "short_term_change": [0.5],
            "relief_days": [np.nan],
            "relief_censored": [False],
        }
    )
    assert len(charts.session_response_chart(response).data) == 1


def test_its_segment_names_can_be_set_for_a_comparison_group():
    diary = _diary([5] * 16)
    its = pd.DataFrame(
        {
            "date": diary["date"],
            "fitted": np.linspace(5, 4, 16),
            "segment": ["pre"] * 8 + ["post"] * 8,
        }
    )
    fig = charts.pain_trajectory(
        diary, its_lines=its, its_names=("Trend before", "Trend after randomisation")
    )
    assert {"Trend before", "Trend after randomisation"} <= {t.name for t in fig.data}


def _response(changes, relief):
    n = len(changes)
    return pd.DataFrame(
        {
            "session_date": pd.date_range("2026-01-05", periods=n, freq="7D"),
            "technique_band": ["manual"] * n,
            "short_term_change": np.asarray(changes, dtype=float),
            "relief_days": np.asarray(relief, dtype=float),
            "relief_censored": [False] * n,
        }
    )


def _zero_position(axis) -> float:
    lo, hi = axis.range
    return (0 - lo) / (hi - lo)


def test_session_response_has_a_fixed_symmetric_range_integer_ticks_and_level_zeros():
    fig = charts.session_response_chart(_response([0.17], [2]))
    # a single +0.17-point change does not fill the plot
    assert tuple(fig.layout.yaxis.range) == (-3, 3)
    assert fig.layout.yaxis.tickmode == "linear" and fig.layout.yaxis.dtick == 1
    assert _title(fig.layout.yaxis) == "Pain reduction, points (positive = better)"
    # relief: whole, non-negative days; zero level with the change axis' zero
    assert all(float(v).is_integer() and v >= 0 for v in fig.layout.yaxis2.tickvals)
    assert _zero_position(fig.layout.yaxis2) == pytest.approx(_zero_position(fig.layout.yaxis))
    assert _zero_position(fig.layout.yaxis) == pytest.approx(0.5)


def test_session_response_range_grows_to_the_next_whole_point():
    fig = charts.session_response_chart(_response([0.5, -4.2, 2.0], [0, 12, 3]))
    assert tuple(fig.layout.yaxis.range) == (-5, 5)
    assert max(fig.layout.yaxis2.tickvals) <= 12 <= fig.layout.yaxis2.range[1]
    assert _zero_position(fig.layout.yaxis2) == pytest.approx(_zero_position(fig.layout.yaxis))
    huge = charts.session_response_chart(_response([9.5], [1]))
    assert tuple(huge.layout.yaxis.range) == (-10, 10) and huge.layout.yaxis.dtick == 2


def test_medication_axes_have_whole_dose_ticks_and_level_zeros():
    diary = _gappy_diary()
    fig = charts.medication_chart(diary)
    assert fig.layout.yaxis.tickmode == "linear"
    assert float(fig.layout.yaxis.dtick).is_integer() and fig.layout.yaxis.dtick >= 1
    assert fig.layout.yaxis.range[0] == 0 and fig.layout.yaxis2.range[0] == 0
    assert fig.layout.yaxis.range[1] >= 3 and fig.layout.yaxis2.range[1] >= 15
    # one dose a day: ticks 0, 1 (never 0.5 "doses")
    one = charts.medication_chart(
        _diary([5, 5], analgesic_doses=pd.array([1, 1], dtype="Int64"), opioid_mme=[0.0, 0.0])
    )
    assert one.layout.yaxis.dtick == 1 and one.layout.yaxis.tick0 == 0


def test_session_number_axes_have_whole_number_ticks(clinic):
    _, result = clinic
    summary = result.dose_response_summary.rename(columns={"n_patients": "n"})
    fig = charts.dose_response_chart(summary)
    assert fig.layout.xaxis.tickmode == "linear" and float(fig.layout.xaxis.dtick).is_integer()
    assert "positive = better" in _title(fig.layout.yaxis)
    patient = pd.DataFrame({"session_number": [1, 2, 3], "change_from_baseline": [0.5, 1.0, 2.0]})
    by_session = charts.change_by_session(patient)
    assert by_session.layout.xaxis.dtick == 1 and tuple(by_session.layout.xaxis.range) == (0.5, 3.5)
    assert _title(by_session.layout.yaxis).startswith("Pain reduction from baseline, points")


def test_one_sign_convention_in_words(clinic):
    _, result = clinic
    fig = charts.waterfall(result.patient_outcomes, threshold=30.0)
    assert _title(fig.layout.yaxis) == "Pain reduction from baseline, % (positive = better)"
    tech = charts.technique_response_chart(result.session_response_by_technique)
    assert _title(tech.layout.xaxis) == "Pain reduction, points (positive = better)"


def test_same_x_range_gives_charts_read_together_one_range():
    diary = _gappy_diary()
    pain = charts.pain_trajectory(diary[diary["date"] <= "2026-01-03"])
    wellbeing = charts.wellbeing_small_multiples(diary)
    meds = charts.medication_chart(diary[diary["date"] >= "2026-01-10"])
    lo, hi = charts.same_x_range(pain, wellbeing, meds)
    assert (lo, hi) == (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-11"))
    ranges = {
        tuple(pd.Timestamp(x) for x in fig.layout[axis].range)
        for fig in (pain, wellbeing, meds)
        for axis in fig.layout
        if axis.startswith("xaxis")
    }
    assert ranges == {(pd.Timestamp("2025-12-31 12:00"), pd.Timestamp("2026-01-11 12:00"))}
    charts.same_x_range(pain, meds, x_range=charts.period("2026-01-28", 28))
    assert pd.Timestamp(meds.layout.xaxis.range[0]) == pd.Timestamp("2025-12-31 12:00")
    assert pd.Timestamp(pain.layout.xaxis.range[1]) == pd.Timestamp("2026-01-28 12:00")
    # an empty state (nothing logged) is passed over; a chart without dates is refused
    empty = charts.wellbeing_small_multiples(_diary([5, 5]))
    assert charts.same_x_range(pain, empty) == (lo, pd.Timestamp("2026-01-28"))
    assert empty.layout.xaxis.range is None
    with pytest.raises(ValueError, match="no date period"):
        charts.same_x_range(
            pain, charts.cpra_chart(pd.DataFrame({"cutoff_pct": [0], "share_responding": [1.0]}))
        )


def _all_figures(clinic) -> list[go.Figure]:
    ds, result = clinic
    diary = _gappy_diary()
    sr = result.session_response
    one = sr[sr["patient_id"] == sr["patient_id"].iloc[0]]
    gs = result.group_summary
    sessions = _sessions(["2026-01-02", "2026-01-10"], ["manual", "electro"], [np.nan, "2/100"])
    return [
        charts.pain_trajectory(
            diary,
            rolling=pd.Series([5.0] * 5),
            sessions=sessions,
            baseline=(pd.Timestamp("2025-12-01"), pd.Timestamp("2025-12-14"), 6.0),
        ),
        charts.wellbeing_small_multiples(diary),
        charts.medication_chart(diary),
        charts.session_before_after(sessions),
        charts.session_response_chart(one),
        charts.waterfall(result.patient_outcomes, threshold=30.0),
        charts.responder_rates(gs[gs["group_by"] == "group"], by="group"),
        charts.cpra_chart(result.cpra, threshold=30.0),
        charts.kaplan_meier_chart(result.kaplan_meier.table),
        charts.dose_response_chart(
            result.dose_response_summary.rename(columns={"n_patients": "n"})
        ),
        charts.technique_response_chart(result.session_response_by_technique),
        charts.adverse_event_chart(result.adverse_events),
    ]


def test_no_chart_text_assumes_a_mouse(clinic):
    for fig in _all_figures(clinic):
        texts = [fig.layout.title.text or ""]
        texts += [a.text or "" for a in fig.layout.annotations]
        texts += [t.name or "" for t in fig.data]
        for axis in fig.layout:
            if axis.startswith(("xaxis", "yaxis")) and fig.layout[axis].title.text:
                texts.append(_title(fig.layout[axis]))
        for text in texts:
            assert not any(w in text.lower() for w in ("hover", "click", "mouse")), text


def test_titles_stay_clear_of_the_png_button_on_a_phone(clinic):
    # plotly's toolbar keeps one button, "download as PNG", upright at the right edge;
    # the titles are left-aligned in the top margin, so the button never covers them
    assert charts.CHART_CONFIG["modeBarButtons"] == [["toImage"]]
    assert charts.CHART_CONFIG["displaylogo"] is False
    assert charts.CHART_CONFIG["toImageButtonOptions"]["format"] == "png"
    assert "toImage" not in charts.MODEBAR_REMOVE
    for fig in _all_figures(clinic):
        assert fig.layout.title.xanchor == "left" and fig.layout.title.x < 0.05
        assert fig.layout.modebar.orientation == "v"
        # every other button is removed in the layout, for pages that pass no config
        assert {"zoom", "pan", "select", "lasso", "autoscale", "resetscale"} <= set(
            fig.layout.modebar.remove
        )
        assert fig.layout.dragmode is False
        assert fig.layout.margin.t >= 60  # the title sits in the margin, above the plot


def test_stored_text_cannot_become_chart_markup():
    gs = pd.DataFrame(
        {
            "group": ['<a href="javascript:alert(1)">A</a> & B'],
            "n_responders": [3],
            "n_evaluable": [6],
            "responder_rate": [0.5],
            "responder_ci_low": [0.2],
            "responder_ci_high": [0.8],
        }
    )
    fig = charts.responder_rates(gs, by="group")
    assert list(fig.data[0].y) == [
        "&lt;a href=&quot;javascript:alert(1)&quot;&gt;A&lt;/a&gt; &amp; B"
    ]
    sessions = _sessions(["2026-01-09"], ["manual"])
    sessions["points"] = pd.array(["LI4<b>"], dtype="str")
    fig = charts.pain_trajectory(_diary([5] * 10), sessions=sessions)
    assert "LI4&lt;b&gt;" in _trace(fig, "Session: Manual").text[0]
