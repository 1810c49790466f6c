"""The report's first section: the one headline of the place (count.headline), as the CLI and the web show it.

It is also the executive summary's first point (`Finding(HEADLINE, ...)`), in the same words.
"""

from __future__ import annotations

from totalplace.count import headline, topdown
from totalplace.display import ROUNDED
from totalplace.present.section import HEADLINE, Finding, Section, year_line
from totalplace.present.tables import Table
from totalplace.store.connection import connect
from totalplace.workspace import Workspace

SECTION_ID = "headline"


def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    if not workspace.store_path.exists():
        return []
    con = connect(workspace, read_only=True)  # the best estimate works in temporary tables only
    try:
        if not topdown.has_lines(con):
            return [Section(SECTION_ID, "The whole place: one headline",
                            ["No headline yet: the whole-place figure needs the top-down count. Run "
                             "`totalplace topdown load`, then `totalplace report` again."])]
        found = headline.headline(con, workspace, year)
    finally:
        con.close()
    parts = Table(f"What the headline is made of, {found.fiscal_year}", ["part", "amount", "share"], [
        ["agreed ledgers", found.from_ledgers, found.ledger_share],
        [f"top-down (CRA {found.top_down_year})", found.from_top_down, 1 - found.ledger_share],
        ["the whole place, counted once", found.amount, 1.0]], precision=ROUNDED)
    said = (f"The whole place in {found.fiscal_year}; "
            + year_line("top-down figures", found.top_down_year, found.fiscal_year, "the CRA"))
    return [Section(SECTION_ID, "The whole place: one headline", [found.sentence(), *found.composition()],
                    tables=[parts], provenance=[f"Headline source: {s}" for s in found.sources], year=said,
                    findings=[Finding(HEADLINE, found.sentence(), found.amount)])]
