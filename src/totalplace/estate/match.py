"""Needs and offers: agencies that need space, matched to spare space in other agencies' buildings.

``estate/needs.csv`` (or .xlsx): id, agency, need, floor_area_m2, lat, lon, within_m (default
1,000 m), use (optional). A building offers the space above its current use up to the target
utilisation. Needs are matched largest first, each to the nearest building of another agency
within its distance that still has room and, when the need names its use, whose own use can
share a building with it (`estate.sharing`); a match uses up that space for later needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from totalplace.inputs import read_table
from totalplace.estate.register import UK_LAT, UK_LON, Building, Estate
from totalplace.estate.sharing import Sharing, default_sharing
from totalplace.estate.spatial import chord, great_circle_m, to_xyz
from totalplace.workspace import Workspace


class Need(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    agency: str
    need: str
    floor_area_m2: float = Field(gt=0)
    lat: float = Field(ge=UK_LAT[0], le=UK_LAT[1])
    lon: float = Field(ge=UK_LON[0], le=UK_LON[1])
    within_m: float = Field(default=1000.0, gt=0)
    use: str = ""


@dataclass(frozen=True)
class Match:
    need: Need
    building: Building | None
    distance_m: float | None
    reason: str


def needs_path(workspace: Workspace) -> Path:
    folder = workspace.root / "estate"
    return folder / "needs.xlsx" if (folder / "needs.xlsx").exists() else folder / "needs.csv"


def load_needs(workspace: Workspace) -> list[Need]:
    path = needs_path(workspace)
    return [need for _, need in read_table(path, Need)] if path.exists() else []


def offered_m2(building: Building, target_utilisation: float) -> float:
    return max(0.0, building.floor_area_m2 * (target_utilisation - building.utilisation))


def match_needs(estate: Estate, needs: list[Need], target_utilisation: float = 0.85,
                sharing: Sharing | None = None) -> list[Match]:
    """Each need with the building that can take it, or the reason none can."""
    buildings = estate.buildings
    sharing = sharing or default_sharing()
    room = np.array([offered_m2(b, target_utilisation) for b in buildings])
    from scipy.spatial import cKDTree  # imported when used: scipy is a fifth of the CLI's start-up

    tree = cKDTree(to_xyz(estate.lat, estate.lon))
    matches = []
    for need in sorted(needs, key=lambda n: (-n.floor_area_m2, n.id)):
        near = tree.query_ball_point(to_xyz(np.array([need.lat]), np.array([need.lon]))[0], chord(need.within_m))
        near = [j for j in near if buildings[j].agency != need.agency]
        suited = [j for j in near if not need.use or sharing.can_share(need.use, buildings[j].use)]
        fits = [j for j in suited if room[j] >= need.floor_area_m2]
        if not fits:
            reason = (f"no other agency's building within {need.within_m:,.0f} m" if not near else
                      f"{len(near)} building(s) within {need.within_m:,.0f} m, none whose use can share a "
                      f"building with {need.use} (estate/uses.csv)" if not suited else
                      f"{len(suited)} building(s) within {need.within_m:,.0f} m, none with "
                      f"{need.floor_area_m2:,.0f} m² spare")
            matches.append(Match(need, None, None, reason))
            continue
        distances = great_circle_m(need.lat, need.lon, estate.lat[fits], estate.lon[fits])
        best = fits[int(np.argmin(distances))]
        room[best] -= need.floor_area_m2
        matches.append(Match(need, buildings[best], float(distances.min()),
                             f"{room[best] + need.floor_area_m2:,.0f} m² spare in its owner's building"))
    return matches
