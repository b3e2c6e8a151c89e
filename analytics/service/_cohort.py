"""The cohort path of the service.

The patients in the user's reach together, selected in SQL, and their outcomes read from the stored per-patient tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

from analytics.service._door import COHORT, Door, as_text, governed
from analytics.service._questionnaires import due_in_scope

__all__ = ["CohortViews"]


class CohortViews(Door):
    """The patients in reach together: ids, rows, stored outcomes and the cohort analysis."""

    @governed("list_patients")
    def visible_patient_ids(self) -> list[str]:
        """Return the sorted ids of the patients this user may see.

        A patient sees their own, a clinician the assigned patients, an admin all.
        Not audited: ids alone show no patient data.

        Returns
        -------
        list of str
        """
        return self.store.patient_ids(self.user.username, **self._scope("list_patients"))

    @governed("view_cohort", patient=COHORT)
    def patients(self, *, purpose: str = "patient list") -> pd.DataFrame:
        """Return the canonical ``patients`` frame of the visible patients (audited "view", "*").

        Parameters
        ----------
        purpose : str, default "patient list"
            Recorded in the audit log (the page that shows them).

        Returns
        -------
        pandas.DataFrame
            One row per visible patient, the columns of the ``patients`` table.
        """
        frame = self.store.patients(self.user.username, **self._scope("view_cohort"))
        self._audit("view", "*", purpose=purpose, n_patients=len(frame))
        return frame

    @governed("view_cohort", patient=COHORT)
    def cohort_dataset(self, *, purpose: str) -> Any:
        """Return the rows of every visible patient, selected in SQL (audited "view", "*").

        A clinician's cohort is read with ``WHERE patient_id IN (SELECT patient_id FROM
        clinician_patients WHERE user_id = ...)``; a patient's cohort is themselves.

        Parameters
        ----------
        purpose : str
            Recorded in the audit log.

        Returns
        -------
        analytics.contract.Dataset
        """
        ds = self.store.dataset(self.user.username, **self._scope("view_cohort"))
        self._audit(
            "view", "*", purpose=purpose, n_patients=len(ds.patients), diary=len(ds.diary),
            sessions=len(ds.sessions),
        )  # fmt: skip
        return ds

    @governed("view_cohort", patient=COHORT)
    def cohort_questionnaires_due(
        self, *, purpose: str, today: dt.date | None = None
    ) -> pd.DataFrame:
        """Return the questionnaires due now for every visible patient (audited "view", "*").

        The same rule as :meth:`questionnaires_due` (baseline, then the session
        numbers of the clinic's settings, until answered), for the whole scope at
        once: the sessions and answers are read with the scope in the SQL query,
        then one grouped pass over every patient.

        Parameters
        ----------
        purpose : str
            Recorded in the audit log.
        today : date, optional
            Default today.

        Returns
        -------
        pandas.DataFrame
            As :func:`analytics.stats.questionnaires_due`.
        """
        scope = self._scope("view_cohort")
        ids = self.store.patient_ids(self.user.username, **scope)
        due = due_in_scope(
            self.store, self.user.username, ids,
            at_sessions=self.analysis_settings().questionnaire_session_numbers,
            today=today or dt.date.today(), scope=scope,
        )  # fmt: skip
        self._audit(
            "view", "*", purpose=purpose, questionnaires_due=len(due),
            n_patients=int(due["patient_id"].nunique()),
        )  # fmt: skip
        return due

    @governed("list_patients")
    def outcomes_version(self, settings: Any = None) -> tuple[Any, ...]:
        """Return a cheap key of the stored outcomes of the visible patients (not audited).

        It changes when any visible patient's stored rows change, so a cohort result
        cached under it is never stale.

        Parameters
        ----------
        settings : AnalysisSettings, optional
            Default: the clinic's saved settings.

        Returns
        -------
        tuple
            ``(fingerprint, status date as ISO text or "", patients in scope, stored
            rows, latest update)``: counts only, no patient data.
        """
        from analytics import pipeline

        settings = self.analysis_settings() if settings is None else settings
        fp = pipeline.settings_fingerprint(settings)
        version = self.store.outcomes_version(fp, **self._scope("list_patients"))
        return (fp, as_text(settings.as_of) if settings.as_of is not None else "", *version)

    @governed("view_cohort", patient=COHORT)
    def cohort_tables(
        self,
        settings: Any = None,
        *,
        purpose: str,
        tables: Sequence[str] | None = None,
        with_patients: bool = False,
    ) -> dict[str, pd.DataFrame]:
        """Return the per-patient tables of the visible patients, read from the stored outcomes.

        Patients without stored rows for these settings are computed and stored
        first; the status columns are those of ``settings.as_of`` (see
        :func:`analytics.pipeline.stored_cohort`). A clinic's or a clinician's
        patients are read through their outcome snapshot (:mod:`analytics.store`:
        one stored row per table, patched for the patients changed since). Audited
        "view", patient "*".

        Parameters
        ----------
        settings : AnalysisSettings, optional
            Default: the clinic's saved settings.
        purpose : str
            Recorded in the audit log.
        tables : sequence of str, optional
            Only these tables of :data:`analytics.pipeline.PER_PATIENT_TABLES`
            (``patient_outcomes`` is always returned); default: every one.
        with_patients : bool, default False
            Also return the canonical ``patients`` frame of the visible patients,
            read in this call and recorded in its one audit row (a page showing
            outcomes next to who the patients are is one view, not two).

        Returns
        -------
        dict of str to pandas.DataFrame
            The tables asked for plus ``status_anchor`` (``patient_id``,
            ``last_diary``, ``began``, ``latest_7day_mean``), and ``patients``
            with ``with_patients``.

        Raises
        ------
        ValueError
            ``tables`` names a table that is not a per-patient table.
        """
        from analytics import pipeline

        settings = self.analysis_settings() if settings is None else settings
        every = pipeline.stored_tables()
        if tables is None:
            names = list(every)
        else:
            unknown = sorted(set(tables) - set(every) - set(pipeline.STATUS_TABLES))
            if unknown or isinstance(tables, str):
                raise ValueError(
                    "The 'tables' parameter of Service.cohort_tables must be a sequence of "
                    f"per-patient table names ({', '.join(every)}). Got {tables!r} instead."
                )
            wanted = {"patient_outcomes", *tables, *pipeline.STATUS_TABLES}
            names = [n for n in every if n in wanted]
        read = pipeline.stored_cohort(
            self.store, settings, actor=self.user.username, names=names,
            **self._scope("view_cohort"),
        )  # fmt: skip
        out = dict(read.tables)
        if with_patients:
            out["patients"] = self.store.patients(self.user.username, **self._scope("view_cohort"))
        self._audit(
            "view", "*", purpose=purpose, n_patients=len(read.tables["patient_outcomes"]),
            stored=True, computed=len(read.computed), recomputed_for_date=len(read.recomputed),
        )  # fmt: skip
        return out

    @governed("view_cohort", patient=COHORT)
    def record_cohort_view(self, *, purpose: str, n_patients: int) -> None:
        """Record a view of the cohort's outcomes served from a face's cache (audited "view", "*").

        The first read of them is recorded by :meth:`cohort_tables`.

        Parameters
        ----------
        purpose : str
        n_patients : int
            Patients shown.
        """
        self._audit("view", "*", purpose=purpose, n_patients=int(n_patients), cached=True)

    @governed("view_cohort", patient=COHORT)
    def cohort_result(self, settings: Any = None, *, purpose: str) -> Any:
        """Return :func:`analytics.pipeline.cohort` of the visible patients' stored outcomes.

        Never reads the clinic's diary: see :meth:`cohort_tables` (audited there).

        Parameters
        ----------
        settings : AnalysisSettings, optional
            Default: the clinic's saved settings.
        purpose : str
            Recorded in the audit log.

        Returns
        -------
        analytics.pipeline.AnalysisResult
        """
        from analytics.pipeline import cohort

        settings = self.analysis_settings() if settings is None else settings
        tables = self.cohort_tables(settings, purpose=purpose)
        tables.pop("status_anchor")
        return cohort(tables, settings=settings)
