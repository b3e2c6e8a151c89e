"""Pain trends: rolling and weekly means, Theil–Sen slopes, interrupted time series.

Definitions in DOMAIN.md section 4 ("Trend", "Interrupted time series") and
``docs/analytics.md``. Inputs are canonical frames and are never mutated; results
are documented DataFrames, unrounded.
"""

from __future__ import annotations

import math
import warnings
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analytics.checks import check_choice, check_int
from analytics.contract.schema import DATE_DTYPE
from analytics.errors import InsufficientDataError
from analytics.stats._common import FitWarnings, patient_codes, sort_by_patient_day
from analytics.stats._outcomes import per_row
from analytics.stats._runs import weekly_means_exact, window_sums_exact

__all__ = [
    "rolling_mean",
    "weekly_means",
    "theil_sen_slopes",
    "interrupted_time_series",
    "its_fit_lines",
    "newey_west_lags",
]

PERIODS = ("treatment", "baseline", "all")

_NORM_975 = float(stats.norm.ppf(1 - 0.05 / 2))

ITS_COLUMNS = [
    "patient_id",
    "its_intercept",
    "its_pre_slope",
    "its_level_change",
    "its_level_ci_low",
    "its_level_ci_high",
    "its_level_p_value",
    "its_slope_change",
    "its_slope_ci_low",
    "its_slope_ci_high",
    "its_slope_p_value",
    "n_pre",
    "n_post",
    "lags",
    "its_reason",
]


def _sorted(diary: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "patient_id": diary["patient_id"].astype("str").array,
            "date": diary["date"].astype(DATE_DTYPE).to_numpy(),
            "pain": diary["pain"].astype("float64").to_numpy(),
        }
    )
    return sort_by_patient_day(frame)


def _index_series(index_dates: pd.Series | None) -> pd.Series:
    if index_dates is None:
        return pd.Series(dtype=DATE_DTYPE)
    out = index_dates.astype(DATE_DTYPE)
    out.index = out.index.astype("str")
    return out


def rolling_mean(
    diary: pd.DataFrame, *, window_days: int = 7, min_entries: int = 4
) -> pd.DataFrame:
    """Trailing calendar-day mean of pain on every diary day.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame.
    window_days : int, default 7
        Window length in calendar days, the day itself included: days
        ``[d − window_days + 1, d]``.
    min_entries : int, default 4
        Fewest entries in the window for a mean; below it the mean is NaN.

    Returns
    -------
    pandas.DataFrame
        One row per diary entry, sorted by ``patient_id``, ``date``:
        ``patient_id`` (str), ``date`` (datetime64[ns]), ``pain`` (float, NRS),
        ``pain_rolling_mean`` (float, NRS; NaN below ``min_entries``),
        ``n_in_window`` (int, entries in the window).

    Examples
    --------
    >>> from analytics.contract import empty_frame
    >>> list(rolling_mean(empty_frame("diary")).columns)
    ['patient_id', 'date', 'pain', 'pain_rolling_mean', 'n_in_window']
    """
    func = "rolling_mean"
    window_days = check_int(window_days, "window_days", func, 1, 3650)
    min_entries = check_int(min_entries, "min_entries", func, 1, 3650)
    frame = _sorted(diary)
    if not len(frame):
        frame["pain_rolling_mean"] = pd.Series(dtype="float64")
        frame["n_in_window"] = pd.Series(dtype="int64")
        return frame
    exact = window_sums_exact(frame, window_days)
    if exact is not None:
        total, count = exact
        mean = total / count
    else:
        roll = frame.set_index("date").groupby("patient_id", sort=False)["pain"]
        roll = roll.rolling(f"{window_days}D")
        mean = roll.mean().to_numpy()
        count = roll.count().to_numpy().astype("int64")
    frame["pain_rolling_mean"] = np.where(count >= min_entries, mean, np.nan)
    frame["n_in_window"] = count
    return frame


