"""AppTest runs of the patient's pages: status as of a fixed today, edits that keep what
was not touched, the History page, named medications and the charts' period."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from analytics.presentation import pain_color
from analytics.store import open_store
from dashboard import clock, data

from .conftest import open_page

FULL = {
    "pain": 7,
    "worst_pain": 9,
    "enjoyment_interference": 6,
    "activity_interference": 5,
    "sleep_quality": 3,
    "mood": 4,
    "stress": 8,
    "analgesic_doses": 2,
    "opioid_mme": 15.0,
    "notes": "bad night, walked a little",
}


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _stored(url: str, pid: str, day: dt.date) -> dict | None:
    with open_store(url) as store:
        return store.get_diary_entry("test:check", pid, day)


def _save(url: str, pid: str, day: dt.date, **values) -> None:
    with open_store(url) as store:
        store.save_diary_entry("test:setup", {"patient_id": pid, "date": day, **values})


def _diary(url: str, pid: str) -> pd.DataFrame:
    with open_store(url) as store:
        diary = store.dataset("test:check").diary
    return diary[diary["patient_id"] == pid].reset_index(drop=True)


@pytest.fixture
def fixed_today(monkeypatch: pytest.MonkeyPatch):
    """Make the app's "today" a chosen date."""

    def fix(day: dt.date) -> dt.date:
        monkeypatch.setattr(clock, "today", lambda: day)
        return day

    return fix


# ------------------------------------------------------------------ edit without loss


def test_relogging_only_pain_keeps_every_other_item(demo_db):
    today = dt.date.today()
    _save(demo_db, "P001", today, **FULL)
    at = open_page("views/log_today.py", user="p001")
    assert not at.exception, at.exception
    # the stored entry opens prefilled
    assert at.pills(key="log.pain").value == 7
    assert at.pills(key="log.sleep_quality").value == 3
    assert at.text_area(key="log.notes").value == FULL["notes"]
    assert at.number_input(key="log.opioid_mme").value == 15.0

    at.pills(key="log.pain").set_value(5)
    at.button(key="FormSubmitter:log.form-Save").click().run()  # Save
    assert not at.exception, at.exception
    question = _texts(at.warning)
    assert "You already logged" in question
    assert "**average pain** 7/10 → 5/10" in question
    # exactly one item changes; nothing is cleared
    assert "cleared" not in question and "added" not in question
    assert _stored(demo_db, "P001", today)["pain"] == 7.0  # nothing written before the yes

    at.button(key="log.replace").click().run()
    assert not at.exception, at.exception
    assert "Replaced your entry" in _texts(at.success)
    after = _stored(demo_db, "P001", today)
    assert after["pain"] == 5.0
    for field, value in FULL.items():
        if field != "pain":
            assert after[field] == value, field


def test_clearing_an_item_is_said_before_it_happens(demo_db):
    today = dt.date.today()
    _save(demo_db, "P002", today, pain=6, sleep_quality=4, notes="stiff")
    at = open_page("views/log_today.py", user="p002")
    at.text_area(key="log.notes").input("")
    at.pills(key="log.sleep_quality").set_value(None)
    at.button(key="FormSubmitter:log.form-Save").click().run()
    question = _texts(at.warning)
    assert "**sleep quality** 4/10 → cleared" in question
    assert "**note** “stiff” → cleared" in question
    at.button(key="log.keep").click().run()
    kept = _stored(demo_db, "P002", today)
    assert kept["sleep_quality"] == 4.0 and kept["notes"] == "stiff"


def test_saving_the_same_values_changes_nothing(demo_db):
    today = dt.date.today()
    _save(demo_db, "P004", today, pain=3)
    at = open_page("views/log_today.py", user="p004")
    at.button(key="FormSubmitter:log.form-Save").click().run()
    assert "Nothing to change" in _texts(at.success)
    assert not at.warning


