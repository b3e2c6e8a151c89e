"""AppTest runs of every page on the demo clinic and on an empty database."""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd
import pytest

from analytics.io import load_diary
from analytics.presentation import SIGNAL_LABELS
from analytics.store import open_store
from dashboard import clock

from .conftest import (
    ADMIN_PAGES,
    CLINICIAN_PAGES,
    PASSWORD,
    PATIENT_PAGES,
    open_page,
    patient_user,
)

ALL_PAGES = (
    [("p003", p) for p in PATIENT_PAGES]
    + [("dr.a", p) for p in CLINICIAN_PAGES]
    + [("admin", p) for p in ADMIN_PAGES]
)
TITLES = {
    "views/admin.py": "Admin",
    "views/log_today.py": "Log today",
    "views/my_progress.py": "My progress",
    "views/clinic_overview.py": "Clinic overview",
    "views/patient_chart.py": "Patient chart",
    "views/treatment_response.py": "Treatment response",
    "views/data_manager.py": "Data",
}


#: The "today" of the status columns in these tests: the demo clinic's last diary day
#: (sample_data/ as it is, without init-demo's move to the current week).
DEMO_TODAY = dt.date(2026, 10, 31)


@pytest.fixture
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """Status "as of today" counts back from :data:`DEMO_TODAY`, whatever the calendar says."""

    monkeypatch.setattr(clock, "today", lambda: DEMO_TODAY)
    return DEMO_TODAY


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _n_charts(at) -> int:
    return len(at.get("plotly_chart"))


@pytest.mark.parametrize(("user", "page_path"), ALL_PAGES)
def test_page_renders_on_demo_clinic(demo_db, user, page_path):
    at = open_page(page_path, user=user)
    assert not at.exception, at.exception
    assert TITLES[page_path] in at.title[0].value
    assert not at.error


@pytest.mark.parametrize(
    ("user", "page_path"),
    [("dr.a", p) for p in CLINICIAN_PAGES] + [("admin", p) for p in ADMIN_PAGES],
)
def test_page_renders_on_empty_database(empty_db, user, page_path):
    at = open_page(page_path, user=user)
    assert not at.exception, at.exception
    assert TITLES[page_path] in at.title[0].value
    assert not at.error
    # every page explains itself instead of drawing empty charts
    assert at.info or at.caption
    assert _n_charts(at) == 0


def test_sidebar_has_no_role_or_patient_picker(demo_db):
    at = open_page("views/log_today.py", user="p001")
    assert not at.sidebar.radio
    assert not at.sidebar.selectbox
    # patients neither see nor change the analysis settings
    assert not at.sidebar.number_input and not at.sidebar.slider
    assert "Diary of patient **P001**" in _texts(at.caption)


def test_clinicians_and_admins_see_the_settings(demo_db):
    for user in ("dr.a", "admin"):
        at = open_page("views/clinic_overview.py", user=user)
        labels = [n.label for n in at.sidebar.number_input]
        assert any("Baseline" in label for label in labels)
        assert any("Responder threshold" in s.label for s in at.sidebar.slider)


def test_my_progress_shows_chart_and_plain_language_card(demo_db):
    at = open_page("views/my_progress.py", user="p003")
    assert _n_charts(at) >= 2
    text = _texts(at.markdown)
    assert "compared with before treatment" in text or "baseline" in text
    assert "p-value" not in text and "p =" not in text
    assert at.segmented_control[0].value == "3 months"


def test_clinic_overview_of_a_clinician_lists_their_patients_only(demo_db):
    from .conftest import DR_A, DR_B

    for user, mine in (("dr.a", DR_A), ("dr.b", DR_B)):
        at = open_page("views/clinic_overview.py", user=user)
        at.toggle(key="overview.ended").set_value(True).run()  # every course, ended too
        table = at.dataframe[0].value
        assert sorted(table["patient_id"]) == mine
        assert {m.label: m.value for m in at.metric}["Patients"] == str(len(mine))
        # the picker below the table offers the same patients only
        assert sorted(at.selectbox(key="overview.target").options) == mine


