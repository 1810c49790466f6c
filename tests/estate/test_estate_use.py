"""An estate that respects use: which uses can share a building (an editable table), lease-break dates, and
savings net of one-off moving costs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support.data import write_csv
from totalplace.cli import app
from totalplace.errors import InputError
from totalplace.estate.colocate import Settings, opportunities
from totalplace.estate.match import Need, match_needs
from totalplace.estate.register import Building, Estate, read_buildings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bradford" / "estate"
START = dt.date(2026, 4, 1)
runner = CliRunner()


def _building(i: str, agency: str, use: str, lat: float = 53.8, lon: float = -1.75, area: float = 1000,
              utilisation: float = 0.3, cost: str = "100000", tenure: str = "freehold", **extra) -> Building:
    return Building(id=i, agency=agency, name=i, lat=lat, lon=lon, use=use, floor_area_m2=area,
                    running_cost=Decimal(cost), utilisation=utilisation, tenure=tenure, condition="B",
                    book_value=Decimal(0), **extra)


def _sharing(path: Path, text: str):
    from totalplace.estate.sharing import read_sharing

    return read_sharing(write_csv(path, text))


def test_a_fire_station_is_not_moved_into_a_leisure_centre_unless_the_table_says_they_can_share(tmp_path):
    estate = Estate(Path("t.csv"), [_building("leisure", "council", "leisure centre", area=2000),
                                    _building("fire", "fire", "fire station", lat=53.8005, area=400)])
    assert opportunities(estate) == []  # the table shipped with totalplace: they cannot share
    allowed = _sharing(tmp_path / "uses.csv", "use,shares_with,note\nfire station,Leisure Centre,community rooms\n")
    (found,) = opportunities(estate, sharing=allowed)
    assert [b.id for b in found.dispose] == ["fire"]


def test_a_need_for_a_clinic_is_not_matched_to_a_fire_station():
    estate = Estate(Path("t.csv"), [_building("fire", "fire", "fire station"),
                                    _building("health", "council", "health centre", lat=53.805)])
    clinic = Need(id="N1", agency="nhs", need="clinic rooms", floor_area_m2=100, lat=53.8, lon=-1.75,
                  within_m=1000, use="clinic")
    (match,) = match_needs(estate, [clinic])
    assert match.building.id == "health"
    (nothing,) = match_needs(Estate(Path("t.csv"), estate.buildings[:1]), [clinic])
    assert nothing.building is None and "clinic" in nothing.reason


def test_on_the_demo_estate_every_opportunity_and_match_respects_use():
    """The demo's top opportunity moved a fire station into a leisure centre; a clinic need went to a fire station."""
    from totalplace.estate.match import load_needs
    from totalplace.estate.sharing import default_sharing
    from totalplace.workspace import Workspace

    estate = read_buildings(EXAMPLE / "buildings.csv")
    sharing = default_sharing()
    found = opportunities(estate)
    assert found
    for o in found:
        uses = {b.use for b in o.members}
        assert all(sharing.can_share(a, b) for a in uses for b in uses), (o.rank, uses)
    needs = load_needs(Workspace(EXAMPLE.parent, None))
    assert any(n.use for n in needs)
    for m in match_needs(estate, needs):
        if m.building and m.need.use:
            assert sharing.can_share(m.need.use, m.building.use), (m.need.id, m.building.use)


def test_the_uses_table_is_checked_row_by_row(tmp_path):
    with pytest.raises(InputError, match=r"uses.csv, row 3, column 'shares_with'"):
        _sharing(tmp_path / "uses.csv", "use,shares_with\noffice,library\nclinic,\n")


def test_the_default_table_can_be_written_into_the_workspace_to_edit(small_place):
    result = runner.invoke(app, ["estate", "uses", "--write", "-w", str(small_place.root)])
    assert result.exit_code == 0, result.output
    written = (small_place.root / "estate" / "uses.csv").read_text(encoding="utf-8")
    assert written.startswith("use,shares_with,note") and "police station,fire station" in written
    shown = runner.invoke(app, ["estate", "uses", "-w", str(small_place.root)])
    assert "estate/uses.csv" in shown.output and "fire station" in shown.output


def test_savings_are_net_of_one_off_moving_costs_and_wait_for_the_lease_break():
    # Both offices at 30%: 300 + 90 m² occupied fit in the big one. The small one goes.
    leased = Estate(Path("t.csv"), [
        _building("big", "council", "office"),
        _building("small", "police", "office", lat=53.8005, area=300, cost="40000", tenure="leasehold",
                  lease_break=dt.date(2028, 4, 1)),
    ])
    settings = Settings(radius_m=500, variable_share=Decimal("0.25"), moving_cost_m2=Decimal("200"), years=5,
                        start=START)
    (o,) = opportunities(leased, settings)
    assert o.saving == Decimal("30000.00")            # 40,000 x 0.75 a year once the lease is broken
    assert o.moving_cost == Decimal("18000.00")       # 90 m² moved at £200
    assert o.savings_from == dt.date(2028, 4, 1)
    # Five years from April 2026, the saving runs only from the break in April 2028: about 3 years.
    years = Decimal(5) - Decimal((dt.date(2028, 4, 1) - START).days) / Decimal("365.25")
    assert o.net_saving == (Decimal(30000) * years - Decimal(18000)).quantize(Decimal("0.01"))
    given = Estate(Path("t.csv"), [leased.buildings[0], leased.buildings[1].model_copy(
        update={"moving_cost": Decimal("5000"), "lease_break": None})])
    (o,) = opportunities(given, settings)
    assert o.moving_cost == Decimal("5000") and o.unknown_breaks == ["small"]
    assert o.net_saving == Decimal(30000 * 5 - 5000)


def test_opportunities_rank_by_the_saving_net_of_moving_costs():
    cheap_to_move = [_building("a1", "council", "office"), _building("a2", "police", "office", lat=53.8005,
                                                                        area=300, cost="20000")]
    dear_to_move = [_building("b1", "council", "office", lat=53.9),
                    _building("b2", "police", "office", lat=53.9005, area=300, cost="21000", moving_cost="90000")]
    found = opportunities(Estate(Path("t.csv"), cheap_to_move + dear_to_move),
                          Settings(moving_cost_m2=Decimal("100"), years=5, start=START))
    assert [o.hub.id for o in found] == ["a1", "b1"]  # b saves more a year, but its move costs more than it saves
    assert found[0].net_saving > found[1].net_saving and found[0].saving < found[1].saving
