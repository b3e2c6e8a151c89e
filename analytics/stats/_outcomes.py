"""Patient-level treatment outcomes: baseline, follow-up, change, IMMPACT categories, CPRA.

Definitions follow DOMAIN.md section 4 and are documented with formulas in
``docs/analytics.md``. Every function takes canonical frames (``analytics.contract.schema``),
never mutates them and returns a documented DataFrame; nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analytics.checks import check_int, check_number
from analytics.contract import index_dates
from analytics.contract.schema import DATE_DTYPE
from analytics.stats._common import patient_codes
from analytics.stats._groups import predominant_technique
from analytics.stats._thresholds import EPS, at_least

__all__ = [
    "RESPONSE_CATEGORIES",
    "REASONS",
    "patient_outcomes",
    "response_category",
    "cpra_curve",
    "outcome_windows",
    "join_flags",
    "per_row",
]

#: IMMPACT categories of % pain reduction (Dworkin 2008), in order.
RESPONSE_CATEGORIES = ("none", "minimal", "moderate", "substantial")
#: Machine-readable reasons why an outcome is missing, in the order they are reported.
REASONS = ("no_index", "insufficient_baseline", "insufficient_followup", "zero_baseline")

_DAY = pd.Timedelta(days=1)


def all_patients(*frames: pd.DataFrame | None) -> pd.Index:
    ids: list[pd.Series] = [f["patient_id"] for f in frames if f is not None and len(f)]
    if not ids:
        return pd.Index([], dtype="str", name="patient_id")
    out = pd.Index(pd.concat(ids, ignore_index=True).unique(), name="patient_id")
    return out.astype("str").sort_values()


def check_windows(func: str, baseline_days, followup_days, followup_at, min_entries) -> None:
    check_int(baseline_days, "baseline_days", func, 1, 3650)
    check_int(followup_days, "followup_days", func, 1, 3650)
    if followup_at is not None:
        check_int(followup_at, "followup_at", func, 1, 36500)
    check_int(min_entries, "min_entries", func, 1, 3650)


def outcome_windows(
    diary: pd.DataFrame,
    index: pd.Series,
    *,
    baseline_days: int = 14,
    followup_days: int = 14,
    followup_at: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baseline and follow-up windows, per patient and per diary row.

    Shared by :func:`patient_outcomes` and
    :func:`analytics.stats.secondary_outcomes` so that every outcome uses the
    same days.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame (only ``patient_id`` and ``date`` are used).
    index : pandas.Series
        Index date per patient (``patient_id`` index), e.g. from
        :func:`analytics.contract.index_dates`.
    baseline_days, followup_days, followup_at : int
        As in :func:`patient_outcomes`.

    Returns
    -------
    windows : pandas.DataFrame
        Indexed by ``patient_id`` (patients in ``index``): ``index_date``,
        ``baseline_start``, ``baseline_end``, ``followup_start``, ``followup_end``
        (``datetime64[ns]``, inclusive bounds; follow-up NaT when the patient has no
        diary day on or after the index date and ``followup_at`` is None).
    rows : pandas.DataFrame
        Aligned with ``diary`` (same index): booleans ``in_baseline`` and
        ``in_followup``.
    """
    idx = index.astype(DATE_DTYPE)
    idx.index = idx.index.astype("str")
    win = pd.DataFrame({"index_date": idx})
    win.index.name = "patient_id"
    win["baseline_start"] = win["index_date"] - baseline_days * _DAY
    win["baseline_end"] = win["index_date"] - _DAY
    # one factorisation of the diary's patients serves every lookup below
    codes, uniques = patient_codes(diary["patient_id"])
    uniques = pd.Index(uniques, dtype="str")
    date = diary["date"].to_numpy()
    if followup_at is None:
        row_index = idx.reindex(uniques).to_numpy()[codes]
        day = diary["date"].astype(DATE_DTYPE).to_numpy()
        after = np.where(day >= row_index, day, np.datetime64("NaT", "ns"))
        last = pd.Series(after).groupby(codes).max()
        last.index = uniques[last.index]
        win["followup_end"] = last.reindex(win.index).astype(DATE_DTYPE)
        start = win["followup_end"] - (followup_days - 1) * _DAY
    else:
        win["followup_end"] = win["index_date"] + (followup_at - 1) * _DAY
        start = win["index_date"] + (followup_at - followup_days) * _DAY
    # the follow-up never reaches back before the index date
    win["followup_start"] = start.where(start >= win["index_date"], win["index_date"])
    win["followup_start"] = win["followup_start"].where(win["followup_end"].notna())
    win = win[["index_date", "baseline_start", "baseline_end", "followup_start", "followup_end"]]

    bounds = win.reindex(uniques)

    def spread(column: str) -> np.ndarray:
        return bounds[column].to_numpy()[codes]

    in_base = (date >= spread("baseline_start")) & (date <= spread("baseline_end"))
    in_fu = (date >= spread("followup_start")) & (date <= spread("followup_end"))
    rows = pd.DataFrame({"in_baseline": in_base, "in_followup": in_fu}, index=diary.index)
    return win, rows


