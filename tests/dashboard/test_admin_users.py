"""The Users tab of the Admin page: columns in words, an Add user form that keeps what was
typed and names the field of each problem, Enable / Disable / Unlock per account, and the
"Choose a new password" page of a person whose password an administrator set."""

from __future__ import annotations

import pytest

from analytics import access
from analytics.access import LOCAL_OPERATOR
from analytics.errors import AuthenticationError
from analytics.service import Service
from analytics.store import open_store
from dashboard.text import shown

from .conftest import PASSWORD, new_app, open_page, sign_in

ADD = "FormSubmitter:admin.add-Add user"


def _errors(at) -> list[str]:
    """The error messages of a run, as written (the page escapes stored text for markdown)."""
    return [e.value for e in at.error]


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _record(url: str, name: str) -> dict:
    with open_store(url) as store:
        record = store.user_record(name)
    assert record is not None
    return record


def _fill(at, **values) -> None:
    for field in ("username", "name", "password"):
        if field in values:
            at.text_input(key=f"admin.add.{field}").input(values[field])
    for field in ("role", "patient"):
        if field in values:
            at.selectbox(key=f"admin.add.{field}").set_value(values[field])


def test_the_users_table_names_its_columns_in_words(demo_db):
    at = open_page("views/admin.py", user="admin")
    table = at.dataframe[0].value
    assert list(table.columns) == [
        "Username", "Name", "Role", "Patient", "Active", "Locked until (UTC)",
        "Failed sign-ins", "Password to change", "Last sign-in (UTC)", "Password set (UTC)",
        "Patients assigned", "Created (UTC)",
    ]  # fmt: skip
    rows = table.set_index("Username")
    assert rows.loc["admin", "Role"] == "Administrator"
    assert rows.loc["p003", "Patient"] == "P003"
    assert bool(rows.loc["dr.a", "Active"]) and rows.loc["dr.a", "Patients assigned"] == 30
    assert not {"user_id", "failed_count", "locked_until"} & set(table.columns)


def test_add_user_keeps_the_values_and_names_the_field_then_adds(demo_db):
    at = open_page("views/admin.py", user="admin")
    _fill(at, username="new nurse", name="Nora Nurse", role="clinician", password=PASSWORD)
    at.button(key=ADD).click().run()
    assert not at.exception
    message = (
        "Usernames have 1 to 64 letters, digits, dots, dashes or underscores (an e-mail "
        "address for single sign-on may also have one @); 'new nurse' has a space."
    )
    assert _errors(at) == [shown(message)]
    # what was typed is still there
    assert at.text_input(key="admin.add.username").value == "new nurse"
    assert at.text_input(key="admin.add.name").value == "Nora Nurse"
    assert at.selectbox(key="admin.add.role").value == "clinician"
    assert at.text_input(key="admin.add.password").value == PASSWORD

    # a second press without a change says the same sentence, never a parameter message
    at.button(key=ADD).click().run()
    assert _errors(at) == [shown(message)]
    assert "parameter" not in _texts(at.error)

    at.text_input(key="admin.add.username").input("new.nurse")
    at.button(key=ADD).click().run()
    assert not at.exception and not at.error
    assert "Added new.nurse (Clinician)" in _texts(at.success)
    assert at.text_input(key="admin.add.username").value == ""  # emptied after a success
    record = _record(demo_db, "new.nurse")
    assert record["display_name"] == "Nora Nurse" and record["must_change_password"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"role": "clinician", "password": PASSWORD}, "Enter a username."),
        ({"username": "nurse2", "password": PASSWORD}, "Choose a role."),
        (
            {"username": "p099", "role": "patient", "password": PASSWORD},
            "Choose the patient of this patient account.",
        ),
        (
            {"username": "nurse2", "role": "clinician", "password": "12345678"},
            "This password is one of the first that attackers try (a well-known password, "
            "one character repeated or a run like 12345678). Choose another: a few unrelated "
            "words make a good one.",
        ),
        (
            {"username": "dr.a", "role": "clinician", "password": PASSWORD},
            "An account named dr.a exists; choose another name.",
        ),
    ],
)
def test_add_user_shows_the_exact_field_message(demo_db, values, message):
    at = open_page("views/admin.py", user="admin")
    _fill(at, **values)
    at.button(key=ADD).click().run()
    assert not at.exception
    assert _errors(at) == [shown(message)]
    assert not at.success


