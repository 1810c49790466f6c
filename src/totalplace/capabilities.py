"""The one list of the place's capabilities: what each is called, its report sections, its commands, its page.

The place report (report.contents) reads its sections in this order; the web
(web.capabilities) offers a page for each capability that has one; the CLI
(totalplace.cli) registers each capability's commands under the names given
here, in this order, and fails at import on a name no commands module declares.
Each entry points to its sections function by an ordinary import, so a renamed
module fails at import, not at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from totalplace.appraise import report as appraisals
from totalplace.count import bottomup_report, funding_streams, headline_report, topdown_report
from totalplace.deal import report as deal
from totalplace.deepdive import cohort_report, journey_report, provision, unit_cost_report
from totalplace.estate import report as estate
from totalplace.present.section import Section
from totalplace.workspace import Workspace

SectionsOf = Callable[[Workspace, str | None], list[Section]]


@dataclass(frozen=True)
class Capability:
    key: str                  # its page (/<key>, /api/<key>) and its name in the web's publication table
    title: str
    about: str
    sections: SectionsOf      # its report sections for a year (None: its latest); none without its inputs
    commands: tuple[str, ...]  # its commands and command groups: `totalplace <name> ...`
    in_report: bool = True    # its sections are part of the place report
    page: bool = True         # it has a page of its own in the web (the overview shows the counts)


CAPABILITIES = (
    Capability("headline", "Headline", "The one figure for the whole place, counted once.",
               headline_report.report_sections, ("headline",), page=False),
    Capability("topdown", "Top-down",
               "The Treasury's regional spending brought down to the place: who decides, reconciliation, comparison.",
               topdown_report.report_sections, ("topdown", "reconcile")),
    Capability("bottom-up", "Bottom-up count", "The agencies' own ledgers, loaded, classified and counted once.",
               bottomup_report.report_sections,
               ("ingest", "map", "status", "rejects", "classify", "count", "trace", "transfers"),
               page=False),
    Capability("funding-streams", "Funding streams",
               "The grants and streams that fund the place's spending, and their conditions.",
               funding_streams.report_sections, ("streams",)),
    Capability("provision", "Provision maps", "Who provides what for a theme, and what it costs.",
               provision.report_sections, ("provision",)),
    Capability("unit-costs", "Unit costs",
               "What a step of a journey costs and who bears it, by the sheets of the GMCA Unit Cost Database.",
               unit_cost_report.report_sections, ("unit-costs",), in_report=False),
    Capability("journeys", "Journeys",
               "Customer journeys through the agencies, with their swimlanes and cost per person.",
               journey_report.report_sections, ("journey",)),
    Capability("cohorts", "Cohorts",
               "How concentrated cost is among people and households: aggregates only, small counts suppressed.",
               cohort_report.report_sections, ("cohort",)),
    Capability("appraisals", "Appraisals",
               "Invest to save: who pays and who gains, gain-share and Monte Carlo uncertainty.",
               appraisals.report_sections, ("appraise",)),
    Capability("deal", "Deal", "The asks and offers to Whitehall, pooled budgets and the reporting burden.",
               deal.report_sections, ("deal",)),
    Capability("estate", "Estate", "The public estate in the place and what sharing it could save.",
               estate.report_sections, ("estate",)),
)


def in_report() -> list[Capability]:
    """The capabilities whose sections make the place report, in the order a board reads them."""
    return [c for c in CAPABILITIES if c.in_report]


def pages() -> list[Capability]:
    """The capabilities with a web page of their own, in the same order."""
    return [c for c in CAPABILITIES if c.page]


def by_key(key: str) -> Capability:
    return next(c for c in CAPABILITIES if c.key == key)
