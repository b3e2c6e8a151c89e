"""Data: record a session (clinicians and admins); import and export the clinic (admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from analytics.contract import column_table
from analytics.contract.schema import ADVERSE_EVENTS, TABLES, TECHNIQUES
from analytics.errors import ConflictError, DataValidationError, StoreError
from analytics.presentation import (
    EXAMPLE_ZIP_NAME,
    FILE_TABLES,
    FORMAT_RULES,
    TEMPLATES_ZIP_NAME,
    example_row,
    example_zip,
    templates_zip,
)
from dashboard import clock, data, labels, navigation, session
from dashboard.components import feedback, onboarding_panel
from dashboard.text import shown

#: Headers of the import preview (the store's ImportReport.to_frame columns).
IMPORT_PREVIEW_TITLES = {
    "table": "File",
    "n_incoming": "Rows in the file",
    "inserted": "New",
    "unchanged": "Already stored",
    "updated": "Will be updated",
    "conflicting": "Differ from what is stored",
}
#: Headers of the conflicts table.
CONFLICT_TITLES = {
    "table": "File",
    "patient_id": "Patient",
    "key": "Day / session",
    "column": "Item",
    "stored": "Stored value",
    "incoming": "Value in the file",
}

#: Headers of the column tables of the file format (analytics.contract.column_table).
FORMAT_TITLES = {
    "column": "Column",
    "required": "Required",
    "holds": "What it holds",
    "allowed": "Allowed values",
    "unit": "Unit",
}
#: What one row of each file is.
FILE_ROWS = {
    "patients": "one row per patient",
    "diary": "one row per patient and day",
    "sessions": "one row per treatment session",
}

PAGE = "Data"


def _events_text(value: object) -> str:
    """'Bruising, Soreness' for ``"bruising;soreness"``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return ", ".join(labels.adverse_event_label(e) for e in str(value).split(";") if e)


user = navigation.require_role("clinician", "admin")
st.title("🗂️ Data")

# importing and exporting the whole clinic is an admin's job; clinicians record sessions
is_admin = user.role == "admin"
feedback.show_flash("data")
#: The tabs of the page (admins see all three, clinicians the first). The tabs keep
#: their state (``key`` and ``on_change="rerun"``): the chosen tab is in the session,
#: so the rerun after a save shows the same tab again instead of the first one.
TABS = ["➕ Record a session", "⬆️ Import CSV", "⬇️ Export CSV"]
tabs = st.tabs(
    TABS if is_admin else TABS[:1],
    key="data.section",
    on_change="rerun",
    default=TABS[0],
)
tab_session = tabs[0]


#: Items of the session form that belong to one session only get a new key after each
#: save (a new widget starts empty; deleting a form widget's state is not enough for the
#: browser), so the next session's adverse events or pain scores are never carried over.
#: Patient, date, technique and practitioner keep their keys and stay for the next entry.
_FORM_ROUND = "data.s.round"


def _copy_last_session(user: Any, patient_id: str) -> None:
    """Fill the protocol fields of the session form from the patient's last session."""
    sessions = data.patient_view(user, patient_id, purpose=PAGE).sessions
    if sessions.empty:
        st.session_state["data.s.copy_note"] = (
            patient_id,
            f"{patient_id} has no session yet to copy.",
        )
        return
    last = sessions.sort_values("date", kind="stable").iloc[-1]

    def text(value: Any) -> str:
        return "" if pd.isna(value) else str(value)

    st.session_state["data.s.technique"] = last["technique"]
    st.session_state[_one_session_key("frequency")] = text(last["frequency_hz"])
    st.session_state[_one_session_key("points")] = text(last["points"])
    for field, column in (("needles", "needles"), ("retention", "retention_min")):
        value = last[column]
        st.session_state[_one_session_key(field)] = None if pd.isna(value) else int(value)
    st.session_state["data.s.copy_note"] = (
        patient_id,
        f"Copied the protocol of {patient_id}'s session of {last['date']:%d %b %Y}; check it "
        "and add today's pain and events.",
    )


def _one_session_key(name: str) -> str:
    """``data.s.<name>``, with the form's round after the first save (``data.s.events.1``)."""
    n = st.session_state.get(_FORM_ROUND, 0)
    return f"data.s.{name}" + (f".{n}" if n else "")


def _clear_session_form() -> None:
    st.session_state[_FORM_ROUND] = st.session_state.get(_FORM_ROUND, 0) + 1
    st.session_state.pop("data.s.copy_note", None)


