"""The bottom-up count: agencies' ledger lines added up by a dimension, with £ per head.

A payment from one agency of the count to another is money the payee's own
ledger spends again, so it is left out here and shown as a transfer within
the count: every pound is counted once. A pass-through payment (a precept or
levy paid over, business rates paid over to central government, a payment into
the pension fund) is not spending on services either: the body paid spends it.
It is left out of the spending and shown apart, with its kind (`--by transfer`).
Other payments to public bodies outside the count stay in, flagged with the kind
of body paid.

Each count says how many months of each agency's year its files cover; a part
year is flagged, and `annualise` scales each agency's figures to twelve months,
labelled as an estimate with its method.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from rapidfuzz import fuzz, process

from totalplace import display
from totalplace.classify.pass_through import PASS_THROUGH_LABELS
from totalplace.classify.rules import cofog_codes
from totalplace.count.coverage import AgencyYear, agency_years
from totalplace.count.population import Population, population
from totalplace.errors import InputError, one_of
from totalplace.money import per_head, to_pennies
from totalplace.present.tables import Table
from totalplace.store.connection import StoreConnection, fetch_aggregate
from totalplace.workspace import Workspace

UNCLASSIFIED = "Unclassified"
PASS_THROUGH_KEY = "pass-through: "
_PASS_THROUGH_LABEL = "CASE s.pass_through " + " ".join(
    f"WHEN '{kind}' THEN '{label}'" for kind, label in PASS_THROUGH_LABELS.items()) + " ELSE s.pass_through END"
DIMENSIONS = {
    "agency": "s.agency_id",
    "theme": f"coalesce(s.theme, '{UNCLASSIFIED}')",
    "cofog": f"coalesce(s.cofog, '{UNCLASSIFIED}')",
    "month": "strftime(s.payment_date, '%Y-%m')",
    "supplier": "coalesce(s.supplier_name, '(no supplier named)')",
    "transfer": f"CASE WHEN s.pass_through IS NOT NULL THEN '{PASS_THROUGH_KEY}' || {_PASS_THROUGH_LABEL} "
                "ELSE coalesce(s.transfer_kind, 'not a public body') END",
    "service": "coalesce(s.service_label, '(no service named)')",
    "year": "s.fiscal_year",
}
CODED = ("agency", "cofog", "month", "transfer")  # dimensions whose keys are codes: people read names beside them
TIME_ORDERED = {"month", "year"}  # dimensions read in date order, not largest first
NOT_WITHIN = "(s.counterpart_agency IS NULL OR s.counterpart_agency = s.agency_id)"  # not paid to another agency of it
COUNTED_ONCE = f"({NOT_WITHIN} AND s.pass_through IS NULL)"  # spending on services, each pound once
MONTHS = 12
LINES = "spend_line s"  # each line carries its classification: no join to make


@dataclass(frozen=True)
class CountRow:
    key: str
    label: str
    amount: Decimal
    lines: int
    per_head: Decimal | None
    share: float
    counted: bool = True  # False: a pass-through payment, shown by `--by transfer` but not spending


@dataclass(frozen=True)
class Count:
    by: str
    fiscal_year: str | None
    rows: list[CountRow]
    total: Decimal            # spending on services, counted once
    lines: int
    within_count_transfers: Decimal
    population: Population | None
    pass_through: Decimal = Decimal(0)          # paid over to other bodies: not in the total
    coverage: list[AgencyYear] = field(default_factory=list)  # each agency's months of the year (one year only)
    estimate: str | None = None                 # set when annualised: the method, said as an estimate

    @property
    def per_head(self) -> Decimal | None:
        return per_head(self.total, self.population.value if self.population else None)

    @property
    def part_year(self) -> bool:
        """Whether some agency's files cover less than the whole year."""
        return any(c.part_year for c in self.coverage)


