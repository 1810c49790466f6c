"""The top-down count's sections of the place report: headline, breakdowns, trend, reconciliation, comparison.

Every figure here comes from the service functions in count.topdown, count.trend,
count.reconcile and count.compare; this module only arranges them. Top-down
figures are apportioned, so people read them rounded (£4.83bn, £8,935 a head);
the tables and downloads keep them to the penny.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

from totalplace import display
from totalplace.classify import control
from totalplace.count import compare, reconcile, topdown, trend
from totalplace.errors import InputError
from totalplace.present.charts import flow_chart, line_chart, stacked_share_bar
from totalplace.present.section import SAY, Chart, Finding, Section, year_line
from totalplace.present.tables import Reasons, Table
from totalplace.store.connection import connect
from totalplace.workspace import Workspace

ROUNDED = display.ROUNDED
BY_THE_CRA = "the Treasury's regional analysis"


def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    """The top-down sections for the report's year (the nearest CRA year standing in where it has none)."""
    if not workspace.store_path.exists():
        return []
    con = connect(workspace, read_only=True)  # the top-down count works in temporary tables only
    try:
        if not topdown.has_lines(con):
            return [Section("topdown", "The whole place, top-down",
                            ["No CRA is loaded: run `totalplace topdown load` to add the top-down count."])]
        cra_year = reconcile.nearest_year(year, topdown.require_loaded(con)) if year else None
        areas = workspace.settings.place.areas
        by_control = topdown.count(con, workspace, areas, cra_year, "control")
        said = year_line("Top-down figures", by_control.fiscal_year, year, BY_THE_CRA)
        beside = compare.compare(con, workspace, by_control.fiscal_year, {})
        sections = [_headline(con, workspace, by_control, beside, said),
                    _breakdowns(con, workspace, areas, by_control.fiscal_year, said),
                    _trend(con, workspace, areas)]
        sections += _reconciliation(con, workspace, year)
        sections.append(_comparison(con, workspace, beside, said))
        sections.append(_provenance(con))
        return sections
    finally:
        con.close()


def _money(amount: Decimal | None) -> str:
    return display.money(amount, ROUNDED)


def _flow_chart(con: duckdb.DuckDBPyConnection, workspace: Workspace, result: topdown.TopdownCount) -> Chart:
    """From funder (department) to who decides (level of control) to function."""
    links = topdown.flows(con, workspace, result.areas, result.fiscal_year)
    table = Table(f"From funder to level of control to function, {result.fiscal_year}",
                  ["department", "level of control", "function", "amount"], [list(link) for link in links],
                  precision=ROUNDED)
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


def _headline(con: duckdb.DuckDBPyConnection, workspace: Workspace, result: topdown.TopdownCount,
              beside: compare.Comparison, said: str) -> Section:
    say = topdown.local_say(result, workspace)
    inside = control.local_say_levels(workspace)
    say_amount = sum((r.amount for r in result.rows if r.key in inside), Decimal(0))
    place = workspace.settings.place.name
    table = Table(f"The sliding scale of control, {result.fiscal_year}", ["level", "amount", "£ per head", "share"],
                  [[r.label, r.amount, r.per_head, r.share] for r in result.rows], precision=ROUNDED)
    chart = Chart("The sliding scale of control", stacked_share_bar(
        [r.label for r in result.rows], [r.amount for r in result.rows],
        f"{place}, {result.fiscal_year}: share of the money at each level of control"), table)
    others = ", ".join(f"{c.name} {_money(p)}" for c, p in zip(beside.columns[1:], beside.total_per_head()[1:]))
    headline = (f"Top-down, {result.fiscal_year}: {_money(result.total)} of identifiable public spending in {place}, "
                f"{_money(result.per_head)} per head; beside it, per head: {others}.")
    say_text = (f"Of the top-down count for {result.fiscal_year}, {place} has a say over {say.share:.0%} "
                f"({_money(say_amount)}); the local NHS spends {say.nhs_share:.0%} beside that, and the council's own "
                f"discretion is {say.council_discretion_share:.0%}.")
    return Section(
        "topdown-headline", "The whole place: how much, and how much say",
        [headline, f"{say_text} {say.definition}.", *[f"Missing: {m.words}." for m in result.missing]],
        charts=[chart, _flow_chart(con, workspace, result)],
        tables=[table],
        provenance=[*result.provenance(),
                    f"Not counted: spending with no region, {_money(result.not_identifiable_per_head)} per head of "
                    f"{topdown.NOT_IDENTIFIABLE_PEOPLE}."],
        year=said, findings=[Finding(SAY, say_text, say_amount)])


def _trend(con: duckdb.DuckDBPyConnection, workspace: Workspace, areas: list[str]) -> Section:
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
    table.precision = ROUNDED
    first, last = result.years[0], result.years[-1]
    return Section(
        "topdown-trend", "Year after year",
        [f"From {first.fiscal_year} to {last.fiscal_year}, identifiable public spending in {name} went from "
         f"{_money(first.per_head_real)} to {_money(last.per_head_real)} per head in {result.base_year} prices "
         f"({_money(first.per_head_cash)} to {_money(last.per_head_cash)} in cash).",
         "Dashed lines mark a new CRA release: each release revises the years before it, so a step at a break "
         "may be a revision, not a change in spending."],
        charts=[Chart("The top-down count year after year", chart, table)],
        provenance=table.notes,
        year=f"Every year the CRA covers, {first.fiscal_year} to {last.fiscal_year}, in {result.base_year} prices.")


