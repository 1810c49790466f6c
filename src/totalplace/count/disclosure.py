"""A count as those who may not see every payment see it: small groups merged, and what would give them away withheld.

The public, and an agency's analyst looking beyond their own agency, see a
breakdown whose small groups may identify a person paid. The rule is the one
threshold the workspace sets (`Workspace.suppress_below`), shared with the
cohort outputs. Here, beside the count it protects, so that the web only shows
what this returns and the same rule could serve any other reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from totalplace import display
from totalplace.count.bottomup import Count, CountRow
from totalplace.count.coverage import AgencyYear
from totalplace.count.population import Population
from totalplace.money import per_head


@dataclass(frozen=True)
class ShownRow:
    """A row of a suppressed count: its figures are None where they are withheld."""

    key: str
    label: str
    amount: Decimal | None
    lines: int | None
    per_head: Decimal | None
    share: float | None


@dataclass(frozen=True)
class SuppressedCount:
    """A count with its small groups merged into one "other (n groups)" row, always last.

    Last whatever its amount, so that its place in the amount order says nothing
    about the groups in it. When even together they are too few, the row's
    figures are withheld, and so are the total, the lines and the shares, from
    which they could be recovered by subtraction (secondary suppression).
    It has the attributes of the `Count` it came from that a reader shows.
    """

    by: str
    fiscal_year: str | None
    rows: list[ShownRow]
    total: Decimal | None
    lines: int | None
    population: Population | None
    threshold: int
    merged: int  # groups merged into the "other" row
    pass_through: Decimal = Decimal(0)
    coverage: list[AgencyYear] = field(default_factory=list)
    estimate: str | None = None

    @property
    def per_head(self) -> Decimal | None:
        return per_head(self.total, self.population.value if self.population else None) if self.total is not None else None


Shown = Count | SuppressedCount  # a count as a reader may see it


def suppressed(count: Count, threshold: int) -> Shown:
    """The count with its groups of fewer than `threshold` payments merged (the count itself when there are none)."""
    small = [r for r in count.rows if r.lines < threshold]
    if not small:
        return count
    kept = [r for r in count.rows if r.lines >= threshold]
    amount, lines = sum((r.amount for r in small), Decimal(0)), sum(r.lines for r in small)
    key = f"other ({display.plural(len(small), 'group')})"
    total: Decimal | None
    counted: int | None
    if lines >= threshold:
        rows = [_shown(r) for r in kept] + [_shown(_merged(count, key, amount, lines))]
        total, counted = count.total, count.lines
    else:
        rows = [ShownRow(r.key, r.label, r.amount, r.lines, r.per_head, None) for r in kept]
        rows.append(ShownRow(key, key, None, None, None, None))
        total, counted = None, None
    return SuppressedCount(count.by, count.fiscal_year, rows, total, counted, count.population,
                           threshold=threshold, merged=len(small), pass_through=count.pass_through,
                           coverage=count.coverage, estimate=count.estimate)


def _merged(count: Count, key: str, amount: Decimal, lines: int) -> CountRow:
    population = count.population.value if count.population else None
    return CountRow(key, key, amount, lines, per_head(amount, population),
                    float(amount / count.total) if count.total else 0.0)


def _shown(row: CountRow) -> ShownRow:
    return ShownRow(row.key, row.label, row.amount, row.lines, row.per_head, row.share)
