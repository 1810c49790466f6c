"""Money counted once whatever the payee is called: payee matching with review, and pass-through payments.

On the real Leeds files: payments to a renamed police authority, business rates paid
over to the Secretary of State, precepts, levies and the pension fund.
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal

import pytest
from support.data import LEEDS, SPEND
from hypothesis import given, strategies as st
from typer.testing import CliRunner

from totalplace.classify import names, pass_through
from totalplace.cli import app
from totalplace.count import bottomup, transfers
from totalplace.ingest.load import ingest
from totalplace.store.connection import connect
from totalplace.workspace import Agency, AgencyKind, open_workspace

runner = CliRunner()
POLICE_PAYEES = ("West Yorkshire Police Authority", "P & Cc For West Yorkshire")
# A small ledger of the police's own: what it spends is its own spending, counted once.
POLICE_LEDGER = """Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name
Operational policing,Vehicles,15/10/2012,P1,12000.00,Northern Police Vehicles Ltd
Operational policing,Vehicles,20/11/2012,P2,8000.50,Northern Police Vehicles Ltd
Neighbourhood policing,Premises,21/11/2012,P3,3000.00,Leeds Facilities Ltd
"""


@pytest.fixture(scope="module")
def leeds_and_police(make_workspace):
    """Leeds's October and November 2012 payments, and West Yorkshire Police added by hand (no area code)."""
    police = Agency(id="west-yorkshire-police", name="West Yorkshire Police", kind=AgencyKind.police)
    files = {f"agencies/leeds-council/{month}.csv": SPEND / "leeds" / f"{month}.csv"
             for month in ("2012-10", "2012-11")}
    files[f"agencies/{police.id}/payments-2012.csv"] = POLICE_LEDGER
    return make_workspace("Leeds", [LEEDS], agencies=[police], files=files, load=True)


def _sql(workspace, query: str, params=()):
    con = connect(workspace, read_only=True)
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()


def _count(workspace, by: str = "agency", year: str = "2012-13") -> bottomup.Count:
    con = connect(workspace, read_only=True)
    try:
        return bottomup.count(con, workspace, by, year)
    finally:
        con.close()


def test_the_precept_to_a_renamed_police_authority_is_counted_once_after_review(leeds_and_police, tmp_path):
    shutil.copytree(leeds_and_police.root, tmp_path / "leeds")
    workspace = open_workspace(tmp_path / "leeds")
    paid = dict(_sql(workspace, "SELECT supplier_name, sum(amount) FROM spend_line WHERE agency_id = 'leeds-council' "
                                "AND supplier_name IN (SELECT unnest(?)) GROUP BY 1", [list(POLICE_PAYEES)]))
    assert set(paid) == set(POLICE_PAYEES), "Leeds paid the police authority in October and the PCC in November"
    spent_as_services = _sql(workspace, "SELECT coalesce(sum(amount), 0) FROM spend_line WHERE agency_id = "
                                        "'leeds-council' AND supplier_name IN (SELECT unnest(?)) AND pass_through IS NULL",
                             [list(POLICE_PAYEES)])[0][0]
    assert spent_as_services > 0, "besides the precept, Leeds pays the police for community safety work"
    before = _count(workspace)

    matching = transfers.match_payees(workspace)
    suggested = {s.name: s for s in matching.suggestions}
    assert set(POLICE_PAYEES) <= set(suggested), "both names are suggested for review, neither is taken on trust"
    for name in POLICE_PAYEES:
        suggestion = suggested[name]
        assert suggestion.target == "west-yorkshire-police"
        evidence = " ".join(suggestion.evidence)
        assert "police" in evidence and f"{paid[name]:,.2f}" in evidence, evidence

    listed = runner.invoke(app, ["transfers", "review", "-w", str(workspace.root)])
    assert listed.exit_code == 0, listed.output
    assert all(name in listed.output for name in POLICE_PAYEES)
    args = ["transfers", "review", "-w", str(workspace.root), "--by", "test analyst"]
    for name in POLICE_PAYEES:
        args += ["--accept", name]
    accepted = runner.invoke(app, args)
    assert accepted.exit_code == 0, accepted.output

    after = _count(open_workspace(workspace.root))
    assert after.total == before.total - spent_as_services
    assert after.within_count_transfers == before.within_count_transfers + sum(paid.values())
    counterparts = _sql(workspace, "SELECT DISTINCT counterpart_agency FROM spend_line WHERE supplier_name IN "
                                   "(SELECT unnest(?))", [list(POLICE_PAYEES)])
    assert counterparts == [("west-yorkshire-police",)]
    police_own = _sql(workspace, "SELECT sum(amount) FROM spend_line WHERE agency_id = 'west-yorkshire-police'")[0][0]
    assert next(r.amount for r in after.rows if r.key == "west-yorkshire-police") == police_own

    # the choice is an input that lasts: written to the workspace's rules, it holds when the store is rebuilt
    with (workspace.root / "rules" / transfers.ALIAS_FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["name"], r["agency"], r["decision"], r["decided_by"]) for r in rows} == {
        (name, "west-yorkshire-police", "accept", "test analyst") for name in POLICE_PAYEES}
    assert all(r["score"] and r["evidence"] for r in rows)
    assert not set(POLICE_PAYEES) & {s.name for s in transfers.match_payees(workspace).suggestions}
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(workspace.root, rebuilt, ignore=shutil.ignore_patterns("store"))
    ingest(open_workspace(rebuilt))
    assert _count(open_workspace(rebuilt)).total == after.total


