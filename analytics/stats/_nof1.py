"""N-of-1 effect sizes of each patient's own AB design: NAP and Tau-U.

Phase A = the baseline window before the index date, phase B = every diary day
from the index date on. Lower pain is better, so a pair "improves" when the
B day has less pain than the A day.

- **NAP**, non-overlap of all pairs (Parker & Vannest 2009, Behav Ther 40:357):
  the share of all (A day, B day) pairs in which the B day has less pain, ties
  counting 0.5 — the Mann–Whitney U of A against B divided by n_A·n_B.
- **Tau-U "A vs B − trend A"** (Parker, Vannest, Davis & Sauber 2011, Behav Ther
  42:284): Kendall's S between the phases minus Kendall's S of the baseline's
  own trend, over n_A·n_B. An improving baseline (pain already falling) lowers it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analytics.checks import check_int
from analytics.contract.schema import DATE_DTYPE
from analytics.stats._common import patient_codes
from analytics.stats._outcomes import dates_by_patient, outcome_windows

__all__ = [
    "NOF1_COLUMNS",
    "nap",
    "tau_u",
    "nof1_effects",
]

#: Columns of :func:`nof1_effects` with their dtypes.
NOF1_COLUMNS: dict[str, str] = {
    "patient_id": "str",
    "n_baseline": "int64",
    "n_treatment": "int64",
    "nap": "float64",
    "nap_se": "float64",
    "nap_ci_low": "float64",
    "nap_ci_high": "float64",
    "tau": "float64",
    "s_between": "float64",
    "s_baseline_trend": "float64",
    "tau_u": "float64",
    "tau_u_se": "float64",
    "tau_u_ci_low": "float64",
    "tau_u_ci_high": "float64",
    "tau_u_p_value": "float64",
    "reason": "str",
}

_Z = float(stats.norm.ppf(0.975))

#: The dtype of a canonical text column (``astype("str")`` leaves it as it is).


def _pair_scores(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """q[i, j] = 1 when b[j] < a[i] (improvement), 0.5 on a tie, else 0."""
    return (b[None, :] < a[:, None]) + 0.5 * (b[None, :] == a[:, None])


def nap(baseline, treatment, *, alpha: float = 0.05) -> dict[str, float]:
    """Non-overlap of all pairs with its standard error and confidence interval.

    Parameters
    ----------
    baseline, treatment : array_like
        Pain of the A and B days (lower = better); NaN dropped.
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    dict
        ``nap`` (share of improving pairs, ties 0.5, 0–1), ``se`` (Hanley &
        McNeil 1982, empirical Q1/Q2), ``ci_low``, ``ci_high`` (Newcombe 2006
        method 5, score inversion), ``n_a``, ``n_b``.

    Notes
    -----
    NAP = U/(n_A·n_B) with U the Mann–Whitney statistic of A against B
    (``scipy.stats.mannwhitneyu(a, b).statistic``). With q_ij the pair scores,
    Q1 = Σ_i(Σ_j q_ij)²/(m n²), Q2 = Σ_j(Σ_i q_ij)²/(m² n) and
    SE² = [NAP(1 − NAP) + (n − 1)(Q1 − NAP²) + (m − 1)(Q2 − NAP²)]/(m n).
    The interval solves (NAP − θ)² = z² h θ(1 − θ)/(m n)·[1/h + (1 − θ)/(2 − θ)
    + θ/(1 + θ)], h = (m + n)/2 − 1, for θ below and above NAP. Both assume
    independent days; daily pain is autocorrelated, so they are optimistic.

    Examples
    --------
    >>> round(nap([20, 20, 26, 25, 22, 23], [28, 25, 24, 27, 30, 30, 29])["nap"], 4)
    0.0833
    """
    a = np.asarray(baseline, dtype="float64")
    b = np.asarray(treatment, dtype="float64")
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    m, n = len(a), len(b)
    out = {"nap": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n_a": m, "n_b": n}
    if m == 0 or n == 0:
        return out
    q = _pair_scores(a, b)
    est = float(q.mean())
    q1 = float((q.sum(axis=1) ** 2).sum() / (m * n * n))
    q2 = float((q.sum(axis=0) ** 2).sum() / (m * m * n))
    var = (est * (1 - est) + (n - 1) * (q1 - est**2) + (m - 1) * (q2 - est**2)) / (m * n)
    z = float(stats.norm.ppf(1 - alpha / 2))
    h = (m + n) / 2 - 1
    out.update(nap=est, se=float(np.sqrt(var)) if var >= 0 else np.nan)
    if h <= 0:
        return out

    def score(theta: float) -> float:
        bracket = 1 / h + (1 - theta) / (2 - theta) + theta / (1 + theta)
        return (est - theta) ** 2 - z * z * h * theta * (1 - theta) / (m * n) * bracket

    # at NAP = 1 (or 0) the score has a trivial root at NAP itself: divide it out
    if est <= 0 or score(0.0) <= 0:
        low = 0.0
    elif est >= 1:
        low = optimize.brentq(lambda t: score(t) / (1 - t), 0.0, 1.0 - 1e-15, xtol=1e-14)
    else:
        low = optimize.brentq(score, 0.0, est, xtol=1e-14)
    if est >= 1 or score(1.0) <= 0:
        high = 1.0
    elif est <= 0:
        high = optimize.brentq(lambda t: score(t) / t, 1e-15, 1.0, xtol=1e-14)
    else:
        high = optimize.brentq(score, est, 1.0, xtol=1e-14)
    out.update(ci_low=float(low), ci_high=float(high))
    return out


def _kendall_s_pairs(a: np.ndarray, b: np.ndarray) -> float:
    """Σ_ij sign(a_i − b_j): + when the B day has less pain."""
    b_sorted = np.sort(b)
    below = np.searchsorted(b_sorted, a, side="left")
    above = len(b) - np.searchsorted(b_sorted, a, side="right")
    return float((below - above).sum())


def _trend_s(a: np.ndarray) -> float:
    """Kendall's S of the baseline over time, Σ_{i<j} sign(a_i − a_j): + when pain falls."""
    diff = a[:, None] - a[None, :]
    return float(np.sign(diff[np.triu_indices(len(a), k=1)]).sum())


