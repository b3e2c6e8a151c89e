"""End-to-end: a new clinic's first day, in Chromium, from an empty database.

An administrator imports a clinic of 200 patients (files made by ``analytics.demo``) on
the Data page in two halves, as a clinic moving its records over in batches would: the
first half in a desktop window, where the clinic's clinician codes are then mapped to two
clinician accounts on the Admin page; the second half in a phone-sized window, where the
new patients are assigned by their (now mapped) codes. After each half the new patients'
accounts are made and their sign-in sheets downloaded (a PDF read back with pypdf), in
the window of that half. Two patients, one of each half, open the sign-in links of their
sheets, choose a password and land on Log today; a clinician records sessions from
patients' charts and ends three courses from the chart's course panel. Every step runs
in a phone-sized and in a desktop window, and no page shows a developer message at any
step. Screenshots go to ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from analytics.access import LOCAL_OPERATOR
from analytics.presentation import course_text
from analytics.service import Service
from analytics.store import open_store
from tests.app_server import AppNotServing, served_app
from tests.waiting import (
    ATTEMPT_MS,
    TIMEOUT_MS,
    choose,
    click_until,
    eventually,
    session_kept,
    settled,
)

from .test_browser import (  # noqa: F401 - the module's browser fixture
    DESKTOP,
    PHONE,
    _heading,
    _shot,
    browser,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECRET = "clinic-first-day-" + "k" * 32
PASSWORD = "staff room kettle"
#: The clinic's clinician codes (analytics.demo) and the accounts they stand for.
CODES = {"C01": "dr.north", "C02": "dr.north", "C03": "dr.south", "C04": "dr.south"}
#: The clinic's size, imported in two halves.
PATIENTS = 200
HALF = PATIENTS // 2
#: The longest wait: importing half the clinic and making its sign-in pages.
SLOW_MS = 240_000
DEVELOPER_TEXT = re.compile(r"Traceback|parameter of|^\s*Error:")
END_DAY = dt.date.today() - dt.timedelta(days=3)


@dataclass(frozen=True)
class Clinic:
    url: str
    files: Path  # the whole clinic
    halves: tuple[Path, Path]  # its first and second 100 patients, with their days and sessions


def _halves(files: Path) -> tuple[Path, Path]:
    """Split the clinic's files into two folders of half its patients each."""
    tables = {
        t: pd.read_csv(files / f"{t}.csv", dtype=str, keep_default_na=False)
        for t in ("patients", "diary", "sessions")
    }
    ids = tables["patients"]["patient_id"].tolist()
    out = []
    for name, part in (("first", ids[:HALF]), ("second", ids[HALF:])):
        folder = files.parent / name
        folder.mkdir()
        for table, frame in tables.items():
            frame[frame["patient_id"].isin(part)].to_csv(folder / f"{table}.csv", index=False)
        out.append(folder)
    return out[0], out[1]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    """The app on an empty database with one administrator and two clinicians."""
    from analytics.demo import main as demo_main

    tmp = tmp_path_factory.mktemp("first-day")
    files = tmp / "files"
    code = demo_main(
        ["--patients", str(PATIENTS), "--days", "90", "--end-date", f"{END_DAY:%Y-%m-%d}",
         "--out", str(files)]
    )  # fmt: skip
    assert code in (0, None)
    db = f"sqlite:///{tmp / 'clinic.sqlite3'}"
    with open_store(db) as store:
        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        svc.add_user("admin", role="admin", password=PASSWORD, must_change_password=False)
        for name in sorted(set(CODES.values())):
            svc.add_user(name, role="clinician", password=PASSWORD, must_change_password=False)
    env = {
        **os.environ,
        "PAINDIARY_DB": db,
        "PAINDIARY_DATA_DIR": str(tmp),
        "PAINDIARY_SECRET_KEY": SECRET,
    }
    try:
        with served_app(env, tmp / "streamlit.log") as url:
            yield Clinic(url, files, _halves(files))
    except AppNotServing as exc:
        pytest.fail(str(exc))


