"""Small Streamlit building blocks shared by the pages: messages, records, cards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from analytics.errors import DataValidationError
from dashboard.text import shown, shown_error

__all__ = [
    "flash",
    "show_flash",
    "show_error",
    "as_record",
    "describe_entry",
    "logging_streak",
    "adherence_summary",
    "fmt",
    "number_columns",
    "improvement_sentence",
    "CATEGORY_WORDS",
    "table",
    "login_form",
    "ENTRY_FIELDS",
    "PAIN_SCALE_CSS",
    "entry_changes",
    "describe_changes",
    "next_step",
    "status_lines",
    "status_card",
    "entry_editor",
    "history_changes",
]

#: Plain-language names of the IMMPACT categories (Dworkin 2008).
CATEGORY_WORDS = {
    "none": "no meaningful improvement",
    "minimal": "a minimal improvement",
    "moderate": "a moderate improvement",
    "substantial": "a substantial improvement",
}


def flash(page: str, message: str) -> None:
    """Keep a success message to show once after the next rerun."""
    st.session_state[f"{page}.flash"] = message


def show_flash(page: str) -> None:
    """Show (and forget) the message kept by :func:`flash`."""
    message = st.session_state.pop(f"{page}.flash", None)
    if message:
        st.success(message, icon="✅")


def show_error(exc: Exception) -> None:
    """Show an expected error as a message (never a traceback)."""
    st.error(shown_error(exc), icon="⚠️")  # stored text is data; secrets masked
    if isinstance(exc, DataValidationError) and len(exc.problems):
        table(exc.problems)


def table(frame: pd.DataFrame, **kwargs: Any) -> Any:
    """``st.dataframe`` with the index hidden, full width and missing values as "—".

    Streamlit shows a missing cell as "None" unless told otherwise; every table
    of the dashboard goes through here so none of them does.
    """
    from dashboard.labels import MISSING

    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    return st.dataframe(frame, placeholder=MISSING, **kwargs)


def number_columns(
    frame: pd.DataFrame, *, digits: int = 2, percent: Sequence[str] = ()
) -> dict[str, Any]:
    """``column_config`` showing float columns with ``digits`` decimals (fractions as %)."""
    config: dict[str, Any] = {}
    for col in frame.columns:
        title = str(col).replace("_", " ")
        if col in percent:
            config[col] = st.column_config.NumberColumn(title, format="percent")
        elif pd.api.types.is_float_dtype(frame[col]):
            config[col] = st.column_config.NumberColumn(title, format=f"%.{digits}f")
        else:
            config[col] = st.column_config.Column(title)
    return config


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def as_record(row: Any) -> dict[str, Any]:
    """A stored row (Series, mapping or dataclass-like) as a dict of plain Python values."""
    if row is None:
        return {}
    if isinstance(row, pd.DataFrame):
        row = row.iloc[0] if len(row) else pd.Series(dtype=object)
    if isinstance(row, pd.Series):
        items = row.to_dict()
    elif isinstance(row, Mapping):
        items = dict(row)
    elif hasattr(row, "_asdict"):
        items = row._asdict()
    else:
        items = dict(vars(row))
    return {str(k): _plain(v) for k, v in items.items()}


def fmt(value: Any, spec: str = ".1f", missing: str = "—") -> str:
    """Format a number for display; ``missing`` for NaN/None."""
    value = _plain(value)
    if value is None:
        return missing
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def describe_entry(entry: Mapping[str, Any]) -> str:
    """'pain 6/10, worst 8/10, sleep 5/10' for a diary entry."""
    parts = [f"pain {fmt(entry.get('pain'), 'g')}/10"]
    for key, label in (
        ("worst_pain", "worst"),
        ("sleep_quality", "sleep"),
        ("mood", "mood"),
        ("stress", "stress"),
    ):
        if _plain(entry.get(key)) is not None:
            parts.append(f"{label} {fmt(entry.get(key), 'g')}/10")
    if _plain(entry.get("notes")):
        parts.append(f"note “{shown(entry['notes'])}”")  # shown in markdown
    return ", ".join(parts)


def logging_streak(dates: pd.Series, *, today: dt.date) -> int:
    """Consecutive logged days ending today (or yesterday, if today is not logged yet).

    A count for the patient's encouragement card, not a statistic.
    """
    days = pd.DatetimeIndex(pd.to_datetime(dates).dt.normalize().unique())
    end = pd.Timestamp(today)
    if end not in days:
        end -= pd.Timedelta(days=1)
    if end not in days:
        return 0
    logged = days[days <= end].sort_values()
    gaps = (end - logged).days.to_numpy()
    # the streak runs while the k-th most recent day is exactly k days before `end`
    expected = np.arange(len(logged))[::-1]
    ok = gaps == expected
    return int(len(ok) - np.flatnonzero(~ok).max() - 1) if (~ok).any() else len(ok)


def adherence_summary(diary: pd.DataFrame, *, today: dt.date) -> str:
    """'🔥 3-day streak · 5/7 days logged this week · 20/28 in 4 weeks' (one line).

    Short enough to sit above the log form on a phone without pushing the pain
    buttons below the fold.
    """
    dates = diary["date"]
    streak = logging_streak(dates, today=today)
    start7 = pd.Timestamp(today - dt.timedelta(days=6))
    start28 = pd.Timestamp(today - dt.timedelta(days=27))
    n7 = int((dates >= start7).sum())
    n28 = int((dates >= start28).sum())
    # never "yet": after months of logging a pause is not a beginner's state
    lead = f"🔥 {streak}-day streak" if streak else "No current streak"
    return f"{lead} · {n7}/7 days logged this week · {n28}/28 in 4 weeks"


def improvement_sentence(change: float, pct: float, category: Any) -> str:
    """'Your pain is down 2.4 points (38%) — a moderate improvement.' (IMMPACT wording)."""
    change, pct = _plain(change), _plain(pct)
    if change is None:
        return "Not enough diary days yet to compare with your baseline."
    words = CATEGORY_WORDS.get(str(category), "")
    if change > 0:
        head = f"down {fmt(change)} points"
    elif change < 0:
        head = f"up {fmt(-change)} points"
    else:
        head = "unchanged"
    pct_text = f" ({fmt(abs(pct), '.0f')}%)" if pct is not None and change != 0 else ""
    tail = f" — {words}" if words else ""
    return f"Your pain is {head}{pct_text} compared with before treatment{tail}."


def login_form() -> None:
    """The sign-in page: username and password (or single sign-on), demo accounts.

    The error after a failed sign-in is the library's, and never says whether the
    username exists. While the database is the demo clinic, the demo accounts and
    their passwords are listed below the form.
    """
    from analytics.errors import AuthenticationError
    from dashboard import data, state

    st.title("🩺 Pain diary")
    notice = state.pop_notice()
    if notice:
        st.info(notice, icon="🔒")

    if state.sso_enabled():
        st.button(
            "Sign in with your organisation's account",
            type="primary",
            key="login.sso",
            on_click=state.login_sso,
            icon="🔐",
        )
        st.caption(
            "Staff: you are sent to your organisation's sign-in page and come back here; "
            "your role comes from your paindiary account. Patients: sign in below."
        )

    with st.form("login.form", border=True, enter_to_submit=True):
        username = st.text_input("Username", key="login.username", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="login.password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", type="primary", width="stretch")

    if submitted:
        if not username.strip() or not password:
            st.error("Enter your username and your password.", icon="⚠️")
        else:
            try:
                state.login(username.strip(), password)
            except AuthenticationError as exc:
                # one message for every refusal: it never says whether the username exists
                st.error(str(exc) or "Sign-in refused.", icon="⚠️")
            else:
                # the URL still names the page asked for (a deep link): the rerun opens it
                st.rerun()

    demo = data.demo_accounts()
    if demo is not None and len(demo):
        with st.expander("Demo clinic: accounts", expanded=True):
            st.caption(
                "This database is the demo clinic (made-up patients). These accounts exist only "
                "here; a real clinic's database never lists passwords."
            )
            # password second, so that it is visible on a phone without scrolling sideways
            table(
                demo[["username", "password", "role"]],
                key="login.demo",
                column_config={
                    "username": st.column_config.TextColumn("Username"),
                    "password": st.column_config.TextColumn("Password"),
                    "role": st.column_config.TextColumn("Role"),
                },
            )


# --------------------------------------------------------------------------- a patient's diary entry

#: The diary items a patient fills in, in form order, with the words used in messages.
ENTRY_FIELDS: dict[str, str] = {
    "pain": "average pain",
    "worst_pain": "worst pain",
    "enjoyment_interference": "interference with enjoyment of life",
    "activity_interference": "interference with general activity",
    "sleep_quality": "sleep quality",
    "mood": "mood",
    "stress": "stress",
    "analgesic_doses": "pain-medication doses",
    "medication": "medicine",
    "medication_dose": "medicine dose",
    "opioid_mme": "opioid dose (MME)",
    "notes": "note",
}
_SCORES = (
    "pain",
    "worst_pain",
    "enjoyment_interference",
    "activity_interference",
    "sleep_quality",
    "mood",
    "stress",
)
_SCALE = list(range(11))
#: Common pain medicines offered by name (any other name can be typed).
_OTHER_MEDICINES = ("paracetamol", "ibuprofen", "naproxen", "diclofenac", "gabapentin")

#: CSS of the 0-10 scales: eleven buttons in one row on a 390 px phone, and a
#: selected button that reads at a glance (dark fill, white bold number).
PAIN_SCALE_CSS = """
<style>
[class*="st-key-scale-row"] [data-testid="stElementContainer"],
[class*="st-key-scale-row"] [data-testid="stButtonGroup"] { width: 100% !important; }
[class*="st-key-scale-row"] [role="radiogroup"] {
  display: flex !important; flex-wrap: nowrap !important; gap: 3px !important;
  width: 100% !important; max-width: 100% !important;
}
[class*="st-key-scale-row"] [role="radio"] {
  flex: 1 1 0; min-width: 0 !important; max-width: 3.5rem; min-height: 2.5rem;
  padding: 0 !important; justify-content: center;
}
[class*="st-key-scale-row"] [role="radio"][aria-checked="true"] {
  background-color: #1f2937 !important; border-color: #1f2937 !important;
}
[class*="st-key-scale-row"] [role="radio"][aria-checked="true"] p {
  color: #ffffff !important; font-weight: 700 !important;
}
</style>
"""


def _number(value: Any) -> float | None:
    value = _plain(value)
    if value is None or isinstance(value, str):
        return None
    return float(value)


def _same(field: str, old: Any, new: Any) -> bool:
    old, new = _plain(old), _plain(new)
    if field in ("notes", "medication"):
        return (str(old).strip() if old else "") == (str(new).strip() if new else "")
    a, b = _number(old), _number(new)
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < 1e-9


def _item_text(field: str, value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "empty"
    if field in _SCORES:
        return f"{fmt(value, 'g')}/10"
    if field == "notes":
        return f"“{shown(value)}”"
    if field == "medication":
        return shown(value)
    return fmt(value, "g")


def entry_changes(stored: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What saving ``new`` over ``stored`` changes, item by item.

    Returns one dict per changed item of :data:`ENTRY_FIELDS`: ``field``,
    ``label``, ``kind`` ("added", "replaced" or "cleared"), ``old``, ``new``.
    Items equal in both (also 6 and 6.0, or two empty notes) are not listed.
    """
    stored = stored or {}
    out = []
    for field, label in ENTRY_FIELDS.items():
        old, value = _plain(stored.get(field)), _plain(new.get(field))
        if _same(field, old, value):
            continue
        empty_old = old is None or (isinstance(old, str) and not old.strip())
        empty_new = value is None or (isinstance(value, str) and not value.strip())
        kind = "added" if empty_old else "cleared" if empty_new else "replaced"
        out.append({"field": field, "label": label, "kind": kind, "old": old, "new": value})
    return out


