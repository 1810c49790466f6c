"""The unit cost library: what one arrest, assessment or week in care costs, and who bears it.

Three layers, later ones replacing earlier ones code by code:

1. shipped: the GMCA (New Economy) Unit Cost Database v1.4, `totalplace/data/gmca/` (674 costs,
   codes such as `CR7.0`), and the starter costs the database has no equivalent for,
   `totalplace/data/unit_costs.csv` (each ILLUSTRATIVE, with the reason it is kept). A starter
   code the database replaced (`totalplace/data/unit_cost_replacements.csv`) still resolves to
   its database cost when the unit is the same, and is an error saying how when it is not;
2. GMCA Unit Cost Database workbooks imported into the workspace's `unit_costs/` folder
   (`totalplace unit-costs import-gmca FILE`): a newer workbook replaces the shipped copy code by code;
3. the workspace's own `unit_costs.csv` (or `unit_costs.xlsx`, first sheet), same columns
   as the shipped starter file.

Every cost keeps its price year (a fiscal year, '2015-16') and is uprated to the price
year asked for with the GDP deflator (`deflator.py`). Every cost names its published
source, and a value nobody has checked against that source says `illustrative`.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from totalplace import reference
from totalplace.deepdive.deflator import DeflatorSeries, fiscal_year, series_for
from totalplace.errors import InputError
from totalplace.inputs import open_workbook
from totalplace.money import parse_money

if TYPE_CHECKING:
    from totalplace.workspace import Workspace

COLUMNS = ("code", "description", "unit", "agency", "second_agency", "value", "price_year", "source", "illustrative",
           "sheet", "note")
REQUIRED = ("code", "description", "unit", "agency", "value", "price_year", "source")
GMCA_FOLDER = "unit_costs"
GMCA_DATABASE = "gmca/unit_cost_database_v1_4.csv"
GMCA_SOURCE = "GMCA Unit Cost Database v1.4 (New Economy)"
REPLACEMENTS = "unit_cost_replacements.csv"
# The database's theme sheets, and 'Other' for a starter or local cost that fits none of them.
SHEETS = ("Crime", "Health", "Social Services", "Employment & Economy", "Housing", "Education & Skills", "Fire",
          "Other")
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0", ""}


class UnitCost(BaseModel):
    """One unit cost. `price_year` is the fiscal year ('2015-16') whose prices `value` is in."""

    model_config = ConfigDict(frozen=True)

    code: str
    description: str
    unit: str
    agency: str = Field(description="who bears the cost")
    second_agency: str | None = None
    value: Decimal
    price_year: str
    source: str = Field(description="the publication the value comes from")
    illustrative: bool = Field(description="true when the value has not been checked against its source")
    origin: str = Field("", description="the file and row this cost was read from")
    sheet: str = Field("", description="the database theme sheet it is listed under (SHEETS)")
    detail: str = Field("", description="the database's sub-heading, e.g. ANTI-SOCIAL BEHAVIOUR")
    note: str = Field("", description="for a starter cost: why the database does not replace it")


def canonical_sheet(text: str) -> str:
    """'crime', 'employment', 'Education and Skills' -> the database's own sheet name; other text is kept."""
    wanted = re.sub(r"\s+", " ", text.replace(" and ", " & ").strip().lower())
    if not wanted:
        return ""
    found = [s for s in SHEETS if s.lower().startswith(wanted)]
    return found[0] if len(found) == 1 else text.strip()


def _natural(code: str) -> list[tuple[int, object]]:
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", code.lower())]


def sheet_rank(sheet: str) -> int:
    return SHEETS.index(sheet) if sheet in SHEETS else len(SHEETS)


def parse_cost(value: object) -> Decimal:
    """A cost or a count as an exact decimal (money.parse_money: 1234.5, '£1,234.50', ' 1 234 '); zero or more."""
    amount = parse_money(value)
    if amount < 0:
        raise ValueError(f"{value!r} is not an amount of money of zero or more")
    return amount


def parse_flag(value: object) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not true or false")


