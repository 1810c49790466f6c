"""The estate on a map that needs no tile server (SVG drawn with matplotlib) and as GeoJSON for GIS tools."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from totalplace.estate.colocate import Opportunity
from totalplace.estate.register import Building, Estate
from totalplace.present.charts import pyplot


def _lon_lat(buildings: list[Building]) -> tuple[list[float], list[float]]:
    """The buildings' longitudes and latitudes (a building without them is refused when read: Building._located)."""
    points = [(b.lon, b.lat) for b in buildings if b.lon is not None and b.lat is not None]
    assert len(points) == len(buildings), "a building without coordinates"
    return [lon for lon, _ in points], [lat for _, lat in points]


def svg_map(estate: Estate, found: list[Opportunity], title: str | None = None, top: int = 10,
            name: Callable[[str], str] = str) -> str:
    """Buildings coloured by agency (each agency by its `name`); the top opportunities circled, their disposals
    crossed. Drawn at the width of a portrait page, so its labels print at their size."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.8, 6.4))
    agencies = sorted({b.agency for b in estate.buildings})
    colours = plt.get_cmap("tab10")
    for k, agency in enumerate(agencies):
        mine = [b for b in estate.buildings if b.agency == agency]
        ax.scatter(*_lon_lat(mine), s=12, color=colours(k % 10), label=name(agency), alpha=0.8)
    for o in found[:top]:
        ax.scatter(*_lon_lat(o.dispose), marker="x", s=40, color="black")
        ax.annotate(str(o.rank), (o.hub.lon, o.hub.lat), fontsize=8, weight="bold",
                    xytext=(4, 4), textcoords="offset points")
        ax.scatter(*_lon_lat([o.hub]), s=160, facecolors="none", edgecolors="red")
    mid_lat = float(estate.lat.mean())
    ax.set_aspect(1 / math.cos(math.radians(mid_lat)))  # so that a kilometre is as long north as east
    _scale_bar(ax, mid_lat)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(title or f"{estate.label()}:\ntop {min(top, len(found))} co-location opportunities "
                 "(circled hub, x = disposal)", fontsize=9, loc="left")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    buffer = io.StringIO()
    # No date and fixed element ids: the same estate gives the same file.
    with plt.rc_context({"svg.hashsalt": "totalplace-estate"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def _scale_bar(ax, mid_lat: float) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km_lon = 1 / (111.32 * math.cos(math.radians(mid_lat)))
    length = max(1, round((x1 - x0) / km_lon / 5))
    start_x, start_y = x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.05
    ax.plot([start_x, start_x + length * km_lon], [start_y, start_y], color="black", linewidth=2)
    ax.text(start_x, start_y + (y1 - y0) * 0.01, f"{length} km", fontsize=8)


def _properties(building: Building) -> dict:
    data = building.model_dump(mode="json", exclude={"lat", "lon"})
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()}


def geojson(estate: Estate, found: list[Opportunity]) -> dict:
    """A FeatureCollection: every building as a Point; every opportunity as a MultiPoint of its buildings."""
    features = [{"type": "Feature", "id": b.id, "geometry": {"type": "Point", "coordinates": [b.lon, b.lat]},
                 "properties": {"layer": "building", **_properties(b)}} for b in estate.buildings]
    features += [{"type": "Feature", "id": f"opportunity-{o.rank}",
                  "geometry": {"type": "MultiPoint", "coordinates": [[b.lon, b.lat] for b in o.members]},
                  "properties": {"layer": "co-location opportunity", "rank": o.rank, "hub": o.hub.id,
                                 "agencies": o.agencies, "keep": [b.id for b in o.keep],
                                 "dispose": [b.id for b in o.dispose], "saving_a_year": f"{o.saving:.2f}",
                                 "capital_receipt": f"{o.receipt:.2f}"}} for o in found]
    return {"type": "FeatureCollection", "name": estate.label(), "synthetic": estate.synthetic, "features": features}


def write_geojson(estate: Estate, found: list[Opportunity], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(geojson(estate, found), indent=1), encoding="utf-8")
    return path
