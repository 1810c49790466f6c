"""Shipped reference data: local authority areas and their census populations."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from totalplace.errors import InputError


@dataclass(frozen=True)
class Area:
    """A local authority district, with its usual resident population at two censuses."""

    code: str
    name: str
    county: str
    region: str
    population_2011: int
    population_2021: int


@dataclass(frozen=True)
class NationalBody:
    """A national body that bears or saves costs in a place: appraisals and journeys share these."""

    id: str
    name: str
    department: str  # the Whitehall department an ask of its share goes to


NATIONAL_BODIES = (
    NationalBody("dwp", "Department for Work and Pensions", "Department for Work and Pensions"),
    NationalBody("hmrc", "HM Revenue and Customs", "HM Treasury"),
    NationalBody("nhs-national", "NHS (nationally)", "Department of Health and Social Care"),
    NationalBody("exchequer", "HM Treasury (the Exchequer)", "HM Treasury"),
)


def data_path(name: str):
    """The path of a file shipped in totalplace/data."""
    return resources.files("totalplace") / "data" / name


@cache
def areas() -> dict[str, Area]:
    """Every local authority district in England and Wales, by ONS code."""
    with data_path("la_population.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["lad_code"]: Area(
                code=row["lad_code"],
                name=row["name"],
                county=row["county"],
                region=row["region"],
                population_2011=int(row["population_2011"]),
                population_2021=int(row["population_2021"]),
            )
            for row in csv.DictReader(handle)
        }


def area(code: str) -> Area:
    """Look up one area by ONS code, or say clearly that it is unknown."""
    found = areas().get(code.strip().upper())
    if found is None:
        raise InputError(
            f"area {code!r} is not an ONS local authority district code we know "
            "(expected e.g. E08000032 for Bradford)"
        )
    return found
