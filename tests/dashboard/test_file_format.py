"""The Data page's import tab shows the file format itself and offers the templates and
an example clinic, and no longer points at a repository path."""

from __future__ import annotations

import io
import zipfile

from analytics.contract import column_table
from analytics.contract.schema import TABLES
from analytics.presentation import example_zip, templates_zip

from .conftest import open_page
from .test_export_zip import deferred_downloads, press

IMPORT_TAB = "⬆️ Import CSV"
HEADERS = ["Column", "Required", "What it holds", "Allowed values", "Unit"]


def _page_text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [c.value for c in at.code] + [e.label for e in at.expander]
    return "\n".join(str(p) for p in parts)


def test_the_import_tab_shows_the_format_and_both_downloads(demo_db: str) -> None:
    at = open_page("views/data_manager.py", user="admin")
    at.session_state["data.section"] = IMPORT_TAB
    at.run()
    assert not at.exception
    text = _page_text(at)
    assert "docs/data-format.md" not in text
    assert "YYYY-MM-DD" in text and "semicolons" in text and "0 to 10" in text
    # the column tables, in file order, exactly as the contract describes them
    assert not at.dataframe  # the upload's problems and preview stay the page's only grids
    tables = [frame.value for frame in at.table]
    assert len(tables) == 3
    for shown, table in zip(tables, ("patients", "diary", "sessions"), strict=True):
        assert list(shown.columns) == HEADERS
        assert shown.to_numpy().tolist() == column_table(table).to_numpy().tolist(), table
        assert TABLES[table].file_name in text
    # an example row under each table: the header line and one row of the example clinic
    codes = [c.value for c in at.code]
    assert [c.splitlines()[0] for c in codes] == [
        ",".join(TABLES[t].column_names) for t in ("patients", "diary", "sessions")
    ]
    assert all(len(c.strip().splitlines()) == 2 for c in codes)
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    assert set(buttons) == {"Empty templates (zip)", "Example clinic (zip)"}


def test_the_downloads_carry_the_templates_and_the_example(demo_db: str) -> None:
    with deferred_downloads() as managers:
        at = open_page("views/data_manager.py", user="admin")
        at.session_state["data.section"] = IMPORT_TAB
        at.run()
        buttons = {b.proto.label: b for b in at.get("download_button")}
        templates = press(buttons["Empty templates (zip)"], managers)
        example = press(buttons["Example clinic (zip)"], managers)
    assert templates == templates_zip()
    assert example == example_zip()
    for raw in (templates, example):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            assert archive.namelist() == ["patients.csv", "diary.csv", "sessions.csv"]
