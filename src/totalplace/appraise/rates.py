"""The two shipped rate tables an appraisal rests on: Green Book discounting and optimism bias.

Both are CSV files an analyst can override: put an edited copy in the workspace's
`rules/` folder (`rules/discount_rates.csv`, `rules/optimism_bias.csv`) and it is
used instead of the shipped default in `totalplace/data/`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from totalplace.errors import InputError
from totalplace.reference import data_path

DISCOUNT_FILE = "discount_rates.csv"
OPTIMISM_FILE = "optimism_bias.csv"
SCHEDULES = ("standard", "health")


@dataclass(frozen=True)
class Band:
    """One band of a discount schedule: the rate for years from_year..to_year (to_year None: for ever)."""
    from_year: int
    to_year: int | None
    rate: Decimal


@dataclass(frozen=True)
class DiscountSchedule:
    name: str
    bands: tuple[Band, ...]
    source: str

    def rate(self, year: int) -> Decimal:
        """The rate that discounts year `year` back to year `year - 1`."""
        for band in self.bands:
            if year >= band.from_year and (band.to_year is None or year <= band.to_year):
                return band.rate
        raise InputError(f"discount schedule {self.name!r} has no rate for year {year}")

    def factors(self, years: int) -> list[Decimal]:
        """Discount factors for years 0..years-1.

        The Green Book's declining schedule is a continuing product, not a restart:
        the factor for year 31 is the year-30 factor divided by 1.030, i.e.
        1 / (1.035**30 * 1.03), not 1 / 1.03**31.
        """
        factors = [Decimal(1)]
        for year in range(1, years):
            factors.append(factors[-1] / (1 + self.rate(year)))
        return factors


@dataclass(frozen=True)
class OptimismGrade:
    grade: int
    adjustment: Decimal
    evidence: str
    source: str


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
        return list(reader)


def _decimal(path, row_number: int, column: str, text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise InputError(f"{path}: row {row_number}, column {column}: {text!r} is not a number") from None


def _table_path(name: str, workspace=None):
    return workspace.rule_path(name) if workspace is not None else data_path(name)


def load_discount_schedules(workspace=None) -> dict[str, DiscountSchedule]:
    """The standard and health schedules, from the workspace's copy or the shipped Green Book table."""
    path = _table_path(DISCOUNT_FILE, workspace)
    bands: dict[str, list[Band]] = {}
    sources: dict[str, str] = {}
    for number, row in enumerate(_rows(path, ("schedule", "from_year", "to_year", "rate", "source")), start=2):
        rate = _decimal(path, number, "rate", row["rate"])
        if not 0 <= rate < 1:
            raise InputError(f"{path}: row {number}, column rate: {rate} must be between 0 and 1")
        to_year = row["to_year"].strip()
        bands.setdefault(row["schedule"], []).append(
            Band(int(row["from_year"]), int(to_year) if to_year else None, rate))
        sources[row["schedule"]] = row["source"]
    for name in SCHEDULES:
        if name not in bands:
            raise InputError(f"{path}: no rows for the {name!r} schedule")
    return {name: DiscountSchedule(name, tuple(b), sources[name]) for name, b in bands.items()}


def load_optimism_bias(workspace=None) -> dict[int, OptimismGrade]:
    """The optimism bias adjustment for each data-confidence grade."""
    path = _table_path(OPTIMISM_FILE, workspace)
    grades: dict[int, OptimismGrade] = {}
    for number, row in enumerate(_rows(path, ("grade", "adjustment", "evidence", "source")), start=2):
        adjustment = _decimal(path, number, "adjustment", row["adjustment"])
        if not 0 <= adjustment <= 1:
            raise InputError(f"{path}: row {number}, column adjustment: {adjustment} must be between 0 and 1")
        grade = int(row["grade"])
        grades[grade] = OptimismGrade(grade, adjustment, row["evidence"], row["source"])
    return grades
