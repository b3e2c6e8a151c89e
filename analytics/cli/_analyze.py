"""``paindiary analyze``: the outcome tables of a clinic's files, with pandas or Dask.

Both engines read the same files, write the same 15 CSV files and print the same
summary line; exit 0 after writing, 1 when the data are invalid or missing (a
message, no traceback), 2 when an option is out of range.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.cli._output import (
    error,
    print_problems,
    reported_warnings,
    usage_error,
)
from analytics.settings import AnalysisSettings, add_arguments, from_arguments

if TYPE_CHECKING:  # deferred at run time: the parser loads no statistics
    from analytics.errors import DataValidationError
    from analytics.pipeline import AnalysisResult

__all__ = ["add_parsers", "analyze_command"]

#: What to do when the distributed engine is not installed (make run installs it).
DASK_MISSING = (
    "the dask engine needs Dask's distributed scheduler, which is not installed here; "
    "install it with: pip install 'paindiary[dask]' (make run does this), or leave out "
    "--engine dask to analyse in this process."
)


def add_parsers(sub: Any) -> None:
    """Add ``analyze`` to the subcommands."""
    p = sub.add_parser(
        "analyze",
        help="compute treatment outcomes and write them as CSV files",
        description="Validate DATA_DIR with the same loader, then write patient_outcomes.csv, "
        "group_summary.csv, group_comparison.csv, session_response.csv, "
        "session_response_by_technique.csv, dose_response.csv, dose_response_summary.csv, "
        "emax_fit.csv, time_to_response.csv, kaplan_meier.csv, adverse_events.csv, cpra.csv, "
        "factor_effects.csv, factor_effects_summary.csv, nof1_effects.csv and "
        "headache_summary.csv to OUT_DIR, questionnaire_scores.csv when DATA_DIR has "
        "questionnaires.csv and flares.csv when it has entries.csv (entries during the day "
        "count in the day's pain) "
        "(columns documented in docs/analytics.md). Every option below is a field of "
        "analytics.settings.AnalysisSettings; --as-of sets the date of the status columns.",
    )
    p.add_argument("directory", metavar="DATA_DIR")
    p.add_argument("--out", metavar="OUT_DIR", required=True)
    add_arguments(p)
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="analyse the valid rows; write rejected rows to OUT_DIR/*.rejects.csv",
    )
    g = p.add_argument_group(
        "engine",
        "DATA_DIR may hold the CSV or the Parquet files of the contract (see 'paindiary convert'). "
        "The dask engine runs the per-patient analysis in parallel, one task per range of "
        "patients, on a local cluster or an existing one (docs/operations.md), and writes the "
        "same files.",
    )
    g.add_argument(
        "--engine",
        choices=("pandas", "dask"),
        default="pandas",
        help="pandas: one process (default); dask: dask.distributed",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="dask: address of a running scheduler, e.g. tcp://10.0.0.5:8786 (default: start a "
        "local cluster)",
    )
    g.add_argument(
        "--partitions",
        type=int,
        default=None,
        metavar="N",
        help="dask: number of patient ranges (default: one per 500,000 diary rows, at least "
        "two per worker)",
    )
    g.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="dask, local cluster: worker processes (default: one per CPU)",
    )
    g.add_argument(
        "--worker-memory",
        default="4GB",
        metavar="SIZE",
        help="dask, local cluster: memory limit of each worker (default 4GB)",
    )
    p.set_defaults(handler=analyze_command)


def _invalid_input(exc: DataValidationError) -> int:
    print_problems(exc.problems)
    n = len(exc.problems)
    return error(
        f"{n} problem{'s' if n != 1 else ''} in the input; nothing was analysed. "
        "Fix them (see 'paindiary validate') or pass --skip-invalid."
    )


def _finish(
    result: AnalysisResult,
    settings: AnalysisSettings,
    counts: str,
    rejects: list[Path],
    n_rejected: int,
    paths: list[Path],
    out_dir: Path,
) -> int:
    """Print the notes, the counts, the outcome summary and the files written; return 0."""
    from analytics.pipeline import outcome_summary

    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"analysed {counts}; " + outcome_summary(result.patient_outcomes, settings))
    if rejects:
        print(f"skipped {n_rejected} invalid rows, listed in " + ", ".join(p.name for p in rejects))
    print(f"wrote {len(paths)} files to {out_dir}")
    return 0


def analyze_command(args: argparse.Namespace) -> int:
    """``paindiary analyze DATA_DIR --out OUT_DIR [options]``."""
    try:
        settings = from_arguments(args)
    except ValueError as exc:
        return usage_error("analyze", str(exc))
    if getattr(args, "engine", "pandas") == "dask":
        return _dask(args, settings)
    return _pandas(args, settings)


def _pandas(args: argparse.Namespace, settings: AnalysisSettings) -> int:
    # deferred: the parser and 'paindiary --help' never load scipy or statsmodels
    from analytics.cli._progress import ProgressBar
    from analytics.errors import DataValidationError, InsufficientDataError
    from analytics.io import read_dataset, write_rejects
    from analytics.pipeline import (
        analysis_diary,
        cohort,
        flares,
        per_patient,
        write_flare_table,
        write_questionnaire_table,
    )

    out_dir = Path(args.out)
    with reported_warnings():
        try:
            ds = read_dataset(args.directory, on_error="skip" if args.skip_invalid else "raise")
        except DataValidationError as exc:
            return _invalid_input(exc)
        except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
            return error(f"cannot read {args.directory}: {exc}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        rejects = write_rejects(ds.rejects, out_dir) if args.skip_invalid else []
        with reported_warnings(), ProgressBar("analysing") as bar:
            bar(0, 3)  # the steps of analyze(), reported one by one
            daily = analysis_diary(ds.diary, ds.entries)
            tables = per_patient(ds.patients, daily, ds.sessions, settings)
            bar(1, 3)
            result = cohort(tables, ds.patients, ds.sessions, settings)
            bar(2, 3)
            paths = result.write_csv(out_dir)
            paths += [p for p in [write_questionnaire_table(ds.questionnaires, out_dir)] if p]
            if len(ds.entries):
                table = flares(daily, ds.entries, ds.patients, ds.sessions, settings)
                paths += [p for p in [write_flare_table(table, out_dir)] if p]
            bar(3, 3)
    except (InsufficientDataError, OSError) as exc:
        return error(str(exc))
    counts = (
        f"{len(result.patient_outcomes)} patients, {len(ds.diary)} diary days, "
        f"{len(ds.sessions)} sessions"
    )
    return _finish(result, settings, counts, rejects, ds.n_rejected, paths, out_dir)


def _output_failure(exc: Exception) -> int:
    """Report why the outputs could not be written: invalid answers, too few data, a file error."""
    from analytics.errors import DataValidationError

    if isinstance(exc, DataValidationError):
        return _invalid_input(exc)
    return error(str(exc))


def _questionnaire_table(directory: Path, out_dir: Path) -> list[Path]:
    """Write the questionnaire table of a folder's questionnaires.csv (the Dask engine reads the rest)."""
    from analytics.contract import QUESTIONNAIRES
    from analytics.io import load_questionnaires
    from analytics.pipeline import write_questionnaire_table

    source = directory / QUESTIONNAIRES.file_name
    if not source.exists():
        return []
    path = write_questionnaire_table(load_questionnaires(source), out_dir)
    return [path] if path is not None else []


