"""``paindiary fhir`` and ``paindiary fhir-import``: one patient's FHIR bundle out and in."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from analytics.cli._output import error, guarded, print_problems
from analytics.cli._source import (
    Source,
    add_db,
    add_identity,
    add_source_arguments,
    check_output_file,
    open_service,
    patient_id,
    write_atomically,
)
from analytics.errors import AccessDeniedError

__all__ = ["add_parsers", "fhir_command", "fhir_import_command"]


def add_parsers(sub: Any) -> None:
    """Add ``fhir`` and ``fhir-import`` to the subcommands."""
    p = sub.add_parser(
        "fhir",
        help="export one patient's diary and sessions as a FHIR R4 bundle",
        description="Write a FHIR R4 Bundle (type collection): the Patient, a pain Observation "
        "(LOINC 72514-3) per diary day, PEG score Observations (LOINC 91147-9) and an "
        "acupuncture Procedure per session. Notes only with --include-notes.",
    )
    p.add_argument("--patient", metavar="ID", type=patient_id, required=True)
    p.add_argument("--out", metavar="bundle.json", required=True)
    add_source_arguments(p)
    p.add_argument("--include-notes", action="store_true", help="put free-text notes in 'note'")
    p.add_argument("--overwrite", action="store_true", help="replace the file if it exists")
    p.set_defaults(handler=fhir_command)

    p = sub.add_parser(
        "fhir-import",
        help="import a FHIR bundle's pain Observations and Procedures into a patient's diary",
        description="Check the bundle with the FHIR R4 models and every record with the CSV "
        "import's rules, then write it in one transaction: all or nothing. Days already stored "
        "keep the values the bundle does not carry; differing values are conflicts unless "
        "--update is given.",
    )
    p.add_argument("bundle", metavar="bundle.json")
    p.add_argument(
        "--patient", metavar="ID", type=patient_id, required=True, help="import into this patient"
    )
    add_db(p)
    p.add_argument("--update", action="store_true", help="overwrite differing stored values")
    add_identity(p)
    p.set_defaults(handler=fhir_import_command)


def fhir_command(args: argparse.Namespace) -> int:
    """``paindiary fhir --patient ID --out bundle.json [--data DIR | --db URL]``."""
    return guarded(_fhir, args)


def _fhir(args: argparse.Namespace) -> int:
    from analytics.io import bundle_json, patient_bundle

    out = Path(args.out)
    check_output_file(out, overwrite=args.overwrite)
    with Source(args, "fhir") as source:
        try:
            ds = source.patient(args.patient, purpose="FHIR export")
            bundle = patient_bundle(
                ds.patients, ds.diary, ds.sessions, args.patient, include_notes=args.include_notes
            )
        except LookupError:
            return error(f"no patient {args.patient!r} in {source.name}; nothing was written.")
        text = bundle_json(bundle)
        notes = " with notes" if args.include_notes else ""
        try:
            write_atomically(
                out,
                text.encode("utf-8"),
                overwrite=args.overwrite,
                before=lambda: source.record(f"FHIR R4 bundle{notes}", patient_id=args.patient),
            )
        except AccessDeniedError as exc:  # the refusal is recorded; the file never appeared
            return error(f"{exc} Nothing was written.")
        except OSError as exc:
            return error(f"cannot write {out}: {exc.strerror or exc}")
    kinds: dict[str, int] = {}
    for e in bundle.entry or []:
        if e.resource is None:  # pragma: no cover - every entry of patient_bundle has one
            continue
        kind = e.resource.get_resource_type()
        kinds[kind] = kinds.get(kind, 0) + 1
    counts = ", ".join(f"{n} {k}" for k, n in kinds.items())
    print(f"Wrote a FHIR R4 bundle of {args.patient} to {out}: {counts}.")
    return 0


def fhir_import_command(args: argparse.Namespace) -> int:
    """``paindiary fhir-import bundle.json --patient ID [--db URL] [--update] [--as NAME]``."""
    return guarded(_fhir_import, args)


def _fhir_import(args: argparse.Namespace) -> int:
    from analytics.contract import Dataset
    from analytics.errors import ConflictError, DataValidationError
    from analytics.io import bundle_dataset, fill_from_stored
    from analytics.store import open_store

    path = Path(args.bundle)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return error(f"cannot read {path}: {exc.strerror or exc}")
    with open_store(args.db, create=False) as store:
        service = open_service(args, store, "fhir-import")
        name = store.name
        try:
            stored = service.patient_dataset(args.patient, purpose="FHIR import")
        except LookupError:
            return error(
                f"no patient {args.patient!r} in {name}; add the patient first "
                "(paindiary import); nothing was imported."
            )
        try:
            ds, content = bundle_dataset(
                raw, args.patient, patients=stored.patients, file=path.name
            )
        except DataValidationError as exc:
            print_problems(exc.problems, limit=50)
            return error(f"{len(exc.problems)} problem(s) in {path.name}; nothing was imported.")
        ds = Dataset(
            patients=ds.patients,
            diary=fill_from_stored(ds.diary, stored.diary, "diary"),
            sessions=fill_from_stored(ds.sessions, stored.sessions, "sessions"),
        )
        try:
            report = service.import_dataset(ds, update=args.update)
        except ConflictError as exc:
            conflict = getattr(exc, "report", None)
            if conflict is not None:
                print(conflict.conflicts.head(50).to_string(index=False), file=sys.stderr)
            n = getattr(conflict, "n_conflicts", "Some")
            return error(
                f"{n} day(s) or session(s) differ from what {name} holds; nothing was imported. "
                "Run again with --update to overwrite them (old values are kept in the history)."
            )
    frame = report.to_frame().rename(columns={"n_incoming": "rows"})
    print(frame[frame["table"] != "patients"].to_string(index=False))
    others = [p for p in content.bundle_patient_ids if p != args.patient]
    if others:
        print(f"note: the bundle's patient {', '.join(others)} was imported as {args.patient}.")
    if content.skipped:
        skipped = ", ".join(f"{n} {k}" for k, n in sorted(content.skipped.items()))
        print(f"Skipped entries: {skipped}.")
    print(
        f"Imported {len(ds.diary)} pain observation(s) and {len(ds.sessions)} procedure(s) from "
        f"{path.name} into {args.patient} in {name}: "
        f"{sum(report.inserted.values())} new, {sum(report.updated.values())} updated, "
        f"{sum(report.unchanged.values())} unchanged."
    )
    return 0
