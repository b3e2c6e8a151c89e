"""The password rules (NIST SP 800-63B, 5.1.1.2): what a new password must be."""

from __future__ import annotations

import unicodedata
from typing import Any

from analytics.access._common_passwords import COMMON_PASSWORDS

__all__ = ["MIN_PASSWORD_LENGTH", "MAX_PASSWORD_LENGTH", "check_password"]

#: Shortest accepted password (NIST SP 800-63B asks for at least 8).
MIN_PASSWORD_LENGTH = 8
#: Longest accepted password (argon2 hashes anything, but a megabyte is an attack).
MAX_PASSWORD_LENGTH = 1024


def check_password(
    password: Any, *, username: str | None = None, func: str = "check_password"
) -> str:
    """Return ``password`` in Unicode NFKC form when it is acceptable, else raise ValueError.

    The rules of NIST SP 800-63B (5.1.1.2): 8 to 1024 characters after NFKC
    normalisation (so a password typed in composed or decomposed form is the same
    password), no control characters, not a well-known password, not one character
    repeated or a run such as ``12345678``, and not mostly the account's username
    (fewer than 8 characters left without it). Each message says why in a sentence and never contains the password.
    """
    if not isinstance(password, str):
        raise ValueError(
            f"The 'password' parameter of {func} must be a str. Got {type(password).__name__} "
            "instead."
        )
    text = unicodedata.normalize("NFKC", password)
    if not MIN_PASSWORD_LENGTH <= len(text) <= MAX_PASSWORD_LENGTH:
        raise ValueError(
            f"The password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters "
            f"(it has {len(text)}). A few unrelated words make a good one."
        )
    if not text.strip():
        raise ValueError("The password must not be only spaces.")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise ValueError(
            "The password must not contain control characters (such as a tab, a line break "
            "or a NUL character)."
        )
    folded = text.casefold()
    if folded in COMMON_PASSWORDS or _is_run(folded):
        raise ValueError(
            "This password is one of the first that attackers try (a well-known password, "
            "one character repeated or a run like 12345678). Choose another: a few unrelated "
            "words make a good one."
        )
    name = unicodedata.normalize("NFKC", username or "").casefold()
    if name and len(folded.replace(name, "").strip()) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            "The password must not be made mostly of the username. Choose another: a few "
            "unrelated words make a good one."
        )
    return text


def _is_run(text: str) -> bool:
    """Tell whether ``text`` is one character repeated or a run of consecutive characters."""
    if len(set(text)) == 1:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})
