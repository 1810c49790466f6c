"""The place report a board reads, checked page by page on the Bradford and Leeds demo reports.

The demo places are built as `examples/demo.sh` builds them (the steps the report reads), once per
test run: each xdist worker waits for the first to finish and reads the same reports. Each place's PDF and
workbook are read once a module (`read`): the checks read the pages, their text and words from memory.
"""

from __future__ import annotations

import base64
import fcntl
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from urllib.parse import unquote

import pdfplumber
import pytest
from openpyxl import Workbook, load_workbook
from support.data import PROJECT
from support.workspaces import seed_cra_cache
from typer.testing import CliRunner

from totalplace import display
from totalplace.appraise.model import NATIONAL_BODIES
from totalplace.cli import app
from totalplace.count import headline
from totalplace.store.connection import connect
from totalplace.workspace import AgencyKind, open_workspace

# Every test here reads the Bradford and Leeds demo reports, built from the real data (about 3 minutes).
pytestmark = pytest.mark.slow

RUNNER = CliRunner()
DEMO_KEY = "demo-only-key-not-a-secret-0123456789"
PLACES = ("bradford", "leeds")
RULE_COLOUR = (0.694118, 0.705882, 0.713725)  # #b1b4b6: the rule under every table cell
TABLE_TOP = (0.043137, 0.047059, 0.047059)    # #0b0c0c: the rule above a table's header, where a table starts
MAIN_BODY_PAGES = 30  # the goal for the Bradford demo: about 30 pages before the appendix
SMALLEST_TEXT = 7.0   # points; the old charts' labels were about 9 px (6.75 pt)


def cli(*args: str) -> str:
    result = RUNNER.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def build_place(folder: Path, place: str, cra_cache: Path) -> Path:
    """The demo workspace as examples/demo.sh leaves it for the report (its CRA releases read once a run:
    these tests check the report, not reading the workbooks)."""
    ws = folder / place
    shutil.copytree(PROJECT / "examples" / place, ws)
    w = str(ws)
    cli("ingest", "-w", w)
    cli("classify", "-w", w)
    workspace = open_workspace(ws)
    seed_cra_cache(workspace, cra_cache)
    cli("topdown", "load", "-w", w)
    if place == "bradford":
        cli("streams", "load", "-w", w)
        cli("cohort", "synth", "-w", w, "--people", "3000", "--year", "2022-23", "--year", "2023-24", "--seed", "1")
        key = folder / "demo.key"
        key.write_text(DEMO_KEY)
        cli("cohort", "load", "-w", w, "--key-file", str(key))
        key.unlink()
        cli("deal", "ask", "submit", "A1", "-w", w, "--by", "demo")
    cli("report", "-w", w)
    return ws