def weekly_means(diary: pd.DataFrame, *, index_dates: pd.Series | None = None) -> pd.DataFrame:
    """Mean pain per week.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame.
    index_dates : pandas.Series, optional
        Index date per patient. Weeks of a patient with an index date start on
        the index date's weekday (week 0 = the index date and the 6 days after it,
        week −1 the 7 days before); other patients' weeks start on Monday.

    Returns
    -------
    pandas.DataFrame
        One row per patient and week with at least one entry, sorted:
        ``patient_id`` (str), ``week_start`` (datetime64[ns]), ``week`` (Int64,
        weeks since the index date, ``<NA>`` without one), ``mean_pain`` (float,
        NRS), ``n_days`` (int, entries that week).
    """
    frame = _sorted(diary)
    idx = per_row(_index_series(index_dates), frame["patient_id"])
    days_from_index = (frame["date"] - idx).dt.days
    week = np.floor(days_from_index / 7.0)
    monday = frame["date"] - pd.to_timedelta(frame["date"].dt.day_of_week, unit="D")
    aligned = idx + pd.to_timedelta(week * 7, unit="D")
    frame["week_start"] = aligned.where(idx.notna(), monday).astype(DATE_DTYPE)
    frame["week"] = pd.array(week, dtype="Float64").astype("Int64")
    exact = weekly_means_exact(frame)
    if exact is not None:
        return exact
    out = (
        frame.groupby(["patient_id", "week_start"], sort=True)
        .agg(week=("week", "first"), mean_pain=("pain", "mean"), n_days=("pain", "count"))
        .reset_index()
    )
    out["n_days"] = out["n_days"].astype("int64")
    out["mean_pain"] = out["mean_pain"].astype("float64")
    out["week"] = out["week"].astype("Int64")
    return out


def theil_sen_slopes(
    diary: pd.DataFrame,
    index_dates: pd.Series | None = None,
    *,
    period: Literal["treatment", "baseline", "all"] = "treatment",
    min_entries: int = 4,
) -> pd.DataFrame:
    """Theil–Sen slope of pain per patient, in points per week, with a 95 % CI.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame.
    index_dates : pandas.Series, optional
        Index date per patient (``patient_id`` index).
    period : {"treatment", "baseline", "all"}, default "treatment"
        Days used: on/after the index date, before it, or all. A patient without an
        index date (or every patient when ``index_dates`` is None) always uses the
        whole diary; the ``period`` column says which days were used.
    min_entries : int, default 4
        Fewest entries for a slope; below it the values are NaN.

    Returns
    -------
    pandas.DataFrame
        One row per patient in ``diary``, sorted by ``patient_id``:
        ``patient_id`` (str), ``period`` (str: treatment/baseline/all),
        ``slope_per_week`` (float, NRS points per week; negative = improving),
        ``slope_ci_low``, ``slope_ci_high`` (float, points/week, 95 %),
        ``intercept`` (float, NRS: the fitted pain at x = 0, i.e. on the index date,
        or on the first diary day without an index date), ``n_days`` (int,
        entries used).

    Notes
    -----
    Sen PK (1968), Theil (1950). Equals ``7 × scipy.stats.theilslopes(pain, x,
    alpha=0.95)`` with x in days since the index date (method "separate"): the
    same slopes, and their order statistics picked by a compiled kernel
    (:mod:`analytics.stats`) for all patients at once.
    """
    func = "theil_sen_slopes"
    check_choice(period, "period", func, PERIODS)
    min_entries = check_int(min_entries, "min_entries", func, 2, 3650)
    frame = _sorted(diary)
    # rows are sorted by patient: the codes number the patients in sorted order
    codes, uniques = patient_codes(frame["patient_id"])
    ids = pd.Index(uniques, dtype="str", name="patient_id")
    m = len(ids)
    first = np.flatnonzero(np.append(True, codes[1:] != codes[:-1])) if len(codes) else codes
    date = frame["date"].to_numpy()
    index_of = _index_series(index_dates).reindex(ids).to_numpy()  # per patient, NaT: none
    has_index = ~np.isnat(index_of)
    # x counts days from the index date, or from the first diary day without one
    origin = np.where(has_index, index_of, date[first])[codes]
    x = pd.to_timedelta(date - origin).days.to_numpy().astype("float64")
    if period == "all":
        keep = np.ones(len(codes), dtype=bool)
    else:
        row_index = index_of[codes]
        after = date >= row_index if period == "treatment" else date < row_index
        keep = ~has_index[codes] | after
    used = codes[keep]
    x, y = x[keep], frame["pain"].to_numpy()[keep]
    starts = np.flatnonzero(np.append(True, used[1:] != used[:-1])) if len(used) else used
    lengths = np.diff(np.append(starts, len(used))).astype("int64")
    owner = used[starts]  # the patient of each series
    # x is non-decreasing within a patient: two distinct days iff first != last
    varies = x[starts + lengths - 1] != x[starts] if len(starts) else np.zeros(0, dtype=bool)
    fit = (lengths >= min_entries) & varies
    slope = np.full(m, np.nan)
    intercept = np.full(m, np.nan)
    low = np.full(m, np.nan)
    high = np.full(m, np.nan)
    n_days = np.zeros(m, dtype="int64")
    n_days[owner] = lengths
    if fit.any():
        rows = np.repeat(fit, lengths)
        fit_lengths = lengths[fit]
        fit_starts = np.cumsum(fit_lengths) - fit_lengths
        s, i, lo, hi, bad = _theil_sen_batch(x[rows], y[rows], fit_starts, fit_lengths)
        who = owner[fit]
        slope[who], intercept[who] = 7.0 * s, i
        low[who], high[who] = 7.0 * lo, 7.0 * hi
        log = FitWarnings("Theil–Sen slope")
        for pid in ids[who[bad]]:
            log.keys.setdefault(str(pid), _TS_CI_REASON)
        log.report()
    # a patient without an index date uses every day ("all"); one with an index
    # date but no day in the period keeps the period's name
    with_days = np.zeros(m, dtype=bool)
    with_days[owner] = True
    label = np.where(with_days & ~has_index, "all", period)
    return pd.DataFrame(
        {
            "patient_id": pd.array(ids, dtype="str"),
            "period": pd.array(label, dtype="str"),
            "slope_per_week": slope,
            "slope_ci_low": low,
            "slope_ci_high": high,
            "intercept": intercept,
            "n_days": n_days,
        }
    )