def test_clinic_overview_lists_every_patient_with_flags_and_filters(demo_db, fixed_today):
    at = open_page("views/clinic_overview.py", user="admin")
    at.toggle(key="overview.ended").set_value(True).run()  # every course, ended too
    table = at.dataframe[0].value
    assert len(table) == 60
    # the triage columns first; the rest in the "More columns" table
    assert list(table.columns) == [
        "patient_id",
        "attention",
        "due",
        "course",
        "response",
        "note",
        "adherence_28d",
        "mean_now",
    ]
    details = at.dataframe[1].value
    for col in ("condition", "group", "technique", "n_sessions", "baseline_pain", "last_entry"):
        assert col in details.columns
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Patients"] == "60"
    assert any(label.startswith("Responders") for label in metrics)
    # filter by condition: only those patients remain
    at.multiselect(key="overview.condition").set_value(["migraine"]).run()
    filtered = at.dataframe[1].value
    assert 0 < len(filtered) < 60
    assert set(filtered["condition"]) == {"migraine"}
    assert len(at.dataframe[0].value) == len(filtered)


def test_clinic_overview_opens_the_patient_chart(demo_db):
    at = open_page("views/clinic_overview.py", user="dr.a")
    at.selectbox(key="overview.target").set_value("P005").run()
    at.button(key="overview.open").click().run()
    assert not at.exception
    assert "Patient chart" in at.title[0].value
    assert "**P005**" in _texts(at.markdown)


def test_patient_chart_shows_trajectory_sessions_and_notes(demo_db):
    at = open_chart("P003")
    assert _n_charts(at) >= 5
    assert {m.label for m in at.metric} >= {
        "Before treatment",
        "At follow-up",
        "Reduction, points",
        "Response",
        "7-day mean (0–10)",
        "Days since last entry",
    }
    assert any(s.value == "Adverse events" for s in at.subheader)
    assert any(s.value == "Data quality" for s in at.subheader)
    # the trend caption starts from what the pain did after the start
    captions = " ".join(c.value for c in at.caption)
    assert (
        "Trend lines (interrupted time series, Newey–West). After the start of treatment pain"
        in (captions)
    )


def test_treatment_response_shows_every_cohort_chart(demo_db):
    at = open_page("views/treatment_response.py", user="admin")
    # waterfall, 3 responder-rate tabs, CPRA, KM, dose-response, technique, adverse events
    assert _n_charts(at) == 9
    assert len(at.tabs) == 3


def test_settings_apply_to_every_page(demo_db):
    at = open_page("views/clinic_overview.py", user="dr.a")
    at.sidebar.slider[0].set_value(50.0).run()
    assert any(m.label == "Responders (≥ 50%)" for m in at.metric)
    at.switch_page("views/treatment_response.py").run()
    assert "responder: ≥ 50% less pain" in _texts(at.caption)


# ------------------------------------------------------------------ log today


def _stored_pain(url: str, pid: str, day: dt.date) -> float | None:
    with open_store(url) as store:
        entry = store.get_diary_entry("test:check", pid, day)
    return None if entry is None else entry["pain"]


def open_chart(patient_id: str, *, user: str = "admin"):
    """The patient chart of ``patient_id``, chosen the way the overview does."""
    at = open_page("views/clinic_overview.py", user=user)
    at.session_state["chart.patient"] = patient_id
    at.switch_page("views/patient_chart.py").run()
    return at


def test_log_form_requires_a_pain_score(demo_db):
    at = open_page("views/log_today.py", user="p001")
    assert at.pills(key="log.pain").value is None  # no default that could be saved by accident
    at.button(key="FormSubmitter:log.form-Save").click().run()  # the form's Save button
    assert "Choose your average pain" in _texts(at.error)
    assert _stored_pain(demo_db, "P001", dt.date.today()) is None


def test_log_form_saves_and_asks_before_replacing(demo_db):
    today = dt.date.today()
    at = open_page("views/log_today.py", user="p001")
    assert at.date_input(key="log.date").value == today
    at.pills(key="log.pain").set_value(6)
    at.pills(key="log.sleep_quality").set_value(7)
    at.button(key="FormSubmitter:log.form-Save").click().run()
    assert not at.exception
    assert "Saved: pain 6/10" in _texts(at.success)
    assert _stored_pain(demo_db, "P001", today) == 6.0
    # whose diary and the streak in one compact line above the form
    assert "Diary of patient **P001**" in _texts(at.caption)
    assert "🔥 1-day streak" in _texts(at.caption)

    # a second save of the same day with another score asks first
    at.pills(key="log.pain").set_value(3)
    at.button(key="FormSubmitter:log.form-Save").click().run()
    assert "You already logged" in _texts(at.warning)
    assert "pain 6/10" in _texts(at.warning)
    assert _stored_pain(demo_db, "P001", today) == 6.0
    at.button(key="log.replace").click().run()
    assert "Replaced" in _texts(at.success)
    assert _stored_pain(demo_db, "P001", today) == 3.0
    with open_store(demo_db) as store:
        history = store.history("test:check", "P001")
    assert (history["action"] == "update").any()


