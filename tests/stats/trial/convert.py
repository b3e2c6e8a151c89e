"""Convert the Vickers 2004 acupuncture-for-headache trial to the paindiary CSV files.

Source
------
Vickers AJ, Rees RW, Zollman CE, et al. Acupuncture for chronic headache in primary
care: large, pragmatic, randomised trial. BMJ 2004;328:744. The raw data of its 401
patients were published with Vickers AJ. Whose data set is it anyway? Sharing raw
data from randomized trials. Trials 2006;7:15 (doi:10.1186/1745-6215-7-15), an
open-access article distributed under the Creative Commons Attribution License
(CC BY 2.0), "to be used freely". ``vickers2004_headache.csv`` is that file as
redistributed in the public GitHub repository amydebrun/Missing-Data
(``acupuncture.csv``), with LF line ends.

Columns of the trial file: ``id``; ``age`` (years); ``sex`` (0/1); ``migraine`` (1 =
migraine, 0 = tension-type headache); ``chronicity`` (years of headache disorder);
``acupuncturist``; ``practice_id``; ``group`` (1 = acupuncture, 0 = usual care);
``pk1``, ``pk2``, ``pk5``: headache score at baseline, 3 months and 12 months
(empty when not returned); ``f1``, ``f2``, ``f5``: headache days (not used).

Conversion
----------
The headache score (0 to about 100) becomes diary pain on the 0-10 scale as
score / 10, so differences in diary points times 10 are differences in the paper's
score. Each patient starts on :data:`START` (the index date, day 0). The baseline
score is written on days −4..−1 (inside the default 14-day baseline window), the
3-month score on days 87..90 (the window of ``--followup-at 91``), the 12-month
score on days 361..364 (``--followup-at 365``): four equal entries, the default
fewest entries of a valid mean, so each window's mean is the score / 10.
``group`` becomes ``acupuncture`` or ``usual_care``; ``migraine`` the condition
``migraine`` or ``tension_type_headache``; ``sex`` 1 → F, 0 → M (a factor, so the
coding does not change an estimate); ``chronicity`` → ``pain_duration_years``;
``acupuncturist`` → ``clinician_id`` ``acupuncturist_N`` (the paper adjusts for
site, which is the acupuncturist: that reproduces its Table 2).

Run ``python -m tests.stats.trial.convert OUT_DIR`` to write the three files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["START", "TRIAL_FILE", "clinic_frames", "write_clinic"]

TRIAL_FILE = Path(__file__).with_name("vickers2004_headache.csv")
#: Index date of every patient (the trial ran 1999-2001; the diary only needs a past date).
START = pd.Timestamp("2000-01-03")
#: Diary days of each score, relative to the index date.
DAYS = {"pk1": range(-4, 0), "pk2": range(87, 91), "pk5": range(361, 365)}


def clinic_frames(trial_file: Path = TRIAL_FILE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give the patients and diary rows (CSV-shaped: text dates) of the trial file."""
    trial = pd.read_csv(trial_file)
    ids = "V" + trial["id"].astype("str")
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "condition": np.where(trial["migraine"] == 1, "migraine", "tension_type_headache"),
            "group": np.where(trial["group"] == 1, "acupuncture", "usual_care"),
            "start_date": START.strftime("%Y-%m-%d"),
            "sex": np.where(trial["sex"] == 1, "F", "M"),
            "birth_year": "",
            "clinician_id": "acupuncturist_" + trial["acupuncturist"].astype("str"),
            "age": trial["age"].astype("int64"),
            "pain_duration_years": trial["chronicity"],
        }
    )
    rows = []
    for score, days in DAYS.items():
        known = trial[score].notna()
        for day in days:
            rows.append(
                pd.DataFrame(
                    {
                        "patient_id": ids[known],
                        "date": (START + pd.Timedelta(days=day)).strftime("%Y-%m-%d"),
                        "pain": trial.loc[known, score] / 10.0,
                    }
                )
            )
    diary = pd.concat(rows).sort_values(["patient_id", "date"], kind="mergesort")
    return patients, diary


def write_clinic(out_dir: Path, trial_file: Path = TRIAL_FILE) -> Path:
    """Write patients.csv and diary.csv of the trial to ``out_dir``; return it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    patients, diary = clinic_frames(trial_file)
    patients.to_csv(out_dir / "patients.csv", index=False, lineterminator="\n")
    diary.to_csv(out_dir / "diary.csv", index=False, lineterminator="\n")
    return out_dir


if __name__ == "__main__":
    print(write_clinic(Path(sys.argv[1])))
