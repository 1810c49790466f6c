"""Small-number suppression across linked tables: primary and complementary suppression decided together.

Every figure an output publishes is a *cell*: the people or households behind it (its units), and
whether it is shown. *Relations* say which cells add up to which: a table's rows to its total, an
agency's cost to the cost of its top cohort and of everyone else, a cumulative row to the row before
it and the units in between. Cells that are never shown (everyone else's cost, the units between two
cumulative rows) are part of the plan too, because a reader can work them out.

A cell of 1 to threshold-1 units is *sensitive*. A sensitive cell that is published is withheld
(primary suppression); shown or not, it must not be recoverable from what is shown. Further cells
are withheld, the least useful first, until no sensitive cell can be solved for from the published
cells through the relations, and no relation gives away the sum of a group of fewer than threshold
units (complementary suppression).

A cell can be solved for exactly when its unit vector lies in the row space of the relations
restricted to the cells not shown; the tables are small, so the SVD of each connected part answers it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import numpy as np

Key = Hashable
TOLERANCE = 1e-9


@dataclass
class _Cell:
    units: int
    published: bool
    tier: int     # how much the figure matters: the lowest tier is withheld first to protect another
    exempt: bool  # published by design whatever its units (a median: one unit's cost, but nobody knows whose)


class Disclosure:
    """The cells of one run of outputs and their relations; `withheld()` decides what is not shown."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._cells: dict[Key, _Cell] = {}
        self._relations: list[dict[Key, int]] = []  # each: sum of coefficient x cell = 0
        self._withheld: frozenset | None = None

    # ---- building the plan ----------------------------------------------------------------------

    def add(self, key: Key, units: int, *, published: bool = True, tier: int = 1, exempt: bool = False) -> Key:
        """A cell; the same key added again is the same figure (shown if either says so)."""
        cell = self._cells.get(key)
        if cell is None:
            self._cells[key] = _Cell(int(units), published, tier, exempt)
        else:
            cell.published, cell.tier = cell.published or published, max(cell.tier, tier)
        self._withheld = None
        return key

    def relate(self, whole: Key, parts: Iterable[Key]) -> None:
        """whole = the sum of parts."""
        coefficients: dict[Key, int] = {whole: 1}
        for part in parts:
            coefficients[part] = coefficients.get(part, 0) - 1
        relation = {k: c for k, c in coefficients.items() if c}
        if len(relation) > 1:
            self._relations.append(relation)
            self._withheld = None

    def chain(self, cumulative: list[Key], positions: list[int],
              units: Callable[[int, int], int] | None = None) -> None:
        """Cumulative cells at increasing positions (the top r units of a ranking): the units between
        each two are a hidden cell, and so is every stretch of fewer than threshold units between any
        two, since the difference of two cumulative rows gives it away. `units(lo, hi)` counts the
        units that carry a value in positions lo+1..hi (default: all of them)."""
        count = units or (lambda lo, hi: hi - lo)
        ends = [(None, 0)] + list(zip(cumulative, positions))
        for i, (low_key, low) in enumerate(ends):
            for j, (high_key, high) in enumerate(ends[i + 1:], start=i + 1):
                n = count(low, high)
                if j == i + 1 or 0 < n < self.threshold:
                    stretch = self.add(("between", low_key, high_key), n, published=False)
                    self.relate(high_key, [stretch] if low_key is None else [low_key, stretch])

    # ---- deciding -------------------------------------------------------------------------------

    def sensitive(self, key: Key) -> bool:
        cell = self._cells[key]
        return 0 < cell.units < self.threshold and not cell.exempt

    def units(self, key: Key) -> int:
        return self._cells[key].units

    def is_withheld(self, key: Key) -> bool:
        return key in self.withheld()

    def withheld(self) -> frozenset:
        """The published cells not to show: the sensitive ones, and those that would let one be recovered."""
        if self._withheld is None:
            self._withheld = self._protect()
        return self._withheld

    def _protect(self) -> frozenset:
        hidden = {k for k, c in self._cells.items() if c.published and self.sensitive(k)}
        while (problem := self._first_problem(hidden)) is not None:
            candidates, still_a_problem = problem
            chosen = next((c for c in candidates if not still_a_problem(hidden | {c})), candidates[0])
            hidden.add(chosen)
        return frozenset(hidden)

    def _unknown(self, key: Key, hidden: set) -> bool:
        cell = self._cells[key]
        return cell.units > 0 and (key in hidden or not cell.published)

    def _candidates(self, keys: Iterable[Key], hidden: set) -> list[Key]:
        """Published cells still shown, the least useful first."""
        shown = {k for k in keys if self._cells[k].published and k not in hidden and self._cells[k].units > 0}
        return sorted(shown, key=lambda k: (self._cells[k].tier, self._cells[k].units, str(k)))

    def _first_problem(self, hidden: set):
        """(cells that could be withheld to fix it, test that it is still a problem), or None."""
        for relation in self._relations:
            if self._small_group(relation, hidden):
                candidates = self._candidates(relation, hidden)
                if candidates:
                    return candidates, lambda h, r=relation: self._small_group(r, h)
        for component, relations in self._components(hidden):
            solved = [k for k in _solvable(component, relations) if self.sensitive(k)]
            if solved:
                target = min(solved, key=str)
                candidates = self._candidates({k for r in relations for k in r}, hidden)
                if candidates:
                    return candidates, lambda h, t=target: self._solvable_now(t, h)
        return None

    def _small_group(self, relation: dict[Key, int], hidden: set) -> bool:
        """Whether the relation gives away the sum of two or more unknown cells of fewer than threshold units."""
        unknown = [k for k in relation if self._unknown(k, hidden)]
        signs = {relation[k] > 0 for k in unknown}
        total = sum(self._cells[k].units for k in unknown)
        return len(unknown) > 1 and len(signs) == 1 and 0 < total < self.threshold

    def _components(self, hidden: set) -> list[tuple[list[Key], list[dict[Key, int]]]]:
        """The unknown cells in groups linked by relations, each with the relations that touch it."""
        parent: dict[Key, Key] = {}

        def root(k: Key) -> Key:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        touching = [(r, [k for k in r if self._unknown(k, hidden)]) for r in self._relations]
        for _, unknown in touching:
            for k in unknown:
                parent.setdefault(k, k)
            for k in unknown[1:]:
                parent[root(k)] = root(unknown[0])
        groups: dict[Key, tuple[list[Key], list[dict[Key, int]]]] = {}
        for k in parent:
            groups.setdefault(root(k), ([], []))[0].append(k)
        for relation, unknown in touching:
            if unknown:
                groups[root(unknown[0])][1].append(relation)
        return list(groups.values())

    def _solvable_now(self, target: Key, hidden: set) -> bool:
        for component, relations in self._components(hidden):
            if target in component:
                return target in _solvable(component, relations)
        return False


def _solvable(unknown: list[Key], relations: list[dict[Key, int]]) -> set[Key]:
    """The unknown cells the relations fix (their unit vector lies in the relations' row space)."""
    column = {k: i for i, k in enumerate(unknown)}
    matrix = np.zeros((len(relations), len(unknown)))
    for row, relation in enumerate(relations):
        for k, coefficient in relation.items():
            if k in column:
                matrix[row, column[k]] = coefficient
    _, singular, rows = np.linalg.svd(matrix, full_matrices=False)
    rank = int((singular > TOLERANCE * max(1.0, singular[0] if len(singular) else 0.0)).sum())
    reach = (rows[:rank] ** 2).sum(axis=0)
    return {k for k, i in column.items() if reach[i] > 1 - 1e-6}
