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
from analytics.stats._common import TEXT_DTYPE, patient_codes
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
_NAT = np.datetime64("NaT", "ns")
#: The dtype of a canonical text column (``astype("str")`` leaves it as it is).
#: Columns of the ``windows`` frame of :func:`outcome_windows` in order.
_WINDOW_COLUMNS = ("index_date", "baseline_start", "baseline_end", "followup_start", "followup_end")


def all_patients(*frames: pd.DataFrame | None) -> pd.Index:
    """Return the patients of ``frames`` (None or empty ones skipped): a sorted ``str`` Index."""
    return patient_positions(*frames)[0]


def patient_positions(*frames: pd.DataFrame | None) -> tuple[pd.Index, list[np.ndarray]]:
    """Return the patients of ``frames`` as :func:`all_patients` and each row's position.

    One array per frame (empty for a frame that is None or empty): the position in
    the Index of each row's patient, -1 where the id is missing. Each column is
    coded once (:func:`analytics.stats._common.patient_codes`); only the distinct
    ids of the frames are sorted and numbered again.
    """
    coded = [patient_codes(f["patient_id"]) if f is not None and len(f) else None for f in frames]
    names = [pd.Index(c[1]) for c in coded if c is not None]
    if not names:
        none = np.array([], dtype=np.intp)
        return pd.Index([], dtype="str", name="patient_id"), [none for _ in frames]
    at, ids = pd.factorize(names[0].append(names[1:]), sort=True)
    rows: list[np.ndarray] = []
    start = 0
    for c in coded:
        if c is None:
            rows.append(np.array([], dtype=np.intp))
            continue
        codes, uniques = c
        found = at[start : start + len(uniques)]
        start += len(uniques)
        # a missing id (code -1) takes the -1 appended last
        rows.append(np.append(found, -1)[codes])
    return pd.Index(ids, dtype="str", name="patient_id"), rows


def _positions(keys: pd.Index, wanted: pd.Index) -> np.ndarray:
    """Position in ``keys`` (as text) of each of ``wanted``, -1 when absent.

    What ``Series.reindex`` looks up, with its error when ``keys`` repeat a label.
    """
    if keys.dtype != TEXT_DTYPE:
        keys = keys.astype("str")
    if not keys.is_unique:
        raise ValueError("cannot reindex on an axis with duplicate labels")
    return keys.get_indexer(wanted)


def as_days(values: pd.Series) -> np.ndarray:
    """``values`` as a ``datetime64[ns]`` array (converted only when it is not one)."""
    if values.dtype != DATE_DTYPE:
        values = values.astype(DATE_DTYPE)
    return values.to_numpy()


def _shift(day: np.ndarray, days: int) -> np.ndarray:
    """``day`` moved by ``days`` calendar days; NaT stays NaT.

    Beyond the calendar of ``datetime64[ns]`` pandas' arithmetic raises its
    OverflowError where numpy's would wrap around.
    """
    out = day + np.timedelta64(days, "D")
    wrapped = (out < day) if days > 0 else (out > day)
    if wrapped.any():
        return (pd.Series(day) + days * _DAY).to_numpy()  # raises pandas' OverflowError
    return out


