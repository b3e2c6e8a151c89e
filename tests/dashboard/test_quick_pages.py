"""Pages that rerun only what changed: Log today's fragment, summaries cached on the rows' version."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import streamlit as st

from analytics.access import LOCAL_OPERATOR
from analytics.service import Service
from analytics.store import open_store

from .conftest import open_page


def _forget_today(url: str, pid: str) -> None:
    with open_store(url) as store:
        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        if svc.get_diary_entry(pid, dt.date.today()) is not None:
            svc.delete_diary_entry(pid, dt.date.today(), reason="test set-up")


def _stored_pain(url: str, pid: str) -> float | None:
    with open_store(url) as store:
        entry = store.get_diary_entry("test:check", pid, dt.date.today())
    return None if entry is None else entry["pain"]


def test_a_save_in_the_fragment_shows_saved_and_persists_after_a_full_rerun(demo_db):
    _forget_today(demo_db, "P007")
    at = open_page("views/log_today.py", user="p007")
    assert not at.exception, at.exception
    assert at.pills(key="log.pain").value is None
    at.pills(key="log.pain").set_value(4)
    at.button(key="FormSubmitter:log.form-Save").click().run()  # Save, inside the fragment
    assert not at.exception, at.exception
    assert any("Saved: pain 4/10" in str(s.value) for s in at.success)
    assert _stored_pain(demo_db, "P007") == 4.0

    at.run()  # a full rerun of the page: the day opens with its stored value
    assert not at.exception, at.exception
    assert at.pills(key="log.pain").value == 4
    assert any("is logged: " in str(c.value) for c in at.caption)
    assert not at.success  # the confirmation is shown once


def test_a_revisit_with_unchanged_rows_does_no_analysis(demo_db, monkeypatch):
    import analytics.pipeline as pipeline

    calls: list[str] = []
    summarize = pipeline.summarize_patient

    def counted(*args, **kwargs):
        calls.append(kwargs.get("patient_id", ""))
        return summarize(*args, **kwargs)

    monkeypatch.setattr(pipeline, "summarize_patient", counted)
    st.cache_data.clear()
    at = open_page("views/my_progress.py", user="p003")
    assert not at.exception, at.exception
    assert calls == ["P003"]
    at.run()  # a rerun of the visit
    at.switch_page("views/log_today.py").run()  # the same rows, the same settings
    at.switch_page("views/my_progress.py").run()  # a revisit: rows read again, unchanged
    assert not at.exception, at.exception
    assert calls == ["P003"]

    with open_store(demo_db) as store:  # new rows: a new version, a new summary
        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        day = dt.date.today() - dt.timedelta(days=1)
        svc.save_diary_entry({"patient_id": "P003", "date": day, "pain": 1}, replace=True)
    at.switch_page("views/log_today.py").run()
    assert not at.exception, at.exception
    assert calls == ["P003", "P003"]


@pytest.mark.parametrize(("fragment_ids", "scope"), [(["log"], "fragment"), (None, "app")])
def test_the_form_reruns_its_fragment_only_during_a_fragment_rerun(
    monkeypatch, fragment_ids, scope
):
    from dashboard.components import entry_form

    asked: list[str] = []

    class Rerun(Exception):
        pass

    def rerun(scope: str = "app") -> None:
        asked.append(scope)
        raise Rerun

    monkeypatch.setattr(
        entry_form,
        "get_script_run_ctx",
        lambda: SimpleNamespace(fragment_ids_this_run=fragment_ids),
    )
    monkeypatch.setattr(entry_form.st, "rerun", rerun)
    with pytest.raises(Rerun):
        entry_form._rerun()
    assert asked == [scope]