def _problem_lines(problems: pd.DataFrame, limit: int = 20) -> str:
    """Return the first ``limit`` problems as a markdown list, each message in full."""
    lines = []
    for row in problems.head(limit).itertuples(index=False):
        where = ", ".join(
            part
            for part in (
                shown(row.file),
                f"line {row.line}" if pd.notna(row.line) else "",
                shown(row.column) if pd.notna(row.column) and str(row.column) else "",
            )
            if part
        )
        # the message itself names the value and says how to fix it
        lines.append(f"- **{where}**: {shown(row.message)}")
    return "\n".join(lines)


def _file_format(*, downloads: bool) -> None:
    """Show the three files' columns, an example row of each, common mistakes and downloads.

    ``downloads`` draws the two download buttons (only while the import tab is open);
    their files are made when clicked.
    """
    st.markdown("**What most often goes wrong**")
    st.markdown("\n".join(f"- {rule}" for rule in FORMAT_RULES))
    for table in FILE_TABLES:
        spec = TABLES[table]
        st.markdown(f"**{spec.file_name}** — {FILE_ROWS[table]}")
        # a static table: long rules wrap instead of being cut off in a cell
        st.table(
            column_table(table).rename(columns=FORMAT_TITLES),
            hide_index=True,
            border="horizontal",
        )
        st.caption(f"An example of {spec.file_name}: the header line and one row.")
        st.code(example_row(table).to_csv(index=False), language="csv")
    if downloads:
        c1, c2 = st.columns(2)
        c1.download_button(
            "Empty templates (zip)",
            templates_zip,
            file_name=TEMPLATES_ZIP_NAME,
            mime="application/zip",
            key="data.download.templates",
            icon="⬇️",
            on_click="ignore",
            help="patients.csv, diary.csv and sessions.csv with their header line only.",
        )
        c2.download_button(
            "Example clinic (zip)",
            example_zip,
            file_name=EXAMPLE_ZIP_NAME,
            mime="application/zip",
            key="data.download.example",
            icon="⬇️",
            on_click="ignore",
            help="Three made-up patients with twelve weeks of diary and weekly sessions: "
            "files that import as they are.",
        )


if is_admin:
    # ------------------------------------------------------------------ import
    with tabs[1]:
        st.markdown(
            "Upload `patients.csv`, `diary.csv` and/or `sessions.csv`. Every problem is listed "
            "with its file, line and column; nothing is imported until the files are valid."
        )
        with st.expander("📄 The file format, empty templates and a filled example"):
            _file_format(downloads=bool(tabs[1].open))
        onboarding_panel.new_patients_panel(user)
        uploads = {
            table: st.file_uploader(
                f"{table}.csv",
                type=["csv"],
                # a new key after each import: the imported files leave the page and the session
                key=f"data.upload.{table}"
                + (f".{n}" if (n := st.session_state.get("data.round")) else ""),
            )
            for table in ("patients", "diary", "sessions")
        }
        chosen = {t: f for t, f in uploads.items() if f is not None}
        if chosen:
            loaded, problems = data.load_uploads(user, chosen)
            if problems is not None:
                n = len(problems)
                st.error(
                    f"{n} problem{'s' if n != 1 else ''} found: nothing was imported. "
                    "Fix the files and upload them again.",
                    icon="⚠️",
                )
                st.markdown(_problem_lines(problems))
                if n > 20:
                    st.caption(f"The first 20 of {n} problems; all of them are in the table below.")
                with st.expander(f"All {n} problem{'s' if n != 1 else ''} as a table"):
                    feedback.table(
                        problems,
                        key="data.problems",
                        column_config={
                            "file": st.column_config.TextColumn("File"),
                            "line": st.column_config.NumberColumn("Line", format="%d"),
                            "column": st.column_config.TextColumn("Column"),
                            "value": st.column_config.TextColumn("Value"),
                            "message": st.column_config.TextColumn("Problem and how to fix it"),
                        },
                    )
            elif loaded is not None:
                for note in loaded.warnings:  # e.g. a misspelt column that was not loaded
                    st.warning(shown(note), icon="🔎")
                try:
                    preview = data.preview_import(user, loaded)
                except (StoreError, DataValidationError) as exc:
                    feedback.show_error(exc)
                else:
                    st.success("The files are valid. Preview of what the import will change:")
                    feedback.table(
                        preview.to_frame(),
                        key="data.preview",
                        column_config={
                            col: st.column_config.Column(title)
                            for col, title in IMPORT_PREVIEW_TITLES.items()
                        },
                    )
                    update = False
                    if preview.n_conflicts:
                        st.warning(f"{preview.n_conflicts} row(s) differ from what is stored:")
                        feedback.table(
                            preview.conflicts.assign(
                                column=preview.conflicts["column"].map(labels.column_label)
                            ),
                            key="data.conflicts",
                            column_config={
                                col: st.column_config.Column(title)
                                for col, title in CONFLICT_TITLES.items()
                            },
                        )
                        update = st.checkbox(
                            "Overwrite the stored values (the old ones are kept in the history)",
                            key="data.update",
                        )
                    if st.button(
                        "Import",
                        type="primary",
                        key="data.import",
                        disabled=bool(preview.n_conflicts) and not update,
                    ):
                        bar = st.progress(0.0, text="Importing rows…")

                        def rows_done(done: int, total: int) -> None:
                            """Move the bar as the rows are written."""
                            bar.progress(done / total if total else 1.0, text="Importing rows…")

                        def outcomes_done(done: int, total: int) -> None:
                            """Move the bar as the patients' outcomes are updated."""
                            bar.progress(
                                done / total if total else 1.0,
                                text=f"Updating the outcomes of {total:,} patient(s)…",
                            )

                        try:
                            report = data.import_dataset(
                                user,
                                loaded,
                                update=update,
                                progress=rows_done,
                                outcomes_progress=outcomes_done,
                            )
                        except (StoreError, DataValidationError) as exc:
                            feedback.show_error(exc)
                        else:
                            counts = report.to_frame()
                            st.session_state["data.round"] = (
                                st.session_state.get("data.round", 0) + 1
                            )
                            data.release_uploads()
                            onboarding_panel.remember_import(report)
                            feedback.flash(
                                "data",
                                f"Imported: {int(counts['inserted'].sum())} new and "
                                f"{int(counts['updated'].sum())} updated rows.",
                            )
                            st.rerun()

