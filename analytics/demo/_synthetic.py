"""A deterministic, realistic demo clinic: pain diaries, acupuncture sessions, truth.

:func:`generate_clinic` simulates a chronic-pain clinic whose patients keep a daily
pain diary (DOMAIN.md section 3) and, for most of them, receive a course of
acupuncture (section 2). The simulated response is heterogeneous and known
exactly, so the analytics can be checked against ``truth``:

* a flat pre-treatment level ``B`` (the *true baseline*), 14-28 diary days before the
  index date;
* a cumulative benefit that saturates with the number of sessions received,
  ``E(k) = Emax * k / (k50 + k)`` (the Emax dose-response of DOMAIN.md section 4);
* a short-term dip after every session, ``a * exp(-(t - s) / tau)`` points, that
  fades over a few days;
* about half of the acupuncture patients respond (>= 30 % reduction; simulated
  40-75 %), the others barely change (0-18 %), a few worsen (-15 to -35 %);
  dense-disperse electroacupuncture (2/100 Hz) responds slightly more often and
  more strongly than the other techniques;
* a waitlist group (about 1 patient in 6) with an explicit start date, no sessions
  and a small drift (0-10 %);
* day-to-day noise: AR(1) with lag-1 correlation 0.3 and SD 0.7-0.9 points, pain
  recorded as integers 0-10, days missed (adherence 55-98 %, less at weekends);
* sleep and mood fall and stress rises with pain, PEG items for a third of the
  patients, analgesic doses and opioid MME that fall as pain falls;
* three deliberate edge cases: a too-short baseline, a single session and a
  diary gap of three weeks or more;
* a few notes that exercise CSV quoting and formula-injection neutralisation.

Run ``python -m analytics.demo --seed 2026 --patients 60 --out sample_data``
to regenerate the committed sample clinic.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from analytics.checks import check_int
from analytics.contract import Dataset
from analytics.contract.schema import CONDITIONS, TABLES, dtypes
from analytics.io import write_dataset

__all__ = [
    "ARMS",
    "EDGE_CASES",
    "TRUTH_COLUMNS",
    "generate_clinic",
    "write_clinic",
    "shift_dates",
    "freshen_demo",
    "main",
]

#: Treatment arms of ``truth.technique``: (arm, session technique, frequency_hz).
ARMS = (
    ("manual", "manual", None),
    ("electro_low", "electro", "2"),
    ("electro_high", "electro", "100"),
    ("electro_mixed", "electro", "2/100"),
)
#: Values of ``truth.edge_case`` (besides missing).
EDGE_CASES = ("short_baseline", "single_session", "long_gap")
#: Columns of the ``truth`` frame.
TRUTH_COLUMNS = [
    "patient_id",
    "group",
    "condition",
    "technique",
    "frequency_hz",
    "true_baseline",
    "true_emax",
    "true_k50",
    "true_pct_change",
    "responder",
    "worsens",
    "edge_case",
]

_FUNC = "generate_clinic"
_WINDOW = 14  # days of the baseline and follow-up windows the analytics use (DOMAIN.md 4)
_MAX_DAYS = 200  # longest diary when n_days is not fixed
_AR_PHI = 0.3  # lag-1 autocorrelation of the daily noise
_CONDITION_WEIGHTS = {
    "chronic_low_back_pain": 0.22,
    "neck_pain": 0.12,
    "osteoarthritis": 0.14,
    "rheumatoid_arthritis": 0.05,
    "migraine": 0.10,
    "tension_type_headache": 0.07,
    "fibromyalgia": 0.08,
    "neuropathic_pain": 0.07,
    "musculoskeletal_pain": 0.10,
    "post_surgical_pain": 0.05,
}
# Point prescriptions per condition; midline (GV) points have no side.
_POINTS = {
    "chronic_low_back_pain": ("BL23", "BL25", "BL40", "GB30", "GV4", "KI3", "BL60"),
    "neck_pain": ("GB20", "GB21", "SI3", "BL10", "TE5", "LI4", "GV14"),
    "osteoarthritis": ("ST35", "ST36", "SP9", "GB34", "SP10", "ST34", "LR3"),
    "rheumatoid_arthritis": ("LI4", "LI11", "ST36", "SP6", "TE5", "GB34", "LR3"),
    "migraine": ("GB20", "GB8", "TE5", "LR3", "GV20", "GB41", "LI4"),
    "tension_type_headache": ("GB20", "GV20", "LI4", "LR3", "GB21", "BL10", "TE5"),
    "fibromyalgia": ("LI4", "LR3", "ST36", "SP6", "GB34", "HT7", "PC6"),
    "neuropathic_pain": ("ST36", "SP6", "KI3", "LR3", "BL60", "GB39", "LI4"),
    "musculoskeletal_pain": ("LI15", "SI9", "TE14", "LI4", "GB34", "ST38", "LI11"),
    "post_surgical_pain": ("LI4", "PC6", "ST36", "SP6", "LR3", "GV20", "ST25"),
}
_EXTRA_POINTS = ("LI4", "ST36", "SP6", "LR3", "PC6", "GV20", "GB34")
# Responder probability and extra % reduction of responders per arm (index as ARMS).
_RESPONDER_P = np.array([0.40, 0.50, 0.50, 0.65])
_ARM_BONUS = np.array([0.0, 2.0, 2.0, 5.0])
# Opioid regimens as MME/day with CDC 2022 factors: tramadol 50 mg (x0.2), oxycodone
# 10 mg (x1.5), hydrocodone 20 mg, oxycodone 15 mg, tramadol 150 mg, codeine 240 mg
# (x0.15), tapentadol 100 mg (x0.4), oxycodone 30 mg, morphine 60 mg.
_MME = np.array([10.0, 15.0, 20.0, 22.5, 30.0, 36.0, 40.0, 45.0, 60.0])
_ADVERSE = np.array(["soreness", "bruising", "bleeding", "dizziness"])
_ADVERSE_P = np.array([0.45, 0.30, 0.20, 0.05])
_DIARY_NOTES = np.array(
    [
        "good day",
        "slept badly",
        "walked 30 min",
        "flare-up after gardening",
        "busy at work",
        "took a warm bath",
        "rainy, stiff in the morning",
        "did my exercises",
    ]
)
# Always placed (once each) so CSV quoting and the formula-injection round trip are exercised.
_TRICKY_NOTES = (
    "pain in back, hips, and knees",
    'physio said "keep moving"',
    "long day.\nbetter in the evening",
    "-2 after walk",
    "=better than last week",
)
_SESSION_NOTES = np.array(
    [
        "de qi achieved",
        "cupping added",
        "heat lamp on lower back",
        "moxibustion at ST36",
        "exercise advice given",
        "nervous at first, relaxed after 5 min",
    ]
)


def _end_date(value: Any) -> np.datetime64:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if not isinstance(value, (str, dt.date)) or pd.isna(ts):
        raise ValueError(
            f"The 'end_date' parameter of {_FUNC} must be a date or a 'YYYY-MM-DD' string. "
            f"Got {value!r} instead."
        )
    return np.datetime64(ts.date(), "D")


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 of datetime64[D] values (1970-01-01 was a Thursday)."""
    return (days.astype(np.int64) + 3) % 7


