"""Compiled order statistics of pairwise slopes: the core of the Theil–Sen estimator.

:func:`order_statistics` returns, for many series at once, chosen order statistics
(by rank, 0-based) of the slopes ``(y[j] - y[i]) / (x[j] - x[i])`` over the pairs
``i < j`` with ``x[i] < x[j]`` — exactly the values ``scipy.stats.theilslopes``
sorts (same operands, same IEEE division, no fast-math).

A series whose x and y are whole numbers of moderate size (days and NRS scores,
the usual diary) is counted on a grid: each pair adds one to the cell of its
(Δy, Δx), and walking one table of the cells sorted by the quotient Δy/Δx — the
same IEEE quotient as the slope itself — reaches every wanted rank without forming
a slope. Any other series costs one pass over its n(n−1)/2 slopes plus a sort of
a narrow window, instead of a full selection: a strided sample of the slopes gives bounds
that bracket the wanted ranks; one pass counts the slopes below the window and
collects those inside it; the ranks are then read from the sorted window. When the
sample's bounds miss (the count says so), the series falls back to sorting all of
its slopes, so the result is exact either way. Series run in parallel (numba
``prange``); compiled code is cached (next to this module, or in numba's user
cache directory when the package directory is read-only).

numba is imported with this module: import it lazily (``analytics.stats`` does)
so that ``import analytics`` and ``paindiary --help`` stay quick.
"""

from __future__ import annotations

import threading

import numba
import numpy as np

__all__ = ["order_statistics", "series_summary"]

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


@numba.njit(cache=True, nogil=True)
def _grid(
    x: np.ndarray,
    y: np.ndarray,
    y_lo: int,
    dy_max: int,
    width: int,
    order: np.ndarray,
    values: np.ndarray,
    ranks: np.ndarray,
    out: np.ndarray,
) -> None:
    """Order statistics of one whole-number series' slopes at ``ranks`` into ``out``.

    Every pair ``i < j`` adds one to the cell of its (Δy, Δx), at
    ``base[i] + key[j]``; walking the cells in the order of their slope values
    reaches each wanted rank without computing or sorting a single slope.
    """
    n = x.shape[0]
    key = np.empty(n, dtype=np.int64)
    base = np.empty(n, dtype=np.int64)
    x0 = x[0]
    for k in range(n):
        yk = np.int64(y[k]) - y_lo  # 0..dy_max
        xk = np.int64(x[k] - x0)  # 0..width - 1
        key[k] = yk * width + xk
        base[k] = (dy_max - yk) * width - xk  # base[i] + key[j] = (Δy + dy_max)·width + Δx
    # int32 cells: a series on the grid has fewer than 2**31 pairs
    counts = np.zeros((2 * dy_max + 1) * width, dtype=np.int32)
    for i in range(n - 1):
        b = base[i]
        for j in range(i + 1, n):
            counts[b + key[j]] += 1
    wanted = np.sort(ranks)
    r = 0
    seen = 0
    for c in range(order.shape[0]):
        seen += counts[order[c]]
        while r < wanted.shape[0] and wanted[r] < seen:
            v = values[c]
            for q in range(ranks.shape[0]):
                if ranks[q] == wanted[r]:
                    out[q] = v
            r += 1
        if r == wanted.shape[0]:
            break


