"""Heavy imports are deferred: the CLI's help, validate, convert and the store never load scipy.

Each check runs in a fresh interpreter and inspects ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy", "statsmodels", "distributed", "dask", "duckdb")


def _modules_after(code: str) -> list[str]:
    probe = (
        code
        + "\nimport sys, json\n"
        + f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "import analytics",
        "import analytics.cli",
        "from analytics.cli import build_parser; build_parser().format_help()",
        "import analytics.io, analytics.contract, analytics.cli",
        "import analytics.store",
        "from analytics import load_dataset, Dataset, DataValidationError, validate_records",
    ],
)
def test_light_imports_do_not_load_scipy_or_statsmodels(code):
    assert _modules_after(code) == []


def test_validate_and_convert_commands_do_not_load_scipy(tmp_path):
    sample = ROOT / "sample_data"
    code = (
        "from analytics.cli import main\n"
        f"assert main(['validate', {str(sample)!r}]) == 0\n"
        f"assert main(['convert', {str(sample)!r}, {str(tmp_path)!r}, '--to', 'parquet']) == 0\n"
    )
    assert _modules_after(code) == []


def test_help_exits_cleanly_without_heavy_imports():
    code = (
        "from analytics.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
    )
    assert _modules_after(code) == []


def test_public_names_load_on_first_use():
    import analytics

    assert sorted(analytics._LAZY) == sorted(analytics.__all__)
    for name in analytics.__all__:
        assert getattr(analytics, name) is not None, name
    assert set(analytics.__all__) <= set(dir(analytics))
    assert _modules_after("from analytics import analyze") == ["scipy", "statsmodels"]
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        analytics.not_a_name  # noqa: B018
    from analytics.contract import schema  # a submodule, not a lazy name

    assert schema.TABLES