def test_log_form_keep_leaves_the_stored_entry(demo_db):
    today = dt.date.today()
    at = open_page("views/log_today.py", user="p002")
    at.pills(key="log.pain").set_value(4)
    at.button(key="FormSubmitter:log.form-Save").click().run()
    at.pills(key="log.pain").set_value(9)
    at.button(key="FormSubmitter:log.form-Save").click().run()
    at.button(key="log.keep").click().run()
    assert not at.warning
    assert _stored_pain(demo_db, "P002", today) == 4.0


def test_log_form_refuses_dates_outside_the_last_week(demo_db):
    at = open_page("views/log_today.py", user="p001")
    widget = at.date_input(key="log.date")
    assert widget.proto.min == (dt.date.today() - dt.timedelta(days=7)).isoformat()
    assert widget.proto.max == dt.date.today().isoformat()


def test_log_today_asks_for_the_missing_pain_around_a_recent_session(demo_db):
    # the clinician recorded the pain before only: the patient is asked for the pain
    # after, saves it through the service as theirs, and nothing else of the session changes
    when = dt.datetime.combine(dt.date.today() - dt.timedelta(days=2), dt.time(9, 30))
    session = {"patient_id": "P001", "date": when, "technique": "manual", "needles": 6}
    with open_store(demo_db) as store:
        store.save_session("dr.a", {**session, "pain_before": 6})
    at = open_page("views/log_today.py", user="p001")
    key = f"log.session.{when:%Y%m%dT%H%M}"
    assert [p.key for p in at.pills if p.key.startswith(key)] == [f"{key}.pain_after"]
    at.pills(key=f"{key}.pain_after").set_value(3)
    at.button(key=f"FormSubmitter:{key}-Save session pain").click().run()
    assert not at.exception, at.exception
    assert "session on" in _texts(at.success) and "after 3/10" in _texts(at.success)
    assert not [p for p in at.pills if p.key.startswith(key)]  # answered: not asked again
    with open_store(demo_db) as store:
        stored = store.sessions("test:check", "P001").set_index("date").loc[pd.Timestamp(when)]
        history = store.history("test:check", "P001")
        audit = store.audit_log("test:check", action="edit")
    assert (stored["pain_before"], stored["pain_after"], stored["needles"]) == (6.0, 3.0, 6)
    assert (history.iloc[-1]["actor"], history.iloc[-1]["table"]) == ("p001", "sessions")
    assert audit.iloc[-1]["username"] == "p001"
    assert "answer_session_pain" in audit.iloc[-1]["detail"]


def test_new_entry_shows_on_my_progress(demo_db):
    at = open_page("views/log_today.py", user="p004")
    at.pills(key="log.pain").set_value(2)
    at.button(key="FormSubmitter:log.form-Save").click().run()
    at.switch_page("views/my_progress.py").run()
    at.segmented_control(key="progress.range").set_value("All").run()
    fig = at.get("plotly_chart")[0].proto.spec
    assert pd.Timestamp(dt.date.today()).strftime("%Y-%m-%d") in fig


# ------------------------------------------------------------------ data page


_DATA_TABS = {"session": "➕ Record a session", "import": "⬆️ Import CSV", "export": "⬇️ Export CSV"}


def _data_section(section: str):
    """The Data page of an admin with the tab ``section`` open."""
    at = open_page("views/data_manager.py", user="admin")
    at.session_state["data.section"] = _DATA_TABS[section]
    return at.run()


def test_bad_upload_shows_every_validation_problem(demo_db):
    at = _data_section("import")
    bad = b"patient_id,date,pain\nP001,2026-01-05,11\nP001,not-a-date,3\nNOBODY,2026-01-06,4\n"
    at.file_uploader(key="data.upload.diary").set_value(("my_diary.csv", bad, "text/csv")).run()
    assert not at.exception
    assert "problems found" in _texts(at.error)
    # every message in full, where it can wrap (not cut off in a table cell)
    listed = _texts(at.markdown)
    for where in ("line 2, pain", "line 3, date", "line 4, patient"):
        assert where in listed
    assert "add the patient there first or correct the id" in listed
    problems = at.dataframe[0].value
    assert set(problems.columns) >= {"file", "line", "column", "message"}
    assert set(problems["file"]) == {"my_diary.csv"}
    assert {2, 3, 4} <= set(problems["line"])
    assert not any(b.label == "Import" for b in at.button)


