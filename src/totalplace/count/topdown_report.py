"""The top-down count's sections of the place report: headline, breakdowns, reconciliation, comparison, provenance.

Every figure here comes from the service functions in count.topdown,
count.reconcile and count.compare; this module only arranges them.
"""

from __future__ import annotations

import io

import duckdb

from totalplace.classify import control
from totalplace.count import compare, reconcile, topdown
from totalplace.errors import InputError
from totalplace.report.section import Chart, Section
from totalplace.report.tables import Table
from totalplace.store.connection import connect
from totalplace.workspace import Workspace


def report_sections(workspace: Workspace) -> list[Section]:
    con = connect(workspace)
    try:
        topdown.create_tables(con)
        if not con.execute("SELECT count(*) FROM topdown_line").fetchall()[0][0]:
            return [Section("topdown", "The whole place, top-down",
                            ["No CRA is loaded: run `totalplace topdown load FILE.xlsx` to add the top-down count."])]
        areas = workspace.settings.place.areas
        by_control = topdown.count(con, workspace, areas, None, "control")
        sections = [_headline(workspace, by_control), _breakdowns(con, workspace, areas, by_control.fiscal_year)]
        sections += _reconciliation(con, workspace)
        sections.append(_comparison(con, workspace))
        sections.append(_provenance(con))
        return sections
    finally:
        con.close()


def _bar_svg(title: str, labels: list[str], values: list[float]) -> str:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 0.5 * len(labels) + 1))
    axes.barh(labels[::-1], values[::-1], color="#1d70b8")
    axes.set_xlabel("£ per head")
    axes.set_title(title, loc="left", fontsize=10)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    pyplot.close(figure)
    return buffer.getvalue()


def _headline(workspace: Workspace, result: topdown.TopdownCount) -> Section:
    say = sum(r.share for r in result.rows if r.key in control.LOCAL_SAY)
    table = Table(f"The sliding scale of control, {result.fiscal_year}", ["level", "amount", "£ per head", "share"],
                  [[r.label, r.amount, r.per_head, r.share] for r in result.rows])
    chart = Chart("£ per head by level of control", _bar_svg(
        f"{workspace.settings.place.name}, {result.fiscal_year}: £ per head by level of control",
        [r.label for r in result.rows], [float(r.per_head or 0) for r in result.rows]), table)
    return Section(
        "topdown-headline", "The whole place: how much, and how much say",
        [f"Top-down, {result.fiscal_year}: £{result.total:,.0f} of identifiable public spending, "
         f"£{result.per_head:,.0f} per head of {result.population:,} people.",
         f"The place has a say (council or other local public bodies) over {say:.0%} of it; "
         f"the council's own discretion is {result.rows[0].share:.0%}."],
        charts=[chart],
        provenance=[f"Population: {result.population_method}.",
                    f"Not counted: spending with no region, £{result.not_identifiable_per_head:,.2f} per head."])


def _breakdowns(con: duckdb.DuckDBPyConnection, workspace: Workspace, areas: list[str], year: str) -> Section:
    tables = []
    for by, title in (("department", "By department"), ("function", "By function")):
        result = topdown.count(con, workspace, areas, year, by)
        tables.append(Table(f"{title}, {year}", [by, "amount", "£ per head", "share"],
                            [[r.label, r.amount, r.per_head, r.share] for r in result.rows]))
    return Section("topdown-breakdown", "Where the money goes (top-down)", tables=tables)


def _reconciliation(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> list[Section]:
    try:
        rows = reconcile.reconcile(con, workspace)
    except InputError:
        return []
    table = Table("The council's ledger beside the top-down council figure",
                  ["agency", "cofog", "function", "ledger year", "CRA year", "bottom-up", "top-down", "gap", "agreed",
                   "likely causes"],
                  [[r.agency, r.cofog, r.function, r.bottom_up_year, r.top_down_year, r.bottom_up, r.top_down, r.gap,
                    "agreed" if r.agreed else "", "; ".join(r.causes)] for r in rows])
    section = Section("reconciliation", "Reconciliation: ledgers beside the top-down count",
                      ["Bottom-up is the council's payments, counted once; top-down is the CRA lines its ledger "
                       "would hold, shared by population. Agreed figures (agreed.csv) replace top-down ones in the "
                       "best estimate, so nothing is counted twice."], tables=[table])
    for year in sorted({r.bottom_up_year for r in rows if r.agreed}):
        estimate = reconcile.best_estimate(con, workspace, year)
        levels = reconcile.by_control(estimate)
        section.tables.append(Table(
            f"Best-estimate count, {year} (top-down from CRA {estimate.top_down_year})",
            ["level", "amount", "£ per head"],
            [[control.LEVELS[k], v, topdown.per_head(v, estimate.population)] for k, v in levels.items()],
            [f"Agreed ledger figures replaced £{estimate.replaced:,.2f} of top-down council spending."]))
    return [section]


def _comparison(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> Section:
    result = compare.compare(con, workspace, None, {})
    names = [c.name for c in result.columns]
    table = Table(f"£ per head by function, {result.fiscal_year}", ["function", *names],
                  [[f, *result.per_head(f)] for f in result.functions] + [["Total", *result.total_per_head()]])
    section = Section("topdown-comparison", "Compared with the region, England and the pilots", tables=[table])
    years = topdown.require_loaded(con)
    if compare.PILOT_YEAR in years:
        place = compare.places(con, workspace, {workspace.settings.place.name: workspace.settings.place.areas},
                               compare.PILOT_YEAR)[0]
        mine = compare.PilotComparison(place.name, place, [p for p in compare.published() if p.pilot == "All pilots"])
        mine.differences = compare.differences(mine)
        section.paragraphs += [f"{compare.PILOT_YEAR}, beside the Total Place pilots' published figures:"] + \
            mine.differences
        section.provenance += [f"Published figure {p.measure} = {p.value} {p.unit}: {p.source}, {p.section}"
                               for p in mine.published]
    return section


def _provenance(con: duckdb.DuckDBPyConnection) -> Section:
    releases = con.execute("SELECT release, sha256, unit, years FROM topdown_release ORDER BY 1").fetchall()
    chosen = con.execute("SELECT fiscal_year, release, not_used FROM topdown_year ORDER BY 1").fetchall()
    notes = con.execute("SELECT count(*), sum(rows) FROM topdown_normalisation").fetchall()[0]
    lines = [f"CRA release {r}: SHA-256 {sha}, unit {unit}, years {years[0]} to {years[-1]}."
             for r, sha, unit, years in releases]
    lines += [f"{y}: from {r}" + (f" (newer; not used: {', '.join(n)})" if n else "") for y, r, n in chosen]
    lines.append(f"{notes[0]} kinds of CRA value were normalised (`totalplace topdown normalisation`).")
    lines.append("Control levels: rules/control_rules.csv; drivers: rules/topdown_drivers.csv; "
                 "method: regional identifiable spending shared by driver in whole pennies (largest remainder); "
                 "confidence low for population-shared lines, high for agreed ledger figures.")
    return Section("topdown-provenance", "Sources of the top-down count", provenance=lines)