def tau_u(baseline, treatment, *, alpha: float = 0.05) -> dict[str, float]:
    """Tau-U with baseline-trend correction, "A vs B − trend A" (Parker et al. 2011).

    Parameters
    ----------
    baseline : array_like
        Pain of the A days **in time order** (the trend term needs it); NaN dropped.
    treatment : array_like
        Pain of the B days; NaN dropped.
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    dict
        ``tau_u`` = (S_AB − S_A)/(n_A·n_B); ``s_between`` = S_AB = Σ sign(a_i −
        b_j) (pairs where the B day has less pain minus more pain);
        ``s_trend`` = S_A = Σ_{i<j} sign(a_i − a_j) (the baseline's own
        improving trend); ``tau`` = S_AB/(n_A·n_B) = 2·NAP − 1; ``se``,
        ``ci_low``, ``ci_high``, ``p_value``.

    Notes
    -----
    Parker RI, Vannest KJ, Davis JL, Sauber SB (2011). Combining nonoverlap and
    trend for single-case research: Tau-U. Behav Ther 42:284–299 — the variant
    "A vs B − trend A" (as ``SingleCaseES::Tau_U``), direction reversed because
    lower pain is better. It is not bounded by ±1. The standard error is the
    null-hypothesis SD of the S statistic without tie correction,
    √(n_A n_B (n_A + n_B + 1)/3 + n_A(n_A − 1)(2 n_A + 5)/18)/(n_A n_B) (S_AB and
    S_A are uncorrelated under exchangeability); the interval is
    ``tau_u ± z·se`` and the p-value two-sided normal. Ties make it
    conservative, autocorrelation optimistic.
    """
    a = np.asarray(baseline, dtype="float64")
    b = np.asarray(treatment, dtype="float64")
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    m, n = len(a), len(b)
    out = {
        "tau_u": np.nan,
        "tau": np.nan,
        "s_between": np.nan,
        "s_trend": np.nan,
        "se": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_value": np.nan,
    }
    if m == 0 or n == 0:
        return out
    s_ab = _kendall_s_pairs(a, b)
    s_a = _trend_s(a)
    pairs = float(m * n)
    sd = float(np.sqrt(m * n * (m + n + 1) / 3 + m * (m - 1) * (2 * m + 5) / 18))
    est = (s_ab - s_a) / pairs
    z = float(stats.norm.ppf(1 - alpha / 2))
    out.update(
        tau_u=est,
        tau=s_ab / pairs,
        s_between=s_ab,
        s_trend=s_a,
        se=sd / pairs,
        ci_low=est - z * sd / pairs,
        ci_high=est + z * sd / pairs,
        p_value=float(2 * stats.norm.sf(abs(s_ab - s_a) / sd)),
    )
    return out


