"""No visitor sees a traceback: Streamlit is told to hide error details, and a
database that cannot be read at sign-in gives one neutral sentence."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from analytics.store import project_root
from dashboard.views.login import SIGN_IN_UNAVAILABLE

APP = project_root() / "dashboard" / "app.py"


def test_streamlit_reads_the_setting_that_hides_error_details(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = tomllib.loads((APP.parent / ".streamlit" / "config.toml").read_text())
    assert settings["client"]["showErrorDetails"] == "none"
    # Streamlit itself reads it from the app's folder, wherever the server starts.
    monkeypatch.chdir(APP.parent)
    monkeypatch.setattr(config, "_main_script_path", str(APP), raising=False)
    try:
        config.get_config_options(force_reparse=True)
        assert config.get_option("client.showErrorDetails") == "none"
    finally:
        monkeypatch.undo()
        config.get_config_options(force_reparse=True)


def test_an_unreadable_database_at_sign_in_gives_a_sentence(
    db: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, path = db
    monkeypatch.setenv("PAINDIARY_DB", url)
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "hostile-tests-" + "k" * 32)
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    path.write_bytes(b"this is not a database" * 100)  # the file is damaged under the server
    os.utime(path)
    at.text_input(key="login.username").input("admin")
    at.text_input(key="login.password").input("correct horse battery")
    at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [SIGN_IN_UNAVAILABLE]
    shown = " ".join(str(e.value) for e in at.markdown) + " ".join(e.value for e in at.error)
    assert "Traceback" not in shown and str(path) not in shown