def per_row(values: pd.Series, keys: pd.Series) -> pd.Series:
    """``values`` (indexed by patient_id) looked up for every row of ``keys``.

    Like ``keys.map(values)`` but keeps the dtype of ``values`` even when it is
    empty; the result has the index of ``keys``.
    """
    # one lookup per distinct key, then spread over the rows by the key codes
    codes, uniques = patient_codes(keys)
    distinct = values.reindex(pd.Index(uniques, dtype="str")).to_numpy()
    looked_up = pd.api.extensions.take(distinct, codes, allow_fill=True)
    return pd.Series(looked_up, index=keys.index, dtype=values.dtype)


def _window_mean(
    values: pd.Series, mask: pd.Series, patient_id: pd.Series, min_entries: int, patients: pd.Index
) -> tuple[pd.Series, pd.Series]:
    """Mean and number of non-missing ``values`` per patient inside ``mask``."""
    v = values.where(mask)
    grouped = v.groupby(patient_id.astype("str"))
    n = grouped.count().reindex(patients, fill_value=0).astype("int64")
    mean = grouped.mean().reindex(patients).astype("float64")
    return mean.where(n >= min_entries), n


def join_flags(flags: pd.DataFrame) -> pd.Series:
    """Join the names of the True columns of each row with ``";"`` (``""`` when none).

    The loop runs over the few flag columns, never over patients.
    """
    joined = pd.Series("", index=flags.index, dtype="str")
    for name in flags.columns:
        flag = flags[name].fillna(False).astype(bool)
        joined = joined.where(~flag, joined.where(joined == "", joined + ";") + str(name))
    return joined.astype("str")


def response_category(pct_change: pd.Series) -> pd.Series:
    """IMMPACT category of a % pain reduction (Dworkin 2008).

    Parameters
    ----------
    pct_change : pandas.Series
        % reduction of pain, ``100·(baseline − follow-up)/baseline`` (positive =
        better).

    Returns
    -------
    pandas.Series
        Ordered categorical with categories :data:`RESPONSE_CATEGORIES`, same index
        and name ``response_category``: ``none`` below 10 % (including every
        worsening), ``minimal`` 10 to < 30 %, ``moderate`` 30 to < 50 %,
        ``substantial`` >= 50 %; missing where ``pct_change`` is missing.

    Notes
    -----
    Dworkin RH et al. Interpreting the clinical importance of treatment outcomes in
    chronic pain clinical trials: IMMPACT recommendations. J Pain 2008;9:105-21.

    Examples
    --------
    >>> response_category(pd.Series([-5.0, 10.0, 29.9, 30.0, 50.0, None])).tolist()
    ['none', 'minimal', 'minimal', 'moderate', 'substantial', nan]
    """
    values = pd.to_numeric(pd.Series(pct_change), errors="coerce").astype("float64")
    cat = pd.cut(
        values,
        # left-closed bins moved down by EPS: exactly 10/30/50 % (up to float error) is in
        bins=[-np.inf, 10.0 - EPS, 30.0 - EPS, 50.0 - EPS, np.inf],
        right=False,
        labels=list(RESPONSE_CATEGORIES),
    )
    dtype = pd.CategoricalDtype(list(RESPONSE_CATEGORIES), ordered=True)
    return pd.Series(cat, index=values.index, name="response_category").astype(dtype)


def cpra_curve(pct_change: pd.Series, *, cutoffs: Iterable[float] = range(0, 101)) -> pd.DataFrame:
    """Cumulative proportion of responders (CPRA) at every cut-off (Farrar 2006).

    Parameters
    ----------
    pct_change : pandas.Series
        % pain reduction per patient; missing values are left out.
    cutoffs : iterable of float, default range(0, 101)
        Cut-offs in %, each in [-1000, 1000].

    Returns
    -------
    pandas.DataFrame
        One row per cut-off, in the given order:

        - ``cutoff_pct`` (float, %): the cut-off c;
        - ``n_patients`` (int): patients with a % change;
        - ``n_responders`` (int): patients whose % change is >= c;
        - ``share_responding`` (float, fraction 0-1): ``n_responders / n_patients``
          (NaN when there is no patient).

    Notes
    -----
    Farrar JT et al. A novel approach to presenting pain relief data: the
    cumulative proportion of responders analysis. J Pain Symptom Manage 2006.

    Examples
    --------
    >>> cpra_curve(pd.Series([10.0, 40.0]), cutoffs=[0, 30]).share_responding.tolist()
    [1.0, 0.5]
    """
    cuts = np.asarray(list(cutoffs), dtype="float64")
    for c in cuts:
        check_number(c, "cutoffs", "cpra_curve", -1000.0, 1000.0)
    values = pd.to_numeric(pd.Series(pct_change), errors="coerce").dropna().to_numpy("float64")
    n = len(values)
    responders = at_least(values[None, :], cuts[:, None]).sum(axis=1).astype("int64")
    share = responders / n if n else np.full(len(cuts), np.nan)
    return pd.DataFrame(
        {
            "cutoff_pct": cuts,
            "n_patients": np.full(len(cuts), n, dtype="int64"),
            "n_responders": responders,
            "share_responding": np.asarray(share, dtype="float64"),
        }
    )


