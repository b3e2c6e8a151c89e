"""``paindiary analyze`` with ``--min-group-size``: only the documented group columns change.

The reference run is ``--min-group-size 2`` (every group of the sample clinic has
at least 3 patients, so it computes every interval and p the way the analysis did
before the minimum existed); the default run withholds them for groups under 5.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analytics.cli import main
from analytics.pipeline import OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[2]

#: The columns docs/analytics.md lists under "Changed columns".
CHANGED = {
    "group_summary.csv": {
        "mean_change_ci_low",
        "mean_change_ci_high",
        "responder_ci_low",
        "responder_ci_high",
    },
    "group_comparison.csv": {
        "adjusted_difference",
        "ci_low",
        "ci_high",
        "p_value",
        "p_value_holm",
        "risk_difference",
        "rd_ci_low",
        "rd_ci_high",
        "nnt",
    },
}
NEW = {
    "group_summary.csv": ["mean_change_ci_clipped", "reason"],
    "group_comparison.csv": ["ci_clipped", "reason"],
}


def _run(out: Path, *extra: str) -> None:
    code = main(["analyze", str(ROOT / "sample_data"), "--out", str(out), "--n-boot", "20", *extra])
    assert code == 0


@pytest.mark.slow
def test_min_group_size_changes_only_the_documented_columns(tmp_path, capsys):
    _run(tmp_path / "all", "--min-group-size", "2")
    _run(tmp_path / "default")
    capsys.readouterr()
    changed: dict[str, set[str]] = {}
    for name in OUTPUT_FILES.values():
        a = (tmp_path / "all" / name).read_bytes()
        b = (tmp_path / "default" / name).read_bytes()
        if a == b:
            continue
        x = pd.read_csv(tmp_path / "all" / name, dtype="str", keep_default_na=False)
        y = pd.read_csv(tmp_path / "default" / name, dtype="str", keep_default_na=False)
        assert list(x.columns) == list(y.columns), name
        changed[name] = {c for c in x.columns if not x[c].equals(y[c])}
    # the headache responders' intervals follow the same minimum (they have no reason column)
    assert changed.pop("headache_summary.csv", set()) <= {"responder_ci_low", "responder_ci_high"}
    # reason says why; the clip flags do not move (no sample interval leaves the scale)
    assert changed == {n: cols | {"reason"} for n, cols in CHANGED.items()}
    for name, new in NEW.items():
        frame = pd.read_csv(tmp_path / "all" / name, keep_default_na=False)
        assert set(new) <= set(frame.columns)
        assert frame["reason"].eq("").all()  # nothing withheld at 2 on the sample clinic
    docs = (ROOT / "docs" / "analytics.md").read_text(encoding="utf-8")
    listed = docs[docs.index("**Changed columns**") :].split("\n\n")[0]
    for name, cols in CHANGED.items():
        part = listed[listed.index(f"`{name}`") :]
        words = set(re.findall(r"`([a-z_]+)`", part))
        assert cols | set(NEW[name]) <= words, name
