"""The served app in headless Chromium (Debian's, driven by Playwright): each role, a drill-down, an upload.

Needs /usr/bin/chromium (scripts/ensure-chromium.sh installs it). Screenshots go
to tests/output/web/.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from test_web_support import POLICE, build_place, make_app, police_csv

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).parent / "output" / "web"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app on a real HTTP port, as `totalplace serve` runs it."""
    root = tmp_path_factory.mktemp("browser")
    workspace = build_place(root / "bradford")
    app, passwords = make_app(workspace, f"sqlite:///{root / 'web.sqlite'}")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline, "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", workspace, passwords
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run scripts/ensure-chromium.sh"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    expect(page.locator("#signed-in-as")).to_have_text(username)


def menu(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".govuk-service-navigation__link").all_inner_texts()]


def test_each_role_sees_its_own_menu_and_pages(served, page):
    base, _, passwords = served
    page.goto(base)
    expect(page.locator("#published")).to_contain_text("Nothing has been published")
    page.screenshot(path=str(SHOTS / "public-home.png"), full_page=True)
    assert page.goto(f"{base}/data").status == 401
    assert page.goto(f"{base}/breakdown/theme").status == 401

    expected = {
        "admin": ({"Overview", "Breakdowns", "Data", "Upload", "Users", "Publish", "Audit log"}, set()),
        "partner": ({"Overview", "Breakdowns", "Data"}, {"Upload", "Users", "Publish"}),
        f"analyst-{POLICE}": ({"Overview", "Data", "Upload"}, {"Users", "Publish"}),
        "public": (set(), {"Data", "Upload", "Users"}),
    }
    for username, (shown, hidden) in expected.items():
        sign_in(page, base, username, passwords[username])
        items = set(menu(page))
        assert shown <= items and not hidden & items, (username, items)
        page.screenshot(path=str(SHOTS / f"{username}-home.png"), full_page=True)
        refused = page.goto(f"{base}/admin/users").status
        assert refused == (200 if username == "admin" else 403)
        page.goto(base)
        page.click("button:has-text('Sign out')")


def test_drill_down_from_the_overview_to_a_source_row(served, page):
    base, workspace, passwords = served
    sign_in(page, base, "partner", passwords["partner"])
    total = page.locator("#total").inner_text()
    assert total.startswith("£")
    theme_link = page.locator("a.tp-drill").first
    theme = theme_link.inner_text()
    theme_link.click()
    expect(page.locator("h1")).to_contain_text(theme)
    first_row = page.locator("table.govuk-table tbody tr").first
    cells = first_row.locator("td").all_inner_texts()
    path, row_number = cells[0], int(cells[1].replace(",", ""))
    assert (workspace.root / path).exists() and row_number >= 1
    page.screenshot(path=str(SHOTS / "partner-drill-down.png"), full_page=True)


def test_an_analyst_uploads_a_file_and_sees_only_their_agency(served, page, tmp_path):
    base, workspace, passwords = served
    analyst = f"analyst-{POLICE}"
    sign_in(page, base, analyst, passwords[analyst])
    upload = tmp_path / "2018-09.csv"
    upload.write_text(police_csv("09"), encoding="utf-8")
    page.goto(f"{base}/upload")
    page.set_input_files("#file", str(upload))
    page.click("button:has-text('Check the file')")
    expect(page.locator("#rows-loaded")).to_have_text("12")
    expect(page.locator("#rows-rejected")).to_have_text("1")
    page.screenshot(path=str(SHOTS / "analyst-upload-preview.png"), full_page=True)
    page.click("#confirm")
    expect(page.locator("#done-summary")).to_contain_text("12 rows loaded, 1 rejected")
    assert (workspace.agency_dir(POLICE) / "2018-09.csv").exists()
    page.screenshot(path=str(SHOTS / "analyst-upload-done.png"), full_page=True)
    page.goto(f"{base}/trace?by=agency&key=bradford-council&year=2018-19")
    expect(page.locator("#trace-count")).to_have_text("0")
    page.goto(f"{base}/data")
    expect(page.locator("table.govuk-table").first).to_contain_text(f"agencies/{POLICE}/2018-09.csv")
    expect(page.locator("body")).not_to_contain_text("agencies/bradford-council/")
    page.screenshot(path=str(SHOTS / "analyst-data.png"), full_page=True)
