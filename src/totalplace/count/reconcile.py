"""Reconciliation: the council's own ledger beside the top-down figure, and one best-estimate count.

For each council of the place, its bottom-up spending (payments, counted
once, by COFOG division) is set beside the top-down CRA lines that the
council's own ledger would hold (`council_spends` in rules/control_rules.csv)
for its area, in the same year or the nearest year the CRA has. The gap is
shown with its likely causes.

The best-estimate count takes the top-down count of the place and, where the
council's owner has agreed a bottom-up figure (`agreed.csv` in the
workspace), replaces every top-down line of that function and area that the
council's ledger holds, whichever department the CRA lists it under. So money
the council spends is counted once: a central grant the council spends is
never counted both as council spending and as the department's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from totalplace import reference
from totalplace.classify import control
from totalplace.classify.rules import cofog_codes
from totalplace.count import topdown
from totalplace.count.bottomup import COUNTED_ONCE, LINES
from totalplace.count.coverage import month_coverage
from totalplace.count.population import fiscal_year_start
from totalplace.errors import InputError
from totalplace.store.connection import transaction
from totalplace.workspace import AgencyKind, Workspace

AGREED_FILE = "agreed.csv"
AGREED_COLUMNS = ("agency", "fiscal_year", "cofog", "amount", "agreed_by", "note")
UNCLASSIFIED = "Unclassified"
CONFIDENCE = {
    "agreed": "high: the agency's own ledger, agreed by its owner",
    "population": "low: regional spending shared by population",
    "driver": "medium: regional spending shared by a driver for this spending",
}
# Why a council's payments file and the CRA's local government figure differ, by COFOG division.
FUNCTION_CAUSES = {
    "09": "maintained schools spend their delegated budgets themselves; few of those payments are in the council's file",
    "10": "housing benefit and direct payments go to people, not suppliers, so payment files leave most of them out",
    "07": "public health moved to councils only in 2013; before that the CRA has little council health spending",
    "01": "central services are recharged to other functions in the ledger",
}


@dataclass(frozen=True)
class Agreed:
    agency: str
    fiscal_year: str
    cofog: str
    amount: Decimal | None  # None: the ledger's own figure is agreed as it is
    agreed_by: str
    note: str


@dataclass
class ReconRow:
    agency: str
    area: str
    cofog: str
    function: str
    bottom_up_year: str
    top_down_year: str
    bottom_up: Decimal
    top_down: Decimal | None   # None: the CRA has no line for it that year (missing, never zero)
    causes: list[str] = field(default_factory=list)
    agreed: Agreed | None = None
    missing: str = ""          # why the top-down figure is missing, in words

    @property
    def gap(self) -> Decimal | None:
        return None if self.top_down is None else self.bottom_up - self.top_down


def nearest_year(year: str, years: list[str]) -> str:
    """The CRA year closest to a ledger year (the earlier one on a tie)."""
    if not years:
        raise InputError("no CRA loaded: run `totalplace topdown load` first")
    start = fiscal_year_start(year)
    return min(years, key=lambda y: (abs(fiscal_year_start(y) - start), fiscal_year_start(y)))


def councils(workspace: Workspace) -> list:
    return [a for a in workspace.settings.agencies if a.kind == AgencyKind.council and a.area]


def division_name(code: str) -> str:
    return cofog_codes().get(code, code)


def ledger_by_division(con: duckdb.DuckDBPyConnection, agency_ids: list[str],
                       year: str | None = None) -> dict[tuple[str, str, str], Decimal]:
    """Each council's payments, counted once, by (agency, fiscal year, COFOG division)."""
    if not agency_ids:
        return {}
    where, params = ("AND s.fiscal_year = ?", [year]) if year else ("", [])
    rows = con.execute(
        f"""SELECT s.agency_id, s.fiscal_year, coalesce(substr(s.cofog, 1, 2), '{UNCLASSIFIED}'), sum(s.amount)
            FROM {LINES} WHERE {COUNTED_ONCE} AND s.agency_id IN (SELECT unnest(?)) {where}
            GROUP BY 1, 2, 3""", [agency_ids, *params]).fetchall()
    return {(a, y, d): amount for a, y, d, amount in rows}


