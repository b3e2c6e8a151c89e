"""The Data page's one download of the clinic: pressed as Streamlit presses a deferred
download, the zip's files join on one code and equal what ``paindiary export`` writes."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
from streamlit.runtime.media_file_manager import MediaFileManager

from analytics.cli import main
from analytics.store import open_store

from .conftest import open_page

#: The de-identified files of the demo clinic (it has entries during the day).
FILES = ["patients.csv", "diary.csv", "sessions.csv", "entries.csv"]
#: A patient added to the demo (whose oldest person is under 90): 90 or over from 2020 on.
OLD_PATIENT = "P900"


@contextmanager
def deferred_downloads() -> Iterator[dict[str, MediaFileManager]]:
    """Note the media manager of every deferred download registered while a page runs.

    Streamlit keeps a download button's data function under a file id and runs it when
    the browser asks for that id (the click); :func:`press` asks the same way.
    """
    managers: dict[str, MediaFileManager] = {}
    real = MediaFileManager.add_deferred

    def add_deferred(self: MediaFileManager, *args: Any, **kwargs: Any) -> str:
        file_id = real(self, *args, **kwargs)
        managers[file_id] = self
        return file_id

    with mock.patch.object(MediaFileManager, "add_deferred", add_deferred):
        yield managers


def press(button: Any, managers: dict[str, MediaFileManager]) -> bytes:
    """The bytes a click on a deferred download button gets from the server."""
    file_id = button.proto.deferred_file_id
    assert file_id, "the download is produced on click, not when the page is drawn"
    manager = managers[file_id]
    url = manager.execute_deferred(file_id)
    return manager._storage.get_file(url.rsplit("/", 1)[-1]).content


def _tables(members: dict[str, bytes]) -> dict[str, pd.DataFrame]:
    return {
        name.removesuffix(".csv"): pd.read_csv(io.BytesIO(raw), dtype="str", keep_default_na=False)
        for name, raw in members.items()
    }


def _without_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows as a multiset: codes dropped (random per export), sorted by every column."""
    rest = frame.drop(columns=[c for c in ("patient_code", "clinician_code") if c in frame])
    return rest.sort_values(list(rest.columns)).reset_index(drop=True)


def _exports(url: str) -> pd.DataFrame:
    with open_store(url) as store:
        log = store.audit_log("test", username="admin")
    return log[log["action"] == "export"]


def _add_old_patient(url: str) -> None:
    with open_store(url) as store:
        store.save_patient(
            "test:setup",
            {"patient_id": OLD_PATIENT, "condition": "osteoarthritis", "group": "acupuncture",
             "start_date": "2024-03-04", "sex": "F", "birth_year": 1925, "clinician_id": "C01"},
        )  # fmt: skip
        for day in range(1, 8):
            store.save_diary_entry(
                "test:setup", {"patient_id": OLD_PATIENT, "date": f"2024-03-{day:02d}", "pain": 6}
            )


def test_the_downloaded_deidentified_zip_joins_on_its_codes(demo_db: str, tmp_path: Path) -> None:
    _add_old_patient(demo_db)
    with deferred_downloads() as managers:
        at = open_page("views/data_manager.py", user="admin")
        at.session_state["data.section"] = "⬇️ Export CSV"
        at.run()
        at.toggle(key="data.deidentify").set_value(True).run()
    assert not at.exception
    assert "De-identified: each patient has a random code" in " ".join(c.value for c in at.caption)
    (button,) = at.get("download_button")
    assert button.label == "Download the clinic (zip)"
    assert _exports(demo_db).empty  # drawing the button exported nothing

    with zipfile.ZipFile(io.BytesIO(press(button, managers))) as archive:
        assert archive.namelist() == FILES
        members = {name: archive.read(name) for name in FILES}
    exports = _exports(demo_db)
    assert len(exports) == 1  # one download, one record
    detail = json.loads(exports["detail"].iat[0])
    assert (detail["deidentified"], detail["format"]) == (True, "zip")

    t = _tables(members)
    codes = t["patients"]["patient_code"]
    assert (codes != "").all() and codes.is_unique
    for name in ("diary", "sessions", "entries"):
        frame = t[name]
        assert "patient_id" not in frame and "date" not in frame
        assert (frame["patient_code"] != "").all(), name
        assert set(frame["patient_code"]) <= set(codes), name
        assert frame["day"].str.fullmatch(r"-?\d+").all(), name
    diary = t["diary"].merge(t["patients"], on="patient_code", validate="many_to_one")
    sessions = t["sessions"].merge(t["patients"], on="patient_code", validate="many_to_one")
    assert len(diary) == len(t["diary"]) and len(sessions) == len(t["sessions"])
    assert not re.search(r"\d{4}-\d{2}-\d{2}", b"".join(members.values()).decode())
    assert (t["patients"]["clinician_code"].str.fullmatch(r"C[0-9a-f]{6}")).all()
    old = t["patients"][t["patients"]["age_90_or_over"] == "True"]
    assert len(old) == 1 and old["birth_year"].tolist() == [""]
    # the index date 2024-03-04 is day 0: the diary of 1 to 7 March is days -3 to 3
    assert diary.loc[diary["age_90_or_over"] == "True", "day"].tolist() == [
        str(d) for d in range(-3, 4)
    ]

    # what the command line writes from the same database: the same files but for the codes
    assert main(["export", str(tmp_path / "cli"), "--db", demo_db, "--deidentify"]) == 0
    cli = _tables({name: (tmp_path / "cli" / name).read_bytes() for name in FILES})
    for name in ("patients", "diary", "sessions", "entries"):
        assert t[name].columns.tolist() == cli[name].columns.tolist(), name
        pd.testing.assert_frame_equal(_without_codes(t[name]), _without_codes(cli[name]))
