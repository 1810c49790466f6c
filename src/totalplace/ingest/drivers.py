"""Building the shipped top-down drivers from the published ONS and DWP files.

The drivers share a region's spending among its districts: people of all ages,
children, people of working age, people 65 and over, and households on
Universal Credit. Each is written as `totalplace/data/drivers/<name>.csv`
(`area_code,fiscal_year,value,data_year`; `sources.csv` says what each
data year is: `driver,data_year,source`) for every district of
England and Wales as the shipped areas know them (the April 2021 districts)
and every fiscal year from 2004-05 to 2025-26. `build` re-creates them from
the published files, so what is shipped can be checked against its sources.

Which data set serves a year:
- population: the ONS mid-year estimate of the year the fiscal year starts in
  (mid-2012 for 2012-13; mid-2024 beyond 2024-25), and the 2011 census for the
  years before the first estimate (2010);
- age groups: the age data set dated nearest the middle of the fiscal year
  (1 October), earlier on a tie: census 2011 (27 March 2011), mid-2017,
  mid-2019, mid-2020 (30 June) or census 2021 (21 March 2021), among those
  covering the district (mid-2017 has no Welsh districts). Children are 0-15
  and working age 16-64 in the estimates; the censuses give under 15 and 15-64;
- Universal Credit households: May 2025, for 2025-26 only.

Districts change (2019, 2020, 2021, 2023): a data set's districts are mapped
to the 2021 ones with the ONS district lookup. Districts merged since 2021 are
summed; a district that later became part of a larger one (North Yorkshire,
Cumberland, Westmorland and Furness, Somerset in 2023) gets the larger one's
figure shared in proportion to the districts' people of all ages in the age
data set serving that year (for Universal Credit: working age), in whole units
by the largest remainder, so the parts add back to the published figure.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from totalplace import reference

FIRST_YEAR, LAST_YEAR = 2004, 2025
REFERENCE_VINTAGE = "21"
AGE_GROUPS = ("children", "working_age", "over65")
MID_YEAR = "ONS mid-year population estimates"
CENSUS = "Census (ONS), usual residents"
UC = "DWP Stat-Xplore: households on Universal Credit (provisional)"
SOURCES = "sources.csv"


@dataclass(frozen=True)
class AgeSet:
    """One data set of people by age group for every district it covers (in 2021 districts)."""
    label: str          # 'census 2011', 'mid-2017'
    when: date
    source: str
    groups: dict[str, dict[str, int]]  # group -> area -> people

    def people(self, area: str) -> int:
        return sum(self.groups[g][area] for g in AGE_GROUPS)


def fiscal_years() -> list[str]:
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(FIRST_YEAR, LAST_YEAR + 1)]


def build(shared: Path, out_dir: Path) -> list[Path]:
    """Write every driver file from the published files under `shared` (the data folder); return their paths."""
    geography = shared / "geography"
    lookup = DistrictLookup(geography / "lookups" / "lookup_ltla_ltla.csv")
    age_sets = _age_sets(geography / "age", lookup)
    areas = sorted(reference.areas())
    serving = {year: {a: _nearest(age_sets, year, a) for a in areas} for year in fiscal_years()}
    tables = {"population": _population(geography, lookup, serving, areas)}
    for group in AGE_GROUPS:
        tables[group] = {(a, y): (s.groups[group][a], s.label, s.source)
                         for y, chosen in serving.items() for a, s in chosen.items()}
    tables["uc_households"] = _uc_households(shared / "drivers" / "dwp_uc_households_by_la_may2025.csv",
                                             lookup, serving, areas)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [_write(out_dir / f"{name}.csv", rows) for name, rows in sorted(tables.items())]
    sources = sorted({(name, label, source) for name, rows in tables.items() for _, label, source in rows.values()})
    with (out_dir / SOURCES).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["driver", "data_year", "source"])
        writer.writerows(sources)
    return written + [out_dir / SOURCES]


def _write(path: Path, rows: dict[tuple[str, str], tuple[int, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["area_code", "fiscal_year", "value", "data_year"])
        for (area, year), (value, label, _source) in sorted(rows.items()):
            writer.writerow([area, year, value, label])
    return path


# --- district codes across vintages ----------------------------------------------------------

class DistrictLookup:
    """ONS's district-to-district lookup: which 2021 districts each district of another vintage covers."""

    def __init__(self, path: Path) -> None:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            self.rows = list(csv.DictReader(handle))

    def to_reference(self, code: str, vintage: str) -> list[str]:
        column = f"ltla{vintage}_code"
        found = sorted({r[f"ltla{REFERENCE_VINTAGE}_code"] for r in self.rows if r[column] == code})
        return found or [code]  # Welsh districts and unchanged codes map to themselves


