"""Group summaries and between-group comparisons of patient outcomes.

Works on the frame of :func:`analytics.stats.patient_outcomes`; definitions in
DOMAIN.md section 4 ("Group comparison") and ``docs/analytics.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analytics.checks import check_choice, check_int, check_number
from analytics.contract import frequency_band
from analytics.stats._adjusted import ancova, wald_risk_difference
from analytics.stats._common import FitWarnings, patient_codes
from analytics.stats._thresholds import at_least

__all__ = [
    "GROUPINGS",
    "MISSING_LABEL",
    "TOO_FEW_PATIENTS",
    "SCALE_POINTS",
    "WALD_COLUMNS",
    "predominant_technique",
    "wilson_interval",
    "newcombe_interval",
    "holm",
    "group_summary",
    "group_comparison",
]

#: Columns of the outcomes frame that :func:`group_summary` can group by.
Grouping = Literal["group", "condition", "technique"]
GROUPINGS: tuple[Grouping, ...] = ("group", "condition", "technique")
#: Label of patients whose grouping value is missing.
MISSING_LABEL = "unassigned"
#: ``reason`` of a group or pair whose interval or p-value is withheld because a
#: group has fewer than ``min_group_size`` patients.
TOO_FEW_PATIENTS = "too_few_patients"
#: Width of the pain scale (NRS 0-10, DOMAIN.md section 3): a mean change, or a
#: difference of follow-up means, lies in [-SCALE_POINTS, SCALE_POINTS], so an
#: interval is cut there (cutting at the parameter space never loses coverage).
SCALE_POINTS = 10.0

SUMMARY_COLUMNS = [
    "group_by",
    "group",
    "n_patients",
    "n_with_followup",
    "mean_baseline",
    "mean_followup",
    "mean_change",
    "mean_change_ci_low",
    "mean_change_ci_high",
    "mean_change_ci_clipped",
    "pct_change_of_means",
    "n_evaluable",
    "n_responders",
    "responder_rate",
    "responder_ci_low",
    "responder_ci_high",
    "n_responders_30",
    "responder_rate_30",
    "n_responders_50",
    "responder_rate_50",
    "reason",
]

COMPARISON_COLUMNS = [
    "group_by",
    "group_a",
    "group_b",
    "n_a",
    "n_b",
    "adjusted_difference",
    "ci_low",
    "ci_high",
    "ci_clipped",
    "p_value",
    "p_value_holm",
    "responder_rate_a",
    "responder_rate_b",
    "risk_difference",
    "rd_ci_low",
    "rd_ci_high",
    "nnt",
    "reason",
]
#: Columns :func:`group_comparison` adds with ``rd_interval="wald"``.
WALD_COLUMNS = ["rd_wald_ci_low", "rd_wald_ci_high", "rd_chi2_p_value"]


def predominant_technique(sessions: pd.DataFrame) -> pd.Series:
    """Most frequent technique band of each patient's sessions.

    Parameters
    ----------
    sessions : pandas.DataFrame
        Canonical sessions frame.

    Returns
    -------
    pandas.Series
        ``str`` indexed by ``patient_id`` (patients with sessions, sorted), named
        ``technique``: the most frequent label of
        :func:`analytics.stats._common.frequency_band` (``manual``, ``auricular``,
        ``other``, ``electro_low``/``_medium``/``_high``/``_mixed``/``_unknown``).
        Ties go to the band used most recently.

    Examples
    --------
    >>> s = pd.DataFrame({"patient_id": ["p"] * 2, "technique": ["manual", "electro"],
    ...     "frequency_hz": [None, "2"], "date": pd.to_datetime(["2026-01-01", "2026-01-08"])})
    >>> predominant_technique(s).tolist()
    ['electro_low']
    """
    if not len(sessions):
        return pd.Series(
            dtype="str", name="technique", index=pd.Index([], dtype="str", name="patient_id")
        )
    band = frequency_band(sessions["technique"], sessions["frequency_hz"])
    keep = (sessions["patient_id"].notna() & band.notna()).to_numpy()
    if not keep.any():
        return predominant_technique(sessions.iloc[:0])
    patient, ids = patient_codes(sessions["patient_id"][keep], sort=True)
    label, bands = pd.factorize(band[keep], sort=True)
    # every (patient, band) pair: its sessions and its latest date (NaT lowest)
    pair = patient.astype("int64") * len(bands) + label
    present, pair = np.unique(pair, return_inverse=True)
    n = np.bincount(pair, minlength=len(present))
    day = sessions["date"].to_numpy(dtype="datetime64[ns]")[keep].view("int64")
    last = np.full(len(present), np.iinfo("int64").min, dtype="int64")
    np.maximum.at(last, pair, day)
    # per patient the most sessions, then the latest, then the first band in order
    who, which = np.divmod(present, len(bands))
    order = np.lexsort((which, -np.unique(last, return_inverse=True)[1], -n, who))
    first = order[np.append(True, who[order][1:] != who[order][:-1])]
    index = pd.Index(np.asarray(ids)[who[first]], dtype="str", name="patient_id")
    return pd.Series(np.asarray(bands)[which[first]], index=index, dtype="str", name="technique")


def wilson_interval(count, nobs, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion, vectorised.

    Parameters
    ----------
    count, nobs : array_like
        Successes and trials; NaN results where ``nobs`` is 0.
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    (low, high) : tuple of numpy.ndarray
        Bounds as fractions 0-1.

    Notes
    -----
    Wilson EB (1927). Computed by ``statsmodels.stats.proportion.proportion_confint(
    count, nobs, alpha, method="wilson")``.
    """
    from statsmodels.stats.proportion import proportion_confint

    k = np.atleast_1d(np.asarray(count, dtype="float64"))
    n = np.atleast_1d(np.asarray(nobs, dtype="float64"))
    low = np.full(np.broadcast(k, n).shape, np.nan)
    high = low.copy()
    k, n = np.broadcast_arrays(k, n)
    ok = n > 0
    if ok.any():
        lo, hi = proportion_confint(k[ok], n[ok], alpha=alpha, method="wilson")
        low[ok], high[ok] = lo, hi
    return low, high


