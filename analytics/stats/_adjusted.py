"""The ANCOVA of follow-up pain between two groups, with or without patient covariates.

One fit serves every comparison: ``followup ~ group + baseline`` (DOMAIN.md section
4) and, when a clinic asks for it, ``followup ~ group + baseline + covariates``
(Vickers AJ, Altman DG. Analysing controlled trials with baseline and follow up
measurements. BMJ 2001;323:1123). Also the Wald interval of a risk difference and
the Pearson χ² test that go with it, offered beside Newcombe's interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

__all__ = ["ancova", "covariate_design", "wald_risk_difference"]


def covariate_design(frame: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    """Give the design columns of the covariates: numbers as they are, text as factors.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per patient, holding every column of ``covariates`` with no
        missing value.
    covariates : sequence of str
        Column names. A numeric column enters as one column; any other column is a
        factor: one indicator column per level except the first in sorted order
        (treatment coding, as ``C(column)`` in a statsmodels formula).

    Returns
    -------
    numpy.ndarray
        ``len(frame)`` rows; no column when ``covariates`` is empty.
    """
    parts = [np.empty((len(frame), 0))]
    for name in covariates:
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            parts.append(values.to_numpy("float64").reshape(-1, 1))
            continue
        text = values.astype("str").to_numpy()
        levels = sorted(set(text))[1:]
        parts.append(
            np.column_stack([(text == lv).astype("float64") for lv in levels] or [parts[0]])
        )
    return np.column_stack(parts)


def ancova(
    sub: pd.DataFrame, a: str, covariates: Sequence[str] = ()
) -> tuple[float, float, float, float]:
    """Estimate the adjusted difference a − b of follow-up pain, its 95 % CI and p.

    Parameters
    ----------
    sub : pandas.DataFrame
        The patients of two groups, columns ``label`` (the group), ``baseline``,
        ``followup`` and every column of ``covariates``, none missing.
    a : str
        The label whose follow-up comes first in the difference.
    covariates : sequence of str, optional
        Patient columns adjusted for besides the baseline (see
        :func:`covariate_design`).

    Returns
    -------
    (difference, ci_low, ci_high, p_value) : tuple of float
        The OLS coefficient of the indicator of ``a`` in ``followup ~ group +
        baseline + covariates``, its t-based 95 % interval and two-sided p. All
        NaN with fewer patients than parameters plus one, a single group, or a
        singular design (a covariate that repeats the group, for one); the
        interval and p alone are NaN when their standard error is not finite.

    Notes
    -----
    Equals ``statsmodels.formula.api.ols("followup ~ C(label, Treatment(b)) +
    baseline + age + C(sex) + ...")`` (the tests check it on a published trial).
    """
    x = np.column_stack(
        [
            np.ones(len(sub)),
            (sub["label"] == a).to_numpy("float64"),
            sub["baseline"].to_numpy("float64"),
            covariate_design(sub, covariates),
        ]
    )
    y = sub["followup"].to_numpy("float64")
    n_params = x.shape[1]
    if (
        len(sub) < max(4, n_params + 1)
        or sub["label"].nunique() < 2
        or np.linalg.matrix_rank(x) < n_params
    ):
        return (np.nan,) * 4
    res = sm.OLS(y, x).fit()
    ci = res.conf_int(0.05)
    out = (float(res.params[1]), float(ci[1, 0]), float(ci[1, 1]), float(res.pvalues[1]))
    if not np.isfinite(out[1:]).all():
        return (out[0], np.nan, np.nan, np.nan)
    return out


def wald_risk_difference(
    count_a: int, nobs_a: int, count_b: int, nobs_b: int, *, alpha: float = 0.05
) -> tuple[float, float, float]:
    """Give the Wald interval of p_a − p_b and the Pearson χ² p-value of the 2×2 table.

    Parameters
    ----------
    count_a, nobs_a, count_b, nobs_b : int
        Responders and patients in each group.
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    (low, high, p_value) : tuple of float
        ``d ± z·√(p_a(1−p_a)/n_a + p_b(1−p_b)/n_b)`` (statsmodels
        ``confint_proportions_2indep(method="wald")``) and the χ² test without
        continuity correction (``scipy.stats.chi2_contingency(correction=False)``,
        the pooled two-proportion z-test squared). NaN when a group is empty; the
        p-value is NaN when nobody or everybody responded.

    Notes
    -----
    Trials often report these; Newcombe's interval stays the default because
    the Wald interval collapses to a point at 0 or n responders (Newcombe RG.
    Stat Med 1998;17:873).
    """
    from scipy.stats import chi2_contingency
    from statsmodels.stats.proportion import confint_proportions_2indep

    if nobs_a <= 0 or nobs_b <= 0:
        return (np.nan, np.nan, np.nan)
    low, high = confint_proportions_2indep(
        count_a, nobs_a, count_b, nobs_b, method="wald", compare="diff", alpha=alpha
    )
    responders = count_a + count_b
    p = np.nan
    if 0 < responders < nobs_a + nobs_b:
        table = [[count_a, nobs_a - count_a], [count_b, nobs_b - count_b]]
        p = float(chi2_contingency(table, correction=False)[1])
    return float(low), float(high), p
