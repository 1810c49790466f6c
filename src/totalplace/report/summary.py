"""The executive summary: the points a board reads first, each made by the section it links to.

The sections hand over their findings (`Section.findings`), worded with the same
figures they show, so the summary never computes a figure of its own. It puts
them in the order a board asks: the whole place, how much say the place has, the
three biggest findings of duplication or fragmentation, each invest-to-save case
in a line, and the asks of Whitehall. Where nothing in the workspace makes a kind
of point, the summary says in one line what input would.
"""

from __future__ import annotations

from dataclasses import dataclass

from totalplace.present.section import (
    ASK, ASSESSMENTS, DUPLICATION, FUNDING_STREAMS, HEADLINE, INVEST, PROVISION, SAY, Finding, Section,
)

DUPLICATION_POINTS = 3
# How the summary introduces each kind of point.
LABELS = {HEADLINE: "The whole place", SAY: "Who decides", FUNDING_STREAMS: "Fragmented funding",
          PROVISION: "Overlapping provision", ASSESSMENTS: "Repeated assessments", INVEST: "Invest to save",
          ASK: "Ask of Whitehall"}
# What would fill a kind of point that no section makes, in one line.
WANTED = {
    HEADLINE: "No whole-place figure yet: load the Treasury's regional analysis with `totalplace topdown load`.",
    SAY: "How much the place has a say over needs the top-down count: run `totalplace topdown load`.",
    FUNDING_STREAMS: "No funding streams yet: list them in funding_streams.csv and run `totalplace streams load`.",
    PROVISION: "No provision map yet: it needs the funding-stream register and the agencies' payments.",
    ASSESSMENTS: "No repeated assessments found yet: map a customer journey (journeys/) or load a cohort "
                 "(`totalplace cohort load`).",
    INVEST: "No invest-to-save case yet: describe one in interventions/ (see docs/appraisal.md).",
    ASK: "No asks of Whitehall yet: write them in deal/asks.yaml.",
}


@dataclass(frozen=True)
class Point:
    """A line of the summary and the section it comes from (no section: what input would make it)."""
    kind: str
    text: str
    section_id: str = ""
    section_title: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.kind]


def summary(sections: list[Section]) -> list[Point]:
    """The summary's points in the order a board reads them."""
    found = [(finding, section) for section in sections for finding in section.findings]
    points = _of_kind(found, HEADLINE)[:1] + _of_kind(found, SAY)[:1]
    points += _duplication(found)
    points += _of_kind(found, INVEST) + _of_kind(found, ASK)
    shown = {p.kind for p in points}
    wanted = [HEADLINE, SAY, *([] if shown & set(DUPLICATION) else [FUNDING_STREAMS]), INVEST, ASK]
    return points + [Point(kind, WANTED[kind]) for kind in wanted if kind not in shown]


def _of_kind(found: list[tuple[Finding, Section]], kind: str) -> list[Point]:
    return [_point(f, s) for f, s in found if f.kind == kind]


def _point(finding: Finding, section: Section) -> Point:
    return Point(finding.kind, finding.text, section.id, section.title)


def _duplication(found: list[tuple[Finding, Section]]) -> list[Point]:
    """The three biggest findings of duplication or fragmentation: the largest (by the money involved) of
    each kind first, then the next largest of any kind."""
    ranked = sorted(((f, s) for f, s in found if f.kind in DUPLICATION), key=lambda fs: -fs[0].money)
    first = [next(fs for fs in ranked if fs[0].kind == kind) for kind in DUPLICATION
             if any(f.kind == kind for f, _ in ranked)]
    first.sort(key=lambda fs: -fs[0].money)
    rest = [fs for fs in ranked if all(fs is not chosen for chosen in first)]
    return [_point(f, s) for f, s in (first + rest)[:DUPLICATION_POINTS]]