def test_today_yesterday_and_additions_to_a_logged_day_saved_with_one_save(demo_db):
    today = dt.date.today()
    yesterday = today - dt.timedelta(days=1)
    _save(demo_db, "P001", today, pain=5, notes="stiff")
    at = open_page("views/log_today.py", user="p001")
    # "Today" / "Yesterday" set the day, its weekday written by the Day field
    assert f"**{today:%A} {today.day} {today:%B %Y}**" in _texts(at.markdown)
    at.button(key="log.day.yesterday").click().run()
    assert at.date_input(key="log.date").value == yesterday
    assert f"**{yesterday:%A} {yesterday.day} {yesterday:%B %Y}**" in _texts(at.markdown)
    at.button(key="log.day.today").click().run()
    assert at.date_input(key="log.date").value == today

    at.pills(key="log.sleep_quality").set_value(4)
    at.pills(key="log.mood").set_value(6)
    at.button(key="FormSubmitter:log.form-Save").click().run()
    assert not at.exception, at.exception
    assert not at.warning  # no question: no stored value changes
    assert "Added: sleep 4, mood 6 on" in _texts(at.success)
    after = _stored(demo_db, "P001", today)
    assert (after["pain"], after["notes"], after["sleep_quality"], after["mood"]) == (
        5.0, "stiff", 4.0, 6.0,
    )  # fmt: skip
    # the confirmation is right below the form's Save button, not atop the page
    main = list(at.main)  # depth first: the form's Save button, then what follows it
    save = next(i for i, e in enumerate(main) if getattr(e, "label", None) == "Save")
    after = [e for e in main[save + 1 :] if e.type != "flex_container"][0]
    assert after.type == "success" and "Added:" in str(after.value)


def test_choosing_another_day_opens_its_entry(demo_db):
    today = dt.date.today()
    _save(demo_db, "P001", today - dt.timedelta(days=2), pain=8, mood=2)
    at = open_page("views/log_today.py", user="p001")
    assert at.pills(key="log.pain").value is None  # today: nothing stored
    at.date_input(key="log.date").set_value(today - dt.timedelta(days=2)).run()
    assert at.pills(key="log.pain").value == 8
    assert at.pills(key="log.mood").value == 2


def test_history_edits_a_past_day_and_shows_its_kept_history(demo_db):
    today = dt.date.today()
    day = today - dt.timedelta(days=3)
    _save(demo_db, "P001", day, pain=4, sleep_quality=6, notes="gardening")
    at = open_page("views/history.py", user="p001")
    assert not at.exception, at.exception
    assert "History" in at.title[0].value
    assert at.subheader[0].value == f"{day:%A %d %B %Y}"  # the newest day is open
    assert at.pills(key="history.pain").value == 4
    at.pills(key="history.pain").set_value(2)
    at.button(key="FormSubmitter:history.form-Save").click().run()
    assert "**average pain** 4/10 → 2/10" in _texts(at.warning)
    at.button(key="history.replace").click().run()
    assert not at.exception, at.exception
    after = _stored(demo_db, "P001", day)
    assert (after["pain"], after["sleep_quality"], after["notes"]) == (2.0, 6.0, "gardening")
    # the change is kept and shown for that day, which is marked changed
    kept = "\n".join(m.value for m in at.markdown)
    assert "**average pain** 4/10 → 2/10" in kept
    assert "first logged: pain 4/10, sleep 6/10" in kept
    assert at.subheader[0].value == f"{day:%A %d %B %Y} ✏️"
    assert "Replaced your entry" in _texts(at.success)
    with open_store(demo_db) as store:
        history = store.history("test:check", "P001")
    update = history[(history["action"] == "update") & (history["key"] == day.isoformat())]
    assert json.loads(update["old"].iat[-1])["pain"] == 4.0


def test_history_shows_older_days_read_only(demo_db):
    at = open_page("views/history.py", user="p003")
    diary = _diary(demo_db, "P003")
    last = diary["date"].max().date()
    assert at.subheader[0].value == f"{last:%A %d %B %Y}"
    assert last < dt.date.today() - dt.timedelta(days=data.BACKFILL_DAYS)
    assert not [b for b in at.button if b.key == "FormSubmitter:history.form-Save"]
    assert "part of your clinic's record" in _texts(at.caption)
    assert len(at.dataframe[0].value) == len(diary)
    assert not at.selectbox  # days open from the calendar, not a long drop-down


def _calendar_css(at) -> str:
    return "\n".join(e.proto.body for e in at.get("html") if "history-cal" in e.proto.body)


