"""The policy table: every cell tried on a real Service, every public method governed by a row,
the table's own rules, and docs/security.md showing the same table.

The clinic is the one of test_service.py: P1, P2 assigned to the clinician "ann", P3, P4
to "ben"; the patient account "pat" is P1; the share link is a link to P1.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pandas.testing as pdt
import pytest

from analytics.errors import AccessDeniedError, NotFoundError
from analytics.pipeline import AnalysisSettings, per_patient
from analytics.service import (
    ALL,
    ASSIGNED,
    OWN,
    POLICY,
    POLICY_ROLES,
    Service,
    governance_of,
    governed,
)
from analytics.store import Store, open_store
from tests.service.test_service import PASSWORD, _build, _log, _service, _small_dataset

ROOT = Path(__file__).resolve().parents[2]

#: The account of each column of the table.
WHO = {"patient": "pat", "clinician": "ann", "admin": "admin", "share-link": "share-link"}
INSIDE, OUTSIDE = "P1", "P3"  # in every role's reach; outside the patient's and ann's


@pytest.fixture(autouse=True)
def _own_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A data directory of this test's own (passwords hash cheaply: tests/conftest.py)."""
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "clinic.sqlite3"
    _build(path)
    return path


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "clinic.sqlite3"
    shutil.copy(template, path)
    with open_store(f"sqlite:///{path}") as s:
        yield s


def _link_to(store: Store, patient_id: str) -> int:
    """A share link to ``patient_id``, stored directly (no audit row)."""
    return store.add_share_link(
        "test",
        token_hash=secrets.token_hex(32),
        patient_id=patient_id,
        expires_at=dt.datetime(2100, 1, 1),
    )


# --------------------------------------------------------------------------- every cell


@dataclass(frozen=True)
class Probe:
    """A call that does one action of the table for a patient (or an account) it is given."""

    run: Callable[[Service, str], Any]
    reaches: str  # "patient", "account", "cohort" or "nothing"
    unknown_patient: bool = True  # it can be asked for a patient that does not exist


def _answer_session_pain(service: Service, patient_id: str) -> Any:
    """Answer the pain after a session of ``patient_id`` stored without it (no audit row)."""
    session = {"patient_id": patient_id, "date": "2024-01-16T10:00", "technique": "manual"}
    if service.store.patient_exists(patient_id):
        service.store.save_session("test", session, replace=True)
    return service.answer_session_pain("2024-01-16T10:00", pain_after=3, patient_id=patient_id)


def _answer_rescue(service: Service, patient_id: str) -> Any:
    """Answer whether the rescue medicine of an entry of ``patient_id`` helped (no audit row)."""
    entry = {"patient_id": patient_id, "date": "2024-01-16", "time": "10:00", "pain": 7,
             "rescue_medication": "ibuprofen"}  # fmt: skip
    if service.store.patient_exists(patient_id):
        service.store.add_entry("test", entry)
    return service.answer_rescue(patient_id, "2024-01-16", "10:00", "yes")


PROBES: dict[str, Probe] = {
    "list_patients": Probe(lambda s, p: s.visible_patient_ids(), "nothing"),
    "read_settings": Probe(lambda s, p: s.analysis_settings(), "nothing"),
    "view_patient": Probe(lambda s, p: s.patient_dataset(p, purpose="policy"), "patient"),
    "view_cohort": Probe(lambda s, p: s.cohort_dataset(purpose="policy"), "cohort"),
    "edit_diary": Probe(
        lambda s, p: s.save_diary_entry({"patient_id": p, "date": "2024-01-20", "pain": 2}),
        "patient",
    ),
    "answer_questionnaire": Probe(
        lambda s, p: s.save_questionnaire(p, "2024-01-20", "pgic", {"pgic": 2}), "patient"
    ),
    "add_entry": Probe(
        lambda s, p: s.add_entry(p, {"date": "2024-01-20", "time": "10:00", "pain": 6}), "patient"
    ),
    "answer_rescue": Probe(lambda s, p: _answer_rescue(s, p), "patient"),
    "record_session": Probe(
        lambda s, p: s.save_session({"patient_id": p, "date": "2024-01-17", "technique": "manual"}),
        "patient",
    ),
    "set_course": Probe(lambda s, p: s.set_course_state(p, "paused"), "patient"),
    "answer_session_pain": Probe(lambda s, p: _answer_session_pain(s, p), "patient"),
    "record_export": Probe(lambda s, p: s.record_export("diary.csv", patient_id=p), "patient"),
    "record_cohort_export": Probe(
        lambda s, p: s.record_export("outcomes.csv", patient_id=None), "cohort"
    ),
    "record_report": Probe(lambda s, p: s.record_report("visit.pdf", patient_id=p), "patient"),
    "record_cohort_report": Probe(
        lambda s, p: s.record_report("cohort.pdf", patient_id=None), "cohort"
    ),
    "view_share_links": Probe(lambda s, p: s.share_links(p), "patient"),
    "create_share_link": Probe(lambda s, p: s.create_share_link(p, days=1), "patient"),
    "revoke_share_link": Probe(
        lambda s, p: s.revoke_share_link(_link_to(s.store, p)), "patient", unknown_patient=False
    ),
    "review_share_links": Probe(lambda s, p: s.active_share_links(), "nothing"),
    "change_password": Probe(lambda s, a: s.set_password(a, PASSWORD + "!"), "account"),
    "record_page_refusal": Probe(lambda s, p: s.record_page_refusal("Admin"), "nothing"),
    "manage_accounts": Probe(lambda s, p: s.users(), "nothing"),
    "map_clinician_codes": Probe(lambda s, p: s.clinician_codes(), "nothing"),
    "onboard_patients": Probe(lambda s, p: s.onboarding_status([p]), "nothing"),
    "read_audit_log": Probe(lambda s, p: s.audit_log(limit=1), "nothing"),
    "export_audit_log": Probe(lambda s, p: s.audit_log_csv(action="login"), "nothing"),
    "import": Probe(lambda s, p: s.import_dataset(_small_dataset(), dry_run=True), "cohort"),
    "export": Probe(lambda s, p: s.export_dataset(), "cohort"),
    "refresh_outcomes": Probe(lambda s, p: s.refresh_outcomes(), "cohort"),
    "change_settings": Probe(lambda s, p: s.save_analysis_settings(AnalysisSettings()), "nothing"),
}