def patient_outcomes(
    diary: pd.DataFrame,
    patients: pd.DataFrame | None = None,
    sessions: pd.DataFrame | None = None,
    *,
    baseline_days: int = 14,
    followup_days: int = 14,
    followup_at: int | None = None,
    min_entries: int = 4,
    responder_threshold: float = 30.0,
) -> pd.DataFrame:
    """Baseline, follow-up, change and response per patient.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame (``analytics.contract.schema``).
    patients, sessions : pandas.DataFrame, optional
        Canonical patients and sessions frames. They supply group, condition, the
        index date (``start_date``, else the first session) and the technique.
    baseline_days : int, default 14
        Baseline window: the ``baseline_days`` calendar days before the index date.
    followup_days : int, default 14
        Length of the follow-up window in calendar days.
    followup_at : int, optional
        Horizon H in days. When None (default) the follow-up window ends on the
        patient's last diary day on or after the index date; when given it is
        ``[index + H − followup_days, index + H − 1]``. Either way it never starts
        before the index date.
    min_entries : int, default 4
        Fewest diary entries that make a window's mean valid.
    responder_threshold : float, default 30.0
        % reduction that makes a responder (0-100).

    Returns
    -------
    pandas.DataFrame
        One row per patient found in any input, sorted by ``patient_id``:

        - ``patient_id`` (str); ``group``, ``condition`` (str, from ``patients``,
          missing when the patient is not there);
        - ``technique`` (str): predominant session technique band
          (:func:`analytics.stats.predominant_technique`), ``"none"`` without
          sessions;
        - ``index_date`` (datetime64[ns]): start of treatment, NaT when unknown;
        - ``n_diary_days`` (int): diary entries; ``first_date``, ``last_date``
          (datetime64[ns]): first and last diary day;
        - ``n_sessions`` (int): sessions recorded;
        - ``baseline_pain`` (float, NRS 0-10): mean pain in
          ``[index − baseline_days, index − 1]``, NaN with fewer than
          ``min_entries`` entries; ``baseline_n`` (int): entries in that window;
          ``baseline_start``, ``baseline_end`` (datetime64[ns], inclusive): that
          window (NaT without an index date);
        - ``sessions_in_baseline`` (int): sessions dated inside that baseline
          window (0 when none): more than 0 means the baseline is not
          treatment-free (a start date later than the first sessions), so the
          change understates the treatment's effect;
        - ``followup_pain`` (float, NRS 0-10), ``followup_n`` (int): the same for the
          follow-up window ``[followup_start, followup_end]`` (datetime64[ns],
          inclusive);
        - ``change`` (float, NRS points): ``baseline_pain − followup_pain``,
          positive = better;
        - ``pct_change`` (float, %): ``100·change/baseline_pain``, NaN when the
          baseline is 0;
        - ``response_category`` (ordered categorical): :func:`response_category`;
        - ``responder`` (boolean, nullable): ``pct_change >= responder_threshold``,
          ``<NA>`` when ``pct_change`` is missing;
        - ``responder_2pt`` (boolean, nullable): ``change >= 2`` points (Farrar
          2001), ``<NA>`` when ``change`` is missing;
        - ``reason`` (str): why the outcome is incomplete, ``""`` when complete.
          ``no_index`` alone when there is no index date; otherwise every
          applicable reason of ``insufficient_baseline``,
          ``insufficient_followup``, ``zero_baseline`` joined with ``";"`` in that
          order.

    Raises
    ------
    ValueError
        When an option is out of range.

    Notes
    -----
    DOMAIN.md section 4; Dworkin 2008 (IMMPACT); Farrar 2001 (MCID ≈ 2 points or
    30 %).

    Examples
    --------
    >>> from analytics.contract import empty_frame
    >>> patient_outcomes(empty_frame("diary")).shape[0]
    0
    """
    func = "patient_outcomes"
    check_windows(func, baseline_days, followup_days, followup_at, min_entries)
    threshold = check_number(responder_threshold, "responder_threshold", func, 0.0, 100.0)

    ids = all_patients(diary, patients, sessions)
    out = pd.DataFrame(index=ids)
    n_sess = _add_patient_info(out, patients, sessions)
    index = index_dates(patients, sessions)
    index.index = index.index.astype("str")
    out["index_date"] = index.reindex(ids).astype(DATE_DTYPE)
    pid = diary["patient_id"].astype("str")
    by_patient = diary["date"].groupby(pid)
    out["n_diary_days"] = by_patient.size().reindex(ids, fill_value=0).astype("int64")
    out["first_date"] = by_patient.min().reindex(ids).astype(DATE_DTYPE)
    out["last_date"] = by_patient.max().reindex(ids).astype(DATE_DTYPE)
    out["n_sessions"] = n_sess.reindex(ids, fill_value=0).astype("int64")
    win, rows = outcome_windows(
        diary,
        index,
        baseline_days=baseline_days,
        followup_days=followup_days,
        followup_at=followup_at,
    )
    _add_window_means(out, diary, pid, win, rows, min_entries)
    out["sessions_in_baseline"] = _sessions_in_baseline(sessions, out)
    _add_change(out, threshold)
    out = out.reset_index()
    out["patient_id"] = out["patient_id"].astype("str")
    return out