def council_lines_by_division(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Decimal]:
    """Of the apportioned shares in topdown_share: what the councils' ledgers hold, by (area, division)."""
    rows = con.execute(
        """SELECT s.area, l.cofog, sum(s.amount) FROM topdown_share s
           JOIN topdown_line l USING (line_id) JOIN topdown_assign a USING (line_id)
           WHERE a.council_spends GROUP BY 1, 2""").fetchall()
    return {(area, cofog): amount for area, cofog, amount in rows}


def reconcile(con: duckdb.DuckDBPyConnection, workspace: Workspace, year: str | None = None) -> list[ReconRow]:
    """Every council's ledger beside the top-down council figure, function by function, with causes."""
    cra_years = topdown.require_loaded(con)
    agencies = {a.id: a for a in councils(workspace)}
    ledger = ledger_by_division(con, list(agencies), year)
    if not ledger:
        raise InputError("no council payments loaded for that year: run `totalplace ingest` first")
    agreed = {(a.agency, a.fiscal_year, a.cofog): a for a in read_agreed(workspace)}
    rows: list[ReconRow] = []
    areas = sorted({a.area for a in agencies.values()})
    for ledger_year in sorted({y for _, y, _ in ledger}):
        cra_year = nearest_year(ledger_year, cra_years)
        topdown.apportion(con, workspace, areas, [cra_year])
        top = council_lines_by_division(con)
        missing = council_missing(con, areas, cra_year)
        gaps = _gap_months(con, ledger_year)
        for agency in agencies.values():
            divisions = {d for (a, y, d) in ledger if a == agency.id and y == ledger_year}
            divisions |= {d for (area, d) in top if area == agency.area} if divisions else set()
            for division in sorted(divisions):
                absent = missing.get((reference.area(agency.area).region, division), "")
                row = ReconRow(agency.id, agency.area, division, division_name(division), ledger_year, cra_year,
                               ledger.get((agency.id, ledger_year, division), Decimal(0)),
                               None if absent else top.get((agency.area, division), Decimal(0)),
                               agreed=agreed.get((agency.id, ledger_year, division)), missing=absent)
                row.causes = causes(row, gaps.get(agency.id, 0))
                rows.append(row)
    return rows


def council_missing(con: duckdb.DuckDBPyConnection, areas: list[str], cra_year: str) -> dict[tuple[str, str], str]:
    """(region, COFOG division) -> why local government's figure is missing that year, for the areas' regions."""
    found: dict[tuple[str, str], str] = {}
    for gap in topdown.missing_lines(con, topdown.regions_of(areas), [cra_year]):
        if gap.spender != "LG":
            continue
        for division in [gap.cofog] if gap.cofog else [f"{n:02d}" for n in range(1, 11)]:
            found[(gap.region, division)] = gap.words
    return found


def _gap_months(con: duckdb.DuckDBPyConnection, year: str) -> dict[str, int]:
    """Months of the year with no payments file, per agency."""
    counts: dict[str, int] = {}
    start = fiscal_year_start(year)
    for month in month_coverage(con):
        y, m = int(month.month[:4]), int(month.month[5:7])
        if month.gap and (y, m) >= (start, 4) and (y, m) <= (start + 1, 3):
            counts[month.agency_id] = counts.get(month.agency_id, 0) + 1
    return counts


def causes(row: ReconRow, gap_months: int) -> list[str]:
    """The likely reasons for a gap, plainest first."""
    found = []
    if row.cofog == UNCLASSIFIED:
        return ["ledger lines no rule gives a COFOG function: classify them (totalplace classify --unclassified)"]
    if row.top_down is None:
        return [f"top-down figure missing: {row.missing}; the ledger cannot be compared with it"]
    if row.bottom_up_year != row.top_down_year:
        found.append(f"different years: the CRA's nearest year is {row.top_down_year}")
    if row.top_down and row.bottom_up < row.top_down:
        found.append("payment files list payments over £500 to suppliers: salaries and small payments are not in them")
        if row.cofog in FUNCTION_CAUSES:
            found.append(FUNCTION_CAUSES[row.cofog])
    if row.bottom_up > row.top_down:
        found.append("more in the ledger than the population share: a driver other than population may fit better, "
                     "or payments to other bodies are counted in the payer's ledger")
    if gap_months:
        found.append(f"{gap_months} month(s) of the year have no payments file (unknown, not zero)")
    found.append("the top-down figure is the region's spending shared by a driver (rules/topdown_drivers.csv), "
                 "not the council's own")
    return found