def _no_developer_message(page) -> None:
    """No traceback, library parameter message or bare "Error:" box on the page."""
    assert not page.locator('[data-testid="stException"]').count()
    assert not page.get_by_text(DEVELOPER_TEXT).count()


def _sign_in(page, username: str) -> None:
    _heading(page, "🩺 Pain diary")
    settled(page)  # a form drawn again by a run still under way can lose what was typed
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    session_kept(page)


def _size_name(page) -> str:
    return "phone" if page.viewport_size["width"] < 640 else "desktop"


@contextlib.contextmanager
def _phone_sized(page) -> Iterator[None]:
    """The page in a phone-sized window (390 x 844) for a while, then at its size again."""
    size = page.viewport_size
    page.set_viewport_size(PHONE["viewport"])
    try:
        yield
    finally:
        page.set_viewport_size(size)


def _tab(page, name: str, shown) -> None:
    """Open the tab ``name`` (clicked again if a rerun lost the click), then wait for what
    it shows, which may take longer to draw than a click is given."""
    tab = page.get_by_role("tab").filter(has_text=name)
    click_until(tab, page.get_by_role("tab", selected=True).filter(has_text=name))
    shown.first.wait_for(timeout=SLOW_MS)


def _import(page, files: Path) -> None:
    """Upload the three files of ``files``, read the preview and import them.

    The first half's preview is read in a phone-sized window too before it is imported on
    the desktop; the second half is uploaded, previewed and imported on a phone.
    """
    size = _size_name(page)
    _tab(page, "Import CSV", page.locator('[data-testid="stFileUploader"]').first)
    for table in ("patients", "diary", "sessions"):
        uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text=f"{table}.csv")
        # the uploaded file's chip, not the uploader's label (which shows the same name)
        chip = uploader.locator('[data-testid="stFileChipName"]').filter(has_text=f"{table}.csv")

        def uploaded(uploader=uploader, chip=chip, table=table) -> None:
            if not chip.count():  # not yet, or the rerun of an earlier upload dropped it
                settled(page)
                uploader.locator('input[type="file"]').set_input_files(str(files / f"{table}.csv"))
            chip.first.wait_for(timeout=ATTEMPT_MS)

        eventually(uploaded)
    settled(page, timeout_ms=SLOW_MS)  # the preview of all three files, not of the first two
    page.get_by_text("The files are valid. Preview of what the import will change").wait_for(
        timeout=SLOW_MS
    )
    _no_developer_message(page)
    _shot(page, f"40_first_day_import_preview_{size}")
    if size == "desktop":
        with _phone_sized(page):
            page.get_by_role("button", name="Import", exact=True).wait_for()
            _no_developer_message(page)
            _shot(page, "40_first_day_import_preview_desktop_file_on_a_phone")
    _start(
        page, page.get_by_role("button", name="Import", exact=True), page.get_by_text("Imported: ")
    )
    page.get_by_text(f"The {HALF} new patient(s) of the import").wait_for()
    _no_developer_message(page)


def _start(page, button, done) -> None:
    """Click ``button`` of a long piece of work until ``done`` shows.

    A click lost in a rerun is made again; never while the work it started is under way
    (the page settles first: the work runs in the script's run).
    """
    settled(page, timeout_ms=SLOW_MS)
    for _ in range(3):
        button.click(timeout=ATTEMPT_MS)
        try:
            done.wait_for(timeout=ATTEMPT_MS)
            return
        except PlaywrightTimeoutError:
            settled(page, timeout_ms=SLOW_MS)
            if done.is_visible() or not button.is_visible():
                break
    done.wait_for(timeout=SLOW_MS)


def _map_codes(page) -> None:
    click_until(page.get_by_role("link", name="Admin"), page.get_by_role("heading", name="🛡️ Admin"))
    _tab(page, "Assignments", page.get_by_text("Clinician codes of the data"))
    form = page.locator('[data-testid="stForm"]').filter(has_text="Clinician account")

    def map_code(code: str, account: str) -> None:
        choose(page, "Clinician code", code, within=form)
        choose(page, "Clinician account", account, within=form)
        mapped = page.get_by_text(f"Mapped {code} to {account}")
        click_until(form.get_by_role("button", name="Map"), mapped)
        _no_developer_message(page)

    codes = list(CODES.items())
    for code, account in codes[:2]:
        map_code(code, account)
    _shot(page, "41_first_day_codes_mapped_desktop")
    with _phone_sized(page):
        for code, account in codes[2:]:
            map_code(code, account)
        _shot(page, "41_first_day_codes_mapped_phone")


