"""The bottom-up count's sections of the place report: the ledgers counted, and how far they can be trusted."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from totalplace.count import bottomup, coverage
from totalplace.display import agency_name
from totalplace.report.charts import bar_chart, flow_chart
from totalplace.report.section import Chart, Section
from totalplace.report.tables import Table
from totalplace.store.connection import StoreConnection, connect
from totalplace.workspace import Workspace

TOP_ROWS = 12  # a chart reads well up to about a dozen bars; the table beside it has every row


def report_sections(workspace: Workspace) -> list[Section]:
    """The count by agency, theme and function for the latest loaded year, and the data behind it."""
    if not workspace.store_path.exists():
        return []
    con = connect(workspace, read_only=True)
    try:
        if not bottomup.fiscal_years(con):
            return []
        return [_count_section(con, workspace), _data_section(con)]
    finally:
        con.close()


def _count_section(con: StoreConnection, workspace: Workspace) -> Section:
    by_agency = bottomup.count(con, workspace, "agency")
    by_theme = bottomup.count(con, workspace, "theme")
    by_cofog = bottomup.count(con, workspace, "cofog")
    by_transfer = bottomup.count(con, workspace, "transfer")
    year = by_agency.fiscal_year
    population = by_agency.population
    ledgers = ", ".join(f"{agency_name(workspace, r.key)}'s ledger" for r in by_agency.rows)
    paragraphs = [
        f"The agencies' own ledgers for {year} ({ledgers}) record £{by_agency.total:,.2f} over {by_agency.lines:,} "
        f"payments: £{by_agency.per_head:,.2f} per head of a population of {population.value:,}."
        if population and by_agency.per_head is not None
        else f"The agencies' own ledgers for {year} ({ledgers}) record £{by_agency.total:,.2f} over "
             f"{by_agency.lines:,} payments.",
        "These are the ledgers loaded, not all the public money in the place: the headline at the start of the "
        "report is the whole place, counted once.",
        f"£{by_agency.within_count_transfers:,.2f} paid from one agency of the count to another is left out, "
        "so that it is counted once, by the agency that spends it.",
        f"£{by_agency.pass_through:,.2f} of pass-through payments (precepts and levies paid over, sums paid over "
        "to central government, payments into the pension fund) is left out too: the body paid spends it. "
        "The table of payments to other public bodies shows them by kind.",
        "Months each agency's files cover in " + f"{year}: " + "; ".join(c.said() for c in by_agency.coverage) + "."
        + (" A PART YEAR figure is a floor for the year, not an estimate of it." if by_agency.part_year else ""),
        "Published payment files list payments over £500 to suppliers; salaries, grants paid by other routes "
        "and small payments are not in them, so this is a floor, not the whole of an agency's spending.",
    ]
    assert year is not None, "a count of the loaded lines is of their latest year"
    links = _agency_theme_links(con, year)
    charts = [
        _bar("Spending by agency", by_agency, "agency"),
        _bar("Spending by Total Place theme", by_theme, "theme"),
        Chart("From agency to theme", flow_chart(links, ["agency", "theme"]),
              Table("Money from each agency to each theme", ["agency", "theme", "amount"], [list(k) for k in links])),
    ]
    tables = [
        _countTable(f"Spending by COFOG function, {year}", by_cofog, label=True),
        _countTable(f"Payments to other public bodies, and pass-through payments, {year}", by_transfer),
    ]
    provenance = [
        f"Bottom-up count, {year}: the sum of loaded spend lines, classified by the workspace's rule tables; "
        f"method 'ledger', confidence high for what the files cover.",
        f"Population: {population.method}." if population else "Population: not available for this year.",
    ]
    return Section("count-bottom-up", f"The count from the agencies' ledgers, {year}", paragraphs, charts, tables,
                   provenance)


def _agency_theme_links(con: StoreConnection, year: str) -> list[tuple[str, str, Decimal]]:
    rows = con.execute(
        f"""SELECT s.agency_id, {bottomup.dimension('theme')}, sum(s.amount)
            FROM {bottomup.LINES} WHERE {bottomup.COUNTED_ONCE} AND s.fiscal_year = ?
            GROUP BY 1, 2 HAVING sum(s.amount) > 0 ORDER BY 3 DESC""",
        [year],
    ).fetchall()
    return [(agency, theme, amount) for agency, theme, amount in rows]


def _data_section(con: StoreConnection) -> Section:
    balances = coverage.file_balances(con)
    months = coverage.month_coverage(con)
    years = coverage.agency_years(con)
    rejected = coverage.rejections(con)
    gaps = [f"{m.agency_id} {m.month}" for m in months if m.gap]
    paragraphs = [
        f"{len(balances)} files were loaded. For every file the rows and money read equal those loaded "
        f"plus those rejected; {len(rejected):,} rows were rejected, each with its reason.",
        f"Months with no file (unknown spending, not zero): {', '.join(gaps) if gaps else 'none'}.",
    ]
    tables = [
        Table("Files loaded", ["file", "agency", "period", "rows read", "rows loaded", "rows rejected",
                                "money read", "money loaded", "money rejected"],
               [[b.path, b.agency_id, b.period, b.rows_read, b.rows_loaded, b.rows_rejected, b.money_read,
                 b.money_loaded, b.money_rejected] for b in balances]),
        Table("Months covered by each agency's files, by fiscal year",
              ["agency", "fiscal year", "months covered", "of", "months with no file", "part year"],
              [[c.agency_id, c.fiscal_year, c.months_covered, c.months_covered + len(c.missing),
                ", ".join(c.missing), "PART YEAR" if c.part_year else ""] for c in years]),
        Table("Rejected rows", ["file", "row", "column", "reason"],
               [[r.path, r.row_number, r.column_name, r.reason] for r in rejected]),
    ]
    provenance = [f"Source file {b.path} ({b.agency_id}): {b.rows_read:,} rows read." for b in balances]
    return Section("data", "The data behind the count", paragraphs, [], tables, provenance)


def _bar(title: str, result: bottomup.Count, key_name: str) -> Chart:
    top = result.rows[:TOP_ROWS]
    return Chart(title, bar_chart([r.label for r in top], [r.amount for r in top]),
                 _countTable(title, result, key_name=key_name))


def _countTable(title: str, result: bottomup.Count, label: bool = False, key_name: str | None = None) -> Table:
    columns = [key_name or result.by] + (["name"] if label else []) + ["amount", "lines", "£ per head", "share"]
    rows = [[r.key] + ([r.label] if label else []) + [r.amount, r.lines, r.per_head, r.share] for r in result.rows]
    if result.by == "transfer":
        columns.append("counted as")
        for row, r in zip(rows, result.rows):
            row.append("spending" if r.counted else "pass-through: not spending")
    notes = [f"PART YEAR: {'; '.join(c.said() for c in result.coverage if c.part_year)}"] if result.part_year else []
    return Table(title, columns, rows, notes)
