"""The small exception family of paindiary.

The dashboard and the CLI catch these by type and show their message; nothing
else in the package raises a bare ``Exception`` at a user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "DataValidationError",
    "InsufficientDataError",
    "DataQualityWarning",
    "StoreError",
    "ConflictError",
    "NotFoundError",
    "AuthenticationError",
    "AccessDeniedError",
    "PROBLEM_COLUMNS",
]

#: Columns of :attr:`DataValidationError.problems`.
PROBLEM_COLUMNS = ["file", "line", "column", "value", "message"]


class DataValidationError(ValueError):
    """Input data break the data contract (see docs/data-format.md).

    Attributes
    ----------
    problems : pandas.DataFrame
        One row per problem with columns ``file`` (file name), ``line`` (physical
        1-based line in the file, header = 1; 0 when the problem concerns the whole
        file), ``column`` (column name or empty), ``value`` (the offending text) and
        ``message`` (what is wrong and how to fix it).
    """

    def __init__(self, message: str, problems: pd.DataFrame | None = None) -> None:
        super().__init__(message)
        if problems is None:
            import pandas as pd

            problems = pd.DataFrame(columns=PROBLEM_COLUMNS)
        self.problems = problems


class InsufficientDataError(ValueError):
    """Not enough data to compute what was asked (e.g. no baseline entries)."""


class DataQualityWarning(UserWarning):
    """Data were loaded, but something about them deserves attention."""


class StoreError(RuntimeError):
    """The database cannot be opened, read or written; the message names it.

    Passwords in the message (any database URL form) are masked when it is created.
    """

    def __init__(self, *args: object) -> None:
        from analytics.safe_text import mask_secrets

        super().__init__(*(mask_secrets(a) if isinstance(a, str) else a for a in args))


class ConflictError(StoreError):
    """A write would overwrite a different stored value without permission.

    Attributes
    ----------
    existing : dict or None
        The stored record a save would have overwritten (the store's single saves).
    report : analytics.store.ImportReport or None
        The report of a refused import, listing every conflict.
    """

    existing: dict[str, Any] | None = None
    report: Any = None  # an analytics.store.ImportReport: the store is a layer above


class NotFoundError(StoreError, LookupError):
    """The record asked for is not stored (e.g. deleting a diary day that does not exist)."""


class AuthenticationError(PermissionError):
    """Sign-in refused.

    A wrong username or password, a locked or disabled account, or an expired, revoked
    or outdated session token. The message never says whether the account exists.
    """


class AccessDeniedError(PermissionError):
    """The signed-in user asked for something outside their role's scope.

    For example another patient's diary. The refusal is recorded in the audit log
    before this is raised.
    """
