"""Reconciliation: every agency's own ledger beside its top-down counterpart, and one best-estimate count.

Each agency's bottom-up spending (payments, counted once, by COFOG division) is
set beside the top-down CRA lines its ledger would hold, brought down to the
agency's area, in the same year or the nearest year the CRA has. Which lines
those are depends on the kind of agency (rules/counterparts.csv): a council's are
the lines its ledger holds (`council_spends` in rules/control_rules.csv); an NHS
body's the local NHS's health lines; police and fire the public order and safety
lines of local government; other kinds the lines of their functions. An agency's
area is its ONS code: a district, or the police force area, fire authority, CCG
or ICB it serves, whose districts (and the share of each district's people) come
from the shipped lookups. The gap is shown with its likely causes, different
years and part years among them.

The best-estimate count takes the top-down count of the place and, where an
agency's owner has agreed a bottom-up figure (`agreed.csv` in the workspace),
replaces the top-down lines of that function that the agency's ledger holds, in
the districts of the place it serves (a district it serves in part, in part). The
agreed figure counts in the place by the share of the agency's people who live in
the place. So money is counted once: a central grant the council spends is never
counted both as council spending and as the department's, nor the NHS's ledger
both as itself and as the Department of Health's lines.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from totalplace import partners, reference
from totalplace.classify import control
from totalplace.classify.rules import check_choice, check_pattern, cofog_codes, read_rule_table
from totalplace.count import topdown
from totalplace.count.bottomup import COUNTED_ONCE, LINES
from totalplace.count.coverage import AgencyYear, agency_years
from totalplace.count.population import fiscal_year_start
from totalplace.errors import InputError
from totalplace.money import parse_money, to_pennies
from totalplace.store.connection import StoreConnection, transaction
from totalplace.workspace import Agency, AgencyKind, Workspace

AGREED_FILE = "agreed.csv"
AGREED_COLUMNS = ("agency", "fiscal_year", "cofog", "amount", "agreed_by", "note")
COUNTERPART_FILE = "counterparts.csv"
UNCLASSIFIED = "Unclassified"
CONFIDENCE = {
    "agreed": "high: the agency's own ledger, agreed by its owner",
    "population": "low: regional spending shared by population",
    "driver": "medium: regional spending shared by a driver for this spending",
}
# What each kind of body must publish: its payments over this much (the transparency codes).
PUBLISHED_OVER = {"council": "£500", "nhs": "£25,000", "central_government": "£25,000"}
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


@dataclass(frozen=True)
class Counterpart:
    """The top-down lines an agency's ledger would hold, for one kind of agency (rules/counterparts.csv)."""

    agency_kind: str
    council_spends: bool
    control_level: re.Pattern | None
    spender: re.Pattern | None
    department: re.Pattern | None
    cofog: re.Pattern | None   # on the COFOG group where the release gives one, else the division
    default_cofog: str         # the division of the ledger's lines that no rule classified
    note: str

    def holds(self, line: ApportionedLine) -> bool:
        return ((not self.council_spends or line.council_spends)
                and all(p is None or p.search(value or "") is not None for p, value in (
                    (self.control_level, line.control_level), (self.spender, line.spender),
                    (self.department, line.department), (self.cofog, line.cofog_key))))

    @property
    def specific(self) -> bool:
        """Whether it names its functions (else only the ledger's own functions are set beside it)."""
        return self.council_spends or self.control_level is not None or self.cofog is not None

    @property
    def missing_spenders(self) -> set[str]:
        """The spenders whose missing CRA figures leave this counterpart unknown."""
        if self.spender is not None:
            return {s for s in topdown.SPENDER_NAMES if self.spender.search(s)}
        return {"LG"} if self.council_spends else {"LG", "CG"}


@dataclass(frozen=True)
class ApportionedLine:
    """The place's share of CRA lines of one description, in one district."""

    area: str
    department: str
    spender: str
    cofog: str          # the COFOG division
    cofog_key: str      # the COFOG group where the release gives one, else the division
    function: str
    control_level: str
    driver: str
    council_spends: bool
    amount: Decimal


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
    counterpart: str = ""      # which top-down lines the ledger is set beside, in words
    coverage: AgencyYear | None = None  # the months of the ledger year the agency's files cover

    @property
    def gap(self) -> Decimal | None:
        return None if self.top_down is None else self.bottom_up - self.top_down

    @property
    def years_differ(self) -> bool:
        return self.bottom_up_year != self.top_down_year


def nearest_year(year: str, years: list[str]) -> str:
    """The CRA year closest to a ledger year (the earlier one on a tie)."""
    if not years:
        raise InputError("no CRA loaded: run `totalplace topdown load` first")
    start = fiscal_year_start(year)
    return min(years, key=lambda y: (abs(fiscal_year_start(y) - start), fiscal_year_start(y)))