def _labelled(
    outcomes: pd.DataFrame, by: str, func: str, covariates: Sequence[str] = ()
) -> pd.DataFrame:
    check_choice(by, "by", func, GROUPINGS)
    for name in (by, *covariates):
        if name not in outcomes.columns:
            raise ValueError(
                f"{func} needs a {name!r} column in outcomes; use analytics.stats.patient_outcomes"
                + (" and join the patient columns to adjust for." if name != by else ".")
            )
    if by != "group" and "control" in outcomes.columns:
        # a waitlist or usual-care patient is no evidence about a technique or about
        # how a condition responds to treatment
        outcomes = outcomes[~outcomes["control"].astype("bool").to_numpy()]
    frame = pd.DataFrame(
        {
            "label": outcomes[by].astype("str").fillna(MISSING_LABEL).to_numpy(),
            "baseline": pd.to_numeric(outcomes["baseline_pain"]).astype("float64").to_numpy(),
            "followup": pd.to_numeric(outcomes["followup_pain"]).astype("float64").to_numpy(),
        }
    )
    for name in covariates:
        frame[name] = outcomes[name].to_numpy()
    frame["complete"] = frame["baseline"].notna() & frame["followup"].notna()
    frame["change"] = (frame["baseline"] - frame["followup"]).where(frame["complete"])
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["pct"] = (100.0 * frame["change"] / frame["baseline"]).where(frame["baseline"] != 0)
    return frame


