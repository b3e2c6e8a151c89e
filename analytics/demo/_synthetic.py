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

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from analytics.checks import check_int
from analytics.contract.schema import CONDITIONS, TABLES, dtypes
from analytics.demo._details import (
    ARMS,
    body_regions,
    diary_items,
    headache_marks,
    round_clip,
    session_frame,
)

__all__ = ["EDGE_CASES", "TRUTH_COLUMNS", "generate_clinic"]

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
# Responder probability and extra % reduction of responders per arm (index as ARMS).
_RESPONDER_P = np.array([0.40, 0.50, 0.50, 0.65])
_ARM_BONUS = np.array([0.0, 2.0, 2.0, 5.0])


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
        columns and dtypes of :mod:`analytics.contract.schema`, sorted by their key;
        a migraine or tension-type headache patient's diary days carry ``headache``
        (:func:`analytics.demo._details.headache_marks`), others leave it empty.
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
    # the steps draw from ``gen`` in this order: the same seed gives the same clinic
    p = _draw_patients(gen, n, n_days)
    plan = _schedule(gen, p, end, n_days)
    grid = _simulate_diary(gen, p, plan)

    ids = pd.array([f"P{i:0{max(3, len(str(n)))}d}" for i in range(1, n + 1)], dtype="str")
    diary = _diary_frame(gen, ids, p, plan, grid)
    sessions = session_frame(
        gen,
        ids=ids,
        s_pat=plan.s_pat,
        s_k=plan.s_k,
        s_off=plan.s_off,
        index=plan.index,
        emax=grid.emax,
        k50=p.k50,
        base=p.base,
        dip_amp=p.dip_amp,
        dip_tau=p.dip_tau,
        cond=p.cond,
        arm=p.arm,
        clinician=p.clinician,
    )
    patients, truth = _patients_and_truth(gen, p, plan, grid, ids)
    patients = _course_ends(patients, diary, sessions, end, worsens=p.cls == 2)
    # drawn last (headache marks, then body regions): every earlier draw stays as it was
    diary["headache"] = headache_marks(gen, diary, patients)
    diary["body_regions"] = body_regions(gen, grid.ri, p.cond, grid.pain)
    tables = {"patients": patients, "diary": diary, "sessions": sessions}
    return {**{k: _canonical(v, k) for k, v in tables.items()}, "truth": truth}


@dataclass
class _Patients:
    """The per-patient draws of a simulated clinic (arrays of length ``n``)."""

    waitlist: np.ndarray
    cond: np.ndarray  # index into CONDITIONS
    arm: np.ndarray  # index into ARMS; -1 on the waitlist
    sex: np.ndarray
    birth_year: np.ndarray
    clinician: np.ndarray
    edges: dict[str, int]  # edge case -> its patient
    cls: np.ndarray  # 0 non-responder, 1 responder, 2 worsens, 3 waitlist
    target: np.ndarray  # drawn % change over the last 14 days
    base: np.ndarray  # true baseline, points
    noise_sd: np.ndarray
    adherence: np.ndarray
    k50: np.ndarray
    dip_amp: np.ndarray
    dip_tau: np.ndarray
    baseline_days: np.ndarray
    tail_days: np.ndarray
    days_target: np.ndarray
    end_offset: np.ndarray


def _draw_patients(gen: np.random.Generator, n: int, n_days: int | None) -> _Patients:
    """Draw the patients: group, condition, arm, response class and course parameters.

    Responders are a fixed share of each arm (not Bernoulli draws) so the technique
    differences are visible even in a 60-patient clinic.
    """
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
    edges = _choose_edge_cases(gen, acu)
    cls = _response_classes(gen, waitlist, acu, arm, edges)
    target = np.select(
        [cls == 1, cls == 0, cls == 2],
        [
            gen.uniform(40.0, 70.0, n) + _ARM_BONUS[np.maximum(arm, 0)],
            gen.uniform(0.0, 18.0, n),
            gen.uniform(-35.0, -15.0, n),
        ],
        default=gen.uniform(0.0, 10.0, n),  # waitlist drift
    )
    return _Patients(
        waitlist=waitlist,
        cond=cond,
        arm=arm,
        sex=sex,
        birth_year=birth_year,
        clinician=clinician,
        edges=edges,
        cls=cls,
        target=target,
        base=gen.uniform(4.5, 8.0, n),
        noise_sd=gen.uniform(0.7, 0.9, n),
        adherence=gen.uniform(0.55, 0.98, n),
        k50=np.where(waitlist, np.nan, gen.uniform(1.0, 4.0, n)),
        dip_amp=np.where(waitlist, 0.0, gen.uniform(0.3, 1.2, n)),
        dip_tau=gen.uniform(1.0, 2.5, n),
        baseline_days=gen.integers(14, 29, size=n),
        tail_days=gen.integers(7, 29, size=n),
        days_target=(
            gen.integers(90, _MAX_DAYS + 1, size=n) if n_days is None else np.full(n, n_days)
        ),
        end_offset=gen.integers(0, 46, size=n),
    )


