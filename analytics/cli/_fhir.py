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


def _mapping(text: str) -> tuple[str, str]:
    """Argparse type of ``--map FROM=TO``: a bundle patient id and the patient it becomes."""
    left, sep, right = text.partition("=")
    if not sep or not left.strip() or not right.strip():
        raise argparse.ArgumentTypeError(
            f"--map takes BUNDLE_ID=PATIENT_ID, such as P999=P031; got {text!r}"
        )
    return patient_id(left.strip()), patient_id(right.strip())


def _add_fhir_settings(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fhir-identifier-system",
        metavar="URI",
        help="identifier system of the patient id (default: the clinic's fhir_identifier_system "
        "setting, else https://paindiary.org/fhir/patient-id)",
    )


def add_parsers(sub: Any) -> None:
    """Add ``fhir`` and ``fhir-import`` to the subcommands."""
    p = sub.add_parser(
        "fhir",
        help="export one patient's diary, medicines, sessions and questionnaires as a FHIR R4 "
        "bundle",
        description="Write a FHIR R4 Bundle: the Patient, an Observation per diary item (LOINC "
        "where one exists), the PEG score, a MedicationStatement per named medicine (RxNorm), "
        "an acupuncture Procedure per session, an Observation per body region marked, of the "
        "day's headache kind and per entry during the day, and a Questionnaire per instrument answered "
        "with a QuestionnaireResponse per answered questionnaire and its score Observations. --bundle transaction adds conditional-create "
        "requests a FHIR server files (sending it again creates nothing new). Notes only with "
        "--include-notes.",
    )
    p.add_argument("--patient", metavar="ID", type=patient_id, required=True)
    p.add_argument("--out", metavar="bundle.json", required=True)
    add_source_arguments(p)
    p.add_argument(
        "--bundle",
        choices=("collection", "transaction"),
        default="collection",
        help="bundle type: collection (a document, the default) or transaction (a FHIR server "
        "creates each resource once)",
    )
    _add_fhir_settings(p)
    p.add_argument(
        "--fhir-patient-fields",
        metavar="FIELDS",
        help="comma-separated patient fields to share: sex, birth_year, clinician; empty = the "
        "identifier only (default: the clinic's fhir_patient_fields setting, else "
        "sex,birth_year)",
    )
    p.add_argument("--include-notes", action="store_true", help="put free-text notes in 'note'")
    p.add_argument("--overwrite", action="store_true", help="replace the file if it exists")
    p.set_defaults(handler=fhir_command)

    p = sub.add_parser(
        "fhir-import",
        help="import a FHIR bundle's diary items, medicines, sessions and questionnaire answers "
        "into a patient's diary",
        description="Check the bundle with the FHIR R4 models and every record with the CSV "
        "import's rules, then write it in one transaction: all or nothing. Every record is "
        "filed under its own patient: a bundle naming another patient is refused unless --map "
        "says whose records they become. Days already stored keep the values the bundle does "
        "not carry; differing values are conflicts unless --update is given.",
    )
    p.add_argument("bundle", metavar="bundle.json")
    p.add_argument(
        "--patient", metavar="ID", type=patient_id, required=True, help="import into this patient"
    )
    p.add_argument(
        "--map",
        metavar="BUNDLE_ID=ID",
        type=_mapping,
        action="append",
        default=[],
        help="file the records of the bundle's patient BUNDLE_ID under patient ID (repeatable)",
    )
    _add_fhir_settings(p)
    add_db(p)
    p.add_argument("--update", action="store_true", help="overwrite differing stored values")
    p.add_argument(
        "--max-mb", type=float, default=200.0, help="refuse bundles larger than this (default 200)"
    )
    add_identity(p)
    p.set_defaults(handler=fhir_import_command)


def fhir_command(args: argparse.Namespace) -> int:
    """``paindiary fhir --patient ID --out bundle.json [--bundle transaction] [--db URL]``."""
    return guarded(_fhir, args)