def test_history_calendar_marks_logged_days_and_gaps_and_opens_a_tapped_day(demo_db, fixed_today):
    diary = _diary(demo_db, "P001").set_index("date")
    last = diary.index.max().date()  # Thursday 22 October 2026 in the demo clinic
    today = fixed_today(last + dt.timedelta(days=1))
    october = pd.date_range(last.replace(day=1), last)
    logged = [d.date() for d in october if d in diary.index and d.date() != last]
    gaps = [d.date() for d in october if d not in diary.index]
    assert logged and gaps, "the demo patient has logged days and a gap in October"
    at = open_page("views/history.py", user="p001")
    assert not at.exception, at.exception
    # the month of the newest day, every day of it a button: logged, gap, not yet come
    assert at.subheader[0].value == f"{last:%A %d %B %Y}"
    assert f"**{last:%B %Y}**" in _texts(at.markdown)
    assert "dark red = 7–10, severe pain" in _texts(at.caption)
    for day in [*logged, *gaps]:
        assert not at.button(key=f"history-cal-{day}").disabled, day
    assert at.button(key=f"history-cal-{today + dt.timedelta(days=1)}").disabled
    css = _calendar_css(at)
    day = logged[-1]
    pain = float(diary.loc[pd.Timestamp(day), "pain"])
    assert f".st-key-history-cal-{day} button {{ background-color: {pain_color(pain)}" in css
    assert f".st-key-history-cal-{gaps[-1]} button {{ background-color: #FFFFFF" in css
    assert "dashed" in css.split(f".st-key-history-cal-{gaps[-1]} button")[1].split("}")[0]
    # a tap on a logged day opens it with its stored values
    at.button(key=f"history-cal-{day}").click().run()
    assert at.subheader[0].value.startswith(f"{day:%A %d %B %Y}")
    assert at.pills(key="history.pain").value == pain
    assert f".st-key-history-cal-{day} button {{ box-shadow" in _calendar_css(at)
    # a gap day of the back-fill period opens empty, to be logged
    gap = gaps[-1]
    at.button(key=f"history-cal-{gap}").click().run()
    assert at.subheader[0].value == f"{gap:%A %d %B %Y}"
    assert at.pills(key="history.pain").value is None
    assert "No entry for this day yet" in _texts(at.caption)
    # the month before, and no month after today's
    assert at.button(key="history-cal-next").disabled
    at.button(key="history-cal-previous").click().run()
    assert not at.exception, at.exception
    assert f"**{last.replace(day=1) - dt.timedelta(days=1):%B %Y}**" in _texts(at.markdown)
    assert at.button(key="history-cal-2026-09-21")


# ------------------------------------------------------------------ status as of today


def test_status_counts_back_from_a_fixed_today_after_a_gap(demo_db, fixed_today):
    diary = _diary(demo_db, "P001")
    last = diary["date"].max().date()
    today = fixed_today(last + dt.timedelta(days=9))
    at = open_page("views/my_progress.py", user="p001")
    assert not at.exception, at.exception
    text = _texts(at.markdown)
    assert "**Not logging for 9 days**" in text
    assert f"last entry {last:%d %b %Y}, 9 days ago" in text
    # adherence: diary days among the 28 days ending today, counted by hand
    window = diary["date"].between(pd.Timestamp(today - dt.timedelta(days=27)), pd.Timestamp(today))
    assert f"Logged on {int(window.sum())} of the last 28 days (to {today:%d %b})" in text
    # no current mean: the last valid one with its date, and a concrete next step
    assert "Your last 7-day average:" in text
    assert "Log on 4 days in a row, starting today" in text
    assert "yet" not in text.lower().split()


def test_status_shows_the_current_mean_with_its_dates(demo_db, fixed_today):
    diary = _diary(demo_db, "P001")
    today = fixed_today(diary["date"].max().date())
    recent = diary[diary["date"] >= pd.Timestamp(today - dt.timedelta(days=6))]
    assert len(recent) >= 4
    at = open_page("views/log_today.py", user="p001")
    text = _texts(at.markdown)
    start = today - dt.timedelta(days=6)
    assert (
        f"**Your 7-day average: {recent['pain'].mean():.1f}/10** "
        f"({start:%d %b}–{today:%d %b}, {len(recent)} entries)"
    ) in text
    assert "Last entry: today" in text


