"""The printed charts draw the analytics' data in the dashboard's colours and axes."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgba
from PIL import Image

from analytics.contract import frequency_band
from analytics.pipeline import analyze
from analytics.reports import _charts as charts
from analytics.reports._style import CATEGORY_COLORS, SERIES_COLORS, TECHNIQUE_COLORS, mpl_color


@pytest.fixture(scope="module")
def one(sample):
    pid = "P030"
    d = sample.diary[sample.diary["patient_id"] == pid].assign(pain_rolling_mean=np.nan)
    s = sample.sessions[sample.sessions["patient_id"] == pid]
    return d, s.assign(technique_band=frequency_band(s["technique"], s["frequency_hz"]))


def test_trajectory_axes_colours_and_windows(one):
    diary, sessions = one
    start, end = diary["date"].min(), diary["date"].min() + pd.Timedelta(days=13)
    fig = charts.pain_trajectory_figure(
        diary, sessions=sessions, baseline=(start, end, 5.0), followup=(end, end, 2.0)
    )
    ax = fig.axes[0]
    assert ax.get_ylim() == (0, 10)
    assert ax.get_ylabel() == "Pain (0-10 NRS)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Baseline mean (5.0)" in labels and "Follow-up mean (2.0)" in labels
    band = sessions["technique_band"].iloc[0]
    markers = [c for c in ax.collections if c.get_label().startswith("Session:")]
    assert to_hex(markers[0].get_facecolor()[0]) == TECHNIQUE_COLORS[band].lower()
    daily = next(c for c in ax.collections if c.get_label() == "Daily pain")
    assert len(daily.get_offsets()) == len(diary)
    assert to_hex(daily.get_facecolor()[0]) == SERIES_COLORS["pain"].lower()
    baseline_band = next(p for p in ax.patches if p.get_label() == "Baseline window")
    assert baseline_band.get_facecolor() == pytest.approx(mpl_color(SERIES_COLORS["baseline"]))


def test_waterfall_colours_by_category_best_first(sample):
    po = analyze(sample.patients, sample.diary, sample.sessions).patient_outcomes
    fig = charts.waterfall_figure(po, threshold=30)
    ax = fig.axes[0]
    bars = sorted(ax.patches, key=lambda p: p.get_x())
    heights = [b.get_height() for b in bars]
    assert heights == sorted(po["pct_change"].dropna(), reverse=True)
    cats = po.dropna(subset=["pct_change"]).sort_values("pct_change", ascending=False)
    for bar, cat in zip(bars, cats["response_category"].astype(str), strict=True):
        assert to_hex(bar.get_facecolor()) == CATEGORY_COLORS[cat].lower()


def test_png_is_an_rgb_image():
    table = pd.DataFrame(
        {"time": [0.0, 5.0], "survival": [1.0, 0.5], "ci_low": [1.0, 0.2], "ci_high": [1.0, 0.8]}
    )
    with Image.open(io.BytesIO(charts.kaplan_meier_png(table))) as img:
        assert img.mode == "RGB"
        assert img.size[0] == pytest.approx(7.1 * charts.DPI, abs=2)


def test_rgba_band_colour_is_translucent():
    assert to_rgba(mpl_color(SERIES_COLORS["baseline"]))[3] == pytest.approx(0.12)