def describe_changes(changes: Sequence[Mapping[str, Any]]) -> str:
    """'**average pain** 6/10 → 3/10; **note** “slept badly” cleared' (markdown)."""
    parts = []
    for c in changes:
        field, label = c["field"], c["label"]
        if c["kind"] == "cleared":
            parts.append(f"**{label}** {_item_text(field, c['old'])} → cleared")
        elif c["kind"] == "added":
            parts.append(f"**{label}** added: {_item_text(field, c['new'])}")
        else:
            parts.append(
                f"**{label}** {_item_text(field, c['old'])} → {_item_text(field, c['new'])}"
            )
    return "; ".join(parts)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def next_step(
    diary_dates: pd.Series, *, today: dt.date, window_days: int = 7, min_entries: int = 4
) -> str | None:
    """How many more days of logging bring back a 7-day average, as a sentence.

    The trailing window of ``window_days`` days needs ``min_entries`` entries. The
    answer counts the entries that are still inside the window on the day the
    person would reach it, so older days dropping out are accounted for. None when
    the average exists today.
    """
    days = pd.DatetimeIndex(pd.to_datetime(diary_dates).dt.normalize().unique())
    end = pd.Timestamp(today)
    days = days[days <= end]
    logged_today = end in days
    for extra in range(window_days + 1):
        last = end + pd.Timedelta(days=extra)
        first = last - pd.Timedelta(days=window_days - 1)
        old = int(((days >= first) & (days <= end)).sum())
        new = extra + (0 if logged_today else 1)
        if old + new >= min_entries:
            if new == 0:
                return None
            start = "tomorrow" if logged_today else "today"
            need = f"({min_entries} entries in {window_days} days are needed)"
            if new == 1:
                return f"Log {start} to see your {window_days}-day average {need}."
            return (
                f"Log on {new} days in a row, starting {start}, to see your "
                f"{window_days}-day average {need}."
            )
    return None


