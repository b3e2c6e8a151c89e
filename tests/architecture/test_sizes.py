"""No file over 700 lines and no function over 120 lines, unless a comment says why.

A function's length runs from its ``def`` line to its last line, docstring included;
a file's is its number of lines. Code longer than that may stay when splitting it
would hurt clarity (a vectorised kernel read best in one piece): a comment line
``# Long: <why>`` directly above the function (above its decorators), or before the
first statement after a file's docstring, exempts it. The rule and the convention
are in docs/architecture.md ("Rules").

The generated Alembic revisions are not checked (ruff skips them too). The entries
of ``PENDING`` are code that another change is reworking; each must still be too
long, so the list only shrinks.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("analytics", "dashboard")
MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 120
MARK = "# Long:"
#: Generated migration files, left as Alembic wrote them.
SKIPPED = ("analytics/store/migrations/versions/",)
#: (file, function or None for the file) -> why it is not split yet.
PENDING: dict[tuple[str, str], str] = {}


def _says_why(lines: list[str], first: int) -> bool:
    """Tell whether the comment block ending just above line ``first`` (1-based) has a reason."""
    i = first - 2
    while i >= 0 and lines[i].strip().startswith("#"):
        text = lines[i].strip()
        if text.startswith(MARK) and text[len(MARK) :].strip():
            return True
        i -= 1
    return False


def _file_says_why(tree: ast.Module, lines: list[str]) -> bool:
    """Tell whether a ``# Long:`` comment comes before the first statement after the docstring."""
    body = tree.body
    has_doc = (
        bool(body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    )
    rest = body[1:] if has_doc else body
    end = rest[0].lineno - 1 if rest else len(lines)
    return any(
        line.strip().startswith(MARK) and line.strip()[len(MARK) :].strip() for line in lines[:end]
    )


def too_long(source: str) -> list[tuple[str | None, int, int]]:
    """List what is too long and not exempt: (function or None for the file, line, length)."""
    lines = source.splitlines()
    tree = ast.parse(source)
    found: list[tuple[str | None, int, int]] = []
    if len(lines) > MAX_FILE_LINES and not _file_says_why(tree, lines):
        found.append((None, 1, len(lines)))
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        if length > MAX_FUNCTION_LINES and not _says_why(lines, first):
            found.append((node.name, node.lineno, length))
    return found


def _violations() -> dict[tuple[str, str | None], str]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "__pycache__" in path.parts or rel.startswith(SKIPPED):
                continue
            for name, line, length in too_long(path.read_text()):
                limit = MAX_FILE_LINES if name is None else MAX_FUNCTION_LINES
                what = "the file" if name is None else f"{name}()"
                out[(rel, name)] = f"{rel}:{line} {what} has {length} lines (limit {limit})"
    return out


def test_no_file_or_function_is_too_long() -> None:
    found = [text for key, text in _violations().items() if key not in PENDING]
    assert found == [], (
        "Split these into well-named steps, or put a '# Long: <why>' comment above the "
        "function (or at the top of the file):\n" + "\n".join(found)
    )


def test_every_pending_entry_is_still_too_long() -> None:
    found = _violations()
    done = [f"{path} {name or ''}".strip() for path, name in PENDING if (path, name) not in found]
    assert done == [], "No longer too long; remove from PENDING: " + ", ".join(done)


def _function(name: str, n_lines: int, above: str = "") -> str:
    body = "".join(f"    x{i} = {i}\n" for i in range(n_lines - 1))
    return f"{above}def {name}():\n{body}"


def test_the_check_sees_long_code_and_its_exemption() -> None:
    exempt = "# Long: one vectorised pass, clearer whole\n@staticmethod\n"
    source = "\n".join(
        [
            _function("short", MAX_FUNCTION_LINES),
            _function("long", MAX_FUNCTION_LINES + 1),
            _function("exempt", 125, above=exempt),
            _function("no_reason", 125, above="# Long:\n"),
            "class A:\n" + textwrap.indent(_function("method", 130), "    "),
        ]
    )
    assert [(name, n) for name, _, n in too_long(source)] == [
        ("long", 121),
        ("no_reason", 125),
        ("method", 130),
    ]
    many = "".join(f"x{i} = {i}\n" for i in range(MAX_FILE_LINES))
    assert too_long('"""Doc."""\n' + many) == [(None, 1, MAX_FILE_LINES + 1)]
    assert too_long('"""Doc."""\n# Long: a table of constants, read top to bottom\n' + many) == []
