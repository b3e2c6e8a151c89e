"""Dose-response: change from baseline by cumulative session number, and an Emax fit.

DOMAIN.md section 4 ("Dose-response"): the mean diary pain between session k
and session k+1 is compared with the patient's baseline; the cohort curve is
summarised per k and fitted with E(k) = Emax * k / (k50 + k).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analytics.checks import check_int
from analytics.contract.schema import DATE_DTYPE
from analytics.errors import InsufficientDataError
from analytics.stats._common import patient_codes
from analytics.stats._session_response import (
    empty_table,
    prepare_sessions,
    session_numbers,
    taken,
    text_array,
    to_dates,
    window_mean,
)

__all__ = [
    "DOSE_COLUMNS",
    "DOSE_SUMMARY_COLUMNS",
    "EMAX_COLUMNS",
    "EmaxFit",
    "dose_response",
    "dose_response_summary",
    "fit_emax",
    "emax_curve",
]

#: Columns of :func:`dose_response` with their dtypes.
DOSE_COLUMNS: dict[str, str] = {
    "patient_id": "str",
    "session_number": "int64",
    "start_date": DATE_DTYPE,
    "end_date": DATE_DTYPE,
    "mean_pain": "float64",
    "n_days": "int64",
    "change_from_baseline": "float64",
    "pct_change_from_baseline": "float64",
}

#: Columns of :func:`dose_response_summary` with their dtypes.
DOSE_SUMMARY_COLUMNS: dict[str, str] = {
    "session_number": "int64",
    "n_patients": "int64",
    "mean_change": "float64",
    "sd": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
}

#: Bounds of the Emax fit: emax in [-10, 10] NRS points, k50 in (0, 100] sessions.
EMAX_BOUNDS = (-10.0, 10.0)
K50_BOUNDS = (1e-9, 100.0)


def dose_response(diary: pd.DataFrame, sessions: pd.DataFrame, baseline: pd.Series) -> pd.DataFrame:
    """Change from baseline of the mean diary pain after each cumulative session number.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame (``patient_id``, ``date``, ``pain``).
    sessions : pandas.DataFrame
        Canonical sessions frame; need not be sorted; ``date`` may carry a time.
    baseline : pandas.Series
        Baseline pain B per patient (index ``patient_id``), e.g. from the
        outcomes module. Patients missing from it (or NaN) keep their rows with
        NaN changes.

    Returns
    -------
    pandas.DataFrame
        One row per session of every patient with sessions, sorted by patient_id
        and session_number (dtypes in :data:`DOSE_COLUMNS`):

        - ``patient_id`` (str)
        - ``session_number`` (int64): k = 1..n, in date-time order.
        - ``start_date`` (datetime64, midnight): calendar date of session k.
        - ``end_date`` (datetime64, midnight): the day before session k+1, or the
          patient's last diary day for the last session (NaT without a diary).
        - ``mean_pain`` (float64, NRS 0-10): mean diary pain on days
          start_date..end_date inclusive; NaN without entries.
        - ``n_days`` (int64): diary entries in that interval.
        - ``change_from_baseline`` (float64, NRS points): B - mean_pain;
          **positive = better**.
        - ``pct_change_from_baseline`` (float64, %): 100 * (B - mean_pain) / B;
          NaN when B is 0 or missing.

    Notes
    -----
    The interval of session k includes the session day itself (the
    treatment period starts at the first session, as the follow-up does) and
    ends the day before the next session. Two sessions on one calendar date
    leave the first with an empty interval (n_days 0).

    Examples
    --------
    >>> import pandas as pd
    >>> diary = pd.DataFrame({"patient_id": "a", "pain": [6.0, 5.0, 4.0, 4.0],
    ...     "date": pd.date_range("2024-01-01", periods=4).astype("datetime64[ns]")})
    >>> sessions = pd.DataFrame({"patient_id": ["a", "a"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-03"]).astype("datetime64[ns]")})
    >>> d = dose_response(diary, sessions, pd.Series({"a": 8.0}))
    >>> d[["session_number", "n_days", "mean_pain", "change_from_baseline"]].to_dict("records")
    [{'session_number': 1, 'n_days': 2, 'mean_pain': 5.5, 'change_from_baseline': 2.5}, \
{'session_number': 2, 'n_days': 2, 'mean_pain': 4.0, 'change_from_baseline': 4.0}]
    """
    if len(sessions) == 0:
        return empty_table(DOSE_COLUMNS)
    order, start, code, pain = prepare_sessions(diary, sessions)
    has_next = np.append(code[1:] == code[:-1], False)
    last_diary = pain.last_day(code)
    has_diary = last_diary > -(1 << 62)
    end = np.where(has_next, np.append(start[1:], 0) - 1, last_diary)
    total, n_days = pain.window(code, start, end)
    mean_pain = window_mean(total, n_days, 1)
    b = taken(_baseline_of_sessions(baseline, sessions["patient_id"]), order)
    change = b - mean_pain
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(b != 0, 100.0 * change / b, np.nan)
    dated = has_next | has_diary
    end_date = to_dates(np.where(dated, end, 0))
    end_date[~dated] = np.datetime64("NaT")
    return pd.DataFrame(
        {
            "patient_id": taken(text_array(sessions["patient_id"]), order),
            "session_number": session_numbers(code),
            "start_date": to_dates(start),
            "end_date": end_date,
            "mean_pain": mean_pain,
            "n_days": n_days,
            "change_from_baseline": change,
            "pct_change_from_baseline": pct,
        }
    )


def _baseline_of_sessions(baseline: pd.Series, patient_id: pd.Series) -> np.ndarray:
    """Baseline of each session's patient (float64; NaN when not in ``baseline``).

    The first value counts when a patient is listed twice.
    """
    where = baseline.index
    values = baseline.to_numpy(dtype="float64", na_value=np.nan)
    if not where.is_unique:
        first = ~where.duplicated()
        where, values = where[first], values[first]
    codes, uniques = patient_codes(patient_id)
    pos = where.get_indexer(uniques)
    found = np.append(values, np.nan)[pos]  # position -1: the NaN appended
    return np.append(found, np.nan)[codes]


def dose_response_summary(per_patient: pd.DataFrame, *, min_patients: int = 3) -> pd.DataFrame:
    """Cohort mean change from baseline per session number with a t-interval.

    Parameters
    ----------
    per_patient : pandas.DataFrame
        Output of :func:`dose_response`.
    min_patients : int, default 3
        Session numbers with fewer patients with a change are left out (few
        patients reach high k and their mean is noisy and selected), in [2, inf).

    Returns
    -------
    pandas.DataFrame
        One row per session number with at least ``min_patients`` patients,
        sorted by session_number (dtypes in :data:`DOSE_SUMMARY_COLUMNS`):

        - ``session_number`` (int64): k.
        - ``n_patients`` (int64): patients with a change_from_baseline at k.
        - ``mean_change`` (float64, NRS points): mean change from baseline
          (positive = better).
        - ``sd`` (float64, NRS points): standard deviation (ddof = 1).
        - ``ci_low``, ``ci_high`` (float64, NRS points): 95% t-interval,
          mean -/+ t(0.975, n-1) * sd / sqrt(n) (as
          ``statsmodels.stats.weightstats.DescrStatsW.tconfint_mean``).

    Examples
    --------
    >>> import pandas as pd
    >>> pp = pd.DataFrame({"patient_id": ["a", "b", "c"], "session_number": 1,
    ...     "change_from_baseline": [1.0, 2.0, 3.0]})
    >>> dose_response_summary(pp)[["n_patients", "mean_change", "sd"]].to_dict("records")
    [{'n_patients': 3, 'mean_change': 2.0, 'sd': 1.0}]
    """
    min_patients = check_int(min_patients, "min_patients", "dose_response_summary", 2)
    d = per_patient.loc[
        per_patient["change_from_baseline"].notna(), ["session_number", "change_from_baseline"]
    ]
    g = d.groupby("session_number", sort=True)["change_from_baseline"]
    out = pd.DataFrame({"n_patients": g.count(), "mean_change": g.mean(), "sd": g.std(ddof=1)})
    out = out[out["n_patients"] >= min_patients].reset_index()
    if len(out) == 0:
        return empty_table(DOSE_SUMMARY_COLUMNS)
    half = stats.t.ppf(0.975, out["n_patients"] - 1) * out["sd"] / np.sqrt(out["n_patients"])
    out["ci_low"] = out["mean_change"] - half
    out["ci_high"] = out["mean_change"] + half
    return out[list(DOSE_SUMMARY_COLUMNS)].astype(DOSE_SUMMARY_COLUMNS)


def emax_curve(k, emax: float, k50: float) -> np.ndarray:
    """E(k) = emax * k / (k50 + k), elementwise over ``k``."""
    k = np.asarray(k, dtype=np.float64)
    return emax * k / (k50 + k)


#: Columns of :meth:`EmaxFit.to_frame` with their dtypes.
EMAX_COLUMNS: dict[str, str] = {
    "emax": "float64",
    "k50": "float64",
    "emax_se": "float64",
    "k50_se": "float64",
    "n_points": "int64",
    "converged": "bool",
    "rmse": "float64",
    "source": "str",
}


@dataclass(frozen=True)
class EmaxFit:
    """Result of :func:`fit_emax`.

    Attributes
    ----------
    emax : float
        Maximum change from baseline (NRS points, positive = better); NaN when the
        fit failed.
    k50 : float
        Session number at which half of ``emax`` is reached (sessions).
    emax_se, k50_se : float
        Standard errors from the curve_fit covariance (NaN when not estimable).
    n_points : int
        Points fitted (patient-sessions, or session numbers for a summary).
    converged : bool
        The least-squares solver reported convergence.
    rmse : float
        Root mean squared (unweighted) residual of the points, NRS points.
    source : str
        ``"per_patient"`` or ``"summary"``: what was fitted.
    """

    emax: float
    k50: float
    emax_se: float
    k50_se: float
    n_points: int
    converged: bool
    rmse: float
    source: str

    def predict(self, k) -> np.ndarray:
        """Fitted change from baseline after ``k`` sessions (array-like -> ndarray)."""
        return emax_curve(k, self.emax, self.k50)

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with the attributes as columns."""
        return pd.DataFrame([asdict(self)])


def _emax_start(k: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Find starting values: the best k50 on a log grid, emax solved in closed form.

    For a fixed k50 the model is linear in emax; the weighted sums are taken
    per distinct k so that the grid costs O(grid x distinct k).
    """
    ks, inv = np.unique(k, return_inverse=True)
    sw = np.bincount(inv, weights=w)
    swy = np.bincount(inv, weights=w * y)
    swyy = float(np.sum(w * y * y))
    grid = np.geomspace(1e-3, K50_BOUNDS[1], 161)
    x = ks[None, :] / (grid[:, None] + ks[None, :])
    sxx = (sw * x * x).sum(axis=1)
    sxy = (swy * x).sum(axis=1)
    emax = np.clip(sxy / sxx, *EMAX_BOUNDS)
    sse = swyy - 2 * emax * sxy + emax * emax * sxx
    best = int(np.argmin(sse))
    return float(emax[best]), float(grid[best])


def fit_emax(data: pd.DataFrame) -> EmaxFit:
    """Fit E(k) = Emax * k / (k50 + k) to change from baseline by session number.

    Parameters
    ----------
    data : pandas.DataFrame
        Either the per-patient output of :func:`dose_response` (columns
        ``session_number``, ``change_from_baseline``; every patient-session with
        a change is one point, equally weighted) or the output of
        :func:`dose_response_summary` (columns ``session_number``,
        ``mean_change``, ``n_patients``; each k is one point weighted by
        n_patients). Rows with missing values are ignored.

    Returns
    -------
    EmaxFit

    Raises
    ------
    InsufficientDataError
        Fewer than 3 distinct session numbers with a value.
    ValueError
        ``data`` has neither set of columns.

    Notes
    -----
    Least squares with ``scipy.optimize.curve_fit`` (trust-region reflective,
    bounds emax in [-10, 10], k50 in (0, 100]), started from the best k50 of a
    log-spaced grid with emax solved in closed form. For a summary,
    ``sigma = 1 / sqrt(n_patients)`` (weights n_patients). Standard errors come
    from curve_fit's covariance scaled by the residual variance; on per-patient
    points they ignore the correlation between sessions of one patient and are
    therefore optimistic. A fit at a bound (e.g. k50 = 100) means the data do not
    show a plateau. The analyze pipeline fits the per-patient points (the
    default recommended here). Reaching 80% of Emax takes 4 * k50 sessions and
    90% takes 9 * k50. Model: Holford & Sheiner 1981 (hyperbolic Emax).

    Examples
    --------
    >>> import pandas as pd
    >>> k = pd.Series([1, 2, 3, 4, 6, 8, 12])
    >>> pts = pd.DataFrame({"session_number": k, "change_from_baseline": 3.0 * k / (2.0 + k)})
    >>> fit = fit_emax(pts)
    >>> round(fit.emax, 6), round(fit.k50, 6), fit.converged
    (3.0, 2.0, True)
    """
    cols = set(data.columns)
    if {"session_number", "change_from_baseline"} <= cols:
        source, ycol = "per_patient", "change_from_baseline"
        d = data[["session_number", ycol]].dropna()
        w = np.ones(len(d))
    elif {"session_number", "mean_change", "n_patients"} <= cols:
        source, ycol = "summary", "mean_change"
        d = data[["session_number", ycol, "n_patients"]].dropna()
        d = d[d["n_patients"] > 0]
        w = d["n_patients"].to_numpy(dtype=np.float64)
    else:
        raise ValueError(
            "fit_emax needs the output of dose_response (session_number, change_from_baseline) "
            "or of dose_response_summary (session_number, mean_change, n_patients); "
            f"got columns {sorted(cols)}."
        )
    k = d["session_number"].to_numpy(dtype=np.float64)
    y = d[ycol].to_numpy(dtype=np.float64)
    n_k = len(np.unique(k))
    if n_k < 3:
        raise InsufficientDataError(
            f"An Emax curve needs change from baseline at 3 or more session numbers; "
            f"got {n_k}. Record more sessions (or diary days between sessions)."
        )
    p0 = _emax_start(k, y, w)
    bounds = ([EMAX_BOUNDS[0], K50_BOUNDS[0]], [EMAX_BOUNDS[1], K50_BOUNDS[1]])
    p0 = (float(np.clip(p0[0], *EMAX_BOUNDS)), float(np.clip(p0[1], *K50_BOUNDS)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        try:
            popt, pcov = optimize.curve_fit(
                emax_curve,
                k,
                y,
                p0=p0,
                sigma=1.0 / np.sqrt(w),
                bounds=bounds,
                method="trf",
                xtol=1e-12,
                ftol=1e-12,
                gtol=1e-12,
            )
            converged = True
        except RuntimeError:
            popt, pcov, converged = np.array([np.nan, np.nan]), np.full((2, 2), np.nan), False
    se = np.sqrt(np.diag(pcov)) if np.all(np.isfinite(pcov)) else np.array([np.nan, np.nan])
    resid = y - emax_curve(k, *popt)
    return EmaxFit(
        emax=float(popt[0]),
        k50=float(popt[1]),
        emax_se=float(se[0]),
        k50_se=float(se[1]),
        n_points=len(k),
        converged=converged,
        rmse=float(np.sqrt(np.mean(resid**2))),
        source=source,
    )