def test_unlock_keeps_the_password(demo_db):
    with open_store(demo_db) as store:
        for _ in range(access.MAX_FAILURES):
            with pytest.raises(AuthenticationError):
                access.authenticate(store, "p003", "not the password", face="test")
    assert _record(demo_db, "p003")["locked_until"] is not None
    at = open_page("views/admin.py", user="admin")
    at.selectbox(key="admin.account.user").set_value("p003").run()
    assert "**p003**: Active; locked until " in _texts(at.caption)
    assert at.button(key="admin.account.enable").disabled  # already active
    at.button(key="admin.account.unlock").click().run()
    assert not at.exception
    assert "Unlocked p003: the failed sign-ins are cleared; their password is kept." in _texts(
        at.success
    )
    assert _record(demo_db, "p003")["locked_until"] is None
    assert sign_in(new_app().run(), "p003", PASSWORD).title[0].value == "📝 Log today"


def test_enable_lets_a_disabled_account_sign_in_again(demo_db):
    with open_store(demo_db) as store:
        Service(store, LOCAL_OPERATOR, face="test:setup").disable_user("dr.b")
    at = open_page("views/admin.py", user="admin")
    at.selectbox(key="admin.account.user").set_value("dr.b").run()
    assert "Disabled (cannot sign in)." in _texts(at.caption)
    assert at.button(key="admin.account.disable").disabled
    assert at.button(key="admin.account.unlock").disabled  # nothing to unlock
    at.button(key="admin.account.enable").click().run()
    assert "Enabled dr.b" in _texts(at.success)
    assert not _record(demo_db, "dr.b")["disabled"]
    assert sign_in(new_app().run(), "dr.b").title[0].value == "🏥 Clinic overview"


def _choose(at, given: str, new: str, again: str | None = None):
    at.text_input(key="first.given").input(given)
    at.text_input(key="first.new").input(new)
    at.text_input(key="first.again").input(new if again is None else again)
    at.button(key="FormSubmitter:first.password-Save my password").click().run()
    return at


def test_a_password_set_by_an_admin_is_changed_at_the_next_sign_in(demo_db):
    with open_store(demo_db) as store:
        Service(store, LOCAL_OPERATOR, face="test:setup").set_password("dr.a", "given by admin")
    at = sign_in(new_app().run(), "dr.a", "given by admin")
    assert not at.exception
    assert at.title[0].value == "🔑 Choose a new password"
    assert not at.dataframe  # no patient data, no menu of pages
    assert not at.get("page_link")

    _choose(at, "given by admin", "given by admin")
    assert "Choose a password other than the one you were given" in _texts(at.error)
    _choose(at, "given by admin", "my own words", "my own wordz")
    assert "The two new passwords differ" in _texts(at.error)
    _choose(at, "given by admin", "short")
    assert "8 to 1024 characters" in _texts(at.error)
    assert _record(demo_db, "dr.a")["must_change_password"]

    _choose(at, "given by admin", "dr a's own words")
    assert not at.exception
    assert at.title[0].value == "🏥 Clinic overview"
    assert not _record(demo_db, "dr.a")["must_change_password"]
    assert sign_in(new_app().run(), "dr.a", "dr a's own words").title[0].value == (
        "🏥 Clinic overview"
    )


def test_a_deep_link_shows_only_the_password_page_and_reads_nothing(demo_db):
    with open_store(demo_db) as store:
        Service(store, LOCAL_OPERATOR, face="test:setup").set_password("p003", "given by admin")
        before = len(store.audit_log("test"))
    at = open_page("views/my_progress.py", user="p003")
    assert not at.exception
    assert at.title[0].value == "🔑 Choose a new password"
    with open_store(demo_db) as store:
        log = store.audit_log("test").iloc[before:]
    assert not ((log["username"] == "p003") & (log["action"] == "view")).any()
