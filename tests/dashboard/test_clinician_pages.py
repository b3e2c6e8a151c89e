"""The clinician's pages: status as of a fixed "today", triage order, readable response, Data page.

"Today" is fixed (``dashboard.clock.today``) so the status columns do not move with
the calendar. The demo clinic here is ``sample_data/`` as it is: its last diary day is
31 Oct 2026; P030 last logged on 16 Sep 2026 and P003 on 8 Oct 2026.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from analytics.access import LOCAL_OPERATOR
from analytics.io import load_dataset
from analytics.pipeline import analysis_diary, analyze
from analytics.presentation import p_value_text, too_few_text
from analytics.service import Service
from analytics.settings import AnalysisSettings
from analytics.store import open_store, project_root
from dashboard import charts, clock

from .conftest import open_page

DEMO_LAST_DAY = dt.date(2026, 10, 31)


def _fix_today(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:

    monkeypatch.setattr(clock, "today", lambda: day)


@pytest.fixture
def demo_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    _fix_today(monkeypatch, DEMO_LAST_DAY)
    return DEMO_LAST_DAY


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _overview(user: str = "admin"):
    at = open_page("views/clinic_overview.py", user=user)
    assert not at.exception, at.exception
    return at


def _chart(patient_id: str, user: str = "admin"):
    at = _overview(user)
    at.session_state["chart.patient"] = patient_id
    at.switch_page("views/patient_chart.py").run()
    assert not at.exception, at.exception
    return at


def _metrics(at) -> dict[str, str]:
    return {m.label: str(m.value) for m in at.metric}


def _columns(table) -> dict[str, dict]:
    """The column config of an ``st.dataframe`` element, by column name."""
    return json.loads(table.proto.columns)


# ------------------------------------------------------------------ status as of today


def test_overview_lists_patients_who_need_attention_first(demo_db, demo_today):
    at = _overview()
    table = at.dataframe[0].value
    assert len(table) == 60 - 44  # the 44 courses sample_data ends are not listed
    assert table["due"].map(lambda t: t == "" or t.endswith(" due")).all()
    flagged = table["attention"] != ""
    assert flagged.iloc[0], table.head()
    # every flagged patient before every unflagged one
    assert not flagged.iloc[int((~flagged).argmax()) :].any()
    # a patient worse than baseline above every patient flagged only for gaps
    worse = table["attention"].str.contains("worse than baseline")
    assert worse.iloc[: int(worse.sum())].all()
    # among the gaps only, the longest silence first
    silent = table[~worse & table["attention"].str.contains("not logging for")]
    days = silent["attention"].str.extract(r"not logging for (\d+) day")[0].astype(int)
    assert days.is_monotonic_decreasing
    # P020: pain 14 % above baseline, then silent: among the first, not after the gaps
    assert "P020" in set(table["patient_id"].iloc[: int(worse.sum())])


def test_status_fields_count_back_from_a_fixed_today(demo_db, monkeypatch):
    # P030 last logged on 16 Sep 2026
    for today in (DEMO_LAST_DAY, dt.date(2026, 11, 14)):
        _fix_today(monkeypatch, today)
        at = _overview()
        at.toggle(key="overview.ended").set_value(True).run()  # P030's course has ended
        row = at.dataframe[0].value.set_index("patient_id").loc["P030"]
        assert row["attention"] == ""  # an ended course needs no look
        assert row["course"] == "ended 13 Aug 2026 (completed)"
        assert row["adherence_28d"] == 0.0
        assert row["mean_now"] == "2.0 (16 Sep)"  # the latest 7-day mean with its date
        assert f"as of today, {today:%d %b %Y}" in _texts(at.caption)
        assert _metrics(at)["Not logging ≥ 7 days"] == str(
            (at.dataframe[0].value["attention"].str.contains("not logging")).sum()
        )

    at = _chart("P030")
    metrics = _metrics(at)
    assert metrics["Days since last entry"] == "59"
    assert metrics["Adherence, 28 days"] == "0%"
    assert metrics["Adverse events"] == "0"
    assert metrics["7-day mean (0–10)"] == "2.0"
    assert "7 days to 16 Sep 2026" in _texts(at.caption)
    assert "not logging for 59 days" in _texts(at.warning)


def test_overview_adherence_is_drawn_in_the_neutral_colour(demo_db, demo_today):
    at = _overview()
    adherence = next(c for c in _columns(at.dataframe[0]).values() if "Adherence" in str(c))
    assert charts.ADHERENCE_COLOR in json.dumps(adherence)


def test_one_entry_after_a_long_gap_keeps_the_response(demo_db, monkeypatch):
    """P003 logs once 25 days after its last entry: the strict follow-up is too thin."""
    today = dt.date(2026, 11, 2)
    _fix_today(monkeypatch, today)
    with open_store(demo_db) as store:  # saved as the app saves it: the outcomes refreshed
        Service(store, LOCAL_OPERATOR, face="test:setup").save_diary_entry(
            {"patient_id": "P003", "date": today, "pain": 4.0}
        )

    # the reference: the library's own most recent valid follow-up for P003
    ds = load_dataset(project_root() / "sample_data")
    diary = pd.concat(
        [
            ds.diary,
            pd.DataFrame({"patient_id": ["P003"], "date": [pd.Timestamp(today)], "pain": [4.0]}),
        ],
        ignore_index=True,
    ).astype({"date": ds.diary["date"].dtype})
    daily = analysis_diary(diary, ds.entries)  # the day's pain folds in its entries
    ref = analyze(ds.patients, daily, ds.sessions, AnalysisSettings(as_of=today)).patient_outcomes
    p003 = ref.set_index("patient_id").loc["P003"]
    assert np.isnan(p003["pct_change"])  # the strict outcome is lost ...
    pct = 100 * (p003["baseline_pain"] - p003["recent_followup_pain"]) / p003["baseline_pain"]
    assert pct > 50

    at = _overview()
    at.toggle(key="overview.ended").set_value(True).run()  # P003's course has ended
    row = at.dataframe[0].value.set_index("patient_id").loc["P003"]
    # ... the overview shows the most recent valid follow-up, with its dates
    assert row["response"] == f"+{pct:.0f}% · Substantial"
    start, end = p003["recent_followup_start"], p003["recent_followup_end"]
    assert row["note"] == f"follow-up {start:%d %b}–{end:%d %b}"
    assert "not logging" not in row["attention"]

    at = _chart("P003")
    metrics = _metrics(at)
    # the change in pain in words, its size rounded half away from zero by hand
    assert metrics["Response"] == f"Improved (pain \u2212{math.floor(pct + 0.5)}%)"
    assert metrics["At follow-up"] == f"{p003['recent_followup_pain']:.1f}"
    assert metrics["Days since last entry"] == "0"
    assert "the most recent valid follow-up" in _texts(at.caption)
    # under the pain chart, P003's flares in a few words (sample_data/entries.csv: 9 flares
    # in 21 entries, 3 in the 14 baseline days = 6.0 per 4 weeks, 6 of 8 rescues answered)
    assert (
        "Flares per 4 weeks: 6.0 before, — at follow-up. 9 flares in 21 entries. Median flare "
        "7 h 20 min (9 with a duration). Rescue medicine helped 6 of 6 answered uses (8 taken)."
    ) in _texts(at.caption)


# ------------------------------------------------------------------ patient chart


def _figures(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_patient_chart_reads_in_one_sign_convention_and_one_x_range(demo_db, demo_today):
    at = _chart("P001")
    captions = _texts(at.caption)
    assert "positive = better" in captions
    assert "negative = less pain" not in captions.lower()
    assert "hover" not in captions.lower()
    # the ITS caption says its change in words
    assert "level shifted by" in captions and "95% CI" in captions
    figures = _figures(at)
    dated = [f for f in figures if "period" in (f["layout"].get("meta") or {})]
    assert len(dated) == 3  # pain, sleep/mood/stress, medication
    assert len({tuple(f["layout"]["meta"]["period"]) for f in dated}) == 1
    assert len({tuple(f["layout"]["xaxis"]["range"]) for f in dated}) == 1
    # secondary outcomes in better/worse words: better sleep reads as better
    secondary = next(t.value for t in at.dataframe if "change" in t.value.columns)
    assert secondary["change"].str.match(r"^(better|worse) by |^no change$").all()
    # factor effects and N-of-1 effect sizes, with plain captions
    nof1 = next(
        t.value for t in at.dataframe if "measure" in t.value.columns and "value" in t.value.columns
    )
    assert list(nof1["measure"]) == [
        "NAP (non-overlap of all pairs)",
        "Tau-U (baseline trend corrected)",
    ]
    assert "not proof of cause" in captions
    # the outcome questionnaires against baseline, and the responder by two methods
    scores = [str(m.value) for m in at.markdown if "Meaningful change:" in str(m.value)]
    assert [s.split("**")[1] for s in scores] == ["PGIC", "PHQ-4", "PSFS"]
    assert any(str(m.value).startswith("**Responder by two methods (IMMPACT)") for m in at.markdown)


def test_a_rerun_of_the_chart_draws_the_date_charts_built_by_the_visits_first_run(
    demo_db, demo_today, monkeypatch
):
    built = []
    real = charts.pain_trajectory

    def counted(*args, **kwargs):
        built.append(kwargs["title"])
        return real(*args, **kwargs)

    monkeypatch.setattr(charts, "pain_trajectory", counted)
    sessions_drawn = []
    real_sessions = charts.session_before_after

    def sessions_counted(sessions):
        sessions_drawn.append(set(sessions["patient_id"]))
        return real_sessions(sessions)

    monkeypatch.setattr(charts, "session_before_after", sessions_counted)
    at = _chart("P001")
    first = [c for c in _figures(at) if "period" in (c["layout"].get("meta") or {})]
    at.run()  # a rerun of the visit, as when a widget further down changes
    at.run()
    again = [c for c in _figures(at) if "period" in (c["layout"].get("meta") or {})]
    assert built == ["Pain over time, P001"]
    assert sessions_drawn == [{"P001"}]
    assert again == first and len(first) == 3
    at.session_state["chart.patient"] = "P007"  # another patient: their own charts
    at.run()
    assert built == ["Pain over time, P001", "Pain over time, P007"]
    assert sessions_drawn == [{"P001"}, {"P007"}]
    titles = [str(c["layout"].get("title", {}).get("text", "")) for c in _figures(at)]
    assert any("P007" in t for t in titles) and not any("P001" in t for t in titles)


def test_comparison_group_patient_is_not_told_trend_after_start(demo_db, demo_today):
    ds = load_dataset(project_root() / "sample_data")
    waitlist = sorted(ds.patients.loc[ds.patients["group"] == "waitlist", "patient_id"])
    at = _chart(waitlist[0])
    text = json.dumps(_figures(at)) + _texts(at.caption) + _texts(at.markdown)
    assert "Trend after start" not in text
    assert "start of treatment" not in _texts(at.caption)
    assert "comparison group" in _texts(at.markdown)


# ------------------------------------------------------------------ treatment response


def test_a_rerun_of_treatment_response_draws_the_charts_of_the_visits_result(
    demo_db, demo_today, monkeypatch
):
    drawn = []
    real = charts.waterfall

    def counted(outcomes, **kwargs):
        drawn.append(len(outcomes))
        return real(outcomes, **kwargs)

    monkeypatch.setattr(charts, "waterfall", counted)
    others = Counter()

    def counting(name):
        real_chart = getattr(charts, name)

        def chart(*args, **kwargs):
            others[name] += 1
            return real_chart(*args, **kwargs)

        return chart

    for name in ("cpra_chart", "adverse_event_chart"):
        monkeypatch.setattr(charts, name, counting(name))
    at = open_page("views/treatment_response.py", user="admin")
    first = _figures(at)
    at.run()
    at.run()
    assert drawn == [60] and _figures(at) == first
    assert others == {"cpra_chart": 1, "adverse_event_chart": 1}
    at = open_page("views/treatment_response.py", user="dr.a")  # another visit, its own rows
    assert drawn == [60, 30]
    assert others == {"cpra_chart": 2, "adverse_event_chart": 2}


def test_treatment_response_shows_holm_p_values_and_keeps_controls_out(demo_db, demo_today):
    at = open_page("views/treatment_response.py", user="admin")
    assert not at.exception, at.exception
    ds = load_dataset(project_root() / "sample_data")
    daily = analysis_diary(ds.diary, ds.entries)  # the day's entries folded in, as stored
    result = analyze(ds.patients, daily, ds.sessions, AnalysisSettings(as_of=DEMO_LAST_DAY))
    po = result.patient_outcomes
    n_treated = int((~po["control"]).sum())
    assert 0 < n_treated < len(po)

    # in tab order (group, condition, technique): a summary, then its pairwise comparison
    summaries = [t for t in at.dataframe if "n_patients" in t.value.columns]
    pairs = [t for t in at.dataframe if "group_a" in t.value.columns]
    group, condition, technique = (t.value for t in summaries)
    # waitlist patients are not in the technique or condition rates; they are under Group
    assert technique["n_patients"].astype(int).sum() == n_treated
    assert condition["n_patients"].astype(int).sum() == n_treated
    assert group["n_patients"].astype(int).sum() == len(po)
    assert not technique["group"].str.contains("None|waitlist", case=False).any()

    gc = result.group_comparison
    size = result.settings.min_group_size
    for by in ("group", "condition", "technique"):
        shown = pairs[("group", "condition", "technique").index(by)]
        frame = shown.value
        rows = gc[gc["group_by"] == by].reset_index(drop=True)
        # independent reference: statsmodels' Holm on the unadjusted p-values of the pairs
        raw = rows["p_value"].to_numpy()
        ok = ~np.isnan(raw)
        expected = np.full_like(raw, np.nan)
        expected[ok] = multipletests(raw[ok], method="holm")[1]
        assert frame["p_value_holm"].tolist() == [p_value_text(p) for p in expected]
        assert frame["p_value"].tolist() == [p_value_text(p) for p in raw]
        # a pair with a group under the minimum shows counts and the sentence, no p
        small = (rows[["n_a", "n_b"]].min(axis=1) < size).to_numpy()
        assert (frame.loc[small, "ci"] == too_few_text(size)).all()
        assert (frame.loc[small, ["p_value", "p_value_holm"]] == "—").all().all()
        assert not frame.loc[~small, "ci"].str.contains("too few").any()
        titles = {c["label"] if "label" in c else "" for c in _columns(shown).values()}
        assert {"95% CI (unadjusted)", "p (unadjusted)"} <= titles
        m = int(ok.sum())
        assert f"p (Holm-adjusted for {m} pair{'' if m == 1 else 's'})" in titles
        assert not any("_" in t for t in titles)
    assert (condition["responder_ci"] == too_few_text(size)).any()
    captions = _texts(at.caption)
    assert "left out of the condition and technique rates" in captions
    assert "Holm-adjusted" in captions
    assert "too few patients to compare (n < 5 per group)" in captions
    # the Kaplan–Meier rule and the waterfall's are named apart
    assert "Time to a sustained response" in captions
    assert "a different rule from the responders at follow-up above" in captions
    assert any(
        words in captions
        for words in ("Emax fit on", "had not levelled off", "Too few session numbers")
    )
    assert "Clinic overview" in captions  # why its responder count can differ


# ------------------------------------------------------------------ data page


def test_data_page_keeps_its_tab_after_a_session_save(demo_db):
    at = open_page("views/data_manager.py", user="admin")
    # the tabs keep their state in the session (a key and on_change="rerun"), so the
    # rerun after a save shows the tab the person was on, not the first one
    assert [t.label for t in at.tabs] == ["➕ Record a session", "⬆️ Import CSV", "⬇️ Export CSV"]
    at.session_state["data.section"] = "⬆️ Import CSV"
    at.run()
    assert at.session_state["data.section"] == "⬆️ Import CSV"
    at.session_state["data.section"] = "➕ Record a session"
    at.run()
    for round_, pain in enumerate((6.0, 5.0)):
        at.selectbox(key="data.s.patient").set_value("P007")
        at.date_input(key="data.s.date").set_value(dt.date.today())
        at.number_input(key="data.s.before" + (f".{round_}" if round_ else "")).set_value(pain)
        at.button(key="FormSubmitter:data.session_form-Save session").click().run()
        assert not at.exception
        assert at.session_state["data.section"] == "➕ Record a session"
        # the form is still on screen, ready for the next session
        at.button(key="FormSubmitter:data.session_form-Save session")
    assert "saved" in _texts(at.success) or "already stored" in _texts(at.warning)


def test_data_page_has_no_select_all_and_no_raw_codes(demo_db):
    at = open_page("views/data_manager.py", user="dr.a")
    # adverse events are tapped one by one: no multiselect (which offers "Select all")
    assert not at.multiselect
    events = at.pills(key="data.s.events")
    assert "Bleeding" in events.options and "bleeding" not in events.options
    technique = at.selectbox(key="data.s.technique")
    assert "Electroacupuncture (EA)" in technique.options
    assert "electro" not in technique.options
    at.selectbox(key="data.s.patient").set_value("P007")
    at.date_input(key="data.s.date").set_value(dt.date.today())
    at.selectbox(key="data.s.technique").set_value("manual")
    at.pills(key="data.s.events").set_value(["bruising", "soreness"])
    at.button(key="FormSubmitter:data.session_form-Save session").click().run()
    assert not at.exception
    with open_store(demo_db) as store:
        last = store.sessions("test:check", "P007").iloc[-1]
    assert last["adverse_events"] == "bruising;soreness"
    # the next session starts without them: nothing is carried over by accident
    assert not at.pills(key="data.s.events.1").value  # a new, empty widget
    assert at.selectbox(key="data.s.patient").value == "P007"


def test_the_overview_keeps_the_patient_column_in_view_when_swiped(demo_db):
    import json

    at = open_page("views/clinic_overview.py", user="dr.a")
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["patient_id"]["pinned"] is True
    assert [name for name, c in columns.items() if c.get("pinned")] == ["patient_id"]


def test_a_session_later_than_now_is_refused_in_a_sentence_naming_the_clinic_time(
    demo_db, monkeypatch
):
    from dashboard import clock

    now = dt.datetime(2026, 11, 30, 4, 12)
    monkeypatch.setattr(clock, "now", lambda: now)
    monkeypatch.setattr(clock, "zone", lambda: "GMT")
    monkeypatch.setattr(clock, "today", lambda: now.date())
    at = open_page("views/data_manager.py", user="admin")
    assert at.time_input(key="data.s.time").label == "Time (GMT)"
    before = at.number_input(key="data.s.before")
    assert (before.min, before.max, before.step) == (0, 10, 1)
    assert before.proto.data_type == before.proto.INT  # whole points, shown as "6", not "6.00"
    at.selectbox(key="data.s.patient").set_value("P007")
    at.date_input(key="data.s.date").set_value(now.date())
    at.time_input(key="data.s.time").set_value(dt.time(23, 45))
    with open_store(demo_db) as store:
        n_before = len(store.sessions("test:check", "P007"))
    at.button(key="FormSubmitter:data.session_form-Save session").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "23:45 on 30 Nov 2026 is later than now (04:12 on 30 Nov 2026, clinic time GMT); "
        "a session cannot be in the future."
    ]
    with open_store(demo_db) as store:
        assert len(store.sessions("test:check", "P007")) == n_before  # nothing saved


def test_copy_the_last_session_fills_the_protocol_of_that_patient(demo_db):
    # independent reference: the patient's last session as stored
    with open_store(demo_db) as store:
        sessions = store.sessions("test:check", "P007")
    last = sessions.sort_values("date").iloc[-1]
    at = open_page("views/data_manager.py", user="admin")
    at.selectbox(key="data.s.patient").set_value("P007").run()
    at.button(key="data.s.copy").click().run()
    assert not at.exception
    assert at.selectbox(key="data.s.technique").value == last["technique"]
    frequency = "" if pd.isna(last["frequency_hz"]) else str(last["frequency_hz"])
    assert at.text_input(key="data.s.frequency").value == frequency
    assert at.text_input(key="data.s.points").value == (
        "" if pd.isna(last["points"]) else last["points"]
    )
    for key, column in (("data.s.needles", "needles"), ("data.s.retention", "retention_min")):
        expected = None if pd.isna(last[column]) else int(last[column])
        assert at.number_input(key=key).value == expected
    assert at.number_input(key="data.s.before").value is None  # today's pain is not copied
    assert any(f"session of {last['date']:%d %b %Y}" in i.value for i in at.info)
    # the note stays while the form is filled in for that patient, not for another one
    at.text_input(key="data.s.points").set_value("LI4, ST36").run()
    assert any(f"session of {last['date']:%d %b %Y}" in i.value for i in at.info)
    at.selectbox(key="data.s.patient").set_value("P001").run()
    assert not any("Copied the protocol" in i.value for i in at.info)
