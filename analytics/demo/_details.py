"""What a simulated clinic's rows hold besides the daily pain.

The sessions of the scheduled course (time of day, technique, points and needles,
pain before and after, adverse events, notes) and the optional diary columns (worst
pain, PEG items, sleep, mood, stress, analgesics, opioid MME, notes, the kind of
headache of a headache-condition patient's day), drawn from the
simulated pain of :func:`analytics.demo.generate_clinic`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.contract import BODY_REGIONS
from analytics.contract.schema import CONDITIONS

__all__ = ["ARMS", "round_clip", "session_frame", "diary_items", "headache_marks"]

#: Treatment arms of ``truth.technique``: (arm, session technique, frequency_hz).
ARMS = (
    ("manual", "manual", None),
    ("electro_low", "electro", "2"),
    ("electro_high", "electro", "100"),
    ("electro_mixed", "electro", "2/100"),
)
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


def round_clip(x: np.ndarray, low: float = 0.0, high: float = 10.0) -> np.ndarray:
    """Round to whole points and clip to the scale (0-10 unless told)."""
    return np.clip(np.round(x), low, high)


def session_frame(
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
    before = round_clip(base[s_pat] - e_prev - prev_dip + gen.normal(0, 0.8, ns))
    drop = round_clip(1.5 * dip_amp[s_pat] + gen.normal(0, 0.7, ns), 0, 3)
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


def diary_items(
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

    worst = round_clip(pain_r + 1 + gen.poisson(0.8, m))
    worst = row_nan(worst, patient_flag(0.6), 0.05)
    has_peg = patient_flag(1 / 3)
    enjoy = row_nan(round_clip(0.85 * pain_r + 0.5 + gen.normal(0, 1.0, m)), has_peg, 0.03)
    activity = row_nan(round_clip(0.9 * pain_r + 0.3 + gen.normal(0, 1.0, m)), has_peg, 0.03)
    has_wellbeing = patient_flag(0.85)
    sleep = row_nan(round_clip(8.5 - 0.55 * pain_r + gen.normal(0, 1.0, m)), has_wellbeing, 0.05)
    mood = row_nan(round_clip(8.0 - 0.45 * pain_r + gen.normal(0, 1.0, m)), has_wellbeing, 0.05)
    stress = row_nan(round_clip(1.0 + 0.6 * pain_r + gen.normal(0, 1.1, m)), has_wellbeing, 0.05)
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


#: Regions where each condition's pain usually is (a patient keeps each with the
#: probability given, one side where a region is named "side_...") and, for every
#: patient of the condition, how likely the others are on a bad day.
_REGION_POOLS: dict[str, tuple[dict[str, float], float]] = {
    "chronic_low_back_pain": (
        {"low_back": 1.0, "side_hip": 0.6, "side_upper_leg": 0.4, "side_lower_leg": 0.3},
        0.01,
    ),
    "neck_pain": ({"neck": 1.0, "upper_back": 0.6, "side_shoulder": 0.6}, 0.01),
    "osteoarthritis": (
        {"l_hip": 0.5, "r_hip": 0.5, "l_lower_leg": 0.6, "r_lower_leg": 0.6, "low_back": 0.4},
        0.01,
    ),
    "rheumatoid_arthritis": (
        {
            "l_lower_arm": 0.9,
            "r_lower_arm": 0.9,
            "l_shoulder": 0.5,
            "r_shoulder": 0.5,
            "l_lower_leg": 0.6,
            "r_lower_leg": 0.6,
        },
        0.02,
    ),  # fmt: skip
    "migraine": ({"neck": 0.7, "side_jaw": 0.3}, 0.005),
    "tension_type_headache": (
        {"neck": 1.0, "l_shoulder": 0.6, "r_shoulder": 0.6, "upper_back": 0.5, "side_jaw": 0.3},
        0.005,
    ),
    "fibromyalgia": ({code: 0.8 for code in BODY_REGIONS}, 0.05),
    "neuropathic_pain": ({"l_lower_leg": 0.9, "r_lower_leg": 0.9, "side_lower_arm": 0.3}, 0.01),
    "musculoskeletal_pain": (
        {"side_shoulder": 0.8, "side_upper_arm": 0.5, "side_lower_arm": 0.4},
        0.01,
    ),
    "post_surgical_pain": ({"side_hip": 0.5, "abdomen": 0.4, "side_lower_leg": 0.4}, 0.01),
}


def body_regions(
    gen: np.random.Generator, ri: np.ndarray, cond: np.ndarray, pain_r: np.ndarray
) -> np.ndarray:
    """Simulate the body regions marked on the recorded rows (``ri``: patient of each row).

    Each patient keeps the usual regions of the condition (:data:`_REGION_POOLS`,
    one side for a one-sided region); about 85 % of the patients fill in the map,
    on about 90 % of their days. A usual region is marked with a probability that
    rises with the day's pain (0.25 + 0.07 × pain), any other with the condition's
    small chance × pain / 10; a day with no region marked stays empty. Returns the
    ``;``-joined codes (or None) per row.
    """
    n, m = len(cond), len(ri)
    codes = list(BODY_REGIONS)
    usual = np.zeros((n, len(codes)))
    other = np.zeros(n)
    sides = gen.choice(np.array(["l_", "r_"]), size=n)
    for i in range(n):  # per patient (not patient-day): its usual regions
        pool, other[i] = _REGION_POOLS[CONDITIONS[cond[i]]]
        keep = gen.random(len(pool))
        for (name, prob), u in zip(pool.items(), keep, strict=True):
            code = sides[i] + name.removeprefix("side_") if name.startswith("side_") else name
            usual[i, codes.index(code)] = 1.0 if u < prob else 0.0
    uses_map = (gen.random(n) < 0.85)[ri] & (gen.random(m) < 0.9)
    pain = np.nan_to_num(pain_r, nan=0.0)[:, None]
    prob = np.where(
        usual[ri] > 0, np.clip(0.25 + 0.07 * pain, 0, 0.97), other[ri][:, None] * pain / 10
    )
    marks = (gen.random((m, len(codes))) < prob) & uses_map[:, None]
    text = np.full(m, "", dtype=object)
    for k, code in enumerate(codes):  # per region: 19 vectorised joins
        text = np.where(marks[:, k], np.where(text == "", code, text + ";" + code), text)
    text[text == ""] = None
    return text


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


def headache_marks(
    gen: np.random.Generator, diary: pd.DataFrame, patients: pd.DataFrame
) -> pd.Series:
    """Mark each day of a headache-condition patient ``none``, ``headache`` or ``migraine``.

    A day is a headache day with probability (pain − 2) / 6 cut to [0.05, 0.95], so
    that the days fall as the pain does (about 19 a month at pain 6, 7 at pain 3.5);
    a migraine patient's headache day is a migraine with probability (pain − 3) / 5
    cut to [0.1, 0.9], a tension-type headache never is. Other patients' days stay
    empty. Two uniform numbers are drawn per diary row whoever the patient is, so the
    draws do not depend on the conditions.

    Returns
    -------
    pandas.Series
        The ``headache`` column, aligned with ``diary`` (missing outside headache
        conditions).
    """
    u = gen.random(len(diary))
    v = gen.random(len(diary))
    condition = diary["patient_id"].map(patients.set_index("patient_id")["condition"])
    condition = condition.astype("str").to_numpy(dtype=object)
    pain = diary["pain"].to_numpy(dtype="float64")
    head = u < np.clip((pain - 2) / 6, 0.05, 0.95)
    p_migraine = np.where(condition == "migraine", np.clip((pain - 3) / 5, 0.1, 0.9), 0.0)
    kind = np.where(head & (v < p_migraine), "migraine", np.where(head, "headache", "none"))
    marked = np.isin(condition, ("migraine", "tension_type_headache"))
    return pd.Series(kind, index=diary.index, dtype="str").where(marked)
