"""The one place of the dashboard that reads and writes data, through the service.

Pages never talk to the store or run an analysis themselves: they call these
functions, which call :class:`analytics.service.Service` built for the signed-in
user of the run. The service scopes every query to what that user may see, refuses
the rest (:class:`analytics.errors.AccessDeniedError`) and writes the audit log.

Caching, and why it cannot mix users
------------------------------------
- **Rows of patients** are read through the service once per *visit* (a page
  opened, or another patient chosen on it) and kept in that browser session's own
  ``st.session_state`` — never in a cache shared by sessions. Each such read is
  one audited "view" with the page as its purpose; reruns of the same page (a
  filter, a tab) reuse the rows without another read.
- **Cohort analyses** (Clinic overview, Treatment response) are built from each
  patient's stored outcomes (``Service.cohort_tables``), never from the clinic's
  diary, and cached under the service's ``outcomes_version`` of the user's scope,
  which changes with any visible patient's stored rows.
- **One patient's summary** (``analytics.pipeline.summarize_patient``) is expensive and cached
  with ``st.cache_data``; its key holds the user (id, role, patient id and the
  patient ids in scope), the version of the patient's rows (their fingerprint, worked
  out once per read: :func:`patient_version`) and the settings, so one user's cached
  result can never be served to another, new rows give a new result, and a revisit
  with unchanged rows does no analysis. Reruns of a visit reuse the summary itself.
- A write made here forgets the session's rows, so the next read sees it.

``_access`` builds the service and keeps the rows of a visit; ``_analysis`` caches the
analyses; ``_writes`` saves, imports and exports; ``_accounts`` manages accounts, the
audit log and share links; ``_onboarding`` maps clinician codes and makes new patients'
accounts and first sign-in links. Tables built from results for the pages are in
:mod:`dashboard.frames`.

Exports are produced only when the person clicks the download button, and
recorded then (``on_click`` calls ``Service.record_export``), not when the page
renders.
"""

from __future__ import annotations

from dashboard.data._access import (
    ClinicData,
    PatientView,
    Store,
    begin_run,
    clinic_settings,
    cohort,
    db_url,
    diary_history,
    forget_rows,
    get_store,
    patient_ids,
    patient_version,
    patient_view,
    patients,
    per_visit,
    service,
)
from dashboard.data._accounts import (
    active_share_links,
    add_user,
    assign,
    assigned_patients,
    audit_csv_callable,
    audit_log,
    create_share_link,
    demo_accounts,
    disable_user,
    enable_user,
    is_demo,
    revoke_share_link,
    set_password,
    share_dataset,
    share_links,
    share_service,
    unassign,
    unlock_user,
    users,
)
from dashboard.data._analysis import (
    BACKFILL_DAYS,
    analysis,
    outcome_row,
    overview_table,
    patient_summary,
    status_settings,
    stored_cohort,
    stored_outcomes,
)
from dashboard.data._courses import (
    course_history,
    course_states,
    set_course_state,
    triage_overview,
)
from dashboard.data._entries import (
    add_entry,
    answer_rescue,
    entries,
    flare_days,
    rescue_questions,
)
from dashboard.data._onboarding import (
    accept_invite,
    assign_by_code,
    clinician_codes,
    invite_account,
    map_clinician_code,
    onboarding_status,
    sign_in_sheet,
)
from dashboard.data._questionnaires import (
    answers_version,
    cohort_questionnaires_due,
    questionnaire_answers,
    questionnaire_scores,
    questionnaires_due,
    save_questionnaire,
)
from dashboard.data._writes import (
    answer_session_pain,
    csv_bytes,
    export_zip_callable,
    get_diary_entry,
    import_dataset,
    load_uploads,
    preview_import,
    record_export,
    record_file,
    release_uploads,
    save_diary_entry,
    save_session,
)

__all__ = [
    "add_entry",
    "answer_rescue",
    "entries",
    "flare_days",
    "rescue_questions",
    "answers_version",
    "cohort_questionnaires_due",
    "questionnaire_answers",
    "questionnaire_scores",
    "questionnaires_due",
    "save_questionnaire",
    "accept_invite",
    "assign_by_code",
    "clinician_codes",
    "invite_account",
    "map_clinician_code",
    "onboarding_status",
    "sign_in_sheet",
    "Store",
    "db_url",
    "get_store",
    "service",
    "begin_run",
    "forget_rows",
    "per_visit",
    "ClinicData",
    "patient_ids",
    "patients",
    "cohort",
    "PatientView",
    "patient_view",
    "patient_version",
    "clinic_settings",
    "diary_history",
    "stored_cohort",
    "stored_outcomes",
    "analysis",
    "patient_summary",
    "outcome_row",
    "BACKFILL_DAYS",
    "status_settings",
    "overview_table",
    "course_states",
    "course_history",
    "set_course_state",
    "triage_overview",
    "get_diary_entry",
    "save_diary_entry",
    "save_session",
    "answer_session_pain",
    "import_dataset",
    "preview_import",
    "load_uploads",
    "release_uploads",
    "export_zip_callable",
    "csv_bytes",
    "record_export",
    "record_file",
    "demo_accounts",
    "is_demo",
    "users",
    "add_user",
    "set_password",
    "disable_user",
    "enable_user",
    "unlock_user",
    "assign",
    "assigned_patients",
    "unassign",
    "audit_log",
    "audit_csv_callable",
    "create_share_link",
    "revoke_share_link",
    "share_links",
    "active_share_links",
    "share_service",
    "share_dataset",
]