def _when(day: Any, today: dt.date) -> str:
    d = pd.Timestamp(day).date()
    n = (today - d).days
    if n == 0:
        return f"today ({d:%d %b})"
    if n == 1:
        return f"yesterday ({d:%d %b})"
    return f"{d:%d %b %Y}, {n} days ago"


def status_lines(
    outcome: Mapping[str, Any] | None,
    diary_dates: pd.Series,
    *,
    today: dt.date,
    settings: Any,
) -> list[str]:
    """Where the patient stands today, as short markdown lines.

    From the as-of columns of ``analytics.pipeline.analyze`` run with
    ``as_of=today`` (``current_mean``, ``last_valid_mean``, ``days_since_last_entry``,
    ``not_logging``, ``adherence_28d``): the current 7-day average with its dates
    or the next step to get one back, the last entry, and the days logged in the
    last 28 days counted back from today.
    """
    o = dict(outcome or {})
    window, need = int(settings.trend_window_days), int(settings.rolling_min_entries)
    lines = []
    current = _plain(o.get("current_mean"))
    start = today - dt.timedelta(days=window - 1)
    if current is not None:
        lines.append(
            f"**Your {window}-day average: {fmt(current)}/10** "
            f"({start:%d %b}–{today:%d %b}, {int(o.get('current_n') or 0)} entries)."
        )
    else:
        step = next_step(diary_dates, today=today, window_days=window, min_entries=need)
        last_mean = _plain(o.get("last_valid_mean"))
        if last_mean is not None and o.get("last_valid_mean_date") is not None:
            lines.append(
                f"**Your last {window}-day average: {fmt(last_mean)}/10** "
                f"(the {window} days to {pd.Timestamp(o['last_valid_mean_date']):%d %b %Y})."
            )
        if step:
            lines.append(step)
    since = _plain(o.get("days_since_last_entry"))
    last = _plain(o.get("last_entry_date"))
    if last is not None and since is not None:
        if bool(o.get("not_logging")):
            lines.append(
                f"⏸️ **Not logging for {_days(int(since))}** — last entry "
                f"{_when(last, today)}. Any day you log counts."
            )
        else:
            lines.append(f"Last entry: {_when(last, today)}.")
    share = _plain(o.get("adherence_28d"))
    days = int(getattr(settings, "recent_days", 28))
    if share is not None:
        lines.append(
            f"Logged on {round(float(share) * days)} of the last {days} days (to {today:%d %b})."
        )
    return lines