# what scipy's RuntimeWarning says when Sen's variance is negative
_TS_CI_REASON = "confidence interval not computable (invalid value encountered in sqrt)"


def _theil_sen_batch(
    x: np.ndarray, y: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Theil–Sen of many series at once, exactly as ``scipy.stats.theilslopes``.

    ``x`` is non-decreasing within each series (rows ``starts[i]`` to
    ``starts[i] + lengths[i]``) and every series has two distinct x values.
    Returns slope, intercept, low and high slope (per unit of x) and a boolean
    array marking the series whose confidence interval is not computable (Sen's
    variance negative: NaN bounds, as scipy gives them with a RuntimeWarning).
    """
    # tie sums, pairs with equal x and the medians of x and y, per series
    from analytics.stats._theil_sen import order_statistics, series_summary  # numba: lazy

    ties_x, ties_y, xt, med_x, med_y = series_summary(x, y, starts, lengths)
    n = lengths.astype("int64")
    # pairs with Δx > 0: all pairs minus those within a run of equal x
    nt = n * (n - 1) // 2 - xt
    sigsq = (1 / 18.0) * (n * (n - 1) * (2 * n + 5) - ties_x - ties_y).astype("float64")
    bad_ci = sigsq < 0
    alpha = 1.0 - 0.95
    z = stats.norm.ppf(alpha / 2.0)
    with np.errstate(invalid="ignore"):
        sigma = np.sqrt(sigsq)
        ru_f = np.round((nt - z * sigma) / 2.0)
        rl_f = np.round((nt + z * sigma) / 2.0)
    ru = np.minimum(np.where(bad_ci, 0, ru_f).astype("int64"), nt - 1)
    rl = np.maximum(np.where(bad_ci, 1, rl_f).astype("int64") - 1, 0)

    # the order statistics scipy reads from its sorted slopes: the two middle ones
    # and, where Sen's variance allows, the confidence bounds
    mid_lo, mid_hi = (nt - 1) // 2, nt // 2
    ranks = np.column_stack(
        [mid_lo, mid_hi, np.where(bad_ci, mid_lo, rl), np.where(bad_ci, mid_lo, ru)]
    )
    picked = order_statistics(x, y, starts, lengths, ranks)
    slope = np.where(mid_lo == mid_hi, picked[:, 0], (picked[:, 0] + picked[:, 1]) / 2.0)
    low = np.where(bad_ci, np.nan, picked[:, 2])
    high = np.where(bad_ci, np.nan, picked[:, 3])
    intercept = med_y - slope * med_x
    return slope, intercept, low, high, bad_ci


def newey_west_lags(n: int) -> int:
    """Newey–West rule-of-thumb lag: ``floor(4·(n/100)^(2/9))``.

    Examples
    --------
    >>> newey_west_lags(100)
    4
    """
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


def _its_design(t: np.ndarray) -> np.ndarray:
    """Columns 1, t, X_t, t·X_t (one design per row of a 2-D ``t``)."""
    post = (t >= 0).astype("float64")
    if t.ndim == 2:
        return np.stack([np.ones_like(t), t, post, t * post], axis=-1)
    return np.column_stack([np.ones(len(t)), t, post, t * post])


def _its_fit(t: np.ndarray, y: np.ndarray, maxlags: int | None):
    lags = newey_west_lags(len(t)) if maxlags is None else maxlags
    res = sm.OLS(y, _its_design(t)).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    return res, lags


def _ols_hac(t: np.ndarray, y: np.ndarray, lags: int):
    """OLS with Newey–West HAC covariance, the operations of statsmodels' own path.

    ``OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags})`` computes the
    parameters from the SVD pseudo-inverse of X (``pinv_extended``), the sandwich
    from the scores ``X·e`` with Bartlett weights ``1 − l/(lags+1)`` and no
    small-sample correction, then normal-based intervals and p-values. The same
    numpy operations in the same order, without building model and results
    objects, give the same numbers to the last bit. Returns params, the
    95 % intervals (4 × 2) and the p-values.
    """
    x = _its_design(t)
    u, s, vt = np.linalg.svd(x, False)
    cutoff = 1e-15 * np.maximum.reduce(s)
    s = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
    pinv = np.dot(np.transpose(vt), np.multiply(s[:, np.newaxis], np.transpose(u)))
    bread = np.dot(pinv, np.transpose(pinv))
    params = np.dot(pinv, y)
    resid = y - np.dot(x, params)
    xu = x * resid[:, None]
    weights = 1 - np.arange(lags + 1) / (lags + 1.0)
    meat = weights[0] * np.dot(xu.T, xu)
    for lag in range(1, lags + 1):
        lagged = np.dot(xu[lag:].T, xu[:-lag])
        meat += weights[lag] * (lagged + lagged.T)
    cov = np.dot(np.dot(bread, meat), bread.T)
    bse = np.sqrt(np.diag(cov))
    q = _NORM_975
    ci = np.column_stack([params - q * bse, params + q * bse])
    pvalues = stats.norm.sf(np.abs(params / bse)) * 2
    return params, ci, pvalues


def _ols_hac_stack(t: np.ndarray, y: np.ndarray, lags: int, design: np.ndarray | None = None):
    """:func:`_ols_hac` of many patients with diaries of one length (one per row).

    The same LAPACK and BLAS calls per patient, made through numpy's stacked
    ``svd`` and ``matmul`` (a test checks the results equal the one-patient path
    bit for bit). ``design`` is ``_its_design(t)`` when the caller has it already.
    Returns params (m × 4), intervals (m × 4 × 2) and p-values (m × 4).
    """
    x = _its_design(t) if design is None else design
    u, s, vt = np.linalg.svd(x, False)
    cutoff = 1e-15 * np.max(s, axis=-1, keepdims=True)
    s = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
    pinv = np.matmul(np.swapaxes(vt, -1, -2), s[..., :, None] * np.swapaxes(u, -1, -2))
    bread = np.matmul(pinv, np.swapaxes(pinv, -1, -2))
    params = np.matmul(pinv, y[..., None])[..., 0]
    resid = y - np.matmul(x, params[..., None])[..., 0]
    xu = x * resid[..., None]
    weights = 1 - np.arange(lags + 1) / (lags + 1.0)
    meat = weights[0] * np.matmul(np.swapaxes(xu, -1, -2), xu)
    for lag in range(1, lags + 1):
        lagged = np.matmul(np.swapaxes(xu[:, lag:], -1, -2), xu[:, :-lag])
        meat += weights[lag] * (lagged + np.swapaxes(lagged, -1, -2))
    cov = np.matmul(np.matmul(bread, meat), np.swapaxes(bread, -1, -2))
    bse = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    q = _NORM_975
    ci = np.stack([params - q * bse, params + q * bse], axis=-1)
    pvalues = stats.norm.sf(np.abs(params / bse)) * 2
    return params, ci, pvalues


def interrupted_time_series(
    diary: pd.DataFrame,
    index_dates: pd.Series,
    *,
    min_entries: int = 7,
    maxlags: int | None = None,
) -> pd.DataFrame:
    """Segmented regression of daily pain around the index date, per patient.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame.
    index_dates : pandas.Series
        Index date t0 per patient (``patient_id`` index).
    min_entries : int, default 7
        Fewest entries needed on each side of t0.
    maxlags : int, optional
        Newey–West lag. Default ``floor(4·(n/100)^(2/9))`` with n the patient's
        number of entries (:func:`newey_west_lags`).

    Returns
    -------
    pandas.DataFrame
        One row per patient in ``diary``, sorted by ``patient_id``:

        - ``its_intercept`` (float, NRS): b0, the pre-treatment line at t0;
        - ``its_pre_slope`` (float, points/week): 7·b1;
        - ``its_level_change`` (float, points): b2, the immediate change at t0
          (negative = better), with HAC 95 % CI ``its_level_ci_low``/``_high``
          and two-sided ``its_level_p_value``;
        - ``its_slope_change`` (float, points/week): 7·b3, with
          ``its_slope_ci_low``/``_high`` (×7) and ``its_slope_p_value``;
        - ``n_pre``, ``n_post`` (int): entries before / from t0;
        - ``lags`` (Int64): the Newey–West lag used (``<NA>`` when not fitted);
        - ``its_reason`` (str): ``""`` when fitted, else ``no_index``,
          ``insufficient_pre``, ``insufficient_post`` (joined by ``;``),
          ``no_variation`` (every entry has the same pain: nothing to estimate),
          ``singular`` or ``se_not_estimable`` (the HAC covariance gave no finite
          interval for the level or slope change).

    Warns
    -----
    DataQualityWarning
        Naming the patients whose fit raised a numerical warning (e.g. a HAC
        covariance with a negative variance from round-off when the
        pre-treatment days all carry the same value); no raw RuntimeWarning
        reaches the caller.

    Notes
    -----
    Wagner AK et al. Segmented regression analysis of interrupted time series
    studies in medication use research. J Clin Pharm Ther 2002;27:299-309:
    ``y_t = b0 + b1·t + b2·X_t + b3·(t − t0)·X_t + e_t`` with t in days since t0
    (so ``t0 = 0`` and the post term counts from 0 on the index date), X_t = 1 from
    t0 on. OLS with Newey–West (Bartlett kernel) HAC covariance, statsmodels
    ``OLS(...).fit(cov_type="HAC", cov_kwds={"maxlags": lags})``, normal-based CIs
    and p-values. Rows are treated as consecutive observations (missing diary days
    are skipped, not imputed). One fit per patient.

    Use :func:`its_fit_lines` to draw the fitted segments.
    """
    func = "interrupted_time_series"
    min_entries = check_int(min_entries, "min_entries", func, 2, 3650)
    if maxlags is not None:
        maxlags = check_int(maxlags, "maxlags", func, 0, 3650)
    frame = _sorted(diary)
    idx = per_row(_index_series(index_dates), frame["patient_id"])
    t_all = (frame["date"] - idx).dt.days.to_numpy(dtype="float64", na_value=np.nan)
    y_all = frame["pain"].to_numpy()
    log = FitWarnings("Interrupted time series")
    codes = patient_codes(frame["patient_id"])[0]  # rows are sorted by patient
    new_patient = np.ones(len(codes), dtype=bool)
    new_patient[1:] = codes[1:] != codes[:-1]
    first = np.flatnonzero(new_patient)
    bounds = np.append(first, len(codes))
    lengths = np.diff(bounds)
    m = len(first)
    pids = frame["patient_id"].iloc[first].to_numpy()
    cols = {c: np.full(m, np.nan) for c in ITS_COLUMNS[1:12]}
    n_pre = np.zeros(m, dtype="int64")
    n_post = np.zeros(m, dtype="int64")
    lags_used = np.full(m, -1, dtype="int64")
    reason = np.full(m, "", dtype=object)
    if m:
        n_pre, n_post, pre_flat = _screen(t_all, y_all, first, min_entries, reason)
        _fit_by_length(
            t_all, y_all, first, lengths, maxlags, pids, reason, pre_flat, cols, lags_used, log
        )
    log.report()
    out = pd.DataFrame({"patient_id": pd.array(pids, dtype="str"), **cols})
    out["n_pre"] = n_pre
    out["n_post"] = n_post
    out["lags"] = pd.array(np.where(lags_used >= 0, lags_used, 0), dtype="Int64")
    out.loc[lags_used < 0, "lags"] = pd.NA
    out["its_reason"] = pd.array(reason.astype(str), dtype="str")
    return out[ITS_COLUMNS]


def _screen(
    t_all: np.ndarray, y_all: np.ndarray, first: np.ndarray, min_entries: int, reason: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Say which patients cannot be fitted (in ``reason``); count entries before and from t0.

    Returns ``n_pre``, ``n_post`` and whether each patient's pre-treatment pain is
    constant.
    """
    has_index = np.add.reduceat(~np.isnan(t_all), first) > 0
    reason[~has_index] = "no_index"
    n_pre = np.where(has_index, np.add.reduceat(t_all < 0, first), 0).astype("int64")
    n_post = np.where(has_index, np.add.reduceat(t_all >= 0, first), 0).astype("int64")
    few_pre, few_post = has_index & (n_pre < min_entries), has_index & (n_post < min_entries)
    reason[few_pre & few_post] = "insufficient_pre;insufficient_post"
    reason[few_pre & ~few_post] = "insufficient_pre"
    reason[few_post & ~few_pre] = "insufficient_post"
    # a diary without variation: the fit is exact and its standard errors are
    # round-off (~1e-15), not information
    flat = np.maximum.reduceat(y_all, first) - np.minimum.reduceat(y_all, first) == 0
    reason[(reason == "") & flat] = "no_variation"
    pre = t_all < 0
    pre_flat = np.maximum.reduceat(np.where(pre, y_all, -np.inf), first) == (
        np.minimum.reduceat(np.where(pre, y_all, np.inf), first)
    )
    return n_pre, n_post, pre_flat


