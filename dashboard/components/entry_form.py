"""A patient's diary entry: the form, what changed, and the kept history of a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from analytics.access import User
from analytics.contract import DOSE_UNITS, OPIOIDS, medication_mme, opioid_code
from analytics.errors import ConflictError, DataValidationError, StoreError
from analytics.presentation import HEADACHE_CHOICE_LABELS, region_words
from dashboard import clock, data
from dashboard.components import headache_day
from dashboard.components.body_map import body_map_input
from dashboard.components.feedback import (
    as_record,
    flash,
    fmt,
    plain_value,
    show_error,
    show_flash,
)
from dashboard.components.status_card import describe_entry
from dashboard.text import shown

__all__ = [
    "OTHER_MEDICINES",
    "ENTRY_FIELDS",
    "PAIN_SCALE_CSS",
    "TOUCH_PX",
    "entry_changes",
    "describe_changes",
    "describe_additions",
    "needs_question",
    "show_confirmation",
    "entry_editor",
    "history_changes",
]


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
    "opioid_mme": "opioid dose (morphine-equivalent mg a day)",
    "notes": "note",
    "headache": "headache",
    "body_regions": "where it hurts",
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
OTHER_MEDICINES = ("paracetamol", "ibuprofen", "naproxen", "diclofenac", "gabapentin")


#: The smallest touch target, in px (WCAG 2.5.5 and Apple's Human Interface Guidelines: 44).
TOUCH_PX = 44

#: CSS of the 0-10 scales: buttons at least 44 px tall, eleven in one row where eleven
#: 44 px buttons fit, else two clear rows 0-5 and 6-10 (a 390 px phone); a selected button
#: reads at a glance (dark fill, white bold number).
PAIN_SCALE_CSS = f"""
<style>
[class*="st-key-scale-row"] [data-testid="stElementContainer"],
[class*="st-key-scale-row"] [data-testid="stButtonGroup"] {{ width: 100% !important; }}
[class*="st-key-scale-row"] [role="radiogroup"] {{
  display: flex !important; flex-wrap: nowrap !important; gap: 4px !important;
  width: 100% !important; max-width: 100% !important;
}}
[class*="st-key-scale-row"] [role="radio"] {{
  flex: 1 1 0; min-width: 0 !important; max-width: 3.5rem; min-height: {TOUCH_PX}px !important;
  padding: 0 !important; justify-content: center;
}}
@media (max-width: {11 * TOUCH_PX - 0.02}px) {{
  [class*="st-key-scale-row"] [role="radiogroup"] {{ flex-wrap: wrap !important; row-gap: 6px !important; }}
  [class*="st-key-scale-row"] [role="radio"] {{
    flex: 0 0 calc((100% - 5 * 4px) / 6); max-width: none;
  }}
}}
[class*="st-key-scale-row"] [role="radio"][aria-checked="true"] {{
  background-color: #1f2937 !important; border-color: #1f2937 !important;
}}
[class*="st-key-scale-row"] [role="radio"][aria-checked="true"] p {{
  color: #ffffff !important; font-weight: 700 !important;
}}
</style>
"""


def _number(value: Any) -> float | None:
    value = plain_value(value)
    if value is None or isinstance(value, str):
        return None
    return float(value)


def _same(field: str, old: Any, new: Any) -> bool:
    old, new = plain_value(old), plain_value(new)
    if field in ("notes", "medication", "headache", "body_regions"):
        return (str(old).strip() if old else "") == (str(new).strip() if new else "")
    a, b = _number(old), _number(new)
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) < 1e-9


def _item_text(field: str, value: Any) -> str:
    value = plain_value(value)
    if value is None:
        return "empty"
    if field in _SCORES:
        return f"{fmt(value, 'g')}/10"
    if field == "notes":
        return f"“{shown(value)}”"
    if field == "medication":
        return shown(value)
    if field == "body_regions":
        return region_words(value).lower()
    if field == "headache":
        return HEADACHE_CHOICE_LABELS.get(str(value), shown(value)).lower()
    return fmt(value, "g")


def entry_changes(stored: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """List what saving ``new`` over ``stored`` changes, item by item.

    Returns one dict per changed item of :data:`ENTRY_FIELDS`: ``field``,
    ``label``, ``kind`` ("added", "replaced" or "cleared"), ``old``, ``new``.
    Items equal in both (also 6 and 6.0, or two empty notes) are not listed.
    """
    stored = stored or {}
    out = []
    for field, label in ENTRY_FIELDS.items():
        old, value = plain_value(stored.get(field)), plain_value(new.get(field))
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


#: Short words of the items in a confirmation ("Added: sleep 4, mood 6").
_SHORT = {
    **ENTRY_FIELDS,
    "enjoyment_interference": "interference with enjoyment",
    "activity_interference": "interference with activity",
    "sleep_quality": "sleep",
    "analgesic_doses": "doses",
    "opioid_mme": "opioid (morphine mg)",
}


def needs_question(changes: Sequence[Mapping[str, Any]]) -> bool:
    """Tell whether saving ``changes`` (:func:`entry_changes`) would change a stored value.

    Items only added to a stored day are saved at once; a replaced or cleared
    item is asked about first.
    """
    return any(c["kind"] != "added" for c in changes)


def describe_additions(changes: Sequence[Mapping[str, Any]]) -> str:
    """'sleep 4, mood 6, note “walked”': the added items in short words (markdown)."""
    parts = []
    for c in changes:
        field, value = c["field"], plain_value(c["new"])
        if field in ("notes", "medication"):
            text = _item_text(field, value)
        else:
            text = fmt(value, "g")
        parts.append(f"{_SHORT[field]} {text}")
    return ", ".join(parts)


def _form_value(field: str, value: Any) -> Any:
    value = plain_value(value)
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


def _medicine_label(name: Any) -> str:

    code = opioid_code(name)
    if code is None:
        return str(name)
    return f"{code.replace('_', ' ')} (opioid, {DOSE_UNITS[code]})"


def entry_editor(
    user: User,
    patient_id: str,
    day: dt.date,
    stored: Mapping[str, Any] | None,
    *,
    prefix: str,
    purpose: str,
) -> None:
    """Show the diary form of one day, prefilled with its stored entry; save only on a clear yes.

    Every item starts at its stored value, so re-logging one item keeps the
    others. Items added to a day that holds an entry are saved at once ("Added:
    sleep 4, mood 6"). Saving over a stored value first lists exactly which items
    are replaced (old → new), added or cleared; "Save these changes" then stores
    the whole entry (the old one goes to the kept history), "Keep the stored entry"
    changes nothing. The question and every confirmation show right below the
    Save button, where the person is looking. Widget keys start with ``prefix``
    ("log", "history").
    """
    stored = dict(stored or {})
    _prefill(prefix, day, stored)
    values = _form(prefix, stored, headache_day.asks_headache(user, patient_id, purpose=purpose))
    show_confirmation(_confirmation(prefix))
    _ask_to_replace(user, day, prefix=prefix, purpose=purpose)
    if values is None:
        return
    checked = _checked(values, day)
    if checked is None:
        return
    entry = {"patient_id": patient_id, "date": day, **checked[0]}
    _save(user, entry, stored, day, prefix=prefix, purpose=purpose, note=checked[1])


def show_confirmation(key: str) -> None:
    """Show (once) the confirmation kept under ``key`` by ``flash``, scrolled into view.

    Drawn where it is called (right below a Save button) and, when that is off-screen
    (a phone's Save at the bottom edge), scrolled just enough to be seen.
    """
    if not st.session_state.get(f"{key}.flash"):
        return
    with st.container(key=_dom_key(key, "confirmation")):
        show_flash(key)
    _scroll_into_view(_dom_key(key, "confirmation"))


def _dom_key(key: str, what: str) -> str:
    return f"{key.replace('.', '-')}-{what}"


def _scroll_into_view(key: str) -> None:
    """Scroll the container of ``key`` into view if it is off-screen (else nothing moves)."""
    st.html(
        "<script>requestAnimationFrame(() => document.querySelector("
        f"'.st-key-{key}')?.scrollIntoView({{block: 'nearest', behavior: 'smooth'}}));</script>",
        unsafe_allow_javascript=True,
    )


def _confirmation(prefix: str) -> str:
    """Return the key of the form's confirmation (shown below its Save button)."""
    return f"{prefix}.form"


def _prefill(prefix: str, day: dt.date, stored: Mapping[str, Any]) -> None:
    """Put the stored values into the form whenever another day (or a changed entry) is shown."""
    signature = (
        day.isoformat(),
        tuple(sorted((k, str(plain_value(v))) for k, v in stored.items())),
    )
    if st.session_state.get(f"{prefix}.loaded") != signature:
        for field in ENTRY_FIELDS:
            st.session_state[f"{prefix}.{field}"] = _form_value(field, stored.get(field))
        st.session_state[f"{prefix}.loaded"] = signature
        st.session_state.pop(f"{prefix}.pending", None)


def _rerun() -> NoReturn:
    """Rerun what shows the form: its fragment during a fragment's rerun, else the page.

    A page that draws the form in ``st.fragment`` has a save rerun the fragment only;
    elsewhere (and in a full run of the page) the whole page reruns.
    """
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run:
        st.rerun(scope="fragment")
    st.rerun()


def _forget_pending(prefix: str) -> None:
    st.session_state.pop(f"{prefix}.pending", None)
    st.session_state.pop(f"{prefix}.loaded", None)


def _ask_to_replace(user: User, day: dt.date, *, prefix: str, purpose: str) -> None:
    """Ask before replacing a stored entry: the changes, then save them or keep the stored one."""
    pending = st.session_state.get(f"{prefix}.pending")
    if pending is None:
        return
    entry, changes, existing = pending
    question = st.container(key=_dom_key(prefix, "question"))
    question.warning(
        f"You already logged **{day:%A %d %B}**: {describe_entry(existing)}.  \n"
        f"Saving changes: {describe_changes(changes)}.  \n"
        "Everything else stays as stored; the old values are kept in the history."
    )
    c1, c2 = question.columns(2)
    _scroll_into_view(_dom_key(prefix, "question"))
    if c1.button("Save these changes", type="primary", key=f"{prefix}.replace"):
        try:
            data.save_diary_entry(user, entry, replace=True, purpose=purpose)
        except (StoreError, DataValidationError) as exc:
            show_error(exc)
        else:
            _forget_pending(prefix)
            flash(
                _confirmation(prefix),
                f"Replaced your entry for {day:%A %d %B}: {describe_changes(changes)}.",
            )
            _rerun()
    if c2.button("Keep the stored entry", key=f"{prefix}.keep"):
        _forget_pending(prefix)
        _rerun()


#: The 0-10 items of the "more about this day" part, with their questions.
_DETAIL_SCALES = (
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
)


def _form(prefix: str, stored: Mapping[str, Any], ask_headache: bool) -> dict[str, Any] | None:
    """Draw the form; return its values when it was sent, else None."""
    has_details = any(
        plain_value(stored.get(f)) is not None
        for f in ENTRY_FIELDS
        if f not in ("pain", "headache", "body_regions")
    )
    st.html(PAIN_SCALE_CSS)
    # no "Press Ctrl+Enter to submit" under the note: the form is sent by its button only
    with st.form(f"{prefix}.form", clear_on_submit=False, enter_to_submit=False, border=True):
        values: dict[str, Any] = {}
        values["pain"] = _scale(
            "Average pain over the past 24 hours (0 = no pain, 10 = worst imaginable)",
            f"{prefix}.pain",
            st.session_state.get(f"{prefix}.pain"),
        )
        values.update(headache_day.headache_choice(prefix, ask=ask_headache))
        values["body_regions"] = body_map_input(prefix)
        label = "More about this day" + (" (stored items shown)" if has_details else " (optional)")
        with st.expander(label, expanded=has_details):
            for field, text in _DETAIL_SCALES:
                values[field] = _scale(
                    text, f"{prefix}.{field}", st.session_state.get(f"{prefix}.{field}")
                )
            values.update(_medicine_inputs(prefix))
            values["notes"] = st.text_area("Notes", max_chars=2000, key=f"{prefix}.notes")
        submitted = st.form_submit_button("Save", type="primary", width="stretch")
    return values if submitted else None


def _medicine_inputs(prefix: str) -> dict[str, Any]:
    """Draw the medicine inputs: doses, a named medicine and its dose, the opioid MME."""
    values: dict[str, Any] = {}
    values["analgesic_doses"] = st.number_input(
        "Pain-medication doses taken",
        min_value=0,
        max_value=50,
        value=None,
        step=1,
        key=f"{prefix}.analgesic_doses",
    )
    names = [*OPIOIDS, *OTHER_MEDICINES]
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
    return values


def _checked(values: dict[str, Any], day: dt.date) -> tuple[dict[str, Any], str] | None:
    """Return the values to save and a note on the MME worked out; None after an error shown."""
    if values["pain"] is None:
        st.error("Choose your average pain (0–10) before saving.", icon="⚠️")
        return None
    if day > clock.today():
        st.error("You cannot log a day in the future.", icon="⚠️")
        return None
    out = dict(values)
    medicine = (out["medication"] or "").strip() or None
    out["medication"] = medicine
    out["notes"] = (out["notes"] or "").strip() or None
    # the one conversion of every entry point (CSV, Parquet, FHIR, the store)
    try:
        mme = medication_mme(medicine, out["medication_dose"])
    except ValueError as exc:
        if out["opioid_mme"] is not None:
            return out, ""  # an MME the person gave stands, as in an import
        # the contract's sentence, with the form's field names for the file's columns
        text = (
            str(exc)
            .replace("in opioid_mme", "in “Opioid dose (morphine mg equivalents)”")
            .replace("in medication_dose", "as its dose")
        )
        st.error(text[0].upper() + text[1:] + ".", icon="⚠️")
        return None
    code = opioid_code(medicine)
    if mme is None or code is None:
        return out, ""
    out["opioid_mme"] = mme
    note = (
        f" {code.replace('_', ' ').capitalize()} {fmt(out['medication_dose'], 'g')} = "
        f"{fmt(out['opioid_mme'], 'g')} mg of morphine a day (morphine-equivalent dose)."
    )
    return out, note


def _save(
    user: User,
    entry: dict[str, Any],
    stored: Mapping[str, Any],
    day: dt.date,
    *,
    prefix: str,
    purpose: str,
    note: str,
) -> None:
    """Save a new day or additions to a stored one; ask first when a stored value would change."""
    if stored:
        _add_or_ask(user, entry, stored, day, prefix=prefix, purpose=purpose, note=note)
        return
    try:
        result = data.save_diary_entry(user, entry, purpose=purpose)
    except ConflictError as exc:  # saved meanwhile (another tab): as a stored day
        _add_or_ask(
            user, entry, as_record(exc.existing), day, prefix=prefix, purpose=purpose, note=note
        )
    except (StoreError, DataValidationError) as exc:
        show_error(exc)
    else:
        st.session_state.pop(f"{prefix}.loaded", None)
        if getattr(result, "action", "saved") == "unchanged":
            message = f"Nothing to change: {day:%A %d %B} was already logged with these values."
        else:
            message = f"Saved: pain {entry['pain']}/10 on {day:%A %d %B}. Thank you!{note}"
        flash(_confirmation(prefix), message)
        _rerun()


def _add_or_ask(
    user: User,
    entry: dict[str, Any],
    stored: Mapping[str, Any],
    day: dt.date,
    *,
    prefix: str,
    purpose: str,
    note: str,
) -> None:
    """Save items added to a stored day at once; ask first when a stored value would change."""
    changes = entry_changes(stored, entry)
    if not changes:
        flash(
            _confirmation(prefix),
            f"Nothing to change: {day:%A %d %B} is stored with these values.",
        )
        _rerun()
    if needs_question(changes):
        st.session_state[f"{prefix}.pending"] = (entry, changes, dict(stored))
        _rerun()
    try:
        # every stored item is in the entry unchanged (the form opened prefilled)
        data.save_diary_entry(user, entry, replace=True, purpose=purpose)
    except (StoreError, DataValidationError) as exc:
        show_error(exc)
        return
    st.session_state.pop(f"{prefix}.loaded", None)
    flash(
        _confirmation(prefix),
        f"Added: {describe_additions(changes)} on {day:%A %d %B}. Thank you!{note}",
    )
    _rerun()


def history_changes(history: pd.DataFrame, day: dt.date) -> list[str]:
    """Return the kept changes of one diary day, newest first, as markdown lines."""
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
