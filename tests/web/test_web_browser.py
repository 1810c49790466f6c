"""The served app in headless Chromium (Debian's, driven by Playwright): each role, a drill-down, an upload,
the capability pages and their publication.

The place is the web tests' two-agency Bradford place with the Bradford example's
capability inputs (funding streams, journeys, appraisals, deal, estate, a cohort,
the CRA). Needs /usr/bin/chromium (scripts/ensure-chromium.sh installs it).
Screenshots go to tests/output/web/: those of a scenario's steps always; a full-page screenshot of every page
each role is offered only with TOTALPLACE_SCREENSHOTS=1, or of a page that fails its check.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from support.web import POLICE, add_capability_inputs, police_csv
from support.workspaces import seed_cra_cache
from totalplace import display

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[1] / "output" / "web"
# A full-page screenshot costs up to a second (the supplier breakdown is 15,000 px tall at 1280 px): written
# for every page only when asked, they were a third of this file's time.
EVERY_SCREENSHOT = os.environ.get("TOTALPLACE_SCREENSHOTS") == "1"
# Each capability page and its heading (totalplace.capabilities.pages()), written out here as a user reads them.
CAPABILITY_PAGES = {"topdown": "Top-down", "funding-streams": "Funding streams", "provision": "Provision maps",
                    "journeys": "Journeys", "cohorts": "Cohorts", "appraisals": "Appraisals", "deal": "Deal",
                    "estate": "Estate"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory, web_workspace, web_app, cra_cache):
    """The app on a real HTTP port, as `totalplace serve` runs it (its CRA releases read once a run: these
    tests check the pages, not reading the workbooks)."""
    root = tmp_path_factory.mktemp("browser")
    workspace = web_workspace(root / "bradford")
    seed_cra_cache(workspace, cra_cache)
    add_capability_inputs(workspace)
    app, passwords = web_app(workspace, root / "web.sqlite")
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


@pytest.fixture(scope="module")
def signed_in_as(served, browser):
    """`with signed_in_as(role, **context_options) as page`: a page in a browser context of its own, signed in
    as the role's sample user ("anonymous": as no one). A role signs in through the form once; later contexts
    start from the cookies that gave (a sign-in is an argon2 check and a home page: about a second). A sign-out
    ends every session of its user, so each context is checked to be signed in still, and signs in if not."""
    base, _, passwords = served
    cookies: dict[str, dict] = {}

    @contextmanager
    def open_page(role: str, **options):
        context = browser.new_context(storage_state=cookies.get(role), **options)
        try:
            page = context.new_page()
            if role != "anonymous":
                page.goto(base)
                if page.locator("#signed-in-as").all_inner_texts() != [role]:
                    sign_in(page, base, role, passwords[role])
                    cookies[role] = context.storage_state()
            yield page
        finally:
            context.close()
    return open_page


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
        "admin": ({"Overview", "Breakdowns", "Analyses", "Data", "Upload", "Admin"}, set()),
        "partner": ({"Overview", "Breakdowns", "Analyses", "Data"}, {"Upload", "Admin"}),
        f"analyst-{POLICE}": ({"Overview", "Analyses", "Data", "Upload"}, {"Admin"}),
        "public": ({"Overview"}, {"Breakdowns", "Analyses", "Data", "Upload", "Admin"}),
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


def test_drill_down_from_the_overview_to_a_source_row(served, signed_in_as):
    base, workspace, _ = served
    with signed_in_as("partner") as page:
        page.goto(base)
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


def _csv_header(page: Page, base: str, link) -> list[str]:
    download = page.request.get(base + link.get_attribute("href"))
    assert download.ok and download.headers["content-type"].startswith("text/csv")
    return next(csv.reader(io.StringIO(download.text())))


def test_a_partner_reads_every_capability_page_with_its_tables_and_downloads(served, signed_in_as):
    base = served[0]
    with signed_in_as("partner") as page:
        for key, title in CAPABILITY_PAGES.items():
            page.goto(f"{base}/analyses")
            page.click(f"#analyses a:text-is('{title}')")
            expect(page.locator("h1")).to_have_text(title)
            assert page.url == f"{base}/{key}"
            expect(page.locator("#nothing")).to_have_count(0)  # the example's inputs give every page figures
            links = page.locator("a[download]")
            assert links.count() >= 1 and links.count() == page.locator("table.govuk-table").count()
            for n in range(links.count()):  # each table's CSV has that table's columns
                link = links.nth(n)
                columns = [c.strip() for c in link.locator("xpath=preceding::table[1]//thead//th").all_text_contents()]
                # The page heads each column by its name for people (a key's "name" column stands in for the key).
                header = _csv_header(page, base, link)
                shown = [display.column_title(c) for i, c in enumerate(header) if not (i == 1 and c == "name")]
                assert shown == columns, (key, n)
        for key in ("topdown", "journeys", "appraisals"):  # sliding scale and flow, swimlanes, matrix and Monte Carlo
            page.goto(f"{base}/{key}")
            assert page.locator("figure.tp-chart svg").count() >= 1, key


@contextmanager
def publish_page(signed_in_as, base: str):
    """The Publish page, signed in as the administrator in a browser context of its own."""
    with signed_in_as("admin") as admin:
        admin.goto(f"{base}/admin/publish")
        yield admin


def _set_publication(signed_in_as, base: str, key: str, action: str) -> None:
    """The administrator publishes or withdraws a page through the Publish page's forms."""
    with publish_page(signed_in_as, base) as admin:
        if action == "publish":
            admin.select_option("#page", key)
            admin.click("button:has-text('Publish this page')")
            expect(admin.locator("#publications")).to_contain_text(CAPABILITY_PAGES[key])
            admin.screenshot(path=str(SHOTS / f"admin-publish-{key}.png"), full_page=True)
        else:
            admin.locator("#publications tr", has_text=CAPABILITY_PAGES[key]).locator(
                "button:has-text('Withdraw')").click()
            expect(admin.locator("#publications")).not_to_contain_text(CAPABILITY_PAGES[key])


