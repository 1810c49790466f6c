"""Population for £ per head: the shipped census figures, interpolated by fiscal year.

The 2011 and 2021 censuses counted usual residents on 27 March 2011 and
21 March 2021. A fiscal year's population is taken at its middle (1 October),
on the straight line through the two census counts; beyond 2021 the line is
extended, and the figure says so. A population set in totalplace.toml wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from totalplace import reference
from totalplace.errors import InputError
from totalplace.workspace import FISCAL_YEAR, Workspace

CENSUS_2011 = date(2011, 3, 27)
CENSUS_2021 = date(2021, 3, 21)


@dataclass(frozen=True)
class Population:
    fiscal_year: str
    value: int
    method: str


def fiscal_year_start(fiscal_year: str) -> int:
    match = FISCAL_YEAR.match(fiscal_year)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise InputError(f"{fiscal_year!r} is not a fiscal year like 2018-19")
    return int(match.group(1))


def interpolated(area: reference.Area, fiscal_year: str) -> float:
    """One area's population at the middle of a fiscal year, on the census line."""
    middle = date(fiscal_year_start(fiscal_year), 10, 1)
    fraction = (middle - CENSUS_2011).days / (CENSUS_2021 - CENSUS_2011).days
    return area.population_2011 + fraction * (area.population_2021 - area.population_2011)


def population(workspace: Workspace, fiscal_year: str) -> Population:
    """The place's population in a fiscal year, with how it was found."""
    override = workspace.settings.population.get(fiscal_year)
    if override is not None:
        return Population(fiscal_year, override, f"set in {workspace.config_path.name}")
    areas = [reference.area(code) for code in workspace.settings.place.areas]
    value = round(sum(interpolated(a, fiscal_year) for a in areas))
    start = fiscal_year_start(fiscal_year)
    how = "extrapolated" if start >= 2021 or start < 2010 else "interpolated"
    return Population(
        fiscal_year, value, f"census 2011 and 2021, {how} to 1 October {start} (ONS usual residents)"
    )
