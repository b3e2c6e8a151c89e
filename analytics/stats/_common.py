"""Shared helpers of the analytics: parameter checks, index dates, frequency bands.

Internal module; the public names are re-exported from :mod:`analytics`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "FitWarnings",
    "call_key",
    "no_rows",
    "patient_codes",
    "shared_patient_codes",
    "shared_result",
    "sort_by_patient_day",
]

_F = TypeVar("_F", bound=Callable[..., Any])

#: Factorisations of patient columns kept while :func:`shared_patient_codes` is open,
#: keyed by the identity of the column's immutable Arrow data (held here, so the
#: identity cannot be reused while the entry lives).
_SHARED: ContextVar[dict[tuple[int, bool], tuple[Any, np.ndarray, Any]] | None] = ContextVar(
    "shared_patient_codes", default=None
)


#: The dtype of a canonical text column (``astype("str")`` leaves it as it is).
#: The dtype of text columns as the loaders and the store give them (pandas' ``str``).
TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)


@contextmanager
def shared_patient_codes() -> Iterator[None]:
    """Share the patient codes of each frame among the stages run inside the block.

    Every stage codes the patients of the diary (and of the sessions) as integers
    for its grouped arithmetic; inside this block a column whose text is held in
    Arrow's immutable arrays is coded once and the codes are reused by every
    later stage that codes the same column. The results are exactly those of
    coding it again; the codes are dropped when the block ends.
    """
    if _SHARED.get() is not None:  # an enclosing block shares already
        yield
        return
    token = _SHARED.set({})
    results = _RESULTS.set({})
    try:
        yield
    finally:
        _RESULTS.reset(results)
        _SHARED.reset(token)


#: Results of :func:`shared_result` functions kept while :func:`shared_patient_codes`
#: is open, keyed by the function and the identity of its arguments (held in the
#: entry, so no identity can be reused while the entry lives).
_RESULTS: ContextVar[dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] | None] = ContextVar(
    "shared_results", default=None
)


def _frozen(value: Any) -> Any:
    """Return a copy of a result that the caller may change without changing the kept one."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)  # copy-on-write: a change copies the data first
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def shared_result(func: _F) -> _F:
    """Compute ``func`` once per set of arguments inside :func:`shared_patient_codes`.

    For a stage several other stages call on the same frames (a patient's
    reference windows, day regions, MME per day, ...): inside the block a call
    with the very objects of an earlier call (frames and series by identity,
    other arguments by value) returns the earlier result; each caller gets its
    own shallow copy, which copy-on-write keeps from changing the kept one.
    Outside the block, and for arguments that cannot be keys, ``func`` runs as
    always. The arguments are never modified by these stages, so the result is
    exactly that of a new call.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kept = _RESULTS.get()
        key = None if kept is None else call_key(func, args, kwargs)
        if kept is None or key is None:
            return func(*args, **kwargs)
        entry = kept.get(key)
        if entry is None:
            entry = kept[key] = ((*args, *kwargs.values()), func(*args, **kwargs))
        return _frozen(entry[1])

    return wrapper  # type: ignore[return-value]


#: Results without rows by function and the dtypes of the input (see :func:`no_rows`).
_NO_ROWS: dict[tuple[Any, ...], pd.DataFrame] = {}


def no_rows(func: Callable[..., Any], frame: pd.DataFrame, compute: Callable[[], Any]) -> Any:
    """Return the result of ``func`` that has no rows whatever ``frame``'s rows, computed once.

    For a stage whose result has no rows when nothing in ``frame`` applies (no
    medicine named, no region marked): ``compute()`` runs it on the zero rows of a
    frame of the same columns and dtypes, once per function and dtypes; each
    caller gets its own copy. The result depends on nothing but those dtypes.
    """
    key = (func.__qualname__, tuple((str(c), str(t)) for c, t in frame.dtypes.items()))
    result = _NO_ROWS.get(key)
    if result is None:
        result = _NO_ROWS[key] = compute()
    return result.copy()


def call_key(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...] | None:
    """Return a key of a call of ``func``: frames, series and arrays by identity.

    Any other argument counts by value; None when one cannot be a key (unhashable).
    Whoever keeps a result under the key holds the arguments too, so that no identity
    in it is reused while the result is kept.
    """

    def part(value: Any) -> Any:
        if isinstance(value, pd.DataFrame | pd.Series | pd.Index | np.ndarray):
            return ("id", id(value))
        return value

    key = (
        func.__module__,
        func.__qualname__,
        tuple(part(a) for a in args),
        tuple((k, part(v)) for k, v in sorted(kwargs.items())),
    )
    try:
        hash(key)
    except TypeError:
        return None
    return key


def patient_codes(patient_id: pd.Series, *, sort: bool = False) -> tuple[np.ndarray, Any]:
    """``pandas.factorize(patient_id.astype("str"), sort=sort)``, once per column when shared.

    Parameters
    ----------
    patient_id : pandas.Series
        A ``patient_id`` column.
    sort : bool, default False
        Number the patients in sorted order instead of order of appearance.

    Returns
    -------
    codes : numpy.ndarray
        Integer code per row (-1 where the id is missing); a fresh array the
        caller may change.
    uniques : pandas.Index
        The patient ids as text, code ``i`` at position ``i``.
    """
    text = patient_id if patient_id.dtype == TEXT_DTYPE else patient_id.astype("str")
    data = getattr(text.array, "_pa_array", None)
    shared = _SHARED.get()
    if shared is None or data is None:
        codes, uniques = pd.factorize(text, sort=sort)
        return codes, uniques
    key = (id(data), sort)
    entry = shared.get(key)
    if entry is None or entry[0] is not data:
        codes, uniques = pd.factorize(text, sort=sort)
        entry = shared[key] = (data, codes, uniques)
    return entry[1].copy(), entry[2]


def sort_by_patient_day(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` sorted by ``patient_id`` then ``date`` (stable), with a fresh RangeIndex.

    The same rows as ``frame.sort_values(["patient_id", "date"], kind="mergesort")``;
    a frame already in that order (as the loaders and the store return a diary)
    skips the sort: one factorisation of ``patient_id`` shows it.
    """
    if in_patient_day_order(frame["patient_id"], frame["date"]):
        return frame.reset_index(drop=True)
    return frame.sort_values(["patient_id", "date"], kind="mergesort").reset_index(drop=True)