def _add_patient_info(
    out: pd.DataFrame, patients: pd.DataFrame | None, sessions: pd.DataFrame | None
) -> pd.Series:
    """Add group, condition and technique to ``out``; return the sessions per patient."""
    ids = out.index
    if patients is not None and len(patients):
        info = patients.set_index(patients["patient_id"].astype("str"))
        out["group"] = info["group"].reindex(ids).astype("str")
        out["condition"] = info["condition"].reindex(ids).astype("str")
    else:
        out["group"] = pd.Series(np.nan, index=ids, dtype="str")
        out["condition"] = pd.Series(np.nan, index=ids, dtype="str")
    if sessions is not None and len(sessions):
        tech = predominant_technique(sessions)
        tech.index = tech.index.astype("str")
        out["technique"] = tech.reindex(ids).fillna("none").astype("str")
        return sessions.groupby(sessions["patient_id"].astype("str")).size()
    out["technique"] = pd.Series("none", index=ids, dtype="str")
    return pd.Series(dtype="int64")


def _add_window_means(
    out: pd.DataFrame,
    diary: pd.DataFrame,
    pid: pd.Series,
    win: pd.DataFrame,
    rows: pd.DataFrame,
    min_entries: int,
) -> None:
    """Add the baseline and follow-up windows of :func:`outcome_windows` and their means."""
    ids = out.index
    pain = diary["pain"].astype("float64")
    out["baseline_start"] = win["baseline_start"].reindex(ids).astype(DATE_DTYPE)
    out["baseline_end"] = win["baseline_end"].reindex(ids).astype(DATE_DTYPE)
    out["baseline_pain"], out["baseline_n"] = _window_mean(
        pain, rows["in_baseline"], pid, min_entries, ids
    )
    out["followup_pain"], out["followup_n"] = _window_mean(
        pain, rows["in_followup"], pid, min_entries, ids
    )
    out["followup_start"] = win["followup_start"].reindex(ids).astype(DATE_DTYPE)
    out["followup_end"] = win["followup_end"].reindex(ids).astype(DATE_DTYPE)


def _sessions_in_baseline(sessions: pd.DataFrame | None, out: pd.DataFrame) -> pd.Series:
    """Count each patient's sessions dated inside the baseline window (0 when none)."""
    ids = out.index
    if sessions is None or not len(sessions):
        return pd.Series(0, index=ids, dtype="int64")
    s_pid = sessions["patient_id"].astype("str")
    day = sessions["date"].astype(DATE_DTYPE).dt.normalize()
    start = per_row(out["baseline_start"], s_pid)
    end = per_row(out["baseline_end"], s_pid)
    inside = (day >= start) & (day <= end)
    return inside.groupby(s_pid).sum().reindex(ids, fill_value=0).astype("int64")


def _add_change(out: pd.DataFrame, threshold: float) -> None:
    """Add the change, the % change, the response columns and the reasons."""
    base = out["baseline_pain"]
    change = base - out["followup_pain"]
    out["change"] = change
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_change"] = (100.0 * change / base).where(base != 0)
    pct = out["pct_change"]
    out["response_category"] = response_category(pct)
    out["responder"] = at_least(pct, threshold).astype("boolean").where(pct.notna(), pd.NA)
    out["responder_2pt"] = at_least(change, 2.0).astype("boolean").where(change.notna(), pd.NA)

    no_index = out["index_date"].isna()
    parts = pd.DataFrame(
        {
            "insufficient_baseline": base.isna(),
            "insufficient_followup": out["followup_pain"].isna(),
            "zero_baseline": base == 0,
        },
        index=out.index,
    )
    joined = join_flags(parts)
    out["reason"] = joined.where(~no_index, "no_index").astype("str")