def test_valid_upload_previews_then_imports(demo_db):
    at = _data_section("import")
    text = "patient_id,date,pain\nP001,2026-11-01,4\nP001,2026-11-02,5\n"
    load_diary(io.StringIO(text))  # the file is valid for the loader
    at.file_uploader(key="data.upload.diary").set_value(
        ("diary.csv", text.encode(), "text/csv")
    ).run()
    preview = at.dataframe[0].value
    assert preview.set_index("table").loc["diary", "inserted"] == 2
    at.button(key="data.import").click().run()
    assert not at.exception
    assert "Imported: 2 new" in _texts(at.success)
    assert _stored_pain(demo_db, "P001", dt.date(2026, 11, 2)) == 5.0
    # a clean page after the import: no file, no preview, no second Import button
    assert not any(b.key == "data.import" for b in at.button)
    assert not at.dataframe
    assert all(not u.value for u in at.file_uploader)


def test_data_page_offers_one_download_of_the_clinic(demo_db):
    at = _data_section("export")
    downloads = at.get("download_button")
    assert [d.label for d in downloads] == ["Download the clinic (zip)"]


def test_record_a_session(demo_db):
    at = open_page("views/data_manager.py", user="dr.a")
    at.selectbox(key="data.s.patient").set_value("P007")
    at.date_input(key="data.s.date").set_value(dt.date.today())
    at.selectbox(key="data.s.technique").set_value("electro")
    at.text_input(key="data.s.frequency").input("2/100")
    at.text_input(key="data.s.points").input("LI4;ST36")
    at.pills(key="data.s.events").set_value(["bruising"])
    at.button(key="FormSubmitter:data.session_form-Save session").click().run()
    assert not at.exception
    assert "saved" in _texts(at.success)
    with open_store(demo_db) as store:
        sessions = store.sessions("test:check", "P007")
    last = sessions.iloc[-1]
    assert (last["technique"], last["frequency_hz"], last["adverse_events"]) == (
        "electro",
        "2/100",
        "bruising",
    )


# ------------------------------------------------------------------ dashboard review

NEW_PATIENTS = (
    "patient_id,condition,group,start_date,sex,birth_year,clinician_id\n"
    "N001,fibromyalgia,acupuncture,,F,1980,C01\n"  # brand new: nothing logged
    "N002,migraine,acupuncture,,M,1970,C01\n"  # sessions but no baseline days
    "N003,neck_pain,waitlist,,F,1990,C02\n"  # diary but no sessions
)


@pytest.fixture
def awkward_db(demo_db):
    """The demo clinic plus a new patient, one without a baseline and one without sessions."""
    from analytics.contract import Dataset, empty_frame
    from analytics.io import load_patients, load_sessions

    today = dt.date.today()
    days = [today - dt.timedelta(days=k) for k in range(20, 0, -1)]
    diary = "patient_id,date,pain\n" + "".join(f"N002,{d},5\nN003,{d},4\n" for d in days)
    sessions = f"patient_id,date,technique,frequency_hz\nN002,{days[0]},electro,2/100\n"
    patients = load_patients(io.StringIO(NEW_PATIENTS))
    dataset = Dataset(
        patients=patients,
        diary=load_diary(io.StringIO(diary), patients=patients),
        sessions=load_sessions(io.StringIO(sessions), patients=patients),
    )
    assert len(empty_frame("diary")) == 0
    with open_store(demo_db) as store:
        store.import_dataset("test:setup", dataset)
    with open_store(demo_db) as store:
        from analytics.access import LOCAL_OPERATOR
        from analytics.service import Service

        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        for pid in ("N001", "N002", "N003"):
            svc.add_user(
                patient_user(pid), role="patient", password=PASSWORD, patient_id=pid,
                must_change_password=False,
            )  # fmt: skip
    return demo_db


_MISSING_WORDS = ("None", "nan", "NaN", "<NA>", "NaT")


def _assert_tables_say_missing_plainly(at) -> None:
    for table in at.dataframe:
        assert table.proto.placeholder == "—"  # missing numbers show as an em dash
        frame = table.value
        for col in frame.columns:
            if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                shown = set(frame[col].dropna().astype(str))
                assert not shown & set(_MISSING_WORDS), (col, shown & set(_MISSING_WORDS))


