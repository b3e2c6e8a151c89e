"""A column as its distinct cells and, for every row, the code of its cell.

The loaders check a column on its distinct cells first (every rule is a rule on one
cell): Arrow's dictionary encoding gives the distinct cells and each row's code, and
:func:`spread` takes the canonical value of each distinct cell back to every row.
:func:`row_keys` and :func:`rising` tell from the codes alone whether a key is unique
and in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Codes", "arrow_text", "spread", "take", "row_keys", "rising"]


def arrow_text(values: pd.Series) -> pa.ChunkedArray | None:
    """Return the Arrow strings behind a ``str`` Series with no missing cell, else None."""
    if not isinstance(values.dtype, pd.StringDtype) or values.dtype.storage != "pyarrow":
        return None
    if values.hasnans:
        return None
    data = pa.array(values.array)
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


@dataclass
class Codes:
    """A column as its distinct cells and, chunk by chunk, each row's index into them.

    ``chunks[i]`` indexes the chunk's own dictionary; ``maps[i]`` (None: the same
    order) turns those indexes into indexes of ``values``.
    """

    values: pa.Array
    chunks: list[np.ndarray]
    maps: list[np.ndarray | None]

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> Codes | None:
        """From a dictionary-encoded column without missing cells (None if it has any)."""
        if column.null_count or column.num_chunks == 0:
            return None
        dictionaries = [chunk.dictionary for chunk in column.chunks]
        values = dictionaries[0]
        if all(d.equals(values) for d in dictionaries[1:]):
            maps: list[np.ndarray | None] = [None] * len(dictionaries)
        else:  # one dictionary per chunk: join them
            joined = pc.dictionary_encode(pa.concat_arrays(dictionaries))
            values = joined.dictionary
            where = joined.indices.to_numpy()
            bounds = np.cumsum([0] + [len(d) for d in dictionaries])
            maps = [where[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        chunks = [chunk.indices.to_numpy() for chunk in column.chunks]
        return cls(values, chunks, maps)

    @classmethod
    def constant(cls, value: str, n: int) -> Codes:
        """Encode a column of ``n`` equal cells."""
        return cls(pa.array([value], type=pa.string()), [np.zeros(n, dtype=np.int32)], [None])

    def flat(self) -> np.ndarray:
        """Each row's index into ``values``."""
        return np.concatenate(
            [c if m is None else m[c] for c, m in zip(self.chunks, self.maps, strict=True)]
        )

    def chunk_tables(self, table: np.ndarray) -> list[np.ndarray]:
        """``table`` (one entry per distinct cell) reindexed for each chunk's own codes."""
        return [table if m is None else table[m] for m in self.maps]


def spread(values: pd.Series, codes: Codes) -> pd.Series:
    """``values`` (one per distinct cell) taken for every row, as a new Series."""
    n = sum(len(c) for c in codes.chunks)
    dtype = values.dtype
    if isinstance(dtype, np.dtype):
        out = np.empty(n, dtype=dtype)
        pos = 0
        for table, chunk in zip(codes.chunk_tables(values.to_numpy()), codes.chunks, strict=True):
            np.take(table, chunk, out=out[pos : pos + len(chunk)])
            pos += len(chunk)
        return pd.Series(out, copy=False)
    if isinstance(dtype, pd.Int64Dtype):
        data = spread(pd.Series(values.to_numpy(dtype="int64", na_value=0)), codes)
        mask = spread(pd.Series(values.isna().to_numpy()), codes)
        return pd.Series(pd.arrays.IntegerArray(data.to_numpy(), mask.to_numpy()), copy=False)
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        text = pa.array(values.array)
        text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
        parts = []
        for m, chunk in zip(codes.maps, codes.chunks, strict=True):
            table = text if m is None else text.take(pa.array(m))
            parts.append(table.take(pa.array(chunk)))
        return pd.Series(pd.array(pa.chunked_array(parts, type=text.type), dtype=dtype), copy=False)
    return take(values, codes.flat())  # pragma: no cover - the checks give no other dtype


def take(values: pd.Series, index: np.ndarray) -> pd.Series:
    """``values`` taken at ``index``, as a new Series with a default index."""
    return pd.Series(values.array.take(index), copy=False)


def row_keys(parts: list[tuple[np.ndarray, Codes]]) -> Iterator[np.ndarray]:
    """Each row's key as one integer, chunk by chunk, from the ranks of each key column.

    ``parts`` holds, most significant first, the rank of each distinct cell
    (0, 1, ... in sort order; equal cells share a rank) and the column's codes.
    Comparing the integers compares the keys column by column.
    """
    levels = [int(rank.max()) + 1 if len(rank) else 1 for rank, _ in parts]
    lengths = [[len(c) for c in codes.chunks] for _, codes in parts]
    if all(lg == lengths[0] for lg in lengths):
        tables = [codes.chunk_tables(rank) for rank, codes in parts]
        for i in range(len(lengths[0])):
            key = np.zeros(lengths[0][i], dtype=np.int64)
            for level, table, (_, codes) in zip(levels, tables, parts, strict=True):
                key = key * level + table[i][codes.chunks[i]]
            yield key
    else:  # pragma: no cover - the columns of one read share their chunks
        key = np.zeros(sum(lengths[0]), dtype=np.int64)
        for level, (rank, codes) in zip(levels, parts, strict=True):
            key = key * level + rank[codes.flat()]
        yield key


def rising(keys: Iterator[np.ndarray]) -> bool:
    """Whether the keys, chunk after chunk, strictly increase (in order, no two alike)."""
    last = None
    for key in keys:
        if not len(key):
            continue
        if (last is not None and key[0] <= last) or (key[1:] <= key[:-1]).any():
            return False
        last = key[-1]
    return True