def in_patient_day_order(patient_id: pd.Series, date: pd.Series) -> bool:
    if len(patient_id) < 2:
        return True
    if patient_id.isna().any() or date.isna().any():
        return False
    if isinstance(patient_id.dtype, pd.StringDtype):
        codes, uniques = patient_codes(patient_id)
    else:
        codes, uniques = pd.factorize(patient_id)
    # codes number the patients by first appearance: each patient's rows form one
    # block iff the codes never go down; the blocks are sorted iff the uniques are
    if not (codes[1:] >= codes[:-1]).all():
        return False
    if not pd.Index(uniques).is_monotonic_increasing:
        return False
    day = date.to_numpy()
    same = codes[1:] == codes[:-1]
    return bool((day[1:][same] >= day[:-1][same]).all())


class FitWarnings:
    """Collect the numerical warnings of per-patient (or per-pair) fits and report them once.

    Third-party RuntimeWarnings ("invalid value encountered in sqrt", ...) raised
    inside :meth:`watch` are recorded against the key (a patient or a pair) instead
    of reaching the user; :meth:`report` then emits one
    :class:`analytics.errors.DataQualityWarning` that names the keys and the
    reason. Other warnings pass through unchanged.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.keys: dict[str, str] = {}

    @contextmanager
    def watch(self, key: str, reason: str) -> Iterator[list[warnings.WarningMessage]]:
        """Run a fit for ``key``; RuntimeWarnings are recorded with ``reason``."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield caught
        for w in caught:
            if issubclass(w.category, RuntimeWarning):
                self.keys.setdefault(str(key), f"{reason} ({w.message})")
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    def report(self, stacklevel: int = 3) -> None:
        """Emit one DataQualityWarning naming every key with a recorded warning."""
        from analytics.errors import DataQualityWarning

        if not self.keys:
            return
        shown = list(self.keys.items())[:10]
        more = len(self.keys) - len(shown)
        text = "; ".join(f"{k}: {r}" for k, r in shown)
        tail = f"; and {more} more" if more > 0 else ""
        warnings.warn(
            f"{self.what}: numerical problems for {len(self.keys)} "
            f"{'patient' if len(self.keys) == 1 else 'patients'} — {text}{tail}. "
            "Their affected estimates are left empty.",
            DataQualityWarning,
            stacklevel=stacklevel,
        )
