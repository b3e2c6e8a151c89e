"""Start the dashboard: ``python -m dashboard.serve [STREAMLIT OPTIONS]``.

The same as ``streamlit run dashboard/app.py [OPTIONS]`` (``make run`` and ``make
serve-clinic`` start it so), with one thing done first: the upload gate
(:mod:`dashboard.components.upload_gate`) is put in front of the server's upload store
as the store is made. Under ``streamlit run`` no code of the app runs before the first
run of a page, so until someone opened a page any open WebSocket session could upload.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["APP", "main"]

#: The app's router, the script Streamlit runs.
APP = Path(__file__).resolve().parent / "app.py"


def main(argv: list[str] | None = None) -> int:
    """Serve the app with Streamlit's options ``argv``; return when the server stops.

    Parameters
    ----------
    argv : list of str, optional
        Options of ``streamlit run`` (e.g. ``["--server.port", "8501"]``); default:
        this process's arguments.

    Returns
    -------
    int
        Streamlit's exit status.
    """
    from streamlit.web import cli

    from dashboard.components import upload_gate

    upload_gate.gate_every_new_store()
    options = sys.argv[1:] if argv is None else argv
    try:
        cli.main(args=["run", str(APP), *options], prog_name="streamlit", standalone_mode=True)
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