def _sign_in_sheets(page, tmp_path: Path) -> Path:
    """Make the accounts of the import's new patients and download their sign-in sheets.

    Every new patient already has a clinician: the first half's codes were mapped after
    its import, the second half was assigned by the mapped codes as it was imported.
    """
    size = _size_name(page)
    panel = page.get_by_text(f"0 without a clinician, {HALF} without an account")
    _tab(page, "Import CSV", panel)
    made = page.get_by_text(f"{HALF} first sign-in link(s) made ({HALF} new account(s))")
    _start(
        page, page.get_by_role("button", name="Create patient accounts and sign-in sheets"), made
    )
    _no_developer_message(page)
    _shot(page, f"42_first_day_sheets_made_{size}")
    settled(page)  # the button of a finished run: a click during a rerun can be lost
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name="Download the sign-in sheet (PDF)").click()
    path = tmp_path / f"sheets_{size}.pdf"
    info.value.save_as(path)
    return path


def _sheet(path: Path, url: str) -> tuple[str, str]:
    """The username and sign-in link of the sheet's first page."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    assert len(reader.pages) == HALF
    text = reader.pages[0].extract_text()
    link = re.search(re.escape(url) + r"/?\?invite=\S+", text)
    assert link, text
    username = re.search(r"\bp\d{3}\b", text)
    assert username, text
    return username.group(0), link.group(0)


@contextlib.contextmanager
def _window(browser, size: dict, url: str, **options: object) -> Iterator[object]:  # noqa: F811
    """A page of a new browser window of ``size`` that opened ``url``; closed afterwards."""
    context = browser.new_context(**size, **options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(url, wait_until="commit")
        yield page
    finally:
        context.close()


def _patient_signs_in(browser, link: str, username: str, size: dict) -> None:  # noqa: F811
    with _window(browser, size, link) as page:
        _heading(page, "🩺 Welcome to your pain diary")
        page.get_by_text(f"Your username is {username}").wait_for()
        _no_developer_message(page)
        settled(page)
        page.get_by_label("Choose a password").fill("my own garden words")
        page.get_by_label("The same password again").fill("my own garden words")
        page.get_by_role("button", name="Save my password and sign in").click()
        _heading(page, "📝 Log today")
        page.get_by_text(f"Diary of patient {username.upper()}").wait_for()
        _no_developer_message(page)
        _shot(page, f"43_first_day_patient_signed_in_{_size_name(page)}")


def _open_chart(page, url: str, pid: str) -> None:
    """Open ``pid``'s chart, opening it again if the page does not come (a navigation that
    lands while the previous page is still running can be lost, like a click)."""

    def opened() -> None:
        page.goto(f"{url}/patient_chart?patient={pid}", wait_until="commit")
        page.get_by_role("heading", name="🩺 Patient chart").first.wait_for(timeout=3 * ATTEMPT_MS)

    eventually(opened)


def _record_a_session(page, url: str, pid: str, last_points: str) -> None:
    _open_chart(page, url, pid)
    page.locator(".st-key-course-panel").wait_for()
    click_until(
        page.get_by_role("button", name="Record a session"),
        page.get_by_role("heading", name="🗂️ Data"),
    )
    form = page.locator('[data-testid="stForm"]').filter(has_text="Pain before")
    form.wait_for()
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Patient").first

    def chosen() -> None:
        assert box.locator("input").input_value() == pid

    eventually(chosen)
    copy = page.get_by_role("button", name="Copy the last session")
    points = form.get_by_label("Points")

    def copied() -> None:  # the protocol of the last session in sessions.csv
        if points.input_value() != last_points:  # not yet, or the click was lost in a rerun
            settled(page)
            copy.click(timeout=ATTEMPT_MS)
            settled(page)
        assert points.input_value() == last_points

    try:
        eventually(copied)
    except AssertionError:
        _shot(page, f"failed_copy_last_session_{_size_name(page)}")
        raise
    form.get_by_label("Pain before (0-10)").fill("6")
    form.get_by_label("Pain after (0-10)").fill("3")
    saved = page.get_by_text(f"Session of {pid} on {dt.date.today():%d %b %Y} saved.")
    click_until(form.get_by_role("button", name="Save session"), saved)
    _no_developer_message(page)
    _shot(page, f"44_first_day_session_recorded_{_size_name(page)}")


def _end_course(page, url: str, pid: str, day: dt.date, reason: str, label: str) -> None:
    _open_chart(page, url, pid)
    panel = page.locator(".st-key-course-panel")
    panel.get_by_text("Course of treatment:").wait_for()
    form = panel.locator('[data-testid="stForm"]')
    click_until(
        panel.get_by_text("End the course").first,
        form.get_by_role("group", name="Last day of the course"),
    )
    name = "Last day of the course"
    form.get_by_role("spinbutton", name=f"day, {name}").click()
    page.keyboard.type(f"{day:%d%m%Y}")  # the field moves from day to month to year

    def dated() -> None:
        for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
            got = form.get_by_role("spinbutton", name=f"{part}, {name}").get_attribute(
                "aria-valuenow"
            )
            assert got == str(value), (part, got)

    eventually(dated)
    choose(page, "Reason", label, within=form)
    done = page.get_by_text(f"The course of {pid} is now {course_text('ended', day, reason)}.")
    click_until(form.get_by_role("button", name="End the course"), done)
    _no_developer_message(page)


def test_a_new_clinic_imports_onboards_signs_in_records_and_ends_courses(
    clinic,
    browser,  # noqa: F811
    tmp_path,
):
    first, second = clinic.halves
    with _window(browser, DESKTOP, f"{clinic.url}/data_manager", accept_downloads=True) as page:
        _sign_in(page, "admin")
        _heading(page, "🗂️ Data")
        _import(page, first)
        _map_codes(page)
        click_until(
            page.get_by_role("link", name="Data"), page.get_by_role("heading", name="🗂️ Data")
        )
        sheets = {"desktop": _sign_in_sheets(page, tmp_path)}
    with _window(browser, PHONE, f"{clinic.url}/data_manager", accept_downloads=True) as page:
        _sign_in(page, "admin")
        _heading(page, "🗂️ Data")
        _import(page, second)
        sheets["phone"] = _sign_in_sheets(page, tmp_path)
    # a patient of each half signs in with the link of their sheet, in the other size
    for made_on, size in (("desktop", PHONE), ("phone", DESKTOP)):
        username, link = _sheet(sheets[made_on], clinic.url)
        _patient_signs_in(browser, link, username, size)

    patients = pd.read_csv(clinic.files / "patients.csv", dtype=str)
    mine = patients[patients["clinician_id"].map(CODES) == "dr.north"]
    sessions = pd.read_csv(clinic.files / "sessions.csv", dtype=str).sort_values("date")
    treated = set(sessions["patient_id"])
    ongoing = [p for p in mine.loc[mine["course_end"].isna(), "patient_id"] if p in treated]

    def last_points(pid: str) -> str:
        return str(sessions.loc[sessions["patient_id"] == pid, "points"].iloc[-1])

    # on a phone: a session and one course ended; on a desktop: a session and two courses
    steps = {
        "phone": (PHONE, ongoing[0], [(ongoing[1], "completed", "completed")]),
        "desktop": (
            DESKTOP,
            ongoing[4],
            [(ongoing[2], "discharged", "discharged"), (ongoing[3], "dropped_out", "dropped out")],
        ),
    }
    for name, (size, recorded, ended) in steps.items():
        with _window(browser, size, f"{clinic.url}/patient_chart") as page:
            _sign_in(page, "dr.north")
            _heading(page, "🩺 Patient chart")
            _record_a_session(page, clinic.url, recorded, last_points(recorded))
            for pid, reason, label in ended:
                _end_course(page, clinic.url, pid, END_DAY, reason, label)
            _shot(page, f"45_first_day_course_ended_{name}")
