"""Accounts through the service: Add user checked field by field in sentences, Enable,
Disable and Unlock (audited "user_admin", refused to everyone but admins), and a password
an administrator set that must be changed before anything else is read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from analytics import access
from analytics.access import LOCAL_OPERATOR, User
from analytics.errors import (
    AccessDeniedError,
    AuthenticationError,
    DataValidationError,
    NotFoundError,
)
from analytics.service import Service
from analytics.store import Store, open_store

PASSWORD = "a long enough password"
OTHER = "quite another passphrase"


@pytest.fixture(autouse=True)
def _own_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A data directory of this test's own (passwords hash cheaply: tests/conftest.py)."""
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Two patients, an admin, a clinician (P1) and a patient account (P1), all signed-in-able."""
    with open_store(f"sqlite:///{tmp_path / 'clinic.sqlite3'}") as s:
        for pid in ("P1", "P2"):
            s.save_patient("setup", {"patient_id": pid, "condition": "knee pain"})
        h = access.hash_password(PASSWORD)
        s.add_user("setup", username="boss", role="admin", password_hash=h)
        s.add_user("setup", username="ann", role="clinician", password_hash=h)
        s.add_user("setup", username="pat", role="patient", patient_id="P1", password_hash=h)
        s.assign("setup", "ann", ["P1"])
        yield s


def _as(store: Store, name: str) -> Service:
    return Service(store, access.authenticate(store, name, PASSWORD, face="test"), face="test")


def _admin_rows(store: Store) -> pd.DataFrame:
    log = store.audit_log("test")
    return log[log["action"] == "user_admin"]


def _detail(row: pd.Series) -> dict:
    return json.loads(row["detail"]) if isinstance(row["detail"], str) else dict(row["detail"])


# -- Add user: every field in a sentence -----------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": ""}, "username", "Enter a username."),
        ({"username": "   "}, "username", "Enter a username."),
        (
            {"username": "ann smith"},
            "username",
            "Usernames have 1 to 64 letters, digits, dots, dashes or underscores (an e-mail "
            "address for single sign-on may also have one @); 'ann smith' has a space.",
        ),
        (
            {"username": "\u0430dmin"},  # a Cyrillic "а" that looks like "a"
            "username",
            "Usernames have 1 to 64 letters, digits, dots, dashes or underscores (an e-mail "
            "address for single sign-on may also have one @); 'аdmin' has the letter 'а' "
            "(CYRILLIC SMALL LETTER A), which is not one of a to z.",
        ),
        (
            {"username": "x" * 65},
            "username",
            "Usernames have 1 to 64 letters, digits, dots, dashes or underscores (an e-mail "
            "address for single sign-on may also have one @); this one has 65 characters.",
        ),
        ({"role": ""}, "role", "Choose a role."),
        (
            {"role": "root"},
            "role",
            "Choose a role: patient, clinician or administrator (not 'root').",
        ),
        (
            {"role": "patient"},
            "patient_id",
            "Choose the patient of this patient account.",
        ),
        (
            {"patient_id": "P1"},
            "patient_id",
            "Only a patient account has a patient; clear Patient for a clinician or "
            "administrator account.",
        ),
        ({"password": ""}, "password", "Enter a password."),
        (
            {"password": "short"},
            "password",
            "The password must have 8 to 1024 characters (it has 5). A few unrelated words "
            "make a good one.",
        ),
        (
            {"username": "ann"},
            "username",
            "An account named ann exists; choose another name.",
        ),
        (
            {"role": "patient", "patient_id": "P9"},
            "patient_id",
            "No patient P9 is stored; import or save the patient before creating their account.",
        ),
        (
            {"display_name": "two\nlines"},
            "display_name",
            "Names have at most 100 characters on one line.",
        ),
    ],
)
def test_add_user_names_the_field_in_a_sentence(
    store: Store, fields: dict, field: str, message: str
) -> None:
    given = {"username": "newdoc", "role": "clinician", "password": OTHER, **fields}
    name = given.pop("username")
    before = store.users("test")
    with pytest.raises(DataValidationError) as info:
        _as(store, "boss").add_user(name, **given)
    assert str(info.value) == message
    problems = info.value.problems
    assert problems[["column", "message"]].values.tolist() == [[field, message]]
    assert "parameter" not in str(info.value)
    assert OTHER not in problems.to_string()  # a password is never echoed
    pd.testing.assert_frame_equal(store.users("test"), before)  # nothing written
    row = _admin_rows(store).iloc[-1]  # the refusal is recorded, without the password
    assert (row["username"], row["outcome"]) == ("boss", "failed")
    assert _detail(row)["op"] == "add_user" and _detail(row)["fields"] == [field]
    assert OTHER not in str(row["detail"])


def test_add_user_reports_every_field_at_once(store: Store) -> None:
    with pytest.raises(DataValidationError) as info:
        _as(store, "boss").add_user("", role="", password="")
    assert info.value.problems["column"].tolist() == ["username", "role", "password"]
    assert str(info.value) == (
        "3 problems; the account was not added: Enter a username. Choose a role. Enter a password."
    )


def test_add_user_is_refused_to_non_admins_before_any_check(store: Store) -> None:
    for name in ("ann", "pat"):
        with pytest.raises(AccessDeniedError, match="add_user is for admin accounts"):
            _as(store, name).add_user("", role="", password="")
    denied = _admin_rows(store)
    assert denied["outcome"].tolist() == ["denied", "denied"]
    assert denied["username"].tolist() == ["ann", "pat"]


def test_an_e_mail_address_is_a_username(store: Store) -> None:
    new = _as(store, "boss").add_user("dr.c@clinic.example", role="clinician", password=OTHER)
    assert new.username == "dr.c@clinic.example" and new.must_change_password


# -- enable, disable, unlock -----------------------------------------------------------------


def _lock(store: Store, name: str) -> None:
    for _ in range(access.MAX_FAILURES):
        with pytest.raises(AuthenticationError):
            access.authenticate(store, name, "a wrong password!", face="test")


def test_unlock_keeps_the_password(store: Store) -> None:
    _lock(store, "ann")
    record = store.user_record("ann")
    assert record is not None and record["locked_until"] is not None
    with pytest.raises(AuthenticationError):  # locked: the right password is refused too
        access.authenticate(store, "ann", PASSWORD, face="test")

    _as(store, "boss").unlock_user("ann")

    after = store.user_record("ann")
    assert after is not None
    assert after["password_hash"] == record["password_hash"]
    assert (after["failed_count"], after["locked_until"]) == (0, None)
    assert not after["must_change_password"]
    assert access.authenticate(store, "ann", PASSWORD, face="test").username == "ann"
    row = _admin_rows(store).iloc[-1]
    assert (row["username"], row["outcome"], row["role"]) == ("boss", "ok", "admin")
    detail = _detail(row)
    assert detail["op"] == "unlock_user" and detail["username"] == "ann"
    assert detail["locked_until"] == record["locked_until"].isoformat()


def test_unlock_clears_failures_short_of_a_lock(store: Store) -> None:
    for _ in range(access.MAX_FAILURES - 1):
        with pytest.raises(AuthenticationError):
            access.authenticate(store, "pat", "a wrong password!", face="test")
    _as(store, "boss").unlock_user("pat")
    assert _detail(_admin_rows(store).iloc[-1])["failed_count"] == access.MAX_FAILURES - 1
    # the count starts again: four more wrong passwords do not lock
    for _ in range(access.MAX_FAILURES - 1):
        with pytest.raises(AuthenticationError):
            access.authenticate(store, "pat", "a wrong password!", face="test")
    assert access.authenticate(store, "pat", PASSWORD, face="test").username == "pat"


def test_disable_then_enable(store: Store) -> None:
    boss = _as(store, "boss")
    boss.disable_user("ann")
    with pytest.raises(AuthenticationError):
        access.authenticate(store, "ann", PASSWORD, face="test")
    boss.enable_user("ann")
    assert access.authenticate(store, "ann", PASSWORD, face="test").role == "clinician"
    ops = [(_detail(r)["op"], _detail(r)["username"]) for _, r in _admin_rows(store).iterrows()]
    assert ops == [("disable_user", "ann"), ("enable_user", "ann")]
    assert _detail(_admin_rows(store).iloc[-1])["was_disabled"] is True


@pytest.mark.parametrize("op", ["enable_user", "disable_user", "unlock_user"])
def test_account_operations_are_for_admins(store: Store, op: str) -> None:
    for name in ("ann", "pat"):
        with pytest.raises(AccessDeniedError, match=f"{op} is for admin accounts"):
            getattr(_as(store, name), op)("boss")
    rows = _admin_rows(store)
    assert rows["outcome"].tolist() == ["denied", "denied"]
    assert [_detail(r)["call"] for _, r in rows.iterrows()] == [op, op]
    boss = store.user_record("boss")
    assert boss is not None and not boss["disabled"]


@pytest.mark.parametrize("op", ["enable_user", "disable_user", "unlock_user"])
def test_an_unknown_account_is_said_and_recorded_as_failed(store: Store, op: str) -> None:
    with pytest.raises(NotFoundError, match="No account named nobody. Check the spelling."):
        getattr(_as(store, "boss"), op)("nobody")
    row = _admin_rows(store).iloc[-1]
    assert row["outcome"] == "failed" and _detail(row)["op"] == op


def test_the_local_operator_unlocks_too(store: Store) -> None:
    _lock(store, "pat")
    Service(store, LOCAL_OPERATOR, face="cli:user unlock").unlock_user("pat")
    assert access.authenticate(store, "pat", PASSWORD, face="test").patient_id == "P1"


# -- a password an administrator set ---------------------------------------------------------


def test_an_added_account_must_choose_its_password_before_reading(store: Store) -> None:
    created = _as(store, "boss").add_user("pat2", role="patient", password=OTHER, patient_id="P2")
    assert created.must_change_password
    assert _detail(_admin_rows(store).iloc[-1])["must_change_password"] is True
    user = access.authenticate(store, "pat2", OTHER, face="test")
    assert user.must_change_password
    pat2 = Service(store, user, face="test")
    message = (
        "Access denied: an administrator set the password of pat2; pat2 must choose a new "
        "password before anything else."
    )
    for call in (
        lambda: pat2.patient_dataset("P2", purpose="test"),
        lambda: pat2.visible_patient_ids(),
        lambda: pat2.analysis_settings(),
        lambda: pat2.create_share_link("P2"),
    ):
        with pytest.raises(AccessDeniedError) as info:
            call()
        assert str(info.value) == message
    log = store.audit_log("test")
    denied = log[(log["username"] == "pat2") & (log["outcome"] == "denied")]
    assert len(denied) == 4
    assert not ((log["action"] == "view") & (log["outcome"] == "ok")).any()  # nothing read

    with pytest.raises(ValueError, match="other than the one you were given"):
        pat2.set_password("pat2", OTHER)
    pat2.set_password("pat2", "my very own words")
    record = store.user_record("pat2")
    assert record is not None and not record["must_change_password"]
    again = Service(store, access.authenticate(store, "pat2", "my very own words"), face="test")
    assert again.visible_patient_ids() == ["P2"]


def test_a_flagged_admin_may_only_change_their_own_password(store: Store) -> None:
    _as(store, "boss").add_user("boss2", role="admin", password=OTHER)
    boss2 = Service(store, access.authenticate(store, "boss2", OTHER), face="test")
    with pytest.raises(AccessDeniedError, match="must choose a new password"):
        boss2.set_password("ann", "a password for ann")
    with pytest.raises(AccessDeniedError, match="must choose a new password"):
        boss2.users()
    boss2.set_password("boss2", "the second boss's own")
    fresh = access.authenticate(store, "boss2", "the second boss's own")
    assert len(Service(store, fresh, face="test").users()) == 4


def test_an_admin_reset_flags_and_an_own_change_clears(store: Store) -> None:
    _as(store, "boss").set_password("ann", OTHER)
    record = store.user_record("ann")
    assert record is not None and record["must_change_password"]
    assert _detail(_admin_rows(store).iloc[-1])["must_change_password"] is True
    ann = Service(store, access.authenticate(store, "ann", OTHER), face="test")
    with pytest.raises(AccessDeniedError):
        ann.visible_patient_ids()
    ann.set_password("ann", "ann's own chosen words")
    record = store.user_record("ann")
    assert record is not None and not record["must_change_password"]
    # an admin changing their own password is not asked to change it again
    _as(store, "boss").set_password("boss", "the boss's new words")
    boss = store.user_record("boss")
    assert boss is not None and not boss["must_change_password"]


def test_a_user_built_from_a_flagged_record_carries_the_flag(store: Store) -> None:
    _as(store, "boss").add_user("newdoc", role="clinician", password=OTHER)
    token = access.issue_token(store, access.authenticate(store, "newdoc", OTHER))
    assert access.read_token(store, token).must_change_password
    assert User(1, "x", "admin", None).must_change_password is False


def test_the_account_list_says_who_must_change_and_when_they_last_signed_in(
    store: Store,
) -> None:
    boss = _as(store, "boss")
    boss.add_user("newdoc", role="clinician", password=OTHER)
    access.issue_token(store, access.authenticate(store, "ann", PASSWORD))
    users = boss.users().set_index("username")
    assert bool(users.loc["newdoc", "must_change_password"])
    assert not bool(users.loc["ann", "must_change_password"])
    assert pd.notna(users.loc["ann", "last_sign_in"])
    assert pd.isna(users.loc["newdoc", "last_sign_in"])
