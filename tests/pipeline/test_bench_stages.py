"""The stage benchmark of ``make bench`` times functions the analysis really calls."""

from __future__ import annotations

import importlib

from tests.benchmarks.stages import STAGES


def test_every_timed_stage_is_where_the_analysis_looks_it_up() -> None:
    for module_name, name in STAGES:
        module = importlib.import_module(module_name)
        assert callable(getattr(module, name, None)), f"{module_name}.{name}"
        # a name the module imports and calls, not one it merely defines elsewhere
        assert name in module.__dict__
