"""The bottom-up count: agencies' ledger lines added up by a dimension, with £ per head.

A payment from one agency of the count to another is money the payee's own
ledger spends again, so it is left out here and shown as a transfer within
the count: every pound is counted once. Payments to public bodies outside
the count stay in, flagged with the kind of body paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from totalplace import display
from totalplace.classify.rules import cofog_codes
from totalplace.count.population import Population, population
from totalplace.errors import InputError
from totalplace.report.tables import Table
from totalplace.store.connection import fetch_one
from totalplace.workspace import Workspace

UNCLASSIFIED = "Unclassified"
DIMENSIONS = {
    "agency": "s.agency_id",
    "theme": f"coalesce(s.theme, '{UNCLASSIFIED}')",
    "cofog": f"coalesce(s.cofog, '{UNCLASSIFIED}')",
    "month": "strftime(s.payment_date, '%Y-%m')",
    "supplier": "coalesce(s.supplier_name, '(no supplier named)')",
    "transfer": "coalesce(s.transfer_kind, 'not a public body')",
    "service": "coalesce(s.service_label, '(no service named)')",
    "year": "s.fiscal_year",
}
CODED = ("agency", "cofog", "month", "transfer")  # dimensions whose keys are codes: people read names beside them
COUNTED_ONCE = "(s.counterpart_agency IS NULL OR s.counterpart_agency = s.agency_id)"
LINES = "spend_line s"  # each line carries its classification: no join to make


@dataclass(frozen=True)
class CountRow:
    key: str
    label: str
    amount: Decimal
    lines: int
    per_head: Decimal | None
    share: float


@dataclass(frozen=True)
class Count:
    by: str
    fiscal_year: str | None
    rows: list[CountRow]
    total: Decimal
    lines: int
    within_count_transfers: Decimal
    population: Population | None

    @property
    def per_head(self) -> Decimal | None:
        return per_head(self.total, self.population)


def per_head(amount: Decimal, pop: Population | None) -> Decimal | None:
    if pop is None or pop.value <= 0:
        return None
    return (amount / pop.value).quantize(Decimal("0.01"))


def fiscal_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT fiscal_year FROM spend_line ORDER BY 1").fetchall()]


def choose_year(con: duckdb.DuckDBPyConnection, year: str | None) -> str | None:
    """The year asked for, 'all' for every year, or by default the latest year loaded."""
    years = fiscal_years(con)
    if not years:
        raise InputError("the store has no spend lines yet: run `totalplace ingest` first")
    if year is None:
        return years[-1]
    if year == "all":
        return None
    if year not in years:
        raise InputError(f"no spending loaded for {year!r}; years loaded: {', '.join(years)}")
    return year


def dimension(by: str) -> str:
    if by not in DIMENSIONS:
        raise InputError(f"cannot count by {by!r}; choose one of {', '.join(DIMENSIONS)}")
    return DIMENSIONS[by]


def figure_filter(by: str, key: str | None, fiscal_year: str | None) -> tuple[str, list]:
    """The WHERE clause (and its parameters) that selects the lines behind a figure."""
    clauses, params = [COUNTED_ONCE], []
    if fiscal_year:
        clauses.append("s.fiscal_year = ?")
        params.append(fiscal_year)
    if key is not None:
        clauses.append(f"{dimension(by)} = ?")
        params.append(key)
    return " AND ".join(clauses), params


def count(con: duckdb.DuckDBPyConnection, workspace: Workspace, by: str, year: str | None = None) -> Count:
    """Total spending by one dimension, counted once, with £ per head for a single year."""
    fiscal_year = choose_year(con, year)
    year_clause, year_params = ("s.fiscal_year = ?", [fiscal_year]) if fiscal_year else ("TRUE", [])
    # One pass over the lines gives both the figures and the transfers left out of them.
    by_key = con.execute(
        f"""SELECT {dimension(by)} AS key,
                   sum(s.amount) FILTER (WHERE {COUNTED_ONCE}) AS amount,
                   count(*) FILTER (WHERE {COUNTED_ONCE}) AS lines,
                   coalesce(sum(s.amount) FILTER (WHERE NOT {COUNTED_ONCE}), 0) AS within
            FROM {LINES} WHERE {year_clause} GROUP BY 1""",
        year_params,
    ).fetchall()
    grouped = sorted(((k, a, n) for k, a, n, _ in by_key if n), key=lambda r: (-r[1], r[0]))
    within = sum((r[3] for r in by_key), Decimal(0))
    pop = population(workspace, fiscal_year) if fiscal_year else None
    total = sum((Decimal(r[1]) for r in grouped), Decimal(0))
    labels = cofog_codes() if by == "cofog" else {}
    rows = [
        CountRow(
            key=key, label=labels.get(key, key), amount=amount, lines=lines,
            per_head=per_head(amount, pop),
            share=float(amount / total) if total else 0.0,
        )
        for key, amount, lines in grouped
    ]
    return Count(by, fiscal_year, rows, total, sum(r.lines for r in rows), within, pop)


def count_table(result: Count, workspace: Workspace, title: str, notes: list[str] | None = None) -> Table:
    """A count as the CLI prints it and the report shows it: a coded key with its name beside it."""
    coded = result.by in CODED
    columns = [result.by] + (["name"] if coded else []) + ["amount", "lines", "£ per head", "share"]
    rows = [[r.key] + ([display.key_name(workspace, result.by, r.key)] if coded else [])
            + [r.amount, r.lines, r.per_head, r.share] for r in result.rows]
    return Table(title, columns, rows, notes or [])


def flows(con: duckdb.DuckDBPyConnection, workspace: Workspace, year: str) -> list[tuple[str, str, Decimal]]:
    """Money from each agency to each theme in a year, counted once (agencies by name), for a flow diagram.

    A band cannot be negative: an agency's net receipts on a theme stay in the count by theme and agency.
    """
    rows = con.execute(
        f"""SELECT s.agency_id, {dimension('theme')}, sum(s.amount)
            FROM {LINES} WHERE {COUNTED_ONCE} AND s.fiscal_year = ?
            GROUP BY 1, 2 HAVING sum(s.amount) > 0 ORDER BY 3 DESC""",
        [year],
    ).fetchall()
    return [(display.agency_name(workspace, agency), theme, amount) for agency, theme, amount in rows]


@dataclass(frozen=True)
class TracedLine:
    path: str
    row_number: int
    agency_id: str
    payment_date: str
    supplier_name: str | None
    service: str
    expense: str
    amount: Decimal
    rule_id: str | None
    transfer_rule: str | None


def trace(con: duckdb.DuckDBPyConnection, by: str, key: str, year: str | None = None,
          limit: int | None = None) -> tuple[list[TracedLine], Decimal, int]:
    """The source rows behind one figure of a count: file, row and rule; with their sum."""
    fiscal_year = choose_year(con, year)
    where, params = figure_filter(by, key, fiscal_year)
    total, lines = fetch_one(con, f"SELECT coalesce(sum(s.amount), 0), count(*) FROM {LINES} WHERE {where}", params)
    rows = con.execute(
        f"""SELECT f.path, s.row_number, s.agency_id, strftime(s.payment_date, '%Y-%m-%d'),
                   s.supplier_name,
                   concat_ws(' / ', s.service_label, s.service_division),
                   concat_ws(' / ', s.expense_category, s.expense_type),
                   s.amount, s.rule_id, s.transfer_rule
            FROM {LINES} JOIN source_file f USING (file_id)
            WHERE {where} ORDER BY abs(s.amount) DESC, f.path, s.row_number
            {f'LIMIT {int(limit)}' if limit else ''}""",
        params,
    ).fetchall()
    return [TracedLine(*r) for r in rows], total, lines
