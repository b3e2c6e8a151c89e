"""Pain trends: rolling and weekly means, Theil–Sen slopes, interrupted time series.

Definitions in DOMAIN.md section 4 ("Trend", "Interrupted time series") and
``docs/analytics.md``. Inputs are canonical frames and are never mutated; results
are documented DataFrames, unrounded.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ._common import FitWarnings, check_choice, check_int
from .errors import InsufficientDataError
from .outcomes import per_row
from .schema import DATE_DTYPE

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
    return frame.sort_values(["patient_id", "date"], kind="mergesort").reset_index(drop=True)


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
    >>> from analytics._common import empty_frame
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
    roll = (
        frame.set_index("date").groupby("patient_id", sort=False)["pain"].rolling(f"{window_days}D")
    )
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
    (:mod:`analytics._theil_sen`) for all patients at once.
    """
    func = "theil_sen_slopes"
    check_choice(period, "period", func, PERIODS)
    min_entries = check_int(min_entries, "min_entries", func, 2, 3650)
    frame = _sorted(diary)
    idx = per_row(_index_series(index_dates), frame["patient_id"])
    origin = idx.fillna(frame.groupby("patient_id")["date"].transform("min"))
    frame["x"] = (frame["date"] - origin).dt.days.astype("float64")
    has_index = idx.notna()
    keep = pd.Series(True, index=frame.index)
    if period == "treatment":
        keep = ~has_index | (frame["date"] >= idx)
    elif period == "baseline":
        keep = ~has_index | (frame["date"] < idx)
    frame["period"] = np.where(has_index, period, "all")
    used = frame[keep]
    codes = pd.factorize(used["patient_id"])[0]  # rows are sorted by patient
    x = used["x"].to_numpy()
    y = used["pain"].to_numpy()
    new_patient = np.ones(len(codes), dtype=bool)
    new_patient[1:] = codes[1:] != codes[:-1]
    starts = np.flatnonzero(new_patient)
    lengths = np.diff(np.append(starts, len(codes)))
    pids = used["patient_id"].iloc[starts].to_numpy()
    # x is non-decreasing within a patient: two distinct days iff first != last
    varies = x[starts + lengths - 1] != x[starts] if len(starts) else np.zeros(0, dtype=bool)
    fit = (lengths >= min_entries) & varies
    slope = np.full(len(starts), np.nan)
    intercept = np.full(len(starts), np.nan)
    low = np.full(len(starts), np.nan)
    high = np.full(len(starts), np.nan)
    if fit.any():
        rows = np.repeat(fit, lengths)
        fit_lengths = lengths[fit]
        fit_starts = np.cumsum(fit_lengths) - fit_lengths
        s, i, lo, hi, bad = _theil_sen_batch(x[rows], y[rows], fit_starts, fit_lengths)
        slope[fit], intercept[fit] = 7.0 * s, i
        low[fit], high[fit] = 7.0 * lo, 7.0 * hi
        log = FitWarnings("Theil–Sen slope")
        for pid in pids[fit][bad]:
            log.keys.setdefault(str(pid), _TS_CI_REASON)
        log.report()
    out = pd.DataFrame(
        {
            "patient_id": pids,
            "period": used["period"].iloc[starts].to_numpy(),
            "slope_per_week": slope,
            "slope_ci_low": low,
            "slope_ci_high": high,
            "intercept": intercept,
            "n_days": lengths,
        }
    )
    ids = pd.Index(frame["patient_id"].unique(), name="patient_id")
    out = out.set_index("patient_id").reindex(ids).reset_index()
    out["period"] = out["period"].fillna(period).astype("str")
    out["patient_id"] = out["patient_id"].astype("str")
    out["n_days"] = out["n_days"].fillna(0).astype("int64")
    for col in ("slope_per_week", "slope_ci_low", "slope_ci_high", "intercept"):
        out[col] = out[col].astype("float64")
    return out


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
    from analytics._theil_sen import order_statistics, series_summary  # numba: lazy

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
    post = (t >= 0).astype("float64")
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
    frame["t"] = (frame["date"] - idx).dt.days.astype("float64")
    rows = []
    log = FitWarnings("Interrupted time series")
    codes = pd.factorize(frame["patient_id"])[0]  # rows are sorted by patient
    t_all = frame["t"].to_numpy()
    y_all = frame["pain"].to_numpy()
    new_patient = np.ones(len(codes), dtype=bool)
    new_patient[1:] = codes[1:] != codes[:-1]
    bounds = np.append(np.flatnonzero(new_patient), len(codes))
    pids = frame["patient_id"].iloc[bounds[:-1]].to_numpy()
    for pid, first, stop in zip(pids, bounds[:-1], bounds[1:], strict=True):
        t = t_all[first:stop]
        y = y_all[first:stop]
        row: dict = {"patient_id": pid}
        if np.isnan(t).all():
            row.update(n_pre=0, n_post=0, its_reason="no_index")
            rows.append(row)
            continue
        n_pre, n_post = int((t < 0).sum()), int((t >= 0).sum())
        row.update(n_pre=n_pre, n_post=n_post)
        reasons = [
            r
            for r, bad in (
                ("insufficient_pre", n_pre < min_entries),
                ("insufficient_post", n_post < min_entries),
            )
            if bad
        ]
        if not reasons and np.ptp(y) == 0:
            # a diary without variation: the fit is exact and its standard errors
            # are round-off (~1e-15), not information
            reasons = ["no_variation"]
        if not reasons and np.linalg.matrix_rank(_its_design(t)) < 4:
            reasons = ["singular"]
        if reasons:
            row["its_reason"] = ";".join(reasons)
            rows.append(row)
            continue
        why = (
            "pre-treatment pain constant, HAC standard errors not computable"
            if np.ptp(y[t < 0]) == 0
            else "HAC standard errors not computable"
        )
        lags = newey_west_lags(len(t)) if maxlags is None else maxlags
        with log.watch(str(pid), why):
            params, ci, pvalues = _ols_hac(t, y, lags)
        if not np.isfinite(ci[2:]).all():
            row.update(n_pre=n_pre, n_post=n_post, its_reason="se_not_estimable")
            rows.append(row)
            continue
        row.update(
            its_intercept=params[0],
            its_pre_slope=7.0 * params[1],
            its_level_change=params[2],
            its_level_ci_low=ci[2, 0],
            its_level_ci_high=ci[2, 1],
            its_level_p_value=pvalues[2],
            its_slope_change=7.0 * params[3],
            its_slope_ci_low=7.0 * ci[3, 0],
            its_slope_ci_high=7.0 * ci[3, 1],
            its_slope_p_value=pvalues[3],
            lags=lags,
            its_reason="",
        )
        rows.append(row)
    log.report()
    out = pd.DataFrame(rows, columns=ITS_COLUMNS)
    for col in ITS_COLUMNS[1:12]:
        out[col] = out[col].astype("float64")
    out["patient_id"] = out["patient_id"].astype("str")
    out["n_pre"] = out["n_pre"].astype("int64")
    out["n_post"] = out["n_post"].astype("int64")
    out["lags"] = out["lags"].astype("Int64")
    out["its_reason"] = out["its_reason"].astype("str")
    return out


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
