"""Password rules: the first passwords an attacker tries, runs, the username, control
characters, and one password whatever Unicode form the keyboard sends.

Every refusal is checked word for word; a refusal through the service (an admin
adding an account or setting a password, an owner changing theirs) leaves the
database as it was, but for the one audit row of a refused new account.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from analytics.access import LOCAL_OPERATOR, user_from_record
from analytics.access import _auth as auth
from analytics.errors import AuthenticationError, DataValidationError
from analytics.service import Service
from analytics.store import Store, open_store

from .conftest import audit_trail, database_fingerprint

COMMON = (
    "This password is one of the first that attackers try (a well-known password, one "
    "character repeated or a run like 12345678). Choose another: a few unrelated words make "
    "a good one."
)
USERNAME = (
    "The password must not be made mostly of the username. Choose another: a few unrelated "
    "words make a good one."
)
CONTROL = (
    "The password must not contain control characters (such as a tab, a line break or a NUL "
    "character)."
)
BLANK = "The password must not be only spaces."


def length(n: int) -> str:
    """The refusal of a password of ``n`` characters (outside 8 to 1024)."""
    return (
        f"The password must have 8 to 1024 characters (it has {n}). A few unrelated words make "
        "a good one."
    )


@pytest.mark.parametrize(
    "password",
    ["password", "PassWord", "12345678", "87654321", "abcdefgh", "aaaaaaaaaa", "qwertyuiop"],
)
def test_well_known_passwords_and_runs_are_refused(password: str) -> None:
    with pytest.raises(ValueError) as err:
        auth.check_password(password)
    assert str(err.value) == COMMON


def test_a_password_made_of_the_username_is_refused() -> None:
    for password in ("p001p001", "P001 clinic"):
        with pytest.raises(ValueError) as err:
            auth.check_password(password, username="p001")
        assert str(err.value) == USERNAME
    assert auth.check_password("p001 walks the dog", username="p001") == "p001 walks the dog"


@pytest.mark.parametrize("password", ["\x00" * 8, "tab\there now", "line\nbreak here"])
def test_control_characters_are_refused(password: str) -> None:
    with pytest.raises(ValueError) as err:
        auth.check_password(password)
    assert str(err.value) == CONTROL


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", length(5)), (" " * 9, BLANK), ("x" * 1025, length(1025))],
)
def test_length_and_blank_passwords_are_refused(password: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        auth.check_password(password)
    assert str(err.value) == message


def test_a_good_passphrase_passes_and_is_returned_in_nfkc_form() -> None:
    decomposed = unicodedata.normalize("NFD", "café au lait dès 7h")
    assert auth.check_password(decomposed) == unicodedata.normalize("NFC", "café au lait dès 7h")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)
    with open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}") as s:
        s.save_patient("admin", {"patient_id": "P001", "condition": "low back pain"})
        yield s


def test_a_password_set_in_one_unicode_form_signs_in_with_the_other(store: Store) -> None:
    composed = unicodedata.normalize("NFC", "Zoë’s café morning")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    store.add_user(
        "admin",
        username="pat",
        role="patient",
        patient_id="P001",
        password_hash=auth.hash_password(decomposed, username="pat"),
    )
    assert auth.authenticate(store, "pat", composed, face="test").username == "pat"
    assert auth.authenticate(store, "pat", decomposed, face="test").username == "pat"


#: Passwords with compatibility characters and their NFKC forms: what a phone's
#: full-width keyboard, a word processor's ligature or a superscript key sends.
COMPATIBLE = [
    pytest.param(
        "ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ", "correct horse battery", id="full-width"
    ),
    pytest.param("ﬁsh and ﬁnches at ﬁve", "fish and finches at five", id="ligature-fi"),
    pytest.param("room² for my desk lamp", "room2 for my desk lamp", id="superscript-two"),
]


@pytest.mark.parametrize(("compatible", "plain"), COMPATIBLE)
@pytest.mark.parametrize("set_as", ["compatible", "plain"])
def test_a_password_with_compatibility_characters_signs_in_in_its_plain_form_and_back(
    store: Store, compatible: str, plain: str, set_as: str
) -> None:
    assert compatible != plain and unicodedata.normalize("NFKC", compatible) == plain
    chosen = compatible if set_as == "compatible" else plain
    password_hash = auth.hash_password(chosen, username="pat")
    assert auth._hasher().verify(password_hash, plain)  # stored in its NFKC form
    store.add_user(
        "admin", username="pat", role="patient", patient_id="P001", password_hash=password_hash
    )
    for typed in (plain, compatible):
        assert auth.authenticate(store, "pat", typed, face="test").username == "pat"
    with pytest.raises(AuthenticationError) as refused:  # and only this password
        auth.authenticate(store, "pat", plain[:-1] + "x", face="test")
    assert str(refused.value) == auth.SIGN_IN_REFUSED


#: Passwords the policy refuses, each a template of the account's username, and the
#: sentence the person reads.
REFUSED = [
    pytest.param("password", COMMON, id="common"),
    pytest.param("{0}{0}{0}", USERNAME, id="username"),
    pytest.param("tab\there now", CONTROL, id="control-character"),
    pytest.param("short", length(5), id="too-short"),
    pytest.param(("long words " * 100)[:1025], length(1025), id="over-1024"),
]


def _owner(store: Store) -> Service:
    record = store.user_record("pat")
    assert record is not None
    return Service(store, user_from_record(record), face="test")


#: Who sets the refused password: (the call, the account it is for).
SETTERS: dict[str, tuple[Callable[[Store, str], object], str]] = {
    "admin-adds": (
        lambda s, p: Service(s, LOCAL_OPERATOR, face="test").add_user(
            "ann", role="clinician", password=p
        ),
        "ann",
    ),
    "admin-sets": (
        lambda s, p: Service(s, LOCAL_OPERATOR, face="test").set_password("pat", p),
        "pat",
    ),
    "owner-changes": (lambda s, p: _owner(s).set_password("pat", p), "pat"),
}


@pytest.mark.parametrize("who", list(SETTERS))
@pytest.mark.parametrize(("template", "message"), REFUSED)
def test_a_refused_password_says_why_and_changes_nothing(
    store: Store, who: str, template: str, message: str
) -> None:
    store.add_user(
        "admin", username="pat", role="patient", patient_id="P001",
        password_hash=auth.hash_password("the first long words"),
    )  # fmt: skip
    call, username = SETTERS[who]
    password = template.format(username)
    trail = audit_trail(store)
    print_before = database_fingerprint(store)
    with pytest.raises(ValueError) as refused:
        call(store, password)
    assert str(refused.value) == message
    assert database_fingerprint(store) == print_before
    added = [(e.username, e.action, e.outcome, e.detail) for e in audit_trail(store)[len(trail) :]]
    if who == "admin-adds":  # a refused new account is recorded, without the password
        assert isinstance(refused.value, DataValidationError)
        assert list(refused.value.problems["column"]) == ["password"]
        assert list(refused.value.problems["value"]) == [""]
        assert added == [
            (
                LOCAL_OPERATOR.username, "user_admin", "failed",
                {"op": "add_user", "username": "ann", "fields": ["password"]},
            )
        ]  # fmt: skip
    else:
        assert added == []


def test_a_hash_made_before_normalisation_still_matches_the_password_as_typed(
    store: Store,
) -> None:
    decomposed = unicodedata.normalize("NFD", "Zoë’s café morning")
    legacy = str(auth._hasher().hash(decomposed))  # stored as typed, not normalised
    assert auth.verify_password(legacy, decomposed)
    assert not auth.verify_password(legacy, "another password entirely")
