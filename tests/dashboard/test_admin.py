"""The Admin page (accounts, assignments, audit log) and the dashboard's layering."""

from __future__ import annotations

import ast
from pathlib import Path

from analytics.access import LOCAL_OPERATOR
from analytics.presentation import AUDIT_COLUMN_LABELS
from analytics.service import Service
from analytics.store import open_store, project_root

from .conftest import DR_A, PASSWORD, new_app, open_page, sign_in

DASHBOARD = project_root() / "dashboard"


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _accounts(url: str):
    with open_store(url) as store:
        return Service(store, LOCAL_OPERATOR, face="test:check").users().set_index("username")


def test_admin_adds_a_patient_account_that_can_sign_in(demo_db):
    at = open_page("views/admin.py", user="admin")
    assert {"p003", "dr.a", "admin"} <= set(at.dataframe[0].value["Username"])
    at.text_input(key="admin.add.username").input("p020")
    at.selectbox(key="admin.add.role").set_value("patient")
    at.selectbox(key="admin.add.patient").set_value("P020")
    at.text_input(key="admin.add.password").input("a fresh password")
    at.button(key="FormSubmitter:admin.add-Add user").click().run()
    assert not at.exception
    assert "Added p020" in _texts(at.success)
    assert _accounts(demo_db).loc["p020", "patient_id"] == "P020"
    # the password an admin chose is changed at the first sign-in, then the diary opens
    patient = sign_in(new_app().run(), "p020", "a fresh password")
    assert patient.title[0].value == "🔑 Choose a new password"
    patient.text_input(key="first.given").input("a fresh password")
    patient.text_input(key="first.new").input("my own secret words")
    patient.text_input(key="first.again").input("my own secret words")
    patient.button(key="FormSubmitter:first.password-Save my password").click().run()
    assert not patient.exception
    assert "Diary of patient **P020**" in _texts(patient.caption)


def test_admin_sees_a_clear_error_for_a_bad_account(demo_db):
    at = open_page("views/admin.py", user="admin")
    at.text_input(key="admin.add.username").input("p021")
    at.selectbox(key="admin.add.role").set_value("patient")
    at.selectbox(key="admin.add.patient").set_value("P021")
    at.text_input(key="admin.add.password").input("short")
    at.button(key="FormSubmitter:admin.add-Add user").click().run()
    assert not at.exception
    assert "8 to 1024 characters" in _texts(at.error)
    assert "p021" not in _accounts(demo_db).index


def test_admin_resets_a_password_and_disables_an_account(demo_db):
    at = open_page("views/admin.py", user="admin")
    at.selectbox(key="admin.reset.user").set_value("p003")
    at.text_input(key="admin.reset.password").input("reset by the admin")
    at.button(key="FormSubmitter:admin.reset-Set password").click().run()
    assert "New password set for p003" in _texts(at.success)
    assert sign_in(new_app().run(), "p003", PASSWORD).title[0].value == "🩺 Pain diary"
    reset = sign_in(new_app().run(), "p003", "reset by the admin")
    assert reset.title[0].value == "🔑 Choose a new password"

    at.selectbox(key="admin.account.user").set_value("dr.b").run()
    assert at.button(key="admin.account.disable").disabled  # until the box is ticked
    at.checkbox(key="admin.account.sure.dr.b").check().run()
    at.button(key="admin.account.disable").click().run()
    assert "Disabled dr.b" in _texts(at.success)
    assert bool(_accounts(demo_db).loc["dr.b", "disabled"])
    assert sign_in(new_app().run(), "dr.b").title[0].value == "🩺 Pain diary"
    # an admin cannot disable themselves from the page
    at.selectbox(key="admin.account.user").set_value("admin").run()
    assert at.button(key="admin.account.disable").disabled


def test_admin_assigns_and_unassigns_patients(demo_db):
    at = open_page("views/admin.py", user="admin")
    at.selectbox(key="admin.assign.clinician").set_value("dr.a").run()
    assert f"dr.a sees {len(DR_A)} patient(s)" in _texts(at.caption)
    at.multiselect(key="admin.assign.add").set_value(["P040"])
    at.button(key="FormSubmitter:admin.assign-Assign").click().run()
    assert "Assigned 1 patient(s) to dr.a" in _texts(at.success)
    overview = open_page("views/clinic_overview.py", user="dr.a")
    # P040's course has ended: not in the list, but among the patients to open
    assert "P040" in overview.selectbox(key="overview.target").options

    at.multiselect(key="admin.assign.drop").set_value(["P040", "P001"])
    at.button(key="FormSubmitter:admin.unassign-Unassign").click().run()
    assert "Took 2 patient(s) from dr.a" in _texts(at.success)
    overview = open_page("views/clinic_overview.py", user="dr.a")
    assert not {"P040", "P001"} & set(overview.selectbox(key="overview.target").options)


def test_admin_pages_through_the_audit_log_with_filters(demo_db):
    for _ in range(3):
        open_page("views/my_progress.py", user="p003")
    with open_store(demo_db) as store:  # 40 more rows, by another user
        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        for pid in DR_A + DR_A[:10]:
            svc.patient_dataset(pid, purpose="test")
    at = open_page("views/admin.py", user="admin")
    table = at.dataframe[-1].value.rename(columns={v: k for k, v in AUDIT_COLUMN_LABELS.items()})
    assert len(table) == 50  # one page
    assert set(AUDIT_COLUMN_LABELS) == set(table.columns)
    first = table.iloc[0].to_dict()
    at.button(key="admin.audit.next").click().run()
    second = at.dataframe[-1].value
    assert len(second) > 0 and second.iloc[0].to_dict() != first
    at.selectbox(key="admin.audit.user").set_value("p003").run()
    mine = at.dataframe[-1].value.rename(columns={v: k for k, v in AUDIT_COLUMN_LABELS.items()})
    assert set(mine["username"]) == {"p003"}
    # each run of open_page opens My progress, already signed in
    views = mine[mine["action"] == "view"]
    assert sorted(views["face"]) == ["dashboard:My progress"] * 3
    assert set(views["patient_id"]) == {"P003"}
    assert at.button(key="admin.audit.prev").disabled  # a new filter starts at the first page


def test_pages_reach_data_only_through_dashboard_data():
    """Pages and the router import no store, service or statistics module; only
    dashboard.data opens the store (to build the service)."""
    forbidden = ("analytics.store", "analytics.service", "analytics.pipeline", "sqlalchemy")
    for path in [DASHBOARD / "app.py", *sorted((DASHBOARD / "views").glob("*.py"))]:
        for name in _imports(path):
            assert not name.startswith(forbidden), f"{path.name} imports {name}"
    for path in sorted(DASHBOARD.glob("*.py")):
        if path.name == "data.py":
            continue
        names = _imports(path)
        assert not any(n.startswith(("analytics.store", "analytics.service")) for n in names), (
            path.name
        )


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names