def test_the_public_sees_a_capability_page_only_once_published(served, page, signed_in_as):
    base, _, passwords = served
    for key in CAPABILITY_PAGES:
        assert page.goto(f"{base}/{key}").status == 401, key
    sign_in(page, base, "public", passwords["public"])
    assert not ({"Analyses"} | set(CAPABILITY_PAGES.values())) & set(menu(page))
    for key in CAPABILITY_PAGES:
        assert page.goto(f"{base}/{key}").status == 403, key
    expect(page.locator("body")).to_contain_text("is not published")
    page.screenshot(path=str(SHOTS / "public-capability-refused.png"), full_page=True)

    _set_publication(signed_in_as, base, "appraisals", "publish")
    try:
        page.goto(base)
        page.click("#published a:text-is('Appraisals')")
        expect(page.locator("h1")).to_have_text("Appraisals")
        assert page.locator("table.govuk-table").count() >= 1
        page.screenshot(path=str(SHOTS / "public-appraisals-published.png"), full_page=True)
        for key in CAPABILITY_PAGES.keys() - {"appraisals"}:  # one page published publishes no other
            assert page.goto(f"{base}/{key}").status == 403, key
        assert page.goto(f"{base}/breakdown/theme").status == 403
    finally:
        _set_publication(signed_in_as, base, "appraisals", "withdraw")
    assert page.goto(f"{base}/appraisals").status == 403


def test_an_analyst_uploads_a_file_and_sees_only_their_agency(served, signed_in_as, tmp_path):
    base, workspace, _ = served
    analyst = f"analyst-{POLICE}"
    with signed_in_as(analyst) as page:
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


WIDTHS = {"wide": (1280, 800), "phone": (390, 844)}
# Every page each role is offered, and the ones it reaches by a link from them.
ROLE_PAGES = {
    "anonymous": ["/", "/login", "/breakdown/agency?year=2018-19"],
    "public": ["/", "/breakdown/agency?year=2018-19", "/account/token", "/account/password"],
    "partner": ["/", "/breakdown/theme", "/breakdown/supplier", "/breakdown/cofog?year=2018-19",
                "/breakdown/agency?year=2018-19", "/trace?by=theme&key=Unclassified&year=2018-19", "/data",
                "/analyses", *[f"/{key}" for key in CAPABILITY_PAGES], "/account/token", "/account/password"],
    f"analyst-{POLICE}": ["/", "/breakdown/supplier?year=2018-19&agency=bradford-council", "/data", "/upload",
                          "/trace?by=agency&key=west-yorkshire-police&year=2018-19"],
    "admin": ["/", "/admin/users", "/admin/sign-ins", "/admin/publish", "/admin/audit", "/upload", "/data",
              "/no-such-page"],
}


