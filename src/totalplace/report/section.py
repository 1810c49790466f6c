"""What a capability hands the place report: sections of text, tables and charts.

Each capability (count, top-down, deep dive, appraisal, deal, estate) has a
`report_sections(workspace) -> list[Section]` function that computes nothing
the capability's own service functions do not also return; the renderers in
`totalplace.report` turn the sections into HTML, XLSX and PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from totalplace.report.tables import Table


@dataclass
class Chart:
    """A chart as inline SVG (no scripts, so it works offline and in the PDF), with the table behind it."""
    title: str
    svg: str
    table: Table


@dataclass
class Section:
    """One section of the report: paragraphs of plain text, then charts, then tables.

    `id` is a short slug used for anchors and CSV file names; every chart's table
    and every table gets a CSV download beside it in the HTML and a sheet in the XLSX.
    """
    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)  # sources, methods, confidence: gathered in the appendix
