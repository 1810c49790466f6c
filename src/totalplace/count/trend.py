"""The top-down count year after year, in cash and in real terms, beside the region and England.

The seeds ask for the count to be repeated every year. Each loaded CRA year is
brought down to the place exactly as `topdown count` does for one year (the
same drivers, the same whole-penny shares), then put into the prices of a
chosen base year with the GDP deflator (`deepdive.deflator`: the shipped
series, or the workspace's own `gdp_deflator.csv`). A year whose figures come
from a different CRA release than the year before starts a new series: the
break is marked, because a newer release revises the older one's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from totalplace import display, reference
from totalplace.count import topdown
from totalplace.count.drivers import population, population_table
from totalplace.deepdive import deflator
from totalplace.errors import InputError
from totalplace.ingest.cra import ENGLISH_REGIONS
from totalplace.present.tables import Table
from totalplace.workspace import Workspace


@dataclass
class TrendYear:
    """One year of the place's top-down count."""
    fiscal_year: str
    release: str
    break_before: bool          # its release differs from the year before's
    cash: Decimal
    real: Decimal               # in the base year's prices
    population: int
    by_level: dict[str, Decimal]     # cash, by level of control
    by_function: dict[str, Decimal]  # cash, by HMT function
    region_per_head_real: Decimal | None
    england_per_head_real: Decimal | None
    missing: list[topdown.Missing] = field(default_factory=list)

    @property
    def per_head_cash(self) -> Decimal | None:
        return topdown.per_head(self.cash, self.population)

    @property
    def per_head_real(self) -> Decimal | None:
        return topdown.per_head(self.real, self.population)


@dataclass
class Trend:
    areas: list[str]
    regions: list[str]
    base_year: str
    deflator: deflator.DeflatorSeries
    years: list[TrendYear]

    def real(self, amount: Decimal, fiscal_year: str) -> Decimal:
        return self.deflator.uprate(amount, fiscal_year, self.base_year)


def trend(con: duckdb.DuckDBPyConnection, workspace: Workspace | None, areas: list[str],
          base_year: str | None = None) -> Trend:
    """The areas' top-down count for every loaded CRA year, in cash and in the base year's prices."""
    years = topdown.require_loaded(con)
    series = deflator.series_for(workspace)
    base = _base_year(series, base_year or years[-1])
    drivers = topdown.apportion(con, workspace, areas, years)
    regions = topdown.regions_of(areas)
    levels = _grouped(con, "a.control_level")
    functions = _grouped(con, "l.hmt_function")
    releases = dict(con.execute("SELECT fiscal_year, release FROM topdown_year").fetchall())
    missing = topdown.missing_lines(con, regions, years)
    result = Trend(areas, regions, base, series, [])
    region_per_head = _regions_per_head(con, workspace, regions)
    for index, year in enumerate(years):
        by_level, by_function = levels.get(year, {}), functions.get(year, {})
        cash = sum(by_level.values(), Decimal(0))
        people = drivers.population(areas, year)[0]
        result.years.append(TrendYear(
            year, releases.get(year, ""), index > 0 and releases.get(year) != releases.get(years[index - 1]),
            cash, result.real(cash, year), people, by_level, by_function,
            _real_per_head(result, region_per_head.get(("region", year)), year),
            _real_per_head(result, region_per_head.get((topdown.ENGLAND, year)), year),
            [m for m in missing if m.fiscal_year == year]))
    return result


def _base_year(series: deflator.DeflatorSeries, year: str) -> str:
    try:
        series.level(year)
        return deflator.fiscal_year(year)
    except ValueError as error:
        raise InputError(str(error)) from None


def _grouped(con: duckdb.DuckDBPyConnection, column: str) -> dict[str, dict[str, Decimal]]:
    """year -> group -> the areas' cash, from the shares apportion() left in topdown_share."""
    found: dict[str, dict[str, Decimal]] = {}
    rows = con.execute(f"""SELECT l.fiscal_year, {column}, sum(s.amount)
                           FROM topdown_share s JOIN topdown_line l USING (line_id) JOIN topdown_assign a USING (line_id)
                           GROUP BY ALL ORDER BY ALL""").fetchall()
    for year, key, amount in rows:
        found.setdefault(year, {})[key] = amount
    return found


def _regions_per_head(con: duckdb.DuckDBPyConnection, workspace: Workspace | None,
                      regions: list[str]) -> dict[tuple[str, str], tuple[Decimal, int]]:
    """('region' or 'England', year) -> (identifiable spending, people), straight from the CRA lines."""
    people = population_table(workspace)
    totals = topdown.region_totals(con)
    found: dict[tuple[str, str], tuple[Decimal, int]] = {}
    for name, members in (("region", regions), (topdown.ENGLAND, list(ENGLISH_REGIONS))):
        areas = [a.code for a in reference.areas().values() if a.region in members]
        for year in sorted({y for _, y in totals}):
            amount = sum((totals.get((r, year), Decimal(0)) for r in members), Decimal(0))
            found[(name, year)] = (amount, population(people, areas, year)[0])
    return found


def _real_per_head(result: Trend, figures: tuple[Decimal, int] | None, year: str) -> Decimal | None:
    if figures is None:
        return None
    amount, people = figures
    return topdown.per_head(result.real(amount, year), people)


def table(result: Trend, by: str, labels: dict[str, str], name: str) -> Table:
    """The trend as one table: a row a year, cash and real, per head beside the region and England."""
    prices = f"{result.base_year} prices"
    groups = list(labels) if by == "control" else sorted({f for y in result.years for f in y.by_function})
    group = {y.fiscal_year: (y.by_level if by == "control" else y.by_function) for y in result.years}
    columns = ["year", "CRA release", "break", "cash", f"real ({prices})", "population",
               "£ per head (cash)", f"£ per head ({prices})", f"region £ per head ({prices})",
               f"England £ per head ({prices})"] + [f"{labels.get(g, g)} £ per head ({prices})" for g in groups]
    rows = [[y.fiscal_year, display.release_name(y.release, short=True), "new release" if y.break_before else "", y.cash, y.real, y.population,
             y.per_head_cash, y.per_head_real, y.region_per_head_real, y.england_per_head_real]
            + [topdown.per_head(result.real(group[y.fiscal_year].get(g, Decimal(0)), y.fiscal_year), y.population)
               for g in groups] for y in result.years]
    notes = [f"Real terms: GDP deflator ({result.deflator.source}), {prices}. {result.deflator.status}".strip(),
             "'new release': the year's figures come from a newer CRA release than the year before's, which "
             "revises them: compare across the break with care."]
    notes += [f"MISSING: {m.words}." for y in result.years for m in y.missing]
    return Table(f"{name}: the top-down count year after year ({', '.join(result.regions)} and England beside it)",
                 columns, rows, notes)
