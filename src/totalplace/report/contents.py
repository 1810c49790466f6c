"""Which capabilities contribute sections to the place report, in reading order.

Each entry names a module with `report_sections(workspace) -> list[Section]`;
a capability with no inputs in the workspace returns no sections.
"""

from __future__ import annotations

from importlib import import_module

from totalplace.report.section import Section
from totalplace.workspace import Workspace

PROVIDERS = [
    "totalplace.count.headline_report",
    "totalplace.count.topdown_report",
    "totalplace.count.bottomup_report",
    "totalplace.count.funding_streams",
    "totalplace.deepdive.provision",
    "totalplace.deepdive.journey_report",
    "totalplace.deepdive.cohort_report",
    "totalplace.appraise.report",
    "totalplace.deal.report",
    "totalplace.estate.report",
]


def report_sections(workspace: Workspace) -> list[Section]:
    """Every section the workspace's inputs support, in the order a board reads them."""
    return [section for name in PROVIDERS for section in import_module(name).report_sections(workspace)]
