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
from rapidfuzz import fuzz, process

from totalplace.classify.rules import cofog_codes
from totalplace.count.population import Population, population
from totalplace.errors import InputError
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
TIME_ORDERED = {"month", "year"}  # dimensions read in date order, not largest first
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
    order = (lambda r: r[0]) if by in TIME_ORDERED else (lambda r: (-r[1], r[0]))
    grouped = sorted(((k, a, n) for k, a, n, _ in by_key if n), key=order)
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


def figure_key(con: duckdb.DuckDBPyConnection, by: str, key: str, year: str | None = None) -> str:
    """The key of a figure as the count writes it, for a key a person typed: matched ignoring
    case, and a near miss named ('did you mean'), a key far from any listing the keys."""
    fiscal_year = choose_year(con, year)
    where, params = figure_filter(by, None, fiscal_year)
    keys = [r[0] for r in con.execute(f"SELECT DISTINCT {dimension(by)} FROM {LINES} WHERE {where}", params).fetchall()]
    if key in keys:
        return key
    same = [k for k in keys if k.casefold() == key.casefold()]
    if same:
        return same[0]
    near = process.extractOne(key, keys, scorer=fuzz.WRatio, processor=str.casefold, score_cutoff=75)
    hint = f"did you mean {near[0]!r}?" if near else f"the keys are: {', '.join(sorted(keys)[:12])}" + (
        ", ..." if len(keys) > 12 else "")
    raise InputError(f"no {by} {key!r} in the count of {fiscal_year or 'all years'}; {hint}")


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
        f"""SELECT f.path, s.row_number, s.agency_id,
                   CASE WHEN s.date_precision = 'month' THEN strftime(s.payment_date, '%Y-%m')
                        ELSE strftime(s.payment_date, '%Y-%m-%d') END,
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