def read_agreed(workspace: Workspace) -> list[Agreed]:
    """agreed.csv: the figures an agency's owner has agreed (blank amount: the ledger's figure as it is)."""
    path = workspace.root / AGREED_FILE
    if not path.exists():
        return []
    known = {a.id for a in councils(workspace)}
    found = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in AGREED_COLUMNS[:3] if c not in [h.strip() for h in reader.fieldnames or []]]
        if missing:
            raise InputError(f"{path}: row 1: missing column(s) {', '.join(missing)}")
        for number, raw in enumerate(reader, start=2):
            found.append(_agreed_row(path, number, {k.strip(): (v or "").strip() for k, v in raw.items() if k}, known))
    return found


def _agreed_row(path: Path, number: int, row: dict[str, str], known: set[str]) -> Agreed:
    where = f"{path}: row {number}"
    if row["agency"] not in known:
        raise InputError(f"{where}, column agency: {row['agency']!r} is not a council of this place "
                         f"({', '.join(sorted(known)) or 'none'})")
    try:
        fiscal_year_start(row["fiscal_year"])
    except InputError:
        raise InputError(f"{where}, column fiscal_year: {row['fiscal_year']!r} is not a year like 2018-19") from None
    cofog = row["cofog"].zfill(2) if row["cofog"].isdigit() else row["cofog"]
    if cofog not in cofog_codes() or len(cofog) != 2:
        raise InputError(f"{where}, column cofog: {row['cofog']!r} is not a COFOG division (01 to 10)")
    amount = None
    if row.get("amount"):
        try:
            amount = Decimal(row["amount"].replace(",", "").replace("£", "")).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise InputError(f"{where}, column amount: {row['amount']!r} is not an amount") from None
    return Agreed(row["agency"], row["fiscal_year"], cofog, amount, row.get("agreed_by", ""), row.get("note", ""))


# --- the best-estimate count -----------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    direction: str            # top-down or bottom-up
    agency_or_department: str
    cofog: str
    function: str
    control_level: str
    amount: Decimal
    method: str
    driver: str
    source: str
    confidence: str
    agreed_by: str = ""


@dataclass
class BestEstimate:
    fiscal_year: str
    top_down_year: str
    figures: list[Figure]
    population: int
    replaced: Decimal         # top-down money the agreed bottom-up figures took the place of
    missing: list[topdown.Missing] = field(default_factory=list)  # what the CRA year has no line for
    release: str = ""

    @property
    def total(self) -> Decimal:
        return sum((f.amount for f in self.figures), Decimal(0))