def _response_classes(
    gen: np.random.Generator,
    waitlist: np.ndarray,
    acu: np.ndarray,
    arm: np.ndarray,
    edges: dict[str, int],
) -> np.ndarray:
    """Draw who worsens and who responds: 6 % worsen, a share of each arm responds."""
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
    return cls


@dataclass
class _Schedule:
    """When each diary runs and the sessions happen.

    Per session: ``s_pat`` (its patient), ``s_k`` (0-based number) and ``s_off`` (day
    from the index date). Per patient: ``diary_days``, ``index`` and ``start`` (dates),
    ``post`` (diary days from the index date on) and ``baseline_days``.
    """

    s_pat: np.ndarray
    s_k: np.ndarray
    s_off: np.ndarray
    diary_days: np.ndarray
    baseline_days: np.ndarray
    index: np.ndarray
    start: np.ndarray
    post: np.ndarray


def _schedule(
    gen: np.random.Generator, p: _Patients, end: np.datetime64, n_days: int | None
) -> _Schedule:
    """Schedule the sessions and place each diary so that its index date is a weekday.

    Weekly sessions for the first 4-8, then fortnightly; the diary is long enough for
    the course and a tail after it (unless ``n_days`` fixes its length).
    """
    n, edges = len(p.base), p.edges
    baseline_days = p.baseline_days.copy()
    n_sess = np.where(p.waitlist, 0, gen.integers(6, 17, size=n))
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
        need = baseline_days + last_off + 1 + p.tail_days + 1
        diary_days = np.minimum(np.maximum(p.days_target, need), _MAX_DAYS)
        if "long_gap" in edges:
            i = edges["long_gap"]
            diary_days[i] = min(max(diary_days[i], baseline_days[i] + 100), _MAX_DAYS)
    else:
        diary_days = p.days_target
    # dates: index on a weekday (shift the whole diary back by 1-2 days if needed)
    end_i = end - p.end_offset.astype("timedelta64[D]")
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
    return _Schedule(s_pat, s_k, s_off, diary_days, baseline_days, index, start, post)


@dataclass
class _Diary:
    """The recorded diary days: patient ``ri`` and day ``rj`` of each row, its pain.

    ``pain`` is the recorded (noisy, whole-point) pain, ``latent`` the noise-free
    pain and ``cumulative`` the pain without the post-session dips. Per patient:
    ``emax`` (points) and ``pct`` (the true % change over the last 14 days).
    """

    ri: np.ndarray
    rj: np.ndarray
    pain: np.ndarray
    latent: np.ndarray
    cumulative: np.ndarray
    emax: np.ndarray
    pct: np.ndarray


