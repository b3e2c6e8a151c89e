"""``paindiary course``: start, pause or end a patient's course of treatment."""

from __future__ import annotations

import argparse
from typing import Any

from analytics.cli._output import guarded
from analytics.cli._source import add_db, add_identity, open_service
from analytics.contract.schema import COURSE_END_REASONS
from analytics.store import open_store

__all__ = ["add_parsers", "course_command"]

_STATES = {"start": "active", "pause": "paused", "end": "ended"}


def add_parsers(sub: Any) -> None:
    """Add ``course`` to the subcommands."""
    p = sub.add_parser(
        "course",
        help="start, pause or end a patient's course of treatment (clinicians, admins)",
        description="A patient's course of treatment is active, paused or ended. Only active "
        "courses are in the clinic overview's 'Need attention'; an ended course keeps its "
        "outcome in every statistic. Every change is kept with who made it and when, and "
        "recorded in the audit log.",
    )
    actions = p.add_subparsers(dest="course_command", metavar="ACTION", required=True)
    q = actions.add_parser("end", help="end the course (default: today, completed)")
    q.add_argument("patient_id", metavar="ID")
    q.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="the last day of the course")
    q.add_argument(
        "--reason",
        choices=COURSE_END_REASONS,
        default="completed",
        help="why the course ended (default: completed)",
    )
    q = actions.add_parser("start", help="start the course again (it is active from today)")
    q.add_argument("patient_id", metavar="ID")
    q = actions.add_parser("pause", help="pause the course from today")
    q.add_argument("patient_id", metavar="ID")
    for q in actions.choices.values():
        add_db(q)
        add_identity(q)
    p.set_defaults(handler=course_command)


def _course(args: argparse.Namespace) -> int:
    from analytics.presentation import course_text

    with open_store(args.db, create=False) as store:
        service = open_service(args, store, f"course {args.course_command}")
        state = _STATES[args.course_command]
        ended = state == "ended"
        result = service.set_course_state(
            args.patient_id,
            state,
            effective_date=getattr(args, "date", None) if ended else None,
            reason=args.reason if ended else None,
        )
        words = course_text(result["state"], result["effective_date"], result["reason"] or "")
        if result["changed"]:
            print(f"The course of patient {args.patient_id} is now {words}.")
        else:
            print(f"The course of patient {args.patient_id} is already {words}; nothing changed.")
    return 0


def course_command(args: argparse.Namespace) -> int:
    """``paindiary course end|start|pause ID`` (clinicians for their patients, admins)."""
    return guarded(_course, args)
