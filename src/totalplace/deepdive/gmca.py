"""Reading the layout of the GMCA (New Economy) Unit Cost Database workbook.

The workbook has one sheet per theme (Crime, Education & Skills, Employment & Economy,
Fire, Health, Housing, Social Services), title and note rows above a header row, and
then one row per cost: cost code, description, unit, agency, second agency, fiscal
value and price year (and usually a source). Header wording has changed between
versions, so columns are found by the words in their headers, not their position.

A row that has a code or a value but cannot be read is never dropped in silence: it is
returned in `skipped` with its sheet, row and reason, and the CLI prints it. Blank rows
and sub-heading rows (one cell of text only) are layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from totalplace.deepdive.deflator import fiscal_year
from totalplace.deepdive.unit_costs import UnitCost, canonical_sheet, parse_cost
from totalplace.errors import InputError
from totalplace.inputs import open_workbook

THEMES = ("crime", "education & skills", "employment & economy", "fire", "health", "housing", "social services")
HEADER_SEARCH_ROWS = 30
NOT_STATED = "(not stated in the workbook)"

# field -> header patterns, most specific first; a header matches the first field whose pattern it fits
HEADER_PATTERNS: dict[str, tuple[str, ...]] = {
    "second_agency": (r"second(ary)? agency", r"agency\s*\(?2\)?$", r"agency 2"),
    "agency": (r"^(lead |primary |first )?agency( 1)?$", r"agency\s*\(?1\)?$", r"who bears"),
    "code": (r"cost code", r"^code$", r"^ref(erence)?\.?$", r"^id$"),
    "value": (r"fiscal (value|cost)", r"^fiscal", r"^value", r"^cost\s*\(?£?\)?$", r"unit cost"),
    "price_year": (r"price (year|base)", r"^year$"),
    "unit": (r"^unit( of (measure|cost))?$",),
    "description": (r"description", r"^detail", r"cost (item|outline)", r"^outcome"),
    "source": (r"^source", r"reference source"),
}
NEEDED = ("code", "description", "value", "price_year")


@dataclass
class Skipped:
    """A workbook row that looked like a cost but could not be read."""

    sheet: str
    row: int
    reason: str

    def __str__(self) -> str:
        return f"sheet {self.sheet!r} row {self.row}: {self.reason}"


@dataclass
class GmcaImport:
    path: Path
    costs: list[UnitCost] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)


def _norm(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "").replace(" and ", " & ").strip().lower())


def header_fields(cells: tuple) -> dict[str, int]:
    """Which column holds which field, for a row that might be the header.

    Each header goes to the first field it fits; when several headers fit one field, the
    one fitting its most specific pattern wins ('Fiscal value' over a 'Fiscal / economic' column).
    """
    best: dict[str, tuple[int, int]] = {}  # field -> (pattern rank, column)
    for position, cell in enumerate(cells):
        header = _norm(cell).rstrip(":")
        for name, patterns in HEADER_PATTERNS.items():
            rank = next((i for i, p in enumerate(patterns) if re.search(p, header)), None)
            if rank is not None:
                if name not in best or rank < best[name][0]:
                    best[name] = (rank, position)
                break
    return {name: position for name, (_, position) in best.items()}


def _find_header(rows: list[tuple]) -> tuple[int, dict[str, int]] | None:
    for number, cells in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        fields = header_fields(cells)
        if all(f in fields for f in NEEDED):
            return number, fields
    return None


def _cell(cells: tuple, fields: dict[str, int], name: str) -> object:
    position = fields.get(name)
    return cells[position] if position is not None and position < len(cells) else None


def _text(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def _row_cost(cells: tuple, fields: dict[str, int], where: str, book: str, sheet: str,
              detail: str = "") -> UnitCost | str | None:
    """A cost, a reason the row cannot be read, or None for a layout row."""
    code = _text(_cell(cells, fields, "code"))
    raw_value = _cell(cells, fields, "value")
    if sum(1 for c in cells if _text(c)) <= 1:
        return None  # blank row, or a sub-heading such as 'Police' in the first cell
    if not code:
        return f"value {raw_value!r} has no cost code"
    description = _text(_cell(cells, fields, "description"))
    if not description:
        return f"cost code {code!r} has no description"
    try:
        value = parse_cost(raw_value)
    except ValueError:
        return f"cost code {code!r}: fiscal value {raw_value!r} is not an amount of money"
    try:
        price_year = fiscal_year(_cell(cells, fields, "price_year"))
    except ValueError as error:
        return f"cost code {code!r}: {error}"
    cited = _text(_cell(cells, fields, "source"))
    source = f"GMCA Unit Cost Database ({book}), {sheet} sheet, {code}" + (f"; original source: {cited}" if cited else "")
    return UnitCost(code=code, description=description, unit=_text(_cell(cells, fields, "unit")) or NOT_STATED,
                    agency=_text(_cell(cells, fields, "agency")) or NOT_STATED,
                    second_agency=_text(_cell(cells, fields, "second_agency")) or None,
                    value=value, price_year=price_year, source=source, illustrative=False, origin=where,
                    sheet=canonical_sheet(sheet), detail=detail)


def _read_sheet(title: str, rows: list[tuple], result: GmcaImport) -> None:
    header = _find_header(rows)
    if header is None:
        wanted = ", ".join(NEEDED)
        raise InputError(f"{result.path} sheet {title!r}: no header row with {wanted} in the first "
                         f"{HEADER_SEARCH_ROWS} rows")
    header_row, fields = header
    seen = {c.code.upper(): c.origin for c in result.costs}
    heading = ""  # the sub-heading the rows below it belong to, e.g. 'Police'
    for number, cells in enumerate(rows[header_row:], start=header_row + 1):
        where = f"{result.path.name} sheet {title!r} row {number}"
        outcome = _row_cost(cells, fields, where, result.path.name, title, heading)
        words = [_text(c) for c in cells if _text(c)]
        if outcome is None and len(words) == 1:
            heading = words[0]
        elif isinstance(outcome, str):
            result.skipped.append(Skipped(title, number, outcome))
        elif outcome is not None and outcome.code.upper() in seen:
            result.skipped.append(Skipped(title, number, f"cost code {outcome.code!r} already read at "
                                                         f"{seen[outcome.code.upper()]}"))
        elif outcome is not None:
            seen[outcome.code.upper()] = where
            result.costs.append(outcome)


def read_gmca_workbook(path: Path) -> GmcaImport:
    """Every cost on the workbook's theme sheets; other sheets (contents, notes) are left alone."""
    result = GmcaImport(path)
    with open_workbook(path) as book:
        for sheet in book.worksheets:
            if _norm(sheet.title) in THEMES:
                result.sheets.append(sheet.title)
                _read_sheet(sheet.title, list(sheet.iter_rows(values_only=True)), result)
    if not result.sheets:
        raise InputError(f"{path}: no theme sheet ({', '.join(t.title() for t in THEMES)}); "
                         "is this the GMCA Unit Cost Database workbook?")
    return result