def _simulate_diary(gen: np.random.Generator, p: _Patients, plan: _Schedule) -> _Diary:
    """Simulate pain on a patients x days grid and keep the days that were recorded.

    Emax is solved so that the noise-free change over the last 14 days equals the
    drawn target; AR(1) noise is added and the pain rounded to whole points. Days
    are missed at the patient's adherence (less at weekends, more kept in the two
    windows); the edge cases get their short baseline and long gap.
    """
    n, edges = len(p.base), p.edges
    diary_days, baseline_days, waitlist, base = (
        plan.diary_days,
        plan.baseline_days,
        p.waitlist,
        p.base,
    )
    width = int(diary_days.max())
    j = np.arange(width)
    valid = j < diary_days[:, None]
    t = j - baseline_days[:, None]  # days from the index date
    got = np.zeros((n, width), dtype=np.int32)
    got[plan.s_pat, baseline_days[plan.s_pat] + plan.s_off] = 1
    k_t = np.cumsum(got, axis=1)
    last_s = np.maximum.accumulate(np.where(got == 1, j, -(10**6)), axis=1)
    dip = p.dip_amp[:, None] * np.exp(-(j - last_s) / p.dip_tau[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(k_t > 0, k_t / (p.k50[:, None] + k_t), 0.0)
    last_window = valid & (j >= diary_days[:, None] - _WINDOW)
    mean_frac = np.where(last_window, frac, 0.0).sum(axis=1) / _WINDOW
    mean_dip = np.where(last_window, dip, 0.0).sum(axis=1) / _WINDOW
    with np.errstate(invalid="ignore", divide="ignore"):
        emax = (p.target / 100.0 * base - mean_dip) / mean_frac
    emax = np.where(p.cls == 0, np.maximum(emax, 0.0), emax)
    emax = np.where(waitlist, 0.0, emax)
    drift = (
        (base * p.target / 100.0)[:, None]
        * np.clip(t, 0, None)
        / np.maximum(plan.post - 1, 1)[:, None]
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
        lfilter([1.0], [1.0, -_AR_PHI], z, axis=1) * (p.noise_sd * np.sqrt(1 - _AR_PHI**2))[:, None]
    )
    pain = round_clip(latent + noise)
    del z, noise

    # which days are recorded
    weekend = _weekday(plan.start.astype(np.int64)[:, None] + j) >= 5
    p_rec = p.adherence[:, None] - np.where(weekend, 0.12, 0.0)
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

    ri, rj = np.nonzero(rec)  # row-major: sorted by patient, then date
    return _Diary(ri, rj, pain[ri, rj], latent[ri, rj], cumulative[ri, rj], emax, pct)


def _diary_frame(
    gen: np.random.Generator,
    ids: pd.api.extensions.ExtensionArray,
    p: _Patients,
    plan: _Schedule,
    grid: _Diary,
) -> pd.DataFrame:
    """Build the diary rows (not yet canonical): the recorded pain and the other columns."""
    items = diary_items(gen, grid.ri, grid.pain, grid.latent, grid.cumulative, p.base)
    return pd.DataFrame(
        {
            "patient_id": ids.take(grid.ri),
            "date": (plan.start[grid.ri] + grid.rj.astype("timedelta64[D]")),
            "pain": grid.pain,
            **items,
        }
    )


def _patients_and_truth(
    gen: np.random.Generator,
    p: _Patients,
    plan: _Schedule,
    diary: _Diary,
    ids: pd.api.extensions.ExtensionArray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the patients rows (not yet canonical) and the truth frame."""
    n, waitlist = len(p.base), p.waitlist
    first_session = plan.index  # every acupuncture course starts on the index date
    explicit = ~waitlist & (gen.random(n) < 0.15)
    start_date = np.where(waitlist | explicit, first_session, np.datetime64("NaT", "D"))
    group = np.where(waitlist, "waitlist", "acupuncture")
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "condition": np.array(CONDITIONS)[p.cond],
            "group": group,
            "start_date": start_date,
            "sex": p.sex,
            "birth_year": pd.array(p.birth_year, dtype="Int64"),
            "clinician_id": p.clinician,
        }
    )
    edge = np.full(n, None, dtype=object)
    for name, i in p.edges.items():
        edge[i] = name
    truth = pd.DataFrame(
        {
            "patient_id": ids,
            "group": group,
            "condition": np.array(CONDITIONS)[p.cond],
            "technique": np.array([a[0] for a in ARMS] + ["none"])[p.arm],
            "frequency_hz": np.array([a[2] for a in ARMS] + [None], dtype=object)[p.arm],
            "true_baseline": p.base,
            "true_emax": diary.emax,
            "true_k50": p.k50,
            "true_pct_change": diary.pct,
            "responder": diary.pct >= 30.0,
            "worsens": p.cls == 2,
            "edge_case": edge,
        }
    )
    truth = truth.astype(
        {
            c: "str"
            for c in ("patient_id", "group", "condition", "technique", "frequency_hz", "edge_case")
        }
    )
    return patients, truth


#: A course whose last session (a waitlist patient: last diary day) is this many days
#: before the clinic's last day has ended: the demo's former patients.
COURSE_ENDED_AFTER_DAYS = 28
#: Fewer sessions than this and the course ended by dropping out, else it was completed.
COURSE_COMPLETED_SESSIONS = 6


def _course_ends(
    patients: pd.DataFrame,
    diary: pd.DataFrame,
    sessions: pd.DataFrame,
    end: np.datetime64,
    *,
    worsens: np.ndarray,
) -> pd.DataFrame:
    """End the courses of the patients who finished weeks before the clinic's last day.

    Worked out from the simulated rows, drawing nothing (the rest of the clinic is
    unchanged): a patient whose last session (waitlist: last diary day) is at least
    :data:`COURSE_ENDED_AFTER_DAYS` days before ``end`` ended the course on that day,
    "completed" after :data:`COURSE_COMPLETED_SESSIONS` sessions or more, else
    "dropped_out" (a waitlist patient completed the waiting period). A patient
    simulated as worsening is not discharged: their course stays open, for the
    clinic to look at.
    """
    pid = patients["patient_id"].astype("str")
    s_day = pd.to_datetime(sessions["date"]).dt.normalize()
    last_session = s_day.groupby(sessions["patient_id"].astype("str")).max().reindex(pid)
    n_sessions = sessions.groupby(sessions["patient_id"].astype("str")).size().reindex(pid)
    last_diary = pd.to_datetime(diary["date"]).groupby(diary["patient_id"].astype("str")).max()
    last = last_session.fillna(last_diary.reindex(pid))
    ended = ((pd.Timestamp(end) - last).dt.days >= COURSE_ENDED_AFTER_DAYS) & ~worsens
    completed = n_sessions.fillna(0).to_numpy() >= COURSE_COMPLETED_SESSIONS
    waitlist = (patients["group"] == "waitlist").to_numpy()
    reason = np.where(completed | waitlist, "completed", "dropped_out")
    out = patients.copy()
    out["course_end"] = last.where(ended).to_numpy()
    out["course_end_reason"] = pd.Series(reason, index=out.index).where(ended.to_numpy())
    return out


def _canonical(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Cast to the contract's dtypes and sort by the table's key."""
    spec = TABLES[table]
    # optional columns the generator does not draw (e.g. a named medication) stay empty
    out = frame.reindex(columns=spec.column_names).astype(dtypes(table))
    return out.sort_values(list(spec.key), kind="stable").reset_index(drop=True)
