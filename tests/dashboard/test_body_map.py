"""The body map of a diary day: prefilled from the store, saved with the day, and the chart's
heat map; the figure builders on their data."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from analytics.contract import BODY_REGIONS
from analytics.stats import region_frequency
from analytics.store import open_store
from dashboard.charts import body_map_figure, region_heatmap

from .conftest import open_page


def test_log_today_prefills_marks_and_saves_body_regions(demo_db):
    today = dt.date.today()
    with open_store(demo_db) as store:
        store.save_diary_entry(
            "test:setup",
            {"patient_id": "P004", "date": today, "pain": 6, "body_regions": "low_back;l_hip"},
            replace=True,
        )
    at = open_page("views/log_today.py", user="p004")
    assert not at.exception, at.exception
    assert at.pills(key="log.body_regions.axial").value == ["low_back"]
    assert at.pills(key="log.body_regions.left_lower").value == ["l_hip"]
    assert any(e.label.startswith("Where does it hurt today?") for e in at.expander)
    at.pills(key="log.body_regions.axial").set_value(["neck", "low_back"])
    at.button(key="FormSubmitter:log.form-Save").click().run()
    question = "\n".join(str(w.value) for w in at.warning)
    assert "**where it hurts** left hip or buttock, lower back → " in question
    at.button(key="log.replace").click().run()
    assert not at.exception, at.exception
    with open_store(demo_db) as store:
        saved = store.get_diary_entry("test:check", "P004", today)
    assert saved is not None and saved["body_regions"] == "l_hip;neck;low_back"
    assert saved["pain"] == 6.0


def test_body_map_figure_fills_the_marked_regions():
    fig = body_map_figure(["neck", "l_hip"])
    trace = fig.data[0]
    assert list(trace.customdata) == list(BODY_REGIONS)
    filled = [
        c for c, col in zip(trace.customdata, trace.marker.color, strict=True) if col != "#ffffff"
    ]
    assert filled == ["l_hip", "neck"]
    assert trace.marker.size == 22


def test_region_heatmap_rows_are_regions_and_columns_weeks():
    diary = pd.DataFrame(
        {
            "patient_id": "a",
            "date": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-09"]),
            "body_regions": ["low_back", "low_back;neck", "neck"],
        }
    )
    fig = region_heatmap(region_frequency(diary, bin_days=7))
    heat = fig.data[0]
    assert list(heat.x) == ["01 Jan", "08 Jan"]
    assert len(heat.y) == 19 and heat.y[16] == "Lower back"
    assert heat.z[16][0] == 1.0 and heat.z[14][0] == 0.5  # lower back 2 of 2, neck 1 of 2
    empty = region_heatmap(region_frequency(diary.iloc[:0]))
    assert empty.layout.meta == {"empty": True}


def test_patient_chart_shows_where_it_hurt_and_the_change(demo_db):
    at = open_page("views/clinic_overview.py", user="admin")
    at.session_state["chart.patient"] = "P026"  # fibromyalgia, body map filled in
    at.switch_page("views/patient_chart.py").run()
    assert not at.exception, at.exception
    assert "Where it hurts" in [h.value for h in at.subheader]
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    heat = [s for s in specs if s["data"] and s["data"][0]["type"] == "heatmap"]
    assert len(heat) == 1 and len(heat[0]["data"][0]["y"]) == 19
    captions = " ".join(str(c.value) for c in at.caption)
    assert "Painful regions (widespread pain index, 0–19)" in captions
    at.segmented_control(key="chart.regions.period").set_value("Whole diary").run()
    assert not at.exception, at.exception


def test_my_progress_shows_where_it_hurt_from_the_summary(demo_db):
    with open_store(demo_db) as store:  # the map filled in on every day of the diary
        diary = store.diary("test:setup", "P002")
        for i, (day, pain) in enumerate(zip(diary["date"], diary["pain"], strict=True)):
            regions = "neck;low_back" if i % 3 else "neck;low_back;l_shoulder"
            store.save_diary_entry(
                "test:setup",
                {"patient_id": "P002", "date": day.date(), "pain": pain, "body_regions": regions},
                replace=True,
            )
    at = open_page("views/my_progress.py", user="p002")  # waitlist, no sessions
    assert not at.exception, at.exception
    assert "Where it hurt" in [h.value for h in at.subheader]
    text = " ".join(str(m.value) for m in at.markdown)
    assert "before you joined the waiting list" in text.lower()
    assert "treatment" not in text.split("Where it hurt")[-1].lower()
    assert "Most often:" in " ".join(str(c.value) for c in at.caption)