if is_admin:
    # ------------------------------------------------------------------ export
    with tabs[2]:
        st.markdown(
            "The whole clinic as one zip file holding `patients.csv`, `diary.csv` and "
            "`sessions.csv`: the files `paindiary export` writes, with the same columns. "
            "Cells a spreadsheet would run as a formula are neutralised."
        )
        deidentify = st.toggle(
            "De-identified (for research)",
            key="data.deidentify",
            help="Random patient and clinician codes, the same in every file; days from "
            "the start of treatment instead of dates; no notes, practitioner names or times "
            "of day; birth year only, with people aged 90 or over grouped.",
        )
        # The button exists only while this tab is open: a download registered for a
        # hidden tab could be clicked with a file id the tab's own rerun has replaced.
        if tabs[2].open:
            st.download_button(
                "Download the clinic (zip)",
                data.export_zip_callable(user, deidentify=deidentify),
                file_name=f"paindiary-clinic-{'deidentified-' if deidentify else ''}"
                f"{dt.date.today():%Y-%m-%d}.zip",
                mime="application/zip",
                key="data.download.zip",
                icon="⬇️",
                on_click="ignore",
            )
            # below the button: once this sentence shows, the button is the one it describes
            if deidentify:
                st.caption(
                    "De-identified: each patient has a random code (patient_code) that is the "
                    "same in every file (entries.csv too, with the entries during the day); dates "
                    "are days from the start of treatment (day); notes, practitioner names, times "
                    "of day and rescue medicine names are left out; the birth year is given only "
                    "for people under 90 (age_90_or_over marks the others). These files are for "
                    "research and cannot be imported again."
                )
            else:
                st.caption(
                    "With patient ids and dates, in the import format: importing the files "
                    "again restores the clinic exactly."
                )
            st.caption(
                "The zip is produced only when you click the button; each download is recorded "
                "in the audit log."
            )