def test_there_is_a_probe_for_every_row() -> None:
    assert sorted(PROBES) == sorted(POLICY)


def _assert_refused(
    store: Store, service: Service, action: str, run: Callable[[], Any], patient: str | None
) -> None:
    """``run`` raises AccessDeniedError after writing exactly one audit row, outcome "denied"."""
    before = len(_log(store))
    with pytest.raises(AccessDeniedError, match="^Access denied"):
        run()
    log = _log(store)
    assert len(log) == before + 1, "a refusal writes exactly one audit row"
    row = log.iloc[-1]
    assert row["outcome"] == "denied"
    assert row["action"] == POLICY[action].audit
    assert (row["username"], row["face"]) == (service.user.username, service.face)
    if patient is None:
        assert pd.isna(row["patient_id"])
    else:
        assert row["patient_id"] == patient


def _refused_patient(action: str) -> str | None:
    """The patient a refusal of the whole action names in the audit log."""
    reaches = PROBES[action].reaches
    return {"patient": INSIDE, "cohort": "*"}.get(reaches)


@pytest.mark.parametrize("role", POLICY_ROLES)
@pytest.mark.parametrize("action", list(POLICY))
def test_every_cell_of_the_policy_on_a_real_service(store: Store, action: str, role: str) -> None:
    """A refused cell is refused and recorded; an allowed cell works inside its scope and is
    refused (and recorded) just outside it; who may reach everyone is told what does not exist."""
    probe = PROBES[action]
    service = _service(store, WHO[role])
    scope = POLICY[action].scope(role)
    inside = service.user.username if probe.reaches == "account" else INSIDE
    if scope is None:
        _assert_refused(
            store, service, action, lambda: probe.run(service, inside), _refused_patient(action)
        )
        return
    probe.run(service, inside)
    if probe.reaches == "patient" and scope in (OWN, ASSIGNED):
        _assert_refused(store, service, action, lambda: probe.run(service, OUTSIDE), OUTSIDE)
    elif probe.reaches == "account" and scope == OWN:
        _assert_refused(store, service, action, lambda: probe.run(service, "spare"), None)
    elif probe.reaches == "patient" and scope == ALL and probe.unknown_patient:
        with pytest.raises(NotFoundError, match="No patient 'NOBODY'"):
            probe.run(service, "NOBODY")
    elif probe.reaches == "account" and scope == ALL:
        probe.run(service, "spare")
        with pytest.raises(NotFoundError, match="No account named 'ghost'"):
            probe.run(service, "ghost")


# --------------------------------------------------------------------------- the decorator


def _public_methods() -> dict[str, Any]:
    return {
        name: getattr(Service, name)
        for name in dir(Service)
        if not name.startswith("_") and callable(getattr(Service, name))
    }


#: Public methods outside the table, and why.
UNGOVERNED = {
    "for_share_link": "builds the service of a share link: it authenticates a token, and "
    "records its refusals itself (share_use, denied)",
    "invite_account": "reads whom a first sign-in link is for, before anyone is signed in",
    "accept_invite": "authenticates a first sign-in link's token, records its use and its "
    "refusals itself (user_admin, invite_use)",
}