def division_name(code: str) -> str:
    return cofog_codes().get(code, code)


def counterparts(workspace: Workspace | None) -> dict[str, Counterpart]:
    """What each kind of agency's ledger is set beside, checked row by row."""
    path = workspace.rule_path(COUNTERPART_FILE) if workspace else Path(str(reference.data_path(COUNTERPART_FILE)))
    table = read_rule_table(path, ("agency_kind", "council_spends", "control_level", "spender", "department",
                                   "cofog", "default_cofog"))
    kinds = {k.value for k in AgencyKind}
    found: dict[str, Counterpart] = {}
    for index, row in enumerate(table.rows):
        check_choice(table, index, "agency_kind", kinds, "agency kind")
        check_choice(table, index, "council_spends", {"yes", "no"}, "yes or no")
        check_choice(table, index, "default_cofog", set(cofog_codes()), "COFOG division")
        for column in ("control_level", "spender", "department", "cofog"):
            check_pattern(table, index, column)
        found.setdefault(row["agency_kind"], Counterpart(
            row["agency_kind"], row["council_spends"] == "yes", _pattern(row["control_level"]), _pattern(row["spender"]),
            _pattern(row["department"]), _pattern(row["cofog"]), row["default_cofog"], row.get("note", "")))
    missing = kinds - set(found)
    if missing:
        raise InputError(f"{path}: no row for agency kind(s) {', '.join(sorted(missing))}")
    return found


def _pattern(text: str) -> re.Pattern | None:
    return re.compile(text, re.IGNORECASE) if text else None


def area_shares(workspace: Workspace, agency: Agency) -> dict[str, Decimal]:
    """The districts an agency serves, with the share of each district's people (its area's, from the lookups);
    an agency with no area serves the whole place."""
    if not agency.area:
        return {area: Decimal(1) for area in workspace.settings.place.areas}
    return {district: Decimal(repr(share)) for district, share in partners.districts_of(agency.area).items()}


def ledger_by_division(con: StoreConnection, agency_ids: list[str], year: str | None = None,
                       defaults: dict[str, str] | None = None) -> dict[tuple[str, str, str], Decimal]:
    """Each agency's payments, counted once, by (agency, fiscal year, COFOG division); a line no rule classified
    is in its agency's default division (an NHS body's is health), else Unclassified."""
    if not agency_ids:
        return {}
    where, params = ("AND s.fiscal_year = ?", [year]) if year else ("", [])
    given = sorted((defaults or {}).items())
    default = "CASE s.agency_id " + " ".join("WHEN ? THEN ?" for _ in given) + " END" if given else "NULL"
    rows = con.execute(
        f"""SELECT s.agency_id, s.fiscal_year, coalesce(substr(s.cofog, 1, 2), {default}, '{UNCLASSIFIED}'),
                   sum(s.amount)
            FROM {LINES} WHERE {COUNTED_ONCE} AND s.agency_id IN (SELECT unnest(?)) {where}
            GROUP BY 1, 2, 3""", [*[v for pair in given for v in pair], agency_ids, *params]).fetchall()
    return {(a, y, d): amount for a, y, d, amount in rows}


def apportioned_lines(con: StoreConnection) -> list[ApportionedLine]:
    """The apportioned shares in topdown_share, by district and line description."""
    rows = con.execute(
        """SELECT s.area, l.department, l.spender, l.cofog, coalesce(l.cofog_group, l.cofog), l.hmt_function,
                  a.control_level, a.driver, a.council_spends, sum(s.amount)
           FROM topdown_share s JOIN topdown_line l USING (line_id) JOIN topdown_assign a USING (line_id)
           GROUP BY ALL ORDER BY ALL""").fetchall()
    return [ApportionedLine(*row) for row in rows]


def counterpart_by_division(con: StoreConnection, workspace: Workspace, spec: Counterpart,
                            served: dict[str, Decimal], cra_year: str) -> tuple[dict[str, Decimal], dict[str, str]]:
    """The top-down lines an agency's ledger would hold in the districts it serves (by each district's share),
    by COFOG division; and, by division, why the CRA has no figure where it has none."""
    topdown.apportion(con, workspace, sorted(served), [cra_year])
    by_area: dict[tuple[str, str], Decimal] = {}
    for line in apportioned_lines(con):
        if spec.holds(line):
            by_area[(line.area, line.cofog)] = by_area.get((line.area, line.cofog), Decimal(0)) + line.amount
    top: dict[str, Decimal] = {}
    for (area, division), amount in by_area.items():
        top[division] = top.get(division, Decimal(0)) + _part(amount, served[area])
    return top, _missing(con, spec, served, cra_year)


