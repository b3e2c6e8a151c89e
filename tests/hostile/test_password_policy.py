"""Password rules: the first passwords an attacker tries, runs, the username, control
characters, and one password whatever Unicode form the keyboard sends."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.access import _auth as auth
from analytics.store import Store, open_store

COMMON = (
    "This password is one of the first that attackers try (a well-known password, one "
    "character repeated or a run like 12345678). Choose another: a few unrelated words make "
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
    with pytest.raises(ValueError, match="must not be made mostly of the username"):
        auth.check_password("p001p001", username="p001")
    with pytest.raises(ValueError, match="mostly of the username"):
        auth.check_password("P001 clinic", username="p001")
    assert auth.check_password("p001 walks the dog", username="p001") == "p001 walks the dog"


@pytest.mark.parametrize("password", ["\x00" * 8, "tab\there now", "line\nbreak here"])
def test_control_characters_are_refused(password: str) -> None:
    with pytest.raises(ValueError, match="must not contain control characters"):
        auth.check_password(password)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "must have 8 to 1024 characters (it has 5)"),
        (" " * 9, "must not be only spaces"),
        ("x" * 1025, "must have 8 to 1024 characters (it has 1025)"),
    ],
)
def test_length_and_blank_passwords_are_refused(password: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        auth.check_password(password)


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


def test_a_hash_made_before_normalisation_still_matches_the_password_as_typed(
    store: Store,
) -> None:
    decomposed = unicodedata.normalize("NFD", "Zoë’s café morning")
    legacy = str(auth._hasher().hash(decomposed))  # stored as typed, not normalised
    assert auth.verify_password(legacy, decomposed)
    assert not auth.verify_password(legacy, "another password entirely")
