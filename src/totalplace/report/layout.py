"""How a table sits on an A4 page: which way up, in how many parts, and how wide each column is.

No column may be narrower than its longest word: a word is never broken, and a
word wider than its cell would run into the next. So each table is measured in
the type the PDF is set in (the first of `FONTS` the machine has; fontconfig picks
the same for the PDF), before WeasyPrint lays it out. A table whose words fit
across a portrait page stays portrait; one that needs more goes on a landscape
page; one wider than that is split into parts, each repeating the first column.
Columns then share what room is left by how much more they would take unwrapped.
Knowing the widths lets the PDF use a fixed table layout, which is also quicker.

The cells are formatted here, once, for the HTML and the PDF alike: money at the
table's precision, a row's explanations as numbered notes said once under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from markupsafe import Markup, escape

from totalplace import display
from totalplace.present.tables import Reasons, Table, cell_text

FONTS = ("Liberation Sans", "Arial", "Helvetica")  # the stylesheet's font-family, in its order
FALLBACK_FONT = "DejaVu Sans"  # matplotlib ships it; wider than the others, so a safe overestimate
TABLE_POINTS = 8.0
PADDING = 7.0  # points across a cell: its right padding, a border and a little to spare
SPARE = 1.03  # measured widths are taken 3% wider, for kerning and rounding in the PDF
PORTRAIT = 510.0   # points across A4 portrait inside 15 mm margins
LANDSCAPE = 756.0  # and across A4 landscape
LONGEST_LINE = 230.0  # a column of long text wraps rather than take more than this unwrapped
BODY_ROWS = 25  # a longer table goes to the appendix, with a link to it where it was
BREAKS_INSIDE = re.compile(r"[-/–—]")  # a line may break inside a word at these; such words are kept whole


@dataclass(frozen=True)
class Part:
    """Some of a table's columns, side by side on one page (the first column repeats in every part)."""
    columns: list[int]
    widths: list[float]  # each column's share of the table's width, per cent
    table_width: float   # the table's share of the page's width, per cent


@dataclass
class TableView:
    """A table as the report prints it: cells formatted, numbered notes, and the parts it is laid out in."""
    table: Table
    headings: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    legend: list[str]
    landscape: bool
    parts: list[Part]
    number: str = ""  # its label in the appendix ("A3"), where it is printed there
    anchor: str = field(default="")

    @property
    def fits_body(self) -> bool:
        """Short and narrow enough to be read in the body of the report, on a portrait page."""
        return not self.landscape and len(self.parts) == 1 and len(self.rows) <= BODY_ROWS


def view_of(table: Table, names: dict[str, str] | None = None) -> TableView:
    """The table's cells as people read them (codes by their `names`), and how it is laid out on the page."""
    columns, rows, precisions = table.for_people()
    legend: list[str] = []
    texts = [[_cell(value, precision, legend, names or {}) for value, precision in zip(row, precisions)]
             for row in rows]
    headings = [display.column_title(c) for c in columns]
    numeric = [any(_is_number(row[i]) for row in rows) for i in range(len(columns))]
    landscape, parts = lay_out(headings, texts)
    return TableView(table, headings, texts, numeric, legend, landscape, parts)


def _is_number(value) -> bool:
    return isinstance(value, (Decimal, int, float)) and not isinstance(value, bool)


def _cell(value, precision: str, legend: list[str], names: dict[str, str]) -> str:
    """A cell's text; a row's explanations become the numbers of notes said once under the table."""
    if isinstance(value, str):
        return display.named(value, names)
    if isinstance(value, Reasons):
        numbers = []
        for reason in value:
            if reason not in legend:
                legend.append(reason)
            numbers.append(str(legend.index(reason) + 1))
        return ", ".join(numbers)
    return cell_text(value, precision)


