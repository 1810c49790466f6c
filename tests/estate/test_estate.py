"""The shared estate: validation, co-location (index equals all pairs), matching, map, GeoJSON, demo file."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from support.data import write_csv
from support.properties import examples
from totalplace import display
from totalplace.cli import app
from totalplace.errors import InputError
from totalplace.estate import synthetic
from totalplace.estate.colocate import Settings, opportunities
from totalplace.estate.mapping import geojson, svg_map
from totalplace.estate.match import Need, match_needs
from totalplace.estate.register import Building, Estate, read_buildings
from totalplace.estate.report import report_sections
from totalplace.estate.spatial import great_circle_m, neighbours_all_pairs, neighbours_indexed

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bradford" / "estate"
HEADER = ",".join(synthetic.COLUMNS) + "\n"
runner = CliRunner()


def _building(i: str, agency: str, lat: float, lon: float, area: float, use: float, cost: str,
              condition: str = "B", tenure: str = "freehold", value: str = "1000") -> Building:
    return Building(id=i, agency=agency, name=i, lat=lat, lon=lon, use="office", floor_area_m2=area,
                    running_cost=Decimal(cost), utilisation=use, tenure=tenure, condition=condition,
                    book_value=Decimal(value))


def test_three_half_empty_buildings_fit_in_one_and_the_saving_is_their_running_cost():
    # 1,000 m² at 30% + 400 m² at 50% + 300 m² at 40% = 620 m² occupied; the 1,000 m² building
    # (largest, condition B) holds 850 m² at 85%, so the other two go.
    estate = Estate(Path("t.csv"), [
        _building("big", "council", 53.80, -1.75, 1000, 0.3, "100000"),
        _building("mid", "police", 53.801, -1.75, 400, 0.5, "50000", value="250000"),
        _building("small", "nhs", 53.80, -1.751, 300, 0.4, "30000", tenure="leasehold"),
        _building("far", "dwp", 53.90, -1.75, 300, 0.1, "99999"),
    ])
    (found,) = opportunities(estate, Settings(radius_m=500, variable_share=Decimal("0.25")))
    assert [b.id for b in found.keep] == ["big"] and [b.id for b in found.dispose] == ["mid", "small"]
    assert found.saving == Decimal("60000.00")  # (50,000 + 30,000) x 0.75
    assert found.receipt == Decimal("250000")   # only the freehold disposal has a receipt
    assert found.occupied_m2 == pytest.approx(620)


def test_buildings_of_one_agency_are_not_a_co_location():
    estate = Estate(Path("t.csv"), [_building("a", "council", 53.8, -1.75, 1000, 0.2, "10"),
                                    _building("b", "council", 53.8, -1.7501, 500, 0.2, "10")])
    assert opportunities(estate) == []


@settings(max_examples=examples(30), deadline=None)
@given(st.lists(st.tuples(st.floats(53.7, 53.72), st.floats(-1.80, -1.77)), min_size=1, max_size=60),
       st.floats(50, 2000))
def test_the_index_finds_exactly_the_pairs_measuring_every_pair_finds(points, radius):
    lat, lon = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    indexed = neighbours_indexed(lat, lon, radius)
    assert indexed == neighbours_all_pairs(lat, lon, radius)
    for i, near in enumerate(indexed):  # and both agree with the haversine distance
        d = great_circle_m(lat[i], lon[i], lat, lon)
        assert set(near) >= set(np.flatnonzero(d <= radius * 0.999999).tolist())
        assert set(near) <= set(np.flatnonzero(d <= radius * 1.000001).tolist())


def test_index_and_all_pairs_give_the_same_opportunities_on_the_demo_estate():
    estate = read_buildings(EXAMPLE / "buildings.csv")
    indexed = opportunities(estate)
    assert indexed and [(o.hub.id, o.saving) for o in indexed] == \
        [(o.hub.id, o.saving) for o in opportunities(estate, neighbours=neighbours_all_pairs)]
    assert [o.net_saving for o in indexed] == sorted((o.net_saving for o in indexed), reverse=True)
    for o in indexed:
        assert len(o.agencies) >= 2 and o.span_m <= 500.001
        assert sum(b.floor_area_m2 for b in o.keep) * 0.85 >= o.occupied_m2 - 1e-6


def test_shipped_demo_estate_is_the_generator_output_and_labelled_synthetic():
    rows = synthetic.buildings(150, 2010)
    with (EXAMPLE / "buildings.csv").open(newline="") as handle:
        shipped = list(csv.reader(handle))
    assert shipped == [synthetic.COLUMNS] + [[str(c) for c in r] for r in rows]
    estate = read_buildings(EXAMPLE / "buildings.csv")
    assert estate.synthetic and "SYNTHETIC" in estate.label()


@pytest.mark.parametrize("row, message", [
    ("B1,council,Hall,BD1 1HY,,,office,100,1000,0.5,freehold,B,0,", r"row 2, column '\(row\)'.*postcode BD1 1HY cannot be located offline"),
    ("B1,council,Hall,,-1.75,53.79,office,100,1000,0.5,freehold,B,0,", r"row 2, column 'lat'.*greater than or equal to 49"),
    ("B1,council,Hall,,53.79,-1.75,office,100,1000,150%,freehold,B,0,", r"row 2, column 'utilisation'.*less than or equal to 1"),
    ("B1,council,Hall,,53.79,-1.75,office,100,lots,0.5,freehold,B,0,", r"row 2, column 'running_cost'.*'lots' is not an amount"),
    ("B1,council,Hall,,53.79,-1.75,office,100,1000,0.5,owned,B,0,", r"row 2, column 'tenure'"),
])
def test_bad_register_rows_name_file_row_and_column(tmp_path, row, message):
    path = write_csv(tmp_path / "b.csv", HEADER + row + "\n")
    with pytest.raises(InputError, match=message):
        read_buildings(path)


def test_duplicate_building_ids_and_a_bad_file_leave_the_workspace_register_alone(small_place, tmp_path):
    good = write_csv(tmp_path / "good.csv", HEADER + "B1,council,Hall,,53.79,-1.75,office,100,1000,65%,freehold,b,0,\n")
    assert runner.invoke(app, ["estate", "load", str(good), "-w", str(small_place.root)]).exit_code == 0
    kept = (small_place.root / "estate" / "buildings.csv").read_text()
    bad = write_csv(tmp_path / "bad.csv", HEADER + "B1,council,Hall,,53.79,-1.75,office,100,1000,0.5,freehold,B,0,\n"
                    "B1,police,Station,,53.79,-1.75,office,100,1000,0.5,freehold,B,0,\n")
    result = runner.invoke(app, ["estate", "load", str(bad), "-w", str(small_place.root)])
    assert result.exit_code == 2 and "row 3, column 'id': 'B1' is already used on row 2" in result.output
    assert (small_place.root / "estate" / "buildings.csv").read_text() == kept


def test_needs_go_to_the_nearest_other_agency_with_room_and_space_is_not_promised_twice():
    estate = Estate(Path("t.csv"), [
        _building("near", "council", 53.800, -1.750, 1000, 0.55, "1"),   # 300 m² offered at 85%
        _building("farther", "police", 53.803, -1.750, 1000, 0.65, "1"),  # 200 m² offered
        _building("own", "nhs", 53.800, -1.750, 5000, 0.1, "1"),          # the needing agency's own
    ])
    needs = [Need(id="N1", agency="nhs", need="clinic", floor_area_m2=250, lat=53.8, lon=-1.75),
             Need(id="N2", agency="nhs", need="office", floor_area_m2=150, lat=53.8, lon=-1.75),
             Need(id="N3", agency="nhs", need="hall", floor_area_m2=400, lat=53.8, lon=-1.75)]
    found = {m.need.id: m for m in match_needs(estate, needs)}
    assert found["N1"].building.id == "near"
    assert found["N2"].building.id == "farther"  # 'near' has 50 m² left after N1
    assert found["N2"].distance_m == pytest.approx(333.6, abs=1)
    assert found["N3"].building is None and "none with 400 m² spare" in found["N3"].reason


def test_map_geojson_and_report_on_the_demo_estate(small_place):
    for name in ("buildings.csv", "needs.csv"):
        target = small_place.root / "estate" / name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes((EXAMPLE / name).read_bytes())
    estate = read_buildings(EXAMPLE / "buildings.csv")
    found = opportunities(estate)
    svg = svg_map(estate, found)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "http://" not in svg.replace(
        "http://www.w3.org", "").replace("http://purl.org", "").replace("http://creativecommons.org", "")
    data = json.loads(json.dumps(geojson(estate, found)))
    points = [f for f in data["features"] if f["properties"]["layer"] == "building"]
    assert len(points) == 150 and data["synthetic"] is True
    first = estate.buildings[0]
    assert points[0]["geometry"]["coordinates"] == [first.lon, first.lat]
    (section,) = report_sections(small_place)
    names = display.code_names(small_place)
    assert section.charts[0].svg == svg_map(estate, found, name=lambda agency: names.get(agency, agency))
    assert any("SYNTHETIC" in note for note in section.paragraphs)
    assert section.appendix[-1].title.startswith("Needs for space")
    # The map the CLI writes is the report's: its legend names each agency, not its code, in text a reader can find.
    written = small_place.root / "map.svg"
    result = CliRunner().invoke(app, ["estate", "map", "-w", str(small_place.root), "-o", str(written)])
    assert result.exit_code == 0, result.output
    assert written.read_text(encoding="utf-8") == section.charts[0].svg
