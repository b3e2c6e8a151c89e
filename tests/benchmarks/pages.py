"""``make bench-pages``: what a person waits for in a real browser, written to docs/performance.md.

``python -m tests.benchmarks.pages [--runs 5] [--out docs/performance.md]``

The demo clinic (``paindiary init-demo``) is served by ``streamlit run`` from this
checkout and driven by Debian's Chromium (Playwright), at a phone's size (390×844)
and a desktop's (1280×900). Each run times, from the person's action until the page
shows its answer and the script run has finished:

* **sign-in → Log today**: "Sign in" pressed until the pain scale is shown;
* **tap + Save → "Saved"**: a pain number tapped and Save pressed until "Saved" is
  shown (today's entry of the patient is deleted before each run, so every run is a
  new day's first save);
* **Log today → My progress**: the menu link until the first chart is drawn;
* **Clinic overview → patient chart**: a clinician presses "Open patient chart" (the
  first listed patient) until the Patient chart's first chart is drawn.

Each size runs one warm-up round (not counted) and ``--runs`` measured rounds; the
section "Pages in the browser" of the report gets the medians, with the slowest and
fastest run. The figures depend on the machine and its load: the section says both.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.app_server import served_app
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE
from tests.waiting import TIMEOUT_MS, click_until, settled

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Pages in the browser (`make bench-pages`)"
#: The demo passwords derive from the secret key: the server signs with the same one.
SECRET = "bench-pages-" + "k" * 32
SIZES = {"phone 390×844": PHONE, "desktop 1280×900": DESKTOP}
#: The measures, in report order: key, words, target (seconds).
MEASURES = (
    ("save", 'tap + Save → "Saved" shown', 0.7),
    ("sign_in", "sign-in → Log today", 1.0),
    ("progress", "Log today → My progress", 1.0),
    ("chart", "Clinic overview → patient chart (Open patient chart)", 1.0),
)


@dataclass(frozen=True)
class Clinic:
    """The served demo clinic: its address, database and the accounts the runs use."""

    url: str
    db: str
    patient: str
    patient_id: str
    clinician: str
    passwords: dict[str, str]


def _make_demo(folder: Path) -> str:
    """Create the demo clinic with ``paindiary init-demo``; return its URL."""
    from analytics.cli import main

    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    printed = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
        warnings.simplefilter("ignore")
        code = main(["init-demo", "--db", url])
    if code != 0:
        raise SystemExit(f"paindiary init-demo failed:\n{printed.getvalue()}")
    return url


def _accounts(db: str) -> tuple[str, str, str, dict[str, str]]:
    """The first demo patient, a clinician who sees that patient, and every demo password."""
    from analytics.access import demo_accounts, user_from_record
    from analytics.service import Service
    from analytics.store import open_store

    with open_store(db) as store:
        accounts = demo_accounts(store) or []
        passwords = {a["username"]: a["password"] for a in accounts}
        patient = next(a for a in accounts if a["role"] == "patient")
        pid = str(patient["patient_id"])
        clinician = next(
            a["username"]
            for a in accounts
            if a["role"] == "clinician"
            and pid
            in Service(
                store, user_from_record(store.user_record(a["username"]))
            ).visible_patient_ids()
        )
    return patient["username"], pid, clinician, passwords


@contextlib.contextmanager
def _served(folder: Path) -> Iterator[Clinic]:
    """The app of this checkout as `make run` serves it, on the demo clinic, stopped afterwards."""
    env = {
        **os.environ,
        "PAINDIARY_SECRET_KEY": SECRET,
        "PAINDIARY_DATA_DIR": str(folder),
    }
    os.environ.update({k: env[k] for k in ("PAINDIARY_SECRET_KEY", "PAINDIARY_DATA_DIR")})
    db = _make_demo(folder)
    patient, pid, clinician, passwords = _accounts(db)
    with served_app({**env, "PAINDIARY_DB": db}, folder / "streamlit.log") as url:
        yield Clinic(url, db, patient, pid, clinician, passwords)


def _forget_today(clinic: Clinic) -> None:
    """Delete the patient's entry of today (as the local operator), so the next save is new."""
    from analytics.access import LOCAL_OPERATOR
    from analytics.service import Service
    from analytics.store import open_store

    with open_store(clinic.db) as store:
        svc = Service(store, LOCAL_OPERATOR, face="bench-pages")
        if svc.get_diary_entry(clinic.patient_id, dt.date.today()) is not None:
            svc.delete_diary_entry(clinic.patient_id, dt.date.today(), reason="page benchmark")


def _timed(action: Callable[[], object], done: Callable[[], object]) -> float:
    t = time.perf_counter()
    action()
    done()
    return time.perf_counter() - t


def _shown(page, heading: str, charts: int = 0) -> None:
    """Wait until ``heading`` is shown, ``charts`` charts are drawn and the run has finished."""
    page.get_by_role("heading", name=heading).first.wait_for(timeout=TIMEOUT_MS)
    if charts:
        page.wait_for_function(
            "document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length"
            f" >= {charts}",
            timeout=TIMEOUT_MS,
        )
    settled(page)


