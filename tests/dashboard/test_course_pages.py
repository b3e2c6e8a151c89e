"""Courses of treatment on the pages: the overview's list and filter, the chart's controls."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.store import open_store, project_root
from dashboard import clock

from .conftest import open_page

#: sample_data/ as it is: courses ended in the file are ended in the database.
ENDED = set(
    pd.read_csv(project_root() / "sample_data" / "patients.csv").query("course_end.notna()")[
        "patient_id"
    ]
)


@pytest.mark.slow  # two pages and three reruns of the demo clinic: about 10 s
def test_the_overview_lists_active_courses_and_the_chart_confirms_a_probable_end(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two months after the demo's last day: P009's last session (13 Oct) is 11 weeks old
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 12, 31))
    at = open_page("views/clinic_overview.py", user="admin")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert set(table["patient_id"]).isdisjoint(ENDED) and len(table) == 60 - len(ENDED)
    metrics = {m.label: str(m.value) for m in at.metric}
    assert metrics["Patients"] == "60"  # ended courses still count
    assert metrics["Need attention"] == str((table["attention"] != "").sum())
    row = table.set_index("patient_id").loc["P009"]
    assert row["attention"].startswith("⏹️ probably ended — confirm (no session for 11 weeks)")
    assert "not logging" not in row["attention"]
    at.toggle(key="overview.ended").set_value(True).run()
    every = at.dataframe[0].value.set_index("patient_id")
    assert len(every) == 60
    assert every.loc[sorted(ENDED), "attention"].eq("").all()
    assert every.loc[sorted(ENDED), "course"].str.startswith("ended ").all()

    at.session_state["chart.patient"] = "P009"
    at.switch_page("views/patient_chart.py").run()
    assert not at.exception, at.exception
    panel = "\n".join(str(m.value) for m in at.markdown)
    assert "**Course of treatment:** active" in panel
    assert any("Probably ended — confirm" in str(w.value) for w in at.warning)
    at.button(key="course.confirm").click().run()
    assert not at.exception, at.exception
    done = "\n".join(str(s.value) for s in at.success)
    assert "The course of P009 is now ended 13 Oct 2026 (completed)." in done
    at.button(key="course.restart").click().run()
    assert "The course of P009 is now active." in "\n".join(str(s.value) for s in at.success)
    with open_store(demo_db) as store:
        edits = store.audit_log("test", patient_id="P009")
    edits = edits[edits["action"] == "edit"]
    assert edits["outcome"].tolist() == ["ok", "ok"]
    assert edits["username"].tolist() == ["admin", "admin"]
