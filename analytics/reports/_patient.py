"""The patient visit report and its visit-12 variant as a PDF.

:func:`patient_report_pdf` lays out a :class:`analytics.reports._data.PatientReportData`;
every number it prints is a value of that dataclass, formatted. Page 1 holds
what a clinician reads first (who, which period, the summary box, the pain
trajectory and what it means); the session table, secondary outcomes, adverse
events, data quality, notes (only when asked for) and the definitions follow.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from analytics.contract import TECHNIQUE_LABELS
from analytics.presentation import (
    CATEGORY_LABELS,
    MISSING,
    NO_CHANGE_PCT,
    SECONDARY_LABELS,
    change_words,
    condition_label,
    events_text,
    flare_line,
    headache_line,
    is_missing,
    medicine_texts,
    reasons_text,
    round_shown,
    shown_difference,
    trailing_mean_label,
)
from analytics.reports._charts import pain_trajectory_png
from analytics.reports._data import VISIT_COUNT, VISIT_WINDOW_DAYS, PatientReportData, Visit12
from analytics.reports._pdf import (
    SOFT_HYPHEN,
    ReportPDF,
    clean,
    fmt,
    fmt_date,
    fmt_int,
    fmt_pct,
    fmt_span,
)
from analytics.reports._questionnaires import composite_block, questionnaire_section
from analytics.stats import BENCHMARK_EVENTS_PER_100_SESSIONS

__all__ = [
    "patient_report_pdf",
    "what_this_means",
    "secondary_rows",
    "session_rows",
    "medicine_rows",
    "response_words",
]

#: Secondary measures where a higher value is better (the others: lower is better).
_HIGHER_IS_BETTER = {"sleep_quality", "mood"}
#: Technique words of the session table: a soft hyphen lets the long word break.
#: IMMPACT categories of an improvement, named after the change in words.
_IMPROVEMENT_GRADES = ("minimal", "moderate", "substantial")
_TABLE_TECHNIQUE = {**TECHNIQUE_LABELS, "electro": f"Electro{SOFT_HYPHEN}acupuncture (EA)"}
_span = fmt_span


def _settings_line(data: PatientReportData) -> str:
    s = data.settings
    follow = (
        f"the last {s.followup_days} days of the diary"
        if s.followup_at is None
        else f"the {s.followup_days} days ending on day {s.followup_at} of treatment"
    )
    return (
        f"Baseline: the {s.baseline_days} days before the first session; follow-up: {follow}; "
        f"each mean needs ≥ {s.min_entries} diary days; responder: ≥ "
        f"{s.responder_threshold:g}% less pain."
    )


def _shown_change(outcome: dict[str, Any]) -> float:
    """Return baseline − follow-up pain of the outcome as the report prints them (each rounded)."""
    return shown_difference(outcome.get("baseline_pain"), outcome.get("followup_pain"))


def response_words(pct_change: Any, category: Any) -> str:
    """Put the change in pain in words, with its IMMPACT category when it is an improvement.

    ``"Worse (pain +14%)"``, ``"No change"``,
    ``"Improved (pain −32%), IMMPACT moderate"``; ``"not evaluable"`` without a % change.
    """
    if is_missing(pct_change):
        return "not evaluable"
    words = change_words(pct_change)
    if words.startswith("Improved") and str(category) in _IMPROVEMENT_GRADES:
        words += f", IMMPACT {category}"
    return words


def what_this_means(data: PatientReportData) -> str:
    """Write the plain-language paragraph of page 1."""
    o = data.outcome
    s = data.settings
    parts: list[str] = []
    if o is None:
        return (
            "This patient has no diary entries in the period, so no change in pain can be "
            "described yet."
        )
    if is_missing(o.get("change")):
        why = reasons_text(o.get("reason")) or "not enough diary days"
        parts.append(f"A change in pain cannot be worked out yet ({why}).")
    else:
        # the points are the difference of the two means as printed, so the sentence adds up
        change = _shown_change(o)
        pct = o.get("pct_change")
        direction = "lower" if change > 0 else "higher" if change < 0 else "the same"
        amount = f"{fmt(abs(change))} points {direction}" if change else "unchanged"
        pct_text = (
            ""
            if is_missing(pct)
            else f", {fmt(abs(float(pct or 0.0)), 0)}% {'less' if change > 0 else 'more'} pain"
        )
        parts.append(
            f"Average pain was {fmt(o['baseline_pain'])} out of 10 in the {s.baseline_days} days "
            f"before treatment started and {fmt(o['followup_pain'])} in the most recent "
            f"follow-up window: {amount}{pct_text if change else ''}."
        )
        cat = o.get("response_category")
        if change_words(pct).startswith("Worse"):
            parts.append(
                "Pain is worse than before treatment: by the IMMPACT criteria, no improvement."
            )
        elif not is_missing(cat):
            words = {
                "none": "no meaningful improvement",
                "minimal": "a minimal improvement",
                "moderate": "a moderate, clinically important improvement",
                "substantial": "a substantial improvement",
            }.get(str(cat), str(cat))
            parts.append(f"By the IMMPACT criteria this is {words}.")
        resp = o.get("responder")
        if not is_missing(resp):
            parts.append(
                f"The responder rule used here (at least {s.responder_threshold:g}% less pain) is "
                f"{'met' if bool(resp) else 'not met'}."
            )
    n = data.n_sessions
    parts.append(
        f"{n} treatment session{'s' if n != 1 else ''} {'are' if n != 1 else 'is'} recorded up to "
        f"{fmt_date(data.as_of)}."
    )
    if data.quality_notes:
        parts.append("Read the numbers together with the data-quality notes below.")
    parts.append(
        "Daily pain scores vary; a change of about 2 points or 30% is usually one patients "
        "notice (Farrar 2001). This report describes the diary; it does not show what caused "
        "a change."
    )
    return " ".join(parts)


def _direction(measure: str, change: Any) -> str:
    if is_missing(change):
        return MISSING
    c = round_shown(change)  # baseline − follow-up as printed: positive = the value went down
    if c == 0:
        return "no change"
    went_down = c > 0
    better = not went_down if measure in _HIGHER_IS_BETTER else went_down
    return "better" if better else "worse"


def secondary_rows(outcome: dict[str, Any] | None) -> list[list[str]]:
    """(measure, baseline, follow-up, change, in words) for each measure with a value."""
    if outcome is None:
        return []
    rows = []
    for m, label in SECONDARY_LABELS.items():
        b, f, c = (outcome.get(f"{stage}_{m}") for stage in ("baseline", "followup", "change"))
        if all(is_missing(v) for v in (b, f, c)):
            continue
        if not (is_missing(b) or is_missing(f)):
            c = shown_difference(b, f)  # the change of the two values printed beside it
        rows.append([label, fmt(b), fmt(f), fmt(c, signed=True), _direction(m, c)])
    return rows


def medicine_rows(medicines: pd.DataFrame) -> list[list[str]]:
    """(medicine, days taken, dose range, MME/day range, first day, last day) per medicine."""
    texts = medicine_texts(medicines)
    return [
        [t.medicine, fmt_int(r.n_days), t.dose, t.mme, fmt_date(r.first_day), fmt_date(r.last_day)]
        for r, t in zip(
            medicines.itertuples(index=False), texts.itertuples(index=False), strict=True
        )
    ]


def _points(value: Any) -> str:
    if is_missing(value) or not str(value).strip():
        return MISSING
    return ", ".join(p for p in str(value).split(";") if p)


def session_rows(sessions: pd.DataFrame) -> list[list[str]]:
    """One printed row per session: number, date, technique, frequency, points, ..."""
    rows = []
    for r in sessions.itertuples(index=False):
        freq = getattr(r, "frequency_hz", None)
        rows.append(
            [
                fmt_int(r.session_number),
                fmt_date(r.date, time=True),
                _TABLE_TECHNIQUE.get(str(r.technique), str(r.technique)),
                MISSING if is_missing(freq) else str(freq),
                _points(r.points),
                fmt_int(r.needles),
                fmt_int(r.retention_min),
                fmt(r.pain_before, 0) if _whole(r.pain_before) else fmt(r.pain_before),
                fmt(r.pain_after, 0) if _whole(r.pain_after) else fmt(r.pain_after),
                events_text(r.adverse_events),
            ]
        )
    return rows


def _whole(value: Any) -> bool:
    return not is_missing(value) and float(value).is_integer()


def _visit12_block(pdf: ReportPDF, v: Visit12, condition: str | None) -> None:
    # the points are the difference of the two means the window table prints
    change = None if v.change is None else shown_difference(v.baseline_pain, v.followup_pain)
    pdf.heading(f"Improvement after {VISIT_COUNT} sessions (Medicare NCD 30.3.3)")
    if condition != "chronic_low_back_pain":
        pdf.paragraph(
            "NCD 30.3.3 covers acupuncture for chronic low back pain; this patient's recorded "
            f"condition is {condition_label(condition) if condition else 'not recorded'}.",
            size=8,
            color=(90, 90, 90),
        )
    if v.demonstrated is None:
        pdf.callout(
            f"Improvement after {VISIT_COUNT} sessions cannot be assessed: {v.reason}.",
            fill=(245, 245, 245),
            border=(150, 150, 150),
        )
    else:
        verdict = "YES" if v.demonstrated else "NO"
        pdf.callout(
            f"Improvement demonstrated: {verdict}. Pain reduction after {VISIT_COUNT} sessions: "
            f"{fmt_pct(v.pct_change, signed=True)} ({fmt(change, signed=True)} points); the "
            f"responder rule asks for ≥ {v.threshold:g}% less pain.",
            fill=(229, 245, 224) if v.demonstrated else (253, 232, 232),
            border=(44, 160, 44) if v.demonstrated else (214, 39, 40),
        )
    if v.last_counted_session is not None:
        rows = [
            [
                "Baseline (before treatment)",
                _span(v.baseline_start, v.baseline_end),
                fmt(v.baseline_pain),
                str(v.baseline_n),
            ],
            [
                f"Follow-up (up to session {VISIT_COUNT})",
                _span(v.followup_start, v.followup_end),
                fmt(v.followup_pain),
                str(v.followup_n),
            ],
        ]
        pdf.data_table(
            ["Window", "Dates", "Mean pain (0-10)", "Diary days (n)"],
            rows,
            widths=(34, 34, 16, 16),
            align=("L", "L", "R", "R"),
            size=8.5,
        )
        within = "met" if v.within_window else "not met"
        pdf.paragraph(
            f"Pain reduction {fmt(change, signed=True)} points ({fmt_pct(v.pct_change, signed=True)}): "
            f"{response_words(v.pct_change, v.category)}. Sessions 1 to {VISIT_COUNT}: "
            f"{_span(v.first_session, v.last_counted_session)} ({v.days_first_to_last} days; "
            f"{VISIT_COUNT} visits within {VISIT_WINDOW_DAYS} days: {within}). "
            f"{v.n_sessions} sessions recorded in all.",
            size=8.5,
        )


def _share_block(pdf: ReportPDF, url: str) -> None:
    """Print the share link the report was made from, with its QR code (page 1)."""
    from analytics.reports._qr import qr_png

    side = 24.0
    top = pdf.get_y() + 1
    if top + side > pdf.h - 18:
        pdf.add_page()
        top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(url)), x=pdf.l_margin, y=top, w=side, h=side, alt_text="QR code")
    pdf.set_xy(pdf.l_margin + side + 3, top + 2)
    pdf.set_font(size=8)
    pdf.multi_cell(
        pdf.width - side - 3,
        4,
        clean(
            "Made from a read-only share link. Scan the code (or open the link) to see the "
            f"current summary until the link expires or is revoked: {url}"
        ),
        align="L",
    )
    pdf.set_xy(pdf.l_margin, top + side + 2)


def _summary_section(pdf: ReportPDF, data: PatientReportData) -> None:
    """Print the summary box: baseline, follow-up, change, sessions, adherence."""
    o = data.outcome or {}
    first = data.first_session
    recent = data.settings.recent_days
    pdf.summary_box(
        [
            (
                "Baseline pain (0-10)",
                fmt(o.get("baseline_pain")),
                f"{fmt_int(o.get('baseline_n'))} days, "
                + (_span(*data.baseline_window) if data.baseline_window else "no start yet"),
            ),
            (
                "Follow-up pain (0-10)",
                fmt(o.get("followup_pain")),
                f"{fmt_int(o.get('followup_n'))} days, "
                + (
                    _span(o.get("followup_start"), o.get("followup_end"))
                    if not is_missing(o.get("followup_start"))
                    else "no follow-up yet"
                ),
            ),
            (
                "Pain reduction (+ = better)",
                MISSING
                if is_missing(o.get("change"))
                else f"{fmt(_shown_change(o), signed=True)} pts · "
                f"{fmt_pct(o.get('pct_change'), signed=True)}",
                response_words(o.get("pct_change"), o.get("response_category")),
            ),
            (
                "Sessions so far",
                str(data.n_sessions),
                f"first {fmt_date(first)}" if first is not None else "none recorded",
            ),
            (
                f"Diary adherence, last {recent} days",
                fmt_pct(o.get("adherence_28d"), scale=100),
                f"whole diary {fmt_pct(o.get('adherence'), scale=100)} of days logged",
            ),
            (
                "Days since the last entry",
                fmt_int(data.days_since_last_entry),
                f"last entry {fmt_date(o.get('last_entry_date'))} · to {fmt_date(data.as_of)}",
            ),
        ]
    )


def _trajectory_section(pdf: ReportPDF, data: PatientReportData) -> None:
    """Draw the pain trajectory with its trailing mean, windows and sessions."""
    o = data.outcome or {}
    if not data.diary.empty:
        baseline = followup = None
        if data.baseline_window is not None:
            mean = o.get("baseline_pain")
            baseline = (*data.baseline_window, None if is_missing(mean) else float(mean or 0.0))
        if not is_missing(o.get("followup_start")) and not is_missing(o.get("followup_end")):
            mean = o.get("followup_pain")
            followup = (
                pd.Timestamp(o["followup_start"]),
                pd.Timestamp(o["followup_end"]),
                None if is_missing(mean) else float(mean or 0.0),
            )
        pdf.png(
            pain_trajectory_png(
                data.diary,
                sessions=data.sessions,
                baseline=baseline,
                followup=followup,
                x_start=data.period_start,
                x_end=data.as_of,
                window_days=data.settings.trend_window_days,
            ),
            alt=f"Pain trajectory with {trailing_mean_label(data.settings.trend_window_days)}, "
            "baseline window and sessions",
        )


def _sessions_section(pdf: ReportPDF, data: PatientReportData) -> None:
    """Print the sessions of the period."""
    pdf.heading("Sessions")
    if data.sessions.empty:
        pdf.paragraph("No sessions recorded in this period.")
    else:
        pdf.data_table(
            [
                "#",
                "Date",
                "Technique",
                "EA Hz",
                "Points",
                "Needles",
                "Retention (min)",
                "Pain before",
                "Pain after",
                "Adverse events",
            ],
            session_rows(data.sessions),
            widths=(6, 20, 23, 12, 31, 16, 18, 14, 13, 27),
            align=("R", "L", "L", "L", "L", "R", "R", "R", "R", "L"),
            size=7.5,
        )


def _secondary_section(pdf: ReportPDF, data: PatientReportData) -> None:
    """Print the secondary outcomes at baseline and follow-up."""
    pdf.heading("Secondary outcomes: baseline and follow-up")
    rows = secondary_rows(data.outcome)
    if rows:
        pdf.data_table(
            ["Measure", "Baseline", "Follow-up", "Change (baseline − follow-up)", "In words"],
            rows,
            widths=(34, 14, 14, 22, 16),
            align=("L", "R", "R", "R", "L"),
            size=8.5,
        )
        pdf.paragraph(
            "Means over the same windows as pain. Sleep and mood: higher is better; PEG, stress, "
            "analgesic doses and opioid MME: lower is better.",
            size=7.5,
            color=(90, 90, 90),
        )
    else:
        pdf.paragraph("No secondary measures logged in both windows.")


def _medicines_section(pdf: ReportPDF, data: PatientReportData) -> None:
    """Print the medicines named in the diary and the opioid flags."""
    pdf.heading("Medicines in this period")
    if data.medicines.empty:
        pdf.paragraph("No medicine named in the diary in this period.")
    else:
        pdf.data_table(
            ["Medicine", "Days taken", "Dose per day", "MME per day", "First day", "Last day"],
            medicine_rows(data.medicines),
            widths=(26, 11, 18, 15, 15, 15),
            align=("L", "R", "R", "R", "L", "L"),
            size=8.5,
        )
    if data.medicine_notes:
        pdf.bullets(list(data.medicine_notes))
    if not data.medicines.empty or data.medicine_notes:
        pdf.paragraph(data.medicine_rule, size=7.5, color=(90, 90, 90))


def _events_section(pdf: ReportPDF, data: PatientReportData) -> None:
    """Print the adverse events of the period."""
    pdf.heading("Adverse events")
    ev = data.adverse_events
    if ev.empty:
        pdf.paragraph("No adverse events recorded in this period.")
    else:
        pdf.data_table(
            ["Session", "Date", "Technique", "Event"],
            [
                [
                    fmt_int(r.session_number),
                    fmt_date(r.date, time=True),
                    TECHNIQUE_LABELS.get(str(r.technique), str(r.technique)),
                    events_text(r.event),
                ]
                for r in ev.itertuples(index=False)
            ],
            widths=(10, 25, 30, 35),
            align=("R", "L", "L", "L"),
            size=8.5,
        )
        n = max(len(data.sessions), 1)
        per_100 = 100 * len(ev) / n
        pdf.paragraph(
            f"{len(ev)} event(s) in {len(data.sessions)} session(s) of this period "
            f"({fmt(per_100)} per 100 treatments; published benchmark "
            f"{BENCHMARK_EVENTS_PER_100_SESSIONS:g} per 100, Bäumler 2021).",
            size=8.5,
        )


def patient_report_pdf(data: PatientReportData, *, share_url: str | None = None) -> bytes:
    """Lay out the patient report as PDF bytes.

    Parameters
    ----------
    data : PatientReportData
        From :func:`analytics.reports._data.patient_report_data`.
    share_url : str, optional
        The share link the report is made from; printed with its QR code on page 1.

    Returns
    -------
    bytes
        A PDF document (A4).
    """
    title = "Visit-12 improvement report" if data.visit12 is not None else "Pain treatment report"
    pdf = ReportPDF(title, f"patient {data.patient_id}", data.generated)
    pdf.add_page()
    pdf.title_block(
        title,
        [
            ("Patient", data.patient_id),
            ("Period", _span(data.period_start, data.period_end)),
            ("Condition", condition_label(data.condition)),
            ("Generated", fmt_date(data.generated)),
            ("Clinician", data.clinician_id or MISSING),
            ("Group", data.group or MISSING),
        ],
    )
    pdf.paragraph(_settings_line(data), size=7.5, color=(90, 90, 90))
    if share_url:
        _share_block(pdf, share_url)
    if data.visit12 is not None:
        _visit12_block(pdf, data.visit12, data.condition)
        composite_block(pdf, data.visit12, threshold=data.settings.responder_threshold)
        pdf.heading("Summary")

    _summary_section(pdf, data)
    _trajectory_section(pdf, data)
    pdf.heading("What this means")
    pdf.paragraph(what_this_means(data))
    if headache := headache_line(data.outcome):
        pdf.heading("Headache days")
        pdf.paragraph(
            f"{headache} Days per 4 weeks, scaled to the days logged in the 28 days before the "
            "start and the last 28 days; a 50% responder has at least half as many headache "
            "days (International Headache Society guidelines).",
            size=8.5,
        )
    if flare := flare_line(data.flares):
        pdf.heading("Flares and rescue medicine")
        pdf.paragraph(
            f"{flare} Flares per 4 weeks are scaled to the days logged in the baseline and "
            "follow-up windows; the daily pain averages the day's entries with the daily log.",
            size=8.5,
        )

    _sessions_section(pdf, data)
    _secondary_section(pdf, data)
    questionnaire_section(pdf, data)
    _medicines_section(pdf, data)
    _events_section(pdf, data)
    pdf.heading("Data quality")
    if data.quality_notes:
        pdf.bullets(list(data.quality_notes))
    else:
        pdf.paragraph("No data-quality notes.")

    if data.include_notes:
        _notes(pdf, data)

    pdf.heading("Definitions used")
    pdf.bullets(_definitions(data))
    return bytes(pdf.output())


def _notes(pdf: ReportPDF, data: PatientReportData) -> None:
    pdf.heading("Notes (free text, included on request)")
    rows: list[tuple[pd.Timestamp, str, str]] = []
    if "notes" in data.diary:
        for r in data.diary[data.diary["notes"].notna()].itertuples(index=False):
            rows.append((pd.Timestamp(r.date), "Diary", str(r.notes)))
    if "notes" in data.sessions:
        for r in data.sessions[data.sessions["notes"].notna()].itertuples(index=False):
            rows.append((pd.Timestamp(r.date), "Session", str(r.notes)))
    rows.sort(key=lambda t: t[0])
    if not rows:
        pdf.paragraph("No notes in this period.")
        return
    pdf.data_table(
        ["Date", "From", "Note"],
        [[fmt_date(d, time=True), src, text] for d, src, text in rows],
        widths=(16, 10, 74),
        size=8,
        max_len=2000,
    )


def _definitions(data: PatientReportData) -> list[str]:
    s = data.settings
    cats = "; ".join(
        f"{CATEGORY_LABELS[c]}" for c in ("none", "minimal", "moderate", "substantial")
    )
    return [
        "Pain: average pain over the past 24 hours, 0-10 numeric rating scale (LOINC 72514-3).",
        f"Baseline: mean daily pain over the {s.baseline_days} days before the start of treatment "
        f"(the patient's start date, else the first session); valid with ≥ {s.min_entries} entries.",
        "Follow-up: mean daily pain over "
        + (
            f"the last {s.followup_days} days of the diary up to the report date"
            if s.followup_at is None
            else f"the {s.followup_days} days ending {s.followup_at} days after the start"
        )
        + f"; valid with ≥ {s.min_entries} entries.",
        "Pain reduction = baseline − follow-up (positive = less pain); % = 100 × reduction / baseline.",
        f"IMMPACT categories of the % reduction (Dworkin 2008): {cats}.",
        f"Responder: ≥ {s.responder_threshold:g}% reduction.",
        f"{trailing_mean_label(s.trend_window_days)}: mean of the diary days in the "
        f"{s.trend_window_days} days ending that day, shown with ≥ {s.rolling_min_entries} entries.",
        f"Adherence, last {s.recent_days} days: share of the {s.recent_days} days ending on the "
        "report date with a diary entry (of the days since the diary or treatment began, when "
        "that is later); days since the last entry also count to the report date.",
        f"Change in words: 'No change' when the % change in pain, rounded to a whole percent, is "
        f"smaller than {NO_CHANGE_PCT:g}% of the baseline (IMMPACT's smallest category, Dworkin "
        "2008); else 'Improved' (less pain) or 'Worse' (more pain), with the change in pain "
        "(− = less pain).",
        "Numbers are rounded half away from zero (6.25 → 6.3). A change in points is the "
        "difference of the two rounded values printed beside it; % changes, categories and the "
        "responder rule use the unrounded means, so a % can differ slightly from one worked "
        "out from the printed means.",
        "PEG-3: mean of pain, interference with enjoyment of life and with general activity (0-10), "
        "on days with all three.",
        "Opioid MME: morphine milligram equivalents per day (CDC 2022 factors); on a diary that "
        "records opioid doses, a blank day counts as 0 until an opioid is logged, and again "
        "after a day logged as 0.",
        f"Visit-12 report: follow-up window = the {s.followup_days} days ending on the last diary day "
        f"on or before the 12th session; Medicare NCD 30.3.3 allows 12 visits in {VISIT_WINDOW_DAYS} "
        "days and 8 more only with demonstrated improvement.",
    ]
