"""Gain-share that can be paid (issue 22, point 3), worked by hand.

- cash moves only between local partners, and only out of cashable savings;
- a national body's share becomes a proposed ask of Whitehall, linked as deal evidence;
- the early-intervention pot counts local cashable savings only, and says so.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from totalplace.appraise import tables
from totalplace.appraise.engine import appraise, make_context
from totalplace.appraise.gainshare import propose
from totalplace.appraise.model import parse_intervention
from totalplace.appraise.service import appraise_target, proposed_asks
from totalplace.appraise.tracking import early_intervention_pot, read_actuals
from totalplace.workspace import open_workspace

D = Decimal
TINY = D("1e-20")
BRADFORD = Path(__file__).resolve().parents[2] / "examples" / "bradford"


def run(costs, outcomes):
    data = {"id": "t", "name": "T", "price_year": "2024-25", "horizon": 1, "cohort": 1,
            "agencies": [{"id": "council", "name": "Council"}, {"id": "police", "name": "Police"},
                         {"id": "nhs", "name": "NHS locally"}],
            "costs": costs, "outcomes": outcomes}
    parsed = parse_intervention(data, "t.yaml")
    return appraise(parsed, make_context(parsed, None))


def test_no_cash_out_of_savings_that_are_not_cashable():
    # Council pays 100, gains 0. Police gains 150, none of it cashable. S = 50.
    # Shapley: v(c) = 0, v(p) = 0 (funds nothing), v(c,p) = 50: each is due 25.
    # The police "should" pay 125 but its savings cannot be taken out of a budget: no cash moves.
    appraisal = run([{"agency": "council", "year": 0, "amount": 100}],
                    [{"id": "p", "kind": "fiscal", "agency": "police", "unit_value": 150, "cashable": False}])
    proposal = propose(appraisal, "shapley")
    assert proposal.transfers == {"council": D(125), "police": D(-125)}  # what each is due, by the method
    assert proposal.payments == []
    assert proposal.settled == {"council": D(-100), "police": D(150)}
    assert proposal.not_cashable == {"police": D(125)}
    assert not proposal.all_ahead
    check = next(c for c in proposal.checks if c.name.startswith("every partner"))
    assert not check.passed and "not cashable" in check.detail


def test_a_payer_pays_only_up_to_its_cashable_savings_as_they_arrive():
    # Council pays 100. NHS gains 150, of which 60 cashable. S = 50; each due 25, NHS should pay 125.
    # It pays 60 in cash (all its cashable saving); 65 cannot be paid.
    appraisal = run([{"agency": "council", "year": 0, "amount": 100}],
                    [{"id": "cash", "kind": "fiscal", "agency": "nhs", "unit_value": 60, "cashable": True},
                     {"id": "capacity", "kind": "fiscal", "agency": "nhs", "unit_value": 90}])
    proposal = propose(appraisal, "shapley")
    [payment] = proposal.payments
    assert (payment.payer, payment.payee, payment.pv) == ("nhs", "council", D(60))
    assert payment.schedule == {0: D(60)}  # never more than the cashable saving of the year
    assert proposal.settled == {"council": D(-40), "nhs": D(90)}
    assert proposal.not_cashable == {"nhs": D(65)}


def test_a_national_bodys_share_is_an_ask_of_whitehall_not_a_payment():
    # Council pays 100 and gains 20; DWP (national) gains 200, all cashable. S = 120: 60 each by Shapley.
    # DWP "should" pay 140: no local agreement can make it. It becomes an ask of Whitehall for 140.
    appraisal = run([{"agency": "council", "year": 0, "amount": 100}],
                    [{"id": "c", "kind": "fiscal", "agency": "council", "unit_value": 20},
                     {"id": "d", "kind": "fiscal", "agency": "dwp", "unit_value": 200, "cashable": True}])
    proposal = propose(appraisal, "shapley")
    assert proposal.payments == []
    [ask] = proposal.asks
    assert (ask.agency, ask.pv, ask.payees) == ("dwp", D(140), {"council": D(140)})
    assert proposal.settled["council"] == D(-80) and proposal.with_asks["council"] == D(60)
    assert proposal.all_ahead  # once Whitehall agrees the ask
    agreement = tables.agreement_table(appraisal, proposal)
    assert all("Work and Pensions" not in row[0] for row in agreement.rows)  # DWP is no payer in the agreement


@pytest.fixture()
def bradford(tmp_path):
    root = tmp_path / "bradford"
    shutil.copytree(BRADFORD, root, ignore=shutil.ignore_patterns("agencies"))
    return open_workspace(root)


def test_the_demo_agreement_can_be_paid(bradford):
    _, appraisal = appraise_target(bradford, "family-support")
    levels = {a: p.level.value for a, p in appraisal.context.agencies.items()}
    cashable = {a: sum((f.pv for f in appraisal.flows if f.agency == a and f.side == "benefit" and f.cashable), D(0))
                for a in appraisal.partners}
    for method in ("shapley", "benefit", "cost"):
        proposal = propose(appraisal, method)
        for payment in proposal.payments:
            assert levels[payment.payer] == "local" and levels[payment.payee] == "local", method
            assert payment.pv <= cashable[payment.payer] + TINY, method
        paid = {a: sum((p.pv for p in proposal.payments if p.payer == a), D(0)) for a in appraisal.partners}
        assert paid.get("west-yorkshire-police", 0) == 0  # the police's call-out savings are not cashable
        assert {ask.agency for ask in proposal.asks} <= {a for a, level in levels.items() if level == "national"}


def test_the_proposed_ask_is_valid_deal_evidence_with_the_same_figure(bradford):
    from totalplace.deal.asks import Ask
    from totalplace.deal.evidence import Context, resolve

    asks = proposed_asks(bradford, "family-support", "shapley")
    assert asks and any(a.agency == "dwp" for a in asks)
    with Context(bradford) as context:
        for number, proposed in enumerate(asks):
            entry = Ask.model_validate(proposed.deal_ask(f"G{number + 1}"))  # the deal's own schema accepts it
            assert entry.department == proposed.department and entry.money == proposed.pv.quantize(D("0.01"))
            [link] = entry.evidence
            assert link.startswith("appraisal:name=family-support;measure=whitehall_ask;")
            assert resolve(context, link).amount == proposed.pv


def test_the_pot_counts_local_cashable_savings_only_and_says_so(bradford):
    path, appraisal = appraise_target(bradford, "family-support")
    actuals_file = path.parent / "family-support.actuals.csv"
    actuals_file.write_text(
        "year,agency,kind,amount,cashable\n2026-27,dwp,saving,300000,yes\n"
        "2026-27,bradford-council,saving,20000,yes\n2026-27,west-yorkshire-police,saving,50000,no\n",
        encoding="utf-8")
    pot = early_intervention_pot(appraisal, read_actuals(actuals_file, appraisal))
    assert pot == {1: (D(20000), D(1000))}  # DWP's 300,000 is a national saving: not the place's to pot
    notes = " ".join(tables.pot_table(appraisal, pot).notes)
    assert "local" in notes and "national" in notes and "cashable" in notes