def window_rows(
    day: np.ndarray,
    at: np.ndarray,
    index_day: np.ndarray,
    baseline_days: int,
    followup_days: int,
    followup_at: int | None,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Compute the windows of :func:`outcome_windows` on arrays.

    ``day`` is the date of each diary row, ``at`` the position of its patient in
    ``index_day`` (-1 for none), ``index_day`` the index date per patient (NaT when
    unknown). Returns the bounds per patient (the columns of ``windows``) and the
    booleans ``in_baseline``, ``in_followup`` per row.
    """
    bounds = {
        "index_date": index_day,
        "baseline_start": _shift(index_day, -baseline_days),
        "baseline_end": _shift(index_day, -1),
    }
    if followup_at is None:
        # the latest diary day on or after the index date (NaT lowest: none is NaT)
        after = day >= np.append(index_day, _NAT)[at]
        last = np.full(len(index_day), _NAT).view("int64")
        np.maximum.at(last, at[after], day.view("int64")[after])
        end = last.view(DATE_DTYPE)
        start = _shift(end, -(followup_days - 1))
    else:
        end = _shift(index_day, followup_at - 1)
        start = _shift(index_day, followup_at - followup_days)
    # the follow-up never reaches back before the index date
    start = np.where(start >= index_day, start, index_day)
    bounds["followup_start"] = np.where(np.isnat(end), _NAT, start)
    bounds["followup_end"] = end

    def inside(first: str, last: str) -> np.ndarray:
        low = np.append(bounds[first], _NAT)[at]
        high = np.append(bounds[last], _NAT)[at]
        return (day >= low) & (day <= high)

    return (
        bounds,
        inside("baseline_start", "baseline_end"),
        inside("followup_start", "followup_end"),
    )


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
    keys = index.index if index.index.dtype == TEXT_DTYPE else index.index.astype("str")
    # one factorisation of the diary's patients serves every lookup below
    codes, uniques = patient_codes(diary["patient_id"])
    at = np.append(_positions(keys, uniques), -1)[codes]
    bounds, in_base, in_fu = window_rows(
        as_days(diary["date"]),
        at,
        as_days(index),
        baseline_days,
        followup_days,
        followup_at,
    )
    win = pd.DataFrame(
        {name: bounds[name] for name in _WINDOW_COLUMNS}, index=keys.rename("patient_id")
    )
    rows = pd.DataFrame({"in_baseline": in_base, "in_followup": in_fu}, index=diary.index)
    return win, rows


def per_row(values: pd.Series, keys: pd.Series) -> pd.Series:
    """``values`` (indexed by patient_id) looked up for every row of ``keys``.

    Like ``keys.map(values)`` but keeps the dtype of ``values`` even when it is
    empty; the result has the index of ``keys``.
    """
    # one lookup per distinct key, then spread over the rows by the key codes
    codes, uniques = patient_codes(keys)
    if not values.index.is_unique:
        raise ValueError("cannot reindex on an axis with duplicate labels")
    at = np.append(values.index.get_indexer(uniques), -1)[codes]
    looked_up = pd.api.extensions.take(values.to_numpy(), at, allow_fill=True)
    return pd.Series(looked_up, index=keys.index, dtype=values.dtype)


def _group_mean(values: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Mean of ``values`` (NaN skipped) per group ``0 .. n-1`` (-1: no group); NaN when none.

    The same float as ``pandas.Series(values).groupby(group).mean()`` to the last
    bit, by pandas' own two ways of summing: when the groups come in sorted runs
    and no value is NaN, ``numpy.add.reduceat`` over the runs; otherwise each
    group's values added in row order with Kahan's compensation (a compensation
    made NaN by an infinite value reset to 0). Each sum is divided by the number
    of values.
    """
    mean = np.full(n, np.nan)
    known = group >= 0
    dropped = int((~known).sum())
    # pandas' test: missing groups (-1) first, then the groups in sorted runs
    runs = bool((group[1:] >= group[:-1]).all())
    if runs and dropped < len(group) and not np.isnan(values).any():
        group, values = group[dropped:], values[dropped:]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        sizes = np.diff(starts, append=len(group)).astype("float64")
        mean[group[starts]] = np.add.reduceat(values, starts) / sizes
        return mean
    keep = known & ~np.isnan(values)
    values, group = values[keep], group[keep]
    count = np.bincount(group, minlength=n)
    # groups with the most values first: at step k the groups still adding are a prefix
    by_size = np.argsort(-count, kind="stable")
    size_rank = np.empty(n, dtype=np.intp)
    size_rank[by_size] = np.arange(n)
    # rank of each value inside its group, in row order
    in_group = np.argsort(group, kind="stable")
    rank = np.empty(len(group), dtype=np.intp)
    rank[in_group] = np.arange(len(group)) - (np.cumsum(count) - count)[group[in_group]]
    ordered = values[np.argsort(rank * max(n, 1) + size_rank[group], kind="stable")]
    total = np.zeros(n)
    compensation = np.zeros(n)
    start = 0
    with np.errstate(invalid="ignore"):
        for m in np.bincount(rank).tolist():
            s, c = total[:m], compensation[:m]
            y = ordered[start : start + m] - c
            t = s + y
            c[:] = (t - s) - y
            c[np.isnan(c)] = 0.0
            s[:] = t
            start += m
    sizes = count[by_size]
    added = sizes > 0
    mean[by_size[added]] = total[added] / sizes[added]
    return mean


def _joined_names(flags: list[np.ndarray], names: list[str], n: int) -> np.ndarray:
    """Per row the names whose flag is True joined with ``";"`` (``""`` when none), as objects.

    Rows are numbered by their combination of flags; each distinct combination is
    joined once, so the loops run over the flags and the combinations, never over
    rows.
    """
    combination = np.zeros(n, dtype=np.intp)
    for flag in flags:
        combination = np.unique(combination * 2 + flag, return_inverse=True)[1]
    present, first = np.unique(combination, return_index=True)
    texts = np.empty(len(present), dtype=object)
    for i, row in enumerate(first.tolist()):
        texts[i] = ";".join(name for name, flag in zip(names, flags, strict=True) if flag[row])
    return texts[combination]


def join_flags(flags: pd.DataFrame) -> pd.Series:
    """Join the names of the True columns of each row with ``";"`` (``""`` when none).

    The loop runs over the few flag columns, never over patients.
    """
    columns = []
    for name in flags.columns:
        flag = flags[name]
        if flag.dtype != bool:
            flag = flag.fillna(False).astype(bool)
        columns.append(flag.to_numpy())
    joined = _joined_names(columns, [str(name) for name in flags.columns], len(flags))
    return pd.Series(pd.array(joined, dtype="str"), index=flags.index)


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
    return pd.Series(_categories(values.to_numpy()), index=values.index, name="response_category")


#: Left-closed bins of :func:`response_category`, moved down by EPS: exactly 10/30/50 %
#: (up to float error) is in.
_BINS = np.array([-np.inf, 10.0 - EPS, 30.0 - EPS, 50.0 - EPS, np.inf])
_CATEGORY = pd.CategoricalDtype(list(RESPONSE_CATEGORIES), ordered=True)


def _categories(values: np.ndarray) -> pd.Categorical:
    """IMMPACT category of each % reduction, as ``pd.cut(values, _BINS, right=False)``."""
    # the bin of a value is the number of edges at or below it, less one; NaN and +inf
    # are past the last edge and have none
    codes = np.searchsorted(_BINS, values, side="right") - 1
    codes[codes == len(_BINS) - 1] = -1
    return pd.Categorical.from_codes(codes, dtype=_CATEGORY)


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
    index: pd.Series | None = None,
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
    index : pandas.Series, optional
        ``analytics.contract.index_dates(patients, sessions)`` when the caller has
        it already; default: computed from ``patients`` and ``sessions``.

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

    ids, (at, in_patients, in_sessions) = patient_positions(diary, patients, sessions)
    n = len(ids)
    out: dict[str, object] = {"patient_id": ids.array}
    out.update(_patient_info(ids, patients, in_patients, sessions))
    index = index_dates(patients, sessions) if index is None else index
    index_day = dates_by_patient(index, ids)
    out["index_date"] = index_day
    day = as_days(diary["date"])
    out.update(_diary_days(day, at, n))
    out["n_sessions"] = np.bincount(in_sessions[in_sessions >= 0], minlength=n)
    bounds, in_base, in_fu = window_rows(
        day, at, index_day, baseline_days, followup_days, followup_at
    )
    out.update((k, bounds[k]) for k in ("baseline_start", "baseline_end"))
    means = _window_means(diary, at, in_base, in_fu, n, min_entries)
    out.update(means)
    out.update((k, bounds[k]) for k in ("followup_start", "followup_end"))
    out["sessions_in_baseline"] = _sessions_in_baseline(sessions, in_sessions, bounds, n)
    no_index = np.isnat(index_day)
    out.update(_change(means["baseline_pain"], means["followup_pain"], no_index, threshold))
    return pd.DataFrame(out)


def _diary_days(day: np.ndarray, at: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Diary entries and first and last diary day of each of ``n`` patients."""
    known = at >= 0
    first, last = _first_last(day, at, known, n)
    return {
        "n_diary_days": np.bincount(at[known], minlength=n),
        "first_date": first,
        "last_date": last,
    }


def dates_by_patient(values: pd.Series, ids: pd.Index) -> np.ndarray:
    """Dates indexed by patient_id (``values``) per patient of ``ids``, NaT when absent."""
    return np.append(as_days(values), _NAT)[_positions(values.index, ids)]


def _text(values: pd.Series, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values`` at ``rows`` (missing at -1) as ``str``, as ``reindex`` then ``astype("str")``."""
    taken = pd.Series(values.array.take(rows, allow_fill=True))
    return (taken if taken.dtype == TEXT_DTYPE else taken.astype("str")).array


def _patient_info(
    ids: pd.Index,
    patients: pd.DataFrame | None,
    in_patients: np.ndarray,
    sessions: pd.DataFrame | None,
) -> dict[str, object]:
    """Group, condition and technique per patient of ``ids``."""
    n = len(ids)
    info: dict[str, object] = {}
    if patients is not None and len(patients):
        row = patient_rows(in_patients, n)
        info["group"] = _text(patients["group"], row)
        info["condition"] = _text(patients["condition"], row)
    else:
        info["group"] = info["condition"] = pd.array(np.full(n, np.nan, dtype=object), dtype="str")
    if sessions is not None and len(sessions):
        tech = predominant_technique(sessions)
        taken = tech.array.take(_positions(tech.index, ids), allow_fill=True)
        info["technique"] = _text(pd.Series(taken).fillna("none"), np.arange(n))
    else:
        info["technique"] = pd.array(np.full(n, "none", dtype=object), dtype="str")
    return info


def patient_rows(at: np.ndarray, n: int) -> np.ndarray:
    """Give the row of each of ``n`` patients in a frame whose rows are at ``at`` (-1: none).

    As ``frame.set_index(...).reindex(ids)`` looks them up, with its error when a
    patient has more than one row.
    """
    known = at >= 0
    if np.bincount(at[known], minlength=n).max(initial=0) > 1 or (~known).sum() > 1:
        raise ValueError("cannot reindex on an axis with duplicate labels")
    row = np.full(n, -1, dtype=np.intp)
    row[at[known]] = np.flatnonzero(known)
    return row


def _first_last(
    day: np.ndarray, at: np.ndarray, known: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """First and last diary day per patient (NaT when none)."""
    dated = known & ~np.isnat(day)
    rows, values = at[dated], day.view("int64")[dated]
    first = np.full(n, np.iinfo("int64").max)
    np.minimum.at(first, rows, values)
    last = np.full(n, _NAT).view("int64")
    np.maximum.at(last, rows, values)
    first[first == np.iinfo("int64").max] = _NAT.view("int64")
    return first.view(DATE_DTYPE), last.view(DATE_DTYPE)


def _window_means(
    diary: pd.DataFrame,
    at: np.ndarray,
    in_base: np.ndarray,
    in_fu: np.ndarray,
    n: int,
    min_entries: int,
) -> dict[str, np.ndarray]:
    """Mean pain and entries per patient in the baseline and the follow-up window."""
    pain = diary["pain"]
    pain = (pain if pain.dtype == "float64" else pain.astype("float64")).to_numpy()
    out = {}
    for stage, inside in (("baseline", in_base), ("followup", in_fu)):
        values = np.where(inside, pain, np.nan)
        entered = at >= 0
        entered &= ~np.isnan(values)
        count = np.bincount(at[entered], minlength=n)
        mean = _group_mean(values, at, n)
        out[f"{stage}_pain"] = np.where(count >= min_entries, mean, np.nan)
        out[f"{stage}_n"] = count
    return out


def _sessions_in_baseline(
    sessions: pd.DataFrame | None, at: np.ndarray, bounds: dict[str, np.ndarray], n: int
) -> np.ndarray:
    """Count each patient's sessions dated inside the baseline window (0 when none)."""
    if sessions is None or not len(sessions):
        return np.zeros(n, dtype="int64")
    day = as_days(sessions["date"]).astype("datetime64[D]").astype(DATE_DTYPE)
    start = np.append(bounds["baseline_start"], _NAT)[at]
    end = np.append(bounds["baseline_end"], _NAT)[at]
    inside = (day >= start) & (day <= end)
    return np.bincount(at[inside], minlength=n)


def _change(
    base: np.ndarray, fu: np.ndarray, no_index: np.ndarray, threshold: float
) -> dict[str, object]:
    """Compute the change, the % change, the response columns and the reasons."""
    change = base - fu
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(base != 0, 100.0 * change / base, np.nan)
    insufficient_baseline = np.isnan(base)
    reason = _joined_names(
        [insufficient_baseline, np.isnan(fu), base == 0],
        list(REASONS[1:]),
        len(base),
    )
    return {
        "change": change,
        "pct_change": pct,
        "response_category": _categories(pct),
        "responder": pd.arrays.BooleanArray(at_least(pct, threshold), np.isnan(pct)),
        "responder_2pt": pd.arrays.BooleanArray(at_least(change, 2.0), np.isnan(change)),
        "reason": pd.array(np.where(no_index, "no_index", reason), dtype="str"),
    }
