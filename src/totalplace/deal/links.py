"""The evidence link kinds the deal knows: each turns a link into a figure of the workspace.

Kinds: `count` (bottom-up), `topdown`, `streams` (the funding stream register), `provision`,
`journey`, `cohort`, `appraisal`, `burden` (the reporting burden) and `estate`. A figure made
from illustrative inputs is marked ILLUSTRATIVE, one from generated data SYNTHETIC (see
`evidence.marked`). To add a kind, write a function `(context, link) -> Figure` and decorate
it with `@register("kind")` here.
"""

from __future__ import annotations

from decimal import Decimal

from totalplace.count import bottomup
from totalplace.deal.evidence import ILLUSTRATIVE, SYNTHETIC, Context, EvidenceMissing, Figure, Link, marked, register
from totalplace.errors import InputError
from totalplace.money import format_money

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
    detail = [f"{t.path} row {t.row_number}: {t.payment_date} {t.supplier_name or ''} {format_money(t.amount)}"
              for t in lines]
    return Figure(link.text, f"{by} = {key}, {fiscal_year or 'all years'}", amount,
                  f"bottom-up count of {n:,} payment lines; trace: totalplace trace --by {by} "
                  f"--key '{key}' --year {fiscal_year or 'all'}", detail)


def _marks(flags: dict[str, bool]) -> tuple[str, ...]:
    """The marks whose flag is set: _marks({ILLUSTRATIVE: True}) -> ('ILLUSTRATIVE',)."""
    return tuple(mark for mark, flag in flags.items() if flag)


def _only(link: Link, allowed: set[str]) -> None:
    unknown = sorted(set(link.fields) - allowed)
    if unknown:
        raise InputError(f"evidence link {link.text!r}: unknown field {unknown[0]!r} (fields: {', '.join(sorted(allowed))})")


def _one_of(link: Link, field_name: str, choices: dict) -> str:
    """The link's choice for a field, or a clear error listing the choices."""
    value = link.fields.get(field_name)
    if value is None or value not in choices:
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
            return marked(link, f"journey {name}, {summary.version.name}: cost per person", summary.total,
                          f"{len(summary.steps)} steps, {len(summary.agencies)} agencies; "
                          f"totalplace journey show {name}", marks=_marks({ILLUSTRATIVE: summary.illustrative}))
        cohort = int(link.fields["cohort"]) if "cohort" in link.fields else None
        comparison = compare(journey, version, cohort, library)
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    amount = comparison.saving_per_person if measure == "saving" else comparison.cohort_saving
    illustrative = comparison.as_is.illustrative or comparison.to_be.illustrative
    return marked(link, f"journey {name}: {JOURNEY_MEASURES[measure]}", amount,
                  f"as-is against {comparison.to_be.version.name}, cohort {comparison.cohort:,}; "
                  f"totalplace journey compare {name}",
                  [f"{s.agency}: {format_money(s.saving)} per person" for s in comparison.by_agency],
                  _marks({ILLUSTRATIVE: illustrative}))


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
    marks = _marks({ILLUSTRATIVE: _illustrative_outcomes(context, appraisal.intervention)})
    if measure == "whitehall_ask":
        return _whitehall_ask_figure(link, appraisal, marks)
    return marked(link, f"appraisal {name}: {APPRAISAL_MEASURES[measure]}", getattr(summary, measure),
                  f"Green Book appraisal of {appraisal.intervention.name}; totalplace appraise {name}",
                  [f"benefit-cost ratio {summary.bcr}", f"payback year {summary.payback_year}"], marks)


def _illustrative_outcomes(context: Context, intervention) -> bool:
    """Whether any outcome is valued from an illustrative figure: its source says so, a value typed in with no
    source, or a unit cost the library marks illustrative."""
    from totalplace.deepdive.unit_costs import load_library

    for outcome in intervention.outcomes:
        if "illustrative" in outcome.source.lower() or (outcome.unit_value is not None and not outcome.source.strip()):
            return True
        if outcome.unit_cost and load_library(context.workspace).get(outcome.unit_cost).illustrative:
            return True
    return False


