"""Compiled order statistics of pairwise slopes: the core of the Theil–Sen estimator.

:func:`order_statistics` returns, for many series at once, chosen order statistics
(by rank, 0-based) of the slopes ``(y[j] - y[i]) / (x[j] - x[i])`` over the pairs
``i < j`` with ``x[i] < x[j]`` — exactly the values ``scipy.stats.theilslopes``
sorts (same operands, same IEEE division, no fast-math).

Each series costs one pass over its n(n−1)/2 slopes plus a sort of a narrow
window, instead of a full selection: a strided sample of the slopes gives bounds
that bracket the wanted ranks; one pass counts the slopes below the window and
collects those inside it; the ranks are then read from the sorted window. When the
sample's bounds miss (the count says so), the series falls back to sorting all of
its slopes, so the result is exact either way. Series run in parallel (numba
``prange``); compiled code is cached (next to this module, or in numba's user
cache directory when the package directory is read-only).

numba is imported with this module: import it lazily (``analytics.trends`` does)
so that ``import analytics`` and ``paindiary --help`` stay quick.
"""

from __future__ import annotations

import threading

import numba
import numpy as np

__all__ = ["order_statistics"]

# numba's own thread pool: always present, safe across fork, but one parallel call
# at a time per process: callers on several threads (dashboard sessions, Dask
# worker threads) take turns through _POOL.
numba.config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]
_POOL = threading.Lock()

#: Slopes sampled per series to place the window (more: narrower window, dearer sample).
_SAMPLE = 2048


@numba.njit(cache=True, nogil=True)
def _slopes(x: np.ndarray, y: np.ndarray, out: np.ndarray) -> int:
    """Write the slopes of every pair with Δx > 0 into ``out``; return how many."""
    n = x.shape[0]
    k = 0
    for i in range(n - 1):
        xi = x[i]
        yi = y[i]
        for j in range(i + 1, n):
            dx = x[j] - xi
            if dx > 0:
                out[k] = (y[j] - yi) / dx
                k += 1
    return k


@numba.njit(cache=True, nogil=True)
def _pick(s: np.ndarray, ranks: np.ndarray, out: np.ndarray, sample_size: int) -> bool:
    """Order statistics of ``s`` at ``ranks`` into ``out``; False when the sample missed.

    A miss (the window does not hold every wanted rank) falls back to sorting all of
    ``s``: the values are exact either way.
    """
    count = s.shape[0]
    lo_rank = ranks.min()
    hi_rank = ranks.max()
    if count > 4 * sample_size:
        step = count // sample_size
        sample = np.sort(s[::step])
        m = sample.shape[0]
        # a sample quantile's rank error is about sqrt(p(1-p)/m) of the count: reach
        # well beyond it on both sides
        margin = 6.0 * 0.5 / np.sqrt(m) * count + 2.0 * step
        a_idx = int((lo_rank - margin) / count * m)
        b_idx = int((hi_rank + margin) / count * m) + 1
        a = sample[a_idx] if a_idx > 0 else -np.inf
        b = sample[b_idx] if b_idx < m else np.inf
        below = 0
        window = np.empty(count, dtype=np.float64)
        w = 0
        for v in s:
            if v < a:
                below += 1
            elif v <= b:
                window[w] = v
                w += 1
        if below <= lo_rank and below + w > hi_rank:
            window = np.sort(window[:w])
            for r in range(ranks.shape[0]):
                out[r] = window[ranks[r] - below]
            return True
        hit = False
    else:
        hit = True
    ordered = np.sort(s)
    for r in range(ranks.shape[0]):
        out[r] = ordered[ranks[r]]
    return hit


@numba.njit(cache=True, nogil=True)
def _one(x: np.ndarray, y: np.ndarray, ranks: np.ndarray, buf: np.ndarray, out: np.ndarray) -> None:
    """Order statistics of one series' slopes at ``ranks`` (within range) into ``out``."""
    count = _slopes(x, y, buf)
    _pick(buf[:count], ranks, out, _SAMPLE)


@numba.njit(cache=True, parallel=True)
def _many(
    x: np.ndarray,
    y: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    ranks: np.ndarray,
    out: np.ndarray,
) -> None:
    m = starts.shape[0]
    for q in numba.prange(m):
        n = lengths[q]
        lo = starts[q]
        buf = np.empty(n * (n - 1) // 2, dtype=np.float64)
        _one(x[lo : lo + n], y[lo : lo + n], ranks[q], buf, out[q])


def order_statistics(
    x: np.ndarray, y: np.ndarray, starts: np.ndarray, lengths: np.ndarray, ranks: np.ndarray
) -> np.ndarray:
    """Slopes at ``ranks`` (one row of 0-based ranks per series, in any order).

    ``x`` is non-decreasing within each series (rows ``starts[q]`` to
    ``starts[q] + lengths[q]``); each row of ``ranks`` lies within the number of
    that series' pairs with Δx > 0. Returns a float array shaped like ``ranks``.
    """
    ranks = np.ascontiguousarray(ranks, dtype=np.int64)
    out = np.full(ranks.shape, np.nan)
    if len(starts):
        with _POOL:
            _many(
                np.ascontiguousarray(x, dtype=np.float64),
                np.ascontiguousarray(y, dtype=np.float64),
                np.ascontiguousarray(starts, dtype=np.int64),
                np.ascontiguousarray(lengths, dtype=np.int64),
                ranks,
                out,
            )
    return out