def _pair_counts(
    ka: np.ndarray, kb: np.ndarray, code_a: np.ndarray, code_b: np.ndarray, span: int, n_pat: int
) -> tuple[np.ndarray, ...]:
    """Count the days of the other phase with less, more and equal pain.

    Per A day: B days of its patient with less pain and with equal pain; per B day:
    A days with more pain and with equal pain.

    Keys are ``code · span + rank of the pain + 1``. With few distinct keys the
    counts come from one histogram per phase and its running sum; otherwise from
    binary searches in the sorted keys. Both count the same days.
    """
    size = n_pat * span
    if size <= 4 * (len(ka) + len(kb)) + 4096:
        count_b = np.bincount(kb, minlength=size)
        count_a = np.bincount(ka, minlength=size)
        below_b = np.concatenate([[0], np.cumsum(count_b)])  # B keys below k
        below_a = np.concatenate([[0], np.cumsum(count_a)])
        below = below_b[ka] - below_b[code_a * span]
        tied_a = count_b[ka]
        above = below_a[(code_b + 1) * span] - below_a[kb + 1]
        tied_b = count_a[kb]
        return below, tied_a, above, tied_b
    b_keys = np.sort(kb)
    a_keys = np.sort(ka)
    # for each A day: B days of the patient with less pain (improving) and tied
    start_b = np.searchsorted(b_keys, code_a * span, side="left")
    below = np.searchsorted(b_keys, ka, side="left") - start_b
    tied_a = np.searchsorted(b_keys, ka, side="right") - start_b - below
    # for each B day: A days of the patient with more pain, and tied
    end_a = np.searchsorted(a_keys, (code_b + 1) * span, side="left")
    above = end_a - np.searchsorted(a_keys, kb, side="right")
    tied_b = np.searchsorted(a_keys, kb, side="right") - np.searchsorted(a_keys, kb, side="left")
    return below, tied_a, above, tied_b


