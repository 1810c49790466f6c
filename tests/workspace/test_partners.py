"""Who else serves this place: init lists the police force, fire authority, county and CCG/ICB from the lookups."""

from __future__ import annotations

import csv
import shutil
import tomllib

from support.data import BRADFORD, LEEDS, SHARED_DATA, SPEND
from typer.testing import CliRunner

from totalplace import partners, reference
from totalplace.cli import app
from totalplace.ingest.load import ingest
from totalplace.store.connection import connect
from totalplace.workspace import open_workspace

runner = CliRunner()
CRAVEN = "E07000163"  # a district of North Yorkshire, served by the Bradford District and Craven CCG


def _lookup(name: str) -> list[dict[str, str]]:
    with (SHARED_DATA / "geography" / "lookups" / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_init_lists_the_partners_that_serve_the_place(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "bradford"), "--place", "Bradford", "--area", BRADFORD])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for expected in ("West Yorkshire Police", "West Yorkshire Fire and Rescue Authority",
                     "NHS Bradford District and Craven CCG", "NHS West Yorkshire Integrated Care Board",
                     "--with-partners"):
        assert expected in text, expected
    settings = tomllib.loads((tmp_path / "bradford" / "totalplace.toml").read_text())
    assert [a["kind"] for a in settings["agencies"]] == ["council"], "listed, not added, unless asked"


def test_a_two_tier_district_lists_its_county_and_each_partner_its_share(tmp_path):
    served = partners.serving([CRAVEN])
    by_kind = {p.kind: p for p in served}
    county = [r for r in _lookup("lookup_ltla23_utla23.csv") if r["ltla23_code"] == CRAVEN]
    ccg = [r for r in _lookup("lad21_to_ccg21_stp21_popweighted.csv") if r["ltla21_code"] == CRAVEN]
    if county:
        assert by_kind["county"].code == county[0]["utla23_code"]
    else:  # Craven is part of the North Yorkshire unitary since 2023: the 2021 county serves
        county21 = next(r for r in _lookup("lookup_ltla21_utla21.csv") if r["ltla21_code"] == CRAVEN)
        assert by_kind["county"].code == county21["utla21_code"]
    ccgs = {p.code: p for p in served if p.kind == "ccg"}
    assert set(ccgs) == {r["ccg21_code"] for r in ccg}
    for row in ccg:
        assert abs(ccgs[row["ccg21_code"]].share - float(row["share_of_lad_population"])) < 1e-9
    assert by_kind["police"].name.endswith("Police") and by_kind["fire"].name.endswith("Authority")


def test_with_partners_adds_them_as_agencies_with_their_areas(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "leeds"), "--place", "Leeds", "--area", LEEDS,
                                 "--with-partners"])
    assert result.exit_code == 0, result.output
    workspace = open_workspace(tmp_path / "leeds")
    by_kind = {}
    for agency in workspace.settings.agencies:
        by_kind.setdefault(agency.kind.value, []).append(agency)
        assert workspace.agency_dir(agency.id).is_dir()
    pfa = next(r for r in _lookup("lookup_ltla24_csp24_pfa24.csv") if r["ltla24_code"] == LEEDS)
    assert [a.area for a in by_kind["police"]] == [pfa["pfa24_code"]]
    assert [a.area for a in by_kind["fire"]] == ["E31000045"]
    assert {a.area for a in by_kind["nhs"]} == {"E38000225", "E54000054"}
    assert "council" in by_kind and len(by_kind["council"]) == 1, "a metropolitan district is its own county"


def test_a_partner_added_with_its_area_is_recognised_by_the_shipped_rules(tmp_path):
    """Leeds paid the police authority and, from November 2012, the PCC: both are the partner, with no review."""
    runner.invoke(app, ["init", str(tmp_path / "leeds"), "--place", "Leeds", "--area", LEEDS, "--with-partners"])
    workspace = open_workspace(tmp_path / "leeds")
    for month in ("2012-10", "2012-11"):
        shutil.copyfile(SPEND / "leeds" / f"{month}.csv", workspace.agency_dir("leeds-council") / f"{month}.csv")
    ingest(workspace)
    police = next(a.id for a in workspace.settings.agencies if a.kind.value == "police")
    con = connect(workspace, read_only=True)
    try:
        found = dict(con.execute(
            "SELECT supplier_name, any_value(counterpart_agency) FROM spend_line WHERE supplier_name IN "
            "('West Yorkshire Police Authority', 'P & Cc For West Yorkshire', 'West Yorkshire Fire & Rescue') "
            "GROUP BY 1").fetchall())
    finally:
        con.close()
    fire = next(a.id for a in workspace.settings.agencies if a.kind.value == "fire")
    assert found == {"West Yorkshire Police Authority": police, "P & Cc For West Yorkshire": police,
                     "West Yorkshire Fire & Rescue": fire}


def test_the_shipped_partner_table_is_rebuilt_from_the_public_lookups(tmp_path):
    partners.build(SHARED_DATA, tmp_path)
    shipped = reference.data_path(partners.PARTNER_FILE).read_text(encoding="utf-8")
    assert (tmp_path / partners.PARTNER_FILE).read_text(encoding="utf-8") == shipped