def _fit_by_length(
    t_all: np.ndarray,
    y_all: np.ndarray,
    first: np.ndarray,
    lengths: np.ndarray,
    maxlags: int | None,
    pids: np.ndarray,
    reason: np.ndarray,
    pre_flat: np.ndarray,
    cols: dict[str, np.ndarray],
    lags_used: np.ndarray,
    log: FitWarnings,
) -> None:
    """Fit the patients left without a ``reason``, those of one diary length together.

    Fills ``cols`` and ``lags_used`` of the fitted patients in place, and ``reason``
    of those whose design is singular or whose HAC interval is not finite.
    """
    candidates = np.flatnonzero(reason == "")
    for n in np.unique(lengths[candidates]):
        group = candidates[lengths[candidates] == n]
        rows = first[group][:, None] + np.arange(n)
        t_g, y_g = t_all[rows], y_all[rows]
        design = _its_design(t_g)
        singular = np.linalg.matrix_rank(design) < 4
        reason[group[singular]] = "singular"
        if singular.any():
            group, t_g, y_g = group[~singular], t_g[~singular], y_g[~singular]
            design = design[~singular]
        lags = newey_west_lags(int(n)) if maxlags is None else maxlags
        why = np.where(
            pre_flat[group],
            "pre-treatment pain constant, HAC standard errors not computable",
            "HAC standard errors not computable",
        )
        params, ci, pvalues = _hac_fits(t_g, y_g, design, lags, pids[group], why, log)
        ok = np.isfinite(ci[:, 2:]).all(axis=(1, 2))
        reason[group[~ok]] = "se_not_estimable"
        fit = group[ok]
        params, ci, pvalues = params[ok], ci[ok], pvalues[ok]
        cols["its_intercept"][fit] = params[:, 0]
        cols["its_pre_slope"][fit] = 7.0 * params[:, 1]
        cols["its_level_change"][fit] = params[:, 2]
        cols["its_level_ci_low"][fit] = ci[:, 2, 0]
        cols["its_level_ci_high"][fit] = ci[:, 2, 1]
        cols["its_level_p_value"][fit] = pvalues[:, 2]
        cols["its_slope_change"][fit] = 7.0 * params[:, 3]
        cols["its_slope_ci_low"][fit] = 7.0 * ci[:, 3, 0]
        cols["its_slope_ci_high"][fit] = 7.0 * ci[:, 3, 1]
        cols["its_slope_p_value"][fit] = pvalues[:, 3]
        lags_used[fit] = lags