def test_thin_followup_shows_the_most_recent_valid_one_with_dates(demo_db, fixed_today):
    # one entry after a long gap: the strict follow-up (last 14 diary days) is too thin
    diary = _diary(demo_db, "P003")
    last = diary["date"].max().date()
    today = fixed_today(last + dt.timedelta(days=26))
    _save(demo_db, "P003", today, pain=6)
    at = open_page("views/my_progress.py", user="p003")
    assert not at.exception, at.exception
    text = _texts(at.markdown)
    assert "compared with before treatment" in text
    caption = _texts(at.caption)
    assert "your most recent period with enough entries" in caption
    assert f"{last:%d %b %Y}" in caption  # the valid window ends on the last entry before the gap


# ------------------------------------------------------------------ charts and factors


def test_my_progress_charts_span_the_chosen_period(demo_db, fixed_today):
    diary = _diary(demo_db, "P001")
    today = fixed_today(diary["date"].max().date() + dt.timedelta(days=3))
    at = open_page("views/my_progress.py", user="p001")
    at.segmented_control(key="progress.range").set_value("4 weeks").run()
    charts = at.get("plotly_chart")
    assert len(charts) >= 2
    dated = [json.loads(c.proto.spec) for c in charts]
    dated = [spec for spec in dated if "period" in (spec["layout"].get("meta") or {})]
    assert len(dated) >= 2  # the body map has no dates
    for spec in dated:
        period = spec["layout"]["meta"]["period"]
        assert period == [(today - dt.timedelta(days=27)).isoformat(), today.isoformat()]
    pain = json.loads(charts[0].proto.spec)
    names = [t.get("name") for t in pain["data"]]
    assert "Worst pain" in names
    assert "hover" not in _texts(at.caption)


def test_my_progress_shows_factor_effects_as_associations(demo_db):
    at = open_page("views/my_progress.py", user="p001")
    sentences = [m.value for m in at.markdown if str(m.value).startswith("- ")]
    assert sentences
    assert any("your pain was" in s and "points" in s for s in sentences)
    assert "not proof of cause" in _texts(at.caption)
    # the questionnaires in plain words: no PGIC, PSFS or PHQ-4 for the patient
    told = [s for s in sentences if s.startswith("- Your ")]
    assert any(s.startswith("- Your function score") for s in told)
    assert any("overall impression of change at visit" in s for s in told)
    assert not any(word in " ".join(told) for word in ("PGIC", "PSFS", "PHQ"))


# ------------------------------------------------------------------ named medications


def test_a_named_opioid_and_dose_give_the_daily_mme(demo_db):
    today = dt.date.today()
    at = open_page("views/log_today.py", user="p007")
    at.pills(key="log.pain").set_value(4)
    at.selectbox(key="log.medication").set_value("oxycodone")
    at.number_input(key="log.medication_dose").set_value(30.0)
    at.button(key="FormSubmitter:log.form-Save").click().run()
    assert not at.exception, at.exception
    assert "Oxycodone 30 = 45 mg of morphine a day" in _texts(at.success)
    stored = _stored(demo_db, "P007", today)
    assert (stored["medication"], stored["medication_dose"]) == ("oxycodone", 30.0)
    assert stored["opioid_mme"] == pytest.approx(30 * 1.5)  # CDC 2022: oxycodone 1.5


def test_another_medicine_is_stored_by_name_without_mme(demo_db):
    today = dt.date.today()
    at = open_page("views/log_today.py", user="p007")
    at.pills(key="log.pain").set_value(4)
    at.selectbox(key="log.medication").set_value("ibuprofen")
    at.number_input(key="log.medication_dose").set_value(800.0)
    at.button(key="FormSubmitter:log.form-Save").click().run()
    stored = _stored(demo_db, "P007", today)
    assert stored["medication"] == "ibuprofen" and stored["opioid_mme"] is None


# ------------------------------------------------------------------ the wording, by hand


def _dates(today: dt.date, *days_ago: int) -> pd.Series:
    return pd.Series(pd.to_datetime([today - dt.timedelta(days=k) for k in days_ago]))


