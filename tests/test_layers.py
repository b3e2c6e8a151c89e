"""Layers point one way: pages -> dashboard.data -> analytics.service -> analytics.store.

Read from the source with ``ast`` (every import, also those inside functions):

* pages (``dashboard/views``) never import ``analytics.store``;
* ``dashboard/data.py`` reaches data through ``analytics.service``: from
  ``analytics.store`` it may import only what opens the database for the service;
* no dashboard module calls a Store method the service does not offer (the store
  is handed to the service, never read directly);
* ``analytics`` never imports ``dashboard``, ``streamlit`` or ``plotly``;
* the store's own modules never import the service or the sign-in layer above them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What dashboard/data.py may take from analytics.store: opening the database.
OPENING = {"open_store", "default_url", "data_dir", "Store"}


def _modules(*parts: str) -> list[Path]:
    base = ROOT.joinpath(*parts)
    if base.is_file():
        return [base]
    return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """(line, module, imported name or None) of every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                yield node.lineno, module, alias.name


def _reaches(module: str, name: str | None, target: str) -> bool:
    """True when ``import module`` / ``from module import name`` brings in ``target``."""
    full = f"{module}.{name}" if name else module
    return any(m == target or m.startswith(target + ".") for m in (module, full))


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_pages_never_import_the_store() -> None:
    bad = [
        _where(path, line)
        for path in _modules("dashboard", "views")
        for line, module, name in _imports(path)
        if _reaches(module, name, "analytics.store")
    ]
    assert not bad, f"pages import analytics.store (use dashboard.data): {bad}"


def test_dashboard_data_talks_to_the_service() -> None:
    path = ROOT / "dashboard" / "data.py"
    found = list(_imports(path))
    assert any(_reaches(m, n, "analytics.service") for _, m, n in found), (
        "dashboard/data.py must reach patient data through analytics.service"
    )
    bad = [
        f"{_where(path, line)} imports {module}.{name}"
        for line, module, name in found
        if _reaches(module, name, "analytics.store")
        and not (module == "analytics.store" and name in OPENING)
    ]
    assert not bad, f"dashboard/data.py may only open the database from analytics.store: {bad}"


def _store_only_methods() -> set[str]:
    from analytics.service import Service
    from analytics.store import Store

    def public(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))}

    return public(Store) - public(Service) - {"close"}


def test_no_dashboard_module_calls_the_store_directly() -> None:
    store_only = _store_only_methods()
    assert {"diary", "dataset", "user_record", "record_audit", "set_setting"} <= store_only
    bad = []
    for path in _modules("dashboard"):
        tree = ast.parse(path.read_text(), filename=str(path))
        modules = {  # names bound to imported modules, e.g. "data" in data.patient_ids(user)
            (alias.asname or alias.name).split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in store_only
                and not (isinstance(node.func.value, ast.Name) and node.func.value.id in modules)
            ):
                bad.append(f"{_where(path, node.lineno)} calls .{node.func.attr}()")
    assert not bad, f"dashboard code calls Store methods; go through the service: {bad}"


@pytest.mark.parametrize("forbidden", ["dashboard", "streamlit", "plotly"])
def test_analytics_never_imports_the_faces(forbidden: str) -> None:
    bad = [
        _where(path, line)
        for path in _modules("analytics")
        for line, module, name in _imports(path)
        if _reaches(module, name, forbidden)
    ]
    assert not bad, f"analytics imports {forbidden}: {bad}"


def test_the_store_does_not_import_the_layers_above_it() -> None:
    above = ("analytics.service", "analytics.auth")
    bad = [
        f"{_where(path, line)} imports {module}"
        for path in _modules("analytics", "store")
        if path.name != "cli.py"  # the command-line face of the store goes through the service
        for line, module, name in _imports(path)
        if any(_reaches(module, name, a) for a in above)
    ]
    assert not bad, bad


def test_the_checks_see_real_imports(tmp_path: Path) -> None:
    """The AST reader resolves relative and nested imports (so the checks above can fail)."""
    sample = ROOT / "analytics" / "store" / "cli.py"
    found = {(m, n) for _, m, n in _imports(sample)}
    assert ("analytics.service", "Service") in found  # imported inside a function
    assert ("analytics.store.core", "open_store") in found  # relative import resolved
    assert _reaches("analytics", "store", "analytics.store")
    assert not _reaches("analytics", "service", "analytics.store")
