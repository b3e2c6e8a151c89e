"""Factor effects: mean pain on days with versus without a factor (association, not cause).

DOMAIN.md section 4 ("Factor effects"). A factor splits a patient's diary days —
poor sleep, high stress, low mood, any analgesic, a session the day before. For
each patient, factor and lag the difference of the mean pain on days with and
without the factor gets a Welch 95 % interval, only with enough days of each
kind; the cohort summary averages the patients' own differences.

These are associations in observational diaries: a day with poor sleep may have
more pain because pain disturbs sleep, not the reverse. Every text shown to a
person says so (:data:`ASSOCIATION_NOTE`). An association counts as a finding only
when its interval leaves out no difference (:func:`interval_excludes_zero`); the
sentences a patient reads are composed in ``analytics.presentation``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analytics.checks import check_int, check_number
from analytics.contract.schema import DATE_DTYPE
from analytics.stats._common import (
    TEXT_DTYPE,
    in_patient_day_order,
    patient_codes,
    sort_by_patient_day,
)

__all__ = [
    "FACTORS",
    "LAGS",
    "ASSOCIATION_NOTE",
    "FACTOR_EFFECT_COLUMNS",
    "FACTOR_SUMMARY_COLUMNS",
    "factor_days",
    "factor_effects",
    "factor_effects_summary",
    "interval_excludes_zero",
]

#: Factors in output order, with the plain-language label used in sentences.
FACTORS: dict[str, str] = {
    "poor_sleep": "poor sleep",
    "high_stress": "high stress",
    "low_mood": "low mood",
    "analgesic": "an analgesic",
    "session_day_before": "a session the day before",
}
#: Lags in days: 0 = factor and pain on the same day, 1 = factor today, pain tomorrow.
LAGS = (0, 1)

#: The sentence every display of a factor effect carries.
ASSOCIATION_NOTE = (
    "This is an association in your diary, not proof of cause: pain can also change "
    "sleep, mood, stress and medicine use."
)

#: Columns of :func:`factor_effects` with their dtypes.
FACTOR_EFFECT_COLUMNS: dict[str, str] = {
    "patient_id": "str",
    "factor": "str",
    "lag": "int64",
    "n_with": "int64",
    "n_without": "int64",
    "mean_with": "float64",
    "mean_without": "float64",
    "difference": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "df": "float64",
    "p_value": "float64",
    "reason": "str",
}

#: Columns of :func:`factor_effects_summary` with their dtypes.
FACTOR_SUMMARY_COLUMNS: dict[str, str] = {
    "factor": "str",
    "lag": "int64",
    "n_patients": "int64",
    "mean_difference": "float64",
    "sd_difference": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "p_value": "float64",
    "n_higher": "int64",
}

#: The dtype ``astype("str")`` gives (a column of it is left as it is).


def factor_days(
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    poor_sleep_max: float = 4.0,
    high_stress_min: float = 7.0,
    low_mood_max: float = 4.0,
) -> pd.DataFrame:
    """Each diary day's pain and whether each factor was present that day.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame.
    sessions : pandas.DataFrame, optional
        Canonical sessions frame (for ``session_day_before``).
    poor_sleep_max, high_stress_min, low_mood_max : float
        Cut-offs on the 0–10 items: sleep_quality <= 4, stress >= 7, mood <= 4.

    Returns
    -------
    pandas.DataFrame
        One row per diary entry, sorted by ``patient_id``, ``date``: ``patient_id``,
        ``date``, ``pain`` and one ``boolean`` (nullable) column per factor of
        :data:`FACTORS`, ``<NA>`` when the item was not recorded that day:

        - ``poor_sleep``: ``sleep_quality <= poor_sleep_max``;
        - ``high_stress``: ``stress >= high_stress_min``;
        - ``low_mood``: ``mood <= low_mood_max``;
        - ``analgesic``: ``analgesic_doses > 0`` or ``opioid_mme > 0``
          (``<NA>`` only when both are missing);
        - ``session_day_before``: a session on the previous calendar day (never
          missing: sessions are a complete record).
    """
    rows, pid, day, pain, flags = _factor_arrays(
        diary,
        sessions,
        poor_sleep_max=poor_sleep_max,
        high_stress_min=high_stress_min,
        low_mood_max=low_mood_max,
    )
    out: dict[str, Any] = {"patient_id": pid.take(rows), "date": day[rows], "pain": pain[rows]}
    for factor, (on, known) in flags.items():
        out[factor] = pd.arrays.BooleanArray(on[rows], ~known[rows])
    return pd.DataFrame(out)


def _factor_arrays(
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    *,
    poor_sleep_max: float,
    high_stress_min: float,
    low_mood_max: float,
) -> tuple[np.ndarray, Any, np.ndarray, np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Return the columns of :func:`factor_days` as arrays in the diary's own row order.

    Returns ``(rows, patient_id, date, pain, flags)``: ``rows`` are the positions
    that sort the diary by patient and day (stable, as :func:`sort_by_patient_day`);
    ``patient_id`` is the text array, ``date`` the day (midnight, datetime64[ns]),
    ``pain`` float64, and ``flags`` maps each factor of :data:`FACTORS` to
    ``(on, known)`` boolean arrays (``on`` is False where the factor is unknown).
    """
    read = ["patient_id", "date", "pain", "sleep_quality", "stress", "mood"]
    read += ["analgesic_doses", "opioid_mme"]
    if any(column not in diary.columns for column in read):
        diary[read]  # raises the KeyError that names the missing columns
    rows = np.arange(len(diary))
    if not in_patient_day_order(diary["patient_id"], diary["date"]):
        # the positions in the order of sort_by_patient_day
        order = {"patient_id": diary["patient_id"].array, "date": diary["date"].array, "row": rows}
        rows = sort_by_patient_day(pd.DataFrame(order))["row"].to_numpy()
    text = diary["patient_id"]
    if text.dtype != TEXT_DTYPE:
        text = text.astype("str")
    day = _days(diary["date"])
    pain = _numbers(diary["pain"], coerce=False)

    sleep = _numbers(diary["sleep_quality"])
    stress = _numbers(diary["stress"])
    mood = _numbers(diary["mood"])
    doses = _numbers(diary["analgesic_doses"])
    mme = _numbers(diary["opioid_mme"])
    flags = {
        # a comparison with NaN is False: "on" is False where the item is missing
        "poor_sleep": (sleep <= poor_sleep_max, ~np.isnan(sleep)),
        "high_stress": (stress >= high_stress_min, ~np.isnan(stress)),
        "low_mood": (mood <= low_mood_max, ~np.isnan(mood)),
        "analgesic": ((doses > 0) | (mme > 0), ~(np.isnan(doses) & np.isnan(mme))),
        "session_day_before": (_session_day_before(text, day, sessions), np.ones(len(day), bool)),
    }
    return rows, text.array, day, pain, flags


