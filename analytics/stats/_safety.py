"""Adverse events: rates per 100 sessions and share of patients affected.

DOMAIN.md section 1 (side effects). The benchmark is the
German cohort of Bäumler et al. 2021 (BMJ Open 11:e045961): 9.4 adverse events
per 100 treatments and at least one adverse event in 9.31% of patients.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics.contract.schema import ADVERSE_EVENTS, DATE_DTYPE
from analytics.stats._common import TEXT_DTYPE, patient_codes

__all__ = [
    "BENCHMARK_EVENTS_PER_100_SESSIONS",
    "BENCHMARK_PCT_PATIENTS_WITH_EVENT",
    "BENCHMARK_SOURCE",
    "RATE_COLUMNS",
    "EVENT_LIST_COLUMNS",
    "COUNT_COLUMNS",
    "adverse_event_counts",
    "adverse_event_rates",
    "rates_from_counts",
    "adverse_event_list",
    "adverse_events_long",
    "event_rows",
]

#: Adverse events per 100 treatments (Bäumler 2021).
BENCHMARK_EVENTS_PER_100_SESSIONS = 9.4
#: Percent of patients with at least one adverse event during a course (Bäumler 2021).
BENCHMARK_PCT_PATIENTS_WITH_EVENT = 9.31
#: Where the benchmarks come from.
BENCHMARK_SOURCE = (
    "Bäumler P, Zhang W, Stübinger T, Irnich D. Acupuncture-related adverse events: "
    "systematic review and meta-analyses of prospective clinical studies. "
    "BMJ Open 2021;11:e045961."
)

#: Columns of :func:`adverse_event_rates` with their dtypes.
RATE_COLUMNS: dict[str, str] = {
    "event": "str",
    "n_events": "int64",
    "n_sessions": "int64",
    "events_per_100_sessions": "float64",
    "n_patients_with_event": "int64",
    "n_patients": "int64",
    "pct_patients_with_event": "float64",
    "benchmark_per_100": "float64",
    "benchmark_pct_patients": "float64",
}

#: Columns of :func:`adverse_event_list` with their dtypes.
EVENT_LIST_COLUMNS: dict[str, str] = {
    "patient_id": "str",
    "date": DATE_DTYPE,
    "session_date": DATE_DTYPE,
    "session_number": "int64",
    "technique": "str",
    "event": "str",
}


#: Columns of :func:`adverse_event_counts` with their dtypes.
COUNT_COLUMNS: dict[str, str] = {
    "patient_id": "str",
    "n_sessions": "int64",
    **{f"n_{event}": "int64" for event in ADVERSE_EVENTS},
    "n_events": "int64",
}


#: The dtype of a canonical text column (``astype("str")`` leaves it as it is).

#: Position of each event type of ``schema.ADVERSE_EVENTS``.
_KIND = {kind: j for j, kind in enumerate(ADVERSE_EVENTS)}


def event_rows(text: Any) -> tuple[np.ndarray, np.ndarray]:
    """Row and event type of each distinct event word of ``text``, in row then listing order.

    ``text`` holds the ``adverse_events`` of the sessions as text (missing where
    none). Returns the 0-based row of each event (int64) and the position of its
    type in ``schema.ADVERSE_EVENTS`` (int64): the words are split at ``;``,
    stripped of white space and lower-cased (as pandas' string methods do, with
    Arrow), empty words dropped, words outside the list counted as ``"other"``,
    and a word listed twice in one row counted once.
    """
    values = np.asarray(text, dtype=object)
    listed = np.flatnonzero(~pd.isna(values))
    rows: list[int] = []
    words: list[str] = []
    for i in listed.tolist():
        for word in values[i].split(";"):
            rows.append(i)
            words.append(word)
    if not words:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    cleaned = pc.utf8_lower(pc.utf8_trim_whitespace(pa.array(words, type=pa.string())))
    other = _KIND["other"]
    seen: set[tuple[int, int]] = set()
    out_row: list[int] = []
    out_kind: list[int] = []
    for i, word in zip(rows, cleaned.to_pylist(), strict=True):
        if word == "":
            continue
        pair = (i, _KIND.get(word, other))
        if pair not in seen:
            seen.add(pair)
            out_row.append(pair[0])
            out_kind.append(pair[1])
    return np.array(out_row, dtype=np.int64), np.array(out_kind, dtype=np.int64)


def adverse_events_long(sorted_sessions: pd.DataFrame) -> pd.DataFrame:
    """One row per (session row, distinct event word), in session then listing order.

    ``row`` is the 0-based position in ``sorted_sessions``; ``event`` is the
    stripped, lower-cased word, words outside ``schema.ADVERSE_EVENTS`` mapped to
    ``"other"``. An event listed twice in one session counts once.
    """
    text = sorted_sessions["adverse_events"]
    row, kind = event_rows(text if text.dtype == TEXT_DTYPE else text.astype("str"))
    event = pd.array(np.array(ADVERSE_EVENTS, dtype=object)[kind], dtype="str")
    return pd.DataFrame({"row": row, "event": event})


def adverse_event_rates(
    sessions: pd.DataFrame, *, patients: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Adverse events per 100 sessions and percent of patients with at least one.

    Parameters
    ----------
    sessions : pandas.DataFrame
        Canonical sessions frame (``patient_id``, ``adverse_events``).
    patients : pandas.DataFrame, optional
        Canonical patients frame. When given, only the sessions of these patients
        count (e.g. one group or condition); the denominator is those of them who
        had at least one session.

    Returns
    -------
    pandas.DataFrame
        One row per event type of ``schema.ADVERSE_EVENTS`` in that order, then
        ``"any"`` (dtypes in :data:`RATE_COLUMNS`):

        - ``event`` (str): event type, or ``"any"``.
        - ``n_events`` (int64): sessions in which the event was recorded; for
          ``"any"`` the total number of events (a session with soreness and
          bruising counts 2).
        - ``n_sessions`` (int64): all sessions counted (the same on every row).
        - ``events_per_100_sessions`` (float64): 100 * n_events / n_sessions;
          NaN when there are no sessions.
        - ``n_patients_with_event`` (int64): patients with the event in at least
          one session; for ``"any"``, with at least one event of any type.
        - ``n_patients`` (int64): patients with at least one session.
        - ``pct_patients_with_event`` (float64, %): 100 * n_patients_with_event /
          n_patients; NaN when there are none.
        - ``benchmark_per_100`` (float64): :data:`BENCHMARK_EVENTS_PER_100_SESSIONS`
          on ``"any"``, NaN on the others.
        - ``benchmark_pct_patients`` (float64, %):
          :data:`BENCHMARK_PCT_PATIENTS_WITH_EVENT` on ``"any"``, NaN elsewhere.

    Notes
    -----
    Events are the ``;``-separated words of ``adverse_events``, compared
    case-insensitively; a word listed twice for one session counts once, and a
    word outside the contract's list counts as ``"other"``. Bäumler 2021 reports
    events per 100 treatments and the share of patients with >= 1 event over a
    course: the ``"any"`` row is the comparable one. The benchmark comes from
    prospective studies with active follow-up; routine records usually
    under-report, so a rate below it is not evidence of greater safety.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"patient_id": ["a", "a", "b"],
    ...     "adverse_events": ["soreness;bruising", None, "soreness"]})
    >>> r = adverse_event_rates(s).set_index("event")
    >>> r.loc[["any"], ["n_events", "events_per_100_sessions", "n_patients_with_event"]].to_dict("records")
    [{'n_events': 3, 'events_per_100_sessions': 100.0, 'n_patients_with_event': 2}]
    """
    return rates_from_counts(adverse_event_counts(sessions, patients=patients))