def test_a_rejected_suggestion_is_not_suggested_again(leeds_and_police, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(leeds_and_police.root, copy)
    workspace = open_workspace(copy)
    name = POLICE_PAYEES[0]
    result = runner.invoke(app, ["transfers", "review", "-w", str(copy), "--reject", name])
    assert result.exit_code == 0, result.output
    assert name not in {s.name for s in transfers.match_payees(workspace).suggestions}
    assert _sql(workspace, "SELECT DISTINCT counterpart_agency FROM spend_line WHERE supplier_name = ?", [name]) == [
        (None,)]


def test_a_name_no_suggestion_holds_is_one_clear_error(leeds_and_police):
    result = runner.invoke(app, ["transfers", "review", "-w", str(leeds_and_police.root), "--accept", "Nobody Ltd"])
    assert result.exit_code == 2
    assert "Nobody Ltd" in result.output and "Traceback" not in result.output


def test_a_payee_of_another_kind_is_never_suggested(leeds_and_police):
    """West Yorkshire Fire & Rescue shares two words with West Yorkshire Police, but it is a fire authority."""
    matching = transfers.match_payees(open_workspace(leeds_and_police.root))
    fire = [s for s in matching.suggestions if "Fire" in s.name]
    assert not fire
    assert matching.payees > 1000 and matching.suggestions and matching.seconds >= 0


def test_business_rates_paid_over_are_a_transfer_not_spending(leeds_and_police):
    workspace = open_workspace(leeds_and_police.root)
    rates = _sql(workspace, "SELECT sum(amount), count(*) FROM spend_line WHERE supplier_name = 'The Secretary Of State' "
                            "AND expense_type = 'NNDR Income' AND fiscal_year = '2012-13'")[0]
    assert rates[0] == Decimal("11157579.00"), "Leeds paid over £5.6m of business rates in each month"
    kinds = _sql(workspace, "SELECT DISTINCT pass_through FROM spend_line WHERE expense_type = 'NNDR Income'")
    assert kinds == [(pass_through.PAID_OVER,)]
    by_theme = _count(workspace, "theme")
    everything = _sql(workspace, "SELECT sum(amount) FROM spend_line WHERE fiscal_year = '2012-13'")[0][0]
    assert by_theme.total == everything - by_theme.within_count_transfers - by_theme.pass_through
    assert by_theme.pass_through >= rates[0]
    theme_of_rates = _sql(workspace, "SELECT DISTINCT theme FROM spend_line WHERE expense_type = 'NNDR Income'")[0][0]
    with_rates = _sql(workspace, "SELECT sum(amount) FROM spend_line WHERE theme IS NOT DISTINCT FROM ? AND "
                                 "fiscal_year = '2012-13' AND pass_through IS NULL AND (counterpart_agency IS NULL "
                                 "OR counterpart_agency = agency_id)", [theme_of_rates])[0][0]
    row = next(r for r in by_theme.rows if r.key == (theme_of_rates or bottomup.UNCLASSIFIED))
    assert row.amount == with_rates


def test_count_by_transfer_separates_pass_through_payments_with_their_kind(leeds_and_police):
    workspace = open_workspace(leeds_and_police.root)
    result = _count(workspace, "transfer")
    spending = [r for r in result.rows if r.counted]
    passing = [r for r in result.rows if not r.counted]
    assert sum((r.amount for r in spending), Decimal(0)) == result.total == _count(workspace, "theme").total
    assert sum((r.amount for r in passing), Decimal(0)) == result.pass_through > 0
    assert {r.key for r in passing} <= {f"pass-through: {label}" for label in pass_through.PASS_THROUGH_LABELS.values()}
    assert "pass-through: paid over to central government" in {r.key for r in passing}
    lines, total, n = bottomup.trace(connect(workspace, read_only=True), "transfer",
                                     "pass-through: paid over to central government", "2012-13")
    assert total == next(r.amount for r in passing if r.key.endswith("central government")) and n == len(lines)
    cli = runner.invoke(app, ["count", "-w", str(workspace.root), "--by", "transfer", "--year", "2012-13"])
    assert cli.exit_code == 0, cli.output
    assert "pass-through" in cli.output and f"{result.pass_through:,.2f}" in cli.output


def test_precepts_levies_and_the_pension_fund_are_pass_through(real_con):
    """On every shipped Leeds and Bradford file: who is paid, and for what, decides the kind."""
    found = dict(((name, label), kind) for name, label, kind in real_con.execute(
        """SELECT supplier_name, coalesce(expense_type, expense_category), any_value(pass_through)
           FROM spend_line GROUP BY 1, 2""").fetchall())
    assert found[("West Yorkshire Fire & Rescue", "Fire Authority")] == pass_through.PRECEPT
    assert found[("Morley Parish Precept", "Parish Precepts")] == pass_through.PRECEPT
    assert found[("KEIGHLEY TOWN COUNCIL", "Parish Cnl Precepts")] == pass_through.PRECEPT
    assert found[("West Yorkshire Passenger Transport", "West Yorks Passenger Transport")] == pass_through.PRECEPT
    assert found[("West Yorkshire Pension Fund", "Funded Pensions Adjustments")] == pass_through.PENSION_FUND
    assert found[("WEST YORKSHIRE PENSION FUND", "Other Monthly Super")] == pass_through.PENSION_FUND
    assert found[("The Secretary Of State", "NNDR Income")] == pass_through.PAID_OVER
    # what is bought from a public body stays spending, and a private firm's mislabelled line is not a precept
    assert found[("West Yorkshire Passenger Transport", "Private Hire")] is None
    assert found[("Twofold Limited", "Office Consumables")] is None
    assert found[("West Yorkshire Police Authority", "Grant Related Expenditure")] is None


def test_the_largest_theme_of_leeds_is_no_longer_business_rates_paid_over(real_place, real_con):
    workspace, _ = real_place
    themes = bottomup.count(real_con, workspace, "theme", "2012-13")
    assert themes.rows[0].key != "Central and corporate"
    assert themes.pass_through > Decimal("54900000")


# --- the matching mechanism, apart from payees (registers reuse it) --------------------------------------------

def test_the_name_matcher_finds_names_aliases_and_suggests_with_evidence():
    matcher = names.NameMatcher([
        names.Target("dwp", "Department for Work and Pensions", kind="central_government", aliases=("DWP",)),
        names.Target("dfe", "Department for Education", kind="central_government"),
    ])
    assert matcher.exact("department for work & pensions") == ("dwp", "name")
    assert matcher.exact("D.W.P.") is None and matcher.exact("dwp") == ("dwp", "alias")
    [best] = matcher.suggest("Dept for Work and Pensions", kind="central_government")
    assert best.target == "dwp" and best.score >= 80 and best.evidence
    assert matcher.suggest("Dept for Work and Pensions", kind="nhs") == []
    assert matcher.suggest("Acme Widgets", kind="central_government") == []


@given(st.sampled_from(["West Yorkshire Police", "NHS Leeds CCG", "Leeds City Council"]),
       st.lists(st.sampled_from([" ", "  ", ".", ",", "-"]), max_size=3), st.booleans())
def test_case_spacing_and_punctuation_never_change_an_exact_match(name, noise, upper):
    matcher = names.NameMatcher([names.Target("t", name)])
    written = "".join(noise) + (name.upper() if upper else name.lower()) + "".join(noise)
    assert matcher.exact(written) == ("t", "name")


def test_decisions_are_read_back_and_a_bad_row_names_its_row_and_column(tmp_path):
    path = tmp_path / "aliases.csv"
    names.record_decisions(path, "agency", [names.Decision("Foo Authority", "foo", "accept", 88.0, "same kind", "me")])
    table = names.read_decisions(path, "agency", {"foo"})
    assert table.accepted == {names.normalised_name("Foo Authority"): "foo"}
    with path.open("a", encoding="utf-8") as handle:
        handle.write("Bar,unknown-agency,accept,90,x,me,2026-01-01\n")
    from totalplace.errors import InputError
    with pytest.raises(InputError, match=r"row 3, column agency"):
        names.read_decisions(path, "agency", {"foo"})
