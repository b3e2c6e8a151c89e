"""Rejected rows: each row a load refused, verbatim, with its line and reasons."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from analytics.io._loaders._raw import RawTable

__all__ = ["REJECT_COLUMNS", "EXTRA_CELLS", "rejected_rows"]

#: Leading columns of a rejects frame; the raw cells of the row follow.
REJECT_COLUMNS = ["line", "reason"]
#: Rejects column holding, as CSV text, the cells of a row beyond the header's width.
EXTRA_CELLS = "extra_cells"


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


def rejected_rows(raw: RawTable, bad: np.ndarray, problems: pd.DataFrame) -> pd.DataFrame:
    """Return the rows ``bad`` as read, after their line and the reasons from ``problems``."""
    rejects = pd.DataFrame(columns=REJECT_COLUMNS + raw.header)
    if bad.any():
        reasons = (
            problems.assign(
                text=lambda d: np.where(
                    d["column"] != "", d["column"] + ": " + d["message"], d["message"]
                )
            )
            .groupby("line")["text"]
            .agg("; ".join)
        )
        bad_raw = raw.rows[bad].reset_index(drop=True)
        bad_lines = np.abs(raw.lines[bad])
        rejects = pd.concat(
            [
                pd.DataFrame({"line": bad_lines, "reason": reasons.reindex(bad_lines).to_numpy()}),
                bad_raw,
            ],
            axis=1,
        )
        if raw.overflow:
            # cells past the header's width, so the rejected row stays verbatim
            extra = pd.Series(
                {line: _csv_line(cells) for line, cells in raw.overflow.items()}, dtype="str"
            )
            rejects[EXTRA_CELLS] = extra.reindex(bad_lines).to_numpy()
    return rejects