# ------------------------------------------------------------------ record a session
with tab_session:
    ids = data.patient_ids(user)
    if not ids:
        st.info("Add patients first (import patients.csv).")
    else:
        pending = st.session_state.get("data.session_pending")
        if pending is not None:
            record, existing = pending
            st.warning(
                f"A session of {record['patient_id']} at {existing['date']} is already stored "
                "with other values. Replace it? The old values are kept in the history."
            )
            compare = pd.DataFrame([existing, record], index=["stored", "new"])
            compare = compare.drop(
                columns=[c for c in ("patient_id", "session_number") if c in compare.columns]
            )
            for col in ("technique", "adverse_events"):
                if col in compare.columns:
                    how = labels.technique_label if col == "technique" else _events_text
                    compare[col] = [how(v) for v in compare[col]]
            if "date" in compare.columns:
                # a stored datetime beside a new plain date: one text column, minutes shown
                compare["date"] = [
                    pd.Timestamp(v).strftime("%Y-%m-%d %H:%M") if pd.notna(v) else ""
                    for v in compare["date"]
                ]
            feedback.table(
                compare.rename(columns=labels.column_labels(compare.columns)), hide_index=False
            )
            c1, c2 = st.columns(2)
            if c1.button("Replace", type="primary", key="data.session_replace"):
                try:
                    data.save_session(user, record, replace=True, purpose=PAGE)
                except (StoreError, DataValidationError) as exc:
                    feedback.show_error(exc)
                else:
                    st.session_state.pop("data.session_pending", None)
                    _clear_session_form()
                    feedback.flash("data", "Session replaced.")
                    st.rerun()
            if c2.button("Keep the stored session", key="data.session_keep"):
                st.session_state.pop("data.session_pending", None)
                st.rerun()
        c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
        pid = c1.selectbox(
            "Patient",
            ids,
            key="data.s.patient",
            index=ids.index(session.selected_patient(ids) or ids[0]),
        )
        c2.button(
            "Copy the last session",
            key="data.s.copy",
            on_click=_copy_last_session,
            args=(user, pid),
            help="Fill technique, frequency, points, needles and retention from this patient's "
            "last session.",
        )
        # the note stays while the form is filled in for that patient, until it is saved
        copied, note = st.session_state.get("data.s.copy_note", (None, ""))
        if copied == pid:
            st.info(note, icon="📋")
        with st.form("data.session_form"):
            c2, c3 = st.columns(2)
            day = c2.date_input(
                "Date",
                value=dt.date.today(),
                max_value=dt.date.today(),
                key="data.s.date",
                format="YYYY-MM-DD",
            )
            at = c3.time_input(
                f"Time ({clock.zone()})",
                value=None,
                key=_one_session_key("time"),
                step=900,
                help=f"Clinic time: the server's time zone, {clock.zone()}.",
            )
            c1, c2, c3 = st.columns(3)
            technique = c1.selectbox(
                "Technique",
                TECHNIQUES,
                format_func=labels.technique_label,
                key="data.s.technique",
            )
            freq = c2.text_input(
                "EA frequency (Hz)",
                placeholder="2, 100 or 2/100",
                help="Electroacupuncture only.",
                key=_one_session_key("frequency"),
            )
            points = c3.text_input(
                "Points", placeholder="LI4;ST36;SP6", key=_one_session_key("points")
            )
            c1, c2, c3, c4 = st.columns(4)
            needles = c1.number_input(
                "Needles", min_value=1, max_value=100, value=None, key=_one_session_key("needles")
            )
            retention = c2.number_input(
                "Retention (min)",
                min_value=1,
                max_value=120,
                value=None,
                key=_one_session_key("retention"),
            )
            before = c3.number_input(
                "Pain before (0-10)",
                min_value=0,
                max_value=10,
                value=None,
                step=1,
                key=_one_session_key("before"),
            )
            after = c4.number_input(
                "Pain after (0-10)",
                min_value=0,
                max_value=10,
                value=None,
                step=1,
                key=_one_session_key("after"),
            )
            # pills, not a multiselect: each event is tapped on its own (a multiselect
            # offers "Select all", which once recorded every event at once)
            events = (
                st.pills(
                    "Adverse events (tap each one that happened)",
                    ADVERSE_EVENTS,
                    selection_mode="multi",
                    format_func=labels.adverse_event_label,
                    key=_one_session_key("events"),
                )
                or []
            )
            c1, c2 = st.columns(2)
            practitioner = c1.text_input("Practitioner", key="data.s.practitioner")
            notes = c2.text_input("Notes", key=_one_session_key("notes"))
            submitted = st.form_submit_button("Save session", type="primary")
        if submitted and at is not None and dt.datetime.combine(day, at) > clock.now():
            now = clock.now()
            st.error(
                f"{at:%H:%M} on {day:%d %b %Y} is later than now ({now:%H:%M} on "
                f"{now:%d %b %Y}, clinic time {clock.zone()}); a session cannot be in the future.",
                icon="⚠️",
            )
        elif submitted:
            when = dt.datetime.combine(day, at) if at is not None else day
            record = {
                "patient_id": pid,
                "date": when,
                "technique": technique,
                "frequency_hz": freq.strip() or None,
                "points": points.strip().replace(" ", "") or None,
                "needles": needles,
                "retention_min": retention,
                "pain_before": before,
                "pain_after": after,
                "adverse_events": ";".join(events) or None,
                "practitioner": practitioner.strip() or None,
                "notes": notes.strip() or None,
            }
            try:
                data.save_session(user, record, purpose=PAGE)
            except ConflictError as exc:
                st.session_state["data.session_pending"] = (
                    record,
                    feedback.as_record(exc.existing),
                )
                st.rerun()
            except (StoreError, DataValidationError) as exc:
                feedback.show_error(exc)
            else:
                _clear_session_form()
                feedback.flash("data", f"Session of {pid} on {day:%d %b %Y} saved.")
                st.rerun()
