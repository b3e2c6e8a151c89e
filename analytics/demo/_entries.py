"""Entries during the day of the demo clinic: flares, attacks and rescue medicines.

About :data:`FLARE_SHARE` of the patients whose condition comes in flares or attacks
(migraine, tension-type headache, rheumatoid arthritis, fibromyalgia, low back pain) log
them as they happen, on days they also log their daily entry. A flare is likelier before
treatment than after it, in proportion to the patient's simulated benefit
(``truth.csv``); most flares name a rescue medicine, and most of those say two hours
later whether it helped. A few patients add ordinary entries during the day too. The
entries come from a random stream of their own, so adding them leaves the other files
byte-identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.contract import ENTRIES, empty_entries, index_dates

__all__ = ["demo_entries", "FLARE_CONDITIONS", "FLARE_SHARE"]

#: Conditions of the demo patients who may log flares or attacks.
FLARE_CONDITIONS = (
    "migraine",
    "tension_type_headache",
    "rheumatoid_arthritis",
    "fibromyalgia",
    "chronic_low_back_pain",
)
#: Share of the patients with such a condition who log flares.
FLARE_SHARE = 0.7
#: Chance of a flare on a logged day before treatment.
_FLARE_CHANCE = 0.18
#: Chance of an ordinary entry during a logged day.
_EXTRA_CHANCE = 0.04
#: Rescue medicines the demo patients take (all offered by Log today).
_RESCUE = ("ibuprofen", "paracetamol", "naproxen", "diclofenac", "tramadol")
#: Stream number that keeps the entries' random draws apart from the clinic's.
_STREAM = 22


def _benefit(truth: pd.DataFrame) -> pd.Series:
    """Share of the baseline pain the treatment removes at most, per patient (0 when it worsens)."""
    share = (truth["true_emax"] / truth["true_baseline"].where(truth["true_baseline"] > 0)).fillna(
        0
    )
    return share.clip(0, 0.8).where(~truth["worsens"].astype("bool"), 0.0)


def demo_entries(clinic: dict[str, pd.DataFrame], *, seed: int) -> pd.DataFrame:
    """Generate the entries during the day of a generated clinic.

    Parameters
    ----------
    clinic : dict of str to pandas.DataFrame
        As returned by :func:`analytics.demo.generate_clinic` (``patients``, ``diary``,
        ``sessions``, ``truth``).
    seed : int
        The clinic's seed; the entries use a stream of their own derived from it.

    Returns
    -------
    pandas.DataFrame
        The canonical ``entries`` frame: flares with a time, pain a few points above the
        day's, a duration (minutes) and mostly a rescue medicine and its answer; and a
        few ordinary entries.
    """
    gen = np.random.default_rng([seed, _STREAM])
    patients = clinic["patients"]
    index = index_dates(patients, clinic["sessions"])
    truth = clinic["truth"].set_index("patient_id")
    benefit = _benefit(truth)
    diary = clinic["diary"].sort_values(["patient_id", "date"], kind="stable")
    conditions = patients.set_index("patient_id")["condition"].astype("str")
    rows: list[tuple[object, ...]] = []
    for pid, days in diary.groupby("patient_id", sort=True):
        logs = gen.random() < FLARE_SHARE and conditions.get(pid, "") in FLARE_CONDITIONS
        if not logs:
            continue
        headache = conditions[pid] in ("migraine", "tension_type_headache")
        start = index.get(pid, pd.NaT)
        treated = (
            (days["date"] >= start).to_numpy() if pd.notna(start) else np.zeros(len(days), bool)
        )
        chance = _FLARE_CHANCE * np.where(treated, 1 - float(benefit.get(pid, 0.0)), 1.0)
        draws = gen.random((len(days), 8))
        for (day, pain), flare, d in zip(
            days[["date", "pain"]].itertuples(index=False, name=None),
            draws[:, 0] < chance,
            draws,
            strict=True,
        ):
            if flare:
                rows.append(_flare(str(pid), day, float(pain), d, headache))
            elif d[1] < _EXTRA_CHANCE:
                hour, minute = 8 + int(d[2] * 13), 5 * int(d[3] * 12)
                level = float(np.clip(round(pain + (d[4] - 0.5) * 3), 0, 10))
                rows.append((pid, day, f"{hour:02d}:{minute:02d}", level, "no", pd.NA, None, None))
    if not rows:
        return empty_entries()
    names = [c for c in ENTRIES.column_names if c != "notes"]
    frame = pd.DataFrame(rows, columns=names).assign(notes=None)
    frame = frame.astype({c.name: c.dtype for c in ENTRIES.columns})
    return frame.sort_values(list(ENTRIES.key), kind="stable").reset_index(drop=True)


def _flare(pid: str, day: pd.Timestamp, pain: float, d: np.ndarray, headache: bool) -> tuple:
    """One flare from eight uniform draws ``d``: its time, pain, duration and rescue medicine."""
    hour, minute = 7 + int(d[2] * 15), 5 * int(d[3] * 12)
    level = float(min(10, round(pain + 2 + 2 * d[4])))
    median = 240 if headache else 120  # attacks last hours; other flares an hour or two
    duration = int(5 * round(median * float(np.exp((d[5] - 0.5) * 2)) / 5))
    medicine, helped = None, None
    if d[6] < 0.75:
        medicine = _RESCUE[int(d[7] * len(_RESCUE))]
        if d[1] < 0.85:  # answered "Did it help?" two hours later
            helped = "yes" if d[6] < 0.35 else ("a_little" if d[6] < 0.6 else "no")
    return (pid, day, f"{hour:02d}:{minute:02d}", level, "yes", duration, medicine, helped)