def _group_starts(counts: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _round_clip(x: np.ndarray, low: float = 0.0, high: float = 10.0) -> np.ndarray:
    return np.clip(np.round(x), low, high)


def _choose_edge_cases(gen: np.random.Generator, acu: np.ndarray) -> dict[str, int]:
    if len(acu) < 8:
        return {}
    picks = gen.choice(acu, size=len(EDGE_CASES), replace=False)
    return dict(zip(EDGE_CASES, (int(p) for p in picks), strict=True))


def generate_clinic(
    n_patients: int = 60,
    *,
    rng: int | np.random.Generator | None = 0,
    end_date: str | dt.date = "2026-10-31",
    n_days: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Simulate a clinic: canonical patients, diary and sessions frames plus the truth.

    Parameters
    ----------
    n_patients : int, default 60
        Number of patients, 1 to 1,000,000. About one in six is on the waitlist;
        the three edge cases are simulated when there are at least 8 acupuncture
        patients.
    rng : int, numpy.random.Generator or None, default 0
        Seed or generator (``numpy.random.default_rng(rng)``). The same seed and
        options give identical frames.
    end_date : str or datetime.date, default "2026-10-31"
        Latest possible diary day. Each diary ends 0-45 days (plus at most 2 days
        to put the index date on a weekday) before it. Fixed rather than "today"
        so the output is reproducible.
    n_days : int, optional
        Diary length in days for every patient, 90 to 3650 (e.g. 365 for the scale
        benchmark). Default: 90-200 days, long enough for the patient's course.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``patients``, ``diary``, ``sessions``: canonical frames with exactly the
        columns and dtypes of :mod:`analytics.contract.schema`, sorted by their key.
        ``truth``: one row per patient, sorted by patient_id, with columns

        - ``patient_id`` (str)
        - ``group`` (str): ``acupuncture`` or ``waitlist``
        - ``condition`` (str): one of :data:`analytics.contract.schema.CONDITIONS`
        - ``technique`` (str): ``manual``, ``electro_low`` (2 Hz), ``electro_high``
          (100 Hz), ``electro_mixed`` (2/100 Hz) or ``none`` (waitlist)
        - ``frequency_hz`` (str): ``2``, ``100``, ``2/100``; missing otherwise
        - ``true_baseline`` (float, points): the simulated pre-treatment level ``B``
        - ``true_emax`` (float, points): maximal cumulative effect; positive = less
          pain, negative for patients who worsen, 0 on the waitlist
        - ``true_k50`` (float, sessions): sessions to half the maximal effect; NaN
          on the waitlist
        - ``true_pct_change`` (float, %): ``100 * (B - F) / B`` where ``F`` is the
          mean noise-free pain over the last 14 days of the diary (cumulative effect,
          residual post-session dips and the waitlist drift included)
        - ``responder`` (bool): ``true_pct_change >= 30``
        - ``worsens`` (bool): simulated to get worse (``true_pct_change < 0``)
        - ``edge_case`` (str): ``short_baseline`` (3 diary days before the index),
          ``single_session``, ``long_gap`` (21+ days without entries after the
          index, outside both 14-day windows) or missing

    Raises
    ------
    ValueError
        When a parameter is out of range.

    Notes
    -----
    Pain on day ``t`` (days from the index date ``t0``) of an acupuncture patient is
    ``y_t = clip(round(B - Emax * k_t / (k50 + k_t) - a * exp(-(t - s_t) / tau)
    + e_t), 0, 10)`` with ``k_t`` the number of sessions on or before ``t``,
    ``s_t`` the latest of them and ``e_t`` AR(1) noise. ``Emax`` is solved from a
    drawn target so that ``true_pct_change`` equals it over the last 14 days
    (exactly, unless the noise-free pain had to be clipped to 0-10) (``Emax = (p B / 100 - mean dip) / mean(k / (k50 + k))``), which keeps
    responders (40-75 %) and non-responders (<= 18 %) away from the 30 %
    threshold. Sessions are weekly for the first 4-8, then fortnightly, on
    weekdays between 08:00 and 17:30; the last one is at least 7 days before the
    diary ends. Everything is computed on a patients x days grid; there is no
    Python loop over patient-days.

    Examples
    --------
    >>> clinic = generate_clinic(12, rng=1)
    >>> sorted(clinic)
    ['diary', 'patients', 'sessions', 'truth']
    >>> len(clinic["patients"])
    12
    """
    n = check_int(n_patients, "n_patients", _FUNC, 1, 1_000_000)
    end = _end_date(end_date)
    if n_days is not None:
        n_days = check_int(n_days, "n_days", _FUNC, 90, 3650)
    gen = np.random.default_rng(rng)

    # ---------------------------------------------------------------- patients
    n_wait = int(round(n / 6))
    waitlist = np.zeros(n, dtype=bool)
    waitlist[gen.choice(n, size=n_wait, replace=False)] = True
    acu = np.flatnonzero(~waitlist)
    n_cond = len(CONDITIONS)
    weights = np.array([_CONDITION_WEIGHTS[c] for c in CONDITIONS])
    cond = np.concatenate(
        [np.arange(min(n, n_cond)), gen.choice(n_cond, size=max(n - n_cond, 0), p=weights)]
    )
    cond = gen.permutation(cond)
    arm = np.full(n, -1)
    arm[acu] = gen.permutation(np.resize(np.arange(len(ARMS)), len(acu)))
    sex = gen.choice(np.array(["F", "M", "X", "U"]), size=n, p=[0.60, 0.37, 0.02, 0.01])
    birth_year = gen.integers(1940, 2001, size=n)
    clinician = gen.choice(
        np.array(["C01", "C02", "C03", "C04"]), size=n, p=[0.35, 0.30, 0.20, 0.15]
    )

    # response class: 0 non-responder, 1 responder, 2 worsens, 3 waitlist. Responders are
    # a fixed share of each arm (not Bernoulli draws) so the technique differences are
    # visible even in a 60-patient clinic.
    edges = _choose_edge_cases(gen, acu)
    cls = np.where(waitlist, 3, 0)
    n_worse = int(round(0.06 * len(acu)))
    if len(acu) >= 20:
        n_worse = max(n_worse, 2)
    candidates = np.setdiff1d(acu, list(edges.values()))
    cls[gen.choice(candidates, size=min(n_worse, len(candidates)), replace=False)] = 2
    for a in range(len(ARMS)):  # four arms, not a loop over patients
        members = np.flatnonzero(arm == a)
        eligible = members[(cls[members] == 0) & (members != edges.get("single_session", -1))]
        n_resp = min(int(round(_RESPONDER_P[a] * len(members))), len(eligible))
        cls[gen.permutation(eligible)[:n_resp]] = 1
    target = np.select(
        [cls == 1, cls == 0, cls == 2],
        [
            gen.uniform(40.0, 70.0, n) + _ARM_BONUS[np.maximum(arm, 0)],
            gen.uniform(0.0, 18.0, n),
            gen.uniform(-35.0, -15.0, n),
        ],
        default=gen.uniform(0.0, 10.0, n),  # waitlist drift
    )
    base = gen.uniform(4.5, 8.0, n)
    noise_sd = gen.uniform(0.7, 0.9, n)
    adherence = gen.uniform(0.55, 0.98, n)
    k50 = np.where(waitlist, np.nan, gen.uniform(1.0, 4.0, n))
    dip_amp = np.where(waitlist, 0.0, gen.uniform(0.3, 1.2, n))
    dip_tau = gen.uniform(1.0, 2.5, n)
    baseline_days = gen.integers(14, 29, size=n)
    tail_days = gen.integers(7, 29, size=n)
    days_target = gen.integers(90, _MAX_DAYS + 1, size=n) if n_days is None else np.full(n, n_days)
    end_offset = gen.integers(0, 46, size=n)

    # ---------------------------------------------------------------- session schedule
    n_sess = np.where(waitlist, 0, gen.integers(6, 17, size=n))
    n_weekly = gen.integers(4, 9, size=n)
    if "short_baseline" in edges:
        baseline_days[edges["short_baseline"]] = 3
    if "single_session" in edges:
        n_sess[edges["single_session"]] = 1
    s_pat = np.repeat(np.arange(n), n_sess)
    s_k = np.arange(len(s_pat)) - np.repeat(_group_starts(n_sess), n_sess)  # 0-based number
    gap = np.where(s_k == 0, 0, np.where(s_k < n_weekly[s_pat], 7, 14))
    cum = np.cumsum(gap)
    s_off = cum - cum[np.repeat(_group_starts(n_sess), n_sess)]
    jitter = gen.choice(np.array([-1, 0, 1]), size=len(s_pat), p=[0.1, 0.8, 0.1])
    s_off = s_off + np.where(s_k == 0, 0, jitter)
    last_off = np.zeros(n, dtype=np.int64)
    np.maximum.at(last_off, s_pat, s_off)
    if n_days is None:
        need = baseline_days + last_off + 1 + tail_days + 1
        diary_days = np.minimum(np.maximum(days_target, need), _MAX_DAYS)
        if "long_gap" in edges:
            i = edges["long_gap"]
            diary_days[i] = min(max(diary_days[i], baseline_days[i] + 100), _MAX_DAYS)
    else:
        diary_days = days_target
    # dates: index on a weekday (shift the whole diary back by 1-2 days if needed)
    end_i = end - end_offset.astype("timedelta64[D]")
    index0 = end_i - (diary_days - 1 - baseline_days).astype("timedelta64[D]")
    wd = _weekday(index0)
    shift = np.where(wd == 5, 1, np.where(wd == 6, 2, 0)).astype("timedelta64[D]")
    index = index0 - shift
    start = index - baseline_days.astype("timedelta64[D]")
    post = diary_days - baseline_days  # diary days from the index date on
    # sessions: move weekend days to Friday / Monday, keep >= 7 days after the last one
    s_wd = _weekday(index[s_pat] + s_off.astype("timedelta64[D]"))
    s_off = s_off + np.where(s_wd == 5, -1, np.where(s_wd == 6, 1, 0))
    keep = s_off <= post[s_pat] - 8
    keep[s_k == 0] = True
    s_pat, s_off = s_pat[keep], s_off[keep]
    n_sess = np.bincount(s_pat, minlength=n)
    s_k = np.arange(len(s_pat)) - np.repeat(_group_starts(n_sess), n_sess)

    # ---------------------------------------------------------------- latent pain on a grid
    width = int(diary_days.max())
    j = np.arange(width)
    valid = j < diary_days[:, None]
    t = j - baseline_days[:, None]  # days from the index date
    got = np.zeros((n, width), dtype=np.int32)
    got[s_pat, baseline_days[s_pat] + s_off] = 1
    k_t = np.cumsum(got, axis=1)
    last_s = np.maximum.accumulate(np.where(got == 1, j, -(10**6)), axis=1)
    dip = dip_amp[:, None] * np.exp(-(j - last_s) / dip_tau[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(k_t > 0, k_t / (k50[:, None] + k_t), 0.0)
    last_window = valid & (j >= diary_days[:, None] - _WINDOW)
    mean_frac = np.where(last_window, frac, 0.0).sum(axis=1) / _WINDOW
    mean_dip = np.where(last_window, dip, 0.0).sum(axis=1) / _WINDOW
    with np.errstate(invalid="ignore", divide="ignore"):
        emax = (target / 100.0 * base - mean_dip) / mean_frac
    emax = np.where(cls == 0, np.maximum(emax, 0.0), emax)
    emax = np.where(waitlist, 0.0, emax)
    drift = (
        (base * target / 100.0)[:, None] * np.clip(t, 0, None) / np.maximum(post - 1, 1)[:, None]
    )
    latent = np.where(
        waitlist[:, None],
        base[:, None] - drift,
        base[:, None] - emax[:, None] * frac - dip,
    )
    latent = np.clip(latent, 0.0, 10.0)
    cumulative = np.where(waitlist[:, None], latent, base[:, None] - emax[:, None] * frac)
    del drift, frac, got, k_t, last_s, dip
    follow = np.where(last_window, latent, 0.0).sum(axis=1) / _WINDOW
    pct = 100.0 * (base - follow) / base

    z = gen.standard_normal((n, width))
    z[:, 0] /= np.sqrt(1 - _AR_PHI**2)
    noise = (
        lfilter([1.0], [1.0, -_AR_PHI], z, axis=1) * (noise_sd * np.sqrt(1 - _AR_PHI**2))[:, None]
    )
    pain = _round_clip(latent + noise)
    del z, noise

    # ---------------------------------------------------------------- which days are recorded
    weekend = _weekday(start.astype(np.int64)[:, None] + j) >= 5
    p_rec = adherence[:, None] - np.where(weekend, 0.12, 0.0)
    del weekend
    in_windows = ((t >= -_WINDOW) & (t < 0)) | last_window
    p_rec = np.where(in_windows, np.maximum(p_rec, 0.85), p_rec)
    rec = (gen.random((n, width)) < p_rec) & valid
    rec[:, 0] = True
    rec[np.arange(n), diary_days - 1] = True
    if "short_baseline" in edges:
        rec[edges["short_baseline"], : baseline_days[edges["short_baseline"]]] = True
    if "long_gap" in edges:
        i = edges["long_gap"]
        gap_start = int(baseline_days[i] + 14 + gen.integers(0, 8))
        gap_len = int(min(21 + gen.integers(0, 8), diary_days[i] - _WINDOW - 1 - gap_start))
        rec[i, gap_start : gap_start + gap_len] = False

    # ---------------------------------------------------------------- diary rows
    ri, rj = np.nonzero(rec)  # row-major: sorted by patient, then date
    pain_r = pain[ri, rj]
    lat_r = latent[ri, rj]
    cum_r = cumulative[ri, rj]
    del pain, latent, cumulative, rec

    items = _diary_items(gen, ri, pain_r, lat_r, cum_r, base)
    ids = pd.array([f"P{i:0{max(3, len(str(n)))}d}" for i in range(1, n + 1)], dtype="str")
    diary = pd.DataFrame(
        {
            "patient_id": ids.take(ri),
            "date": (start[ri] + rj.astype("timedelta64[D]")),
            "pain": pain_r,
            **items,
        }
    )

    # ---------------------------------------------------------------- sessions
    sessions = _session_frame(
        gen,
        ids=ids,
        s_pat=s_pat,
        s_k=s_k,
        s_off=s_off,
        index=index,
        emax=emax,
        k50=k50,
        base=base,
        dip_amp=dip_amp,
        dip_tau=dip_tau,
        cond=cond,
        arm=arm,
        clinician=clinician,
    )

    # ---------------------------------------------------------------- patients and truth
    first_session = index  # every acupuncture course starts on the index date
    explicit = ~waitlist & (gen.random(n) < 0.15)
    start_date = np.where(waitlist | explicit, first_session, np.datetime64("NaT", "D"))
    group = np.where(waitlist, "waitlist", "acupuncture")
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "condition": np.array(CONDITIONS)[cond],
            "group": group,
            "start_date": start_date,
            "sex": sex,
            "birth_year": pd.array(birth_year, dtype="Int64"),
            "clinician_id": clinician,
        }
    )
    edge = np.full(n, None, dtype=object)
    for name, i in edges.items():
        edge[i] = name
    truth = pd.DataFrame(
        {
            "patient_id": ids,
            "group": group,
            "condition": np.array(CONDITIONS)[cond],
            "technique": np.array([a[0] for a in ARMS] + ["none"])[arm],
            "frequency_hz": np.array([a[2] for a in ARMS] + [None], dtype=object)[arm],
            "true_baseline": base,
            "true_emax": emax,
            "true_k50": k50,
            "true_pct_change": pct,
            "responder": pct >= 30.0,
            "worsens": cls == 2,
            "edge_case": edge,
        }
    )
    truth = truth.astype(
        {
            c: "str"
            for c in ("patient_id", "group", "condition", "technique", "frequency_hz", "edge_case")
        }
    )
    return {
        "patients": _canonical(patients, "patients"),
        "diary": _canonical(diary, "diary"),
        "sessions": _canonical(sessions, "sessions"),
        "truth": truth,
    }


def _session_frame(
    gen: np.random.Generator,
    *,
    ids: pd.api.extensions.ExtensionArray,
    s_pat: np.ndarray,
    s_k: np.ndarray,
    s_off: np.ndarray,
    index: np.ndarray,
    emax: np.ndarray,
    k50: np.ndarray,
    base: np.ndarray,
    dip_amp: np.ndarray,
    dip_tau: np.ndarray,
    cond: np.ndarray,
    arm: np.ndarray,
    clinician: np.ndarray,
) -> pd.DataFrame:
    """Session rows (not yet canonical) of the scheduled sessions.

    ``s_pat`` is the patient, ``s_k`` the 0-based session number and ``s_off`` the
    day from the index date of each session; the other arrays are per patient.
    pain_before is the noise-free pain just before the session (effect of the
    previous sessions and what is left of the last dip) plus noise; pain_after is
    0-3 points lower, more for a patient with a large post-session dip. Both are
    missing at a few sessions; about 8 % of sessions have an adverse event.
    """
    n, ns = len(base), len(s_pat)
    prev_off = np.where(s_k > 0, np.roll(s_off, 1), 0)
    k_prev = s_k  # sessions received before this one
    e_prev = emax[s_pat] * k_prev / (k50[s_pat] + k_prev)
    prev_dip = np.where(s_k > 0, dip_amp[s_pat] * np.exp(-(s_off - prev_off) / dip_tau[s_pat]), 0.0)
    before = _round_clip(base[s_pat] - e_prev - prev_dip + gen.normal(0, 0.8, ns))
    drop = _round_clip(1.5 * dip_amp[s_pat] + gen.normal(0, 0.7, ns), 0, 3)
    after = np.maximum(before - drop, 0.0)
    u = gen.random(ns)
    before = np.where(u < 0.08, np.nan, before)
    after = np.where(u < 0.12, np.nan, after)
    ae_first = gen.choice(_ADVERSE, size=ns, p=_ADVERSE_P)
    ae_second = gen.choice(_ADVERSE, size=ns, p=_ADVERSE_P)
    two = (gen.random(ns) < 0.1) & (ae_first != ae_second)
    ae = np.where(two, np.char.add(np.char.add(ae_first, ";"), ae_second), ae_first).astype(object)
    ae[gen.random(ns) >= 0.08] = None
    slot = gen.integers(0, 20, size=n)  # usual half-hour slot 08:00-17:30
    slot_s = np.where(gen.random(ns) < 0.7, slot[s_pat], gen.integers(0, 20, size=ns))
    when = (index[s_pat] + s_off.astype("timedelta64[D]")).astype("datetime64[m]") + (
        480 + 30 * slot_s
    ).astype("timedelta64[m]")
    retention = gen.choice(np.array([15, 20, 25, 30]), size=n)
    ret_s = np.clip(
        retention[s_pat] + gen.choice(np.array([-5, 0, 0, 0, 0, 0, 5]), size=ns), 15, 30
    )
    points, needles = _prescriptions(gen, cond)
    variant = (gen.random(ns) < 0.3).astype(int)
    s_notes = np.full(ns, None, dtype=object)
    noted = np.flatnonzero(gen.random(ns) < 0.12)
    s_notes[noted] = gen.choice(_SESSION_NOTES, size=len(noted))
    arm_s = arm[s_pat]
    return pd.DataFrame(
        {
            "patient_id": ids.take(s_pat),
            "date": when,
            "technique": np.array([a[1] for a in ARMS], dtype=object)[arm_s],
            "frequency_hz": np.array([a[2] for a in ARMS], dtype=object)[arm_s],
            "points": points[s_pat, variant],
            "needles": pd.array(needles[s_pat, variant], dtype="Int64"),
            "retention_min": pd.array(ret_s, dtype="Int64"),
            "pain_before": before,
            "pain_after": after,
            "adverse_events": ae,
            "practitioner": clinician[s_pat],
            "notes": s_notes,
        }
    )


def _diary_items(
    gen: np.random.Generator,
    ri: np.ndarray,
    pain_r: np.ndarray,
    lat_r: np.ndarray,
    cum_r: np.ndarray,
    base: np.ndarray,
) -> dict[str, Any]:
    """Simulate the optional diary columns of the recorded rows (``ri``: patient of each row).

    Sleep and mood fall and stress rises with the recorded pain; PEG items for about a
    third of the patients; analgesic doses follow the noise-free pain ``lat_r`` and
    opioid MME is halved once the cumulative benefit ``cum_r`` reaches 35 %.
    """
    n, m = len(base), len(ri)

    def patient_flag(p: float) -> np.ndarray:
        return (gen.random(n) < p)[ri]

    def row_nan(values: np.ndarray, has: np.ndarray, p_missing: float) -> np.ndarray:
        keep_r = has & (gen.random(m) >= p_missing)
        return np.where(keep_r, values, np.nan)

    worst = _round_clip(pain_r + 1 + gen.poisson(0.8, m))
    worst = row_nan(worst, patient_flag(0.6), 0.05)
    has_peg = patient_flag(1 / 3)
    enjoy = row_nan(_round_clip(0.85 * pain_r + 0.5 + gen.normal(0, 1.0, m)), has_peg, 0.03)
    activity = row_nan(_round_clip(0.9 * pain_r + 0.3 + gen.normal(0, 1.0, m)), has_peg, 0.03)
    has_wellbeing = patient_flag(0.85)
    sleep = row_nan(_round_clip(8.5 - 0.55 * pain_r + gen.normal(0, 1.0, m)), has_wellbeing, 0.05)
    mood = row_nan(_round_clip(8.0 - 0.45 * pain_r + gen.normal(0, 1.0, m)), has_wellbeing, 0.05)
    stress = row_nan(_round_clip(1.0 + 0.6 * pain_r + gen.normal(0, 1.1, m)), has_wellbeing, 0.05)
    dose_rate = gen.uniform(0.5, 3.5, n)[ri] * (np.maximum(lat_r, 0.0) / base[ri]) ** 1.5
    doses = np.minimum(gen.poisson(dose_rate), 6).astype(float)
    doses = row_nan(doses, patient_flag(0.8), 0.04)
    opioid_user = gen.random(n) < 0.3
    mme_base = gen.choice(_MME, size=n)
    benefit = 1.0 - cum_r / base[ri]  # share of the cumulative benefit, no daily dip
    mme = np.where(opioid_user[ri], mme_base[ri] * np.where(benefit >= 0.35, 0.5, 1.0), 0.0)
    mme = row_nan(mme, patient_flag(0.85) | opioid_user[ri], 0.04)
    notes = np.full(m, None, dtype=object)
    noted = np.flatnonzero(gen.random(m) < 0.04)
    notes[noted] = gen.choice(_DIARY_NOTES, size=len(noted))
    tricky_rows = gen.choice(m, size=min(len(_TRICKY_NOTES), m), replace=False)
    notes[np.sort(tricky_rows)] = _TRICKY_NOTES[: len(tricky_rows)]

    return {
        "worst_pain": worst,
        "enjoyment_interference": enjoy,
        "activity_interference": activity,
        "sleep_quality": sleep,
        "mood": mood,
        "stress": stress,
        "analgesic_doses": pd.array(doses, dtype="Int64"),
        "opioid_mme": mme,
        "notes": notes,
    }


def _prescriptions(gen: np.random.Generator, cond: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per patient two point prescriptions (usual, usual + one point) and their needle counts.

    A loop over patients (not patient-days): each picks 4-7 points of its condition,
    bilateral (2 needles), or one side (-L / -R, 1 needle); midline GV points take 1.
    """
    n = len(cond)
    points = np.empty((n, 2), dtype=object)
    needles = np.empty((n, 2), dtype=np.int64)
    n_points = gen.integers(4, 8, size=n)
    for i in range(n):
        pool = _POINTS[CONDITIONS[cond[i]]]
        chosen = list(gen.choice(pool, size=n_points[i], replace=False))
        extra = [p for p in _EXTRA_POINTS if p not in chosen]
        chosen_plus = chosen + [str(gen.choice(extra))]
        side = gen.choice(np.array(["", "", "", "-L", "-R"]), size=len(chosen_plus))
        codes = [p if p.startswith("GV") else p + s for p, s in zip(chosen_plus, side, strict=True)]
        count = [
            1 if (p.startswith("GV") or s) else 2 for p, s in zip(chosen_plus, side, strict=True)
        ]
        points[i, 0] = ";".join(codes[:-1])
        points[i, 1] = ";".join(codes)
        needles[i, 0] = sum(count[:-1])
        needles[i, 1] = sum(count)
    return points, needles


def _canonical(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Cast to the contract's dtypes and sort by the table's key."""
    spec = TABLES[table]
    # optional columns the generator does not draw (e.g. a named medication) stay empty
    out = frame.reindex(columns=spec.column_names).astype(dtypes(table))
    return out.sort_values(list(spec.key), kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------- writing


def write_clinic(clinic: dict[str, pd.DataFrame], directory: str | os.PathLike[str]) -> list[Path]:
    """Write a generated clinic as ``patients.csv``, ``diary.csv``, ``sessions.csv``, ``truth.csv``.

    The three contract files are written by :func:`analytics.io.write_dataset`
    (contract format, formula-injection neutralisation included); ``truth.csv`` is
    plain CSV (full float precision, ``True``/``False``, empty cell when missing).

    Parameters
    ----------
    clinic : dict of str to pandas.DataFrame
        As returned by :func:`generate_clinic`.
    directory : path
        Created when missing; existing files are overwritten.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    base = Path(directory)
    base.mkdir(parents=True, exist_ok=True)
    write_dataset(
        Dataset(patients=clinic["patients"], diary=clinic["diary"], sessions=clinic["sessions"]),
        base,
    )
    clinic["truth"].to_csv(base / "truth.csv", index=False, lineterminator="\n")
    return [base / f for f in ("patients.csv", "diary.csv", "sessions.csv", "truth.csv")]


# ------------------------------------------------------------------------- command line


def shift_dates(dataset: Dataset, days: int) -> Dataset:
    """Move every date of a dataset by ``days`` (start dates, diary days, session times).

    Everything relative — baselines, follow-up, session windows, weekdays when
    ``days`` is a multiple of 7 — is unchanged; the input is not modified.

    Examples
    --------
    >>> from analytics.io import load_dataset
    >>> ds = load_dataset("sample_data")
    >>> moved = shift_dates(ds, 7)
    >>> int((moved.diary["date"] - ds.diary["date"]).dt.days.unique()[0])
    7
    """
    check_int(days, "days", "shift_dates", -36500, 36500)
    delta = pd.Timedelta(days=days)
    patients = dataset.patients.copy()
    patients["start_date"] = patients["start_date"] + delta
    diary = dataset.diary.copy()
    diary["date"] = diary["date"] + delta
    sessions = dataset.sessions.copy()
    sessions["date"] = sessions["date"] + delta
    return dataclasses.replace(dataset, patients=patients, diary=diary, sessions=sessions)


def freshen_demo(dataset: Dataset, *, today: dt.date | None = None) -> tuple[Dataset, int]:
    """Move a demo clinic forward by whole weeks so its latest diary day is in the past week.

    The committed sample clinic ends on a fixed date so that it is reproducible;
    a demo opened weeks later would show every patient as having stopped logging.
    ``paindiary init-demo`` therefore shifts it by the largest number of whole weeks
    that keeps the latest diary day before ``today`` (weekdays, and with them the
    weekend pattern of missed days, are kept). Nothing is moved when the data are
    already recent or empty.

    Returns
    -------
    (Dataset, int)
        The shifted dataset and the shift in days (a multiple of 7, >= 0).
    """
    today = dt.date.today() if today is None else today
    if not len(dataset.diary):
        return dataset, 0
    last = dataset.diary["date"].max().date()
    weeks = ((today - dt.timedelta(days=1)) - last).days // 7
    if weeks <= 0:
        return dataset, 0
    return shift_dates(dataset, 7 * weeks), 7 * weeks


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m analytics.demo --seed N --patients N --out DIR [--end-date D] [--days N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m analytics.demo",
        description="Generate a deterministic demo clinic (patients.csv, diary.csv, sessions.csv "
        "and truth.csv) in OUT_DIR.",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--patients", type=int, default=60, help="number of patients (default 60)")
    parser.add_argument("--out", metavar="OUT_DIR", required=True, help="output directory")
    parser.add_argument(
        "--end-date",
        default="2026-10-31",
        metavar="YYYY-MM-DD",
        help="latest diary day (default 2026-10-31)",
    )
    parser.add_argument(
        "--days", type=int, default=None, help="diary length for every patient (default 90-200)"
    )
    args = parser.parse_args(argv)
    try:
        clinic = generate_clinic(
            args.patients, rng=args.seed, end_date=args.end_date, n_days=args.days
        )
    except ValueError as exc:
        parser.exit(1, f"error: {exc}\n")
    for path in write_clinic(clinic, args.out):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
