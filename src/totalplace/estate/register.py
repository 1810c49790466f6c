"""The register of public buildings: ``estate/buildings.csv`` (or .xlsx) in the workspace.

One row a building: id, agency, name, postcode, lat, lon, use, floor_area_m2, running_cost
(a year), utilisation (share of the space in use, 0.65 or 65%), tenure, condition (A good
to D bad), book_value, and optionally source (e.g. "synthetic"), lease_break (the date a
leasehold or PFI building can first be given up) and moving_cost (the one-off cost of moving
its people out, when known better than the estimate per m²). Latitude and longitude are
required: a postcode cannot be placed on the map offline, and no postcode table ships with
totalplace (the ONS Postcode Directory is the source to look them up).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from totalplace.inputs import Money, Share, read_table
from totalplace.errors import InputError
from totalplace.workspace import Workspace

# Great Britain and Northern Ireland, with a margin: catches latitude and longitude typed the wrong way round.
UK_LAT, UK_LON = (49.0, 61.0), (-8.7, 2.0)


class Tenure(StrEnum):
    freehold = "freehold"
    leasehold = "leasehold"
    pfi = "pfi"
    licence = "licence"


class Condition(StrEnum):
    """Condition grades as in public-sector property surveys: A good ... D bad."""
    a = "A"
    b = "B"
    c = "C"
    d = "D"


class Building(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    agency: str
    name: str
    postcode: str = ""
    lat: float | None = Field(default=None, ge=UK_LAT[0], le=UK_LAT[1])
    lon: float | None = Field(default=None, ge=UK_LON[0], le=UK_LON[1])
    use: str
    floor_area_m2: float = Field(gt=0)
    running_cost: Money = Field(ge=0)
    utilisation: Share = Field(ge=0, le=1)
    tenure: Tenure
    condition: Condition
    book_value: Money = Field(ge=0)
    source: str = ""
    lease_break: dt.date | None = None
    moving_cost: Money | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _grades_upper(cls, data: dict) -> dict:
        if isinstance(data, dict):
            for key in ("condition", "tenure"):
                if isinstance(data.get(key), str):
                    data[key] = data[key].strip().upper() if key == "condition" else data[key].strip().lower()
        return data

    @model_validator(mode="after")
    def _located(self) -> Building:
        if self.lat is None or self.lon is None:
            hint = f" (postcode {self.postcode} cannot be located offline)" if self.postcode else ""
            raise ValueError(f"lat and lon are required{hint}; look them up in the ONS Postcode Directory")
        return self

    @property
    def spare_m2(self) -> float:
        return self.floor_area_m2 * (1 - self.utilisation)

    @property
    def synthetic(self) -> bool:
        return self.source.lower().startswith("synthetic")


@dataclass
class Estate:
    """The buildings, with their coordinates as arrays for the spatial index."""
    path: Path
    buildings: list[Building]

    @property
    def lat(self) -> np.ndarray:
        return np.array([b.lat for b in self.buildings], dtype=float)

    @property
    def lon(self) -> np.ndarray:
        return np.array([b.lon for b in self.buildings], dtype=float)

    @property
    def synthetic(self) -> bool:
        return any(b.synthetic for b in self.buildings)

    @property
    def running_cost(self) -> Decimal:
        return sum((b.running_cost for b in self.buildings), Decimal(0))

    def label(self) -> str:
        return "SYNTHETIC estate (made up for the demo, not real buildings)" if self.synthetic else "Estate register"


def register_path(workspace: Workspace) -> Path:
    folder = workspace.root / "estate"
    return folder / "buildings.xlsx" if (folder / "buildings.xlsx").exists() else folder / "buildings.csv"


def read_buildings(path: Path) -> Estate:
    """Every row of a register file validated, ids unique; or one clear error."""
    rows = read_table(path, Building)
    seen: dict[str, int] = {}
    for number, building in rows:
        if building.id in seen:
            raise InputError(f"{path}, row {number}, column 'id': {building.id!r} is already used on row {seen[building.id]}")
        seen[building.id] = number
    if not rows:
        raise InputError(f"{path}: no buildings")
    return Estate(path, [b for _, b in rows])


def load_estate(workspace: Workspace) -> Estate:
    path = register_path(workspace)
    if not path.exists():
        raise InputError(f"no estate register: put one at {path} (or run `totalplace estate load FILE`)")
    return read_buildings(path)


def import_register(workspace: Workspace, source: Path) -> Estate:
    """Check a register file and, only if every row is good, make it the workspace's register."""
    estate = read_buildings(source)
    target = workspace.root / "estate" / ("buildings.xlsx" if source.suffix.lower() == ".xlsx" else "buildings.csv")
    if source.resolve() != target.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.new")
        staged.write_bytes(source.read_bytes())
        staged.replace(target)  # the old register stays whole until the new one is complete
        target.with_suffix(".xlsx" if target.suffix == ".csv" else ".csv").unlink(missing_ok=True)
    return Estate(target, estate.buildings)
