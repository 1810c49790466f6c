"""The top-down count's sections of the place report: headline, breakdowns, reconciliation, comparison, provenance.

Every figure here comes from the service functions in count.topdown,
count.reconcile and count.compare; this module only arranges them.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

from totalplace.classify import control
from totalplace.count import compare, reconcile, topdown, trend
from totalplace.errors import InputError
from totalplace.report.charts import flow_chart, line_chart, stacked_share_bar
from totalplace.report.section import Chart, Section
from totalplace.report.tables import Table
from totalplace.store.connection import StoreConnection, connect
from totalplace.workspace import Workspace


def report_sections(workspace: Workspace) -> list[Section]:
    if not workspace.store_path.exists():
        return []
    con = connect(workspace, read_only=True)  # the top-down count works in temporary tables only
    try:
        if not topdown.has_lines(con):
            return [Section("topdown", "The whole place, top-down",
                            ["No CRA is loaded: run `totalplace topdown load FILE.xlsx` to add the top-down count."])]
        areas = workspace.settings.place.areas
        by_control = topdown.count(con, workspace, areas, None, "control")
        sections = [_headline(con, workspace, by_control), _breakdowns(con, workspace, areas, by_control.fiscal_year),
                    _trend(con, workspace, areas)]
        sections += _reconciliation(con, workspace)
        sections.append(_comparison(con, workspace))
        sections.append(_provenance(con))
        return sections
    finally:
        con.close()


def _flow_chart(con: StoreConnection, workspace: Workspace, result: topdown.TopdownCount) -> Chart:
    """From funder (department) to who decides (level of control) to function."""
    links = topdown.flows(con, workspace, result.areas, result.fiscal_year)
    table = Table(f"From funder to level of control to function, {result.fiscal_year}",
                  ["department", "level of control", "function", "amount"], [list(link) for link in links])
    return Chart("From funder to who decides to what it buys", flow_chart(_flow_links(links),
                 ["funder (department)", "who decides", "function"]), table)


def _flow_links(links: list[tuple[str, str, str, Decimal]]) -> list[tuple[str, str, Decimal]]:
    """Three-stage rows as the two sets of links a flow diagram draws, summed per pair.

    A band cannot be negative: net receipts (negative rows) stay in the table beside the chart.
    """
    pairs: dict[tuple[str, str], Decimal] = {}
    for department, level, function, amount in links:
        if amount <= 0:
            continue
        for pair in ((department, level), (level, function)):
            pairs[pair] = pairs.get(pair, Decimal(0)) + amount
    return [(source, target, amount) for (source, target), amount in pairs.items()]


def _headline(con: StoreConnection, workspace: Workspace, result: topdown.TopdownCount) -> Section:
    say = topdown.local_say(result, workspace)
    table = Table(f"The sliding scale of control, {result.fiscal_year}", ["level", "amount", "£ per head", "share"],
                  [[r.label, r.amount, r.per_head, r.share] for r in result.rows])
    chart = Chart("The sliding scale of control", stacked_share_bar(
        [r.label for r in result.rows], [r.amount for r in result.rows],
        f"{workspace.settings.place.name}, {result.fiscal_year}: share of the money at each level of control"), table)
    return Section(
        "topdown-headline", "The whole place: how much, and how much say",
        [f"Top-down, {result.fiscal_year}: £{result.total:,.0f} of identifiable public spending, "
         f"£{result.per_head:,.0f} per head of {result.population:,} people.",
         f"The place has a say over {say.share:.0%} of it, and the local NHS spends {say.nhs_share:.0%} beside "
         f"that; the council's own discretion is {say.council_discretion_share:.0%}.",
         f"{say.definition}.",
         *[f"Missing: {m.words}." for m in result.missing]],
        charts=[chart, _flow_chart(con, workspace, result)],
        provenance=[*result.provenance(),
                    f"Not counted: spending with no region, £{result.not_identifiable_per_head:,.2f} per head of "
                    f"{topdown.NOT_IDENTIFIABLE_PEOPLE}."])


def _trend(con: StoreConnection, workspace: Workspace, areas: list[str]) -> Section:
    """The count year after year: £ per head in real terms beside the region and England, releases marked."""
    result = trend.trend(con, workspace, areas)
    labels = {k: level.label for k, level in control.read_levels(workspace).items()}
    name = workspace.settings.place.name
    years = [y.fiscal_year for y in result.years]
    chart = line_chart(years, {name: [y.per_head_real for y in result.years],
                               ", ".join(result.regions): [y.region_per_head_real for y in result.years],
                               topdown.ENGLAND: [y.england_per_head_real for y in result.years]},
                       f"£ per head in {result.base_year} prices", [y.fiscal_year for y in result.years
                                                                     if y.break_before])
    table = trend.table(result, "control", labels, name)  # the table the CLI prints
    first, last = result.years[0], result.years[-1]
    return Section(
        "topdown-trend", "Year after year",
        [f"From {first.fiscal_year} to {last.fiscal_year}, identifiable public spending in {name} went from "
         f"£{first.per_head_real:,.0f} to £{last.per_head_real:,.0f} per head in {result.base_year} prices "
         f"(£{first.per_head_cash:,.0f} to £{last.per_head_cash:,.0f} in cash).",
         "Dashed lines mark a new CRA release: each release revises the years before it, so a step at a break "
         "may be a revision, not a change in spending."],
        charts=[Chart("The top-down count year after year", chart, table)],
        provenance=table.notes)


def _breakdowns(con: StoreConnection, workspace: Workspace, areas: list[str], year: str) -> Section:
    tables = []
    for by, title in (("department", "By department"), ("function", "By function")):
        result = topdown.count(con, workspace, areas, year, by)
        tables.append(Table(f"{title}, {year}", [by, "amount", "£ per head", "share"],
                            [[r.label, r.amount, r.per_head, r.share] for r in result.rows]))
    return Section("topdown-breakdown", "Where the money goes (top-down)", tables=tables)


def _reconciliation(con: StoreConnection, workspace: Workspace) -> list[Section]:
    try:
        rows = reconcile.reconcile(con, workspace)
    except InputError:
        return []
    table = Table("The council's ledger beside the top-down council figure",
                  ["agency", "cofog", "function", "ledger year", "CRA year", "bottom-up", "top-down", "gap", "agreed",
                   "likely causes"],
                  [[r.agency, r.cofog, r.function, r.bottom_up_year, r.top_down_year, r.bottom_up,
                    "missing" if r.top_down is None else r.top_down, "" if r.gap is None else r.gap,
                    "agreed" if r.agreed else "", "; ".join(r.causes)] for r in rows])
    section = Section("reconciliation", "Reconciliation: ledgers beside the top-down count",
                      ["Bottom-up is the council's payments, counted once; top-down is the CRA lines its ledger "
                       "would hold, shared by their drivers ('missing' where the CRA year has no such line). Agreed "
                       "figures (agreed.csv) replace top-down ones in the best estimate, so nothing is counted "
                       "twice."], tables=[table])
    for year in sorted({r.bottom_up_year for r in rows if r.agreed}):
        estimate = reconcile.best_estimate(con, workspace, year)
        levels = reconcile.by_control(estimate)
        section.tables.append(Table(
            f"Best-estimate count, {year} (top-down from CRA {estimate.top_down_year})",
            ["level", "amount", "£ per head"],
            [[control.read_levels(workspace)[k].label, v, topdown.per_head(v, estimate.population)]
             for k, v in levels.items()],
            [f"Agreed ledger figures replaced £{estimate.replaced:,.2f} of top-down council spending."]))
    return [section]


def _comparison(con: StoreConnection, workspace: Workspace) -> Section:
    result = compare.compare(con, workspace, None, {})
    names = [c.name for c in result.columns]
    table = Table(f"£ per head by function, {result.fiscal_year}", ["function", *names],
                  [[f, *result.per_head(f)] for f in result.functions] + [["Total", *result.total_per_head()]])
    section = Section("topdown-comparison", "Compared with the region, England and the pilots", tables=[table])
    years = topdown.require_loaded(con)
    if compare.PILOT_YEAR in years:
        place = compare.places(con, workspace, {workspace.settings.place.name: workspace.settings.place.areas},
                               compare.PILOT_YEAR)[0]
        mine = compare.compared(workspace, place, [p for p in compare.published() if p.pilot == "All pilots"])
        section.paragraphs += [f"{compare.PILOT_YEAR}, beside the Total Place pilots' published figures:"] + \
            mine.differences
        section.provenance += [f"Published figure {p.measure} = {p.value} {p.unit}: {p.source}, {p.section}"
                               for p in mine.published]
    return section


def _provenance(con: StoreConnection) -> Section:
    releases = con.execute("SELECT release, sha256, unit, years FROM topdown_release ORDER BY 1").fetchall()
    chosen = con.execute("SELECT fiscal_year, release, not_used FROM topdown_year ORDER BY 1").fetchall()
    notes = con.execute("SELECT count(*), sum(rows) FROM topdown_normalisation").fetchall()[0]
    lines = [f"CRA release {r}: SHA-256 {sha}, unit {unit}, years {years[0]} to {years[-1]}."
             for r, sha, unit, years in releases]
    lines += [f"{y}: from {r}" + (f" (newer; not used: {', '.join(n)})" if n else "") for y, r, n in chosen]
    lines.append(f"{notes[0]} kinds of CRA value were normalised (`totalplace topdown normalisation`).")
    lines.append("Control levels: rules/control_rules.csv and rules/control_levels.csv; drivers: "
                 "rules/topdown_drivers.csv (figures: totalplace/data/drivers or the workspace's drivers/); "
                 "method: regional identifiable spending shared by driver in whole pennies (largest remainder); "
                 "confidence low for population-shared lines, medium for other drivers, high for agreed ledger "
                 "figures.")
    return Section("topdown-provenance", "Sources of the top-down count", provenance=lines)