def largest_remainder(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split an amount in pennies in proportion to weights, the parts adding up exactly to the amount."""
    pennies = int((abs(total) * 100).to_integral_value())
    positive = [max(w, Decimal(0)) for w in weights]
    whole = sum(positive)
    if whole == 0:
        positive, whole = [Decimal(1)] * len(weights), Decimal(len(weights))
    exact = [pennies * w / whole for w in positive]
    parts = [int(e) for e in exact]
    order = sorted(range(len(parts)), key=lambda i: (exact[i] - parts[i], -i), reverse=True)
    for i in order[: pennies - sum(parts)]:
        parts[i] += 1
    sign = -1 if total < 0 else 1
    return [Decimal(sign * p) / 100 for p in parts]


def best_estimate(con: duckdb.DuckDBPyConnection, workspace: Workspace, year: str) -> BestEstimate:
    """The place's count: agreed bottom-up figures where they exist, top-down everywhere else."""
    cra_year = nearest_year(year, topdown.require_loaded(con))
    areas = workspace.settings.place.areas
    drivers = topdown.apportion(con, workspace, areas, [cra_year])
    agreed = [a for a in read_agreed(workspace) if a.fiscal_year == year]
    area_of = {a.id: a.area for a in councils(workspace)}
    ledger = ledger_by_division(con, [a.agency for a in agreed], year)
    replaced_keys = {(area_of[a.agency], a.cofog) for a in agreed}
    lines = con.execute(
        """SELECT s.area, l.department, l.cofog, l.hmt_function, a.control_level, a.driver, a.council_spends,
                  sum(s.amount)
           FROM topdown_share s JOIN topdown_line l USING (line_id) JOIN topdown_assign a USING (line_id)
           GROUP BY ALL ORDER BY ALL""").fetchall()
    figures, replaced_levels = [], {}
    for area, department, cofog, function, level, driver, council_spends, amount in lines:
        if council_spends and (area, cofog) in replaced_keys:
            levels = replaced_levels.setdefault((area, cofog), {})
            levels[level] = levels.get(level, Decimal(0)) + amount
            continue
        figures.append(_top_down_figure(department, cofog, function, level, driver, amount, cra_year,
                                        topdown.release_of(con, cra_year)))
    for item in agreed:
        figures += _agreed_figures(item, ledger, replaced_levels.get((area_of[item.agency], item.cofog), {}))
    replaced = sum((sum(v.values(), Decimal(0)) for v in replaced_levels.values()), Decimal(0))
    population, _ = drivers.population(areas, cra_year)
    return BestEstimate(year, cra_year, _merge(figures), population, replaced,
                        topdown.missing_lines(con, topdown.regions_of(areas), [cra_year]),
                        topdown.release_of(con, cra_year))


def _top_down_figure(department: str, cofog: str, function: str, level: str, driver: str, amount: Decimal,
                     cra_year: str, release: str) -> Figure:
    method = f"CRA {cra_year}, region's identifiable spending shared by {driver}"
    confidence = CONFIDENCE["population"] if driver == "population" else CONFIDENCE["driver"]
    return Figure("top-down", department, cofog, function, level, amount, method, driver,
                  f"HM Treasury Country and Regional Analysis ({release})", confidence)


def _agreed_figures(item: Agreed, ledger: dict, levels: dict[str, Decimal]) -> list[Figure]:
    """An agreed figure, split over the control levels of the top-down lines it replaces."""
    amount = item.amount if item.amount is not None else ledger.get((item.agency, item.fiscal_year, item.cofog),
                                                                      Decimal(0))
    names = sorted(levels) or ["council_discretion"]
    parts = largest_remainder(amount, [levels.get(n, Decimal(0)) for n in names])
    source = "agreed.csv amount" if item.amount is not None else "the agency's payments ledger (counted once)"
    return [Figure("bottom-up", item.agency, item.cofog, division_name(item.cofog), name, part,
                   "agency ledger, agreed by its owner; split over control levels as the top-down lines it replaces",
                   "", source, CONFIDENCE["agreed"], item.agreed_by)
            for name, part in zip(names, parts)]


def _merge(figures: list[Figure]) -> list[Figure]:
    """One figure per description (several CRA programmes make up one department's function)."""
    merged: dict[tuple, Decimal] = {}
    first: dict[tuple, Figure] = {}
    for f in figures:
        key = (f.direction, f.agency_or_department, f.cofog, f.function, f.control_level, f.driver, f.source)
        merged[key] = merged.get(key, Decimal(0)) + f.amount
        first.setdefault(key, f)
    return [Figure(**{**first[k].__dict__, "amount": amount}) for k, amount in merged.items()]


def save(con: duckdb.DuckDBPyConnection, workspace: Workspace, estimate: BestEstimate) -> None:
    """Record the best-estimate count in the store's count_figure table (replacing that year's)."""
    topdown.create_tables(con)
    place = workspace.settings.place
    with transaction(con):
        con.execute("DELETE FROM count_figure WHERE place = ? AND fiscal_year = ? AND count = 'best-estimate'",
                    [place.name, estimate.fiscal_year])
        con.executemany(
            "INSERT INTO count_figure VALUES (?, ?, ?, 'best-estimate', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[place.name, place.areas, estimate.fiscal_year, f.direction, f.agency_or_department, f.cofog,
              f.function, f.control_level, f.amount, f.method, f.driver, f.source, f.confidence, f.agreed_by]
             for f in estimate.figures])


def by_control(estimate: BestEstimate) -> dict[str, Decimal]:
    totals = {level: Decimal(0) for level in control.LEVELS}
    for f in estimate.figures:
        totals[f.control_level] += f.amount
    return totals
