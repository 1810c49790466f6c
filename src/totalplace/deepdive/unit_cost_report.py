"""The unit cost library as tables: the CLI's list, the web's unit-cost view, and the costs a report used."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from totalplace.deepdive.unit_costs import UnitCost, UnitCostLibrary, load_library
from totalplace.present.section import Section
from totalplace.present.tables import Table

if TYPE_CHECKING:
    from totalplace.workspace import Workspace

ILLUSTRATIVE_WORDS = ("'ILLUSTRATIVE' marks a value not checked against its source (a starter cost the database "
                      "has no equivalent for, or a local one): do not quote it as an official cost.")
LICENCE = ("The GMCA Unit Cost Database v1.4 was published by the research team of the Greater Manchester "
           "Combined Authority (New Economy). The copy shipped states a Creative Commons licence, via the "
           "Government Outcomes Lab (University of Oxford), without naming which one: see docs/unit_costs.md.")


def _flag(cost: UnitCost) -> str:
    return "ILLUSTRATIVE" if cost.illustrative else ""


def library_table(library: UnitCostLibrary, costs: list[UnitCost], price_year: str | None = None) -> Table:
    """Costs by sheet, with their value uprated to `price_year` when one is asked for."""
    columns = ["sheet", "code", "description", "unit", "agency", "value", "price year"]
    columns += [f"value in {price_year} prices"] if price_year else []
    columns += ["illustrative", "source"]
    rows = [[c.sheet, c.code, c.description, c.unit, c.agency, c.value, c.price_year]
            + ([library.value(c.code, price_year)] if price_year else []) + [_flag(c), c.source] for c in costs]
    notes = [f"{len(costs)} of {len(library)} unit costs. {ILLUSTRATIVE_WORDS}"]
    notes += [library.series.describe()] if price_year else []
    notes += [f"{len(library.skipped)} row(s) of imported workbooks could not be read: run "
              "`totalplace unit-costs import-gmca` again to see them."] if library.skipped else []
    return Table("Unit cost library", columns, rows, notes)


def costs_used_table(library: UnitCostLibrary, codes: Iterable[str], price_year: str, what: str) -> Table:
    """Each unit cost a journey or an appraisal used: code, price year, value uprated, and who bears it."""
    used = sorted({library.get(code).code: library.get(code) for code in codes}.values(),
                  key=lambda c: c.code.lower())
    rows = [[c.code, c.description, c.sheet, c.agency, c.value, c.price_year, library.value(c.code, price_year),
             _flag(c), c.note or c.source] for c in used]
    illustrative = [c.code for c in used if c.illustrative]
    notes = [library.series.describe()]
    notes += [f"ILLUSTRATIVE (no equivalent in the GMCA Unit Cost Database; not checked against the publication "
              f"named): {', '.join(illustrative)}."] if illustrative else []
    return Table(f"Unit costs used by {what}, in {price_year} prices",
                 ["code", "description", "sheet", "bearing agency", "value", "price year",
                  f"value in {price_year} prices", "illustrative", "source, or why it is kept"], rows, notes)


def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    """The library for the web: one table per sheet, in the database's order.

    `year` is taken as every capability's is, and not used: the library is in its own price years.
    """
    library = load_library(workspace)
    tables = [Table(f"{sheet}", *_rows(library, sheet)) for sheet in library.sheets()]
    return [Section(id="unit-costs", title="Unit cost library",
                    paragraphs=["What one arrest, assessment or week in care costs, who bears it and its price year, "
                                "by the sheets of the GMCA Unit Cost Database. The command totalplace unit-costs list "
                                "--price-year 2023-24 gives them uprated to a year's prices."],
                    tables=tables, provenance=[LICENCE, library.series.describe()])]


def _rows(library: UnitCostLibrary, sheet: str) -> tuple[list[str], list[list[object]], list[str]]:
    table = library_table(library, library.search(sheet=sheet))
    return table.columns[1:], [row[1:] for row in table.rows], table.notes
