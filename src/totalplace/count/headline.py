"""The one headline of a place: the whole-place best estimate for a year, counted once.

Agreed ledgers where they are loaded, the top-down count everywhere else (see
count.reconcile.best_estimate), with £ per head beside the region and England,
the share from ledgers and from top-down, the years of each (and whether they
differ), the months each agreed ledger covers, and the sources. The CLI
(`totalplace headline`), the report's first page and the web overview all show
this one object; none of them computes a figure of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from totalplace import display
from totalplace.count import bottomup, compare, reconcile, topdown
from totalplace.count.coverage import agency_years
from totalplace.money import format_money, per_head
from totalplace.store.connection import StoreConnection
from totalplace.workspace import Workspace


@dataclass(frozen=True)
class LedgerPart:
    """An agreed ledger in the headline: whose, how much of it counts in the place, and the months it covers."""

    agency: str
    name: str
    kind: str
    amount: Decimal
    months_covered: int
    coverage: str   # as every output says it: 'bradford-council: 2 of 12 months (PART YEAR: ...)'

    @property
    def part_year(self) -> bool:
        return self.months_covered < 12


@dataclass(frozen=True)
class Headline:
    place: str
    fiscal_year: str          # the year the headline is for (the ledgers' year, or the CRA's with no ledger)
    top_down_year: str        # the CRA year the top-down figures come from
    amount: Decimal
    population: int
    per_head: Decimal | None
    region: str
    region_per_head: Decimal | None   # the CRA's own figure for the region, per head of its people
    england_per_head: Decimal | None
    from_ledgers: Decimal             # agreed ledger figures
    from_top_down: Decimal
    ledgers: tuple[LedgerPart, ...]
    missing: tuple[str, ...]          # what the CRA year has no line for (missing, not zero)
    sources: tuple[str, ...]

    @property
    def years_differ(self) -> bool:
        return self.fiscal_year != self.top_down_year

    @property
    def ledger_share(self) -> float:
        return float(self.from_ledgers / self.amount) if self.amount else 0.0

    @property
    def part_year(self) -> bool:
        return any(p.part_year for p in self.ledgers)

    def sentence(self) -> str:
        """The headline in one sentence, as the CLI, the report and the web print it."""
        beside = [f"{self.region} {_rounded(self.region_per_head)}"] if self.region_per_head is not None else []
        beside += [f"England {_rounded(self.england_per_head)}"] if self.england_per_head is not None else []
        said = (f"{self.place}, {self.fiscal_year}: best estimate of all the public money spent in the place, "
                f"counted once, {_rounded(self.amount)}"
                + (f", {_rounded(self.per_head)} per head" if self.per_head is not None else "")
                + (f" ({', '.join(beside)} per head)" if beside else "")
                + f"; {self.ledger_share:.0%} from agreed ledgers, {1 - self.ledger_share:.0%} top-down "
                  f"(CRA {self.top_down_year}).")
        if self.years_differ:
            said += (f" The ledgers are of {self.fiscal_year} and the top-down figures of {self.top_down_year}: "
                     "different years.")
        if self.part_year:
            short = ", ".join(f"{p.name} {p.months_covered} of 12 months" for p in self.ledgers if p.part_year)
            said += f" PART YEAR: {short}."
        return said

    def composition(self) -> list[str]:
        """What the headline is made of, line by line: the agreed ledgers, the population, what is missing."""
        lines = [f"Agreed ledger: {p.name} ({p.kind}), {format_money(p.amount)} in the place; {p.coverage}."
                 for p in self.ledgers]
        if not self.ledgers:
            lines.append("No agreed ledger: every figure is top-down. Agree an agency's ledger in agreed.csv to use it "
                         "(its gaps are shown by totalplace reconcile).")
        lines.append(f"Population {self.population:,}.")
        return lines + [f"MISSING: {m}" for m in self.missing]

    def notes(self) -> list[str]:
        """The composition, then the sources."""
        return self.composition() + [f"Source: {s}" for s in self.sources]


def _rounded(amount: Decimal) -> str:
    """A best estimate, mostly apportioned: £4.83bn, £8,935 (the tables keep it to the penny)."""
    return display.money(amount, display.ROUNDED)


def headline_year(con: StoreConnection, year: str | None) -> str:
    """The year asked for; else the latest ledger year loaded; else the latest CRA year."""
    if year:
        return year
    ledger_years = bottomup.fiscal_years(con)
    return ledger_years[-1] if ledger_years else topdown.choose_year(con, None)


def headline(con: StoreConnection, workspace: Workspace, year: str | None = None) -> Headline:
    """The place's one headline for a year (default: the latest ledger year, else the latest CRA year)."""
    fiscal_year = headline_year(con, year)
    estimate = reconcile.best_estimate(con, workspace, fiscal_year)
    areas = workspace.settings.place.areas
    regions = topdown.regions_of(areas)
    beside = compare.regions(con, workspace, regions + [topdown.ENGLAND], estimate.top_down_year)
    per_region = {c.name: c.per_head(c.total) for c in beside}
    ledger = [f for f in estimate.figures if f.direction == "bottom-up"]
    from_ledgers = sum((f.amount for f in ledger), Decimal(0))
    return Headline(
        workspace.settings.place.name, fiscal_year, estimate.top_down_year, estimate.total, estimate.population,
        per_head(estimate.total, estimate.population), " + ".join(regions),
        per_region[regions[0]] if len(regions) == 1 else None, per_region[topdown.ENGLAND],
        from_ledgers, estimate.total - from_ledgers, _ledger_parts(con, workspace, fiscal_year, ledger),
        tuple(m.words for m in estimate.missing), _sources(estimate))


def _ledger_parts(con: StoreConnection, workspace: Workspace, year: str,
                  ledger: list[reconcile.Figure]) -> tuple[LedgerPart, ...]:
    covered = {c.agency_id: c for c in agency_years(con, year)}
    parts = []
    for agency_id in sorted({f.agency_or_department for f in ledger}):
        agency = workspace.agency(agency_id)
        amount = sum((f.amount for f in ledger if f.agency_or_department == agency_id), Decimal(0))
        coverage = covered[agency_id]
        parts.append(LedgerPart(agency_id, agency.name, agency.kind.value, amount, coverage.months_covered,
                                coverage.said(agency.name)))
    return tuple(parts)


def _sources(estimate: reconcile.BestEstimate) -> tuple[str, ...]:
    seen = dict.fromkeys(f"{f.source} ({f.confidence})" for f in estimate.figures)
    return tuple(seen)
