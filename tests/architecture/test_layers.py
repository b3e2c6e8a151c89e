"""The layers point one way, and nothing private crosses a module.

* import-linter's contracts in ``pyproject.toml`` (``[tool.importlinter]``) hold: the
  library's layers, no user interface in the library, the dashboard opening the
  database only in ``dashboard.data``. A contract broken on purpose is reported,
  so the check can fail.
* No import cycle between modules of ``analytics`` or ``dashboard`` (read with
  grimp, the graph import-linter builds: every import, also those in functions).
* No name starting with an underscore, and no private module of another package,
  is imported across modules.
* No dashboard module calls a Store method the service does not offer (the store
  is handed to the service, never read directly).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("analytics", "dashboard")


def _lint_imports(config: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = "no_cache=True, no_logo=True" + (f", config_filename={str(config)!r}" if config else "")
    code = f"import sys\nfrom importlinter.cli import lint_imports\nsys.exit(lint_imports({args}))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_the_import_contracts_hold() -> None:
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_is_reported(tmp_path: Path) -> None:
    """errors.py imports safe_text: a contract that puts errors below safe_text must fail."""
    config = tmp_path / "broken.toml"
    config.write_text(
        textwrap.dedent(
            """
            [tool.importlinter]
            root_packages = ["analytics"]

            [[tool.importlinter.contracts]]
            name = "upside down"
            type = "layers"
            containers = ["analytics"]
            layers = ["safe_text", "errors"]
            """
        )
    )
    result = _lint_imports(config)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "analytics.errors -> analytics.safe_text" in result.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    modules = sorted(graph.modules)
    adjacent = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            nexts = adjacent.get(node, [])
            if i < len(nexts):
                work.append((node, i + 1))
                child = nexts[i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_import_cycles() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.b", imported="p.c")
    assert _cycles(graph) == [["p.a", "p.b"]]


def _modules(*parts: str) -> list[Path]:
    base = ROOT.joinpath(*parts)
    return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _private_crossings(path: Path, name: str | None = None) -> list[str]:
    """Imports in ``path`` (module ``name``) of a private name, or of a private module of
    another package."""
    name = name or _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    bad = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module != "__future__":
            module = node.module or ""
            for alias in node.names:
                parts = f"{module}.{alias.name}".split(".")
                private = [i for i, p in enumerate(parts) if p.startswith("_")]
                if not private or private[0] == 0:
                    continue
                owner = ".".join(parts[: private[0]])
                inside = package == owner or package.startswith(owner + ".")
                is_module = (ROOT.joinpath(*parts).with_suffix(".py")).exists() or (
                    ROOT.joinpath(*parts) / "__init__.py"
                ).exists()
                if not inside or (alias.name.startswith("_") and not is_module):
                    bad.append(f"{name}:{node.lineno} {module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if any(p.startswith("_") for p in parts[1:]):
                    owner = ".".join(parts[: next(i for i, p in enumerate(parts) if p[0] == "_")])
                    if not (package == owner or package.startswith(owner + ".")):
                        bad.append(f"{name}:{node.lineno} import {alias.name}")
    bad.extend(_private_attributes(path, name))
    return bad


def _private_attributes(path: Path, name: str) -> list[str]:
    """``module._name`` where ``module`` is a module this file imported."""
    tree = ast.parse(path.read_text(), filename=str(path))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                parts = [*node.module.split("."), a.name]
                if (
                    ROOT.joinpath(*parts).with_suffix(".py").exists()
                    or (ROOT.joinpath(*parts) / "__init__.py").exists()
                ):
                    modules.add(a.asname or a.name)
    return [
        f"{name}:{node.lineno} {node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in modules
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]


def test_no_private_name_or_module_crosses_a_package() -> None:
    bad = [
        b
        for package in PACKAGES
        for path in _modules(package)
        if "migrations" not in path.parts
        for b in _private_crossings(path)
    ]
    assert bad == []


def test_the_private_check_sees_a_crossing(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from analytics.stats._trends import rolling_mean\n"  # another package's private module
        "from analytics.stats import _thresholds\n"
        "from analytics.store._values import check_actor\n"  # allowed inside the store
        "from analytics.store._values import _natives\n"  # a private name: never
        "from analytics.io import _loaders as loaders\n"
        "loaders._today(None)\n"  # a private name of a module, by attribute
    )
    assert _private_crossings(probe, "dashboard.probe") == [
        "dashboard.probe:1 analytics.stats._trends.rolling_mean",
        "dashboard.probe:2 analytics.stats._thresholds",
        "dashboard.probe:3 analytics.store._values.check_actor",
        "dashboard.probe:4 analytics.store._values._natives",
        "dashboard.probe:5 analytics.io._loaders",
        "dashboard.probe:6 loaders._today",
    ]
    assert _private_crossings(probe, "analytics.store.probe") == [
        "analytics.store.probe:1 analytics.stats._trends.rolling_mean",
        "analytics.store.probe:2 analytics.stats._thresholds",
        "analytics.store.probe:4 analytics.store._values._natives",
        "analytics.store.probe:5 analytics.io._loaders",
        "analytics.store.probe:6 loaders._today",
    ]


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
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} calls .{node.func.attr}()")
    assert not bad, f"dashboard code calls Store methods; go through the service: {bad}"
