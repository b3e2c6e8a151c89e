"""The answers to the outcome questionnaires: save one questionnaire whole, read them back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from analytics.contract import INSTRUMENTS, QUESTIONNAIRES, empty_answers
from analytics.errors import DataValidationError
from analytics.store import _models as models
from analytics.store._edits import Edits
from analytics.store._values import as_date, check_actor, check_patient_id, to_json, utcnow

__all__ = ["Questionnaires", "check_answers", "import_answers"]


def check_answers(
    instrument: str, answers: Mapping[str, Any], date: dt.date, today: dt.date
) -> dict[str, int]:
    """Check one filled-in questionnaire against its definition; return the answers as whole numbers.

    Raises
    ------
    DataValidationError
        The instrument is unknown, an item is missing or unknown, an answer is not
        one of its item's options, or the date is in the future; the message says
        which and what is allowed.
    """
    if instrument not in INSTRUMENTS:
        raise DataValidationError(
            f"Unknown questionnaire {instrument!r}; the questionnaires are {', '.join(INSTRUMENTS)}."
        )
    definition = INSTRUMENTS[instrument]
    problems = []
    if date > today:
        problems.append(f"the date {date.isoformat()} is in the future; answer on or before today")
    unknown = sorted(set(answers) - {item.id for item in definition.items})
    if unknown:
        problems.append(f"{definition.short_name} has no item {', '.join(unknown)}")
    checked: dict[str, int] = {}
    for item in definition.items:
        value = answers.get(item.id)
        if value is None:
            problems.append(f"'{item.text}' is not answered; answer every item")
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | str)
            or str(value).strip() not in {str(v) for v in item.values}
        ):
            allowed = ", ".join(str(v) for v in item.values)
            problems.append(f"the answer {value!r} to '{item.text}' is not one of {allowed}")
            continue
        checked[item.id] = int(str(value).strip())
    if problems:
        raise DataValidationError(
            f"The {definition.short_name} answers were not saved: " + "; ".join(problems) + "."
        )
    return checked


class Questionnaires(Edits):
    """Questionnaire answers: one questionnaire saved whole in one transaction, with its history."""

    def save_questionnaire(
        self,
        actor: str,
        patient_id: str,
        date: dt.date | str,
        instrument: str,
        answers: Mapping[str, Any],
        *,
        today: dt.date | None = None,
    ) -> str:
        """Store one filled-in questionnaire; answering it again that day replaces it.

        Parameters
        ----------
        actor : str
            Who is writing (recorded in the history).
        patient_id : str
        date : date or "YYYY-MM-DD"
            The day it was answered; not after ``today``.
        instrument : str
            An instrument id of :data:`analytics.contract.INSTRUMENTS`.
        answers : dict
            Item id → value of the chosen option, every item of the instrument.
        today : date, optional
            Default: today's date.

        Returns
        -------
        str
            ``"created"``, ``"updated"`` or ``"unchanged"``.

        Raises
        ------
        DataValidationError
            The answers break the definition (see :func:`check_answers`) or the
            patient is unknown.
        """
        check_actor(actor, "Store.save_questionnaire")
        check_patient_id(patient_id, "Store.save_questionnaire")
        day = as_date(date, "date", "Store.save_questionnaire")
        checked = check_answers(instrument, answers, day, today or dt.date.today())
        t = models.questionnaire_answers

        def work(conn: sa.Connection) -> str:
            self._require_patient(conn, patient_id)
            mine = (
                (t.c.patient_id == patient_id) & (t.c.date == day) & (t.c.instrument == instrument)
            )
            old = {
                row.item: row.answer
                for row in conn.execute(sa.select(t.c.item, t.c.answer).where(mine))
            }
            if old == checked:
                return "unchanged"
            conn.execute(t.delete().where(mine))
            conn.execute(
                t.insert(),
                [
                    {
                        "patient_id": patient_id,
                        "date": day,
                        "instrument": instrument,
                        "item": k,
                        "answer": v,
                    }
                    for k, v in checked.items()
                ],
            )
            conn.execute(
                models.history.insert(),
                {
                    "changed_at": utcnow(),
                    "actor": actor,
                    "action": "update" if old else "create",
                    "table_name": QUESTIONNAIRES.name,
                    "patient_id": patient_id,
                    "key": f"{day.isoformat()}/{instrument}",
                    "old": to_json(old) if old else None,
                    "new": to_json(checked),
                    "reason": None,
                },
            )
            return "updated" if old else "created"

        return self._write(
            f"save the {instrument} answers of {patient_id} on {day.isoformat()}", work
        )

    def questionnaire_answers(
        self,
        actor: str,
        *,
        patient_ids: Sequence[str] | None = None,
        clinician_user_id: int | None = None,
    ) -> pd.DataFrame:
        """Read the answers as the canonical ``questionnaires`` frame.

        ``patient_ids`` restricts the query to those patients and ``clinician_user_id``
        to that clinician's assigned patients (both in SQL); default everyone.

        Returns
        -------
        pandas.DataFrame
            ``patient_id``, ``date``, ``instrument``, ``item``, ``answer`` (Int64),
            sorted by them.
        """
        check_actor(actor, "Store.questionnaire_answers")
        t = models.questionnaire_answers
        stmt = sa.select(*(t.c[c] for c in QUESTIONNAIRES.column_names))
        if patient_ids is not None:
            stmt = stmt.where(t.c.patient_id.in_(list(patient_ids)))
        if clinician_user_id is not None:
            cp = models.clinician_patients
            stmt = stmt.where(
                t.c.patient_id.in_(
                    sa.select(cp.c.patient_id).where(cp.c.user_id == clinician_user_id)
                )
            )
        with self._reading("read the questionnaire answers") as conn:
            rows = conn.execute(stmt.order_by(*(t.c[c] for c in QUESTIONNAIRES.key))).fetchall()
        if not rows:
            return empty_answers()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=QUESTIONNAIRES.column_names)
        return frame.astype({c.name: c.dtype for c in QUESTIONNAIRES.columns})


def import_answers(conn: sa.Connection, actor: str, answers: pd.DataFrame, *, update: bool) -> int:
    """Store the questionnaire answers of an import, in its transaction; return the rows written.

    Answers not stored yet are added; a stored answer that differs is replaced only
    with ``update`` (the old value goes to the history), else kept. One history row per
    patient, day and instrument written.
    """
    if answers is None or not len(answers):
        return 0
    t = models.questionnaire_answers
    ids = sorted(set(answers["patient_id"].astype("str")))
    stored = {
        (row.patient_id, row.date, row.instrument, row.item): row.answer
        for row in conn.execute(sa.select(t).where(t.c.patient_id.in_(ids)))
    }
    rows = []
    for r in answers.itertuples(index=False):
        key = (str(r.patient_id), pd.Timestamp(r.date).date(), str(r.instrument), str(r.item))
        if key not in stored or (update and stored[key] != int(r.answer)):
            rows.append((key, stored.get(key), int(r.answer)))
    if not rows:
        return 0
    conn.execute(
        t.delete().where(
            sa.tuple_(t.c.patient_id, t.c.date, t.c.instrument, t.c.item).in_(
                [k for k, _, _ in rows if _ is not None]
            )
        )
    )
    conn.execute(
        t.insert(),
        [
            {"patient_id": k[0], "date": k[1], "instrument": k[2], "item": k[3], "answer": v}
            for k, _, v in rows
        ],
    )
    groups: dict[tuple[str, Any, str], tuple[dict[str, int], dict[str, int]]] = {}
    for (pid, day, instrument, item), old, new in rows:
        before, after = groups.setdefault((pid, day, instrument), ({}, {}))
        if old is not None:
            before[item] = old
        after[item] = new
    conn.execute(
        models.history.insert(),
        [
            {
                "changed_at": utcnow(), "actor": actor, "action": "update" if before else "create",
                "table_name": QUESTIONNAIRES.name, "patient_id": pid, "key": f"{day.isoformat()}/{instrument}",
                "old": to_json(before) if before else None, "new": to_json(after), "reason": "import",
            }
            for (pid, day, instrument), (before, after) in groups.items()
        ],
    )  # fmt: skip
    return len(rows)
