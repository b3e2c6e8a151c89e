"""The progress bar draws on a terminal only and always ends its line."""

from __future__ import annotations

import io

from analytics.cli._progress import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_the_stream_is_not_a_terminal():
    out = io.StringIO()
    with ProgressBar("work", stream=out) as bar:
        for i in range(1, 6):
            bar(i, 5)
    assert out.getvalue() == ""


def test_draws_in_place_on_a_terminal_and_ends_the_line(monkeypatch):
    monkeypatch.setattr(ProgressBar, "INTERVAL", 0.0)
    out = _Terminal()
    with ProgressBar("importing diary", stream=out, width=10) as bar:
        bar(0, 4)
        bar(2, 4)
        bar(4, 4)
    text = out.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n")
    assert "\rimporting diary [#####.....]  50%  2/4" in text
    assert "[##########] 100%  4/4\n" in text


def test_throttles_but_always_draws_the_end(monkeypatch):
    out = _Terminal()
    monkeypatch.setattr(ProgressBar, "INTERVAL", 3600.0)
    with ProgressBar("x", stream=out) as bar:
        for i in range(1, 1001):
            bar(i, 1000)
    assert out.getvalue().count("\r") == 2  # the first call and the last
    assert "1,000/1,000" in out.getvalue()


def test_nothing_to_do_is_complete():
    out = _Terminal()
    with ProgressBar("x", stream=out, width=4) as bar:
        bar(0, 0)
    assert "[####] 100%  0/0" in out.getvalue()