def _part(amount: Decimal, share: Decimal) -> Decimal:
    return amount if share == 1 else to_pennies(amount * share)


def _missing(con: StoreConnection, spec: Counterpart, served: dict[str, Decimal],
             cra_year: str) -> dict[str, str]:
    """COFOG division -> why the counterpart's figure is missing that year, in the served districts' regions."""
    found: dict[str, str] = {}
    for gap in topdown.missing_lines(con, topdown.regions_of(sorted(served)), [cra_year]):
        if gap.spender in spec.missing_spenders:
            for division in [gap.cofog] if gap.cofog else [f"{n:02d}" for n in range(1, 11)]:
                found.setdefault(division, gap.words)
    return found


def reconcile(con: StoreConnection, workspace: Workspace, year: str | None = None) -> list[ReconRow]:
    """Every agency's ledger beside its top-down counterpart, function by function, with causes."""
    cra_years = topdown.require_loaded(con)
    agencies = {a.id: a for a in workspace.settings.agencies}
    specs = counterparts(workspace)
    ledger = ledger_by_division(con, list(agencies), year, _defaults(agencies.values(), specs))
    if not ledger:
        raise InputError("no payments loaded for that year: run `totalplace ingest` first")
    agreed = {(a.agency, a.fiscal_year, a.cofog): a for a in read_agreed(workspace)}
    rows: list[ReconRow] = []
    for ledger_year in sorted({y for _, y, _ in ledger}):
        cra_year = nearest_year(ledger_year, cra_years)
        covered = {c.agency_id: c for c in agency_years(con, ledger_year)}
        for agency_id in sorted({a for a, y, _ in ledger if y == ledger_year}):
            agency = agencies[agency_id]
            spec = specs[agency.kind.value]
            top, absent = counterpart_by_division(con, workspace, spec, area_shares(workspace, agency), cra_year)
            divisions = {d for (a, y, d) in ledger if a == agency_id and y == ledger_year}
            divisions |= set(top) if spec.specific else set()
            for division in sorted(divisions):
                row = ReconRow(agency_id, agency.area or "+".join(workspace.settings.place.areas), division,
                               division_name(division), ledger_year, cra_year,
                               ledger.get((agency_id, ledger_year, division), Decimal(0)),
                               None if division in absent else top.get(division, Decimal(0)),
                               agreed=agreed.get((agency_id, ledger_year, division)), missing=absent.get(division, ""),
                               counterpart=f"{spec.agency_kind}: {spec.note}", coverage=covered.get(agency_id))
                row.causes = causes(row, agency)
                rows.append(row)
    return rows


def _defaults(agencies, specs: dict[str, Counterpart]) -> dict[str, str]:
    return {a.id: specs[a.kind.value].default_cofog for a in agencies if specs[a.kind.value].default_cofog}


def causes(row: ReconRow, agency: Agency) -> list[str]:
    """The likely reasons for a gap, plainest first."""
    found = []
    if row.cofog == UNCLASSIFIED:
        return ["ledger lines no rule gives a COFOG function: classify them (totalplace classify --unclassified)"]
    if row.top_down is None:
        return [f"top-down figure missing: {row.missing}; the ledger cannot be compared with it"]
    if row.years_differ:
        found.append(f"different years: the ledger is of {row.bottom_up_year}, the CRA's nearest year is "
                     f"{row.top_down_year}")
    if row.coverage is not None and row.coverage.part_year:
        found.append(f"{row.coverage.said(agency.name)}: the ledger is a part of the year")
    if row.top_down and row.bottom_up < row.top_down:
        found.append(f"payment files list payments over {PUBLISHED_OVER.get(agency.kind.value, 'a threshold')} to "
                     "suppliers: salaries and small payments are not in them")
        if agency.kind == AgencyKind.council and row.cofog in FUNCTION_CAUSES:
            found.append(FUNCTION_CAUSES[row.cofog])
    if row.bottom_up > row.top_down:
        found.append("more in the ledger than the top-down share: a driver other than the one used may fit better, "
                     "the body may serve more people than its area's, or payments to other bodies are counted in "
                     "the payer's ledger")
    found.append("the top-down figure is the region's spending shared by a driver (rules/topdown_drivers.csv), "
                 "not the agency's own")
    return found