def to_reference(values: dict[str, int], vintage: str, lookup: DistrictLookup,
                 weight: Callable[[str], int]) -> dict[str, int]:
    """A data set's figures by 2021 district: merged districts summed, later-merged ones shared by `weight`."""
    known = reference.areas()
    found: dict[str, int] = {}
    for code, value in values.items():
        targets = [t for t in lookup.to_reference(code, vintage) if t in known]
        parts = [value] if len(targets) == 1 else largest_remainder(value, [weight(t) for t in targets])
        for target, part in zip(targets, parts):
            found[target] = found.get(target, 0) + part
    return found


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Whole units in proportion to the weights, adding up to the total (ties to the earlier part)."""
    whole = sum(weights)
    exact = [Decimal(total) * w / whole for w in weights]
    parts = [int(e) for e in exact]
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


# --- the data sets ---------------------------------------------------------------------------

def _number(text: str) -> int:
    return int(Decimal(text))


def _age_sets(folder: Path, lookup: DistrictLookup) -> list[AgeSet]:
    census = list(csv.DictReader((folder / "census2011_2021_broad_age_lad21geog.csv").open(encoding="utf-8-sig")))
    found = [_census(census, "2011", date(2011, 3, 27)), _census(census, "2021", date(2021, 3, 21))]
    for year, name, vintage in (("2017", "mye2017_syoa_lad18_from_lsoa.csv", "18"),
                                ("2019", "mye2019_syoa_lad19.csv", "19"), ("2020", "mye2020_syoa_lad21.csv", "21")):
        found.append(_single_years(folder / name, year, vintage, lookup))
    return sorted(found, key=lambda s: s.when)


def _census(rows: list[dict[str, str]], year: str, when: date) -> AgeSet:
    columns = {"children": f"c{year}_under15", "working_age": f"c{year}_15to64", "over65": f"c{year}_65plus"}
    known = reference.areas()
    groups = {g: {r["area_code"]: _number(r[c]) for r in rows if r["area_code"] in known}
              for g, c in columns.items()}
    return AgeSet(f"census {year}", when, f"{CENSUS}, census {year} (under 15, 15-64, 65 and over)", groups)


def _single_years(path: Path, year: str, vintage: str, lookup: DistrictLookup) -> AgeSet:
    bands = {"children": range(0, 16), "working_age": range(16, 65), "over65": range(65, 91)}
    raw: dict[str, dict[str, int]] = {g: {} for g in bands}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row[f"ltla{vintage}_code"]
            for group, ages in bands.items():
                raw[group][code] = sum(_number(row["90+" if age == 90 else str(age)]) for age in ages)
    # merges only (no district of 2018-2020 was split by 2021): the weight is never asked for
    groups = {g: to_reference(values, vintage, lookup, lambda _: 1) for g, values in raw.items()}
    return AgeSet(f"mid-{year}", date(int(year), 6, 30), f"{MID_YEAR}, mid-{year} (0-15, 16-64, 65 and over)",
                  groups)


def _middle(fiscal_year: str) -> date:
    return date(int(fiscal_year[:4]), 10, 1)


def _nearest(age_sets: list[AgeSet], fiscal_year: str, area: str) -> AgeSet:
    covering = [s for s in age_sets if area in s.groups["over65"]]
    return min(covering, key=lambda s: (abs((s.when - _middle(fiscal_year)).days), s.when))


def _population(geography: Path, lookup: DistrictLookup, serving: dict[str, dict[str, AgeSet]],
                areas: list[str]) -> dict[tuple[str, str], tuple[int, str, str]]:
    by_year: dict[str, dict[str, int]] = {}
    with (geography / "la_population_2010_2024.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            by_year.setdefault(row["year"], {})[row["lad_code"]] = int(row["population"])
    first, last = min(by_year), max(by_year)
    rows = {}
    for fiscal_year, chosen in serving.items():
        start = fiscal_year[:4]
        if start < first:
            for area in areas:
                rows[(area, fiscal_year)] = (reference.area(area).population_2011, "census 2011",
                                             f"{CENSUS}, census 2011")
            continue
        estimate = min(start, last)
        shared = to_reference(by_year[estimate], "23", lookup, lambda a: chosen[a].people(a))  # used at once
        for area in areas:
            rows[(area, fiscal_year)] = (shared[area], f"mid-{estimate}", f"{MID_YEAR}, mid-{estimate}")
    return rows


def _uc_households(path: Path, lookup: DistrictLookup, serving: dict[str, dict[str, AgeSet]],
                   areas: list[str]) -> dict[tuple[str, str], tuple[int, str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        published = {r["lad_code"]: _number(r["uc_households_may2025_provisional"])
                     for r in csv.DictReader(handle) if r["lad_code"]}
    year = "2025-26"
    chosen = serving[year]
    shared = to_reference(published, "24", lookup, lambda a: chosen[a].groups["working_age"][a])
    return {(area, year): (shared[area], "May 2025", UC) for area in areas}


def great_britain_population(geography: Path) -> dict[str, int]:
    """People in England, Wales and Scotland at each mid-year estimate (the shipped files have no Northern Ireland)."""
    totals: dict[str, int] = {}
    with (geography / "la_population_2010_2024.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            totals[row["year"]] = totals.get(row["year"], 0) + int(row["population"])
    return totals


def write_great_britain_population(shared: Path, path: Path) -> Path:
    """`fiscal_year,population,data_year`: the people of Great Britain for £ per head of spending with no region.

    A fiscal year takes the mid-year estimate of the year it starts in, the nearest one outside them.
    """
    totals = great_britain_population(shared / "geography")
    first, last = min(totals), max(totals)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["fiscal_year", "population", "data_year"])
        for year in fiscal_years():
            estimate = min(max(year[:4], first), last)
            writer.writerow([year, totals[estimate], f"mid-{estimate}"])
    return path


if __name__ == "__main__":  # python -m totalplace.ingest.drivers ../shared/data src/totalplace/data
    import sys

    data_dir = Path(sys.argv[2])
    for written in build(Path(sys.argv[1]), data_dir / "drivers"):
        print(f"wrote {written}")
    print(f"wrote {write_great_britain_population(Path(sys.argv[1]), data_dir / 'great_britain_population.csv')}")