#: Fewest patients of one diary length fitted as one stack; fewer are fitted one by one.
_STACK_MIN = 16


def _hac_fits(
    t: np.ndarray,
    y: np.ndarray,
    design: np.ndarray,
    lags: int,
    pids: np.ndarray,
    why: np.ndarray,
    log: FitWarnings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_ols_hac` of every row of ``t``/``y``: stacked (params, ci, p-values).

    A stack of at least :data:`_STACK_MIN` patients is fitted at once by
    :func:`_ols_hac_stack`; when that raises a numerical warning, or for fewer
    patients, each patient is fitted alone so that the warning names them.
    """
    m = len(t)
    if m >= _STACK_MIN:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            stacked = _ols_hac_stack(t, y, lags, design)
        if not any(issubclass(w.category, RuntimeWarning) for w in caught):
            for w in caught:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            return stacked
    params = np.full((m, 4), np.nan)
    ci = np.full((m, 4, 2), np.nan)
    pvalues = np.full((m, 4), np.nan)
    for k in range(m):
        with log.watch(str(pids[k]), str(why[k])):
            params[k], ci[k], pvalues[k] = _ols_hac(t[k], y[k], lags)
    return params, ci, pvalues


def its_fit_lines(
    diary: pd.DataFrame,
    index_dates: pd.Series,
    patient_id: str,
    *,
    min_entries: int = 7,
    maxlags: int | None = None,
) -> pd.DataFrame:
    """Fitted pre/post segments of one patient's interrupted time series, for charts.

    Parameters
    ----------
    diary, index_dates, min_entries, maxlags
        As in :func:`interrupted_time_series`.
    patient_id : str
        The patient.

    Returns
    -------
    pandas.DataFrame
        One row per calendar day from the first to the last diary day, columns
        ``date`` (datetime64[ns]), ``t`` (int, days since the index date),
        ``segment`` (str, ``pre`` or ``post``), ``fitted`` (float, NRS: the fitted
        segmented line) and ``counterfactual`` (float, NRS: the pre-treatment line
        extended after t0, NaN before t0).

    Raises
    ------
    InsufficientDataError
        When the patient has no index date or fewer than ``min_entries`` entries
        on a side of it.
    """
    func = "its_fit_lines"
    min_entries = check_int(min_entries, "min_entries", func, 2, 3650)
    frame = _sorted(diary)
    frame = frame[frame["patient_id"] == str(patient_id)]
    idx = _index_series(index_dates)
    if str(patient_id) not in idx.index or pd.isna(idx[str(patient_id)]) or not len(frame):
        raise InsufficientDataError(f"Patient {patient_id!r} has no index date or no diary.")
    t0 = idx[str(patient_id)]
    t = (frame["date"] - t0).dt.days.to_numpy("float64")
    if (t < 0).sum() < min_entries or (t >= 0).sum() < min_entries:
        raise InsufficientDataError(
            f"Patient {patient_id!r} needs at least {min_entries} diary entries before and "
            "after the index date for an interrupted time series."
        )
    res, _ = _its_fit(t, frame["pain"].to_numpy(), maxlags)
    dates = pd.date_range(frame["date"].min(), frame["date"].max(), freq="D").astype(DATE_DTYPE)
    grid = (dates - t0).days.to_numpy("float64")
    b = res.params
    post = grid >= 0
    return pd.DataFrame(
        {
            "date": dates,
            "t": grid.astype("int64"),
            "segment": np.where(post, "post", "pre"),
            "fitted": _its_design(grid) @ b,
            "counterfactual": np.where(post, b[0] + b[1] * grid, np.nan),
        }
    )