def fiscal_years(con: StoreConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT fiscal_year FROM spend_line ORDER BY 1").fetchall()]


def choose_year(con: StoreConnection, year: str | None) -> str | None:
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
    return DIMENSIONS[one_of(by, DIMENSIONS, "count by")]


def scope(by: str) -> str:
    """The lines a count by this dimension adds up: spending; by transfer, pass-through payments too."""
    return NOT_WITHIN if by == "transfer" else COUNTED_ONCE


def figure_filter(by: str, key: str | None, fiscal_year: str | None,
                  cuts: Mapping[str, str] | None = None) -> tuple[str, list]:
    """The WHERE clause (and its parameters) that selects the lines behind a figure.

    `cuts` narrow the lines by any other dimensions (as {"agency": "bradford-council"}),
    the way a drill-down or a role's view asks: one filter for counts and traces alike.
    """
    clauses, params = [scope(by)], []
    if fiscal_year:
        clauses.append("s.fiscal_year = ?")
        params.append(fiscal_year)
    if key is not None:
        clauses.append(f"{dimension(by)} = ?")
        params.append(key)
    # Cuts are added, never merged with the key: a cut by agency holds even when the figure is another agency's.
    narrowing, narrowing_params = _cut_clause(cuts)
    return " AND ".join([*clauses, narrowing]), [*params, *narrowing_params]


def count(con: StoreConnection, workspace: Workspace, by: str, year: str | None = None,
          annualise: bool = False, cuts: Mapping[str, str] | None = None) -> Count:
    """Total spending by one dimension, counted once, with £ per head and coverage for a single year.

    With `annualise`, each agency's part of each figure is scaled to the full year
    (12 / the months its files cover), to the penny: an estimate, and said to be one.
    With `cuts`, only the lines of those keys of other dimensions (figure_filter).
    """
    fiscal_year = choose_year(con, year)
    narrowing, narrowing_params = _cut_clause(cuts)
    year_clause, year_params = ("s.fiscal_year = ?", [fiscal_year]) if fiscal_year else ("TRUE", [])
    year_clause, year_params = f"{year_clause} AND {narrowing}", [*year_params, *narrowing_params]
    # One pass over the lines gives the figures, the transfers within the count and the pass-through payments.
    cells = con.execute(
        f"""SELECT {dimension(by)} AS key, s.agency_id,
                   sum(s.amount) FILTER (WHERE {scope(by)}) AS amount,
                   count(*) FILTER (WHERE {scope(by)}) AS lines,
                   coalesce(sum(s.amount) FILTER (WHERE NOT {NOT_WITHIN}), 0) AS within,
                   coalesce(sum(s.amount) FILTER (WHERE {NOT_WITHIN} AND s.pass_through IS NOT NULL), 0) AS passing
            FROM {LINES} WHERE {year_clause} GROUP BY 1, 2""",
        year_params,
    ).fetchall()
    covered = [c for c in (agency_years(con, fiscal_year) if fiscal_year else [])
               if (cuts or {}).get("agency", c.agency_id) == c.agency_id]
    factors = _annual_factors(covered) if annualise and fiscal_year else {}
    grouped: dict[str, tuple[Decimal, int]] = {}
    for key, agency, amount, lines, _, _ in cells:
        if lines:
            before = grouped.get(key, (Decimal(0), 0))
            grouped[key] = (before[0] + _scaled(amount, factors.get(agency)), before[1] + lines)
    within = sum((Decimal(c[4]) for c in cells), Decimal(0))
    passing = sum((_scaled(Decimal(c[5]), factors.get(c[1])) for c in cells), Decimal(0))
    in_order = (lambda kv: kv[0]) if by in TIME_ORDERED else (lambda kv: (-kv[1][0], kv[0]))
    order = sorted(grouped.items(), key=in_order)
    pop = population(workspace, fiscal_year) if fiscal_year else None
    total = sum((a for k, (a, _) in order if not k.startswith(PASS_THROUGH_KEY)), Decimal(0))
    paid_out = total + passing if by == "transfer" else total
    labels = cofog_codes() if by == "cofog" else {}
    rows = [
        CountRow(key=key, label=labels.get(key, key), amount=amount, lines=lines, per_head=per_head(amount, pop.value if pop else None),
                 share=float(amount / paid_out) if paid_out else 0.0, counted=not key.startswith(PASS_THROUGH_KEY))
        for key, (amount, lines) in order
    ]
    return Count(by, fiscal_year, rows, total, sum(r.lines for r in rows if r.counted), within, pop, passing,
                 covered, _estimate_method(covered, factors) if factors else None)


def _cut_clause(cuts: Mapping[str, str] | None) -> tuple[str, list]:
    clauses = [f"{dimension(name)} = ?" for name in (cuts or {})]
    return (" AND ".join(clauses) or "TRUE"), list((cuts or {}).values())


def _annual_factors(covered: list[AgencyYear]) -> dict[str, tuple[int, int]]:
    """Each agency's scale to the full year, as (12, months covered); an agency with no month is not scaled."""
    return {c.agency_id: (MONTHS, c.months_covered) for c in covered if c.months_covered}


def _scaled(amount: Decimal, factor: tuple[int, int] | None) -> Decimal:
    if factor is None or factor[0] == factor[1]:
        return amount
    return to_pennies(amount * factor[0] / factor[1])


def _estimate_method(covered: list[AgencyYear], factors: dict[str, tuple[int, int]]) -> str:
    scaled = [f"{c.agency_id} {MONTHS}/{c.months_covered}" for c in covered if c.part_year and c.months_covered]
    absent = [c.agency_id for c in covered if not c.months_covered]
    said = ("estimate for the full year: each agency's figures scaled by 12 / the months its files cover, "
            "to the penny (" + (", ".join(scaled) if scaled else "every agency covers the whole year: no change") + ")")
    if absent:
        said += f"; no file for the year, not estimated: {', '.join(absent)}"
    return said + ". Seasonal spending (year-end payments, annual precepts) makes this rough."


def count_table(result: Count, workspace: Workspace, title: str, notes: list[str] | None = None) -> Table:
    """A count as the CLI prints it and the report shows it: a coded key with its name beside it; by transfer,
    whether each row is spending or a pass-through payment."""
    coded = result.by in CODED
    transfer = result.by == "transfer"
    columns = [result.by] + (["name"] if coded else []) + ["amount", "lines", "£ per head", "share"]
    columns += ["counted as"] if transfer else []
    rows = [[r.key] + ([display.key_name(workspace, result.by, r.key)] if coded else [])
            + [r.amount, r.lines, r.per_head, r.share]
            + (["spending" if r.counted else "pass-through: not spending"] if transfer else []) for r in result.rows]
    return Table(title, columns, rows, notes or [])


def flows(con: StoreConnection, workspace: Workspace, year: str) -> list[tuple[str, str, Decimal]]:
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


def figure_key(con: StoreConnection, by: str, key: str, year: str | None = None) -> str:
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


def trace(con: StoreConnection, by: str, key: str, year: str | None = None,
          limit: int | None = None, cuts: Mapping[str, str] | None = None) -> tuple[list[TracedLine], Decimal, int]:
    """The source rows behind one figure of a count: file, row and rule; with their sum (narrowed by `cuts`)."""
    fiscal_year = choose_year(con, year)
    where, params = figure_filter(by, key, fiscal_year, cuts)
    total, lines = fetch_aggregate(con, f"SELECT coalesce(sum(s.amount), 0), count(*) FROM {LINES} WHERE {where}",
                                   params)
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