def lay_out(headings: list[str], rows: list[list[str]]) -> tuple[bool, list[Part]]:
    """Portrait if the words fit across a portrait page, else landscape, else landscape in parts."""
    least = [_least(heading, [row[i] for row in rows]) for i, heading in enumerate(headings)]
    most = [max(w, _most(heading, [row[i] for row in rows])) for i, (heading, w) in enumerate(zip(headings, least))]
    every = list(range(len(headings)))
    if sum(least) <= PORTRAIT:
        return False, [_part(every, least, most, PORTRAIT)]
    if sum(least) <= LANDSCAPE:
        return True, [_part(every, least, most, LANDSCAPE)]
    return True, [_part(group, least, most, LANDSCAPE) for group in _groups(least)]


def _groups(least: list[float]) -> list[list[int]]:
    """Columns in runs that fit across a landscape page, each run after the first column."""
    groups: list[list[int]] = [[0]]
    for index in range(1, len(least)):
        if sum(least[i] for i in groups[-1]) + least[index] > LANDSCAPE and len(groups[-1]) > 1:
            groups.append([0])
        groups[-1].append(index)
    return groups


def _part(columns: list[int], least: list[float], most: list[float], room: float) -> Part:
    """Each column at least its longest word; the room left shared by how much more each would take."""
    low = [least[i] for i in columns]
    high = [most[i] for i in columns]
    if sum(high) <= room:
        widths = high
    else:
        spare = (room - sum(low)) / (sum(high) - sum(low))
        widths = [lo + (hi - lo) * spare for lo, hi in zip(low, high)]
    total = sum(widths)
    return Part(columns, [100 * w / total for w in widths], min(100.0, 100 * total / room))


def _least(heading: str, cells: list[str]) -> float:
    """A column's narrowest: its longest word, the heading's in bold."""
    words = [text_width(w, bold=True) for w in heading.split()]
    words += [text_width(w) for cell in cells for w in cell.split()]
    return max(words, default=0.0) * SPARE + PADDING


def _most(heading: str, cells: list[str]) -> float:
    """A column's widest: its longest cell on one line (long text capped, to wrap)."""
    widths = [text_width(heading, bold=True)] + [text_width(cell) for cell in cells]
    return min(max(widths) * SPARE, LONGEST_LINE) + PADDING


def text_width(text: str, bold: bool = False, points: float = TABLE_POINTS) -> float:
    """The width of text in points, set in the report's table type."""
    return sum(_advance(char, bold) for char in text) * points


@cache
def _advance(char: str, bold: bool) -> float:
    """One character's advance, per point of type size."""
    from matplotlib.ft2font import LoadFlags

    font = _font(bold)
    glyph = font.load_char(ord(char), flags=LoadFlags.NO_HINTING)
    return glyph.linearHoriAdvance / 65536 / 100


@cache
def _font(bold: bool):
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    font = FT2Font(_font_file(bold))
    font.set_size(100, 72)  # 100 pt at 72 dpi: advances in hundredths of a point per point of size
    return font


@cache
def _font_file(bold: bool) -> str:
    """The file of the first of FONTS on this machine (regular or bold), else matplotlib's own DejaVu Sans."""
    from matplotlib import font_manager

    found: dict[str, str] = {}
    for path in font_manager.findSystemFonts():
        try:
            font = font_manager.get_font(path)
        except (OSError, RuntimeError):
            continue
        if font.family_name in FONTS and ("Bold" in font.style_name) == bold and "Italic" not in font.style_name:
            found.setdefault(font.family_name, path)
    for family in FONTS:
        if family in found:
            return found[family]
    weight = "bold" if bold else "normal"
    return font_manager.findfont(font_manager.FontProperties(family=FALLBACK_FONT, weight=weight))


def kept_whole(text: str) -> Markup:
    """A cell's text for the HTML, each word that holds a hyphen or a slash kept from breaking at it."""
    return Markup(" ").join(Markup('<span class="whole">{}</span>').format(word) if BREAKS_INSIDE.search(word)
                            else escape(word) for word in text.split(" "))