def adverse_event_counts(
    sessions: pd.DataFrame, *, patients: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Sessions and adverse events of each patient: the per-patient part of the rates.

    Parameters
    ----------
    sessions : pandas.DataFrame
        Canonical sessions frame (``patient_id``, ``adverse_events``).
    patients : pandas.DataFrame, optional
        Canonical patients frame; when given, only the sessions of these patients
        count (as in :func:`adverse_event_rates`).

    Returns
    -------
    pandas.DataFrame
        One row per patient with at least one counted session, sorted by
        ``patient_id`` (dtypes in :data:`COUNT_COLUMNS`):

        - ``patient_id`` (str);
        - ``n_sessions`` (int64): the patient's sessions;
        - ``n_<event>`` (int64) for each event of ``schema.ADVERSE_EVENTS``:
          sessions in which that event was recorded;
        - ``n_events`` (int64): all events (a session with soreness and bruising
          counts 2).

    Notes
    -----
    :func:`rates_from_counts` of the concatenated rows of any partition of the
    patients equals :func:`adverse_event_rates` of all of them.
    """
    code, ids = patient_codes(sessions["patient_id"])
    if patients is not None:
        # the sessions of the listed patients only (a missing id is never counted)
        code = np.append(np.where(ids.isin(patients["patient_id"]), np.arange(len(ids)), -1), -1)[
            code
        ]
    text = sessions["adverse_events"]
    row, kind = event_rows(text if text.dtype == TEXT_DTYPE else text.astype("str"))
    n_kinds = len(ADVERSE_EVENTS)
    n_sessions = np.bincount(code[code >= 0], minlength=len(ids))
    # sessions with each event per patient: one count per (patient, event) cell
    who = code[row]
    cell = who[who >= 0] * n_kinds + kind[who >= 0]
    wide = np.bincount(cell, minlength=len(ids) * n_kinds).reshape(len(ids), n_kinds)
    # the patients with sessions, in the order of their ids (sorted code point by code
    # point, as pandas sorts text)
    labels = np.asarray(ids, dtype=object)
    present = np.flatnonzero(n_sessions > 0)
    present = present[np.argsort(labels[present])]
    wide = wide[present]
    columns = {
        "patient_id": pd.array(labels[present], dtype="str"),
        "n_sessions": n_sessions[present],
        **{f"n_{kind}": wide[:, j] for j, kind in enumerate(ADVERSE_EVENTS)},
        "n_events": wide.sum(axis=1),
    }
    return pd.DataFrame(columns, columns=list(COUNT_COLUMNS))


def rates_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`adverse_event_rates` from the per-patient rows of :func:`adverse_event_counts`.

    Parameters
    ----------
    counts : pandas.DataFrame
        Rows of :func:`adverse_event_counts`, one per patient (any concatenation
        of partitions).

    Returns
    -------
    pandas.DataFrame
        As :func:`adverse_event_rates`.
    """
    kinds = list(ADVERSE_EVENTS)
    per_kind = counts[[f"n_{k}" for k in kinds]].to_numpy(dtype=np.int64)
    total = counts["n_events"].to_numpy(dtype=np.int64)
    n_sessions = int(counts["n_sessions"].sum())
    n_patients = int(len(counts))
    out = pd.DataFrame(
        {
            "event": kinds + ["any"],
            "n_events": np.append(per_kind.sum(axis=0), total.sum()),
            "n_sessions": n_sessions,
            "n_patients_with_event": np.append((per_kind > 0).sum(axis=0), (total > 0).sum()),
            "n_patients": n_patients,
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["events_per_100_sessions"] = (
            100.0 * out["n_events"] / n_sessions if n_sessions else np.nan
        )
        out["pct_patients_with_event"] = (
            100.0 * out["n_patients_with_event"] / n_patients if n_patients else np.nan
        )
    is_any = out["event"] == "any"
    out["benchmark_per_100"] = np.where(is_any, BENCHMARK_EVENTS_PER_100_SESSIONS, np.nan)
    out["benchmark_pct_patients"] = np.where(is_any, BENCHMARK_PCT_PATIENTS_WITH_EVENT, np.nan)
    return out[list(RATE_COLUMNS)].astype(RATE_COLUMNS)


def adverse_event_list(sessions: pd.DataFrame) -> pd.DataFrame:
    """One row per patient, session and adverse event, for the patient chart.

    Parameters
    ----------
    sessions : pandas.DataFrame
        Canonical sessions frame; need not be sorted.

    Returns
    -------
    pandas.DataFrame
        Sorted by patient_id, session date-time, then the order the events were
        listed (dtypes in :data:`EVENT_LIST_COLUMNS`):

        - ``patient_id`` (str)
        - ``date`` (datetime64): the session's date-time as recorded.
        - ``session_date`` (datetime64, midnight): its calendar date.
        - ``session_number`` (int64): 1-based order of the session within the
          patient (counting sessions without events, as in
          :func:`analytics.stats.session_response`).
        - ``technique`` (str)
        - ``event`` (str): one of ``schema.ADVERSE_EVENTS`` (unknown words as
          ``"other"``; duplicates within a session removed).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"patient_id": ["a", "a"], "technique": "manual",
    ...     "date": pd.to_datetime(["2024-01-08", "2024-01-01"]).astype("datetime64[ns]"),
    ...     "adverse_events": ["dizziness", "soreness;bruising"]})
    >>> adverse_event_list(s)[["session_number", "event"]].values.tolist()
    [[1, 'soreness'], [1, 'bruising'], [2, 'dizziness']]
    """
    s = sessions.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)
    number = s.groupby("patient_id", sort=False).cumcount().to_numpy() + 1
    events = adverse_events_long(s)
    row = events["row"].to_numpy()
    out = pd.DataFrame(
        {
            "patient_id": s["patient_id"].to_numpy()[row],
            "date": s["date"].to_numpy()[row],
            "session_date": s["date"].dt.normalize().to_numpy()[row],
            "session_number": number[row],
            "technique": s["technique"].to_numpy()[row],
            "event": events["event"].to_numpy(),
        }
    )
    return out.astype(EVENT_LIST_COLUMNS)