def cost_from_row(row: dict[str, object], where: str) -> UnitCost:
    """One row of a unit-cost table; `where` is 'file row N' for the error message."""
    cells = {name: ("" if row.get(name) is None else str(row[name]).strip()) for name in COLUMNS}
    for name in REQUIRED:
        if not cells[name]:
            raise InputError(f"{where}, column {name}: empty (every unit cost needs {', '.join(REQUIRED)})")
    try:
        value = parse_cost(row["value"])
    except ValueError as error:
        raise InputError(f"{where}, column value: {error}") from None
    try:
        price_year = fiscal_year(cells["price_year"])
    except ValueError as error:
        raise InputError(f"{where}, column price_year: {error}") from None
    try:
        illustrative = parse_flag(row.get("illustrative"))
    except ValueError as error:
        raise InputError(f"{where}, column illustrative: {error}") from None
    return UnitCost(code=cells["code"], description=cells["description"], unit=cells["unit"],
                    agency=cells["agency"], second_agency=cells["second_agency"] or None, value=value,
                    price_year=price_year, source=cells["source"], illustrative=illustrative, origin=where,
                    sheet=canonical_sheet(cells["sheet"]), note=cells["note"])


def _check_header(header: Iterable[object] | None, path: object) -> list[str]:
    names = [str(h).strip().lower() if h is not None else "" for h in (header or [])]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)} (expected {','.join(COLUMNS)})")
    return names


def read_csv_costs(text: str, path: object) -> list[UnitCost]:
    reader = csv.reader(io.StringIO(text, newline=""))
    names = _check_header(next(reader, None), path)
    return [cost_from_row(dict(zip(names, cells)), f"{path} row {number}")
            for number, cells in enumerate(reader, start=2) if any(c.strip() for c in cells)]


def read_xlsx_costs(path: Path) -> list[UnitCost]:
    with open_workbook(path) as book:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        names = _check_header(next(rows, None), f"{path} sheet {sheet.title!r}")
        return [cost_from_row(dict(zip(names, cells)), f"{path} sheet {sheet.title!r} row {number}")
                for number, cells in enumerate(rows, start=2) if any(c not in (None, "") for c in cells)]


def _no_repeats(costs: list[UnitCost]) -> list[UnitCost]:
    seen: dict[str, UnitCost] = {}
    for cost in costs:
        key = cost.code.upper()
        if key in seen:
            raise InputError(f"{cost.origin}: code {cost.code!r} is already used at {seen[key].origin}")
        seen[key] = cost
    return costs


def database_cost(row: dict[str, str], where: str) -> UnitCost:
    """One row of the shipped GMCA copy. Its `source_detail` is the price year; its agency detail the second
    agency ('-' for none). The copy's `notes` column (the workbook's uprating formula) is not shipped."""
    second = row["agency_detail"].strip()
    return cost_from_row({
        "code": row["code"], "description": row["description"], "unit": row["unit"], "agency": row["agency"],
        "second_agency": "" if second == "-" else second, "value": row["cost_gbp"],
        "price_year": row["source_detail"], "illustrative": "false", "sheet": row["sheet"],
        "source": f"{GMCA_SOURCE}, {row['sheet']} sheet, {row['code']}",
    }, where).model_copy(update={"detail": row["detail"].strip()})


@cache
def database_costs() -> tuple[UnitCost, ...]:
    """The GMCA Unit Cost Database v1.4 as shipped: read once per process (the files never change)."""
    path = f"totalplace/data/{GMCA_DATABASE}"
    with reference.data_path(GMCA_DATABASE).open(encoding="utf-8", newline="") as handle:
        return tuple(database_cost(row, f"{path} row {number}")
                     for number, row in enumerate(csv.DictReader(handle), start=2))


@cache
def starter_costs() -> tuple[UnitCost, ...]:
    text = reference.data_path("unit_costs.csv").read_text(encoding="utf-8")
    return tuple(read_csv_costs(text, "totalplace/data/unit_costs.csv"))


def shipped_costs() -> list[UnitCost]:
    """The database, then the starter costs it has no equivalent for (no code is in both)."""
    return _no_repeats([*database_costs(), *starter_costs()])


@cache
def replacements() -> dict[str, dict[str, str]]:
    """Starter codes the database replaced: old code (upper case) -> {code, same_unit, note}."""
    with reference.data_path(REPLACEMENTS).open(encoding="utf-8", newline="") as handle:
        return {row["old_code"].strip().upper(): row for row in csv.DictReader(handle)}


def workspace_costs(workspace: Workspace) -> list[UnitCost]:
    """The workspace's own unit_costs.csv or unit_costs.xlsx (not both: which would win is unclear)."""
    found = [p for p in (workspace.root / "unit_costs.csv", workspace.root / "unit_costs.xlsx") if p.exists()]
    if len(found) > 1:
        raise InputError(f"{workspace.root}: has both unit_costs.csv and unit_costs.xlsx; keep one")
    if not found:
        return []
    path = found[0]
    costs = read_csv_costs(path.read_text(encoding="utf-8-sig"), path) if path.suffix == ".csv" else read_xlsx_costs(path)
    return _no_repeats(costs)


