"""Structural rules of the code base (STYLE.md)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_analytics_never_imports_streamlit_or_plotly():
    code = (
        "import sys, json, pkgutil, importlib, analytics\n"
        "for m in pkgutil.walk_packages(analytics.__path__, 'analytics.'):\n"
        "    if '.migrations' in m.name or m.name.endswith('.__main__'): continue\n"
        "    importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in ('streamlit','plotly'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_only_the_loaders_parse_csv():
    offenders = []
    for path in (ROOT / "analytics").rglob("*.py"):
        if path.parent.name == "_loaders":  # the loaders package
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "read_csv":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "reader"
                and getattr(node.value, "id", "") == "csv"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_top_level_layout():
    tracked = subprocess.run(
        ["git", "ls-files"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    if not tracked:  # not a git checkout (e.g. an sdist): nothing to check
        return
    top = {p.split("/")[0] for p in tracked}
    assert top <= {
        "pyproject.toml",
        "analytics",
        "dashboard",
        "sample_data",
        "tests",
        "README.md",
        "Makefile",
        "docs",
        ".ci",
        ".gitignore",
    }, top


def test_every_module_declares_all():
    missing = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "analytics").rglob("*.py")
        if "migrations" not in p.parts
        and p.name != "__main__.py"
        and "__all__" not in p.read_text()
    ]
    assert missing == []
