"""What a person reads in the terminal: a warning as one line without a library
location, and a missing Dask engine as one sentence naming what to install."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pytest

from analytics.cli import _analyze, _parser, main

ROOT = Path(__file__).resolve().parents[2]


def test_a_warning_inside_a_command_is_one_line_without_its_source(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(args: argparse.Namespace) -> int:
        warnings.warn("the clinic's clock is 3 minutes behind", RuntimeWarning, stacklevel=1)
        return 0

    parser = argparse.ArgumentParser(prog="paindiary")
    parser.set_defaults(handler=handler)
    monkeypatch.setattr(_parser, "build_parser", lambda: parser)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main([]) == 0
    err = capsys.readouterr().err
    assert err == "warning: the clinic's clock is 3 minutes behind\n"
    assert __file__ not in err and ".py" not in err


@pytest.mark.parametrize("extra", [[], ["--worker-memory", "1GB"]])
def test_analyze_with_dask_missing_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    for name in ("distributed", "dask", "dask.utils", "dask.dataframe"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    out = ROOT / "sample_data"
    code = main(["analyze", str(out), "--out", "unused-out", "--engine", "dask", *extra])
    err = capsys.readouterr().err
    assert code == 1
    assert err == f"error: {_analyze.DASK_MISSING}\n"
    assert not (ROOT / "unused-out").exists()
