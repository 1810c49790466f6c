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
from decimal import Decimal

import numpy as np

Key = Hashable
TOLERANCE = 1e-9


@dataclass
class _Cell:
    units: int
    published: bool
    tier: float   # how much the figure matters: the lowest tier is withheld first to protect another
    exempt: bool  # published by design whatever its units (a median: one unit's cost, but nobody knows whose)
    value: Decimal | None  # its money, when it has some: two cells of the same money are taken as one figure


class Disclosure:
    """The cells of one run of outputs and their relations; `withheld()` decides what is not shown."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._cells: dict[Key, _Cell] = {}
        self._relations: list[dict[Key, int]] = []  # each: sum of coefficient x cell = 0
        self._withheld: frozenset | None = None
        self._solved: dict[frozenset, _Solved] = {}
        self._working: list[dict[Key, int]] = []  # the relations and the equalities of same-money cells
        self._touching: dict[Key, list[int]] = {}  # cell -> the working relations it is in

    # ---- building the plan ----------------------------------------------------------------------

    def add(self, key: Key, units: int, *, published: bool = True, tier: float = 1, exempt: bool = False,
            value: Decimal | None = None) -> Key:
        """A cell; the same key added again is the same figure (shown if either says so)."""
        cell = self._cells.get(key)
        if cell is None:
            self._cells[key] = _Cell(int(units), published, tier, exempt, value)
        else:
            cell.published, cell.tier = cell.published or published, max(cell.tier, tier)
        self._withheld = None
        return key

    def discount(self, which: Callable[[Key], bool], by: float) -> None:
        """Make some published cells cheaper to withhold than others of their tier (figures that matter less)."""
        for key, cell in self._cells.items():
            if which(key):
                cell.tier -= by
        self._withheld = None

    def relate(self, whole: Key, parts: Iterable[Key]) -> None:
        """whole = the sum of parts."""
        coefficients: dict[Key, int] = {whole: 1}
        for part in parts:
            coefficients[part] = coefficients.get(part, 0) - 1
        relation = {k: c for k, c in coefficients.items() if c}
        if len(relation) > 1:
            self._relations.append(relation)
            self._withheld = None

    def stretch(self, low: Key | None, high: Key, units: int, **cell) -> Key:
        """The units between two cumulative cells (low None: from the top) as a cell of its own."""
        key = ("between", low, high)
        new = key not in self._cells
        self.add(key, units, **cell)
        if new:
            self.relate(high, [key] if low is None else [low, key])
        return key

    def chain(self, cumulative: list[Key], positions: list[int],
              units: Callable[[int, int], int] | None = None, values: list[Decimal] | None = None) -> None:
        """Cumulative cells at increasing positions (the top r units of a ranking): the units between
        each two are a hidden cell, and so is every stretch of fewer than threshold units between any
        two, since the difference of two cumulative rows gives it away. `units(lo, hi)` counts the
        units that carry a value in positions lo+1..hi (default: all of them)."""
        count = units or (lambda lo, hi: hi - lo)
        known: list[Decimal | None] = list(values) if values else [None] * len(positions)
        ends: list[tuple[Key | None, int, Decimal | None]] = [(None, 0, Decimal(0))]
        ends += zip(cumulative, positions, known)
        for i, (low_key, low, low_value) in enumerate(ends):
            for j, (high_key, high, high_value) in enumerate(ends[i + 1:], start=i + 1):
                n = count(low, high)
                if j == i + 1 or 0 < n < self.threshold:
                    between = None if high_value is None or low_value is None else high_value - low_value
                    self.stretch(low_key, high_key, n, published=False, value=between)

    # ---- deciding -------------------------------------------------------------------------------

    def has(self, key: Key) -> bool:
        return key in self._cells

    def sensitive(self, key: Key) -> bool:
        cell = self._cells[key]
        return 0 < cell.units < self.threshold and not cell.exempt

    def is_withheld(self, key: Key) -> bool:
        return key in self.withheld()

    def withheld(self) -> frozenset:
        """The published cells not to show: the sensitive ones, and those that would let one be recovered."""
        if self._withheld is None:
            self._withheld = self._protect()
        return self._withheld

    def _protect(self) -> frozenset:
        self._solved = {}
        self._working = self._relations + self._same_money_is_one_figure()
        self._touching = {}
        for i, relation in enumerate(self._working):
            for key in relation:
                self._touching.setdefault(key, []).append(i)
        hidden = {k for k, c in self._cells.items() if c.published and self.sensitive(k)}
        while chosen := self._next_to_withhold(hidden):
            hidden |= chosen
        return frozenset(hidden)

    def _same_money_is_one_figure(self) -> list[dict[Key, int]]:
        """Cells of the same money, to the penny, are taken to be the same group (the same people in two
        scopes or two tables): one shown would give the other away."""
        by_value: dict[Decimal, list[Key]] = {}
        for key, cell in self._cells.items():
            if cell.value:
                by_value.setdefault(cell.value, []).append(key)
        return [{keys[0]: 1, other: -1} for keys in by_value.values() for other in keys[1:]]

    def _unknown(self, key: Key, hidden: set) -> bool:
        cell = self._cells[key]
        return cell.units > 0 and (key in hidden or not cell.published)

    def _candidates(self, keys: Iterable[Key], hidden: set) -> list[Key]:
        """Published cells still shown, the least useful first."""
        shown = {k for k in keys if self._cells[k].published and k not in hidden and self._cells[k].units > 0}
        return sorted(shown, key=lambda k: (self._cells[k].tier, self._cells[k].units, str(k)))

    def _next_to_withhold(self, hidden: set) -> set:
        """Cells to withhold next so that no protected figure can be worked out (empty: none can be).

        Withholding more only ever leaves more unknown, so one cell chosen for each figure given away
        (from one reduction of its group's relations) can be withheld together. A cell that would itself
        be worked out once withheld is chosen last: withholding it helps nobody and would need more.
        """
        for relation in self._working:
            if self._small_group(relation, hidden):
                candidates = self._candidates(relation, hidden)
                if candidates:
                    return {self._best(candidates, hidden, lambda c: not self._small_group(relation, hidden | {c}))}
        chosen: set = set()
        for unknown, relations in self._components(hidden):
            solved = self._solve(unknown, relations)
            for target in sorted((k for k in solved.determined() if self._protected(k, hidden)), key=str):
                if any(solved.broken_by(target, c) for c in chosen):
                    continue
                candidates = self._candidates({k for r in solved.relations_used(target) for k in r}, hidden)
                if candidates:
                    chosen.add(self._best(candidates, hidden | chosen, lambda c: solved.broken_by(target, c)))
        return chosen

    def _best(self, candidates: list[Key], hidden: set, fixes: Callable[[Key], bool]) -> Key:
        """The first candidate that fixes the problem and stays unknown once withheld; else the first that fixes
        it; else the first."""
        fixing = [c for c in candidates if fixes(c)]
        return next((c for c in fixing if self._stays_unknown(c, hidden | {c})), (fixing or candidates)[0])

    def _solve(self, unknown: list[Key], relations: list[dict[Key, int]]) -> _Solved:
        group = frozenset(unknown)
        if group not in self._solved:  # a group's relations depend only on which cells are unknown
            self._solved[group] = _Solved(unknown, relations)
        return self._solved[group]

    def _stays_unknown(self, key: Key, hidden: set) -> bool:
        """Whether a withheld cell cannot be worked out from the relations its group of unknown cells is in."""
        unknown, relations, frontier, seen = {key}, [], [key], set()
        while frontier:
            for i in self._touching.get(frontier.pop(), ()):
                if i not in seen:
                    seen.add(i)
                    relations.append(self._working[i])
                    fresh = [k for k in self._working[i] if k not in unknown and self._unknown(k, hidden)]
                    unknown.update(fresh)
                    frontier += fresh
        return key not in self._solve(sorted(unknown, key=str), relations).determined()

    def _protected(self, key: Key, hidden: set) -> bool:
        """Whether a cell must stay unknown: it is sensitive, or it is a published cell withheld (a reader told
        a figure is withheld must not be able to work it out)."""
        return self.sensitive(key) or key in hidden

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

        touching = [(r, [k for k in r if self._unknown(k, hidden)]) for r in self._working]
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



class _Solved:
    """The relations over one group of unknown cells, reduced once to ask what they fix.

    Gauss-Jordan elimination of the relations (rows) over the unknown cells (columns), keeping
    beside each row which relations it combines: a cell is fixed when a reduced row is its unit
    vector, and that row's combination says which relations give it away. Rows reduced to nothing
    span the combinations of relations that cancel every unknown.
    """

    def __init__(self, unknown: list[Key], relations: list[dict[Key, int]]) -> None:
        self.column = {k: i for i, k in enumerate(unknown)}
        self.relations = relations
        width, height = len(unknown), len(relations)
        rows = np.zeros((height, width + height))
        for i, relation in enumerate(relations):
            for k, coefficient in relation.items():
                if k in self.column:
                    rows[i, self.column[k]] = coefficient
        rows[:, width:] = np.eye(height)
        pivot_of: dict[int, int] = {}
        done = 0
        for column in range(width):
            if done == height:
                break
            best = done + int(np.argmax(np.abs(rows[done:, column])))
            if abs(rows[best, column]) < TOLERANCE:
                continue
            rows[[done, best]] = rows[[best, done]]
            rows[done] /= rows[done, column]
            factors = rows[:, column].copy()
            factors[done] = 0.0
            touched = np.flatnonzero(factors)  # the relations are sparse: only these rows change
            rows[touched] -= factors[touched, None] * rows[done]
            pivot_of[column] = done
            done += 1
        self.reduced, self.combined = rows[:, :width], rows[:, width:]
        self.pivot_of, self.rank = pivot_of, done

    def determined(self) -> list[Key]:
        """The unknown cells the relations fix."""
        return [k for k, i in self.column.items() if i in self.pivot_of
                and (np.abs(self.reduced[self.pivot_of[i]]) > 1e-9).sum() == 1]

    def relations_used(self, target: Key) -> list[dict[Key, int]]:
        """The relations whose combination gives the target."""
        weights = self.combined[self.pivot_of[self.column[target]]]
        return [r for r, w in zip(self.relations, weights) if abs(w) > 1e-9]

    def broken_by(self, target: Key, cell: Key) -> bool:
        """Whether withholding a published cell of these relations leaves the target unknown: the combination
        that gives the target uses the cell, and no combination that cancels every unknown can cancel it too."""
        coefficients = np.array([r.get(cell, 0) for r in self.relations], dtype=float)
        cancelling = self.combined[self.rank:]
        weights = self.combined[self.pivot_of[self.column[target]]]
        return bool(np.abs(cancelling @ coefficients).max(initial=0.0) < 1e-9 and abs(weights @ coefficients) > 1e-9)