def group_summary(
    outcomes: pd.DataFrame,
    *,
    by: Grouping = "group",
    responder_threshold: float = 30.0,
    min_group_size: int = 5,
) -> pd.DataFrame:
    """Per-group baseline, follow-up, change and responder rates.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        :func:`analytics.stats.patient_outcomes` (uses ``baseline_pain``,
        ``followup_pain`` and the ``by`` column).
    by : {"group", "condition", "technique"}, default "group"
        Column that defines the groups; missing labels become ``"unassigned"``.
    responder_threshold : float, default 30.0
        % reduction that makes a responder (0-100).
    min_group_size : int, default 5
        Fewest patients behind an interval (``AnalysisSettings.min_group_size``);
        a smaller group gets its counts, means and rates but no interval.

    Returns
    -------
    pandas.DataFrame
        One row per label, sorted by label:

        - ``group_by`` (str): the ``by`` argument; ``group`` (str): the label;
        - ``n_patients`` (int): patients with that label;
        - ``n_with_followup`` (int): patients with both a valid baseline and a
          valid follow-up ("complete"); the means below are over them;
        - ``mean_baseline``, ``mean_followup`` (float, NRS 0-10);
        - ``mean_change`` (float, points, positive = better) with a 95 %
          t-interval ``mean_change_ci_low``/``_high``
          (``mean ± t(0.975, n−1)·sd/√n`` cut to [−10, 10]; NaN with fewer
          than ``min_group_size`` complete patients);
        - ``mean_change_ci_clipped`` (bool): the t-interval reached past −10 or
          10 points and was cut at the end of the scale;
        - ``pct_change_of_means`` (float, %):
          ``100·(mean_baseline − mean_followup)/mean_baseline``;
        - ``n_evaluable`` (int): complete patients with a % change (baseline > 0),
          the denominator of every rate below;
        - ``n_responders`` (int), ``responder_rate`` (fraction 0-1): % change >=
          ``responder_threshold``, with a Wilson 95 % interval
          ``responder_ci_low``/``_high`` (NaN with fewer than
          ``min_group_size`` evaluable patients);
        - ``n_responders_30``, ``responder_rate_30``: the same at 30 % (equal to
          the above at the default threshold, kept so that the 30 % benchmark is
          always reported);
        - ``n_responders_50``, ``responder_rate_50``: the same at 50 %;
        - ``reason`` (str): ``"too_few_patients"`` (:data:`TOO_FEW_PATIENTS`)
          when an interval is withheld for the group's size, else ``""``.

    Raises
    ------
    ValueError
        When ``by``, ``responder_threshold`` or ``min_group_size`` is invalid or
        the ``by`` column is missing.

    Notes
    -----
    DOMAIN.md section 4; the Wilson interval is statsmodels'
    ``proportion_confint(method="wilson")``, the t-interval ``scipy.stats.t``.
    The mean change of 0-10 scores lies in [−10, 10]: a t-interval reaching past
    it is cut there and marked, which cannot lower its coverage (the true mean
    is inside the scale). With ``by`` = condition or technique, patients flagged
    ``control`` in ``outcomes`` (waitlist, usual care, ...) are left out: they
    say nothing about a technique or about how a condition responds to
    treatment.
    """
    func = "group_summary"
    threshold = check_number(responder_threshold, "responder_threshold", func, 0.0, 100.0)
    check_int(min_group_size, "min_group_size", func, 2, None)
    frame = _labelled(outcomes, by, func)
    if not len(frame):
        return _empty(SUMMARY_COLUMNS, ("group_by", "group", "reason"))
    comp = frame[frame["complete"]]
    evaluable = frame["pct"].notna()
    frame["resp"] = at_least(frame["pct"], threshold) & evaluable
    frame["resp30"] = at_least(frame["pct"], 30.0) & evaluable
    frame["resp50"] = at_least(frame["pct"], 50.0) & evaluable
    frame["evaluable"] = evaluable
    g = frame.groupby("label", sort=True)
    gc = comp.groupby("label", sort=True)
    out = pd.DataFrame({"n_patients": g.size()})
    out["n_with_followup"] = gc.size().reindex(out.index, fill_value=0)
    out["mean_baseline"] = gc["baseline"].mean().reindex(out.index)
    out["mean_followup"] = gc["followup"].mean().reindex(out.index)
    out["mean_change"] = gc["change"].mean().reindex(out.index)
    sd = gc["change"].std(ddof=1).reindex(out.index)
    n = out["n_with_followup"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        t = stats.t.ppf(0.975, n - 1)
        half = t * sd / np.sqrt(n)
    half = half.where(n >= min_group_size)
    low, high, clipped = _on_scale(out["mean_change"] - half, out["mean_change"] + half)
    out["mean_change_ci_low"], out["mean_change_ci_high"] = low, high
    out["mean_change_ci_clipped"] = clipped
    with np.errstate(divide="ignore", invalid="ignore"):
        pcm = 100.0 * (out["mean_baseline"] - out["mean_followup"]) / out["mean_baseline"]
    out["pct_change_of_means"] = pcm.where(out["mean_baseline"] != 0)
    out["n_evaluable"] = g["evaluable"].sum()
    ne = out["n_evaluable"].astype("float64").where(out["n_evaluable"] > 0)
    for col, suffix in (("resp", ""), ("resp30", "_30"), ("resp50", "_50")):
        out[f"n_responders{suffix}"] = g[col].sum()
        out[f"responder_rate{suffix}"] = out[f"n_responders{suffix}"] / ne
        if suffix == "":
            big = (out["n_evaluable"] >= min_group_size).to_numpy()
            low, high = wilson_interval(out["n_responders"], out["n_evaluable"])
            out["responder_ci_low"] = np.where(big, low, np.nan)
            out["responder_ci_high"] = np.where(big, high, np.nan)
    small = (out["n_with_followup"] < min_group_size) | (out["n_evaluable"] < min_group_size)
    out["reason"] = np.where(small, TOO_FEW_PATIENTS, "")
    out = out.reset_index(names="group")
    out.insert(0, "group_by", by)
    return _typed(out[SUMMARY_COLUMNS], ("group_by", "group", "reason"))


def _on_scale(low: pd.Series, high: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Cut an interval of points to the scale [−10, 10]; say which rows were cut."""
    clipped = (low < -SCALE_POINTS) | (high > SCALE_POINTS)
    return low.clip(lower=-SCALE_POINTS), high.clip(upper=SCALE_POINTS), clipped


def _empty(columns: list[str], text: tuple[str, ...]) -> pd.DataFrame:
    return _typed(pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}), text)


def _typed(frame: pd.DataFrame, text: tuple[str, ...]) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:
        if col in text:
            frame[col] = frame[col].astype("str")
        elif col.endswith("_clipped"):
            frame[col] = frame[col].astype("bool")
        elif col.startswith("n_"):
            frame[col] = frame[col].astype("int64")
        else:
            frame[col] = frame[col].astype("float64")
    return frame


def newcombe_interval(
    count_a: int, nobs_a: int, count_b: int, nobs_b: int, *, alpha: float = 0.05
) -> tuple[float, float]:
    """Newcombe's hybrid score interval of the risk difference p_a − p_b.

    Parameters
    ----------
    count_a, nobs_a, count_b, nobs_b : int
        Responders and patients in each group; NaN bounds when a group is empty.
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    (low, high) : tuple of float
        Bounds as fractions −1..1.

    Notes
    -----
    Newcombe RG. Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 1998;17:873-890 (method
    10). Computed by ``statsmodels.stats.proportion.confint_proportions_2indep(
    ..., method="newcomb", compare="diff")``. Unlike the Wald interval it stays
    inside [−1, 1] and does not collapse at 0 or n responders: 0/3 against 4/15
    gives −0.52 to 0.32 (Wald: −0.49 to −0.04).
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    if nobs_a <= 0 or nobs_b <= 0:
        return (np.nan, np.nan)
    low, high = confint_proportions_2indep(
        count_a, nobs_a, count_b, nobs_b, method="newcomb", compare="diff", alpha=alpha
    )
    return float(low), float(high)


def holm(p_values) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values; NaN entries stay NaN and are not counted.

    Equals ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]`` on the
    non-missing values (the tests check it); computed here because that function runs
    a full garbage collection on every call, which costs tenths of a second in a
    process holding a clinic's tables.
    """
    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if len(ok):
        values = p[ok]
        order = np.argsort(values)
        m = len(values)
        stepped = np.maximum.accumulate(values[order] * np.arange(m, 0, -1))
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(stepped, 1.0)
        out[ok] = adjusted
    return out


def _risk_difference(
    evaluable: pd.DataFrame,
    a: str,
    b: str,
    threshold: float,
    min_group_size: int,
    rd_interval: str = "newcombe",
) -> dict[str, float]:
    """Give the responder rates of a and b, their difference with Newcombe's CI, NNT and counts.

    The difference, its interval and the NNT are NaN when a group has fewer than
    ``min_group_size`` evaluable patients. With ``rd_interval="wald"`` the Wald
    interval and the χ² p-value come too.
    """
    ra = at_least(evaluable.loc[evaluable["label"] == a, "pct"], threshold)
    rb = at_least(evaluable.loc[evaluable["label"] == b, "pct"], threshold)
    na, nb = len(ra), len(rb)
    pa = float(ra.mean()) if na else np.nan
    pb = float(rb.mean()) if nb else np.nan
    rd, rd_low, rd_high, nnt = (np.nan,) * 4
    wald = (np.nan,) * 3
    if min(na, nb) >= min_group_size:
        rd = pa - pb
        rd_low, rd_high = newcombe_interval(int(ra.sum()), na, int(rb.sum()), nb)
        if rd_interval == "wald":
            wald = wald_risk_difference(int(ra.sum()), na, int(rb.sum()), nb)
        with np.errstate(divide="ignore", invalid="ignore"):
            nnt = np.inf if rd == 0 else 1.0 / rd
    out = {
        "responder_rate_a": pa,
        "responder_rate_b": pb,
        "risk_difference": rd,
        "rd_ci_low": rd_low,
        "rd_ci_high": rd_high,
        "nnt": nnt,
        "n_evaluable_a": na,
        "n_evaluable_b": nb,
    }
    if rd_interval == "wald":
        out.update(zip(WALD_COLUMNS, wald, strict=True))
    return out


def _pair_rows(
    frame: pd.DataFrame,
    by: str,
    covariates: list[str],
    threshold: float,
    min_group_size: int,
    rd_interval: str,
) -> list[dict[str, object]]:
    """Compare every pair of labels of :func:`_labelled`'s frame: one dict per pair."""
    labels = sorted(frame["label"].unique())
    rows = []
    known = frame["complete"].copy()
    for name in covariates:
        known &= frame[name].notna()
    comp = frame[known]
    evaluable = frame[frame["pct"].notna()]
    # one fit per pair of groups: the loop is over pairs, not over patients or days
    log = FitWarnings(f"ANCOVA by {by}")
    for a, b in combinations(labels, 2):
        sub = comp[comp["label"].isin([a, b])]
        n_a, n_b = int((sub["label"] == a).sum()), int((sub["label"] == b).sum())
        diff, lo, hi, p = (np.nan,) * 4
        if min(n_a, n_b) >= min_group_size:
            with log.watch(f"{a} vs {b}", "standard errors not computable"):
                diff, lo, hi, p = ancova(sub, a, covariates)
        risk = _risk_difference(evaluable, a, b, threshold, min_group_size, rd_interval)
        na, nb = risk.pop("n_evaluable_a"), risk.pop("n_evaluable_b")
        rows.append(
            {
                "group_by": by,
                "group_a": a,
                "group_b": b,
                "n_a": n_a,
                "n_b": n_b,
                "adjusted_difference": diff,
                "ci_low": lo,
                "ci_high": hi,
                "p_value": p,
                **risk,
                "reason": TOO_FEW_PATIENTS if min(n_a, n_b, na, nb) < min_group_size else "",
            }
        )
    log.report(stacklevel=4)
    return rows


def group_comparison(
    outcomes: pd.DataFrame,
    *,
    by: Grouping = "group",
    responder_threshold: float = 30.0,
    min_group_size: int = 5,
    adjust: Sequence[str] = (),
    rd_interval: Literal["newcombe", "wald"] = "newcombe",
) -> pd.DataFrame:
    """Baseline-adjusted follow-up difference and responder risk difference, every pair.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        :func:`analytics.stats.patient_outcomes`.
    by : {"group", "condition", "technique"}, default "group"
        Column that defines the groups; missing labels become ``"unassigned"``.
    responder_threshold : float, default 30.0
        % reduction that makes a responder (0-100).
    min_group_size : int, default 5
        Fewest patients in each group of a pair (``AnalysisSettings.min_group_size``):
        a smaller pair gets its counts and responder rates only, no difference,
        interval or p-value.
    adjust : sequence of str, optional
        Patient columns of ``outcomes`` the ANCOVA adjusts for besides the
        baseline (``age``, ``pain_duration_years`` as numbers; text columns such
        as ``sex``, ``condition``, ``clinician_id`` as factors). The ``by``
        column itself is skipped (it is constant within a group). Patients with
        a covariate missing are left out of the fit (not of the responder
        rates). Empty (default): baseline only, and no ``adjusted_for`` column.
    rd_interval : {"newcombe", "wald"}, default "newcombe"
        ``"wald"`` adds ``rd_wald_ci_low``, ``rd_wald_ci_high`` and
        ``rd_chi2_p_value`` (:func:`analytics.stats._adjusted.wald_risk_difference`)
        after the other columns, before ``adjusted_for``.

    Returns
    -------
    pandas.DataFrame
        One row per pair of labels ``group_a < group_b`` (sorted), columns:

        - ``group_by``, ``group_a``, ``group_b`` (str);
        - ``n_a``, ``n_b`` (int): patients with a valid baseline and follow-up;
        - ``adjusted_difference`` (float, NRS points): ANCOVA estimate of the mean
          follow-up pain of ``group_a`` minus ``group_b`` at equal baseline
          (negative = less pain in ``group_a``), with an unadjusted 95 % CI
          ``ci_low``, ``ci_high`` (t distribution, cut to [−10, 10]) and the
          unadjusted two-sided ``p_value`` that goes with it (the interval
          excludes 0 exactly when ``p_value`` < 0.05); NaN when a group has
          fewer than ``min_group_size`` complete patients or the design is
          singular;
        - ``ci_clipped`` (bool): the interval reached past ±10 points and was cut;
        - ``responder_rate_a``, ``responder_rate_b`` (fraction 0-1): over
          patients with a % change;
        - ``p_value_holm`` (float): ``p_value`` adjusted for the pairs of this
          ``by`` by Holm's step-down method (Holm 1979; equals statsmodels
          ``multipletests(method="holm")``); NaN where ``p_value`` is NaN;
        - ``risk_difference`` (fraction): ``responder_rate_a − responder_rate_b``
          with Newcombe's hybrid score 95 % CI ``rd_ci_low``, ``rd_ci_high``
          (:func:`newcombe_interval`);
        - ``nnt`` (float, patients): ``1/risk_difference``: positive = patients
          treated as ``group_a`` rather than ``group_b`` for one more responder,
          negative = number needed to harm; ``inf`` when the risk difference is
          exactly 0 and NaN when it is missing;
        - ``reason`` (str): ``"too_few_patients"`` (:data:`TOO_FEW_PATIENTS`)
          when a group of the pair has fewer than ``min_group_size`` complete
          (for the risk difference: evaluable) patients, so the differences,
          their intervals and p-values are NaN; else ``""``;
        - with ``rd_interval="wald"``: ``rd_wald_ci_low``, ``rd_wald_ci_high``
          (fraction) and ``rd_chi2_p_value``;
        - with ``adjust``: ``adjusted_for`` (str): the terms besides the group,
          comma-separated (``"baseline, age, sex"``); ``n_a``/``n_b`` then
          count the patients in the fit (baseline, follow-up and every
          covariate known).

    Raises
    ------
    ValueError
        When an option is invalid.

    Notes
    -----
    With ``by`` = condition or technique, patients flagged ``control`` in
    ``outcomes`` (waitlist, usual care, ...; see
    :func:`analytics.pipeline.per_patient`) are left out. The ANCOVA
    ``followup ~ C(group) + baseline [+ covariates]`` is fitted by OLS separately on
    the patients of each pair (statsmodels ``ols``), so a pair's estimate does not
    depend on the other groups. Vickers AJ, Altman DG. BMJ 2001;323:1123.
    Holm's family is the pairs with a p-value (a pair withheld for its size is
    not a test); ``ci_low``/``ci_high`` go with ``p_value``, not ``p_value_holm``.
    """
    func = "group_comparison"
    threshold = check_number(responder_threshold, "responder_threshold", func, 0.0, 100.0)
    check_int(min_group_size, "min_group_size", func, 2, None)
    check_choice(rd_interval, "rd_interval", func, ("newcombe", "wald"))
    covariates = [c for c in dict.fromkeys(adjust) if c != by]
    frame = _labelled(outcomes, by, func, covariates)
    rows = _pair_rows(frame, by, covariates, threshold, min_group_size, rd_interval)
    columns = list(COMPARISON_COLUMNS)
    columns += WALD_COLUMNS if rd_interval == "wald" else []
    columns += ["adjusted_for"] if adjust else []
    text = ("group_by", "group_a", "group_b", "reason", "adjusted_for")
    if not rows:
        return _empty(columns, text)
    out = pd.DataFrame(rows, columns=columns)
    low, high, clipped = _on_scale(out["ci_low"], out["ci_high"])
    out["ci_low"], out["ci_high"], out["ci_clipped"] = low, high, clipped
    out["p_value_holm"] = holm(out["p_value"])
    if adjust:
        out["adjusted_for"] = ", ".join(["baseline", *covariates])
    return _typed(out, text)
