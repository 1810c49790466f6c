"""Which capabilities contribute sections to the place report, in reading order, and for which year.

Each entry names a module with `report_sections(workspace, year=None) -> list[Section]`;
a capability with no inputs in the workspace returns no sections.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass

from totalplace import capabilities, display
from totalplace.count import bottomup, headline, topdown
from totalplace.count.population import fiscal_year_start
from totalplace.present.section import Section
from totalplace.report.summary import Point, summary
from totalplace.store.connection import connect
from totalplace.workspace import Workspace



@dataclass(frozen=True)
class PlaceReport:
    """The report of one place for one year: its sections in reading order, and its executive summary.
    `names` are the codes its tables may hold (agencies, kinds of body, levels of control) and their names."""
    place: str
    year: str | None  # None: nothing is loaded, so there is no year to report
    sections: list[Section]
    names: dict[str, str]

    @property
    def summary(self) -> list[Point]:
        return summary(self.sections)


def place_report(workspace: Workspace, year: str | None = None) -> PlaceReport:
    """Every section the workspace's inputs support for the year (default: the latest ledger year, else the
    latest CRA year), in the order a board reads them."""
    chosen = report_year(workspace, year)
    return PlaceReport(workspace.settings.place.name, chosen, report_sections(workspace, chosen),
                       display.code_names(workspace))


def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    return [section for capability in capabilities.in_report() for section in capability.sections(workspace, year)]


def report_year(workspace: Workspace, year: str | None) -> str | None:
    """The year asked for (a fiscal year like 2018-19); else the latest year of the ledgers; else of the CRA."""
    if year is not None:
        fiscal_year_start(year)  # one clear line when it is not a fiscal year
        return year
    if not workspace.store_path.exists():
        return None
    with closing(connect(workspace, read_only=True)) as con:
        if bottomup.fiscal_years(con) or topdown.has_lines(con):
            return headline.headline_year(con, None)  # the headline's year: the report is of the same one
        return None
