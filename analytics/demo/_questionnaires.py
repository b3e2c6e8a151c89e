"""Questionnaire answers of the demo clinic: baseline and sessions 6 and 12 of most treated patients.

The answers follow each patient's simulated benefit (``truth.csv``): the share of the
baseline pain the Emax curve has removed by session k, ``f = emax·k / (k50 + k) / baseline``
(negative for the patients who worsen), drives how far the PSFS ability rises, how far
the PHQ-4 items fall and which PGIC answer is given, each with noise. They come from a
random stream of their own, so adding them leaves the other files byte-identical.

Migraine and tension-type headache patients also answer the headache-days questions at
the same time points; their counts are read from their own diary (days marked with a
headache in the 28 days up to the answer, and of those the days with an analgesic, an
opioid or a named medicine), so they take no random draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.contract import INSTRUMENTS, QUESTIONNAIRES, empty_answers

__all__ = ["demo_answers", "ANSWERED_SHARE", "DEMO_TIME_POINTS"]

#: Share of treated patients who answer the questionnaires at all.
ANSWERED_SHARE = 0.85
#: Session numbers after which the demo patients answer again (besides baseline).
DEMO_TIME_POINTS = (6, 12)
#: Stream number that keeps the answers' random draws apart from the clinic's.
_STREAM = 21


def _benefit(truth: pd.Series, k: int) -> float:
    """Share of the baseline pain removed by session ``k`` (negative when the patient worsens)."""
    emax, k50, base = (float(truth[c]) for c in ("true_emax", "true_k50", "true_baseline"))
    if not np.isfinite(emax) or not np.isfinite(k50) or not base:
        return 0.0
    share = emax * k / (k50 + k) / base
    return -abs(share) if bool(truth["worsens"]) else share


def _pgic(share: float, gen: np.random.Generator) -> int:
    """Pick a PGIC answer (1 = very much improved … 7 = very much worse) for a benefit share."""
    cuts = [(0.5, 1), (0.3, 2), (0.1, 3), (-0.05, 4), (-0.2, 5)]
    answer = next((value for cut, value in cuts if share >= cut), 6)
    return int(np.clip(answer + gen.choice([-1, 0, 0, 0, 1]), 1, 7))


def _one_time_point(
    pid: str,
    day: pd.Timestamp,
    share: float,
    start: dict[str, float],
    gen: np.random.Generator,
    *,
    pgic: bool,
) -> list[tuple[str, pd.Timestamp, str, str, int]]:
    rows = []
    for item, level in start.items():
        if item.startswith("activity"):
            value = level + 10 * 0.7 * share + gen.normal(0, 0.8)
            rows.append((pid, day, "psfs", item, int(np.clip(round(value), 0, 10))))
        else:
            value = level * (1 - share) + gen.normal(0, 0.4)
            rows.append((pid, day, "phq4", item, int(np.clip(round(value), 0, 3))))
    if pgic:
        rows.append((pid, day, "pgic", "pgic", _pgic(share, gen)))
    return rows


#: Days a headache-days answer looks back over, the answer's own day included.
_HEADACHE_WINDOW_DAYS = 28


def _headache_rows(
    pid: str, diary: pd.DataFrame, days: list[pd.Timestamp]
) -> list[tuple[str, pd.Timestamp, str, str, int]]:
    """Headache-days answers of one patient on ``days``, counted from their diary."""
    marked = diary["headache"].notna() & diary["headache"].ne("none")
    treated = (
        diary["analgesic_doses"].fillna(0).gt(0)
        | diary["opioid_mme"].fillna(0).gt(0)
        | diary["medication"].notna()
    )
    rows = []
    for day in days:
        window = diary["date"].between(day - pd.Timedelta(days=_HEADACHE_WINDOW_DAYS - 1), day)
        head = int((window & marked).sum())
        medicine = int((window & marked & treated).sum())
        rows.append((pid, day, "headache_days", "headache_days", head))
        rows.append((pid, day, "headache_days", "medication_days", medicine))
    return rows


def demo_answers(clinic: dict[str, pd.DataFrame], *, seed: int) -> pd.DataFrame:
    """Simulate the questionnaire answers of a generated clinic.

    Parameters
    ----------
    clinic : dict of str to pandas.DataFrame
        As returned by :func:`analytics.demo.generate_clinic` (``sessions``, ``truth``).
    seed : int
        The clinic's seed; the answers use a stream of their own derived from it.

    Returns
    -------
    pandas.DataFrame
        The canonical ``questionnaires`` frame: PHQ-4 and PSFS the day before the
        first session, PHQ-4, PSFS and PGIC on the days of sessions 6 and 12, for
        about :data:`ANSWERED_SHARE` of the patients with sessions; migraine and
        tension-type headache patients among them also answer the headache-days
        questions on those days.
    """
    gen = np.random.default_rng([seed, _STREAM])
    sessions = clinic["sessions"].sort_values(["patient_id", "date"], kind="stable")
    truth = clinic["truth"].set_index("patient_id")
    headache = INSTRUMENTS["headache_days"].conditions
    conditions = clinic["patients"].set_index("patient_id")["condition"]
    diaries = dict(tuple(clinic["diary"].groupby("patient_id", sort=False)))
    phq4 = [item.id for item in INSTRUMENTS["phq4"].items]
    psfs = [item.id for item in INSTRUMENTS["psfs"].items]
    rows: list[tuple[str, pd.Timestamp, str, str, int]] = []
    for pid, days in sessions.groupby("patient_id", sort=True)["date"]:
        answers = gen.random() < ANSWERED_SHARE
        start = {item: float(gen.uniform(0.5, 2.5)) for item in phq4}
        start |= {item: float(gen.uniform(1.0, 5.0)) for item in psfs}
        if not answers or pid not in truth.index:
            continue
        dates = days.dt.normalize().to_numpy()
        answered = [pd.Timestamp(dates[0]) - pd.Timedelta(days=1)]
        rows += _one_time_point(str(pid), answered[0], 0.0, start, gen, pgic=False)
        for k in DEMO_TIME_POINTS:
            if len(dates) >= k:
                share = _benefit(truth.loc[pid], k)
                answered.append(pd.Timestamp(dates[k - 1]))
                rows += _one_time_point(str(pid), answered[-1], share, start, gen, pgic=True)
        if conditions.get(pid) in headache and pid in diaries:
            rows += _headache_rows(str(pid), diaries[pid], answered)
    if not rows:
        return empty_answers()
    frame = pd.DataFrame(rows, columns=QUESTIONNAIRES.column_names)
    frame = frame.astype({c.name: c.dtype for c in QUESTIONNAIRES.columns})
    return frame.sort_values(list(QUESTIONNAIRES.key), kind="stable").reset_index(drop=True)
