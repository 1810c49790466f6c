"""Journeys as tables and report sections: the same figures for the CLI and the place report."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from totalplace.deepdive.journeys import (
    Comparison, Journey, JourneySummary, compare, describe_days, load_journeys, summarise,
)
from totalplace.deepdive.swimlane import svg
from totalplace.deepdive.unit_costs import UnitCostLibrary, load_library
from totalplace.report.section import Chart, Section
from totalplace.report.tables import Table

if TYPE_CHECKING:
    from totalplace.workspace import Workspace

ILLUSTRATIVE_NOTE = ("Some unit costs are ILLUSTRATIVE (not checked against their published source, or a value with "
                     "no source): do not quote these figures as official costs.")


def _days(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"))


def summary_table(summary: JourneySummary) -> Table:
    rows = [
        ["cost per person", summary.total],
        ["elapsed time (days)", _days(summary.elapsed_days)],
        ["agencies", len(summary.agencies)],
        ["hand-offs in the map", summary.hand_offs],
        ["hand-offs per person (expected)", _days(summary.expected_hand_offs)],
        ["assessments per person (expected)", _days(summary.assessments)],
        ["topics assessed by more than one agency", len(summary.duplicates)],
        ["waits between agencies (days, as mapped)", _days(sum((g.days for g in summary.gaps), Decimal(0)))],
    ]
    notes = [f"Prices: {summary.journey.price_year}. Elapsed time adds each step's wait and duration, weighted by "
             "the share of people who take it."]
    notes += [ILLUSTRATIVE_NOTE] if summary.illustrative else []
    return Table(f"{summary.journey.title}: {summary.version.name}", ["measure", "value"], rows, notes)


def steps_table(summary: JourneySummary) -> Table:
    rows = [[s.number, s.step.agency, s.step.service, s.step.kind.value, float(s.step.probability),
             s.step.repeats, describe_days(s.step.wait), describe_days(s.step.duration), s.unit_value, s.cost,
             s.step.payer, ("ILLUSTRATIVE; " if s.illustrative else "") + s.cost_basis] for s in summary.steps]
    return Table(f"Steps of {summary.journey.name} ({summary.version.name}), per person",
                 ["step", "agency", "service", "kind", "probability", "repeats", "wait", "duration", "unit cost",
                  "cost per person", "pays", "unit cost from"], rows, [f"From {summary.journey.path}."])


def agency_table(summary: JourneySummary) -> Table:
    rows = [[agency, cost, float(cost / summary.total) if summary.total else 0.0]
            for agency, cost in sorted(summary.by_agency.items(), key=lambda kv: kv[1], reverse=True)]
    return Table(f"Cost per person by the agency that pays ({summary.version.name})",
                 ["agency", "cost per person", "share"], rows + [["total", summary.total, 1.0 if summary.total else 0.0]])


def duplicates_table(summary: JourneySummary) -> Table:
    rows = [[d.topic, ", ".join(d.agencies), len(d.agencies), _days(d.times), d.cost] for d in summary.duplicates]
    return Table(f"Duplicate assessments: one topic assessed by more than one agency ({summary.version.name})",
                 ["topic", "agencies", "agencies assessing", "assessments per person", "cost per person"], rows)


def gaps_table(summary: JourneySummary) -> Table:
    rows = [[g.before_step, g.from_agency, g.to_agency, describe_days(g.days), _days(g.days), float(g.probability)]
            for g in summary.gaps]
    return Table(f"Gaps: waits between agencies ({summary.version.name})",
                 ["before step", "from", "to", "wait", "days", "share of people"], rows)


def comparison_table(comparison: Comparison) -> Table:
    size = comparison.cohort
    rows = [[r.agency, r.as_is, r.to_be, r.saving, r.saving * size] for r in comparison.by_agency]
    rows.append(["total", comparison.as_is.total, comparison.to_be.total, comparison.saving_per_person,
                 comparison.cohort_saving])
    before, after = comparison.as_is, comparison.to_be
    notes = [
        f"Saving {_money(comparison.saving_per_person)} per person; {_money(comparison.cohort_saving)} for a cohort "
        f"of {size:,}.",
        f"Time: {describe_days(before.elapsed_days)} as-is, {describe_days(after.elapsed_days)} to-be "
        f"(saves {_days(comparison.days_saved)} days per person).",
        f"Agencies {len(before.agencies)} -> {len(after.agencies)}; hand-offs per person "
        f"{_days(before.expected_hand_offs)} -> {_days(after.expected_hand_offs)}; assessments per person "
        f"{_days(before.assessments)} -> {_days(after.assessments)}; topics assessed by several agencies "
        f"{len(before.duplicates)} -> {len(after.duplicates)}.",
        "A positive saving is a gain to that agency; a negative one is what it puts in.",
    ]
    if comparison.as_is.journey.cohort_source and comparison.cohort == comparison.as_is.journey.cohort:
        notes.append(f"Cohort: {comparison.as_is.journey.cohort_source}")
    notes += [ILLUSTRATIVE_NOTE] if before.illustrative or after.illustrative else []
    return Table(f"{before.journey.title}: {after.version.name} against as-is, by the agency that gains",
                 ["agency", "as-is per person", "to-be per person", "saving per person", f"saving for {size:,}"],
                 rows, notes)


def _money(value: Decimal) -> str:
    return f"£{value:,.2f}"


def _journey_section(journey: Journey, library: UnitCostLibrary) -> Section:
    summaries = [summarise(journey, name, library) for name in journey.versions]
    paragraphs = [p for p in (journey.client_group, journey.description, journey.story) if p]
    tables = [Table(f"{journey.title}: the versions side by side",
                    ["version", "cost per person", "elapsed days", "agencies", "hand-offs per person",
                     "assessments per person", "duplicate topics"],
                    [[s.version.name, s.total, _days(s.elapsed_days), len(s.agencies), _days(s.expected_hand_offs),
                      _days(s.assessments), len(s.duplicates)] for s in summaries])]
    if journey.cohort is not None:
        for name in journey.to_be:
            tables.append(comparison_table(compare(journey, name, journey.cohort, library)))
    for summary in summaries:
        tables += [t for t in (duplicates_table(summary), gaps_table(summary)) if t.rows]
    charts = [Chart(f"Swimlane: {s.version.name}", svg(s), steps_table(s)) for s in summaries]
    codes = sorted({s.step.unit_cost for v in summaries for s in v.steps if isinstance(s.step.unit_cost, str)})
    provenance = [f"Journey {journey.name}: {journey.path}; costs in {journey.price_year} prices."]
    provenance += [f"Unit cost {library.get(c).code}: {library.get(c).source}"
                   + (" (ILLUSTRATIVE)" if library.get(c).illustrative else "") for c in codes]
    provenance.append(f"Uprating: GDP deflator, {library.series.source}. {library.series.status}".strip())
    return Section(id=f"journey-{journey.name}", title=f"Customer journey: {journey.title}",
                   paragraphs=paragraphs, charts=charts, tables=tables, provenance=provenance)


def report_sections(workspace: Workspace) -> list[Section]:
    """One section per journey in the workspace: comparison, duplicates, gaps and a swimlane per version."""
    library = load_library(workspace)
    return [_journey_section(journey, library) for journey in load_journeys(workspace).values()]
