"""Drivers: what a region's spending is shared among its authorities by.

Population is the default: the 2011 and 2021 census counts of each
authority, on the straight line through them at the middle of the fiscal
year (before 2011 the line is extended backwards, and says so). An analyst
can name a better driver for a department, function or sub-function in
`rules/topdown_drivers.csv` (first matching row wins), and supply it as
`drivers/<name>.csv` with columns `area_code,value` and, optionally,
`fiscal_year` (a row without a year serves every year), e.g. people over 65
for pensions or pupils for schools. A driver must cover every authority of
the regions it is used in, or shares could not add back to the region.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pyarrow as pa

from totalplace import reference
from totalplace.classify.rules import check_pattern, read_rule_table
from totalplace.count.population import fiscal_year_start, interpolated
from totalplace.errors import InputError
from totalplace.workspace import Workspace

RULE_FILE = "topdown_drivers.csv"
POPULATION = "population"
MATCHED = ("department", "cofog", "function")
DRIVER_SCALE = 1000  # user driver values keep three decimal places as whole-number weights


@dataclass(frozen=True)
class DriverRule:
    rule_id: str
    spender: str
    patterns: dict[str, re.Pattern | None]
    driver: str


def population_method(fiscal_year: str) -> str:
    start = fiscal_year_start(fiscal_year)
    if start < 2011:
        how = "extrapolated back before the 2011 census"
    elif start >= 2021:
        how = "extrapolated beyond the 2021 census"
    else:
        how = "interpolated between the 2011 and 2021 censuses"
    return f"population, ONS usual residents: census 2011 and 2021, {how} to 1 October {start}"


class DriverSet:
    """The driver rules, and the weights of every authority of the regions in use, by year."""

    def __init__(self, rules: list[DriverRule], tables: dict[str, dict[tuple[str, str], int]],
                 regions: list[str], years: list[str]) -> None:
        self.rules = rules
        self.tables = tables  # driver -> (area, year) -> weight
        self.regions = regions
        self.years = years

    def driver_for(self, key) -> tuple[str, str]:
        for rule in self.rules:
            if rule.spender and rule.spender != key.spender:
                continue
            if all(p is None or p.search(getattr(key, c) or "") for c, p in rule.patterns.items()):
                return rule.driver, rule.rule_id
        return POPULATION, "default"

    def install(self, con: duckdb.DuckDBPyConnection) -> None:
        """A temporary table driver_value(driver, region, area, fiscal_year, weight)."""
        rows: dict[str, list] = {"driver": [], "region": [], "area": [], "fiscal_year": [], "weight": []}
        for driver, table in self.tables.items():
            for (area, year), weight in table.items():
                rows["driver"].append(driver)
                rows["region"].append(reference.area(area).region)
                rows["area"].append(area)
                rows["fiscal_year"].append(year)
                rows["weight"].append(weight)
        con.register("driver_rows", pa.table(rows))
        con.execute("CREATE OR REPLACE TEMP TABLE driver_value AS "
                    "SELECT driver, region, area, fiscal_year, CAST(weight AS HUGEINT) AS weight FROM driver_rows")
        con.unregister("driver_rows")

    def population(self, areas: list[str], fiscal_year: str) -> tuple[int, str]:
        people = self.tables[POPULATION]
        return sum(people[(a, fiscal_year)] for a in areas), population_method(fiscal_year)


def driver_set(workspace: Workspace | None, regions: list[str], years: list[str]) -> DriverSet:
    rules = read_driver_rules(workspace)
    names = {r.driver for r in rules} | {POPULATION}
    region_areas = [a for a in reference.areas().values() if a.region in regions]
    tables = {POPULATION: {(a.code, y): round(interpolated(a, y)) for a in region_areas for y in years}}
    for name in sorted(names - {POPULATION}):
        path = workspace.root / "drivers" / f"{name}.csv" if workspace else Path(f"drivers/{name}.csv")
        tables[name] = read_driver(path, region_areas, years)
    return DriverSet(rules, tables, regions, years)


def read_driver_rules(workspace: Workspace | None) -> list[DriverRule]:
    from totalplace.reference import data_path

    path = workspace.rule_path(RULE_FILE) if workspace else data_path(RULE_FILE)
    table = read_rule_table(path, ("rule_id", "spender", *MATCHED, "driver"))
    rules = []
    for index, row in enumerate(table.rows):
        for column in MATCHED:
            check_pattern(table, index, column)
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", row["driver"]):
            raise InputError(f"{path}: row {index + 2}, column driver: {row['driver']!r} is not a driver name "
                             "(population, or the name of a file drivers/<name>.csv)")
        rules.append(DriverRule(row["rule_id"] or f"row {index + 2}", row["spender"],
                                {c: re.compile(row[c], re.I) if row[c] else None for c in MATCHED}, row["driver"]))
    return rules


def read_driver(path: Path, areas: list[reference.Area], years: list[str]) -> dict[tuple[str, str], int]:
    """A driver table as whole-number weights for every area and year, or one error saying what is missing."""
    if not path.exists():
        raise InputError(f"{path}: no such driver file (named in rules/{RULE_FILE})")
    every_year: dict[str, int] = {}
    by_year: dict[tuple[str, str], int] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        headers = [h.strip() for h in reader.fieldnames or []]
        for needed in ("area_code", "value"):
            if needed not in headers:
                raise InputError(f"{path}: row 1: missing column {needed} (columns: area_code, value, fiscal_year)")
        for number, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            code = _area(path, number, row["area_code"])
            weight = _weight(path, number, row["value"])
            if row.get("fiscal_year"):
                fiscal_year_start(row["fiscal_year"])
                by_year[(code, row["fiscal_year"])] = weight
            else:
                every_year[code] = weight
    weights, missing = {}, []
    for area in areas:
        for year in years:
            weight = by_year.get((area.code, year), every_year.get(area.code))
            if weight is None:
                missing.append(f"{area.code} {area.name} {year}")
            else:
                weights[(area.code, year)] = weight
    if missing:
        raise InputError(f"{path}: no value for {len(missing)} area-year(s) the count needs, e.g. "
                         f"{', '.join(missing[:3])} (a driver must cover every authority of the region)")
    return weights


def _area(path: Path, number: int, code: str) -> str:
    try:
        return reference.area(code).code
    except InputError:
        raise InputError(f"{path}: row {number}, column area_code: {code!r} is not an ONS authority code") from None


def _weight(path: Path, number: int, text: str) -> int:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise InputError(f"{path}: row {number}, column value: {text!r} is not a number") from None
    if value < 0 or not value.is_finite():
        raise InputError(f"{path}: row {number}, column value: {text!r} must be zero or more")
    return int((value * DRIVER_SCALE).to_integral_value())
