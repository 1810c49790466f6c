"""Co-location search speed: the k-d tree over 50,000 buildings at 500 m, against an all-pairs
baseline on 5,000 buildings (both run here, in the same process run), with the ratio.

The estate is synthetic: 60 towns scattered over a 150 km square around West Yorkshire, each
with buildings drawn around its centre (totalplace.estate.synthetic). Loading (validating
the register file) is timed apart from the search.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from totalplace.estate import synthetic
from totalplace.estate.colocate import Settings, opportunities
from totalplace.estate.register import read_buildings
from totalplace.estate.spatial import neighbours_all_pairs

RADIUS_M = 500.0
LARGE, SMALL = 50_000, 5_000


def towns(seed: int = 7, n: int = 60) -> list[tuple[str, float, float, float]]:
    rng = np.random.default_rng(seed)
    lat = 53.8 + rng.uniform(-0.67, 0.67, n)   # about 150 km north to south
    lon = -1.75 + rng.uniform(-1.13, 1.13, n)  # about 150 km east to west at this latitude
    return [(f"Town {k}", float(lat[k]), float(lon[k]), float(w)) for k, w in enumerate(rng.uniform(0.5, 2, n))]


def estate_of(n: int, folder: Path):
    path = synthetic.write(folder / f"buildings-{n}.csv", synthetic.COLUMNS, synthetic.buildings(n, 1, towns()))
    start = time.perf_counter()
    estate = read_buildings(path)
    return estate, time.perf_counter() - start


def timed(estate, **kwargs) -> tuple[list, float]:
    start = time.perf_counter()
    found = opportunities(estate, Settings(radius_m=RADIUS_M), **kwargs)
    return found, time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        large, load_large = estate_of(LARGE, Path(folder))
        small, _ = estate_of(SMALL, Path(folder))
    found_large, index_large = timed(large)
    found_small, index_small = timed(small)
    baseline_small, all_pairs_small = timed(small, neighbours=neighbours_all_pairs)
    same = [(o.hub.id, [b.id for b in o.dispose]) for o in found_small] == \
           [(o.hub.id, [b.id for b in o.dispose]) for o in baseline_small]
    print(f"load (validate) {LARGE:,} buildings: {load_large:.2f} s")
    print(f"k-d tree, {LARGE:,} buildings at {RADIUS_M:.0f} m: {index_large:.2f} s, "
          f"{len(found_large):,} opportunities (target < 5 s: {'met' if index_large < 5 else 'NOT met'})")
    print(f"k-d tree, {SMALL:,} buildings: {index_small:.3f} s, {len(found_small):,} opportunities")
    print(f"all pairs, {SMALL:,} buildings: {all_pairs_small:.3f} s, same opportunities: {same}")
    print(f"ratio all pairs / k-d tree on {SMALL:,}: {all_pairs_small / index_small:.1f}x")
    print(f"all pairs at {LARGE:,} would grow by (n2/n1)^2 = 100x: about {all_pairs_small * 100:.0f} s")
    return 0 if same and index_large < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
