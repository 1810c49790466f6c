"""Co-location opportunities: buildings of different agencies close together whose combined
occupied space fits in fewer of them.

Method (an estimate, said so in every output):

1. Buildings with the most spare space are tried first as *hubs*. A hub's cluster is every
   building not yet in another cluster within the chosen distance of it (so any two are at
   most twice the distance apart). A cluster must hold buildings of at least two agencies.
2. The occupied space (floor area x utilisation) is fitted into the cluster's best buildings,
   those in condition A or B first and the largest first, filled to at most the target
   utilisation. The buildings not needed are disposals.
3. Saving a year = running cost of the disposals, less the share of it that moves with
   the people (the variable share). Capital receipt = book value of freehold disposals
   (leasehold and PFI buildings end a lease or contract instead, with no receipt).
4. Opportunities are ranked by the saving a year, then the receipt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from totalplace.estate.register import Building, Condition, Estate, Tenure
from totalplace.estate.spatial import great_circle_m, neighbours_indexed

Neighbours = Callable[[np.ndarray, np.ndarray, float], list[list[int]]]
CONDITION_RANK = {Condition.a: 0, Condition.b: 1, Condition.c: 2, Condition.d: 3}
PENNY = Decimal("0.01")


@dataclass(frozen=True)
class Settings:
    radius_m: float = 500.0
    target_utilisation: float = 0.85
    variable_share: Decimal = Decimal("0.2")


@dataclass(frozen=True)
class Opportunity:
    rank: int
    hub: Building
    members: list[Building]
    keep: list[Building]
    dispose: list[Building]
    saving: Decimal
    receipt: Decimal
    occupied_m2: float
    kept_m2: float
    span_m: float

    @property
    def agencies(self) -> list[str]:
        return sorted({b.agency for b in self.members})


def _keep_order(building: Building) -> tuple:
    # Fit for purpose (A or B) first; then the largest, so that the space fits in as few as can hold it.
    return (CONDITION_RANK[building.condition] > 1, -building.floor_area_m2,
            building.running_cost / Decimal(str(building.floor_area_m2)), building.id)


@dataclass(frozen=True)
class _Arrays:
    """Per-building figures computed once, so each cluster is sized with array arithmetic."""
    occupied: np.ndarray   # floor area x utilisation
    capacity: np.ndarray   # floor area x target utilisation
    keep_rank: np.ndarray  # position in the order buildings are kept in

    @classmethod
    def of(cls, buildings: list[Building], settings: Settings) -> _Arrays:
        area = np.array([b.floor_area_m2 for b in buildings])
        order = sorted(range(len(buildings)), key=lambda i: _keep_order(buildings[i]))
        rank = np.empty(len(buildings), dtype=np.int64)
        rank[order] = np.arange(len(buildings))
        return cls(area * np.array([b.utilisation for b in buildings]), area * settings.target_utilisation, rank)


def consolidate(members: np.ndarray, arrays: _Arrays) -> tuple[np.ndarray, np.ndarray, float]:
    """The buildings to keep so that the occupied space fits at the target utilisation, and those to let go."""
    ordered = members[np.argsort(arrays.keep_rank[members])]
    occupied = float(arrays.occupied[members].sum())
    enough = np.cumsum(arrays.capacity[ordered]) >= occupied - 1e-9
    kept = int(np.argmax(enough)) + 1 if enough.any() else len(ordered)
    return ordered[:kept], ordered[kept:], occupied


def _opportunity(buildings: list[Building], hub: int, members: np.ndarray, arrays: _Arrays,
                 settings: Settings) -> Opportunity | None:
    keep_at, dispose_at, occupied = consolidate(members, arrays)
    if len(dispose_at) == 0:
        return None
    keep = [buildings[i] for i in keep_at]
    dispose = sorted((buildings[i] for i in dispose_at), key=lambda b: b.id)
    freed = sum((b.running_cost for b in dispose), Decimal(0))
    saving = (freed * (1 - settings.variable_share)).quantize(PENNY)
    receipt = sum((b.book_value for b in dispose if b.tenure == Tenure.freehold), Decimal(0))
    lat = np.array([buildings[i].lat for i in members])
    lon = np.array([buildings[i].lon for i in members])
    span = float(great_circle_m(buildings[hub].lat, buildings[hub].lon, lat, lon).max())
    return Opportunity(0, buildings[hub], [buildings[i] for i in members], keep, dispose, saving, receipt,
                       occupied, sum(b.floor_area_m2 for b in keep), span)


def opportunities(estate: Estate, settings: Settings = Settings(),
                  neighbours: Neighbours = neighbours_indexed) -> list[Opportunity]:
    """Ranked co-location opportunities; `neighbours` finds the buildings within the distance."""
    buildings = estate.buildings
    near = neighbours(estate.lat, estate.lon, settings.radius_m)
    arrays = _Arrays.of(buildings, settings)
    agency_codes = np.unique([b.agency for b in buildings], return_inverse=True)[1]
    taken = np.zeros(len(buildings), dtype=bool)
    found = []
    # Most spare space first (stable on the register's order), so hubs are the buildings that can absorb others.
    for hub in np.argsort(-(arrays.capacity / max(settings.target_utilisation, 1e-9) - arrays.occupied),
                          kind="stable"):
        if taken[hub] or len(near[hub]) < 2:
            continue
        members = np.asarray(near[hub])
        members = members[~taken[members]]
        if len(np.unique(agency_codes[members])) < 2:
            continue
        opportunity = _opportunity(buildings, int(hub), members, arrays, settings)
        if opportunity:
            taken[members] = True
            found.append(opportunity)
    found.sort(key=lambda o: (-o.saving, -o.receipt, o.hub.id))
    return [replace(o, rank=rank) for rank, o in enumerate(found, start=1)]