@numba.njit(cache=True, parallel=True)
def _many(
    x: np.ndarray,
    y: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    ranks: np.ndarray,
    out: np.ndarray,
    on_grid: np.ndarray,
    y_lo: int,
    dy_max: int,
    width: int,
    order: np.ndarray,
    values: np.ndarray,
) -> None:
    m = starts.shape[0]
    for q in numba.prange(m):
        n = lengths[q]
        lo = starts[q]
        if on_grid[q]:
            _grid(
                x[lo : lo + n], y[lo : lo + n], y_lo, dy_max, width, order, values, ranks[q], out[q]
            )
        else:
            buf = np.empty(n * (n - 1) // 2, dtype=np.float64)
            _one(x[lo : lo + n], y[lo : lo + n], ranks[q], buf, out[q])


@numba.njit(cache=True, parallel=True)
def _grid_scan(
    x: np.ndarray,
    y: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    small: np.ndarray,
    y_min: np.ndarray,
    y_max: np.ndarray,
    span: np.ndarray,
) -> None:
    """Per series: whole numbers of moderate size only (x and y)? Their y range and x span."""
    for q in numba.prange(starts.shape[0]):
        lo = starts[q]
        n = lengths[q]
        ok = n <= _MAX_GRID_LENGTH
        a = np.inf
        b = -np.inf
        for k in range(lo, lo + n):
            xv = x[k]
            yv = y[k]
            if not (abs(yv) <= 1000.0 and yv == np.floor(yv)) or (yv == 0.0 and np.signbit(yv)):
                ok = False  # a negative zero keeps its sign in a slope: sort those
            if not (abs(xv) <= 1e6 and xv == np.floor(xv)):
                ok = False
            a = min(a, yv)
            b = max(b, yv)
        small[q] = ok
        y_min[q] = a
        y_max[q] = b
        span[q] = x[lo + n - 1] - x[lo] if n else 0.0


@numba.njit(cache=True, nogil=True)
def _tie_term(values: np.ndarray) -> int:
    """Sum of k(k−1)(2k+5) over the multiplicities k of sorted ``values``."""
    total = 0
    n = values.shape[0]
    i = 0
    while i < n:
        j = i + 1
        while j < n and values[j] == values[i]:
            j += 1
        k = j - i
        total += k * (k - 1) * (2 * k + 5)
        i = j
    return total


@numba.njit(cache=True, nogil=True)
def _median_sorted(values: np.ndarray) -> float:
    n = values.shape[0]
    a, b = (n - 1) // 2, n // 2
    if a == b:
        return values[a]
    return (values[a] + values[b]) / 2.0


@numba.njit(cache=True, parallel=True)
def _summaries(
    x: np.ndarray,
    y: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    ties_x: np.ndarray,
    ties_y: np.ndarray,
    x_pairs: np.ndarray,
    med_x: np.ndarray,
    med_y: np.ndarray,
) -> None:
    for q in numba.prange(starts.shape[0]):
        lo = starts[q]
        hi = lo + lengths[q]
        xs = x[lo:hi]  # non-decreasing already
        ys = np.sort(y[lo:hi])
        ties_x[q] = _tie_term(xs)
        ties_y[q] = _tie_term(ys)
        pairs = 0
        i = 0
        while i < xs.shape[0]:
            j = i + 1
            while j < xs.shape[0] and xs[j] == xs[i]:
                j += 1
            pairs += (j - i) * (j - i - 1) // 2
            i = j
        x_pairs[q] = pairs
        med_x[q] = _median_sorted(xs)
        med_y[q] = _median_sorted(ys)


def series_summary(
    x: np.ndarray, y: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Summarise each series (x non-decreasing within each) for the Theil–Sen test.

    Per series: the tie sums of x and of y (Σ k(k−1)(2k+5) over the multiplicities k
    of its values), the number of pairs with equal x, and the medians of x and y
    (``numpy.median``'s mean of the two middle values).
    """
    m = len(starts)
    ties_x = np.zeros(m, dtype=np.int64)
    ties_y = np.zeros(m, dtype=np.int64)
    x_pairs = np.zeros(m, dtype=np.int64)
    med_x = np.full(m, np.nan)
    med_y = np.full(m, np.nan)
    if m:
        with _POOL:
            _summaries(
                np.ascontiguousarray(x, dtype=np.float64),
                np.ascontiguousarray(y, dtype=np.float64),
                np.ascontiguousarray(starts, dtype=np.int64),
                np.ascontiguousarray(lengths, dtype=np.int64),
                ties_x,
                ties_y,
                x_pairs,
                med_x,
                med_y,
            )
    return ties_x, ties_y, x_pairs, med_x, med_y


#: Largest (Δy, Δx) table of the counting path (int32 cells per series being counted).
_MAX_CELLS = 1 << 16
#: Longest series counted on the grid: fewer than 2**31 pairs fit its int32 cells.
_MAX_GRID_LENGTH = 46340


def _grid_layout(
    x: np.ndarray, y: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, int, int, int, np.ndarray, np.ndarray]:
    """Find the series that can be counted on a (Δy, Δx) grid, and lay out that grid.

    A series qualifies when its x and y are whole numbers of moderate size (days
    and NRS scores): then each slope ``(y[j] − y[i]) / (x[j] − x[i])`` is the IEEE
    quotient of two exact integers, so one table of the quotients, sorted once,
    orders the slopes of every series. Returns the per-series flag, the lowest y,
    the widest Δy, the row width (widest Δx + 1), and the cells (Δx > 0) in slope
    order with their values.
    """
    m = len(starts)
    small = np.zeros(m, dtype=np.bool_)
    y_min = np.zeros(m)
    y_max = np.zeros(m)
    span = np.zeros(m)
    empty = (np.zeros(m, dtype=np.bool_), 0, 0, 1, np.zeros(0, np.int64), np.zeros(0))
    if not len(x):
        return empty
    _grid_scan(x, y, starts, lengths, small, y_min, y_max, span)
    if not small.any():
        return empty
    y_lo, y_hi = int(y_min[small].min()), int(y_max[small].max())
    dy_max = y_hi - y_lo
    width = int(span[small].max()) + 1
    if (2 * dy_max + 1) * width > _MAX_CELLS:
        return empty
    dy = np.arange(-dy_max, dy_max + 1, dtype=np.float64)
    dx = np.arange(1, width, dtype=np.float64)
    quotient = (dy[:, None] / dx[None, :]).ravel()
    cells = (np.arange(2 * dy_max + 1)[:, None] * width + np.arange(1, width)).ravel()
    sort = np.argsort(quotient, kind="stable")
    return small, y_lo, dy_max, width, cells[sort].astype(np.int64), quotient[sort]


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
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        starts = np.ascontiguousarray(starts, dtype=np.int64)
        lengths = np.ascontiguousarray(lengths, dtype=np.int64)
        with _POOL:
            on_grid, y_lo, dy_max, width, order, values = _grid_layout(x, y, starts, lengths)
            _many(x, y, starts, lengths, ranks, out, on_grid, y_lo, dy_max, width, order, values)
    return out