def test_on_a_phone_each_row_shows_its_name_and_its_whole_amount(served, signed_in_as):
    """A wide table scrolls inside its box; on a phone the first screen of it must still show each row's name
    and its whole amount, not an amount cut at the box's edge (£1,200,919.5 for £1,200,919.52)."""
    base = served[0]
    with signed_in_as("partner", viewport={"width": WIDTHS["phone"][0], "height": WIDTHS["phone"][1]}) as page:
        page.goto(f"{base}/breakdown/supplier?year=2018-19")
        cut = page.evaluate("""() => {
            const box = document.querySelector('.tp-table-scroll');
            const edge = box.getBoundingClientRect().right;
            return [...box.querySelectorAll('tbody tr')]
                .filter(row => row.cells[1].getBoundingClientRect().right > edge + 0.5)
                .map(row => row.cells[0].innerText);
        }""")
        assert cut == [], f"{len(cut)} rows' amounts cut at the table's edge, e.g. {cut[:3]}"


def test_on_a_phone_a_first_column_of_short_codes_takes_only_the_width_it_needs(served, signed_in_as):
    """The room kept for each row's name goes to names: a first column of short codes (the deal's asks, A1, A2)
    leaves the width to the titles beside it (it took 38% of the phone's width, the titles squeezed beside it)."""
    base = served[0]
    with signed_in_as("partner", viewport={"width": WIDTHS["phone"][0], "height": WIDTHS["phone"][1]}) as page:
        page.goto(f"{base}/deal")
        code, width, window = page.evaluate("""() => {
            const first = document.querySelector('.tp-table-scroll tbody tr').cells[0];
            return [first.innerText, first.getBoundingClientRect().width, window.innerWidth];
        }""")
        assert len(code) <= 3, f"the deal page's first table starts with {code!r}, not an ask's code"
        assert width < 0.2 * window, f"the column of {code!r} is {width:.0f} px of {window} px"


def _fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_window_for_every_role(served, signed_in_as, width):
    """Every page each role is offered, at 1280 and 390 px: none is wider than the window, none answers 5xx
    (a full-page screenshot of each with TOTALPLACE_SCREENSHOTS=1, and of any that fails), and on a phone the
    menu folds behind a Menu button."""
    base = served[0]
    for old in SHOTS.glob(f"{width}-*.png"):  # what this run did not write would pass for what it saw
        old.unlink()
    _publish_breakdown(signed_in_as, base, "publish")
    try:
        _every_page(signed_in_as, base, width, WIDTHS[width])
    finally:
        _publish_breakdown(signed_in_as, base, "withdraw")


def _publish_breakdown(signed_in_as, base: str, action: str) -> None:
    """Spending by agency, 2018-19, published (or withdrawn) through the Publish page."""
    with publish_page(signed_in_as, base) as admin:
        if action == "publish":
            admin.select_option("#dimension", "agency")
            admin.select_option("#fiscal_year", "2018-19")
            admin.click("button:text-is('Publish')")
        else:
            admin.locator("#publications tr", has_text="Agency").locator("button:has-text('Withdraw')").click()


def _every_page(signed_in_as, base: str, width: str, size: tuple[int, int]) -> None:
    for role, paths in ROLE_PAGES.items():
        with signed_in_as(role, viewport={"width": size[0], "height": size[1]}) as page:
            for path in paths:
                answer = page.goto(base + path)
                fits = _fits(page)
                if EVERY_SCREENSHOT or answer.status >= 500 or not fits:
                    name = f"{width}-{role}-{path.strip('/').split('?')[0].replace('/', '-') or 'home'}.png"
                    page.screenshot(path=str(SHOTS / name), full_page=True)
                assert answer.status < 500, (role, path, answer.status)
                assert fits, (role, path, width, page.evaluate("document.documentElement.scrollWidth"))
            toggle = page.locator(".govuk-service-navigation__toggle")
            if width == "phone" and role != "anonymous":
                expect(toggle).to_be_visible()
                expect(page.locator("#navigation")).to_be_hidden()
                toggle.click()
                expect(page.locator("#navigation")).to_be_visible()
                page.screenshot(path=str(SHOTS / f"{width}-{role}-menu-open.png"))
            elif width == "wide":
                expect(toggle).to_be_hidden()
                assert page.locator(".govuk-service-navigation__list").bounding_box()["height"] < 60  # one row
