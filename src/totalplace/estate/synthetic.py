"""A synthetic estate for the demo place: made-up buildings, reproducible from a seed, labelled synthetic.

No real register of Bradford's public buildings ships with totalplace; this one is drawn at
random around the district's towns so that co-location and matching can be shown. Every
row's `source` says it is synthetic, and every output of the estate says so too.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import numpy as np

SOURCE = "synthetic (totalplace demo generator)"
# Town centres of the Bradford district (approximate, from public maps) and a weight for each.
BRADFORD_TOWNS = [("Bradford", 53.7938, -1.7521, 0.55), ("Keighley", 53.8679, -1.9064, 0.15),
                  ("Shipley", 53.8331, -1.7735, 0.1), ("Bingley", 53.8486, -1.8383, 0.1),
                  ("Ilkley", 53.9250, -1.8227, 0.1)]
AGENCIES = [("bradford-council", ["office", "library", "depot", "children's centre", "leisure centre"], 0.45),
            ("nhs-bradford", ["health centre", "clinic", "office"], 0.2),
            ("west-yorkshire-police", ["police station", "office"], 0.12),
            ("west-yorkshire-fire", ["fire station"], 0.06),
            ("dwp", ["jobcentre"], 0.07),
            ("probation", ["probation office"], 0.04),
            ("housing", ["housing office"], 0.06)]
COLUMNS = ["id", "agency", "name", "postcode", "lat", "lon", "use", "floor_area_m2", "running_cost",
           "utilisation", "tenure", "condition", "book_value", "source", "lease_break"]
# What each kind of need is for, as a use of the table of uses that can share (estate.sharing).
NEED_USES = {"team base": "office", "clinic rooms": "clinic", "drop-in centre": "children's centre",
             "interview rooms": "office", "office": "office", "hub": "office"}
SPREAD_M = 1500.0


def _pick(rng: np.random.Generator, weights: list[float], n: int) -> np.ndarray:
    p = np.array(weights, dtype=float)
    return rng.choice(len(weights), size=n, p=p / p.sum())


def buildings(n: int, seed: int = 2010, towns: list[tuple[str, float, float, float]] = BRADFORD_TOWNS) -> list[list]:
    """n synthetic buildings as rows of COLUMNS."""
    rng = np.random.default_rng(seed)
    town = _pick(rng, [t[3] for t in towns], n)
    agency = _pick(rng, [a[2] for a in AGENCIES], n)
    north, east = rng.normal(0, SPREAD_M, n), rng.normal(0, SPREAD_M, n)
    area = np.round(np.exp(rng.normal(6.6, 0.7, n)))            # median ~ 750 m²
    cost_m2 = rng.uniform(80, 220, n)                           # running cost £ per m² a year
    utilisation = np.round(rng.beta(4, 2.2, n), 2)
    tenure = rng.choice(["freehold", "leasehold", "pfi"], n, p=[0.7, 0.25, 0.05])
    condition = rng.choice(["A", "B", "C", "D"], n, p=[0.2, 0.45, 0.25, 0.1])
    value_m2 = rng.uniform(600, 1800, n)
    rows = []
    for i in range(n):
        name_town, lat0, lon0, _ = towns[town[i]]
        agency_id, uses, _ = AGENCIES[agency[i]]
        use = uses[rng.integers(len(uses))]
        lat = lat0 + north[i] / 111_320
        lon = lon0 + east[i] / (111_320 * np.cos(np.radians(lat0)))
        rows.append([f"S{i + 1:05d}", agency_id, f"{name_town} {use} {i + 1}", "", f"{lat:.6f}", f"{lon:.6f}",
                     use, f"{area[i]:.0f}", f"{Decimal(f'{area[i] * cost_m2[i]:.2f}')}", f"{utilisation[i]:.2f}",
                     tenure[i], condition[i],
                     f"{Decimal(f'{area[i] * value_m2[i]:.0f}') if tenure[i] == 'freehold' else Decimal(0)}",
                     SOURCE])
    # Drawn after every other column, so that those stay as earlier seeds made them.
    break_year, break_month = rng.integers(2026, 2036, n), rng.integers(1, 13, n)
    for i, row in enumerate(rows):
        row.append(f"{break_year[i]}-{break_month[i]:02d}-01" if tenure[i] != "freehold" else "")
    return rows


def write(path: Path, columns: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def needs(estate_rows: list[list], seed: int = 2010, n: int = 6) -> list[list]:
    """A few synthetic needs for space, placed near buildings of the register, as rows."""
    rng = np.random.default_rng(seed + 1)
    picks = rng.choice(len(estate_rows), size=n, replace=False)
    wanted = ["team base", "clinic rooms", "drop-in centre", "interview rooms", "office", "hub"]
    rows = []
    for k, i in enumerate(picks):
        row = estate_rows[i]
        agency = AGENCIES[(AGENCIES.index(next(a for a in AGENCIES if a[0] == row[1])) + 1) % len(AGENCIES)][0]
        kind = wanted[k % len(wanted)]
        rows.append([f"N{k + 1}", agency, f"{kind} (synthetic)", f"{rng.integers(2, 12) * 25}",
                     row[4], row[5], "1000", NEED_USES[kind]])
    return rows


NEED_COLUMNS = ["id", "agency", "need", "floor_area_m2", "lat", "lon", "within_m", "use"]
