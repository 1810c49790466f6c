"""A count as the public sees it (count.disclosure): small groups merged last, and secondary suppression."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from totalplace.count.bottomup import Count, CountRow
from totalplace.count.disclosure import SuppressedCount, suppressed


def _count(lines: list[int], amounts: list[Decimal] | None = None) -> Count:
    amounts = amounts or [Decimal(100 * n) for n in lines]
    total = sum(amounts, Decimal(0))
    rows = [CountRow(f"g{i}", f"g{i}", a, n, None, float(a / total) if total else 0.0)
            for i, (a, n) in enumerate(zip(amounts, lines))]
    return Count("supplier", "2018-19", rows, total, sum(lines), Decimal(0), None,
                 pass_through=Decimal("77.00"), estimate="annualised")


def test_a_suppressed_count_keeps_its_threshold_merged_groups_and_the_counts_own_figures():
    """mypy found the suppressed count built positionally: the threshold landed in pass_through and
    the number of merged groups in coverage, so the note read "fewer than 0 payments"."""
    full = _count([40] + [2] * 5, [Decimal("900.00")] + [Decimal("20.00")] * 5)
    for threshold, shown_total in ((5, Decimal("1000.00")), (11, None)):  # 10 payments merged: enough, then too few
        seen = suppressed(full, threshold)
        assert isinstance(seen, SuppressedCount)
        assert (seen.threshold, seen.merged) == (threshold, 5)
        assert (seen.pass_through, seen.coverage, seen.estimate) == (Decimal("77.00"), [], "annualised")
        assert seen.total == shown_total
        assert seen.rows[-1].key == "other (5 groups)"
        assert seen.rows[-1].amount == (Decimal("100.00") if shown_total else None)


def test_a_count_with_no_small_group_is_shown_whole():
    full = _count([5, 9, 30])
    assert suppressed(full, 5) is full


@given(st.lists(st.integers(1, 30), min_size=1, max_size=12), st.integers(1, 12))
def test_no_small_group_shows_and_what_is_shown_adds_up(lines, threshold):
    full = _count(lines)
    seen = suppressed(full, threshold)
    if seen is full:
        assert all(n >= threshold for n in lines)
        return
    assert isinstance(seen, SuppressedCount)
    *kept, other = seen.rows
    assert all(r.lines is not None and r.lines >= threshold for r in kept)  # every group shown is big enough
    assert other.key.startswith("other (")
    if seen.total is None:  # too few together: nothing from which the merged groups could be worked out
        assert other.amount is None and other.lines is None and seen.lines is None and seen.per_head is None
        assert all(r.share is None for r in seen.rows)
    else:
        assert other.lines is not None and other.lines >= threshold
        assert sum((r.amount or Decimal(0) for r in seen.rows), Decimal(0)) == full.total
        assert seen.lines == full.lines
