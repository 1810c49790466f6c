"""Uprating money to a chosen price year with the GDP deflator series.

The shipped series is `totalplace/data/gdp_deflator.csv`: GDP deflators at market prices by
financial year, in the shape of HM Treasury's series. Its header names the source, the release
it follows and whether it is that release (`official: no`: it is NOT a published HM Treasury
release, it was transcribed without access to one), and how sure it is. A workspace may hold its
own `gdp_deflator.csv` in the same layout, which replaces the shipped series: that is how a user
puts in the official release (with `# official: yes` and its `# release:` date).

Price years are always fiscal years written `2015-16`. A bare calendar year is refused:
publications differ on which fiscal year a calendar year's prices mean.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from totalplace import reference
from totalplace.errors import InputError

if TYPE_CHECKING:
    from totalplace.workspace import Workspace

SERIES_FILE = "gdp_deflator.csv"
PENNY = Decimal("0.01")
_FISCAL = re.compile(r"^\s*(\d{4})\s*[-/\u2013\u2014]\s*(\d{2}|\d{4})\s*$")


def fiscal_year(text: object) -> str:
    """A fiscal year in the project's spelling: '2015/16', '2015-2016' and '2015–16' all give '2015-16'."""
    found = _FISCAL.match(str(text)) if text is not None else None
    if not found:
        raise ValueError(f"price year {text!r} is not a fiscal year like 2015-16")
    start, end = int(found.group(1)), found.group(2)
    expected = f"{(start + 1) % 100:02d}" if len(end) == 2 else str(start + 1)
    if end != expected:
        raise ValueError(f"price year {text!r} is not a fiscal year: {start} is followed by {start + 1}")
    return f"{start}-{(start + 1) % 100:02d}"


@dataclass(frozen=True)
class DeflatorSeries:
    """An index by fiscal year, with where it came from."""

    path: str
    index: dict[str, Decimal]
    about: dict[str, str] = field(default_factory=dict)  # series, source, base, status, note

    @property
    def source(self) -> str:
        return self.about.get("source", "(no source named in the file)")

    @property
    def status(self) -> str:
        return self.about.get("status", "")

    @property
    def release(self) -> str:
        return self.about.get("release", "(no release named in the file)")

    @property
    def official(self) -> bool | None:
        """True: a published HM Treasury release as published; False: it is not; None: the file does not say."""
        said = self.about.get("official", "").strip().lower()
        return True if said in ("yes", "true") else False if said in ("no", "false") else None

    def describe(self) -> str:
        """One line for every uprated figure: which series, which release, and whether it is the official one."""
        verdict = {True: "a published HM Treasury release",
                   False: "NOT a published HM Treasury release",
                   None: "not stated whether it is a published HM Treasury release"}[self.official]
        status = f" {self.status}" if self.status else ""
        return f"GDP deflator ({self.path}): {self.source}; release: {self.release}; {verdict}.{status}"

    def level(self, year: str) -> Decimal:
        key = fiscal_year(year)
        if key not in self.index:
            years = sorted(self.index)
            raise InputError(f"{self.path}: no GDP deflator for {key} (the series covers {years[0]} to {years[-1]})")
        return self.index[key]

    def uprate(self, value: Decimal, from_year: str, to_year: str) -> Decimal:
        """`value` in `from_year` prices, in `to_year` prices, to the penny."""
        if fiscal_year(from_year) == fiscal_year(to_year):
            return value
        return (value * self.level(to_year) / self.level(from_year)).quantize(PENNY, rounding=ROUND_HALF_UP)


def read_series(path: Path | str, text: str) -> DeflatorSeries:
    """Parse a deflator file: '# key: value' header lines, then fiscal_year,index rows."""
    about: dict[str, str] = {}
    rows: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, _, value = line.lstrip("# ").partition(":")
            about[key.strip().lower()] = value.strip()
        elif line.strip():
            rows.append(line)
    reader = csv.DictReader(rows)
    if reader.fieldnames is None or {"fiscal_year", "index"} - set(reader.fieldnames):
        raise InputError(f"{path}: needs the columns fiscal_year,index (after any '#' header lines)")
    index: dict[str, Decimal] = {}
    for number, row in enumerate(reader, start=2):
        try:
            year = fiscal_year(row["fiscal_year"])
            level = Decimal(row["index"].strip())
        except (ValueError, InvalidOperation, AttributeError):
            raise InputError(f"{path}: data row {number}: fiscal_year {row['fiscal_year']!r} / index "
                             f"{row['index']!r} is not a fiscal year and a number") from None
        if level <= 0:
            raise InputError(f"{path}: data row {number}, column index: {level} must be above zero")
        index[year] = level
    if not index:
        raise InputError(f"{path}: no years in the deflator series")
    return DeflatorSeries(str(path), index, about)


@cache
def shipped_series() -> DeflatorSeries:
    path = reference.data_path(SERIES_FILE)
    return read_series("the series shipped with totalplace", path.read_text(encoding="utf-8"))


def series_for(workspace: Workspace | None) -> DeflatorSeries:
    """The workspace's own deflator series if it has one, otherwise the shipped one."""
    if workspace is not None:
        local = workspace.root / SERIES_FILE
        if local.exists():
            return read_series(f"the workspace's {SERIES_FILE}", local.read_text(encoding="utf-8"))
    return shipped_series()


def uprate(value: Decimal, from_year: str, to_year: str, series: DeflatorSeries | None = None) -> Decimal:
    """Uprate `value` from `from_year` prices to `to_year` prices with the GDP deflator (shipped by default)."""
    try:
        return (series or shipped_series()).uprate(value, from_year, to_year)
    except ValueError as error:
        raise InputError(str(error)) from None
