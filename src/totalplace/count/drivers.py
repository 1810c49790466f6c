"""Drivers: what a region's spending is shared among its districts by.

totalplace ships drivers built from ONS and DWP data (`totalplace/data/drivers/`,
see `ingest.drivers`): `population` (people of all ages), `children`,
`working_age`, `over65` and `uc_households`, each by district and fiscal year,
saying which data year it took. `rules/topdown_drivers.csv` says which driver
shares which lines (first matching row wins; patterns are case-insensitive
regular expressions; an empty cell matches anything). A rule whose driver has
no figure for a year ("where the year allows") is passed over for that year,
so the next matching rule serves it.

A workspace's own `drivers/<name>.csv` replaces the shipped one of that name:
columns `area_code,value` and, optionally, `fiscal_year` (a row without a year
serves every year) and `data_year`. A driver must cover every district of the
regions it is used in, in every year it has figures for, or shares could not
add back to the region.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, cached_property
from pathlib import Path

import pyarrow as pa

from totalplace import reference
from totalplace.classify.rules import check_pattern, matcher, read_rule_table
from totalplace.count.population import fiscal_year_start
from totalplace.errors import InputError
from totalplace.store.connection import StoreConnection
from totalplace.workspace import Workspace

RULE_FILE = "topdown_drivers.csv"
DRIVER_DIR = "drivers"
SOURCES_FILE = "sources.csv"
POPULATION = "population"
MATCHED = ("department", "programme", "cofog", "function")
OPTIONAL = ("programme",)  # a rule table written before the column existed still reads: it matches anything
DRIVER_SCALE = 1000  # driver values keep three decimal places as whole-number weights
EVERY_YEAR = ""
CONFIDENCE = {
    POPULATION: "low: regional spending shared by population",
    "other": "medium: regional spending shared by a driver for this spending",
}


@dataclass(frozen=True)
class DriverRule:
    rule_id: str
    spender: str
    patterns: dict[str, re.Pattern | None]
    driver: str


@dataclass(frozen=True)
class DriverUse:
    """Which driver shared some lines in a year: the data year it took, its source and the confidence it gives."""
    name: str
    year: str
    source: str
    confidence: str


@dataclass
class DriverTable:
    """One driver's figures by (district, fiscal year), and where they came from."""
    name: str
    path: Path
    values: dict[tuple[str, str], Decimal]   # (area, fiscal year or EVERY_YEAR) -> value
    data_years: dict[tuple[str, str], str]   # (area, fiscal year) -> the data year it took
    sources: dict[str, str]                  # data year -> source

    def __post_init__(self) -> None:
        self.years = frozenset(year for _, year in self.values)

    def covers(self, fiscal_year: str) -> bool:
        return fiscal_year in self.years or EVERY_YEAR in self.years

    def value(self, area: str, fiscal_year: str) -> Decimal | None:
        found = self.values.get((area, fiscal_year))
        return found if found is not None else self.values.get((area, EVERY_YEAR))

    def use(self, fiscal_year: str, areas: list[str]) -> DriverUse:
        """The data years (and their sources) the areas' figures for a fiscal year took."""
        years = sorted({self.data_years.get((a, fiscal_year), fiscal_year) for a in areas})
        sources = sorted({self.sources.get(y, str(self.path)) for y in years})
        return DriverUse(self.name, " and ".join(years), "; ".join(sources),
                         CONFIDENCE.get(self.name, CONFIDENCE["other"]))


class DriverSet:
    """The driver rules, and the weights of every district of the regions in use, by year."""

    def __init__(self, rules: list[DriverRule], tables: dict[str, DriverTable], regions: list[str],
                 years: list[str]) -> None:
        self.rules = rules
        self.tables = tables
        self.regions = regions
        self.years = years
        self.areas = [a for a in reference.areas().values() if a.region in regions]
        for table in tables.values():
            _check_coverage(table, self.areas, years)
        self._matched = matcher(rules)

    def driver_for(self, key, fiscal_year: str) -> tuple[str, str]:
        """The first rule matching the line whose driver has figures for the year."""
        for index in self._matched(key):
            rule = self.rules[index]
            if self.tables[rule.driver].covers(fiscal_year):
                return rule.driver, rule.rule_id
        return POPULATION, "default"

    def install(self, con: StoreConnection) -> None:
        """A temporary table driver_value(driver, region, area, fiscal_year, weight)."""
        con.register("driver_rows", pa.table(self.weights))
        con.execute("CREATE OR REPLACE TEMP TABLE driver_value AS "
                    "SELECT driver, region, area, fiscal_year, CAST(weight AS HUGEINT) AS weight FROM driver_rows")
        con.unregister("driver_rows")

    @cached_property
    def weights(self) -> dict[str, list]:
        """Each district's whole-number weight for each driver and year the set covers, as columns."""
        rows: dict[str, list] = {"driver": [], "region": [], "area": [], "fiscal_year": [], "weight": []}
        for name, table in self.tables.items():
            for year in self.years:
                if not table.covers(year):
                    continue
                for area in self.areas:
                    value = table.value(area.code, year)
                    assert value is not None, f"{table.path}: no value for {area.code} in {year} (checked before)"
                    rows["driver"].append(name)
                    rows["region"].append(area.region)
                    rows["area"].append(area.code)
                    rows["fiscal_year"].append(year)
                    rows["weight"].append(int((value * DRIVER_SCALE).to_integral_value()))
        return rows

    def population(self, areas: list[str], fiscal_year: str) -> tuple[int, str]:
        """The areas' people in a year, and which data set said so."""
        return population(self.tables[POPULATION], areas, fiscal_year)

    def use(self, name: str, fiscal_year: str, areas: list[str]) -> DriverUse:
        return self.tables[name].use(fiscal_year, areas)