def _whitehall_ask_figure(link: Link, appraisal, marks: tuple[str, ...]) -> Figure:
    """appraisal:name=family-support;measure=whitehall_ask;agency=dwp;method=shapley (issue 22: gain-share)."""
    from totalplace.appraise.gainshare import METHODS
    from totalplace.appraise.service import whitehall_ask_amount

    agency, method = link.fields.get("agency", ""), link.fields.get("method", "shapley")
    if agency not in appraisal.context.agencies or method not in METHODS:
        raise InputError(f"evidence link {link.text!r}: give agency= (a national body of the appraisal) and "
                         f"method= one of {', '.join(METHODS)}")
    name = appraisal.context.agencies[agency].name
    return marked(link, f"appraisal {link.fields.get('name', '')}: {name}'s share of the gains ({method})",
                  whitehall_ask_amount(appraisal, agency, method),
                  f"gain-share by {method} of {appraisal.intervention.name}; totalplace appraise gainshare "
                  f"{link.fields.get('name', '')} --method {method}", marks=marks)


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


@register("streams")
def streams_figure(context: Context, link: Link) -> Figure:
    """Streams of the funding stream register: streams:name=<stream>, or any of theme, funder, recipient and year."""
    from totalplace.count.funding_streams import FUNDER_ALIASES, read_register

    _only(link, {"name", "theme", "funder", "recipient", "year"})
    if not link.fields:
        raise InputError(f"evidence link {link.text!r}: give a stream's name, or a theme, funder, recipient or year")
    try:
        streams = read_register(context.workspace)
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    wanted = {("fiscal_year" if k == "year" else k): v for k, v in link.fields.items()}
    if "funder" in wanted:  # the funder by the name the register counts it under ('DWP' is its full name)
        wanted["funder"] = FUNDER_ALIASES.read(context.workspace.root / "rules").canonical(wanted["funder"])
    chosen = [s for s in streams if all(getattr(s, k) in (v, None if k == "fiscal_year" else v)
                                        for k, v in wanted.items())]
    if not chosen:
        raise EvidenceMissing(f"no stream in the funding stream register has {_described(link)}")
    return marked(link, f"funding streams, {_described(link)}", sum((s.amount for s in chosen), Decimal(0)),
                  f"{len(chosen)} stream(s) of the register ({chosen[0].path}); totalplace streams show",
                  [f"{s.name}: {s.funder} to {s.recipient}, {format_money(s.amount)} ({s.basis})" for s in chosen[:ROWS_SHOWN]],
                  _marks({ILLUSTRATIVE: any(s.basis == "illustrative" for s in chosen)}))


def _described(link: Link) -> str:
    return ", ".join(f"{k} {v}" for k, v in link.fields.items())


@register("provision")
def provision_figure(context: Context, link: Link) -> Figure:
    """A theme's provision map: provision:theme=<theme>[;year=<year>][;provider=<provider>]."""
    from totalplace.deepdive.provision import provision, same_body

    _only(link, {"theme", "year", "provider"})
    theme, provider = link.fields.get("theme", ""), link.fields.get("provider")
    try:
        found = provision(context.con, context.workspace, theme, link.fields.get("year"))
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    chosen = [c for c in found.commissions if provider is None or same_body(c.provider, provider)]
    if provider and not chosen:
        raise EvidenceMissing(f"no provider {provider!r} in the provision map of {theme} in {found.fiscal_year}")
    illustrative = {s.name for s in found.streams if s.basis == "illustrative"}
    direct_from_illustrative = any(c.lines == 0 and illustrative & set(c.streams) for c in chosen)
    return marked(link, f"provision map of {theme}, {found.fiscal_year}" + (f", provider {provider}" if provider else ""),
                  sum((c.amount for c in chosen), Decimal(0)),
                  f"{found.headline}; totalplace provision --theme '{theme}' --year {found.fiscal_year}",
                  [f"{c.payer} / {c.programme} -> {c.provider}: {format_money(c.amount)}" for c in chosen[:ROWS_SHOWN]],
                  _marks({ILLUSTRATIVE: direct_from_illustrative}))


@register("cohort")
def cohort_figure(context: Context, link: Link) -> Figure:
    """A published figure of the cohort: cohort:measure=cost|services|payments|top_cost|agency[;agency=..][;year=..].

    Only what the cohort's outputs publish: a figure withheld by small-number suppression is missing evidence.
    """
    from totalplace.deepdive import cohort_report
    from totalplace.deepdive.cohorts import COHORT_DIR
    from totalplace.deepdive.synthetic import is_synthetic

    _only(link, {"measure", "year", "agency"})
    measure = _one_of(link, "measure", cohort_report.EVIDENCE_MEASURES)
    workspace, year, agency = context.workspace, link.fields.get("year"), link.fields.get("agency")
    try:
        con = cohort_report.open_cohort(workspace)
        try:
            published = cohort_report.publish(con, workspace)
        finally:
            con.close()
        amount = published.evidence(measure, year, agency)
        scope = published.figures(year)[1].scope
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    if amount is None:
        raise EvidenceMissing(f"the cohort's {cohort_report.EVIDENCE_MEASURES[measure]} in {scope.label} is withheld "
                              f"(fewer than {workspace.suppress_below} people or households, or it would give such a "
                              f"figure away)")
    what = f"{agency}'s cost" if measure == "agency" else cohort_report.EVIDENCE_MEASURES[measure]
    return marked(link, f"cohort: {what}, {scope.label}", amount,
                  f"person-level events linked across agencies, small numbers suppressed; totalplace cohort summary",
                  marks=_marks({SYNTHETIC: is_synthetic(workspace.root / COHORT_DIR)}))