def _check_dask_options(args: argparse.Namespace) -> None:
    """Check ``--partitions``, ``--workers`` and ``--worker-memory``; raise ValueError."""
    from analytics.checks import check_int
    from analytics.pipeline import check_memory

    if args.partitions is not None:
        check_int(args.partitions, "partitions", "analyze", 1, 1_000_000)
    if args.workers is not None:
        check_int(args.workers, "workers", "analyze", 1, 1024)
    check_memory(args.worker_memory, "worker_memory", "analyze")


def _dask(args: argparse.Namespace, settings: AnalysisSettings) -> int:
    from analytics.cli._progress import ProgressBar
    from analytics.errors import DataValidationError, InsufficientDataError
    from analytics.io import write_rejects
    from analytics.pipeline import analyze_distributed, write_flare_table

    out_dir = Path(args.out)
    try:
        _check_dask_options(args)
    except ValueError as exc:
        return usage_error("analyze", str(exc))
    except ImportError:
        return error(DASK_MISSING)
    try:
        with ProgressBar("analysing patient ranges") as bar:
            run = analyze_distributed(
                args.directory,
                settings,
                scheduler=args.scheduler,
                partitions=args.partitions,
                n_workers=args.workers,
                worker_memory=args.worker_memory,
                on_error="skip" if args.skip_invalid else "raise",
                progress=bar,
            )
    except DataValidationError as exc:
        return _invalid_input(exc)
    except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
        return error(f"cannot read {args.directory}: {exc}")
    except ImportError:
        return error(DASK_MISSING)
    except (OSError, TimeoutError) as exc:  # the scheduler cannot be reached
        return error(f"cannot use the Dask cluster: {exc}")
    for note in run.notes:
        print(f"warning: {note}", file=sys.stderr)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        rejects = write_rejects(run.rejects, out_dir) if args.skip_invalid else []
        paths = run.result.write_csv(out_dir)
        paths += _questionnaire_table(Path(args.directory), out_dir)
        paths += [p for p in [write_flare_table(run.flares, out_dir)] if p]
    except (DataValidationError, InsufficientDataError, OSError) as exc:
        return _output_failure(exc)
    for message in run.warnings:
        print(f"warning: {message}", file=sys.stderr)
    counts = (
        f"{len(run.result.patient_outcomes)} patients, {run.n_diary} diary days, "
        f"{run.n_sessions} sessions in {run.n_partitions} partitions on Dask"
    )
    return _finish(run.result, settings, counts, rejects, run.n_rejected, paths, out_dir)