def _breakdowns(con: duckdb.DuckDBPyConnection, workspace: Workspace, areas: list[str], year: str,
                said: str) -> Section:
    tables = []
    for by, title in (("department", "By department"), ("function", "By function")):
        result = topdown.count(con, workspace, areas, year, by)
        tables.append(Table(f"{title}, {year}", [by, "amount", "£ per head", "share"],
                            [[r.label, r.amount, r.per_head, r.share] for r in result.rows], precision=ROUNDED))
    return Section("topdown-breakdown", "Where the money goes (top-down)", tables=tables, year=said)


def _reconciliation(con: duckdb.DuckDBPyConnection, workspace: Workspace, year: str | None) -> list[Section]:
    try:
        rows = reconcile.reconcile(con, workspace, year)
    except InputError:
        return []
    table = Table("The council's ledger beside the top-down council figure",
                  ["agency", "function (COFOG)", "ledger year", "CRA year", "bottom-up", "top-down", "gap", "agreed",
                   "likely causes (notes below)"],
                  [[display.agency_name(workspace, r.agency), r.function if r.cofog == r.function
                    else f"{r.cofog} {r.function}", r.bottom_up_year, r.top_down_year,
                    r.bottom_up, "missing" if r.top_down is None else r.top_down, "" if r.gap is None else r.gap,
                    "agreed" if r.agreed else "", Reasons(r.causes)] for r in rows],
                  precision=ROUNDED, precisions={"bottom-up": display.PENNY})
    ledger_years = sorted({r.bottom_up_year for r in rows})
    cra_years = sorted({r.top_down_year for r in rows})
    section = Section("reconciliation", "Reconciliation: ledgers beside the top-down count",
                      ["Bottom-up is the council's payments, counted once, to the penny; top-down is the CRA lines "
                       "its ledger would hold, shared by their drivers and rounded ('missing' where the CRA year has "
                       "no such line). Agreed figures (agreed.csv) replace top-down ones in the best estimate, so "
                       "nothing is counted twice."], tables=[table],
                      year=f"Ledgers of {', '.join(ledger_years)} beside the CRA's {', '.join(cra_years)}"
                           + ("" if ledger_years == cra_years else ": the nearest year the CRA covers stands in")
                           + ".")
    for ledger_year in sorted({r.bottom_up_year for r in rows if r.agreed}):
        estimate = reconcile.best_estimate(con, workspace, ledger_year)
        levels = reconcile.by_control(estimate)
        section.tables.append(Table(
            f"Best-estimate count, {ledger_year} (top-down from CRA {estimate.top_down_year})",
            ["level", "amount", "£ per head"],
            [[control.read_levels(workspace)[k].label, v, topdown.per_head(v, estimate.population)]
             for k, v in levels.items()],
            [f"Agreed ledger figures replaced {_money(estimate.replaced)} of top-down council spending."],
            precision=ROUNDED))
    return [section]


def _comparison(con: duckdb.DuckDBPyConnection, workspace: Workspace, result: compare.Comparison,
                said: str) -> Section:
    names = [c.name for c in result.columns]
    table = Table(f"£ per head by function, {result.fiscal_year}", ["function", *names],
                  [[f, *result.per_head(f)] for f in result.functions] + [["Total", *result.total_per_head()]],
                  precision=ROUNDED)
    section = Section("topdown-comparison", "Compared with the region, England and the pilots", tables=[table],
                      year=said)
    years = topdown.require_loaded(con)
    if compare.PILOT_YEAR in years:
        place = compare.places(con, workspace, {workspace.settings.place.name: workspace.settings.place.areas},
                               compare.PILOT_YEAR)[0]
        mine = compare.compared(workspace, place, [p for p in compare.published() if p.pilot == "All pilots"])
        section.paragraphs += [f"{compare.PILOT_YEAR}, beside the Total Place pilots' published figures:"] + \
            mine.differences
        section.provenance += [f"Published figure: {p.quote} ({p.source}, {p.section})" for p in mine.published]
    return section


def _provenance(con: duckdb.DuckDBPyConnection) -> Section:
    releases = con.execute("SELECT release, sha256, unit, years FROM topdown_release ORDER BY 1").fetchall()
    chosen = con.execute("SELECT fiscal_year, release, not_used FROM topdown_year ORDER BY 1").fetchall()
    notes = con.execute("SELECT count(*), sum(rows) FROM topdown_normalisation").fetchall()[0]
    lines = [f"{display.release_name(r)}: SHA-256 {sha}, unit {unit}, years {years[0]} to {years[-1]}."
             for r, sha, unit, years in releases]
    lines += [f"{y}: from {display.release_name(r)}"
              + (f" (newer; not used: {', '.join(map(display.release_name, n))})" if n else "") for y, r, n in chosen]
    lines.append(f"{notes[0]} kinds of CRA value were normalised (`totalplace topdown normalisation`).")
    lines.append("Control levels: rules/control_rules.csv and rules/control_levels.csv; drivers: "
                 "rules/topdown_drivers.csv (the figures shipped with totalplace, or the workspace's drivers/); "
                 "method: regional identifiable spending shared by driver in whole pennies (largest remainder); "
                 "confidence low for population-shared lines, medium for other drivers, high for agreed ledger "
                 "figures.")
    return Section("topdown-provenance", "The top-down count: sources", provenance=lines)
