"""The evidence link kinds the deal knows: each turns a link into a figure of the workspace.

Kinds: `count` (bottom-up), `topdown`, `journey` and `appraisal`. To add a kind,
write a function `(context, link) -> Figure` and decorate it with `@register("kind")` here.
"""

from __future__ import annotations

from totalplace.count import bottomup
from totalplace.commands.common import money
from totalplace.deal.evidence import Context, EvidenceMissing, Figure, Link, register
from totalplace.errors import InputError

ROWS_SHOWN = 3


@register("count")
def count_figure(context: Context, link: Link) -> Figure:
    """A figure of the bottom-up count: at most one dimension=key, and the year (default latest)."""
    year = link.fields.get("year")
    dimensions = {k: v for k, v in link.fields.items() if k != "year"}
    unknown = sorted(set(dimensions) - set(bottomup.DIMENSIONS))
    if unknown or len(dimensions) > 1:
        raise InputError(f"evidence link {link.text!r}: give at most one of "
                         f"{', '.join(bottomup.DIMENSIONS)} and a year")
    try:
        if not dimensions:
            total = bottomup.count(context.con, context.workspace, "agency", year)
            return Figure(link.text, f"{context.workspace.settings.place.name}: whole count, {total.fiscal_year}",
                          total.total, f"bottom-up count of {total.lines:,} payment lines")
        (by, key), = dimensions.items()
        lines, amount, n = bottomup.trace(context.con, by, key, year, ROWS_SHOWN)
        fiscal_year = bottomup.choose_year(context.con, year)
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    if n == 0:
        raise EvidenceMissing(f"the count has no {by} {key!r} in {fiscal_year or 'any year'}")
    detail = [f"{t.path} row {t.row_number}: {t.payment_date} {t.supplier_name or ''} {money(t.amount)}"
              for t in lines]
    return Figure(link.text, f"{by} = {key}, {fiscal_year or 'all years'}", amount,
                  f"bottom-up count of {n:,} payment lines; trace: totalplace trace --by {by} "
                  f"--key '{key}' --year {fiscal_year or 'all'}", detail)


def _one_of(link: Link, field_name: str, choices: dict) -> str:
    """The link's choice for a field, or a clear error listing the choices."""
    value = link.fields.get(field_name)
    if value not in choices:
        raise InputError(f"evidence link {link.text!r}: {field_name} must be one of {', '.join(choices)}")
    return value


JOURNEY_MEASURES = {
    "cost": "cost per person of the version (as-is by default)",
    "saving": "saving per person of the to-be version against the as-is",
    "cohort_saving": "saving for the journey's cohort",
}


@register("journey")
def journey_figure(context: Context, link: Link) -> Figure:
    """A journey's cost or saving: journey:name=prison-leaver;measure=saving[;version=to-be][;cohort=500]."""
    from totalplace.deepdive.journeys import compare, find_journey, summarise
    from totalplace.deepdive.unit_costs import load_library

    measure = _one_of(link, "measure", JOURNEY_MEASURES)
    name, version = link.fields.get("name", ""), link.fields.get("version")
    try:
        journey, library = find_journey(context.workspace, name), load_library(context.workspace)
        if measure == "cost":
            summary = summarise(journey, version, library)
            return Figure(link.text, f"journey {name}, {summary.version.name}: cost per person", summary.total,
                          f"{len(summary.steps)} steps, {len(summary.agencies)} agencies; "
                          f"totalplace journey show {name}")
        cohort = int(link.fields["cohort"]) if "cohort" in link.fields else None
        comparison = compare(journey, version, cohort, library)
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    amount = comparison.saving_per_person if measure == "saving" else comparison.cohort_saving
    return Figure(link.text, f"journey {name}: {JOURNEY_MEASURES[measure]}", amount,
                  f"as-is against {comparison.to_be.version.name}, cohort {comparison.cohort:,}; "
                  f"totalplace journey compare {name}",
                  [f"{s.agency}: {money(s.saving)} per person" for s in comparison.by_agency])


APPRAISAL_MEASURES = {
    "fiscal_npv": "fiscal net present value",
    "public_value_npv": "public value net present value",
    "net_present_budget_impact": "net present budget impact",
    "pv_costs": "present value of costs",
    "pv_cashable": "present value of cashable benefits",
    "whitehall_ask": "a national body's share of the gains, proposed as an ask of Whitehall (agency=, method=)",
}


@register("appraisal")
def appraisal_figure(context: Context, link: Link) -> Figure:
    """An appraisal's result: appraisal:name=family-support;measure=fiscal_npv."""
    from totalplace.appraise.service import appraise_target

    measure = _one_of(link, "measure", APPRAISAL_MEASURES)
    name = link.fields.get("name", "")
    try:
        _path, appraisal = appraise_target(context.workspace, name)
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    summary = appraisal.summary()
    if measure == "whitehall_ask":
        return _whitehall_ask_figure(link, appraisal)
    return Figure(link.text, f"appraisal {name}: {APPRAISAL_MEASURES[measure]}", getattr(summary, measure),
                  f"Green Book appraisal of {appraisal.intervention.name}; totalplace appraise {name}",
                  [f"benefit-cost ratio {summary.bcr}", f"payback year {summary.payback_year}"])


def _whitehall_ask_figure(link: Link, appraisal) -> Figure:
    """appraisal:name=family-support;measure=whitehall_ask;agency=dwp;method=shapley (issue 22: gain-share)."""
    from totalplace.appraise.gainshare import METHODS
    from totalplace.appraise.service import whitehall_ask_amount

    agency, method = link.fields.get("agency", ""), link.fields.get("method", "shapley")
    if agency not in appraisal.context.agencies or method not in METHODS:
        raise InputError(f"evidence link {link.text!r}: give agency= (a national body of the appraisal) and "
                         f"method= one of {', '.join(METHODS)}")
    name = appraisal.context.agencies[agency].name
    return Figure(link.text, f"appraisal {link.fields.get('name', '')}: {name}'s share of the gains ({method})",
                  whitehall_ask_amount(appraisal, agency, method),
                  f"gain-share by {method} of {appraisal.intervention.name}; totalplace appraise gainshare "
                  f"{link.fields.get('name', '')} --method {method}")


@register("topdown")
def topdown_figure(context: Context, link: Link) -> Figure:
    """A top-down figure for the place: topdown:by=control;key=police_fire;year=2017-18 (no key: the total)."""
    from totalplace.count import topdown

    by, key, year = link.fields.get("by", "control"), link.fields.get("key"), link.fields.get("year")
    if not topdown.has_lines(context.con):
        raise EvidenceMissing("no CRA is loaded: run `totalplace topdown load`")
    try:
        result = topdown.count(context.con, context.workspace, context.workspace.settings.place.areas, year, by)
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    if key is None:
        return Figure(link.text, f"top-down count, {result.fiscal_year}", result.total,
                      f"CRA apportioned to the place by {', '.join(d.name for d in result.drivers)}")
    row = next((r for r in result.rows if key in (r.key, r.label)), None)
    if row is None:
        raise EvidenceMissing(f"the top-down count by {by} has no {key!r} in {result.fiscal_year}")
    return Figure(link.text, f"top-down {by} = {row.label}, {result.fiscal_year}", row.amount,
                  f"CRA apportioned to the place by {', '.join(d.name for d in result.drivers)}; "
                  f"totalplace topdown count --by {by} --year {result.fiscal_year}")
