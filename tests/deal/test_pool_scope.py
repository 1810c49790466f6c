"""The pooled share set beside the count it is computed on: the whole-place best estimate (the headline), or the
ledgers the count holds with only the money of the agencies whose ledgers those are; each says which.

The failure this guards against: "9.8% of the £525m the count holds" put the NHS's £26.4m in the pool against a
count that held only the council's ledger, and set it beside the seeds' 3.4%.
"""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from support.data import SPEND, write_csv
from totalplace.cli import app
from totalplace.count import bottomup, headline, topdown
from totalplace.deal.pool import PoolKind, Scope, pooling
from totalplace.deal.report import report_sections
from totalplace.ingest.load import ingest
from totalplace.store.connection import connect, writable

runner = CliRunner()
OLDER = "Older people and adult social care"
POOLS = ("pool,name,kind,host,fiscal_year,themes,year_start,cycle_years,runs_until\n"
         f"P1,Better Care Fund,pooled,Bradford council,2018-19,{OLDER},April,1,2019-03-31\n"
         "P2,Drugs aligned,aligned,Bradford council,2018-19,Drugs and alcohol,April,1,2019-03-31\n")
CONTRIBUTIONS = ("pool,partner,funding_stream,amount,year_start,cycle_years,confirmed_until\n"
                 "P1,Bradford council,Adult social care budget,\"950,000.00\",April,1,2019-03-31\n"
                 "P1,bradford-council,Disabled Facilities Grant,50000.00,April,1,2019-03-31\n"
                 "P1,NHS Bradford CCGs,CCG minimum contribution,2640000.00,April,1,2019-03-31\n"
                 "P2,Bradford council,Public health grant,780000,April,1,2019-03-31\n"
                 "P2,West Yorkshire PCC,Community safety fund,65000,April,1,2019-03-31\n")


def _with_pools(workspace):
    write_csv(workspace.root / "deal" / "pools.csv", POOLS)
    write_csv(workspace.root / "deal" / "contributions.csv", CONTRIBUTIONS)
    return workspace


@pytest.fixture(scope="module")
def bradford(make_workspace):
    """Bradford with two months of the council's real payments, the CRA loaded, and two pools."""
    workspace = make_workspace(cra_read=True)
    for month in ("2018-05", "2018-06"):
        shutil.copyfile(SPEND / "bradford" / f"{month}.csv", workspace.agency_dir("bradford-council") / f"{month}.csv")
    ingest(workspace)
    with writable(workspace) as con:
        topdown.load(con, workspace)
    return _with_pools(workspace)


def _ledgers(workspace, clause: str = "TRUE", params: list | None = None) -> Decimal:
    """The council's spending in 2018-19 counted once, summed straight from its lines."""
    con = connect(workspace, read_only=True)
    try:
        return con.execute(f"SELECT sum(amount) FROM spend_line s WHERE fiscal_year = '2018-19' "
                           f"AND {bottomup.COUNTED_ONCE} AND {clause}", params or []).fetchall()[0][0]
    finally:
        con.close()


def test_the_share_of_the_ledgers_counts_only_the_money_of_the_agencies_whose_ledgers_they_are(bradford):
    share = pooling(bradford).share("2018-19", PoolKind.pooled, Scope.ledgers)
    assert share.pooled == Decimal("1000000.00")  # the council's two contributions, by name and by id
    assert share.base == _ledgers(bradford)
    assert share.share == pytest.approx(1000000 / float(_ledgers(bradford)))
    assert "Bradford council" in share.base_said and "ledger" in share.base_said
    assert [(p.partner, p.amount) for p in share.left_out] == [("NHS Bradford CCGs", Decimal("2640000.00"))]
    aligned = pooling(bradford).share("2018-19", PoolKind.aligned, Scope.ledgers)
    assert aligned.pooled == 780000 and [p.partner for p in aligned.left_out] == ["West Yorkshire PCC"]


def test_the_whole_place_share_is_every_partners_money_beside_the_headline(bradford):
    con = connect(bradford, read_only=True)
    try:
        best = headline.headline(con, bradford, "2018-19")
    finally:
        con.close()
    share = pooling(bradford).share("2018-19", PoolKind.pooled, Scope.whole_place)
    assert share.pooled == Decimal("3640000.00") and share.base == best.amount and share.left_out == ()
    assert "best estimate" in share.base_said and "2017-18" in share.base_said  # the CRA year it rests on


def test_a_pools_share_of_its_themes_counts_the_same_agencies_money(bradford):
    summary = next(p for p in pooling(bradford).pools if p.pool.pool == "P1")
    on_theme = _ledgers(bradford, "s.theme = ?", [OLDER])
    assert summary.themes_counted == on_theme
    assert summary.share_of_themes == pytest.approx(1000000 / float(on_theme))


def test_every_output_says_which_scope_and_never_mixes_them(bradford):
    ledgers = _ledgers(bradford)
    mixed = f"{3640000 / float(ledgers):.1%}"  # every partner's money against the council's ledger alone
    shown = runner.invoke(app, ["deal", "pool", "show", "-w", str(bradford.root)])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    report = " ".join(" ".join(" ".join(t.notes) for t in s.tables) for s in report_sections(bradford)
                      if s.id == "deal-pools")
    pooling_now = pooling(bradford)
    for said in (text, report):
        assert mixed not in said
        for scope in Scope:
            share = pooling_now.share("2018-19", PoolKind.pooled, scope)
            assert f"{share.share:.1%}" in said and share.base_said in said
        assert "NHS Bradford CCGs" in said and "left out" in said


def test_without_the_cra_the_whole_place_share_says_why(small_place, tmp_path):
    line = "Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name\n"
    write_csv(small_place.agency_dir("bradford-council") / "may.csv", line + "Care,Fees,2018-05-10,T1,5000.00,A Ltd\n")
    ingest(small_place)
    result = pooling(_with_pools(small_place))
    assert result.share("2018-19", PoolKind.pooled, Scope.ledgers).base == Decimal("5000.00")
    missing = result.share("2018-19", PoolKind.pooled, Scope.whole_place)
    assert missing.share is None and "topdown load" in missing.base_said
