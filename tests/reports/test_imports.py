"""The report and FHIR modules stay inside analytics' rules: no streamlit, no plotly, no pyplot."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT


def test_reports_and_fhir_import_no_ui_library():
    code = (
        "import sys, json, analytics.reports._patient, analytics.reports._cohort, analytics.io, "
        "analytics.cli\n"
        "print(json.dumps(sorted(k for k in sys.modules "
        "if k.split('.')[0] in ('streamlit', 'plotly') or k == 'matplotlib.pyplot')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
