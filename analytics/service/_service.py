"""The one door to patient data: every face (dashboard, CLI, reports, share links) uses it.

A :class:`Service` is built for one signed-in :class:`~analytics.access.User` and
one *face* (where the request comes from, e.g. ``"dashboard:Patient chart"``,
``"cli:export"``, ``"share-link:7"``). Each method

1. is governed by its row of the policy table (:data:`analytics.service.POLICY`,
   applied by :func:`analytics.service.governed`): a patient sees and writes only
   their own diary; a clinician sees the patients assigned to them and records
   sessions for them; an admin sees everyone and alone imports, exports the
   clinic, manages accounts and reads the audit log; a share link only views
   its one patient;
2. reads with the scope *in the SQL query* (a clinician's cohort is selected
   with ``WHERE patient_id IN (SELECT patient_id FROM clinician_patients ...)``;
   nothing outside the scope is ever read and filtered afterwards);
3. writes one audit row ("view", "edit", "import", "export", "report",
   "user_admin", "share_*") naming the user, role, face, patient and outcome.

A refused call writes an audit row with outcome "denied" and then raises
:class:`~analytics.errors.AccessDeniedError`. Refusals never reveal whether a
patient the user may not see exists: only users who may see everyone get
:class:`~analytics.errors.NotFoundError` for an unknown patient id.

The class is assembled from one part per family of calls: the per-patient path
(:mod:`._patients`), courses of treatment (:mod:`._courses`), the cohort path
(:mod:`._cohort`), the clinic's administration (:mod:`._clinic`), onboarding in bulk
(:mod:`._onboarding`: clinician codes, patient accounts, first sign-in links), the
audit log (:mod:`._audit`) and share
links (:mod:`._sharing`), on the
shared user, scope and audit log of :mod:`._door`. Keeping the stored outcomes
up to date is the pipeline's work (:func:`analytics.pipeline.stored_cohort` and
its neighbours); the service decides who may ask for it and records it.
"""

from __future__ import annotations

from analytics.service._audit import AuditLog
from analytics.service._clinic import ClinicAdmin
from analytics.service._cohort import CohortViews
from analytics.service._courses import CourseRecords
from analytics.service._entries import EntryRecords
from analytics.service._onboarding import Onboarding
from analytics.service._patients import PatientRecords
from analytics.service._questionnaires import QuestionnaireRecords
from analytics.service._sharing import ShareLinks

__all__ = ["Service"]


class Service(
    PatientRecords,
    CourseRecords,
    CohortViews,
    ClinicAdmin,
    Onboarding,
    AuditLog,
    ShareLinks,
    QuestionnaireRecords,
    EntryRecords,
):
    """Patient data as one user may see it, every access recorded.

    Parameters
    ----------
    store : analytics.store.Store
    user : analytics.access.User
        The signed-in user (:data:`analytics.access.LOCAL_OPERATOR` for the CLI).
    face : str, default "dashboard"
        Where the request comes from; written to every audit row.

    Attributes
    ----------
    user : User
    store : Store
        For the service's own use; faces never call it.
    face : str
    read_only : bool
        True for a share-link service (its column of the policy is "share-link").

    Raises
    ------
    ValueError
        ``user`` is not a :class:`~analytics.access.User` with a known role (a
        patient with exactly one patient id), or ``face`` is empty.
    """
