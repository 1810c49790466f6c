"""Figures of a count as plain records: what is exported, imported and compared.

A figure is one amount for a place, a fiscal year, a direction (bottom-up,
top-down, reconciled, best estimate) and a cut (agency or department, theme,
COFOG, control level), carrying the method, source and confidence that made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from totalplace.count.bottomup import COUNTED_ONCE, LINES, UNCLASSIFIED, choose_year
from totalplace.money import to_pennies
from totalplace.store.connection import StoreConnection, has_table
from totalplace.workspace import Workspace

BOTTOM_UP_METHOD = ("bottom-up: sum of the agency's published payment lines, classified by theme and COFOG with "
                    "the workspace's rule tables; payments to other agencies of the count left out (counted once)")


@dataclass(frozen=True)
class Figure:
    place: str
    fiscal_year: str
    direction: str
    agency: str
    theme: str
    cofog: str
    amount: Decimal
    method: str
    source: str
    confidence: str = ""
    control_level: str = ""


def bottomup_figures(con: StoreConnection, workspace: Workspace, year: str | None = None) -> list[Figure]:
    """The bottom-up count by agency, theme, COFOG and year (every year when `year` is 'all')."""
    fiscal_year = choose_year(con, year)
    clauses, params = [COUNTED_ONCE], []
    if fiscal_year:
        clauses.append("s.fiscal_year = ?")
        params.append(fiscal_year)
    rows = con.execute(
        f"""SELECT s.fiscal_year, s.agency_id, coalesce(s.theme, '{UNCLASSIFIED}'),
                   coalesce(s.cofog, '{UNCLASSIFIED}'), sum(s.amount), count(*), count(DISTINCT s.file_id)
            FROM {LINES} WHERE {' AND '.join(clauses)}
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4""",
        params,
    ).fetchall()
    place = workspace.settings.place.name
    return [Figure(place, year_, "bottom-up", agency, theme, cofog, amount, BOTTOM_UP_METHOD,
                   f"{agency}: {lines:,} payment lines in {files} spend file(s) (totalplace trace)", "ledger")
            for year_, agency, theme, cofog, amount, lines, files in rows]


# count_figure is built by the top-down count; its columns are read by name so either spelling serves.
COLUMN_NAMES = {
    "place": ("place", "place_name"),
    "fiscal_year": ("fiscal_year", "year"),
    "direction": ("direction",),
    "agency": ("agency", "agency_id", "agency_or_department", "department", "body"),
    "theme": ("theme",),
    "cofog": ("cofog", "cofog_code"),
    "amount": ("amount",),
    "method": ("method",),
    "source": ("source",),
    "confidence": ("confidence",),
    "control_level": ("control_level", "control"),
}


def store_figures(con: StoreConnection, workspace: Workspace) -> list[Figure]:
    """The figures of the store's count_figure table (top-down, reconciled, best estimate), if it exists."""
    if not has_table(con, "count_figure"):
        return []
    present = [r[0] for r in con.execute("DESCRIBE count_figure").fetchall()]
    picks = {field: next((c for c in names if c in present), None) for field, names in COLUMN_NAMES.items()}
    if picks["amount"] is None or picks["fiscal_year"] is None:
        return []
    select = ", ".join(f'CAST("{c}" AS VARCHAR)' if c and field != "amount" else (f'"{c}"' if c else "NULL")
                       for field, c in picks.items())
    rows = con.execute(f"SELECT {select} FROM count_figure WHERE \"{picks['amount']}\" IS NOT NULL").fetchall()
    place = workspace.settings.place.name
    figures = []
    for row in rows:
        values = dict(zip(picks, row))
        figures.append(Figure(
            place=values["place"] or place, fiscal_year=values["fiscal_year"], direction=values["direction"] or "",
            agency=values["agency"] or "", theme=values["theme"] or "", cofog=values["cofog"] or "",
            amount=to_pennies(Decimal(values["amount"])), method=values["method"] or "",
            source=values["source"] or "", confidence=values["confidence"] or "",
            control_level=values["control_level"] or "",
        ))
    return figures