def test_next_step_counts_the_days_that_drop_out_of_the_window():
    from dashboard.components.status_card import next_step

    today = dt.date(2026, 3, 20)
    # 4 entries in the 7 days ending today: the average exists, no step
    assert next_step(_dates(today, 0, 2, 4, 6), today=today) is None
    # 3 entries (days -4, -5, -6) and today unlogged: logging today makes 4
    assert next_step(_dates(today, 4, 5, 6), today=today).startswith("Log today to see")
    # days -5 and -6 drop out as the window moves: by hand, logging today..day +3 keeps
    # 0 old entries in the window ending day +3, so 4 new days are needed, not 2
    step = next_step(_dates(today, 5, 6), today=today)
    assert step.startswith("Log on 4 days in a row, starting today")
    # days -1 and -3 stay in the window ending tomorrow: today and tomorrow suffice
    assert next_step(_dates(today, 1, 3), today=today).startswith(
        "Log on 2 days in a row, starting today"
    )
    # today logged, 3 entries in the window: tomorrow brings the fourth (-2 still inside)
    assert next_step(_dates(today, 0, 1, 2), today=today).startswith("Log tomorrow")


def test_entry_changes_lists_only_real_changes():
    from dashboard.components.entry_form import describe_changes, entry_changes

    stored = {"pain": 6.0, "sleep_quality": 4.0, "notes": "stiff", "mood": None}
    new = {"pain": 6, "sleep_quality": None, "notes": "stiff ", "mood": 7, "stress": None}
    changes = entry_changes(stored, new)
    assert [(c["field"], c["kind"]) for c in changes] == [
        ("sleep_quality", "cleared"),
        ("mood", "added"),
    ]
    assert describe_changes(changes) == "**sleep quality** 4/10 → cleared; **mood** added: 7/10"
    assert entry_changes(stored, dict(stored)) == []
    # a headache day's kind in words, as the diary question asks it
    kind = entry_changes({"headache": "headache"}, {"headache": "migraine"})
    assert describe_changes(kind) == "**headache** headache → migraine"
    assert describe_changes(entry_changes({}, {"headache": "none"})) == (
        "**headache** added: no headache"
    )


def test_log_today_offers_a_daily_reminder_file(demo_db):
    at = open_page("views/log_today.py", user="p001")
    at.time_input(key="log.reminder_time").set_value(dt.time(7, 30)).run()
    buttons = [b.proto for b in at.get("download_button")]
    assert [b.label for b in buttons] == ["Download the reminder (.ics)"]
    assert "every day at 07:30" in _texts(at.caption)


# ------------------------------------------------------------------ entries during the day


def test_a_flare_with_a_rescue_medicine_is_asked_about_two_hours_later_and_marked(
    demo_db, monkeypatch
):
    today = dt.date.today()
    monkeypatch.setattr(clock, "today", lambda: today)
    monkeypatch.setattr(clock, "now", lambda: dt.datetime.combine(today, dt.time(10, 0)))
    at = open_page("views/log_today.py", user="p001")
    assert not at.exception, at.exception
    at.pills(key="log.now.pain").set_value(8)
    at.checkbox(key="log.now.flare").check()
    at.number_input(key="log.now.duration").set_value(90)
    at.selectbox(key="log.now.medicine").select("ibuprofen")
    at.button(key="FormSubmitter:log-now-form-Save entry").click().run()
    assert not at.exception, at.exception
    assert (
        "Saved: pain 8/10 at 10:00, a flare of 1 h 30 min, ibuprofen taken — we will ask at 12:00"
        in _texts(at.success)
    )
    # two hours later, the next visit asks whether it helped
    monkeypatch.setattr(clock, "now", lambda: dt.datetime.combine(today, dt.time(12, 0)))
    at = open_page("views/log_today.py", user="p001")
    at.button(key=f"rescue-{today.isoformat()}-1000-a_little").click().run()
    assert not at.exception, at.exception
    with open_store(demo_db) as store:
        entry = store.entries("test:check", patient_ids=["P001"]).iloc[-1]
    assert (entry["flare"], entry["duration_minutes"], entry["rescue_helped"]) == (
        "yes",
        90,
        "a_little",
    )
    assert entry["rescue_answered_by"] == "p001"
    # the History calendar marks the day
    at = open_page("views/history.py", user="p001")
    at.session_state["history-cal-day"] = today
    at.session_state["history-cal-month"] = (today.year, today.month)
    at.run()
    assert not at.exception, at.exception
    assert f'.st-key-history-cal-{today} button::before {{ content: "⚡"' in _calendar_css(at)
