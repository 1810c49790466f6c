"""What a capability hands the place report: sections of text, tables and charts, and points for its summary.

Each capability (count, top-down, deep dive, appraisal, deal, estate) has a
`report_sections(workspace, year=None) -> list[Section]` function that computes
nothing the capability's own service functions do not also return; the renderers
in `totalplace.report` turn the sections into HTML, XLSX and PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from totalplace.present.tables import Table


@dataclass
class Chart:
    """A chart as inline SVG (no scripts, so it works offline and in the PDF), with the table behind it.
    A `wide` chart is drawn for a landscape page, and printed on one."""
    title: str
    svg: str
    table: Table
    wide: bool = False


# The kinds of point the executive summary draws from the sections, in the order it shows them.
HEADLINE, SAY, FUNDING_STREAMS, PROVISION, ASSESSMENTS, INVEST, ASK = (
    "headline", "say", "funding-streams", "provision", "assessments", "invest", "ask")
DUPLICATION = (FUNDING_STREAMS, PROVISION, ASSESSMENTS)


@dataclass(frozen=True)
class Finding:
    """One point of the executive summary, made by the section it links to, from the same figures.

    `text` is one line with its figures written as the section writes them; `money`
    is what the finding is about, to rank findings of duplication against each other.
    """
    kind: str
    text: str
    money: Decimal = Decimal(0)


@dataclass
class Section:
    """One section of the report: a line saying which year its figures are from, paragraphs, charts, tables.

    `id` is a short slug used for anchors and CSV file names. `tables` are the few a
    board reads in the body; `appendix` holds the detail tables, which the PDF prints
    in its appendix. Every chart's table and every table gets a CSV download beside
    it in the HTML and a sheet in the XLSX. `findings` are the section's points for
    the executive summary.
    """
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)  # sources, methods, confidence: gathered in the appendix
    year: str = ""  # which year its figures are from, and what stands in where that year has none
    appendix: list[Table] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def has_body(self) -> bool:
        """Whether the section has anything to show in the body (else only its sources, in the appendix)."""
        return bool(self.paragraphs or self.charts or self.tables)

    def all_tables(self) -> list[Table]:
        """Every table of the section in reading order: each chart's, the body's, the appendix's; a table both
        drawn and shown once."""
        found: list[Table] = []
        for table in [chart.table for chart in self.charts] + self.tables + self.appendix:
            if not any(table is seen for seen in found):
                found.append(table)
        return found


def year_line(what: str, used: str, wanted: str | None, covered_by: str = "the data") -> str:
    """Which year a section's figures are from; where that is not the report's year, that it stands in."""
    if wanted is None or used == wanted:
        return f"{what}: {used}."
    return f"{what}: {used}, the nearest year {covered_by} covers, stands in for {wanted}."