def _days(dates: pd.Series) -> np.ndarray:
    """``dates.astype(DATE_DTYPE).dt.normalize()`` as a datetime64[ns] array."""
    if dates.dtype != DATE_DTYPE:
        dates = dates.astype(DATE_DTYPE)
    return dates.to_numpy().astype("datetime64[D]").astype(DATE_DTYPE)


def _numbers(values: pd.Series, *, coerce: bool = True) -> np.ndarray:
    """Return the values as float64: ``pd.to_numeric(values, errors="coerce")`` when ``coerce``."""
    if values.dtype == np.float64:
        return values.to_numpy()
    if coerce:
        values = pd.to_numeric(values, errors="coerce")
    return values.astype("float64").to_numpy()


def _session_day_before(
    text: pd.Series, day: np.ndarray, sessions: pd.DataFrame | None
) -> np.ndarray:
    """Whether each diary row's patient had a session on the previous calendar day."""
    if sessions is None or not len(sessions):
        return np.zeros(len(day), dtype=bool)
    codes, uniques = patient_codes(text)
    s_codes, s_uniques = patient_codes(sessions["patient_id"])
    # a session's patient as a diary code: -1 for a missing id (as in the diary),
    # -2 for a patient without a diary
    known = pd.Index(uniques).get_indexer(s_uniques)
    s_codes = np.append(np.where(known < 0, -2, known), -1)[s_codes]
    d_key = _patient_day_key(codes, day)
    s_key = np.unique(_patient_day_key(s_codes, _days(sessions["date"]) + np.timedelta64(1, "D")))
    at = np.minimum(np.searchsorted(s_key, d_key), len(s_key) - 1)
    return s_key[at] == d_key


def _patient_day_key(codes: np.ndarray, day: np.ndarray) -> np.ndarray:
    """One integer per (patient code, day); a missing day (NaT) is a day of its own."""
    days = day.astype("datetime64[D]").astype(np.int64)
    days = np.where(np.isnat(day), 2**20, days)  # valid datetime64[ns] days are within ±2**17
    return (codes.astype(np.int64) + 2) * 2**22 + (days + 2**21)