def read_agreed(workspace: Workspace) -> list[Agreed]:
    """agreed.csv: the figures an agency's owner has agreed (blank amount: the ledger's figure as it is)."""
    path = workspace.root / AGREED_FILE
    if not path.exists():
        return []
    known = {a.id for a in workspace.settings.agencies}
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
        raise InputError(f"{where}, column agency: {row['agency']!r} is not an agency of this place "
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
            amount = to_pennies(parse_money(row["amount"]))
        except ValueError:
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


def best_estimate(con: StoreConnection, workspace: Workspace, year: str) -> BestEstimate:
    """The place's count: agreed bottom-up figures where they exist, top-down everywhere else, counted once."""
    cra_year = nearest_year(year, topdown.require_loaded(con))
    areas = workspace.settings.place.areas
    agencies = {a.id: a for a in workspace.settings.agencies}
    specs = counterparts(workspace)
    agreed = [a for a in read_agreed(workspace) if a.fiscal_year == year]
    served = {a.agency: area_shares(workspace, agencies[a.agency]) for a in agreed}
    drivers = topdown.apportion(con, workspace, sorted(set(areas).union(*served.values())), [cra_year])
    ledger = ledger_by_division(con, sorted(served), year, _defaults([agencies[a] for a in served], specs))
    release = topdown.release_of(con, cra_year)
    figures: list[Figure] = []
    replaced_levels: dict[Agreed, dict[str, Decimal]] = {item: {} for item in agreed}
    for line in apportioned_lines(con):
        if line.area not in areas:
            continue
        claim = _claim(line, agreed, specs, agencies, served)
        taken = _part(line.amount, served[claim.agency][line.area]) if claim else Decimal(0)
        if claim:
            levels = replaced_levels[claim]
            levels[line.control_level] = levels.get(line.control_level, Decimal(0)) + taken
        if line.amount != taken:
            figures.append(_top_down_figure(line.department, line.cofog, line.function, line.control_level,
                                            line.driver, line.amount - taken, cra_year, release))
    for item in agreed:
        in_place = _place_share(drivers, served[item.agency], areas, cra_year)
        figures += _agreed_figures(item, ledger, replaced_levels[item], in_place)
    replaced = sum((sum(v.values(), Decimal(0)) for v in replaced_levels.values()), Decimal(0))
    population, _ = drivers.population(areas, cra_year)
    return BestEstimate(year, cra_year, _merge(figures), population, replaced,
                        topdown.missing_lines(con, topdown.regions_of(areas), [cra_year]), release)


def _claim(line: ApportionedLine, agreed: list[Agreed], specs: dict[str, Counterpart],
           agencies: dict[str, Agency], served: dict[str, dict[str, Decimal]]) -> Agreed | None:
    """The agreed figure that takes the place of this top-down line, if any; two may not claim one line."""
    claims = [a for a in agreed if a.cofog == line.cofog and line.area in served[a.agency]
              and specs[agencies[a.agency].kind.value].holds(line)]
    if len(claims) > 1:
        raise InputError(f"{AGREED_FILE}: {' and '.join(c.agency for c in claims)} both replace the top-down "
                         f"{line.function} lines of {line.area} in {claims[0].fiscal_year} (COFOG {line.cofog}): "
                         "agree one of them, or neither")
    return claims[0] if claims else None


def _place_share(drivers, served: dict[str, Decimal], areas: list[str], cra_year: str) -> tuple[Decimal, Decimal]:
    """The agency's people living in the place, and all its people (each district's people by its share)."""
    people = {d: Decimal(drivers.population([d], cra_year)[0]) * share for d, share in served.items()}
    return sum((v for d, v in people.items() if d in areas), Decimal(0)), sum(people.values(), Decimal(0))


def _top_down_figure(department: str, cofog: str, function: str, level: str, driver: str, amount: Decimal,
                     cra_year: str, release: str) -> Figure:
    method = f"CRA {cra_year}, region's identifiable spending shared by {driver}"
    confidence = CONFIDENCE["population"] if driver == "population" else CONFIDENCE["driver"]
    return Figure("top-down", department, cofog, function, level, amount, method, driver,
                  f"HM Treasury Country and Regional Analysis ({release})", confidence)


def _agreed_figures(item: Agreed, ledger: dict, levels: dict[str, Decimal],
                    in_place: tuple[Decimal, Decimal]) -> list[Figure]:
    """An agreed figure's part in the place, split over the control levels of the top-down lines it replaces."""
    whole = item.amount if item.amount is not None else ledger.get((item.agency, item.fiscal_year, item.cofog),
                                                                     Decimal(0))
    inside, everyone = in_place
    amount = whole if inside == everyone else to_pennies(whole * inside / everyone)
    names = sorted(levels) or ["council_discretion"]
    parts = largest_remainder(amount, [levels.get(n, Decimal(0)) for n in names])
    source = "agreed.csv amount" if item.amount is not None else "the agency's payments ledger (counted once)"
    method = "agency ledger, agreed by its owner; split over control levels as the top-down lines it replaces"
    if inside != everyone:
        method += f"; the place's share of the agency's people ({float(inside / everyone):.1%}) counts here"
    return [Figure("bottom-up", item.agency, item.cofog, division_name(item.cofog), name, part, method,
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
