"""End-to-end: a real Chromium drives ``streamlit run`` on the demo clinic.

The fixture copies the session's demo database (made by ``paindiary init-demo``, with
its demo accounts: ``tests/demo_clinic.py``), starts the app on a free localhost port and stops it afterwards. A
patient signs in on a phone-sized screen, logs a day, reloads (still the same
patient on the same page: the session cookie), opens a clinician's URL (refused);
the patient's clinician sees the entry on a desktop screen; the other clinician
does not see that patient at all. Screenshots go to ``test-artifacts/e2e/``
(git-ignored). Streamlit renders over a websocket, so the test waits for elements
(headings, ``stPlotlyChart .main-svg``), never for ``networkidle``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from analytics.store import project_root
from tests.app_server import AppNotServing, served_app
from tests.demo_clinic import DEMO_SECRET_KEY, copy_demo_clinic
from tests.waiting import TIMEOUT_MS, click_until, eventually, session_kept, settled

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
ROOT = project_root()
ARTIFACTS = ROOT / "test-artifacts" / "e2e"


@dataclass(frozen=True)
class Demo:
    url: str
    db: str
    passwords: dict[str, str]
    patient: str  # a patient account
    patient_id: str
    clinician: str  # the clinician the patient is assigned to
    other_clinician: str


SECRET = DEMO_SECRET_KEY  # the demo passwords derive from the key


def _demo_accounts(db: str) -> tuple[dict[str, str], str, str, str, str]:
    from analytics.access import _auth as auth
    from analytics.service import Service
    from analytics.store import open_store

    with open_store(db) as store:
        accounts = auth.demo_accounts(store)
        assert accounts, "init-demo must create demo accounts and mark the database as the demo"
        passwords = {a["username"]: a["password"] for a in accounts}
        clinicians = [a["username"] for a in accounts if a["role"] == "clinician"]
        scope = {
            name: set(
                Service(store, auth.user_from_record(store.user_record(name))).visible_patient_ids()
            )
            for name in clinicians
        }
        patient = next(a for a in accounts if a["role"] == "patient")
        pid = str(patient["patient_id"])
        mine = next(c for c in clinicians if pid in scope[c])
        other = next(c for c in clinicians if pid not in scope[c])
    return passwords, patient["username"], pid, mine, other


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_clinic_template: Path) -> Iterator[Demo]:
    """``streamlit run dashboard/app.py`` on a copy of the demo database, and its accounts."""
    tmp = tmp_path_factory.mktemp("e2e")
    db = copy_demo_clinic(demo_clinic_template, tmp)
    env = {
        **os.environ,
        "PAINDIARY_DB": db,
        "PAINDIARY_DATA_DIR": str(tmp),
        "PAINDIARY_SECRET_KEY": SECRET,
    }
    old = os.environ.get("PAINDIARY_SECRET_KEY")
    os.environ["PAINDIARY_SECRET_KEY"] = SECRET  # the demo passwords derive from the key
    try:
        passwords, patient, pid, mine, other = _demo_accounts(db)
    finally:
        if old is None:
            os.environ.pop("PAINDIARY_SECRET_KEY", None)
        else:
            os.environ["PAINDIARY_SECRET_KEY"] = old
    try:
        with served_app(env, tmp / "streamlit.log") as url:
            yield Demo(url, db, passwords, patient, pid, mine, other)
    except AppNotServing as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make system-deps' (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def _heading(page, text: str) -> None:
    page.get_by_role("heading", name=text).first.wait_for(timeout=TIMEOUT_MS)


def _charts(page, n: int = 1) -> None:
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length >= {n}"
    )


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _sign_in(page, demo: Demo, username: str) -> None:
    _heading(page, "🩺 Pain diary")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(demo.passwords[username])
    page.get_by_role("button", name="Sign in", exact=True).click()
    session_kept(page)


def _no_exception(page) -> None:
    assert not page.locator('[data-testid="stException"]').count()


def test_patient_logs_a_day_reloads_and_is_refused_a_clinician_page(demo, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(demo.url, wait_until="commit")
        _heading(page, "🩺 Pain diary")
        page.get_by_text("Demo clinic: accounts").wait_for()
        page.locator('[data-testid="stDataFrame"] canvas').first.wait_for()
        _shot(page, "01_login_phone")
        _sign_in(page, demo, demo.patient)
        _heading(page, "📝 Log today")
        page.get_by_text(f"Diary of patient {demo.patient_id}").wait_for()
        # pain 5 in the first pills group (average pain; pills are radio buttons), then Save
        pills = page.locator('[data-testid="stButtonGroup"]').first
        pills.get_by_role("radio", name="5", exact=True).wait_for()
        _shot(page, "02_log_today_phone")
        click_until(
            pills.get_by_role("radio", name="5", exact=True),
            pills.get_by_role("radio", name="5", exact=True, checked=True),
        )
        saved = page.get_by_text("Saved: pain 5/10").or_(page.get_by_text("You already logged"))
        click_until(page.get_by_role("button", name="Save", exact=True), saved)
        if page.get_by_text("You already logged").count():  # the demo's last day is today
            click_until(
                page.get_by_role("button", name="Save these changes", exact=True),
                page.get_by_text("Replaced your entry"),
            )
        _shot(page, "03_saved_phone")

        # a reload keeps the person and the page (the session cookie)
        page.reload(wait_until="commit")
        _heading(page, "📝 Log today")
        page.get_by_text(f"Diary of patient {demo.patient_id}").wait_for()
        assert page.url.rstrip("/") == demo.url or page.url.endswith("/log_today")

        page.goto(f"{demo.url}/my_progress", wait_until="commit")
        _heading(page, "📈 My progress")
        _charts(page)
        page.reload(wait_until="commit")
        _heading(page, "📈 My progress")
        _charts(page)
        page.get_by_text(f"Last diary day: {dt.date.today():%d %B %Y}").wait_for()
        _shot(page, "04_my_progress_after_reload_phone")

        # a clinician's page: refused, no data
        page.goto(f"{demo.url}/clinic_overview", wait_until="commit")
        _heading(page, "⛔ Not available")
        page.get_by_text("Clinic overview is not open to your account").wait_for()
        assert not page.locator('[data-testid="stDataFrame"]').count()
        assert not page.locator('[data-testid="stPlotlyChart"]').count()
        _shot(page, "05_refused_phone")
        page.goto(f"{demo.url}/patient_chart?patient={demo.patient_id}", wait_until="commit")
        _heading(page, "⛔ Not available")
        _no_exception(page)
    finally:
        context.close()


def test_the_assigned_clinician_sees_the_entry(demo, browser):
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        # a deep link before sign-in: the login first, then the asked page
        page.goto(f"{demo.url}/treatment_response", wait_until="commit")
        _sign_in(page, demo, demo.clinician)
        _heading(page, "📊 Treatment response")
        _charts(page, 4)
        _shot(page, "06_treatment_response_desktop")

        click_until(
            page.get_by_role("link", name="Clinic overview"),
            page.get_by_role("heading", name="🏥 Clinic overview"),
        )
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        _shot(page, "07_clinic_overview_desktop")

        page.goto(f"{demo.url}/patient_chart?patient={demo.patient_id}", wait_until="commit")
        _heading(page, "🩺 Patient chart")
        today = f"{dt.date.today():%d %B %Y}"
        page.get_by_text(f"Last diary entry: {today} · pain 5/10").wait_for()
        _charts(page, 3)
        _shot(page, "08_patient_chart_desktop")
        # the same page after a reload: same clinician, same patient
        page.reload(wait_until="commit")
        page.get_by_text(f"Last diary entry: {today} · pain 5/10").wait_for()
        _no_exception(page)
        # the home page keeps its own address: a deep link and a reload find it
        page.goto(f"{demo.url}/clinic_overview", wait_until="commit")
        _heading(page, "🏥 Clinic overview")
        page.reload(wait_until="commit")
        _heading(page, "🏥 Clinic overview")
        _no_exception(page)

        click_until(
            page.get_by_role("link", name="Sign out"), page.get_by_text("You are signed out")
        )
        _heading(page, "🩺 Pain diary")
        page.goto(f"{demo.url}/clinic_overview", wait_until="commit")
        _heading(page, "🩺 Pain diary")  # the cookie no longer signs anyone in
    finally:
        context.close()


def test_the_other_clinician_does_not_see_the_patient(demo, browser):
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(demo.url, wait_until="commit")
        _sign_in(page, demo, demo.other_clinician)
        _heading(page, "🏥 Clinic overview")
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        click_until(
            page.get_by_role("link", name="Patient chart"),
            page.get_by_role("heading", name="🩺 Patient chart"),
        )
        # the patient picker lists this clinician's patients only
        options = page.get_by_role("option")
        click_until(  # a rerun of the page can close the list that the click opened
            page.locator('[data-testid="stSelectbox"]'),
            options,
            before_retry=lambda: page.keyboard.press("Escape"),
        )
        names = options.all_inner_texts()
        assert names and demo.patient_id not in names
        page.keyboard.press("Escape")
        # asking by id: refused, and no data
        page.goto(f"{demo.url}/patient_chart?patient={demo.patient_id}", wait_until="commit")
        page.get_by_text("not one of your patients").wait_for()
        assert not page.locator('[data-testid="stPlotlyChart"]').count()
        _shot(page, "09_other_clinician_refused_desktop")
        _no_exception(page)
    finally:
        context.close()


def _zip_tables(path: str) -> dict[str, pd.DataFrame]:
    """The CSV files of a downloaded zip (the demo's entries during the day among them),
    every cell as text."""
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["patients.csv", "diary.csv", "sessions.csv", "entries.csv"]
        return {
            name.removesuffix(".csv"): pd.read_csv(
                archive.open(name), dtype="str", keep_default_na=False
            )
            for name in archive.namelist()
        }


def _without_codes(frame: pd.DataFrame) -> pd.DataFrame:
    rest = frame.drop(columns=[c for c in ("patient_code", "clinician_code") if c in frame])
    return rest.sort_values(list(rest.columns)).reset_index(drop=True)


def test_an_admin_download_is_produced_and_recorded_on_click(demo, browser, tmp_path):
    from analytics.cli import main
    from analytics.store import open_store

    def exports() -> int:
        with open_store(demo.db) as store:
            log = store.audit_log("e2e:check", username="admin")
        return int((log["action"] == "export").sum())

    context = browser.new_context(**DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    button = page.get_by_role("button", name="Download the clinic (zip)")
    try:
        page.goto(f"{demo.url}/data_manager", wait_until="commit")
        _sign_in(page, demo, "admin")
        _heading(page, "🗂️ Data")
        # a click on the tab during a rerun of the page can be lost: click until it shows
        click_until(page.get_by_role("tab", name="⬇️ Export CSV"), button)
        settled(page)
        before = exports()
        with page.expect_download(timeout=TIMEOUT_MS) as download:
            button.click()
        assert download.value.suggested_filename.startswith("paindiary-clinic-2")
        plain = _zip_tables(download.value.path())
        assert plain["diary"].columns[:3].tolist() == ["patient_id", "date", "pain"]
        eventually(lambda: _assert_equal(exports(), before + 1))

        # the same button, de-identified: the caption below it names what it now holds
        click_until(
            page.get_by_text("De-identified (for research)", exact=True),
            page.get_by_text("De-identified: each patient has a random code"),
        )
        settled(page)
        with page.expect_download(timeout=TIMEOUT_MS) as download:
            button.click()
        assert "deidentified" in download.value.suggested_filename
        t = _zip_tables(download.value.path())
        eventually(lambda: _assert_equal(exports(), before + 2))
        _shot(page, "10_admin_deidentified_export_desktop")
        _no_exception(page)
    finally:
        context.close()

    # the files join on one code per patient, carry days, never ids or dates
    codes = t["patients"]["patient_code"]
    assert (codes != "").all() and codes.is_unique
    assert len(t["patients"]) == len(plain["patients"])
    for name in ("diary", "sessions", "entries"):
        assert (t[name]["patient_code"] != "").all(), name
        joined = t[name].merge(t["patients"], on="patient_code", validate="many_to_one")
        assert len(joined) == len(t[name]) == len(plain[name]), name
        assert t[name]["day"].str.fullmatch(r"-?\d+").all(), name
    text = "".join(t[name].to_csv() for name in ("patients", "diary", "sessions", "entries"))
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert not set(plain["patients"]["patient_id"]) & set(re.findall(r"P\d{3}", text))
    # what the command line writes from the same database, but for the random codes
    assert main(["export", str(tmp_path / "cli"), "--db", demo.db, "--deidentify"]) == 0
    for name in ("patients", "diary", "sessions", "entries"):
        cli = pd.read_csv(tmp_path / "cli" / f"{name}.csv", dtype="str", keep_default_na=False)
        assert t[name].columns.tolist() == cli.columns.tolist(), name
        pd.testing.assert_frame_equal(_without_codes(t[name]), _without_codes(cli))


def _assert_equal(got: object, expected: object) -> None:
    assert got == expected, (got, expected)


# ------------------------------------------------------------------ the patient's pages, phone and desktop

PATIENT_SIZES = {
    "phone": PHONE,
    "desktop": {"viewport": {"width": 1400, "height": 900}},
}

_HIT = """(el) => {
    el.scrollIntoView({block: 'center'});
    const r = el.getBoundingClientRect();
    const xs = [r.left + 4, r.left + r.width / 2, r.right - 4];
    return xs.every((x) => {
        const hit = document.elementFromPoint(x, r.top + r.height / 2);
        return hit !== null && (hit === el || el.contains(hit));
    });
}"""


def _uncovered(locator) -> bool:
    """True when nothing (a side panel, a toolbar, the header) lies over the element."""
    return bool(locator.evaluate(_HIT))


def _assert_page_uncovered(page, heading: str) -> None:
    title = page.get_by_role("heading", name=heading).first
    assert _uncovered(title), f"something covers the title {heading!r}"
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.count() and page.viewport_size["width"] < 640:
        box = sidebar.bounding_box()
        assert box is None or box["x"] + box["width"] <= 1, "the side panel is open over the page"
    # nothing wider than the screen (no sideways scrolling)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


# plotly's text lets touches through (pointer-events: none): the point must belong to
# the title's own chart, and not to its toolbar (the mode bar) or anything outside it
_HIT_TITLE = """(el) => {
    el.scrollIntoView({block: 'center'});
    const chart = el.closest('[data-testid="stPlotlyChart"]');
    const r = el.getBoundingClientRect();
    const xs = [r.left + 2, r.left + r.width / 2, r.right - 2];
    return xs.every((x) => {
        const hit = document.elementFromPoint(x, r.top + r.height / 2);
        return hit !== null && chart.contains(hit) && hit.closest('.modebar-container') === null;
    });
}"""


def _assert_whole(text) -> None:
    assert text.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the text is cut"


def _assert_chart_titles_uncovered(page) -> None:
    titles = page.locator('[data-testid="stPlotlyChart"] .gtitle')
    assert titles.count() >= 1
    for i in range(titles.count()):
        title = titles.nth(i)
        if not (title.text_content() or "").strip():
            continue  # a figure without a title (the body map) has nothing to cover
        assert title.evaluate(_HIT_TITLE), f"chart title {title.text_content()!r} is covered"
        box = title.bounding_box()
        assert box is not None and box["x"] >= 0
        assert box["x"] + box["width"] <= page.viewport_size["width"], "a chart title runs off"


_MAIN = '[data-testid="stMain"]'


def _screens(page, name: str, most: int = 4) -> None:
    """Screenshots of the page from its top, one screen at a time (Streamlit scrolls its main
    area, not the document, so one full-page shot would show a single screen)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = page.viewport_size["height"]
    total = page.evaluate(f"document.querySelector('{_MAIN}').scrollHeight")
    for i in range(min(most, max(1, -(-total // height)))):
        # scrolled (or at the bottom); scrolled again on each check, as a rerun may have
        # changed the page's height since
        page.wait_for_function(
            f"(() => {{ const m = document.querySelector('{_MAIN}'); const want = {i * (height - 80)};"
            " m.scrollTo(0, want);"
            " return Math.abs(m.scrollTop - Math.min(want, m.scrollHeight - m.clientHeight)) < 2; })()"
        )
        page.screenshot(path=str(ARTIFACTS / f"{name}_{i + 1}.png"))
    page.evaluate(f"document.querySelector('{_MAIN}').scrollTo(0, 0)")


def _assert_scale_rows(scale, width: int) -> None:
    """Every button of the 0-10 scale is at least 44 px tall and on screen; the rows are
    one where eleven 44 px buttons fit, else 0-5 and 6-10."""
    boxes = [scale.get_by_role("radio", name=str(k), exact=True).bounding_box() for k in range(11)]
    assert all(b is not None for b in boxes)
    assert min(b["height"] for b in boxes) >= 44, [b["height"] for b in boxes]
    assert min(b["width"] for b in boxes) >= 24, "a scale button narrower than a fingertip"
    rows = [round(b["y"]) for b in boxes]
    if width < 11 * 44:
        assert len(set(rows[:6])) == 1 and len(set(rows[6:])) == 1, rows
        assert rows[6] >= rows[0] + boxes[0]["height"], rows  # the second row below
    else:
        assert len(set(rows)) == 1, rows
    assert all(b["x"] + b["width"] <= width for b in boxes)


def _assert_on_screen(locator, height: int) -> None:
    box = locator.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 80) <= height, box


@pytest.mark.parametrize("size", list(PATIENT_SIZES))
def test_patient_pages_read_right_on_phone_and_desktop(demo, browser, size):
    context = browser.new_context(**PATIENT_SIZES[size])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    width = PATIENT_SIZES[size]["viewport"]["width"]
    try:
        page.goto(demo.url, wait_until="commit")
        _sign_in(page, demo, demo.patient)
        _heading(page, "📝 Log today")
        eventually(lambda: _assert_page_uncovered(page, "📝 Log today"))

        # the 0-10 scale: every button at least 44 px tall (a fingertip); one row where eleven
        # 44 px buttons fit, else two clear rows 0-5 and 6-10; "10" whole and on screen
        scale = page.locator('[data-testid="stButtonGroup"]').first
        ten = scale.get_by_role("radio", name="10", exact=True)
        ten.wait_for()
        settled(page)
        eventually(lambda: _assert_scale_rows(scale, width))
        eventually(lambda: _assert_whole(ten.locator("p")))
        # the chosen number stands out: dark fill, white text
        six = scale.get_by_role("radio", name="6", exact=True)
        click_until(six, scale.get_by_role("radio", name="6", exact=True, checked=True))
        fill = six.evaluate("e => getComputedStyle(e).backgroundColor")
        ink = six.locator("p").evaluate("e => getComputedStyle(e).color")
        assert fill == "rgb(31, 41, 55)" and ink == "rgb(255, 255, 255)", (fill, ink)

        # the note box gives no keyboard-only hint
        more = page.get_by_text("More about this day").first
        notes = page.get_by_label("Notes")
        click_until(more, notes)
        notes.click()
        notes.press("ControlOrMeta+a")
        notes.type("walked 20 min")
        eventually(lambda: _assert_equal(notes.input_value(), "walked 20 min"))
        assert not page.get_by_text("Enter to submit").count()
        assert not page.get_by_text("Ctrl+Enter").count()
        _screens(page, f"patient_{size}_1_log_today")

        # Save at the bottom of the screen: its answer is shown on the screen, not below it
        save = page.get_by_role("button", name="Save", exact=True)
        save.scroll_into_view_if_needed()
        answer = page.locator('[class*="log-form-confirmation"], [class*="log-question"]')
        click_until(save, answer)
        eventually(lambda: _assert_on_screen(answer.first, page.viewport_size["height"]))
        if page.get_by_role("button", name="Keep the stored entry").count():
            click_until(
                page.get_by_role("button", name="Keep the stored entry"),
                page.get_by_text("More about this day"),
            )

        # the menu: a row of links; after choosing a page nothing covers it
        click_until(
            page.get_by_role("link", name="My progress"),
            page.get_by_role("heading", name="📈 My progress"),
        )
        _charts(page, 2)
        # plotly lays the charts out after they appear: wait until nothing covers them
        eventually(lambda: _assert_page_uncovered(page, "📈 My progress"))
        eventually(lambda: _assert_chart_titles_uncovered(page))
        assert not page.get_by_text("hover").count()
        _screens(page, f"patient_{size}_2_my_progress", most=6)

        click_until(
            page.get_by_role("link", name="History"), page.get_by_role("heading", name="🗓️ History")
        )
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        page.get_by_text("Kept history of this day").wait_for()
        eventually(lambda: _assert_page_uncovered(page, "🗓️ History"))
        _screens(page, f"patient_{size}_3_history")
        _no_exception(page)
    finally:
        context.close()
