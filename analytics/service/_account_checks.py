"""The checks of a new account, field by field, in sentences.

Every face that creates an account (the Admin page, ``paindiary user add``) goes
through :meth:`analytics.service.Service.add_user`, which runs
:func:`check_new_account` before anything is hashed or written. Each problem names
its field (``username``, ``role``, ``patient_id``, ``display_name``, ``password``),
so a form can show the message under the field; the message is a sentence a
person can act on, never a parameter message of the library.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd

from analytics import access
from analytics.errors import PROBLEM_COLUMNS, DataValidationError

__all__ = [
    "ACCOUNT_FIELDS",
    "USERNAME_RULE",
    "DISPLAY_NAME_MAX",
    "username_problem",
    "account_error",
    "check_new_account",
]

#: The fields of a new account, in form order.
ACCOUNT_FIELDS = ("username", "display_name", "role", "patient_id", "password")
#: What a username may be, in words (the store allows 64 characters).
USERNAME_RULE = (
    "Usernames have 1 to 64 letters, digits, dots, dashes or underscores "
    "(an e-mail address for single sign-on may also have one @)"
)
#: Longest display name.
DISPLAY_NAME_MAX = 100

_USERNAME = re.compile(r"^[A-Za-z0-9._-]+(@[A-Za-z0-9._-]+)?$")
_ROLE_WORDS = "patient, clinician or administrator"


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:80]


def _character(ch: str) -> str:
    if ch == " ":
        return "a space"
    name = unicodedata.name(ch, "")
    if ch.isalpha() and not ch.isascii():
        # a look-alike of a Latin letter would make a second "admin" in the audit log
        return f"the letter {ch!r} ({name}), which is not one of a to z"
    return f"the character {_shown(ch)!r}" + (f" ({name})" if name else "")


def username_problem(username: Any) -> str | None:
    """Return why ``username`` cannot name a new account (a sentence), or None.

    Parameters
    ----------
    username : str

    Returns
    -------
    str or None
        E.g. "Enter a username." or "Usernames have 1 to 64 letters, digits, dots,
        dashes or underscores (...); 'ann smith' has a space."
    """
    if not isinstance(username, str) or not username.strip():
        return "Enter a username."
    if len(username) > 64:
        return f"{USERNAME_RULE}; this one has {len(username)} characters."
    if _USERNAME.match(username):
        return None
    bad = next(
        (ch for ch in username if not (ch.isascii() and (ch.isalnum() or ch in "._-@"))), None
    )
    if bad is None:  # only allowed characters: more than one @, or one at either end
        return f"{USERNAME_RULE}; {_shown(username)!r} has its @ in the wrong place."
    return f"{USERNAME_RULE}; {_shown(username)!r} has {_character(bad)}."


def account_error(problems: list[tuple[str, Any, str]], *, what: str) -> DataValidationError:
    """Return the error of a form's problems: ``(field, value, message)`` each.

    Parameters
    ----------
    problems : list of (str, object, str)
        The field, the value shown (never a password) and the sentence.
    what : str
        What was not done, e.g. "the account was not added".

    Returns
    -------
    DataValidationError
        Its message is the one sentence of a single problem, else the count and every
        sentence; ``problems`` holds one row per field (``column`` is the field).
    """
    frame = pd.DataFrame(
        [("account", 0, field, _shown(value), message) for field, value, message in problems],
        columns=PROBLEM_COLUMNS,
    )
    if len(problems) == 1:
        text = problems[0][2]
    else:
        text = f"{len(problems)} problems; {what}: " + " ".join(m for _, _, m in problems)
    return DataValidationError(text, frame)


def check_new_account(
    *,
    username: Any,
    role: Any,
    patient_id: Any,
    display_name: Any,
    password: Any,
) -> None:
    """Check every field of a new account at once.

    Nothing is looked up in the database here (a taken username, an unknown
    patient): the service does that next.

    Parameters
    ----------
    username, role, patient_id, display_name, password
        As the person gave them.

    Raises
    ------
    DataValidationError
        One row per field with a problem (see :func:`account_error`).
    """
    problems: list[tuple[str, Any, str]] = []
    name_problem = username_problem(username)
    if name_problem:
        problems.append(("username", username, name_problem))
    if (
        not isinstance(display_name, str)
        or len(display_name) > DISPLAY_NAME_MAX
        or not (display_name.isprintable())
    ):
        problems.append(
            (
                "display_name",
                display_name,
                f"Names have at most {DISPLAY_NAME_MAX} characters on one line.",
            )
        )
    if role in (None, ""):
        problems.append(("role", role, "Choose a role."))
    elif role not in access.ROLES:
        problems.append(("role", role, f"Choose a role: {_ROLE_WORDS} (not {_shown(role)!r})."))
    if role == "patient" and patient_id in (None, ""):
        problems.append(("patient_id", patient_id, "Choose the patient of this patient account."))
    elif role in access.ROLES and role != "patient" and patient_id not in (None, ""):
        problems.append(
            (
                "patient_id",
                patient_id,
                "Only a patient account has a patient; clear Patient for a clinician or "
                "administrator account.",
            )
        )
    if not isinstance(password, str) or not password:
        problems.append(("password", "", "Enter a password."))
    else:
        try:
            access.check_password(
                password, username=username if isinstance(username, str) else None
            )
        except ValueError as exc:
            problems.append(("password", "", str(exc)))
    if problems:
        raise account_error(problems, what="the account was not added")