def status_card(
    outcome: Mapping[str, Any] | None,
    diary_dates: pd.Series,
    *,
    today: dt.date,
    settings: Any,
) -> None:
    """:func:`status_lines` in a bordered box."""
    lines = status_lines(outcome, diary_dates, today=today, settings=settings)
    if lines:
        with st.container(border=True, key="status-card"):
            st.markdown("  \n".join(lines))


def _form_value(field: str, value: Any) -> Any:
    value = _plain(value)
    if field in _SCORES:
        if value is None:
            return None
        v = float(value)
        return int(v) if v.is_integer() else v
    if field == "analgesic_doses":
        return None if value is None else int(value)
    if field in ("opioid_mme", "medication_dose"):
        return None if value is None else float(value)
    if field == "notes":
        return "" if value is None else str(value)
    if field == "medication":
        return None if value is None else str(value)
    return value


def _scale(label: str, key: str, stored: Any) -> Any:
    options: list[Any] = list(_SCALE)
    if stored is not None and stored not in options:
        options = sorted([*options, stored])  # an imported 7.5 stays choosable
    with st.container(key=f"scale-row-{key.replace('.', '-')}"):
        return st.pills(label, options, key=key)


def _opioid(name: Any) -> str | None:
    from analytics.contract import OPIOIDS

    if not name:
        return None
    code = str(name).strip().lower().replace(" ", "_")
    return code if code in OPIOIDS else None


