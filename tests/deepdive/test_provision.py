"""Provision maps: programmes x providers x funding streams, and funders overlapping on a provider."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from support.data import PROJECT, write_csv
from totalplace.cli import app
from totalplace.count.funding_streams import read_streams
from totalplace.deepdive import provision as pv
from totalplace.errors import InputError
from totalplace.store.connection import connect

# agency, service, expense, supplier, amount, theme, transfer kind
LINES = [
    ("bradford-council", "Public Health", "PH1 DrugsAlco misuse", "CHANGE,GROW,LIVE SERVICES LIMITED", "1000.00", "Drugs and alcohol", None),
    ("bradford-council", "Public Health", "PH1 DrugsAlco misuse", "CHANGE,GROW,LIVE SERVICES LIMITED", "500.50", "Drugs and alcohol", None),
    ("bradford-council", "Public Health", "PH4 DrugsAlco misuse", "BRADFORD DISTRICT CARE NHS FOUNDATI", "700.00", "Drugs and alcohol", "nhs"),
    ("bradford-council", "Housing", "Rents", "HORTON HOUSING SUPPORT LTD", "300.00", "Drugs and alcohol", None),
    ("bradford-council", "Housing", "Rents", "HORTON HOUSING SUPPORT LTD", "999.99", "Housing and homelessness", None),
]
REGISTER = (
    "name,funder,recipient,theme,client_group,fiscal_year,amount,ring_fenced,reporting_returns,service_pattern\n"
    "PH grant,DHSC,Bradford council,Drugs and alcohol,Drug users,2018-19,1000,yes,4,DrugsAlco\n"
    "Liaison,NHS England,Bradford District Care NHS Foundation Trust,Drugs and alcohol,Drug users,2018-19,250,yes,12,\n"
    "PCC fund,WY PCC,Bradford council,Drugs and alcohol,Drug users,2018-19,400,no,4,\n"
    "Other year,DHSC,Bradford council,Drugs and alcohol,Drug users,2017-18,9,no,0,Rents\n"
)


@pytest.fixture()
def place(small_place):
    con = connect(small_place)
    for number, (agency, service, expense, supplier, amount, theme, kind) in enumerate(LINES, start=2):
        con.execute("INSERT INTO spend_line (line_id, file_id, row_number, agency_id, service_label, expense_category, "
                    "payment_date, fiscal_year, amount, supplier_name) VALUES (?, 1, ?, ?, ?, ?, ?, '2018-19', ?, ?)",
                    [number, number, agency, service, expense, date(2018, 6, 1), Decimal(amount), supplier])
        con.execute("UPDATE spend_line SET theme = ?, transfer_kind = ? WHERE line_id = ?", [theme, kind, number])
    con.close()
    write_csv(small_place.root / "funding_streams.csv", REGISTER)
    return small_place


def _map(place, theme="Drugs and alcohol"):
    con = connect(place, read_only=True)
    try:
        return pv.provision(con, place, theme, "2018-19")
    finally:
        con.close()


def test_counts_by_hand(place):
    found = _map(place)
    # programmes: PH1, PH4, Housing/Rents from the ledger; the NHS England stream paid straight to the trust
    assert found.programmes == 4
    # providers: CGL, the trust (its ledger name cut short, matched to the register's full name), Horton
    assert found.providers == 3
    assert len(found.streams) == 3 and found.funders == 3  # the 2017-18 stream is another year
    assert found.amount == Decimal("1000.00") + Decimal("500.50") + Decimal("700.00") + Decimal("300.00") + 250
    assert found.headline.startswith("4 programmes, 3 providers, 3 funding streams from 3 funders")


def test_streams_link_to_the_programmes_their_pattern_names(place):
    found = _map(place)
    by_programme = {(c.programme, c.provider): c for c in found.commissions}
    cgl = by_programme[("Public Health / PH1 DrugsAlco misuse", "CHANGE,GROW,LIVE SERVICES LIMITED")]
    assert cgl.amount == Decimal("1500.50") and cgl.lines == 2
    assert cgl.streams == ("PH grant",) and cgl.funders == ("DHSC",) and cgl.client_groups == ("Drug users",)
    horton = by_programme[("Housing / Rents", "HORTON HOUSING SUPPORT LTD")]
    assert horton.streams == () and horton.funders == ("bradford-council",)  # no stream names it: the agency pays
    assert horton.amount == Decimal("300.00")  # the housing-theme line is another theme's
    direct = by_programme[("Liaison", "Bradford District Care NHS Foundation Trust")]
    assert direct.payer == "NHS England" and direct.lines == 0 and "row 3" in direct.source


def test_overlap_is_two_funders_paying_one_provider_for_one_client_group(place):
    overlaps = _map(place).overlaps
    assert len(overlaps) == 1
    trust = overlaps[0]
    assert trust.provider == "Bradford District Care NHS Foundation Trust"
    assert trust.client_group == "Drug users" and trust.funders == ["DHSC", "NHS England"]
    assert trust.amount == Decimal("950.00")


@pytest.mark.parametrize("ledger,register,same", [
    ("BRADFORD DISTRICT CARE NHS FOUNDATI", "Bradford District Care NHS Foundation Trust", True),
    ("CHANGE,GROW,LIVE SERVICES LIMITED", "Change, Grow, Live Services Limited", True),
    ("BRIDGE", "Bridge Project", False),  # too short a prefix to be sure
    ("HORTON HOUSING SUPPORT LTD", "Horton Park Primary School", False),
])
def test_provider_names_match_across_ledger_and_register(ledger, register, same):
    assert pv.same_body(ledger, register) is same


def test_nothing_to_map_is_said_plainly(place):
    with pytest.raises(InputError, match="nothing to map for theme 'Education'"):
        _map(place, "Education")


def test_cli_provision_and_report(place):
    result = CliRunner().invoke(app, ["provision", "--theme", "Drugs and alcohol", "--year", "2018-19",
                                      "-w", str(place.root), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1 + 4  # header and four programme-provider rows
    sections = pv.report_sections(place)
    assert [s.id for s in sections] == ["provision-drugs-and-alcohol"]
    chart = sections[0].charts[0]
    assert chart.svg.startswith("<svg") and chart.table.rows[0] == ["CHANGE,GROW,LIVE SERVICES LIMITED",
                                                                     Decimal("1500.50")]


def test_real_bradford_drugs_and_alcohol_map(real_place, real_con):
    """On the real 2018-19 payments: every pound of the theme is mapped, providers are the suppliers paid."""
    workspace, _ = real_place
    streams = read_streams(PROJECT / "examples" / "bradford" / "funding_streams.csv")
    found = pv.provision(real_con, workspace, "Drugs and alcohol", "2018-19", streams)
    ledger_total, suppliers = real_con.execute(
        """SELECT sum(amount), count(DISTINCT upper(supplier_name)) FROM spend_line
           WHERE theme = 'Drugs and alcohol' AND fiscal_year = '2018-19'""").fetchall()[0]
    assert sum(c.amount for c in found.commissions if c.source == "spend") == ledger_total
    direct = [s for s in streams if s.theme == "Drugs and alcohol" and s.recipient != "Bradford council"]
    # the register's two providers are already suppliers; the real ledger spells one supplier two ways
    assert found.providers == suppliers
    assert {o.provider for o in found.overlaps} == {s.recipient for s in direct}