@pytest.mark.parametrize(
    ("user", "page_path"),
    [("n002", p) for p in PATIENT_PAGES] + [("admin", p) for p in CLINICIAN_PAGES],
)
def test_no_table_shows_none_or_nan(awkward_db, user, page_path):
    at = open_page(page_path, user=user)
    assert not at.exception, at.exception
    _assert_tables_say_missing_plainly(at)
    for metric in at.metric:
        assert str(metric.value) not in _MISSING_WORDS


def test_overview_labels_codes_and_says_why_a_value_is_missing(awkward_db):
    at = open_page("views/clinic_overview.py", user="admin")
    table = at.dataframe[0].value.set_index("patient_id")
    details = at.dataframe[1].value.set_index("patient_id")
    assert table.loc["N002", "note"] == "not enough baseline days"
    assert table.loc["N002", "response"] == "—"
    assert table.loc["N001", "note"] == "no session or start date yet"
    assert details.loc["N003", "technique"] == "None (no sessions)"
    assert details.loc["N002", "technique"] == "EA mixed (e.g. 2/100 Hz)"
    # N002 logged up to yesterday: its only flag is the missing baseline
    assert table.loc["N002", "attention"] == "❔ not enough baseline"
    assert table.loc["N001", "attention"].startswith("💤 no diary entry yet")
    assert not details["technique"].str.contains("electro_").any()
    assert not details["condition"].str.contains("_").any()
    categories = {"No improvement", "Minimal", "Moderate", "Substantial"}
    for text in table["response"]:
        assert text == "—" or text.split(" · ")[1] in categories, text


def test_empty_states_of_a_brand_new_patient(awkward_db):
    at = open_page("views/log_today.py", user="n001")
    assert not at.exception
    assert "No current streak · 0/7 days logged" in _texts(at.caption)
    at.switch_page("views/my_progress.py").run()
    assert "No diary days so far" in _texts(at.info)
    assert _n_charts(at) == 0
    at = open_chart("N001")
    assert not at.exception
    assert "no diary days yet" in _texts(at.info)


def test_empty_states_without_baseline_or_sessions(awkward_db):
    at = open_page("views/my_progress.py", user="n002")
    assert not at.exception
    assert "Not enough diary days before your first session" in _texts(at.markdown)
    at = open_chart("N002")
    assert not at.exception and not at.error
    assert "not enough baseline days" in _texts(at.caption)
    assert "needs a baseline" in _texts(at.info)
    at = open_page("views/my_progress.py", user="n003")
    assert "has not started" in _texts(at.markdown)
    at = open_chart("N003")
    assert "No sessions recorded yet" in _texts(at.info)


def test_settings_change_applies_on_every_page(demo_db):
    at = open_page("views/clinic_overview.py", user="dr.a")
    at.sidebar.number_input[0].set_value(7).run()  # baseline days
    assert "Baseline: 7 days" in _texts(at.caption)
    for page_path in CLINICIAN_PAGES[:3]:
        at.switch_page(page_path).run()
        assert not at.exception
        assert "Baseline: 7 days" in _texts(at.caption), page_path


def test_clinic_overview_flag_filter_keeps_patients_with_any_chosen_flag(demo_db, fixed_today):
    # status as of the demo's last diary day: with the real calendar every demo patient
    # would be "not logging" and the counts below would change from day to day
    at = open_page("views/clinic_overview.py", user="admin")
    flagged = at.dataframe[0].value
    n_flagged = int((flagged["attention"].fillna("") != "").sum())
    assert 0 < n_flagged < len(flagged)
    # choosing every flag lists every flagged patient, not only those with all of them
    at.multiselect(key="overview.flag").set_value(list(SIGNAL_LABELS)).run()
    assert len(at.dataframe[0].value) == n_flagged
    at.multiselect(key="overview.flag").set_value(["worse_than_baseline"]).run()
    shown = at.dataframe[0].value
    assert 0 < len(shown) < n_flagged
    assert shown["attention"].str.contains("worse than baseline").all()


def test_patient_chart_response_metric_is_short_enough_to_read(demo_db):
    at = open_chart("P001")
    response = next(m for m in at.metric if m.label == "Response")
    # the change in words with its size; the IMMPACT category goes to the help text
    assert re.fullmatch(
        r"No change|Worse \(pain \+\d+%\)|Improved \(pain \u2212\d+%\)", response.value
    )
    assert len(response.value) <= 24
    assert "IMMPACT" in response.help
    assert "No change" in response.help