def _medicine_label(name: Any) -> str:
    from analytics.contract import DOSE_UNITS

    code = _opioid(name)
    if code is None:
        return str(name)
    return f"{code.replace('_', ' ')} (opioid, {DOSE_UNITS[code]})"


def entry_editor(
    user: Any,
    patient_id: str,
    day: dt.date,
    stored: Mapping[str, Any] | None,
    *,
    prefix: str,
    purpose: str,
) -> None:
    """The diary form of one day, prefilled with its stored entry; saves only on a clear yes.

    Every item starts at its stored value, so re-logging one item keeps the
    others. Saving a day that holds an entry first lists exactly which items are
    replaced, added or cleared; "Save these changes" then stores the whole entry
    (the old one goes to the kept history), "Keep the stored entry" changes
    nothing. Widget keys start with ``prefix`` ("log", "history").
    """
    from analytics.contract import OPIOIDS, daily_mme
    from analytics.errors import ConflictError, StoreError
    from dashboard import data

    stored = dict(stored or {})
    # prefill whenever another day (or a changed stored entry) is shown
    signature = (day.isoformat(), tuple(sorted((k, str(_plain(v))) for k, v in stored.items())))
    if st.session_state.get(f"{prefix}.loaded") != signature:
        for field in ENTRY_FIELDS:
            st.session_state[f"{prefix}.{field}"] = _form_value(field, stored.get(field))
        st.session_state[f"{prefix}.loaded"] = signature
        st.session_state.pop(f"{prefix}.pending", None)

    pending = st.session_state.get(f"{prefix}.pending")
    if pending is not None:
        entry, changes, existing = pending
        st.warning(
            f"You already logged **{day:%A %d %B}**: {describe_entry(existing)}.  \n"
            f"Saving changes: {describe_changes(changes)}.  \n"
            "Everything else stays as stored; the old values are kept in the history."
        )
        c1, c2 = st.columns(2)
        if c1.button("Save these changes", type="primary", key=f"{prefix}.replace"):
            try:
                data.save_diary_entry(user, entry, replace=True, purpose=purpose)
            except (StoreError, DataValidationError) as exc:
                show_error(exc)
            else:
                st.session_state.pop(f"{prefix}.pending", None)
                st.session_state.pop(f"{prefix}.loaded", None)
                flash(
                    prefix, f"Replaced your entry for {day:%A %d %B}: {describe_changes(changes)}."
                )
                st.rerun()
        if c2.button("Keep the stored entry", key=f"{prefix}.keep"):
            st.session_state.pop(f"{prefix}.pending", None)
            st.session_state.pop(f"{prefix}.loaded", None)
            st.rerun()

    has_details = any(_plain(stored.get(f)) is not None for f in ENTRY_FIELDS if f != "pain")
    st.html(PAIN_SCALE_CSS)
    # no "Press Ctrl+Enter to submit" under the note: the form is sent by its button only
    with st.form(f"{prefix}.form", clear_on_submit=False, enter_to_submit=False, border=True):
        values: dict[str, Any] = {}
        values["pain"] = _scale(
            "Average pain over the past 24 hours (0 = no pain, 10 = worst imaginable)",
            f"{prefix}.pain",
            st.session_state.get(f"{prefix}.pain"),
        )
        label = "More about this day" + (" (stored items shown)" if has_details else " (optional)")
        with st.expander(label, expanded=has_details):
            for field, text in (
                ("worst_pain", "Worst pain in the past 24 hours"),
                (
                    "enjoyment_interference",
                    "How much did pain interfere with your enjoyment of life? (0 = not at all)",
                ),
                (
                    "activity_interference",
                    "How much did pain interfere with your general activity? (0 = not at all)",
                ),
                ("sleep_quality", "Sleep quality (0 = very poor, 10 = excellent)"),
                ("mood", "Mood (0 = very low, 10 = excellent)"),
                ("stress", "Stress (0 = none, 10 = extreme)"),
            ):
                values[field] = _scale(
                    text, f"{prefix}.{field}", st.session_state.get(f"{prefix}.{field}")
                )
            values["analgesic_doses"] = st.number_input(
                "Pain-medication doses taken",
                min_value=0,
                max_value=50,
                value=None,
                step=1,
                key=f"{prefix}.analgesic_doses",
            )
            names = [*OPIOIDS, *_OTHER_MEDICINES]
            current = st.session_state.get(f"{prefix}.medication")
            if current and current not in names:
                names.append(current)
            values["medication"] = st.selectbox(
                "Medicine taken (optional; type another name if it is not listed)",
                names,
                index=None,
                format_func=_medicine_label,
                accept_new_options=True,
                placeholder="Choose or type a medicine",
                key=f"{prefix}.medication",
            )
            values["medication_dose"] = st.number_input(
                "Its total dose today (mg; fentanyl patch: mcg/h)",
                min_value=0.0,
                max_value=10000.0,
                value=None,
                step=5.0,
                key=f"{prefix}.medication_dose",
            )
            values["opioid_mme"] = st.number_input(
                "Opioid dose (morphine mg equivalents), if you know it",
                min_value=0.0,
                max_value=1000.0,
                value=None,
                step=5.0,
                key=f"{prefix}.opioid_mme",
                help="For an opioid named above the app works this out from its dose.",
            )
            values["notes"] = st.text_area("Notes", max_chars=2000, key=f"{prefix}.notes")
        submitted = st.form_submit_button("Save", type="primary", width="stretch")

    if not submitted:
        return
    today = data.today()
    if values["pain"] is None:
        st.error("Choose your average pain (0–10) before saving.", icon="⚠️")
        return
    if day > today:
        st.error("You cannot log a day in the future.", icon="⚠️")
        return
    medicine = (values["medication"] or "").strip() or None
    values["medication"] = medicine
    values["notes"] = (values["notes"] or "").strip() or None
    mme_note = ""
    code = _opioid(medicine)
    if code is not None and values["medication_dose"] is not None:
        try:
            values["opioid_mme"] = daily_mme(code, values["medication_dose"], 1)
        except ValueError:
            st.error(
                f"A daily dose of {fmt(values['medication_dose'], 'g')} for "
                f"{code.replace('_', ' ')} is above 1000; enter the total of the day in mg "
                "(fentanyl patch: its strength in mcg/h).",
                icon="⚠️",
            )
            return
        mme_note = (
            f" {code.replace('_', ' ').capitalize()} {fmt(values['medication_dose'], 'g')} = "
            f"{fmt(values['opioid_mme'], 'g')} MME for the day."
        )
    entry = {"patient_id": patient_id, "date": day, **values}
    if stored:
        changes = entry_changes(stored, entry)
        if not changes:
            flash(prefix, f"Nothing to change: {day:%A %d %B} is stored with these values.")
            st.rerun()
        st.session_state[f"{prefix}.pending"] = (entry, changes, stored)
        st.rerun()
    try:
        result = data.save_diary_entry(user, entry, purpose=purpose)
    except ConflictError as exc:  # saved meanwhile (another tab): ask, as above
        existing = as_record(exc.existing)
        st.session_state[f"{prefix}.pending"] = (entry, entry_changes(existing, entry), existing)
        st.rerun()
    except (StoreError, DataValidationError) as exc:
        show_error(exc)
    else:
        st.session_state.pop(f"{prefix}.loaded", None)
        if getattr(result, "action", "saved") == "unchanged":
            flash(
                prefix, f"Nothing to change: {day:%A %d %B} was already logged with these values."
            )
        else:
            flash(
                prefix, f"Saved: pain {values['pain']}/10 on {day:%A %d %B}. Thank you!{mme_note}"
            )
        st.rerun()


def history_changes(history: pd.DataFrame, day: dt.date) -> list[str]:
    """The kept changes of one diary day, newest first, as markdown lines."""
    import json

    rows = history[history["key"] == day.isoformat()]
    lines = []
    for row in rows.iloc[::-1].itertuples(index=False):
        old = json.loads(row.old) if isinstance(row.old, str) and row.old.startswith("{") else {}
        new = json.loads(row.new) if isinstance(row.new, str) and row.new.startswith("{") else {}
        when = f"{pd.Timestamp(row.changed_at):%d %b %Y %H:%M} UTC"
        who = shown(row.actor)
        if row.action == "create":
            what = f"first logged: {describe_entry(new)}"
        elif row.action == "delete":
            what = f"deleted ({describe_entry(old)})"
        else:
            what = describe_changes(entry_changes(old, new)) or "saved again, no item changed"
        lines.append(f"- {when} · {who}: {what}")
    return lines
