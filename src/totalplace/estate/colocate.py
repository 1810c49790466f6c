"""Co-location opportunities: buildings of different agencies close together whose combined
occupied space fits in fewer of them, and whose uses can share a building.

Method (an estimate, said so in every output):

1. Buildings with the most spare space are tried first as *hubs*. A hub's cluster is every
   building not yet in another cluster within the chosen distance of it (so any two are at
   most twice the distance apart) whose use can share a building with the use of every
   building already in the cluster (the table of uses, `estate.sharing`), nearest first.
   A cluster must hold buildings of at least two agencies.
2. The occupied space (floor area x utilisation) is fitted into the cluster's best buildings,
   those in condition A or B first and the largest first, filled to at most the target
   utilisation. The buildings not needed are disposals.
3. Saving a year = running cost of the disposals, less the share of it that moves with
   the people (the variable share). Capital receipt = book value of freehold disposals
   (leasehold and PFI buildings end a lease or contract instead, with no receipt).
4. Moving the disposals' people is a one-off cost: each building's own `moving_cost`, or its
   occupied floor area at a cost per m² (an assumption, shown in every output). A leasehold or
   PFI disposal saves only from its lease break. Net saving = the savings the disposals make
   over the years asked for (from the start date, each from its lease break) less the moving costs.
5. Opportunities are ranked by the net saving, then the saving a year, then the receipt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np

from totalplace.estate.register import Building, Condition, Estate, Tenure
from totalplace.estate.sharing import Sharing, default_sharing, normal_use
from totalplace.estate.spatial import great_circle_m, neighbours_indexed
from totalplace.money import to_pennies

Neighbours = Callable[[np.ndarray, np.ndarray, float], list[list[int]]]
CONDITION_RANK = {Condition.a: 0, Condition.b: 1, Condition.c: 2, Condition.d: 3}


DAYS_A_YEAR = Decimal("365.25")


@dataclass(frozen=True)
class Settings:
    radius_m: float = 500.0
    target_utilisation: float = 0.85
    variable_share: Decimal = Decimal("0.2")
    moving_cost_m2: Decimal = Decimal("200")  # one-off cost of moving a m² of occupied space: an assumption
    years: int = 5                            # the net saving is over this many years
    start: dt.date = field(default_factory=dt.date.today)  # when the years begin (lease breaks count from it)


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
    moving_cost: Decimal = Decimal(0)
    net_saving: Decimal = Decimal(0)
    savings_from: dt.date | None = None  # the last lease break among the disposals
    unknown_breaks: list[str] = field(default_factory=list)  # leasehold or PFI disposals with no lease break given

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
    yearly = {b.id: b.running_cost * (1 - settings.variable_share) for b in dispose}
    saving = to_pennies(sum(yearly.values(), Decimal(0)))
    receipt = sum((b.book_value for b in dispose if b.tenure == Tenure.freehold), Decimal(0))
    moving = to_pennies(sum((moving_cost(b, settings) for b in dispose), Decimal(0)))
    over_years = sum((yearly[b.id] * _years_saved(b, settings) for b in dispose), Decimal(0))
    leased = [b for b in dispose if b.tenure != Tenure.freehold]
    breaks = [b.lease_break for b in leased if b.lease_break]
    lat = np.array([buildings[i].lat for i in members])
    lon = np.array([buildings[i].lon for i in members])
    span = float(great_circle_m(buildings[hub].lat, buildings[hub].lon, lat, lon).max())
    return Opportunity(0, buildings[hub], [buildings[i] for i in members], keep, dispose, saving, receipt,
                       occupied, sum(b.floor_area_m2 for b in keep), span, moving,
                       to_pennies(over_years - moving), max(breaks, default=None),
                       [b.id for b in leased if not b.lease_break])


def moving_cost(building: Building, settings: Settings) -> Decimal:
    """The one-off cost of moving a building's people out: its own figure, or its occupied m² at the rate."""
    if building.moving_cost is not None:
        return building.moving_cost
    occupied = Decimal(str(building.floor_area_m2)) * Decimal(str(building.utilisation))
    return occupied * settings.moving_cost_m2


def _years_saved(building: Building, settings: Settings) -> Decimal:
    """Years of the period a disposal saves: all of them, or for a lease, those after its break."""
    if building.tenure == Tenure.freehold or building.lease_break is None:
        return Decimal(settings.years)
    waiting = Decimal(max(0, (building.lease_break - settings.start).days)) / DAYS_A_YEAR
    return max(Decimal(0), Decimal(settings.years) - waiting)


def opportunities(estate: Estate, settings: Settings | None = None, neighbours: Neighbours = neighbours_indexed,
                  sharing: Sharing | None = None) -> list[Opportunity]:
    """Ranked co-location opportunities; `neighbours` finds the buildings within the distance, `sharing`
    (default: the table shipped with totalplace) says which uses can share a building."""
    settings = settings or Settings()
    buildings = estate.buildings
    near = neighbours(estate.lat, estate.lon, settings.radius_m)
    arrays = _Arrays.of(buildings, settings)
    agency_codes = np.unique([b.agency for b in buildings], return_inverse=True)[1]
    shares = _ShareTable.of(buildings, sharing or default_sharing())
    taken = np.zeros(len(buildings), dtype=bool)
    found = []
    # Most spare space first (stable on the register's order), so hubs are the buildings that can absorb others.
    for hub in np.argsort(-(arrays.capacity / max(settings.target_utilisation, 1e-9) - arrays.occupied),
                          kind="stable"):
        if taken[hub] or len(near[hub]) < 2:
            continue
        members = np.asarray(near[hub])
        members = shares.cluster(int(hub), members[~taken[members]], estate)
        if len(np.unique(agency_codes[members])) < 2:
            continue
        opportunity = _opportunity(buildings, int(hub), members, arrays, settings)
        if opportunity:
            taken[members] = True
            found.append(opportunity)
    found.sort(key=lambda o: (-o.net_saving, -o.saving, -o.receipt, o.hub.id))
    return [replace(o, rank=rank) for rank, o in enumerate(found, start=1)]


@dataclass(frozen=True)
class _ShareTable:
    """Each building's use as a number, and which uses can share, as a square table of them."""
    use: np.ndarray       # building -> use number
    shares: np.ndarray    # use number x use number -> can share

    @classmethod
    def of(cls, buildings: list[Building], sharing: Sharing) -> _ShareTable:
        names, codes = np.unique([normal_use(b.use) for b in buildings], return_inverse=True)
        table = np.array([[sharing.can_share(a, b) for b in names] for a in names], dtype=bool).reshape(len(names), -1)
        return cls(codes, table)

    def cluster(self, hub: int, near: np.ndarray, estate: Estate) -> np.ndarray:
        """The hub and, nearest first, each building near it whose use can share with every use taken so far."""
        distance = great_circle_m(estate.lat[hub], estate.lon[hub], estate.lat[near], estate.lon[near])
        allowed = self.shares[self.use[hub]].copy()
        chosen = [hub]
        for i in near[np.lexsort((near, distance))]:
            if i != hub and allowed[self.use[i]]:
                chosen.append(int(i))
                allowed &= self.shares[self.use[i]]
        return np.array(chosen)
