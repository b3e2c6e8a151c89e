"""A generated clinic on disk: its files, its dates moved, the command line.

:func:`write_clinic` writes the files of :func:`analytics.demo.generate_clinic`;
:func:`shift_dates` and :func:`freshen_demo` move a clinic's dates (``paindiary
init-demo`` keeps the demo recent); :func:`main` is ``python -m analytics.demo``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from analytics.checks import check_int
from analytics.contract import Dataset, empty_answers, empty_entries
from analytics.demo._entries import demo_entries
from analytics.demo._questionnaires import demo_answers
from analytics.demo._synthetic import generate_clinic
from analytics.io import write_dataset

__all__ = ["write_clinic", "shift_dates", "freshen_demo", "main"]


def write_clinic(clinic: dict[str, pd.DataFrame], directory: str | os.PathLike[str]) -> list[Path]:
    """Write a generated clinic as ``patients.csv``, ``diary.csv``, ``sessions.csv``, ``truth.csv``.

    With a ``questionnaires`` frame (:func:`demo_answers`) also ``questionnaires.csv``;
    with an ``entries`` frame (:func:`analytics.demo.demo_entries`) also ``entries.csv``.

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
    answers = clinic.get("questionnaires")
    entries = clinic.get("entries")
    write_dataset(
        Dataset(
            patients=clinic["patients"],
            diary=clinic["diary"],
            sessions=clinic["sessions"],
            questionnaires=empty_answers() if answers is None else answers,
            entries=empty_entries() if entries is None else entries,
        ),
        base,
    )
    clinic["truth"].to_csv(base / "truth.csv", index=False, lineterminator="\n")
    names = ["patients.csv", "diary.csv", "sessions.csv", "truth.csv"]
    if answers is not None and len(answers):
        names.insert(3, "questionnaires.csv")
    if entries is not None and len(entries):
        names.insert(-1, "entries.csv")
    return [base / f for f in names]


def shift_dates(dataset: Dataset, days: int) -> Dataset:
    """Move every date of a dataset by ``days`` (start dates, course ends, diary, sessions, answers).

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
    patients["course_end"] = patients["course_end"] + delta
    diary = dataset.diary.copy()
    diary["date"] = diary["date"] + delta
    sessions = dataset.sessions.copy()
    sessions["date"] = sessions["date"] + delta
    entries = dataset.entries.assign(date=dataset.entries["date"] + delta)
    answers = dataset.questionnaires.copy()
    answers["date"] = answers["date"] + delta
    return dataclasses.replace(
        dataset,
        patients=patients,
        diary=diary,
        sessions=sessions,
        entries=entries,
        questionnaires=answers,
    )


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


#: Why a generated diary is at least 90 days long, said with a refused ``--days``.
_DAYS_WHY = (
    "a demo patient's diary holds a baseline, a course of treatment and a follow-up, "
    "which take at least 90 days"
)


def _count(what: str, low: int, high: int, *, why: str = "") -> Callable[[str], int]:
    """Return an argparse type: a whole number from ``low`` to ``high``, else a sentence."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            reason = f" ({why})" if why else ""
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {what} from {low:,} to {high:,}{reason}"
            )
        return value

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m analytics.demo --seed N --patients N --out DIR [--end-date D] [--days N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m analytics.demo",
        description="Generate a deterministic demo clinic (patients.csv, diary.csv, sessions.csv, "
        "questionnaires.csv, entries.csv and truth.csv) in OUT_DIR.",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--patients",
        type=_count("a number of patients", 1, 1_000_000),
        default=60,
        help="number of patients (default 60)",
    )
    parser.add_argument("--out", metavar="OUT_DIR", required=True, help="output directory")
    parser.add_argument(
        "--end-date",
        default="2026-10-31",
        metavar="YYYY-MM-DD",
        help="latest diary day (default 2026-10-31)",
    )
    parser.add_argument(
        "--days",
        type=_count("a diary length in days", 90, 3650, why=_DAYS_WHY),
        default=None,
        help="diary length for every patient, 90 to 3650 days (default 90-200)",
    )
    args = parser.parse_args(argv)
    try:
        clinic = generate_clinic(
            args.patients, rng=args.seed, end_date=args.end_date, n_days=args.days
        )
    except ValueError as exc:
        parser.exit(1, f"error: {exc}\n")
    clinic["questionnaires"] = demo_answers(clinic, seed=args.seed)
    clinic["entries"] = demo_entries(clinic, seed=args.seed)
    for path in write_clinic(clinic, args.out):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