def _sign_in(page, clinic: Clinic, username: str) -> None:
    page.get_by_role("heading", name="🩺 Pain diary").first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(clinic.passwords[username])
    settled(page)


def patient_round(browser, clinic: Clinic, size: dict) -> dict[str, float]:
    """One patient's round: sign in, log today's pain, open My progress."""
    _forget_today(clinic)
    context = browser.new_context(**size)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(clinic.url, wait_until="commit")
        _sign_in(page, clinic, clinic.patient)
        pills = page.locator('[data-testid="stButtonGroup"]').first
        five = pills.get_by_role("radio", name="5", exact=True)
        out = {
            "sign_in": _timed(
                lambda: page.get_by_role("button", name="Sign in", exact=True).click(),
                lambda: (five.wait_for(), _shown(page, "📝 Log today")),
            )
        }

        def tap_and_save() -> None:
            click_until(five, pills.get_by_role("radio", name="5", exact=True, checked=True))
            click_until(
                page.get_by_role("button", name="Save", exact=True),
                page.get_by_text("Saved: pain 5/10"),
            )

        out["save"] = _timed(tap_and_save, lambda: None)
        settled(page)
        out["progress"] = _timed(
            lambda: page.get_by_role("link", name="My progress").click(),
            lambda: _shown(page, "📈 My progress", charts=1),
        )
        return out
    finally:
        context.close()


def clinician_round(browser, clinic: Clinic, size: dict) -> dict[str, float]:
    """One clinician's round: sign in, then open the first listed patient's chart."""
    context = browser.new_context(**size)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(clinic.url, wait_until="commit")
        _sign_in(page, clinic, clinic.clinician)
        page.get_by_role("button", name="Sign in", exact=True).click()
        _shown(page, "🏥 Clinic overview")
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        settled(page)
        heading = page.get_by_role("heading", name="🩺 Patient chart")
        t = time.perf_counter()
        # the first patient of the list, opened with "Open patient chart" (a click lost in a
        # rerun is clicked again, counted in the time)
        click_until(page.get_by_role("button", name="Open patient chart"), heading)
        _shown(page, "🩺 Patient chart", charts=1)
        return {"chart": time.perf_counter() - t}
    finally:
        context.close()


def measure(clinic: Clinic, runs: int) -> dict[str, dict[str, list[float]]]:
    """Time every measure at every size: one warm-up round, then ``runs`` rounds."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(
            f"{CHROMIUM} is missing: run 'make system-deps' (installs Debian's chromium)"
        )
    found: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, size in SIZES.items():
                times: dict[str, list[float]] = {key: [] for key, _, _ in MEASURES}
                for i in range(runs + 1):
                    got = {
                        **patient_round(browser, clinic, size),
                        **clinician_round(browser, clinic, size),
                    }
                    print(name, i, {k: round(v, 3) for k, v in got.items()}, flush=True)
                    if i:  # the first round warms the server's caches
                        for key, value in got.items():
                            times[key].append(value)
                found[name] = times
        finally:
            browser.close()
    return found


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def report(found: dict[str, dict[str, list[float]]], runs: int) -> list[str]:
    """The lines of the report's section."""
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        SECTION,
        "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load "
        f"average {load} at the end. Debian Chromium (headless) drives `streamlit run` on the "
        f"demo clinic; median of {runs} runs after one warm-up run (fastest–slowest), from the "
        "action until the page shows its answer and its script run has finished. Figures "
        "taken while other work used the CPU are slower than on a calm machine.",
        "",
        "| what | target | " + " | ".join(found) + " |",
        "|---|---|" + "---|" * len(found),
    ]
    for key, words, target in MEASURES:
        cells = []
        for times in found.values():
            values = times[key]
            cells.append(
                f"{_ms(statistics.median(values))} ({_ms(min(values))}–{_ms(max(values))})"
                if values
                else "not measured"
            )
        lines.append(f"| {words} | ≤ {_ms(target)} | " + " | ".join(cells) + " |")
    return lines


def write_section(out: Path, lines: list[str]) -> None:
    """Put ``lines`` in place of the section in ``out``; other sections are kept.

    A new section goes before the registry's, which ``make bench-registry`` keeps last.
    """
    text = out.read_text() if out.exists() else "# Performance\n"
    block = "\n".join(lines).rstrip() + "\n"
    if SECTION in text:
        start = text.index(SECTION)
        after = text.find("\n## ", start + len(SECTION))
        rest = "" if after < 0 else text[after + 1 :]
        text = text[:start] + block + ("\n" + rest if rest else "")
    elif "\n## Registry" in text:
        at = text.index("\n## Registry") + 1
        text = text[:at] + block + "\n" + text[at:]
    else:
        text = text.rstrip() + "\n\n" + block
    out.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """Measure the pages in the browser and write the section of the report."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="measured runs per size (at least 5)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = p.parse_args(argv)
    runs = max(5, args.runs)
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp, _served(Path(tmp)) as clinic:
        found = measure(clinic, runs)
    lines = report(found, runs)
    write_section(args.out, lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
