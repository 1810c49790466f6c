"""Reconciliation and the best-estimate count: agreed ledger figures replace top-down council lines, counted once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from support.data import only_cra_releases
from support.cra_workbook import EDUCATION, PENSIONS, line, write_cra
from totalplace.count import reconcile, topdown
from totalplace.errors import InputError
from totalplace.store.connection import connect

BRADFORD = "E08000032"
WASTE = ["5. Environment protection", "5. Environment protection", "5.1 Waste management", "5.1 Waste management"]
YORKS = "ENGLAND_Yorkshire and The Humber"
GRANT_RULE = "G1,CG,,,,AREA BASED GRANT,,,council_ringfenced,yes,a grant passed to councils that they spend\n"


@pytest.fixture()
def place(tmp_path, make_workspace):
    """Bradford with a small CRA (one region, one year) and a council ledger for 2017-18."""
    workspace = make_workspace()
    workbook = write_cra(tmp_path / "cra.xlsx", ["2017-18"], [
        line("Local Government England", EDUCATION, "LG", YORKS, [1000]),
        line("Department for Work and Pensions", PENSIONS, "CG", YORKS, [500]),
        line("Department for Education", EDUCATION, "CG", YORKS, [200], programme="S1-AREA BASED GRANT"),
        line("Local Government England", WASTE, "LG", YORKS, [3000]),
    ])
    only_cra_releases(workspace)  # only this small CRA is counted
    con = connect(workspace)
    topdown.load(con, workspace, [workbook])
    rules = workspace.root / "rules" / "control_rules.csv"
    header, *rest = rules.read_text(encoding="utf-8").splitlines(keepends=True)
    rules.write_text(header + GRANT_RULE + "".join(rest), encoding="utf-8")
    ledger = [(1, "09.2", "400000.00"), (2, "05.1", "50000.00"), (3, None, "7.00")]
    con.executemany(
        "INSERT INTO spend_line (line_id, file_id, row_number, agency_id, payment_date, fiscal_year, amount) "
        "VALUES (?, 1, ?, 'bradford-council', DATE '2017-06-01', '2017-18', ?)",
        [[n, n, amount] for n, _, amount in ledger])
    con.executemany("UPDATE spend_line SET cofog = ? WHERE line_id = ?", [[cofog, n] for n, cofog, _ in ledger])
    return workspace, con


def shares(con, workspace) -> dict[str, Decimal]:
    """Bradford's top-down share of each CRA programme, as the plain top-down count gives it."""
    topdown.apportion(con, workspace, [BRADFORD], ["2017-18"])
    return dict(con.execute("SELECT l.department || ' ' || l.cofog, sum(s.amount) FROM topdown_share s "
                            "JOIN topdown_line l USING (line_id) GROUP BY 1").fetchall())


def test_agreed_ledger_replaces_council_lines_and_the_grant_once(place):
    workspace, con = place
    share = shares(con, workspace)
    (workspace.root / "agreed.csv").write_text(
        "agency,fiscal_year,cofog,amount,agreed_by,note\nbradford-council,2017-18,09,,Head of Finance,\n",
        encoding="utf-8")
    estimate = reconcile.best_estimate(con, workspace, "2017-18")
    everything = sum(share.values(), Decimal(0))
    council_education = share["Local Government England 09"] + share["Department for Education 09"]
    assert estimate.replaced == council_education
    assert estimate.total == everything - council_education + Decimal("400000.00")
    departments = {(f.agency_or_department, f.cofog) for f in estimate.figures}
    assert ("Department for Education", "09") not in departments  # the grant is not the department's as well
    assert ("Local Government England", "09") not in departments
    assert ("Department for Work and Pensions", "10") in departments
    assert ("Local Government England", "05") in departments  # not agreed: stays top-down
    ledger = [f for f in estimate.figures if f.direction == "bottom-up"]
    assert sum(f.amount for f in ledger) == Decimal("400000.00")
    assert all(f.agreed_by == "Head of Finance" and f.confidence.startswith("high") for f in ledger)
    assert {f.control_level for f in ledger} == {"council_ringfenced"}
    reconcile.save(con, workspace, estimate)
    saved = con.execute("SELECT sum(amount), count(*) FROM count_figure WHERE count = 'best-estimate'").fetchall()[0]
    assert saved == (estimate.total, len(estimate.figures))


def test_an_agreed_amount_wins_over_the_ledger(place):
    workspace, con = place
    share = shares(con, workspace)
    (workspace.root / "agreed.csv").write_text(
        "agency,fiscal_year,cofog,amount,agreed_by,note\nbradford-council,2017-18,5,\"£60,000\",CFO,\n",
        encoding="utf-8")
    estimate = reconcile.best_estimate(con, workspace, "2017-18")
    assert estimate.total == sum(share.values(), Decimal(0)) - share["Local Government England 05"] + Decimal("60000")


def test_reconciliation_shows_gap_and_causes(place):
    workspace, con = place
    share = shares(con, workspace)
    rows = {r.cofog: r for r in reconcile.reconcile(con, workspace, "2017-18")}
    education = rows["09"]
    assert education.bottom_up == Decimal("400000.00")
    assert education.top_down == share["Local Government England 09"] + share["Department for Education 09"]
    assert education.gap == education.bottom_up - education.top_down
    assert rows["05"].top_down == share["Local Government England 05"]
    assert rows[reconcile.UNCLASSIFIED].bottom_up == Decimal("7.00")
    assert education.gap > 0 and any("more in the ledger" in c for c in education.causes)
    waste = rows["05"]
    assert waste.gap < 0 and any("over £500" in c for c in waste.causes)
    assert all("schools" not in c for c in waste.causes)
    assert "10" not in rows or rows["10"].top_down == 0  # DWP pensions are not the council's


def test_nearest_year():
    years = ["2009-10", "2010-11", "2013-14", "2017-18"]
    assert reconcile.nearest_year("2018-19", years) == "2017-18"
    assert reconcile.nearest_year("2011-12", years) == "2010-11"
    assert reconcile.nearest_year("2012-13", years) == "2013-14"
    assert reconcile.nearest_year("2010-11", years) == "2010-11"


def test_bad_agreed_rows_name_row_and_column(place):
    workspace, con = place
    path = workspace.root / "agreed.csv"
    path.write_text("agency,fiscal_year,cofog,amount\nleeds-council,2017-18,09,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"agreed\.csv: row 2, column agency: 'leeds-council'"):
        reconcile.read_agreed(workspace)
    path.write_text("agency,fiscal_year,cofog,amount\nbradford-council,2017-18,11,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, column cofog: '11'"):
        reconcile.read_agreed(workspace)
    path.write_text("agency,fiscal_year,cofog,amount\nbradford-council,2017-18,09,lots\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, column amount: 'lots'"):
        reconcile.read_agreed(workspace)


@given(st.decimals(min_value=-10**7, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
       st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8))
def test_largest_remainder_adds_up_and_stays_within_a_penny(total, weights):
    parts = reconcile.largest_remainder(total, [Decimal(w) for w in weights])
    assert sum(parts) == total
    whole = sum(weights) or len(weights)
    for part, weight in zip(parts, weights if sum(weights) else [1] * len(weights)):
        assert abs(part - total * weight / whole) < Decimal("0.01")
