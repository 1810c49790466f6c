"""The bottom-up count's sections of the place report: the ledgers counted, and how far they can be trusted.

Every figure comes from count.bottomup and count.coverage; ledgers are shown to the penny.
"""

from __future__ import annotations

import duckdb

from totalplace import display
from totalplace.count import bottomup, coverage, reconcile
from totalplace.present.charts import bar_chart, flow_chart
from totalplace.present.section import Chart, Section, year_line
from totalplace.present.tables import Reasons, Table
from totalplace.store.connection import connect
from totalplace.workspace import Workspace

TOP_ROWS = 12  # a chart reads well up to about a dozen bars; the table beside it has every row


def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    """The count by agency, theme and function for the year (or the nearest ledger year), and the data behind it."""
    if not workspace.store_path.exists():
        return []
    con = connect(workspace, read_only=True)
    try:
        years = bottomup.fiscal_years(con)
        if not years:
            return []
        used = reconcile.nearest_year(year, years) if year else years[-1]
        return [_count_section(con, workspace, used, year_line("Ledgers", used, year, "the ledgers")),
                _data_section(con, workspace)]
    finally:
        con.close()


def _count_section(con: duckdb.DuckDBPyConnection, workspace: Workspace, year: str, said: str) -> Section:
    by_agency = bottomup.count(con, workspace, "agency", year)
    by_theme = bottomup.count(con, workspace, "theme", year)
    by_cofog = bottomup.count(con, workspace, "cofog", year)
    by_transfer = bottomup.count(con, workspace, "transfer", year)
    population = by_agency.population
    money = display.money
    ledgers = ", ".join(f"{display.agency_name(workspace, r.key)}'s ledger" for r in by_agency.rows)
    recorded = (f"The agencies' own ledgers for {year} ({ledgers}) record {money(by_agency.total)} over "
                f"{by_agency.lines:,} payments")
    paragraphs = [
        f"{recorded}: {money(by_agency.per_head)} per head of a population of {population.value:,}."
        if population and by_agency.per_head is not None else f"{recorded}.",
        "These are the ledgers loaded, not all the public money in the place: the headline at the start of the "
        "report is the whole place, counted once.",
        f"{money(by_agency.within_count_transfers)} paid from one agency of the count to another is left out, "
        "so that it is counted once, by the agency that spends it.",
        f"{money(by_agency.pass_through)} of pass-through payments (precepts and levies paid over, sums paid over "
        "to central government, payments into the pension fund) is left out too: the body paid spends it. "
        "The table of payments to other public bodies shows them by kind.",
        "Months each agency's files cover in " + f"{year}: "
        + "; ".join(c.said(display.agency_name(workspace, c.agency_id)) for c in by_agency.coverage) + "."
        + (" A PART YEAR figure is a floor for the year, not an estimate of it." if by_agency.part_year else ""),
        "Published payment files list payments over £500 to suppliers; salaries, grants paid by other routes "
        "and small payments are not in them, so this is a floor, not the whole of an agency's spending.",
    ]
    charts = [_bar("Spending by Total Place theme", by_theme, workspace)]
    if len(by_agency.rows) > 1:  # one agency's bar, or its flow to themes, would only repeat the theme chart
        links = bottomup.flows(con, workspace, year)
        charts[:0] = [_bar("Spending by agency", by_agency, workspace)]
        charts.append(Chart("From agency to theme", flow_chart(links, ["agency", "theme"]),
                            Table("Money from each agency to each theme", ["agency", "theme", "amount"],
                                  [list(k) for k in links])))
    tables = [_table(f"Payments to other public bodies, and pass-through payments, {year}", by_transfer, workspace)]
    appendix = [_table(f"Spending by COFOG function, {year}", by_cofog, workspace)]
    if len(by_agency.rows) == 1:
        appendix.insert(0, _table(f"Spending by agency, {year}", by_agency, workspace))
    provenance = [
        f"Bottom-up count, {year}: the sum of loaded spend lines, classified by the workspace's rule tables; "
        f"method 'ledger', confidence high for what the files cover.",
        f"Population: {population.method}." if population else "Population: not available for this year.",
    ]
    return Section("count-bottom-up", f"The count from the agencies' ledgers, {year}", paragraphs, charts, tables,
                   provenance, year=said, appendix=appendix)


def _data_section(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> Section:
    balances = coverage.file_balances(con)
    months = coverage.month_coverage(con)
    years = coverage.agency_years(con)
    rejected = coverage.rejections(con)
    name = {b.agency_id: display.agency_name(workspace, b.agency_id) for b in balances}
    gaps = [f"{name.get(m.agency_id, m.agency_id)}, {display.month_name(m.month)}" for m in months if m.gap]
    paragraphs = [
        f"{display.plural(len(balances), 'file')} were loaded. For every file the rows and money read equal those "
        f"loaded plus those rejected; {display.plural(len(rejected), 'row')} were rejected, each with its reason.",
        f"Months with no file (unknown spending, not zero): {'; '.join(gaps) if gaps else 'none'}.",
    ]
    appendix = [
        Table("Files loaded", ["file", "agency", "period", "rows read", "rows loaded", "rows rejected",
                               "money read", "money loaded", "money rejected"],
              [[b.path, name[b.agency_id], b.period, b.rows_read, b.rows_loaded, b.rows_rejected, b.money_read,
                b.money_loaded, b.money_rejected] for b in balances]),
        Table("Months covered by each agency's files, by fiscal year",
              ["agency", "fiscal year", "months covered", "of", "months with no file", "part year"],
              [[display.agency_name(workspace, c.agency_id), c.fiscal_year, c.months_covered,
                c.months_covered + len(c.missing), ", ".join(map(display.month_name, c.missing)),
                "PART YEAR" if c.part_year else ""] for c in years]),
        Table("Rejected rows", ["file", "row", "column", "reason"],
              [[r.path, r.row_number, r.column_name, Reasons((r.reason,))] for r in rejected]),
    ]
    provenance = [f"Source file {b.path} ({name[b.agency_id]}): {b.rows_read:,} rows read." for b in balances]
    fiscal_years = bottomup.fiscal_years(con)
    said = f"Every file loaded, of every year: {', '.join(fiscal_years)}." if fiscal_years else "No files loaded yet."
    return Section("data", "The data behind the count", paragraphs, [], [], provenance, year=said,
                   appendix=[t for t in appendix if t.rows])


def _table(title: str, result: bottomup.Count, workspace: Workspace) -> Table:
    """The count's table, as the CLI prints it, with the agencies' part years said under it."""
    part = [c.said(display.agency_name(workspace, c.agency_id)) for c in result.coverage if c.part_year]
    return bottomup.count_table(result, workspace, title, [f"PART YEAR: {'; '.join(part)}"] if part else [])


def _bar(title: str, result: bottomup.Count, workspace: Workspace) -> Chart:
    top = result.rows[:TOP_ROWS]
    return Chart(title, bar_chart([display.key_name(workspace, result.by, r.key) for r in top],
                                  [r.amount for r in top]), _table(title, result, workspace))