def population(table: DriverTable, areas: list[str], fiscal_year: str) -> tuple[int, str]:
    people = 0
    for area in areas:
        value = table.value(area, fiscal_year)
        if value is None:
            raise InputError(f"{table.path}: no population for {area} in {fiscal_year}")
        people += int(value)
    used = table.use(fiscal_year, areas)
    return people, used.source


def driver_set(workspace: Workspace | None, regions: list[str], years: list[str]) -> DriverSet:
    rules = read_driver_rules(workspace)
    names = {r.driver for r in rules} | {POPULATION}
    return DriverSet(rules, {name: driver_table(workspace, name) for name in sorted(names)}, regions, years)


def population_table(workspace: Workspace | None) -> DriverTable:
    return driver_table(workspace, POPULATION)


def driver_table(workspace: Workspace | None, name: str) -> DriverTable:
    """The workspace's drivers/<name>.csv, else the one shipped with totalplace."""
    own = workspace.root / DRIVER_DIR / f"{name}.csv" if workspace else None
    if own is not None and own.exists():
        return read_driver(own, name)
    shipped = Path(str(reference.data_path(f"{DRIVER_DIR}/{name}.csv")))
    if not shipped.exists():
        where = own or Path(DRIVER_DIR) / f"{name}.csv"
        raise InputError(f"{where}: no such driver file (named in rules/{RULE_FILE})")
    return _shipped(name)


@cache
def _shipped(name: str) -> DriverTable:
    table = read_driver(Path(str(reference.data_path(f"{DRIVER_DIR}/{name}.csv"))), name)
    table.sources = shipped_sources().get(name, {})
    return table


@cache
def shipped_sources() -> dict[str, dict[str, str]]:
    """driver -> data year -> source, for the shipped drivers."""
    found: dict[str, dict[str, str]] = {}
    with reference.data_path(f"{DRIVER_DIR}/{SOURCES_FILE}").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found.setdefault(row["driver"], {})[row["data_year"]] = row["source"]
    return found


def read_driver_rules(workspace: Workspace | None) -> list[DriverRule]:
    from totalplace.reference import data_path

    path = workspace.rule_path(RULE_FILE) if workspace else data_path(RULE_FILE)
    table = read_rule_table(path, ("rule_id", "spender", *(c for c in MATCHED if c not in OPTIONAL), "driver"))
    rules = []
    for index, row in enumerate(table.rows):
        for column in OPTIONAL:
            row.setdefault(column, "")
        for column in MATCHED:
            check_pattern(table, index, column)
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", row["driver"]):
            raise InputError(f"{path}: row {index + 2}, column driver: {row['driver']!r} is not a driver name "
                             "(population, or the name of a file drivers/<name>.csv)")
        rules.append(DriverRule(row["rule_id"] or f"row {index + 2}", row["spender"],
                                {c: re.compile(row[c], re.I) if row[c] else None for c in MATCHED}, row["driver"]))
    return rules


def read_driver(path: Path, name: str) -> DriverTable:
    """A driver file: `area_code,value[,fiscal_year][,data_year]`, one row per district (and year)."""
    values: dict[tuple[str, str], Decimal] = {}
    data_years: dict[tuple[str, str], str] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        headers = [h.strip() for h in reader.fieldnames or []]
        for needed in ("area_code", "value"):
            if needed not in headers:
                raise InputError(f"{path}: row 1: missing column {needed} (columns: area_code, value, fiscal_year)")
        for number, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            year = row.get("fiscal_year") or EVERY_YEAR
            area = _area(path, number, row["area_code"])
            if year:
                fiscal_year_start(year)
                if row.get("data_year"):
                    data_years[(area, year)] = row["data_year"]
            values[(area, year)] = _value(path, number, row["value"])
    return DriverTable(name, path, values, data_years, {})


def _check_coverage(table: DriverTable, areas: list[reference.Area], years: list[str]) -> None:
    """A driver with figures for a year must have one for every district of the regions in use."""
    missing = [f"{a.code} {a.name} {y}" for y in years if table.covers(y) for a in areas
               if table.value(a.code, y) is None]
    if missing:
        raise InputError(f"{table.path}: no value for {len(missing)} area-year(s) the count needs, e.g. "
                         f"{', '.join(missing[:3])} (a driver must cover every authority of the region)")


def _area(path: Path, number: int, code: str) -> str:
    try:
        return reference.area(code).code
    except InputError:
        raise InputError(f"{path}: row {number}, column area_code: {code!r} is not an ONS authority code") from None


def _value(path: Path, number: int, text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise InputError(f"{path}: row {number}, column value: {text!r} is not a number") from None
    if value < 0 or not value.is_finite():
        raise InputError(f"{path}: row {number}, column value: {text!r} must be zero or more")
    return value
