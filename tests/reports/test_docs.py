"""docs/reports.md documents every option of the report and FHIR commands."""

from __future__ import annotations

import pytest

from analytics.cli import build_parser

from .conftest import ROOT

DOC = (ROOT / "docs" / "reports.md").read_text()


@pytest.mark.parametrize("command", ["report", "fhir", "fhir-import"])
def test_every_option_is_documented(command):
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    options = [
        o for a in sub._actions for o in a.option_strings if o.startswith("--") and o != "--help"
    ]
    assert options
    missing = [o for o in options if o not in DOC]
    assert missing == []