class UnitCostLibrary:
    """Unit costs by code (codes match whatever their case), with the deflator to uprate them."""

    def __init__(self, costs: Iterable[UnitCost], series: DeflatorSeries, skipped: list[str] | None = None) -> None:
        self._costs: dict[str, UnitCost] = {}
        for cost in costs:  # later layers replace earlier ones
            self._costs[cost.code.upper()] = cost
        self.series = series
        self.skipped = skipped or []  # rows of imported workbooks that could not be read, with the reason

    def __iter__(self) -> Iterator[UnitCost]:
        return iter(sorted(self._costs.values(), key=lambda c: c.code.lower()))

    def by_sheet(self) -> list[UnitCost]:
        """Every cost grouped by the database's sheets in their order; on each, checked costs before illustrative
        ones, in code order with numbers read as numbers (CR2.0 before CR10.0)."""
        return sorted(self._costs.values(), key=lambda c: (sheet_rank(c.sheet), c.sheet, c.illustrative,
                                                           _natural(c.code)))

    def sheets(self) -> list[str]:
        return sorted({c.sheet for c in self._costs.values() if c.sheet}, key=lambda s: (sheet_rank(s), s))

    def search(self, sheet: str | None = None, agency: str | None = None, text: str | None = None) -> list[UnitCost]:
        """Costs by sheet: on one sheet ('housing' finds Housing), borne by an agency whose name holds `agency`,
        whose code, description or sub-heading holds `text` (any case)."""
        chosen = self._sheet(sheet) if sheet else None
        agency_words, words = (agency or "").lower(), (text or "").lower()
        return [c for c in self.by_sheet()
                if (chosen is None or c.sheet == chosen)
                and agency_words in f"{c.agency} {c.second_agency or ''}".lower()
                and words in f"{c.code} {c.description} {c.detail}".lower()]

    def _sheet(self, text: str) -> str:
        found = canonical_sheet(text)
        if found not in self.sheets():
            raise InputError(f"--sheet {text!r}: no such sheet (sheets: {', '.join(self.sheets())})")
        return found

    def __len__(self) -> int:
        return len(self._costs)

    def __contains__(self, code: str) -> bool:
        return code.strip().upper() in self._costs

    def get(self, code: str) -> UnitCost:
        key = code.strip().upper()
        found = self._costs.get(key)
        if found is None and key in replacements():
            return self._replacement(code, replacements()[key])
        if found is None:
            near = difflib.get_close_matches(code.strip().upper(), list(self._costs), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(self._costs[n].code for n in near)}?" if near else ""
            raise InputError(f"unknown unit-cost code {code!r} (see `totalplace unit-costs list`){hint}")
        return found

    def _replacement(self, code: str, replaced: dict[str, str]) -> UnitCost:
        """A starter code the database replaced: its database cost when the unit is the same, else how to use it."""
        new = replaced["code"].strip()
        if parse_flag(replaced["same_unit"]):
            return self.get(new)
        raise InputError(f"unit-cost code {code!r} was a starter cost, replaced by {new} from the GMCA Unit Cost "
                         f"Database in another unit: {replaced['note']}")

    def value(self, code: str, price_year: str) -> Decimal:
        """The cost of `code` in `price_year` prices, uprated with the GDP deflator from the cost's own price year."""
        cost = self.get(code)
        try:
            return self.series.uprate(cost.value, cost.price_year, price_year)
        except (InputError, ValueError) as error:
            raise InputError(f"unit cost {cost.code} ({cost.price_year} prices): {error}") from None


def load_library(workspace: Workspace | None = None) -> UnitCostLibrary:
    """The shipped database and starter costs, then imported GMCA workbooks, then the workspace's own costs."""
    costs = shipped_costs()
    skipped: list[str] = []
    if workspace is not None:
        from totalplace.deepdive.gmca import read_gmca_workbook

        for book in sorted((workspace.root / GMCA_FOLDER).glob("*.xlsx")):
            imported = read_gmca_workbook(book)
            costs += imported.costs
            skipped += [str(s) for s in imported.skipped]
        costs += workspace_costs(workspace)
    return UnitCostLibrary(costs, series_for(workspace), skipped)