def test_every_public_service_method_is_governed_by_a_row_of_the_table() -> None:
    methods = _public_methods()
    assert set(UNGOVERNED) <= set(methods)
    ungoverned = sorted(
        name for name, m in methods.items() if governance_of(m) is None and name not in UNGOVERNED
    )
    assert ungoverned == [], f"every public Service method needs @governed(...): {ungoverned}"
    assert len(methods) - len(UNGOVERNED) >= 31


def test_every_row_of_the_table_governs_a_method() -> None:
    used = {
        action
        for m in _public_methods().values()
        if (g := governance_of(m)) is not None
        for action in g.actions()
    }
    assert used == set(POLICY)


def test_a_refusal_names_only_arguments_the_method_has() -> None:
    for name, method in _public_methods().items():
        governance = governance_of(method)
        if governance is None:
            continue
        params = set(inspect.signature(method).parameters)
        for action in governance.actions():
            named = set(POLICY[action].refusal_detail) - {"call"}
            assert named <= params, (name, action, named - params)


def test_a_governed_method_keeps_its_signature_and_docstring() -> None:
    method = Service.save_diary_entry
    assert list(inspect.signature(method).parameters) == ["self", "entry", "replace"]
    assert method.__name__ == "save_diary_entry"
    assert method.__doc__ and method.__doc__.startswith("Store one diary day")


def test_governed_refuses_an_action_that_is_not_in_the_table() -> None:
    with pytest.raises(ValueError, match="must be a row of the policy"):
        governed("fly")
    with pytest.raises(ValueError, match="a patient or an account, not both"):
        governed("change_password", patient="patient_id", account="username")


# --------------------------------------------------------------------------- the table itself

WRITES = {"edit", "import", "settings", "user_admin", "share_create", "share_revoke", "refresh"}
AUDIT_ACTIONS = WRITES | {"view", "export", "report"}


def test_the_table_means_what_its_scopes_say() -> None:
    for rule in POLICY.values():
        cells = rule.cells()
        assert rule.audit in AUDIT_ACTIONS, rule.action
        assert set(cells.values()) <= {OWN, ASSIGNED, ALL, None}, rule.action
        assert cells["admin"] == ALL, f"{rule.action}: an admin may do everything"
        if rule.subject == "account":
            assert set(cells.values()) <= {OWN, ALL, None} and rule.refusal, rule.action
            continue
        assert rule.subject == "patient", rule.action
        # "own" is a patient's (or a share link's) one patient; "assigned" a clinician's
        assert cells["patient"] in (OWN, None) and cells["share-link"] in (OWN, None), rule.action
        assert cells["clinician"] in (ASSIGNED, None), rule.action


def test_a_share_link_never_writes_and_never_reaches_more_than_its_patient() -> None:
    for rule in POLICY.values():
        link = rule.scope("share-link")
        if rule.audit in WRITES:
            assert link is None, rule.action
        if link is not None:
            assert rule.scope("patient") is not None, rule.action


def test_a_rule_scope_needs_a_role_of_the_table() -> None:
    with pytest.raises(ValueError, match="'role' parameter of Rule.scope"):
        POLICY["view_patient"].scope("root")


def _markdown_table() -> str:
    methods: dict[str, list[str]] = {}
    for name, method in sorted(_public_methods().items()):
        governance = governance_of(method)
        for action in governance.actions() if governance is not None else ():
            methods.setdefault(action, []).append(f"`{name}`")
    lines = [
        "| action | what it is | service methods | audit action | patient | clinician "
        "| admin | share link |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rule in POLICY.values():
        cells = " | ".join("—" if c is None else c for c in rule.cells().values())
        lines.append(
            f"| `{rule.action}` | {rule.summary} | {', '.join(methods[rule.action])} "
            f"| `{rule.audit}` | {cells} |"
        )
    return "\n".join(lines) + "\n"


def test_docs_security_shows_the_table_of_the_code() -> None:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- policy table:[^\n]*-->\n(.*?)<!-- end of policy table -->", text, re.S)
    assert found, "docs/security.md lost its policy table markers"
    assert found.group(1) == _markdown_table(), "regenerate the table in docs/security.md"


# --------------------------------------------------------------------------- scope in the query


@pytest.mark.parametrize("who", ["pat", "share-link"])
def test_a_patients_look_back_in_time_reads_only_their_own_rows(store: Store, who: str) -> None:
    """A status date before the patient's last diary day recomputes their outcomes from
    their rows, read with their own id in the query."""
    service = _service(store, who)
    settings = AnalysisSettings(n_boot=50, as_of="2024-01-08")  # diary days: 01-08 to 01-10
    got = service.cohort_tables(settings, purpose="look back")["patient_outcomes"]
    ds = store.dataset("test", patient_ids=["P1"])
    expected = per_patient(ds.patients, ds.diary, ds.sessions, settings)["patient_outcomes"]
    pdt.assert_frame_equal(got, expected)
    row = _log(store).iloc[-1]
    assert (row["action"], row["patient_id"]) == ("view", "*")
    assert '"recomputed_for_date": 1' in row["detail"]