def _fhir(args: argparse.Namespace) -> int:
    from analytics.io import bundle_json, patient_bundle
    from analytics.settings import fhir_patient_fields
    from analytics.stats import score_questionnaires

    out = Path(args.out)
    check_output_file(out, overwrite=args.overwrite)
    with Source(args, "fhir") as source:
        settings = _fhir_settings(source.service, args)
        try:
            ds = source.patient(args.patient, purpose="FHIR export")
            answers = (
                source.service.questionnaire_answers(args.patient)
                if source.service is not None
                else ds.questionnaires
            )
            # the patient's read does not carry the entries during the day: with --db
            # they are read through the service's own (audited) read of them
            entries = (
                source.service.entries(args.patient) if source.service is not None else ds.entries
            )
            bundle = patient_bundle(
                ds.patients,
                ds.diary,
                ds.sessions,
                args.patient,
                include_notes=args.include_notes,
                bundle_type=args.bundle,
                identifier_system=settings.fhir_identifier_system,
                patient_fields=fhir_patient_fields(settings.fhir_patient_fields),
                questionnaires=answers,
                questionnaire_scores=score_questionnaires(answers),
                entries=entries,
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
                before=lambda: source.record(
                    f"FHIR R4 {args.bundle} bundle{notes}", patient_id=args.patient
                ),
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
    print(f"Wrote a FHIR R4 {args.bundle} bundle of {args.patient} to {out}: {counts}.")
    return 0


def _fhir_settings(service: Any, args: argparse.Namespace) -> Any:
    """Return the clinic's settings (--db) or the defaults, with the FHIR options given applied.

    Raises ValueError (a sentence naming the setting) for a value the settings refuse.
    """
    from dataclasses import replace

    from analytics.settings import AnalysisSettings

    base = service.analysis_settings() if service is not None else AnalysisSettings()
    given = {
        k: getattr(args, k)
        for k in ("fhir_identifier_system", "fhir_patient_fields")
        if getattr(args, k, None) is not None
    }
    return replace(base, **given)


def fhir_import_command(args: argparse.Namespace) -> int:
    """``paindiary fhir-import bundle.json --patient ID [--map A=B] [--db URL] [--update]``."""
    return guarded(_fhir_import, args)


def _fhir_import(args: argparse.Namespace) -> int:
    from analytics.errors import DataValidationError
    from analytics.io import bundle_dataset, load_bundle
    from analytics.store import open_store

    path = Path(args.bundle)

    def refused(exc: DataValidationError) -> int:
        print_problems(exc.problems, limit=50)
        return error(f"{len(exc.problems)} problem(s) in {path.name}; nothing was imported.")

    try:  # the file first: nothing of the database is read for a bundle that is none
        bundle = load_bundle(path, max_bytes=int(args.max_mb * 1024 * 1024))
    except DataValidationError as exc:
        return refused(exc)
    mapping = dict(args.map)
    with open_store(args.db, create=False) as store:
        service = open_service(args, store, "fhir-import")
        name = store.name
        settings = _fhir_settings(service, args)
        targets = list(dict.fromkeys([args.patient, *mapping.values()]))
        stored = []
        for target in targets:
            try:
                stored.append(service.patient_dataset(target, purpose="FHIR import"))
            except LookupError:
                return error(
                    f"no patient {target!r} in {name}; add the patient first "
                    "(paindiary import); nothing was imported."
                )
        known = _concat([s.patients for s in stored])
        try:
            ds, content = bundle_dataset(
                bundle,
                args.patient,
                patients=known,
                file=path.name,
                mapping=mapping,
                identifier_system=settings.fhir_identifier_system,
            )
        except DataValidationError as exc:
            return refused(exc)
        report = _store_import(service, ds, stored, update=args.update, name=name)
        if isinstance(report, int):
            return report
    frame = report.to_frame().rename(columns={"n_incoming": "rows"})
    print(frame[frame["table"] != "patients"].to_string(index=False))
    for source_id, target in mapping.items():
        if source_id in content.bundle_patient_ids:
            print(f"The bundle's patient {source_id} was filed under {target}.")
    if content.skipped:
        skipped = ", ".join(f"{n} {k}" for k, n in sorted(content.skipped.items()))
        print(f"Skipped entries: {skipped}.")
    n_responses = len(set(content.questionnaire_entries))
    print(
        f"Imported {len(ds.diary)} diary day(s), {len(ds.sessions)} procedure(s), "
        f"{len(ds.entries)} entry(ies) during the day and "
        f"{n_responses} questionnaire response(s) from "
        f"{path.name} into {', '.join(targets)} in {name}: "
        f"{sum(report.inserted.values())} new, {sum(report.updated.values())} updated, "
        f"{sum(report.unchanged.values())} unchanged."
    )
    return 0


def _concat(frames: list[Any]) -> Any:
    import pandas as pd

    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _store_import(service: Any, ds: Any, stored: list[Any], *, update: bool, name: str) -> Any:
    """Write the records in one transaction; return the report, or the exit code of a conflict."""
    from analytics.contract import Dataset
    from analytics.errors import ConflictError
    from analytics.io import fill_from_stored

    ds = Dataset(
        patients=ds.patients,
        diary=fill_from_stored(ds.diary, _concat([s.diary for s in stored]), "diary"),
        sessions=fill_from_stored(ds.sessions, _concat([s.sessions for s in stored]), "sessions"),
        questionnaires=ds.questionnaires,
        entries=ds.entries,
    )
    try:
        return service.import_dataset(ds, update=update)
    except ConflictError as exc:
        conflict = getattr(exc, "report", None)
        if conflict is not None:
            print(conflict.conflicts.head(50).to_string(index=False), file=sys.stderr)
        n = getattr(conflict, "n_conflicts", "Some")
        return error(
            f"{n} day(s) or session(s) differ from what {name} holds; nothing was imported. "
            "Run again with --update to overwrite them (old values are kept in the history)."
        )