BURDEN_MEASURES = {"cost": "cost a year of the returns, indicators and inspections",
                   "freed": "cost a year the single outcomes framework would free"}


@register("burden")
def burden_figure(context: Context, link: Link) -> Figure:
    """The reporting burden: burden:measure=cost|freed[;agency=<agency>]."""
    from totalplace.deal.burden import load_burden, replacement

    _only(link, {"measure", "agency"})
    measure, agency = _one_of(link, "measure", BURDEN_MEASURES), link.fields.get("agency")
    try:
        burden = load_burden(context.workspace)
        framework = replacement(context.workspace, burden) if measure == "freed" else None
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    if measure == "freed" and framework is None:
        raise EvidenceMissing("no single outcomes framework (deal/outcomes.yaml)")
    items = framework.replaced if framework else burden.items
    items = [i for i in items if agency is None or i.agency == agency]
    if not items:
        raise EvidenceMissing(f"no item of the reporting burden{f' of {agency}' if agency else ''}")
    illustrative = any(i.basis == "illustrative" for i in items) or bool(framework and framework.framework.illustrative)
    return marked(link, f"reporting burden: {BURDEN_MEASURES[measure]}" + (f", {agency}" if agency else ""),
                  sum((i.cost for i in items), Decimal(0)),
                  f"{len(items)} item(s) of deal/burden.csv, hours x frequency x hourly cost; totalplace deal burden total",
                  [f"{i.id} {i.item} ({i.agency}): {format_money(i.cost)}" for i in items[:ROWS_SHOWN]],
                  _marks({ILLUSTRATIVE: illustrative}))


ESTATE_MEASURES = {"saving": "saving a year from co-location, once every lease is broken",
                   "net_saving": "saving from co-location over the years, net of one-off moving costs",
                   "moving_cost": "one-off cost of moving the disposals' people",
                   "receipt": "capital receipts from the disposals", "running_cost": "running cost a year of the estate"}


@register("estate")
def estate_figure(context: Context, link: Link) -> Figure:
    """The shared estate: estate:measure=saving|net_saving|moving_cost|receipt|running_cost[;rank=<opportunity>]
    [;from=<date the years start>][;years=<how many>] (net_saving counts lease breaks from `from`, default today)."""
    import datetime as dt

    from totalplace.estate.colocate import Settings, opportunities
    from totalplace.estate.register import load_estate
    from totalplace.estate.sharing import load_sharing

    _only(link, {"measure", "rank", "from", "years"})
    measure = _one_of(link, "measure", ESTATE_MEASURES)
    try:
        settings = Settings(years=int(link.fields.get("years", 5)),
                            start=dt.date.fromisoformat(link.fields.get("from", dt.date.today().isoformat())))
    except ValueError:
        raise InputError(f"evidence link {link.text!r}: from= is a date like 2026-04-01 and years= a whole number") from None
    try:
        estate = load_estate(context.workspace)
        found = opportunities(estate, settings, sharing=load_sharing(context.workspace))
    except InputError as error:
        raise EvidenceMissing(str(error)) from None
    if "rank" in link.fields:
        found = [o for o in found if str(o.rank) == link.fields["rank"]]
        if not found:
            raise EvidenceMissing(f"no co-location opportunity ranked {link.fields['rank']}")
    amount = (estate.running_cost if measure == "running_cost"
              else sum((getattr(o, measure) for o in found), Decimal(0)))
    period = f" ({settings.years} years from {settings.start.isoformat()})" if measure == "net_saving" else ""
    return marked(link, f"estate: {ESTATE_MEASURES[measure]}{period}", amount,
                  f"{len(found)} co-location opportunities of uses that can share a building; totalplace estate colocate",
                  [f"{o.rank}. {o.hub.name}: {format_money(o.saving)} a year, net {format_money(o.net_saving)}" for o in found[:ROWS_SHOWN]],
                  _marks({SYNTHETIC: estate.synthetic}))