@pytest.fixture(scope="session")
def demo(tmp_path_factory, worker_id, cra_cache) -> dict[str, Path]:
    """The Bradford and Leeds demo workspaces with their reports, built once for all workers."""
    root = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    folder = root / "board-report-demo"
    with open(root / "board-report-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker builds; the others wait and read the same files
        if not (folder / "built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            for place in PLACES:
                build_place(folder, place, cra_cache)
            (folder / "built").write_text("yes")
    return {place: folder / place for place in PLACES}


def report_dir(ws: Path) -> Path:
    return ws / "output" / "report"


class ReadReport:
    """A place's report.pdf and report.xlsx, each read once for all the tests (reading the 61-page Bradford PDF
    takes seconds): pdfplumber keeps each page's characters and lines once read; each page's text and words,
    and the workbook and its strings, are kept here the first time a test asks for them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pdf = pdfplumber.open(folder / "report.pdf")

    @property
    def pages(self) -> list:
        return self.pdf.pages

    @cached_property
    def texts(self) -> list[str]:
        return [page.extract_text() or "" for page in self.pages]

    @cached_property
    def words(self) -> list[list[dict]]:
        return [page.extract_words(x_tolerance=1) for page in self.pages]

    @cached_property
    def book(self) -> Workbook:
        return load_workbook(self.folder / "report.xlsx")

    @cached_property
    def book_strings(self) -> list[tuple[str, str, str]]:
        return workbook_strings(self.book)


@pytest.fixture(scope="module")
def read(demo) -> Iterator[dict[str, ReadReport]]:
    reports = {place: ReadReport(report_dir(ws)) for place, ws in demo.items()}
    yield reports
    for report in reports.values():
        report.pdf.close()


# ---- reading what was written ---------------------------------------------------------------------

class _Cells(HTMLParser):
    """The text of every table cell of an HTML page, the sections' ids and their visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._cell: list[str] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def html_of(ws: Path) -> str:
    return (report_dir(ws) / "report.html").read_text(encoding="utf-8")


def visible_text(html: str) -> str:
    """What a reader sees: the text outside tags, with the CSV downloads and chart images left out."""
    parser = _Cells()
    parser.feed(re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S))
    return " ".join(" ".join(parser.text).split())


def table_words(html: str) -> set[str]:
    parser = _Cells()
    parser.feed(html)
    return {word for cell in parser.cells for word in cell.split()}


def decoded_html(html: str) -> str:
    """The HTML with every embedded CSV and chart decoded, so that what they hold is searched too."""
    def decode(match: re.Match) -> str:
        kind, body = match.group(1), match.group(2)
        if kind.endswith("base64"):
            return base64.b64decode(body).decode("utf-8")
        return unquote(body)
    return re.sub(r'data:([^,"]+),([^"]+)', decode, html)


def section_html(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{re.escape(section_id)}"[^>]*>(.*?)</section>', html, flags=re.S)
    assert match, f"no section {section_id} in the report"
    return match.group(1)


def appendix_page(texts: list[str]) -> int:
    """The number (1-based) of the first page of the appendix, from the text of each page."""
    for number, text in enumerate(texts, start=1):
        lines = text.splitlines()
        if any(line.startswith("Appendix") for line in lines[1:4]):
            return number
    raise AssertionError("the PDF has no appendix")


def workbook_strings(book: Workbook) -> list[tuple[str, str, str]]:
    """(sheet, cell, text) for every text cell and every sheet name of a workbook."""
    found = [(name, "sheet name", name) for name in book.sheetnames]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            found += [(sheet.title, c.coordinate, c.value) for c in row if isinstance(c.value, str)]
    return found


# ---- cells and pages, from the text positions ---------------------------------------------------------

@dataclass(frozen=True)
class CellBox:
    x0: float
    x1: float
    top: float
    bottom: float


def _colour(line) -> tuple:
    return tuple(round(c, 3) for c in (line.get("stroking_color") or ()))


def cell_boxes(page) -> list[CellBox]:
    """Each table cell on the page, from the rules above and below it (one rule segment per cell). A table
    starts with a dark rule above its header, so the space between two tables is never taken for a cell."""
    starts = tuple(round(c, 3) for c in TABLE_TOP)
    rows = tuple(round(c, 3) for c in RULE_COLOUR)
    columns: dict[tuple[float, float], dict[float, bool]] = {}
    for line in page.lines:
        if abs(line["top"] - line["bottom"]) < 0.5 and _colour(line) in (starts, rows):
            column = columns.setdefault((round(line["x0"], 1), round(line["x1"], 1)), {})
            column[round(line["top"], 1)] = _colour(line) == starts
    boxes = []
    for (x0, x1), rules in columns.items():
        ys = sorted(rules)
        boxes += [CellBox(x0, x1, top, bottom) for top, bottom in zip(ys, ys[1:]) if not rules[bottom]]
    return boxes


@pytest.mark.parametrize("place", PLACES)
def test_no_table_cell_is_narrower_than_its_longest_word(demo, read, place):
    """Every word in a cell lies inside the cell, and is a whole word of a table cell (never a piece of one)."""
    whole = table_words(html_of(demo[place]))
    broken, overflowing, checked = [], [], 0
    report = read[place]
    for number, (page, words) in enumerate(zip(report.pages, report.words, strict=True), start=1):
        for box in cell_boxes(page):
            inside = [w for w in words if box.top < (w["top"] + w["bottom"]) / 2 < box.bottom
                      and w["x1"] > box.x0 + 0.5 and w["x0"] < box.x1 - 0.5]
            for word in inside:
                checked += 1
                if word["x0"] < box.x0 - 0.5 or word["x1"] > box.x1 + 0.5:
                    overflowing.append((number, word["text"], round(word["x1"] - word["x0"]), round(box.x1 - box.x0)))
                elif word["text"] not in whole:
                    broken.append((number, word["text"]))
    assert checked > 1000  # the demo's tables were found
    assert not overflowing, f"words wider than their cells (page, word, width, cell): {overflowing[:10]}"
    assert not broken, f"pieces of words split across lines (page, piece): {broken[:10]}"


@pytest.mark.parametrize("place", PLACES)
def test_no_text_outside_the_page_and_none_too_small_to_read(read, place):
    outside, small = [], []
    for number, page in enumerate(read[place].pages, start=1):
        for char in page.chars:
            if char["text"].strip() and (char["x0"] < -0.5 or char["x1"] > page.width + 0.5
                                         or char["top"] < -0.5 or char["bottom"] > page.height + 0.5):
                outside.append((number, char["text"]))
            size = char["size"] if char["upright"] else char["x1"] - char["x0"]  # turned text: its height across
            if char["text"].strip() and size < SMALLEST_TEXT:
                small.append((number, char["text"], round(size, 1)))
    assert not outside, f"text outside the page: {outside[:10]}"
    assert not small, f"text smaller than {SMALLEST_TEXT} pt: {small[:10]}"


ABSOLUTE_PATH = re.compile(r"(?<![\w.~/-])/(?:[\w.-]+/)+[\w.-]*|\b[A-Za-z]:\\")


def internal_names() -> set[str]:
    """Names of the software's own files: its shipped data, the seed documents, the project's brief."""
    shipped = {p.name for p in Path(str(resources.files("totalplace.data"))).rglob("*") if p.is_file()}
    return shipped | {"seeds/", "project brief", ".py", "000_eda13e1723981a7b"}


def leaks(text: str, ws: Path) -> list[str]:
    found = [m.group(0) for m in ABSOLUTE_PATH.finditer(text)]
    found += [name for name in internal_names() if name in text]
    return found + ([str(ws)] if str(ws) in text else [])


@pytest.mark.parametrize("place", PLACES)
def test_nothing_of_the_build_in_the_html_pdf_or_workbook(demo, read, place):
    ws = demo[place]
    html = decoded_html(html_of(ws))
    pdf = "\n".join(read[place].texts)
    book = "\n".join(text for _s, _c, text in read[place].book_strings)
    for where, text in (("HTML", html), ("PDF", pdf), ("XLSX", book)):
        assert not leaks(text, ws), f"{where}: {sorted(set(leaks(text, ws)))[:10]}"
    assert "HM Treasury, Country and Regional Analysis" in pdf  # the CRA cited as its publisher names it


def raw_codes(ws: Path) -> set[str]:
    workspace = open_workspace(ws)
    codes = {a.id for a in workspace.settings.agencies} | {p.id for p in NATIONAL_BODIES}
    codes |= {k.value for k in AgencyKind if "_" in k.value}
    codes |= {"council_discretion", "council_ringfenced", "police_fire", "demand_led", "local_government",
              "public_corporation", "public_value_npv", "cost_multiplier"}
    return codes


@pytest.mark.parametrize("place", PLACES)
def test_people_read_names_not_codes(demo, read, place):
    """Agencies, spender kinds, departments and rules by their names in the HTML, PDF and workbook."""
    ws = demo[place]
    codes = raw_codes(ws)
    pattern = re.compile(r"(?<![\w/.-])(" + "|".join(map(re.escape, sorted(codes, key=len, reverse=True)))
                         + r"|R\d{3})(?![\w/.-])")
    html = visible_text(html_of(ws))
    pdf = "\n".join(read[place].texts)
    book = read[place].book_strings
    assert not sorted(set(pattern.findall(html))), "codes in the HTML"
    assert not sorted(set(pattern.findall(pdf))), "codes in the PDF"
    in_book = [(s, c, t) for s, c, t in book if pattern.search(t)]
    assert not in_book, f"codes in the workbook: {in_book[:5]}"


MONEY = re.compile(r"-?£[\d,]+(?:\.\d+)?(?:bn|m|k)?")


def test_money_has_a_pound_sign_and_a_precision_that_fits_its_method(demo):
    """Ledgers to the penny; apportioned and modelled figures in £k, £m or £bn (exact in the downloads)."""
    html = html_of(demo["bradford"])
    ledger = visible_text(section_html(html, "count-bottom-up"))
    assert re.search(r"£[\d,]{9,}\.\d\d", ledger)  # the ledgers' total, to the penny
    for modelled in ("topdown-headline", "topdown-breakdown", "appraisal-family-support-summary", "estate"):
        text = visible_text(section_html(html, modelled))
        to_the_penny = [m for m in MONEY.findall(text) if re.fullmatch(r"-?£\d{1,3}(,\d{3})+\.\d\d", m)]
        assert not to_the_penny, f"{modelled}: modelled figures to the penny: {to_the_penny[:5]}"
        assert re.search(r"£[\d.,]+(bn|m|k)\b", text), modelled
    parser = _Cells()
    parser.feed(section_html(html, "topdown-breakdown"))
    amounts = [c for c in parser.cells if re.fullmatch(r"-?[\d,]+\.\d\d", c)]
    assert not amounts, f"amounts without a £ sign: {amounts[:5]}"
    downloads = decoded_html(section_html(html, "topdown-breakdown"))
    assert re.search(r"\d{7,}\.\d\d", downloads)  # the exact value is kept in the table's CSV


def test_the_executive_summary_comes_first_and_links_every_point_to_its_section(demo):
    html = html_of(demo["bradford"])
    sections = re.findall(r'<section id="([^"]+)"', html)
    assert sections[0] == "summary"
    summary = section_html(html, "summary")
    links = re.findall(r'<li[^>]*>.*?href="#([^"]+)"', summary, flags=re.S)
    assert len(links) >= 7  # headline, local say, three findings, the invest-to-save case, asks
    assert set(links) <= set(sections)
    text = visible_text(summary)
    for words in ("per head", "say over", "Yorkshire and The Humber", "England", "Whitehall",
                  "net present value", "2018-19"):
        assert words in text, words
    kinds = re.findall(r'data-finding="([^"]+)"', summary)
    assert kinds[:2] == ["headline", "say"]
    assert {"funding-streams", "provision", "assessments"} <= set(kinds)
    assert "invest" in kinds and "ask" in kinds


def first_page_summary_problems(first_page: str, found: headline.Headline) -> list[str]:
    """What is wrong with the PDF's first page (its text) as a board member opens it: the executive summary must
    come first (under the title), and its headline must be the figure count.headline gives, rounded as people
    read it."""
    lines = first_page.splitlines()
    text = " ".join(lines)
    problems = [] if "Executive summary" in lines[:6] else [f"no executive summary at the top: {lines[:6]}"]
    wanted = [display.money(found.amount, display.ROUNDED), found.fiscal_year]
    wanted += [f"{display.money(found.per_head, display.ROUNDED)} per head"] if found.per_head is not None else []
    return problems + [f"{figure} is not on page 1" for figure in wanted if figure not in text]


@pytest.mark.parametrize("place", PLACES)
def test_the_pdfs_first_page_is_the_summary_with_the_headline_the_count_gives(demo, read, place):
    ws = open_workspace(demo[place])
    con = connect(ws, read_only=True)
    try:
        found = headline.headline(con, ws)
    finally:
        con.close()
    assert not first_page_summary_problems(read[place].texts[0], found)


FIGURE = re.compile(r"-?£[\d,]+(?:\.\d+)?(?:bn|m|k)?|\d+(?:\.\d+)?%")


def test_the_summarys_figures_are_its_sections_figures(demo):
    html = html_of(demo["bradford"])
    summary = section_html(html, "summary")
    points = re.findall(r'<li[^>]*data-finding="([^"]+)"[^>]*>(.*?)</li>', summary, flags=re.S)
    checked = 0
    for kind, point in points:
        target = re.search(r'href="#([^"]+)"', point).group(1)
        shown = visible_text(section_html(html, target))
        for figure in FIGURE.findall(visible_text(point)):
            checked += 1
            assert figure in shown, f"{kind}: {figure} is not in section {target}"
    assert checked >= 10


@pytest.mark.parametrize("place", PLACES)
def test_the_pdf_holds_its_shape(demo, read, place):
    """A short main body, headers and footers naming the place, year and page, no empty sections."""
    ws = demo[place]
    pages = read[place].pages
    body = appendix_page(read[place].texts) - 1
    if place == "bradford":
        assert body <= MAIN_BODY_PAGES, f"{body} pages before the appendix"
    name = open_workspace(ws).settings.place.name
    for number, page in enumerate(pages, start=1):
        top = page.crop((0, 0, page.width, 40)).extract_text() or ""
        foot = page.crop((0, page.height - 40, page.width, page.height)).extract_text() or ""
        assert name in top and re.search(r"\d{4}-\d{2}", top), f"page {number} header: {top!r}"
        assert f"Page {number} of {len(pages)}" in foot, f"page {number} footer: {foot!r}"
    html = html_of(ws)
    main = html.split('id="appendix"')[0]
    for section_id, body_html in re.findall(r'<section id="([^"]+)"[^>]*>(.*?)</section>', main, flags=re.S):
        content = re.sub(r"<h2.*?</h2>", "", body_html, flags=re.S)
        assert re.search(r"<(p|figure|table|li)\b", content), f"section {section_id} is empty"
    assert "Sources of the top-down count" not in visible_text(main)


@pytest.mark.parametrize("place", PLACES)
def test_a_long_explanation_is_said_once_not_on_every_row(demo, place):
    """An explanation (not a name or a list of names that repeats, such as a programme's) is said once."""
    parser = _Cells()
    for table in re.findall(r"<table\b.*?</table>", html_of(demo[place]), flags=re.S):
        parser.cells = []
        parser.feed(table)
        long_cells = [c for c in parser.cells if _explanation(c)]
        repeated = {c for c in long_cells if long_cells.count(c) > 1}
        assert not repeated, f"repeated in a table: {sorted(repeated)[:2]}"


def _explanation(cell: str) -> bool:
    """Twelve words or more, and not a list of names (such as the agencies sharing a building)."""
    return len(cell.split()) >= 12 and max(len(part.split()) for part in re.split(r"[,;] ", cell)) > 6


def chart_texts(html: str) -> list[list[str]]:
    """The text of each chart (SVG), line by line."""
    charts = []
    for body in re.findall(r'data:image/svg\+xml;base64,([^"]+)', html):
        svg = base64.b64decode(body).decode("utf-8")
        charts.append([unescape_xml(t) for t in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, flags=re.S)])
    return charts


def unescape_xml(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'")


@pytest.mark.parametrize("place", PLACES)
def test_chart_labels_are_never_cut(demo, place):
    html = html_of(demo[place])
    charts = chart_texts(html)
    assert charts
    cut = [t for texts in charts for t in texts if "…" in t or t.endswith("...")]
    assert not cut, f"labels cut short: {cut[:5]}"
    every_word = {w for texts in charts for t in texts for w in t.split()}
    for name in ("Department for Work and Pensions", "Yorkshire and The Humber"):  # a flow chart's, a line chart's
        assert set(name.split()) <= every_word, name


@pytest.mark.parametrize("place", PLACES)
def test_the_workbook_is_one_an_analyst_can_use(read, place):
    book = read[place].book
    contents = book.worksheets[0]
    assert contents.title == "Contents"
    links = {c.hyperlink.location.split("!")[0].strip("'") for row in contents.iter_rows() for c in row
             if c.hyperlink is not None and c.hyperlink.location}
    assert set(book.sheetnames) - {"Contents"} <= links
    for name in book.sheetnames:  # within Excel's 31 characters, in words (not 'count-bottom-up spending-b~2')
        assert len(name) <= 31 and "~" not in name and not re.fullmatch(r"[a-z0-9 -]+", name), name
    numbers_as_text, no_format = [], []
    for sheet in book.worksheets[1:]:
        if sheet.title != "Sources and methods":
            assert sheet.freeze_panes is not None, f"{sheet.title}: header not frozen"
            assert any(d.width for d in sheet.column_dimensions.values()), f"{sheet.title}: no column widths"
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and re.fullmatch(r"[-+]?£?[\d,]*\.?\d+%?", cell.value.strip()):
                    numbers_as_text.append((sheet.title, cell.coordinate, cell.value))
                if isinstance(cell.value, (int, float)) and cell.number_format == "General":
                    no_format.append((sheet.title, cell.coordinate, cell.value))
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    assert not numbers_as_text, f"numbers stored as text: {numbers_as_text[:8]}"
    assert not no_format, f"numbers with no number format: {no_format[:8]}"


def test_the_workbook_has_the_appraisal_ratio_as_a_number(read):
    book = read["bradford"].book
    ratios = [row[1] for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
              if row and row[0] == "Benefit-cost ratio"]
    assert ratios and all(isinstance(r, float) for r in ratios)


def year_lines(html: str) -> dict[str, str]:
    """Each section's line saying which year its figures are from."""
    found = {}
    for section_id, body in re.findall(r'<section id="([^"]+)"[^>]*>(.*?)</section>', html.split('id="appendix"')[0],
                                       flags=re.S):
        line = re.search(r'<p class="year">(.*?)</p>', body, flags=re.S)
        if line:
            found[section_id] = " ".join(line.group(1).split())
    return found


def test_a_report_for_one_year_says_the_year_of_every_section(demo, tmp_path):
    ws = demo["bradford"]
    cli("report", "-w", str(ws), "--year", "2018-19", "--no-pdf", "-o", str(tmp_path / "one-year"))
    html = (tmp_path / "one-year" / "report.html").read_text(encoding="utf-8")
    years = year_lines(html)
    sections = [s for s in re.findall(r'<section id="([^"]+)"', html.split('id="appendix"')[0]) if s != "summary"]
    assert sections and set(sections) <= set(years), set(sections) - set(years)
    assert all(re.search(r"\d{4}-\d{2}", line) for line in years.values())
    assert "2017-18" in years["topdown-headline"] and "stands in for 2018-19" in years["topdown-headline"]
    assert "2018-19" in years["count-bottom-up"] and "stands in" not in years["count-bottom-up"]


def test_leeds_ledgers_sit_beside_top_down_figures_of_their_own_year(demo, tmp_path):
    ws = demo["leeds"]
    years = year_lines(html_of(ws))
    assert "2012-13" in years["count-bottom-up"] and "2012-13" in years["topdown-headline"]
    cli("report", "-w", str(ws), "--year", "2011-12", "--no-pdf", "-o", str(tmp_path / "leeds-2011"))
    years = year_lines((tmp_path / "leeds-2011" / "report.html").read_text(encoding="utf-8"))
    assert "2011-12" in years["count-bottom-up"] and "2011-12" in years["topdown-headline"]
    assert "2017-18" not in years["topdown-headline"]


def test_a_year_that_is_not_a_fiscal_year_is_one_clear_line(demo):
    result = RUNNER.invoke(app, ["report", "-w", str(demo["leeds"]), "--year", "2018", "--no-pdf"])
    assert result.exit_code == 2
    assert "2018" in result.output and "2018-19" in result.output and "Traceback" not in result.output
