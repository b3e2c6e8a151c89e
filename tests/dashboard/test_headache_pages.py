"""A migraine patient sees headache days on My progress and is asked "Headache today?"."""

from __future__ import annotations

import datetime as dt

from analytics.store import open_store

from .conftest import open_page


def test_a_migraine_patient_sees_headache_days_and_is_asked_about_today(demo_db):
    # P004 (migraine, sample clinic): 22.4 headache days per 4 weeks before, 1.2 in the last 4
    at = open_page("views/my_progress.py", user="p004")
    assert not at.exception, at.exception
    texts = "\n".join(str(m.value) for m in at.markdown)
    assert (
        "**You had about 1 headache day in the last 4 weeks, 21 fewer than before treatment.**"
        in texts
    )
    # and in plain words, the flares and rescue medicine of sample_data/entries.csv
    assert "Lately you logged no flares; before treatment, about 2 flares per 4 weeks." in texts
    assert "Your rescue medicine helped 10 of 10 times." in texts
    log = open_page("views/log_today.py", user="p004")
    assert any(p.label == "Headache today? (optional)" for p in log.get("button_group"))
    log.pills(key="log.pain").set_value(6)
    log.pills(key="log.headache").set_value("migraine")
    log.button(key="FormSubmitter:log.form-Save").click().run()
    assert not log.exception, log.exception
    with open_store(demo_db) as store:
        stored = store.get_diary_entry("test:check", "P004", dt.date.today())
    assert stored is not None and stored["headache"] == "migraine"