def nof1_effects(
    diary: pd.DataFrame,
    index_dates: pd.Series,
    *,
    baseline_days: int = 14,
    min_entries: int = 4,
) -> pd.DataFrame:
    """NAP and Tau-U of each patient's baseline (A) against treatment (B) days.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame.
    index_dates : pandas.Series
        Index date t0 per patient (:func:`analytics.contract.index_dates`).
    baseline_days : int, default 14
        Phase A = diary days in ``[t0 − baseline_days, t0 − 1]`` (the baseline
        window); phase B = every diary day from t0 on.
    min_entries : int, default 4
        Fewest entries in each phase, in [1, 3650].

    Returns
    -------
    pandas.DataFrame
        One row per patient in ``diary``, sorted by ``patient_id`` (dtypes in
        :data:`NOF1_COLUMNS`): ``n_baseline``, ``n_treatment`` (entries in A and
        B); ``nap`` (0–1, share of pairs with less pain in B, ties 0.5; 0.5 = no
        change) with ``nap_se`` and ``nap_ci_low``/``_high`` (:func:`nap`);
        ``tau`` = 2·NAP − 1; ``s_between``, ``s_baseline_trend`` (Kendall S terms),
        ``tau_u`` with ``tau_u_se``, ``tau_u_ci_low``/``_high`` and
        ``tau_u_p_value`` (:func:`tau_u`); ``reason`` (``no_index``,
        ``insufficient_baseline``, ``insufficient_treatment`` or ``""``).
        Positive values = improvement.
    """
    func = "nof1_effects"
    baseline_days = check_int(baseline_days, "baseline_days", func, 1, 3650)
    min_entries = check_int(min_entries, "min_entries", func, 1, 3650)
    pain = diary["pain"].to_numpy(dtype="float64", na_value=np.nan)
    all_codes, all_ids = patient_codes(diary["patient_id"])
    # the rows with a pain and a patient; the patients with such rows numbered in the
    # order of their ids (sorted code point by code point, as pandas sorts text)
    keep = ~np.isnan(pain) & (all_codes >= 0)
    labels = np.asarray(all_ids, dtype=object)
    listed = np.bincount(all_codes[keep], minlength=len(labels)) > 0
    ids = np.sort(labels[listed])
    number = np.full(len(labels), -1, dtype="int64")
    number[listed] = np.searchsorted(ids, labels[listed])
    code = number[all_codes[keep]]
    n_pat = len(ids)
    date = diary["date"].to_numpy(dtype="datetime64[ns]")[keep]
    pain = pain[keep]
    # phase A is the baseline window of the pain outcome
    idx = index_dates.astype(DATE_DTYPE)
    idx.index = idx.index.astype("str")
    _win, rows = outcome_windows(diary, idx, baseline_days=baseline_days, followup_days=1)
    in_a = rows["in_baseline"].to_numpy(dtype=bool)[keep]
    # in (patient, date) order (a stable sort, skipped when in order): the trend needs it
    order = np.lexsort((date.view("int64"), np.isnat(date), code))
    if not (order == np.arange(len(order))).all():
        code, date, pain, in_a = code[order], date[order], pain[order], in_a[order]
    t0_of = dates_by_patient(index_dates, pd.Index(ids, dtype="str"))
    has_index = ~np.isnat(t0_of)
    t0 = t0_of[code]
    in_b = ~in_a & (date >= t0)
    m = np.bincount(code[in_a], minlength=n_pat).astype("int64")
    n = np.bincount(code[in_b], minlength=n_pat).astype("int64")
    reason = np.select(
        [~has_index, m < min_entries, n < min_entries],
        ["no_index", "insufficient_baseline", "insufficient_treatment"],
        default="",
    )
    ok = reason == ""
    # pair counts from exact integer keys (patient, rank of the pain value among all
    # values), one pass for every patient
    # (+ 0.0 makes a negative zero equal to zero, as a sort would treat it)
    rank, levels = pd.factorize(pain + 0.0, sort=True)
    span = len(levels) + 1
    key = code.astype("int64") * span + rank.astype("int64") + 1
    ka, kb = key[in_a], key[in_b]
    below, tied_a, above, tied_b = _pair_counts(ka, kb, code[in_a], code[in_b], span, n_pat)
    row_sum = below + 0.5 * tied_a  # sum over j of q_ij
    col_sum = above + 0.5 * tied_b  # sum over i of q_ij
    worse = n[code[in_a]] - below - tied_a
    pairs = np.where(m * n > 0, m * n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.bincount(code[in_a], row_sum, minlength=n_pat) / pairs
        q1 = np.bincount(code[in_a], row_sum**2, minlength=n_pat) / (m * n * n)
        q2 = np.bincount(code[in_b], col_sum**2, minlength=n_pat) / (m * m * n)
        var = (est * (1 - est) + (n - 1) * (q1 - est**2) + (m - 1) * (q2 - est**2)) / pairs
        se = np.sqrt(np.where(var >= 0, var, np.nan))
        s_between = np.bincount(code[in_a], below - worse, minlength=n_pat)
    low, high = _newcombe_method5(est, m, n, ok)
    s_trend = _baseline_trend(code[in_a], pain[in_a], m, n_pat)
    sd = np.sqrt(m * n * (m + n + 1) / 3 + m * (m - 1) * (2 * m + 5) / 18)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau_u_est = (s_between - s_trend) / pairs
        p_tau = 2 * stats.norm.sf(np.abs(s_between - s_trend) / sd)
    nan = np.full(n_pat, np.nan)
    return pd.DataFrame(
        {
            "patient_id": pd.array(ids, dtype="str"),
            "n_baseline": m,
            "n_treatment": n,
            "nap": np.where(ok, est, nan),
            "nap_se": np.where(ok, se, nan),
            "nap_ci_low": np.where(ok, low, nan),
            "nap_ci_high": np.where(ok, high, nan),
            "tau": np.where(ok, s_between / pairs, nan),
            "s_between": np.where(ok, s_between, nan),
            "s_baseline_trend": np.where(ok, s_trend, nan),
            "tau_u": np.where(ok, tau_u_est, nan),
            "tau_u_se": np.where(ok, sd / pairs, nan),
            "tau_u_ci_low": np.where(ok, tau_u_est - _Z * sd / pairs, nan),
            "tau_u_ci_high": np.where(ok, tau_u_est + _Z * sd / pairs, nan),
            "tau_u_p_value": np.where(ok, p_tau, nan),
            "reason": pd.array(reason, dtype="str"),
        }
    )


def _baseline_trend(
    a_code: np.ndarray, a_pain: np.ndarray, m: np.ndarray, n_pat: int
) -> np.ndarray:
    """Kendall S of each patient's A days: all pairs i < j, in date order (rows sorted)."""
    first = np.searchsorted(a_code, np.arange(n_pat), side="left")
    pos = np.arange(len(a_code)) - first[a_code]
    later = m[a_code] - pos - 1  # A days after each one
    i_idx = np.repeat(np.arange(len(a_code)), later)
    offset = np.arange(len(i_idx)) - np.repeat(np.cumsum(later) - later, later)
    j_idx = i_idx + 1 + offset
    return np.bincount(a_code[i_idx], np.sign(a_pain[i_idx] - a_pain[j_idx]), minlength=n_pat)


def _newcombe_method5(
    est: np.ndarray, m: np.ndarray, n: np.ndarray, ok: np.ndarray, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe (2006) method-5 interval of many NAPs at once, by vectorised bisection.

    The score function is negative at NAP and non-negative at 0 (below) and 1
    (above); 60 halvings give the roots to 1e-18 of the unit interval, the same
    roots :func:`nap` finds with ``scipy.optimize.brentq``.
    """
    z2 = float(stats.norm.ppf(1 - alpha / 2)) ** 2
    h = (m + n) / 2 - 1
    mn = (m * n).astype("float64")
    good = ok & (h > 0)
    e = np.where(good, est, 0.5)
    hh = np.where(good, h, 1.0)
    mm = np.where(good, mn, 1.0)

    # both roots at once: the lower one (in [0, NAP]) then the upper one (in [NAP, 1])
    k = len(e)
    e2, inv_h, zh, mm2 = (np.concatenate([x, x]) for x in (e, 1 / hh, z2 * hh, mm))

    def score(theta: np.ndarray) -> np.ndarray:
        bracket = inv_h + (1 - theta) / (2 - theta) + theta / (1 + theta)
        return (e2 - theta) ** 2 - zh * theta * (1 - theta) / mm2 * bracket

    lo = np.concatenate([np.zeros_like(e), e])
    hi = np.concatenate([e, np.ones_like(e)])
    lower_side = np.arange(2 * k) < k
    for _ in range(60):
        mid = (lo + hi) / 2
        # below NAP the root separates positive (left) from negative (right); above,
        # negative (left) from positive (right)
        move_lo = (score(mid) > 0) == lower_side
        lo, hi = np.where(move_lo, mid, lo), np.where(move_lo, hi, mid)
    roots = (lo + hi) / 2
    at_ends = score(np.concatenate([np.zeros_like(e), np.ones_like(e)])) <= 0
    low = np.where(at_ends[:k], 0.0, roots[:k])
    high = np.where(at_ends[k:], 1.0, roots[k:])
    low = np.where(e <= 0, 0.0, low)
    high = np.where(e >= 1, 1.0, high)
    return np.where(good, low, np.nan), np.where(good, high, np.nan)