def _welch(
    n1: np.ndarray, m1: np.ndarray, v1: np.ndarray, n2: np.ndarray, m2: np.ndarray, v2: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Welch's difference m1 − m2: (ci_low, ci_high, df, p) with NaN where se is 0 or undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = v1 / n1, v2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
        ok = np.isfinite(se) & (se > 0) & np.isfinite(df)
        df = np.where(ok, df, np.nan)
        diff = m1 - m2
        t_crit = np.where(ok, stats.t.ppf(0.975, np.where(ok, df, 1.0)), np.nan)
        tstat = np.where(ok, diff / np.where(ok, se, 1.0), np.nan)
        p = np.where(
            ok, 2 * stats.t.sf(np.abs(np.where(ok, tstat, 0.0)), np.where(ok, df, 1.0)), np.nan
        )
        return diff - t_crit * se, diff + t_crit * se, df, p


def factor_effects(
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    min_days: int = 3,
    poor_sleep_max: float = 4.0,
    high_stress_min: float = 7.0,
    low_mood_max: float = 4.0,
) -> pd.DataFrame:
    """Mean pain on days with minus days without each factor, per patient and lag.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame.
    sessions : pandas.DataFrame, optional
        Canonical sessions frame.
    min_days : int, default 3
        Fewest days with and without the factor for an estimate, in [2, 365].
    poor_sleep_max, high_stress_min, low_mood_max : float
        Factor cut-offs (see :func:`factor_days`).

    Returns
    -------
    pandas.DataFrame
        One row per patient with a diary × factor of :data:`FACTORS` × lag of
        :data:`LAGS`, sorted by ``patient_id``, then factor and lag in that order
        (dtypes in :data:`FACTOR_EFFECT_COLUMNS`):

        - ``lag`` (int, days): 0 = factor and pain on the same day; 1 = factor on
          day t, pain on day t + 1 (both diary days, one calendar day apart);
        - ``n_with``, ``n_without`` (int): days (pairs for lag 1) with and
          without the factor;
        - ``mean_with``, ``mean_without`` (float, NRS): mean pain on them;
        - ``difference`` (float, NRS points): ``mean_with − mean_without``;
          positive = more pain on days with the factor;
        - ``ci_low``, ``ci_high`` (float): Welch 95 % interval of the difference,
          ``df`` (float) its Welch–Satterthwaite degrees of freedom, ``p_value``
          (two-sided Welch t-test);
        - ``reason`` (str): ``""`` with an estimate; ``too_few_days`` when either
          side has fewer than ``min_days`` (all estimates NaN); ``no_variation``
          when both sides' pain is constant (difference kept, interval NaN).

    Notes
    -----
    Welch BL (1947), Biometrika 34:28; equals
    ``scipy.stats.ttest_ind(with, without, equal_var=False)`` and its
    ``confidence_interval()``. The days are all the diary days (before and during
    treatment), treated as independent: daily pain is autocorrelated, so the
    interval is optimistic. **An association, not a cause** (:data:`ASSOCIATION_NOTE`).

    Examples
    --------
    >>> from analytics.contract import empty_frame
    >>> list(factor_effects(empty_frame("diary")).columns)[:4]
    ['patient_id', 'factor', 'lag', 'n_with']
    """
    func = "factor_effects"
    min_days = check_int(min_days, "min_days", func, 2, 365)
    for name, value in (
        ("poor_sleep_max", poor_sleep_max),
        ("high_stress_min", high_stress_min),
        ("low_mood_max", low_mood_max),
    ):
        check_number(value, name, func, 0.0, 10.0)
    rows, pid, day, pain, flags = _factor_arrays(
        diary,
        sessions,
        poor_sleep_max=poor_sleep_max,
        high_stress_min=high_stress_min,
        low_mood_max=low_mood_max,
    )
    rows = rows[~np.isnan(pain[rows])]  # the days with a pain rating, by patient and day
    # rows are sorted by patient: codes in patient order, as a sorted unique would give
    code, ids = patient_codes(pd.Series(pid.take(rows)), sort=True)
    code = code.astype(np.int64)
    n_pat = len(ids)
    pain = pain[rows]
    # centre each patient's pain on its mean so that the sums of squares below keep
    # their precision (variance from sums, one bincount per factor and lag)
    count = np.bincount(code, minlength=n_pat)
    centre = np.bincount(code, weights=pain, minlength=n_pat) / np.maximum(count, 1)
    flags = {factor: (on[rows], known[rows]) for factor, (on, known) in flags.items()}
    sums = _side_sums(day[rows], flags, code, pain - centre[code], n_pat)
    return _effect_table(ids, centre, sums, min_days)


def _side_sums(
    date: np.ndarray,
    flags: dict[str, tuple[np.ndarray, np.ndarray]],
    code: np.ndarray,
    centred: np.ndarray,
    n_pat: int,
) -> dict[str, np.ndarray]:
    """Count, sum and sum of squares of the centred pain on days with and without each factor.

    ``date``, ``flags`` (``(on, known)`` per factor), ``code`` and ``centred`` are
    the rows of the days with pain, sorted by patient and day. Arrays of shape
    (patient, factor, lag) under ``n1``, ``s1``, ``q1`` (days with the factor) and
    ``n0``, ``s0``, ``q0`` (days without). At lag 1 the factor of day t is paired
    with the pain of day t + 1 when both are diary days.
    """
    factors = list(FACTORS)
    day = date.astype("datetime64[D]").astype("int64")
    nxt = np.zeros(len(day), dtype=bool)
    nxt[:-1] = (code[1:] == code[:-1]) & (day[1:] == day[:-1] + 1)
    src = np.flatnonzero(nxt)  # row t whose next row is day t + 1 of the same patient
    shape = (n_pat, len(factors), len(LAGS))
    stats_ = {k: np.zeros(shape) for k in ("n1", "s1", "q1", "n0", "s0", "q0")}
    # per lag, the patient code and centred pain (and its square) of the rows whose
    # pain is compared
    target_code = {0: code, 1: code[src + 1]}
    target_x = {0: centred, 1: centred[src + 1]}
    target_x2 = {lag: x**2 for lag, x in target_x.items()}
    for fi, factor in enumerate(factors):
        on_all, known_all = flags[factor]
        for li, lag in enumerate(LAGS):
            keep = known_all if lag == 0 else known_all[src]
            on = on_all if lag == 0 else on_all[src]
            # one bin per (patient, side): each bin sums its rows in row order,
            # exactly as a bincount over that side's rows alone
            cell = (target_code[lag] * 2 + on)[keep]
            n_cells = 2 * n_pat
            counts = np.bincount(cell, minlength=n_cells).reshape(n_pat, 2)
            sums = np.bincount(cell, target_x[lag][keep], minlength=n_cells).reshape(n_pat, 2)
            squares = np.bincount(cell, target_x2[lag][keep], minlength=n_cells)
            squares = squares.reshape(n_pat, 2)
            for side, col in (("1", 1), ("0", 0)):
                stats_["n" + side][:, fi, li] = counts[:, col]
                stats_["s" + side][:, fi, li] = sums[:, col]
                stats_["q" + side][:, fi, li] = squares[:, col]
    return stats_


def _effect_table(
    ids: pd.Index, centre: np.ndarray, sums: dict[str, np.ndarray], min_days: int
) -> pd.DataFrame:
    """Turn the sums of :func:`_side_sums` into the rows of :func:`factor_effects`."""
    factors = list(FACTORS)
    n_pat = len(ids)
    flat_stats = {k: v.reshape(-1) for k, v in sums.items()}
    base = np.repeat(centre, len(factors) * len(LAGS))
    n1 = flat_stats["n1"].astype("int64")
    n2 = flat_stats["n0"].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        m1 = base + flat_stats["s1"] / n1
        m2 = base + flat_stats["s0"] / n2
        v1 = (flat_stats["q1"] - flat_stats["s1"] ** 2 / n1) / (n1 - 1)
        v2 = (flat_stats["q0"] - flat_stats["s0"] ** 2 / n2) / (n2 - 1)
    # a constant side has variance 0; from sums it can come out as round-off
    v1 = np.where(np.abs(v1) < 1e-12, 0.0, v1)
    v2 = np.where(np.abs(v2) < 1e-12, 0.0, v2)
    enough = (n1 >= min_days) & (n2 >= min_days)
    low, high, df, p = _welch(n1, m1, v1, n2, m2, v2)
    diff = m1 - m2
    flat = enough & ~np.isfinite(df)
    per_patient = len(factors) * len(LAGS)
    factor_text = pd.array(factors, dtype="str")
    reason_text = pd.array(["", "no_variation", "too_few_days"], dtype="str")
    columns = {
        "patient_id": ids.repeat(per_patient).array,  # the text of patient_codes
        "factor": factor_text.take(np.tile(np.repeat(np.arange(len(factors)), len(LAGS)), n_pat)),
        "lag": np.tile(np.asarray(LAGS, dtype="int64"), n_pat * len(factors)),
        "n_with": n1,
        "n_without": n2,
        "mean_with": np.where(enough, m1, np.nan),
        "mean_without": np.where(enough, m2, np.nan),
        "difference": np.where(enough, diff, np.nan),
        "ci_low": np.where(enough, low, np.nan),
        "ci_high": np.where(enough, high, np.nan),
        "df": np.where(enough, df, np.nan),
        "p_value": np.where(enough, p, np.nan),
        "reason": reason_text.take(np.where(~enough, 2, np.where(flat, 1, 0))),
    }
    return pd.DataFrame(columns)


def factor_effects_summary(effects: pd.DataFrame) -> pd.DataFrame:
    """Cohort summary of the patients' own factor effects.

    Parameters
    ----------
    effects : pandas.DataFrame
        Rows of :func:`factor_effects` (any concatenation of patients).

    Returns
    -------
    pandas.DataFrame
        One row per factor and lag in :data:`FACTORS` × :data:`LAGS` order (dtypes
        in :data:`FACTOR_SUMMARY_COLUMNS`): ``n_patients`` (patients with an
        estimate), ``mean_difference`` (float, NRS points: mean of their
        ``difference``), ``sd_difference``, a one-sample t 95 % interval
        ``ci_low``/``ci_high`` and two-sided ``p_value`` (NaN with fewer than 2
        patients), ``n_higher`` (patients with more pain on factor days).

    Notes
    -----
    Each patient is their own comparison, so differences between patients (who
    sleeps badly, who has more pain) do not enter the estimate; the patients are
    weighted equally. ``scipy.stats.ttest_1samp``. An association, not a cause.
    """
    ok = effects[effects["difference"].notna()]
    g = ok.groupby(["factor", "lag"], sort=False)["difference"]
    agg = g.agg(["size", "mean", "std"])
    higher = (ok["difference"] > 0).groupby([ok["factor"], ok["lag"]], sort=False).sum()
    grid = pd.MultiIndex.from_product([list(FACTORS), list(LAGS)], names=["factor", "lag"])
    agg = agg.reindex(grid)
    n = np.nan_to_num(agg["size"].to_numpy(dtype="float64"))
    mean = agg["mean"].to_numpy(dtype="float64")
    sd = agg["std"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        se = sd / np.sqrt(n)
        good = (n >= 2) & (se > 0)
        dfree = np.where(good, n - 1, 1.0)
        t_crit = stats.t.ppf(0.975, dfree)
        tstat = np.where(good, mean / np.where(good, se, 1.0), 0.0)
        p = np.where(good, 2 * stats.t.sf(np.abs(tstat), dfree), np.nan)
    out = pd.DataFrame(
        {
            "factor": grid.get_level_values("factor"),
            "lag": grid.get_level_values("lag"),
            "n_patients": n.astype("int64"),
            "mean_difference": mean,
            "sd_difference": sd,
            "ci_low": np.where(good, mean - t_crit * se, np.nan),
            "ci_high": np.where(good, mean + t_crit * se, np.nan),
            "p_value": p,
            "n_higher": higher.reindex(grid, fill_value=0).to_numpy(dtype="int64"),
        }
    )
    return out[list(FACTOR_SUMMARY_COLUMNS)].astype(FACTOR_SUMMARY_COLUMNS)


def interval_excludes_zero(ci_low: Any, ci_high: Any) -> np.ndarray:
    """Whether each 95 % interval leaves out no difference: the rule for a clear association.

    Parameters
    ----------
    ci_low, ci_high : float or array-like
        Ends of the intervals (``ci_low``, ``ci_high`` of :func:`factor_effects`
        or :func:`factor_effects_summary`); NaN where there is no interval.

    Returns
    -------
    numpy.ndarray of bool
        Same shape as the inputs: True where the whole interval lies above 0 or
        below 0; False where it holds 0 (touching it counts as holding it) or
        either end is missing (too few days, no variation).

    Notes
    -----
    A two-sided 95 % interval that leaves out 0 is the same decision as a
    two-sided test at the 5 % level (here Welch's t-test, ``p_value < 0.05``).
    Every face that calls an association a finding uses this one rule; the
    rest are "no clear link yet".

    Examples
    --------
    >>> interval_excludes_zero([0.2, -1.2, -0.8, float("nan")], [1.1, 0.5, -0.1, float("nan")])
    array([ True, False,  True, False])
    """
    low = np.asarray(ci_low, dtype="float64")
    high = np.asarray(ci_high, dtype="float64")
    whole = np.isfinite(low) & np.isfinite(high)  # no interval is no finding
    with np.errstate(invalid="ignore"):
        return whole & ((low > 0) | (high < 0))
