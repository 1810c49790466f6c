"""Registers that resolve names: one funder under two names, a ledger heading renamed mid-year, a mangled supplier
name, and the providers a contracts register gives a programme.

Merges are suggested by the same matcher as the count's payees (classify.names), reviewed, and kept as editable
tables in the workspace's rules (funder_aliases.csv, programme_aliases.csv, provider_aliases.csv).
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from support.data import write_csv
from test_provision import _map
from totalplace.cli import app
from totalplace.count import funding_streams as fs
from totalplace.deepdive import register_review
from totalplace.errors import InputError
from totalplace.store.connection import connect

runner = CliRunner()
HEADER = "name,funder,recipient,theme,client_group,fiscal_year,amount,ring_fenced,reporting_returns\n"
WORK = "Worklessness, employment and skills"
# Two of DWP's streams, one written with its initials; one from another department for the same people.
REGISTER = HEADER + (
    f"Flexible Support Fund,DWP,Bradford council,\"{WORK}\",Jobseekers,2018-19,50000,yes,4\n"
    f"Work and Health Programme,Department for Work and Pensions,Shipley College,\"{WORK}\",Jobseekers,2018-19,"
    "80000,yes,12\n"
    f"Adult Education Budget,Department for Education,Bradford council,\"{WORK}\",Jobseekers,2018-19,30000,yes,2\n"
)


@pytest.fixture()
def register(small_place):
    write_csv(small_place.root / "funding_streams.csv", REGISTER)
    return small_place


def _work(workspace) -> fs.ThemeMeasures:
    return {m.theme: m for m in fs.by_theme(fs.read_register(workspace))}[WORK]


# --- funders --------------------------------------------------------------------------------------------------------

def test_dwp_and_its_full_name_are_one_funder_once_the_suggestion_is_accepted(register):
    assert _work(register).funders == 3  # as typed: DWP, Department for Work and Pensions, Department for Education
    found = register_review.suggestions(register)
    assert [(s.register, s.suggestion.name, s.suggestion.target) for s in found] == [
        ("funder", "DWP", "Department for Work and Pensions")]
    assert any("initials" in e for e in found[0].suggestion.evidence)
    register_review.review(register, accept=["DWP"], reject=[], decided_by="Head of Policy")
    with (register.root / "rules" / "funder_aliases.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["name"], r["funder"], r["decision"], r["decided_by"]) for r in rows] == [
        ("DWP", "Department for Work and Pensions", "accept", "Head of Policy")]
    work = _work(register)
    assert work.funders == 2 and (work.top_funder, work.top_funder_streams) == ("Department for Work and Pensions", 2)
    stream = next(s for s in fs.read_register(register) if s.name == "Flexible Support Fund")
    assert (stream.funder, stream.funder_as_written) == ("Department for Work and Pensions", "DWP")
    assert register_review.suggestions(register) == []


def test_a_deal_links_a_funder_by_any_name_the_register_counts_it_under(register):
    from totalplace.deal.evidence import Context, resolve

    register_review.review(register, accept=["DWP"], reject=[], decided_by="me")
    with Context(register) as context:
        for name in ("DWP", "Department for Work and Pensions"):
            assert resolve(context, f"streams:funder={name}").amount == Decimal("130000")  # both DWP streams


def test_a_funder_alias_typed_into_the_table_merges_without_review(register):
    write_csv(register.root / "rules" / "funder_aliases.csv",
              "name,funder,decision\nDepartment for Education,Department for Work and Pensions,reject\n"
              "dwp,Department for Work and Pensions,accept\n")
    assert _work(register).funders == 2
    # several funders paying several recipients for one client group: still two funders, named once each
    flag = fs.flags(fs.read_register(register))[0]
    assert flag.funders == ["Department for Education", "Department for Work and Pensions"]


def test_a_rejected_funder_suggestion_is_not_offered_again(register):
    register_review.review(register, accept=[], reject=["DWP"], decided_by="me")
    assert register_review.suggestions(register) == []
    assert _work(register).funders == 3


def test_a_funder_merely_alike_is_never_suggested(small_place):
    write_csv(small_place.root / "funding_streams.csv", HEADER + (
        f"A,Department for Education,Bradford council,\"{WORK}\",Jobseekers,2018-19,1,yes,0\n"
        f"B,Department for Transport,Bradford council,\"{WORK}\",Jobseekers,2018-19,1,yes,0\n"
        f"C,Department of Work and Pensions,Bradford council,\"{WORK}\",Jobseekers,2018-19,1,yes,0\n"
        f"D,Department for Work and Pensions,Bradford council,\"{WORK}\",Jobseekers,2018-19,1,yes,0\n"
        f"E,Department for Work and Pensions,Bradford council,\"{WORK}\",Adults,2018-19,1,yes,0\n"))
    found = [(s.suggestion.name, s.suggestion.target) for s in register_review.suggestions(small_place)]
    # the one with more streams is the name the other merges into; "Department for" alone makes no match
    assert found == [("Department of Work and Pensions", "Department for Work and Pensions")]


@pytest.mark.parametrize("table,where", [
    ("name,funder,decision\nDWP,Department for Work and Pensions,maybe\n", "row 2, column decision"),
    ("name,funder,decision\n,Department for Work and Pensions,accept\n", "row 2, column name"),
    ("name,funder\nDWP,Department for Work and Pensions\n", "row 1: missing column(s) decision"),
    ("name,funder,decision\nDWP,Department for Work and Pensions,accept\n"
     "Department for Work and Pensions,DWP,accept\n", "each accepted as the other"),
])
def test_a_bad_alias_table_is_one_clear_error(register, table, where):
    write_csv(register.root / "rules" / "funder_aliases.csv", table)
    with pytest.raises(InputError, match="funder_aliases.csv") as error:
        fs.read_register(register)
    assert where in str(error.value)
    shown = runner.invoke(app, ["streams", "show", "-w", str(register.root)])
    assert shown.exit_code == 2 and len(shown.output.strip().splitlines()) == 1


def test_cli_review_accepts_and_the_measures_follow(register):
    listed = runner.invoke(app, ["streams", "review", "-w", str(register.root), "--format", "csv"])
    assert listed.exit_code == 0, listed.output
    assert "DWP" in listed.output and "Department for Work and Pensions" in listed.output
    accepted = runner.invoke(app, ["streams", "review", "-w", str(register.root), "--accept", "dwp", "--by", "me"])
    assert accepted.exit_code == 0, accepted.output
    assert "funder_aliases.csv" in accepted.output
    unknown = runner.invoke(app, ["streams", "review", "-w", str(register.root), "--accept", "HMRC"])
    assert unknown.exit_code == 2 and "no suggestion" in unknown.output
    assert len(unknown.output.strip().splitlines()) == 1


# --- programmes and providers in the provision map --------------------------------------------------------------

DRUGS = "Drugs and alcohol"
# agency, service, expense, supplier, amount, payment date: Bradford's 2018-19 files renamed the service label
# "Health & Wellbeing" to "Public Health" in September, and a find-and-replace of the same text mangled a
# supplier's name in the earlier months (both as in the real files).
LINES = [
    ("Health & Wellbeing", "PH1 DrugsAlco misuse", "CHANGE,GROW,LIVE SERVICES LIMITED", "1000.00", date(2018, 5, 10)),
    ("Health & Wellbeing", "PH1 DrugsAlco misuse", "BEVAN Health & WellbeingCARE CIC", "70.00", date(2018, 6, 10)),
    ("Health & Wellbeing", "PH4 DrugsAlco misuse", "BRIDGE PROJECT", "300.00", date(2018, 7, 10)),
    ("Public Health", "PH1 DrugsAlco misuse", "CHANGE,GROW,LIVE SERVICES LIMITED", "1200.00", date(2018, 10, 10)),
    ("Public Health", "PH1 DrugsAlco misuse", "BEVAN HEALTHCARE CIC", "200.00", date(2018, 11, 10)),
    ("Public Health", "PH1 DrugsAlco misuse", "BEVAN HEALTHCARE CIC", "24.00", date(2019, 1, 10)),
    ("Public Health", "PH4 DrugsAlco misuse", "BRIDGE PROJECT", "350.00", date(2018, 12, 10)),
    # a service paid all year hands nothing over: its PH1 heading, paid once in April, is not 'Public Health / PH1'
    ("Drug Services", "PH1 DrugsAlco misuse", "TURNING POINT", "90.00", date(2018, 4, 10)),
    ("Drug Services", "PH6 DrugsAlco misuse", "TURNING POINT", "90.00", date(2019, 3, 10)),
]


@pytest.fixture()
def ledger(small_place):
    con = connect(small_place)
    for number, (service, expense, supplier, amount, paid) in enumerate(LINES, start=2):
        con.execute("INSERT INTO spend_line (line_id, file_id, row_number, agency_id, service_label, expense_category, "
                    "payment_date, fiscal_year, amount, supplier_name, theme) "
                    "VALUES (?, 1, ?, 'bradford-council', ?, ?, ?, '2018-19', ?, ?, ?)",
                    [number, number, service, expense, paid, Decimal(amount), supplier, DRUGS])
    con.close()
    return small_place


def _merges(workspace):
    return [(s.register, s.suggestion.name, s.suggestion.target)
            for s in register_review.suggestions(workspace, DRUGS, "2018-19")]


def test_a_heading_renamed_mid_year_is_one_programme_after_review(ledger):
    assert _map(ledger).programmes == 6  # as the ledger heads them: the renamed PH1 and PH4 count twice
    programmes = [m for m in _merges(ledger) if m[0] == "programme"]
    assert programmes == [
        ("programme", "Health & Wellbeing / PH1 DrugsAlco misuse", "Public Health / PH1 DrugsAlco misuse"),
        ("programme", "Health & Wellbeing / PH4 DrugsAlco misuse", "Public Health / PH4 DrugsAlco misuse")]
    evidence = next(s for s in register_review.suggestions(ledger, DRUGS, "2018-19")
                    if s.suggestion.name.startswith("Health & Wellbeing / PH1")).suggestion.evidence
    # the service label handed over: 'Health & Wellbeing' last paid in July, 'Public Health' first paid in October
    assert any("last paid 2018-07-10" in e and "first paid 2018-10-10" in e for e in evidence)
    register_review.review(ledger, accept=[p[1] for p in programmes], reject=[], decided_by="analyst",
                           theme=DRUGS, year="2018-19")
    found = _map(ledger)
    assert found.programmes == 4
    ph1 = [c for c in found.commissions if c.programme == "Public Health / PH1 DrugsAlco misuse"
           and c.provider == "CHANGE,GROW,LIVE SERVICES LIMITED"]
    assert len(ph1) == 1 and (ph1[0].amount, ph1[0].lines) == (Decimal("2200.00"), 2)
    assert found.amount == sum(Decimal(line[3]) for line in LINES)  # every pound still mapped, once


def test_a_mangled_supplier_name_is_one_provider_after_review(ledger):
    assert _map(ledger).providers == 5  # CGL, Bevan twice, Bridge, Turning Point
    providers = [m for m in _merges(ledger) if m[0] == "provider"]
    assert providers == [("provider", "BEVAN Health & WellbeingCARE CIC", "BEVAN HEALTHCARE CIC")]
    register_review.review(ledger, accept=["bevan health & wellbeingcare cic"], reject=[], decided_by="analyst",
                           theme=DRUGS, year="2018-19")
    assert (ledger.root / "rules" / "provider_aliases.csv").exists()
    found = _map(ledger)
    assert found.providers == 4
    bevan = sum(c.amount for c in found.commissions if c.provider == "BEVAN HEALTHCARE CIC")
    assert bevan == Decimal("294.00")


def test_the_cli_reviews_programmes_and_providers_of_a_theme(ledger):
    listed = runner.invoke(app, ["streams", "review", "--theme", DRUGS, "--year", "2018-19", "-w", str(ledger.root),
                                 "--format", "csv"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("\n") == 1 + 3  # header, two renamed headings, one mangled supplier
    done = runner.invoke(app, ["streams", "review", "--theme", DRUGS, "--year", "2018-19", "-w", str(ledger.root),
                               "--reject", "BEVAN Health & WellbeingCARE CIC", "--by", "me"])
    assert done.exit_code == 0, done.output
    assert [m for m in _merges(ledger) if m[0] == "provider"] == []


CONTRACTS = (
    "contract,commissioner,provider,theme,programme,client_group,value,start,end,basis\n"
    f"C1,Bradford council,\"Change, Grow, Live Services Limited\",{DRUGS},Adult drug and alcohol treatment,"
    "Adults who misuse drugs or alcohol,\"£2,400,000\",2018-04-01,2021-03-31,illustrative\n"
    f"C2,\"Change, Grow, Live Services Limited\",Project 6,{DRUGS},Adult drug and alcohol treatment,"
    "Adults who misuse drugs or alcohol,150000,2018-04-01,2021-03-31,illustrative\n"
    f"C3,Bradford council,Old Provider Ltd,{DRUGS},Needle exchange,,1000,2015-04-01,2018-03-31,illustrative\n"
)


def test_providers_of_a_programme_come_from_the_contracts_register(ledger):
    write_csv(ledger.root / "contracts.csv", CONTRACTS)
    found = _map(ledger)
    treatment = [c for c in found.commissions if c.programme == "Adult drug and alcohol treatment"]
    by_provider = {c.provider: c for c in treatment}
    # the ledger's payments to CGL, under both headings, are the commissioned programme's; the subcontractor the
    # ledger never pays is a provider of it too, with its contract's value and no money counted twice
    assert set(by_provider) == {"Change, Grow, Live Services Limited", "Project 6"}
    cgl = by_provider["Change, Grow, Live Services Limited"]
    assert (cgl.amount, cgl.lines, cgl.contracts) == (Decimal("2200.00"), 2, ("C1",))
    assert cgl.client_groups == ("Adults who misuse drugs or alcohol",) and cgl.contract_value == Decimal("2400000")
    project6 = by_provider["Project 6"]
    assert (project6.amount, project6.lines, project6.contract_value) == (0, 0, Decimal("150000"))
    assert "contracts.csv row 3" in project6.source
    assert not any(c.provider == "Old Provider Ltd" for c in found.commissions)  # ended before the year
    assert found.amount == sum(Decimal(line[3]) for line in LINES)
    # a ledger supplier resolves to the contract's provider: CGL is one provider, not two spellings
    assert found.providers == 6  # CGL, Project 6, Bevan twice, Bridge, Turning Point


def test_a_bad_contract_row_names_file_row_and_column(ledger):
    write_csv(ledger.root / "contracts.csv", CONTRACTS.replace(f"C3,Bradford council,Old Provider Ltd,{DRUGS}",
                                                               "C3,Bradford council,Old Provider Ltd,Nowhere"))
    with pytest.raises(InputError, match=r"contracts.csv, row 4, column 'theme'"):
        _map(ledger)


# --- on the real files ------------------------------------------------------------------------------------------

def test_real_bradford_renamed_headings_and_mangled_supplier_are_suggested(real_place):
    """Bradford's 2018-19 files head drugs and alcohol 'Health & Wellbeing' to August and 'Public Health' from
    September, and spell one provider 'BEVAN Health & WellbeingCARE CIC' in the earlier months."""
    workspace, _ = real_place
    found = register_review.suggestions(workspace, DRUGS, "2018-19")
    programmes = sorted((s.suggestion.name, s.suggestion.target) for s in found if s.register == "programme")
    assert programmes == [(f"Health & Wellbeing / PH{n} DrugsAlco misuse", f"Public Health / PH{n} DrugsAlco misuse")
                          for n in (1, 2, 3, 4, 6)]
    providers = [(s.suggestion.name, s.suggestion.target) for s in found if s.register == "provider"]
    assert providers == [("BEVAN Health & WellbeingCARE CIC", "BEVAN HEALTHCARE CIC")]
