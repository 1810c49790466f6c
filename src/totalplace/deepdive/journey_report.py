"""Journeys as tables and report sections: the same figures for the CLI and the place report."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from totalplace.deepdive.journeys import (
    NEEDS, Comparison, Journey, JourneySummary, compare, describe_days, load_journeys, summarise,
)
from totalplace.deepdive.swimlane import page_svgs
from totalplace.deepdive.unit_cost_report import costs_used_table
from totalplace.deepdive.unit_costs import UnitCostLibrary, load_library
from totalplace.display import ROUNDED, money, plural
from totalplace.present.section import ASSESSMENTS, Chart, Finding, Section
from totalplace.present.tables import Table
from totalplace.tabular import Number

if TYPE_CHECKING:
    from totalplace.workspace import Workspace

ILLUSTRATIVE_NOTE = ("Some unit costs are ILLUSTRATIVE (not checked against their published source, or a value with "
                     "no source): do not quote these figures as official costs.")


def _days(value: Decimal) -> Number:
    return Number(value.quantize(Decimal("0.1")))


def _elapsed_note(journey: Journey) -> str:
    if journey.period is not None:
        return f"Elapsed time: every version covers {describe_days(journey.period)} (the journey's period)."
    return ("Elapsed time adds each step's wait and duration one after another, weighted by the share of people "
            "who take it.")


def summary_table(summary: JourneySummary) -> Table:
    rows = [
        ["cost per person", summary.total],
        ["elapsed time (days)", _days(summary.elapsed_days)],
        ["contact time (hours, expected)", _days(summary.contact_hours)],
        ["waiting time (days, expected)", _days(summary.waiting_days)],
        *[[f"days without {need} (expected)", _days(summary.days_without[need])] for need in NEEDS],
        ["agencies", len(summary.agencies)],
        ["hand-offs in the map", summary.hand_offs],
        ["hand-offs per person (expected)", _days(summary.expected_hand_offs)],
        ["hand-offs that should happen and do not", len(summary.missed_hand_offs)],
        ["assessments per person (expected)", _days(summary.assessments)],
        ["topics assessed by more than one agency", len(summary.duplicates)],
        ["waits between agencies (days, as mapped)", _days(sum((g.days for g in summary.gaps), Decimal(0)))],
        ["waits inside one agency (days, as mapped)", _days(sum((w.days for w in summary.waits if w.inside),
                                                               Decimal(0)))],
    ]
    notes = [f"Prices: {summary.journey.price_year}. {_elapsed_note(summary.journey)} Contact time, waiting time "
             "and days without are measured apart and never added together."]
    notes += [ILLUSTRATIVE_NOTE] if summary.illustrative else []
    return Table(f"{summary.journey.title}: {summary.version.name}", ["measure", "value"], rows, notes,
                 precision=ROUNDED)


def steps_table(summary: JourneySummary, run: range | None = None, where: str | None = None) -> Table:
    name = summary.journey.agency_name
    shown = [summary.steps[i] for i in run] if run is not None else summary.steps
    part = "" if run is None or len(shown) == len(summary.steps) else \
        f", steps {shown[0].number} to {shown[-1].number}"
    rows = [[s.number, name(s.step.agency), s.step.service, s.step.kind.value, float(s.step.probability),
             Number(s.step.repeats), describe_days(s.step.wait), describe_days(s.step.duration), s.unit_value, s.cost,
             name(s.step.payer), ("ILLUSTRATIVE; " if s.illustrative else "") + s.cost_basis] for s in shown]
    return Table(f"Steps of {summary.journey.name} ({summary.version.name}{part}), per person",
                 ["step", "agency", "service", "kind", "probability", "repeats", "wait", "duration", "unit cost",
                  "cost per person", "pays", "unit cost from"], rows, [f"From {where or summary.journey.path}."],
                 precision=ROUNDED)


def agency_table(summary: JourneySummary) -> Table:
    rows = [[summary.journey.agency_name(agency), cost, float(cost / summary.total) if summary.total else 0.0]
            for agency, cost in sorted(summary.by_agency.items(), key=lambda kv: kv[1], reverse=True)]
    return Table(f"Cost per person by the agency that pays ({summary.version.name})",
                 ["agency", "cost per person", "share"], rows + [["total", summary.total, 1.0 if summary.total else 0.0]],
                 precision=ROUNDED)


def duplicates_table(summary: JourneySummary) -> Table:
    name = summary.journey.agency_name
    rows = [[d.topic, ", ".join(map(name, d.agencies)), len(d.agencies), _days(d.times), d.cost]
            for d in summary.duplicates]
    return Table(f"Duplicate assessments: one topic assessed by more than one agency ({summary.version.name})",
                 ["topic", "agencies", "agencies assessing", "assessments per person", "cost per person"], rows,
                 precision=ROUNDED)


def gaps_table(summary: JourneySummary) -> Table:
    name = summary.journey.agency_name
    rows = [[g.before_step, name(g.from_agency), name(g.to_agency), describe_days(g.days), _days(g.days),
             float(g.probability)] for g in summary.gaps]
    return Table(f"Gaps: waits between agencies ({summary.version.name})",
                 ["before step", "from", "to", "wait", "days", "share of people"], rows)


def waits_table(summary: JourneySummary) -> Table:
    """Every wait, inside one agency or between two: 'three weeks with no benefits' runs inside DWP."""
    name = summary.journey.agency_name
    rows = [[w.before_step, name(w.agency), describe_days(w.days),
             "inside one agency" if w.inside else f"between {name(w.previous) if w.previous else 'the start'} and "
             f"{name(w.following) if w.following else 'the end'}", _days(w.days), _days(w.times)]
            for w in summary.waits]
    return Table(f"Every wait, inside one agency or between agencies ({summary.version.name})",
                 ["step", "agency", "wait", "where", "days", "times per person"], rows)


def missed_table(summary: JourneySummary) -> Table:
    name = summary.journey.agency_name
    rows = [[m.before_step, name(m.from_agency), name(m.to_agency), float(m.probability), m.note]
            for m in summary.missed_hand_offs]
    return Table(f"Hand-offs that should happen and do not ({summary.version.name})",
                 ["step", "from", "should pass to", "share of people", "note"], rows)


def time_table(comparison: Comparison) -> Table:
    """Time per person, like for like: each measure against the same measure, never summed across measures."""
    rows = [[m.name, _days(m.as_is), _days(m.to_be), _days(m.change)] for m in comparison.time_measures]
    return Table(f"{comparison.as_is.journey.title}: time per person, like for like",
                 ["measure", "as-is", comparison.to_be.version.name, "change"], rows,
                 [_elapsed_note(comparison.as_is.journey)])


def comparison_table(comparison: Comparison) -> Table:
    size = comparison.cohort
    name = comparison.as_is.journey.agency_name
    rows = [[name(r.agency), r.as_is, r.to_be, r.saving, r.saving * size] for r in comparison.by_agency]
    rows.append(["total", comparison.as_is.total, comparison.to_be.total, comparison.saving_per_person,
                 comparison.cohort_saving])
    before, after = comparison.as_is, comparison.to_be
    notes = [
        f"Saving {_money(comparison.saving_per_person)} per person; {_money(comparison.cohort_saving)} for a cohort "
        f"of {size:,}.",
        _time_note(comparison),
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
                 rows, notes, precision=ROUNDED)


def _time_note(comparison: Comparison) -> str:
    """Like against like: contact time with contact time, waiting with waiting, elapsed with elapsed."""
    before, after, journey = comparison.as_is, comparison.to_be, comparison.as_is.journey
    elapsed = (f"both versions cover {describe_days(journey.period)}" if journey.period is not None else
               f"elapsed {describe_days(before.elapsed_days)} as-is, {describe_days(after.elapsed_days)} to-be")
    return (f"Time per person: contact {_days(before.contact_hours)} -> {_days(after.contact_hours)} hours; waiting "
            f"{_days(before.waiting_days)} -> {_days(after.waiting_days)} days; {elapsed}.")


def _money(value: Decimal) -> str:
    return money(value, ROUNDED)


def _journey_section(journey: Journey, library: UnitCostLibrary, where: str) -> Section:
    summaries = [summarise(journey, name, library) for name in journey.versions]
    paragraphs = [p for p in (journey.client_group, journey.description, journey.story) if p]
    tables = [Table(f"{journey.title}: the versions side by side",
                    ["version", "cost per person", "elapsed days", "agencies", "hand-offs per person",
                     "assessments per person", "duplicate topics"],
                    [[s.version.name, s.total, _days(s.elapsed_days), len(s.agencies), _days(s.expected_hand_offs),
                      _days(s.assessments), len(s.duplicates)] for s in summaries], precision=ROUNDED)]
    if journey.cohort is not None:
        for name in journey.to_be:
            comparison = compare(journey, name, journey.cohort, library)
            tables += [comparison_table(comparison), time_table(comparison)]
    appendix = [t for summary in summaries for t in (missed_table(summary), waits_table(summary),
                                                      duplicates_table(summary), gaps_table(summary)) if t.rows]
    charts = [_swimlane(s, run, drawing, where) for s in summaries for run, drawing in page_svgs(s)]
    codes = sorted({s.step.unit_cost for v in summaries for s in v.steps if isinstance(s.step.unit_cost, str)})
    if codes:
        appendix.append(costs_used_table(library, codes, journey.price_year, f"the journey {journey.name}"))
    provenance = [f"Journey {journey.name}: {where}; costs in {journey.price_year} prices."]
    provenance += [f"Unit cost {library.get(c).code}: {library.get(c).source}"
                   + (" (ILLUSTRATIVE)" if library.get(c).illustrative else "") for c in codes]
    provenance.append(f"Uprating: {library.series.describe()}")
    findings = _repeated_assessments(journey, summaries[0])
    return Section(id=f"journey-{journey.name}", title=f"Customer journey: {journey.title}",
                   paragraphs=paragraphs + [f.text for f in findings], charts=charts, tables=tables,
                   provenance=provenance, appendix=appendix, findings=findings,
                   year=f"Costs in {journey.price_year} prices: the journey is a typical person's, not one year's.")


def _swimlane(summary: JourneySummary, run: range, drawing: str, where: str) -> Chart:
    whole = len(run) == len(summary.steps)
    steps = "" if whole else f", steps {summary.steps[run[0]].number} to {summary.steps[run[-1]].number}"
    return Chart(f"Swimlane: {summary.version.name}{steps}", drawing, steps_table(summary, run, where), wide=True)


def _repeated_assessments(journey: Journey, summary: JourneySummary) -> list[Finding]:
    """The journey as it is: topics assessed by more than one agency, and what assessing them again costs."""
    if not summary.duplicates:
        return []
    cost = sum((d.cost for d in summary.duplicates), Decimal(0))
    cohort = journey.cohort or 1
    largest = max(summary.duplicates, key=lambda d: d.cost)
    count = len(summary.duplicates)
    text = (f"{journey.title} ({summary.version.name}): {plural(count, 'topic')} {'is' if count == 1 else 'are'} "
            f"each assessed by more than one agency, costing {_money(cost)} per person"
            + (f", {_money(cost * cohort)} a year for {cohort:,} people" if journey.cohort else "")
            + f"; the largest is {largest.topic}, assessed by {len(largest.agencies)} agencies.")
    return [Finding(ASSESSMENTS, text, cost * cohort)]


def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    """One section per journey in the workspace: comparison, duplicates, gaps and a swimlane per version.
    A journey is a typical person's, so it is the same whatever the report's year."""
    library = load_library(workspace)
    return [_journey_section(journey, library, workspace.relative(journey.path))
            for journey in load_journeys(workspace).values()]
