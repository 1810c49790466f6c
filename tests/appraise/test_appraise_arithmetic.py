"""The appraisal's arithmetic against worked examples computed by hand (the working is in each test)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.properties import examples

from totalplace.appraise.engine import LibraryValue, appraise, make_context
from totalplace.appraise.gainshare import characteristic_function, propose, shapley_values
from totalplace.appraise.model import parse_intervention
from totalplace.appraise.rates import load_discount_schedules, load_optimism_bias

D = Decimal
TINY = D("1e-20")


def intervention(**fields) -> dict:
    """A minimal intervention: one partner, everything else overridable."""
    data = {"id": "test", "name": "Test", "price_year": "2024-25", "horizon": 5, "cohort": 1, "confidence": 1,
            "agencies": [{"id": "council", "name": "Council"}, {"id": "police", "name": "Police"},
                         {"id": "nhs", "name": "NHS locally"}],
            "costs": [], "outcomes": []}
    data.update(fields)
    return data


def run(data: dict):
    parsed = parse_intervention(data, "test.yaml")
    return appraise(parsed, make_context(parsed, None, unit_value=lambda code, year: LibraryValue(D(0), "")))


# --- Green Book discounting -------------------------------------------------------------------------------

def test_standard_factors_across_the_30_31_and_75_76_boundaries():
    # Working (exact fractions, independently of the code):
    #   DF(30) = 1 / 1.035^30                        = 0.356278410602301540471615904881...
    #   DF(31) = 1 / (1.035^30 x 1.030)              = 0.345901369516797612108364956195...
    #            (a continuing product; NOT 1 / 1.03^31 = 0.39998714516...)
    #   DF(75) = 1 / (1.035^30 x 1.030^45)           = 0.0942137725766914048511997889103...
    #   DF(76) = 1 / (1.035^30 x 1.030^45 x 1.025)   = 0.0919158756845769803426339404003...
    factors = load_discount_schedules()["standard"].factors(77)
    assert abs(factors[30] - D("0.356278410602301540471615904881")) < TINY
    assert abs(factors[31] - D("0.345901369516797612108364956195")) < TINY
    assert abs(factors[75] - D("0.0942137725766914048511997889103")) < TINY
    assert abs(factors[76] - D("0.0919158756845769803426339404003")) < TINY
    assert abs(factors[31] - D("0.399987145161074462510146063471")) > D("0.05")  # not a restart at 3%
    exact = Fraction(1, 1) / (Fraction(1035, 1000) ** 30 * Fraction(103, 100) ** 45 * Fraction(1025, 1000))
    assert abs(factors[76] - D(exact.numerator) / D(exact.denominator)) < TINY


def test_health_schedule_boundary():
    # DF_health(30) = 1 / 1.015^30 = 0.639762429906488610511352804095...
    # DF_health(31) = DF_health(30) / 1.01286 = 0.631639545353245868640634247670...
    factors = load_discount_schedules()["health"].factors(32)
    assert abs(factors[30] - D("0.639762429906488610511352804095")) < TINY
    assert abs(factors[31] - D("0.631639545353245868640634247670")) < TINY


def test_rates_of_every_band_match_the_green_book():
    standard = load_discount_schedules()["standard"]
    expected = {1: "0.035", 30: "0.035", 31: "0.030", 75: "0.030", 76: "0.025", 125: "0.025", 126: "0.020",
                200: "0.020", 201: "0.015", 300: "0.015", 301: "0.010", 1000: "0.010"}
    assert {year: str(standard.rate(year)) for year in expected} == expected
    assert "Green Book" in standard.source


# --- Additionality, lag and drop-off ----------------------------------------------------------------------

def test_deadweight_displacement_attribution_lag_and_drop_off():
    # people = 100 x 0.5 engagement x 0.4 success x (1 - 0.25 deadweight) x (1 - 0.1 displacement) x 0.8 attribution
    #        = 20 x 0.75 x 0.9 x 0.8 = 10.8
    # unit value £1,000 a year, lag 2, drop-off 50%, horizon 5 (years 0-4), grade 1 (no optimism bias):
    #   year 0: 0, year 1: 0 (lag), year 2: 10.8 x 1000 = 10,800, year 3: 5,400, year 4: 2,700
    #   PV = 10800/1.035^2 + 5400/1.035^3 + 2700/1.035^4
    #      = 10081.9155639... + 4870.4906106... + 2352.8940147... = 17,305.3001893506...
    result = run(intervention(
        cohort=100, engagement=0.5, success=0.4, deadweight=0.25, displacement=0.1, attribution=0.8, lag=2,
        drop_off=0.5, outcomes=[{"id": "saving", "kind": "fiscal", "agency": "council", "unit_value": 1000}]))
    assert result.terms[0].people == D("10.8")
    by_year = {f.year: f.amount for f in result.flows}
    assert by_year == {2: D("10800"), 3: D("5400"), 4: D("2700")}
    assert abs(result.summary().pv_fiscal - D("17305.3001893506163986742442207")) < D("1e-18")


def test_duration_and_an_outcome_overriding_the_intervention():
    # Outcome's own success 0.1 overrides the intervention's 0.5: people = 200 x 0.1 = 20; lag 0, duration 2,
    # no drop-off: years 0 and 1 only: 20 x 50 = 1,000 each; PV = 1000 + 1000/1.035 = 1966.1835748792...
    result = run(intervention(cohort=200, success=0.5, outcomes=[
        {"id": "x", "kind": "economic", "unit_value": 50, "success": 0.1, "duration": 2}]))
    assert [(f.year, f.amount) for f in result.flows] == [(0, D(1000)), (1, D(1000))]
    assert abs(result.summary().pv_economic - (1000 + D(1000) / D("1.035"))) < TINY


def test_quantity_multiplies_the_unit_value():
    # 52 weeks x £10 a week x 1 person = £520 in year 0
    result = run(intervention(horizon=1, outcomes=[
        {"id": "weeks", "kind": "fiscal", "agency": "council", "unit_value": 10, "quantity": 52}]))
    assert result.flows[0].amount == D(520)


# --- Optimism bias ------------------------------------------------------------------------------------------

def test_optimism_bias_raises_costs_and_lowers_benefits_by_grade():
    # Default table: grade 4 = 15%. Cost £1,000 in year 0 -> £1,150; benefit £1,000 in year 0 -> £850.
    # Grade 6 = 40%: benefit £1,000 -> £600. NPV = 850 + 600 - 1150 = 300.
    result = run(intervention(horizon=1, confidence=4, costs=[{"agency": "council", "year": 0, "amount": 1000}],
                              outcomes=[{"id": "a", "kind": "fiscal", "agency": "council", "unit_value": 1000},
                                        {"id": "b", "kind": "social", "unit_value": 1000, "confidence": 6}]))
    cost = next(f for f in result.flows if f.side == "cost")
    assert (cost.amount, cost.adjusted) == (D(1000), D(1150))
    assert [f.adjusted for f in result.flows if f.side == "benefit"] == [D(850), D(600)]
    assert result.summary().public_value_npv == D(300)


def test_default_optimism_table_names_its_source():
    grades = load_optimism_bias()
    assert [grades[g].adjustment for g in sorted(grades)] == [D(x) for x in ("0", "0.05", "0.10", "0.15", "0.25", "0.40")]
    assert all("cost benefit analysis guidance for local partnerships" in g.source for g in grades.values())


def test_workspace_optimism_table_overrides_the_default(small_place):
    rules = small_place.root / "rules" / "optimism_bias.csv"
    rules.write_text("grade,adjustment,evidence,source\n1,0.5,local,our own review\n", encoding="utf-8")
    assert load_optimism_bias(small_place)[1].adjustment == D("0.5")


# --- The measures ----------------------------------------------------------------------------------------------

def test_measures_on_a_two_year_example():
    # Year 0: council pays £1,000 revenue and £100 in kind. Year 1: council gains £700 cashable, DWP gains £500
    # (not cashable), economic £200. Grade 1 (no optimism bias). DF(1) = 1/1.035.
    #   PV costs 1,100; PV cash costs 1,000; PV fiscal = 1200/1.035 = 1159.42029; cashable = 700/1.035 = 676.32850
    #   NPBI = 676.32850 - 1000 = -323.67150; fiscal NPV = 59.42029; public value NPV = 1400/1.035 - 1100 = 252.65700
    #   BCR = 1352.65700 / 1100 = 1.229688; ROI = 59.42029/1100 = 0.054018; cashable share = 700/1200
    #   payback: cumulative fiscal PV at year 1 = 1159.42 >= 1100 -> year 1
    result = run(intervention(horizon=2, costs=[
        {"agency": "council", "year": 0, "amount": 1000},
        {"agency": "council", "year": 0, "kind": "in_kind", "amount": 100}], outcomes=[
        {"id": "c", "kind": "fiscal", "agency": "council", "cashable": True, "unit_value": 700, "lag": 1},
        {"id": "d", "kind": "fiscal", "agency": "dwp", "unit_value": 500, "lag": 1},
        {"id": "e", "kind": "economic", "unit_value": 200, "lag": 1}]))
    s = result.summary()
    f = D(1) / D("1.035")
    assert (s.pv_costs, s.pv_cash_costs) == (D(1100), D(1000))
    assert abs(s.net_present_budget_impact - (700 * f - 1000)) < TINY
    assert abs(s.fiscal_npv - (1200 * f - 1100)) < TINY
    assert abs(s.public_value_npv - (1400 * f - 1100)) < TINY
    assert abs(s.bcr - 1400 * f / 1100) < TINY
    assert abs(s.financial_roi - (1200 * f - 1100) / 1100) < TINY
    assert abs(s.cashable_share - D(700) / D(1200)) < TINY
    assert s.payback_year == 1
    assert round(s.public_value_npv, 5) == D("252.65700")


# --- Shapley values -------------------------------------------------------------------------------------------

def two_by_two(partners: list[tuple[str, int, int]]):
    """A one-year appraisal where each partner (agency, PV cost, PV fiscal benefit) has exactly those figures."""
    costs = [{"agency": a, "year": 0, "amount": c} for a, c, _ in partners if c]
    outcomes = [{"id": f"gain-{a}", "kind": "fiscal", "agency": a, "unit_value": b} for a, _, b in partners if b]
    return run(intervention(horizon=1, costs=costs, outcomes=outcomes))


def test_shapley_two_partners():
    # Council pays 100 and gains 20; DWP pays nothing and gains 200. S = 120.
    # v({council}) = max(0, 100/100 x 20 - 100) = 0; v({dwp}) = max(0, 0/100 x 200 - 0) = 0; v(both) = 120.
    # Orders: council then DWP -> (0, 120); DWP then council -> (120, 0). Average: 60 each.
    result = two_by_two([("council", 100, 20), ("dwp", 0, 200)])
    values = propose(result, "shapley").after
    assert values == {"council": D(60), "dwp": D(60)}
    assert propose(result, "shapley").transfers == {"council": D(140), "dwp": D(-140)}


def test_shapley_three_partners():
    # Council pays 100 gains 0; police pays 50 gains 60; DWP pays 0 gains 240. C = 150, S = 150.
    # v(c) = 0, v(p) = max(0, 50/150 x 60 - 50) = 0, v(d) = 0, v(c,p) = max(0, 60 - 150) = 0,
    # v(c,d) = max(0, 100/150 x 240 - 100) = 60, v(p,d) = max(0, 50/150 x 300 - 50) = 50, v(all) = 150.
    # Orders (c, p, d marginal contributions):
    #   c p d: 0 0 150 | c d p: 0 90 60 | p c d: 0 0 150 | p d c: 100 0 50 | d c p: 60 90 0 | d p c: 100 50 0
    #   c = (0+0+0+100+60+100)/6 = 260/6; p = (0+90+0+0+90+50)/6 = 230/6; d = (150+60+150+50+0+0)/6 = 410/6
    result = two_by_two([("council", 100, 0), ("police", 50, 60), ("dwp", 0, 240)])
    values = propose(result, "shapley").after
    expected = {"council": D(260) / 6, "police": D(230) / 6, "dwp": D(410) / 6}
    assert all(abs(values[a] - expected[a]) < TINY for a in expected)
    v = characteristic_function(result)
    assert v(frozenset({"council", "dwp"})) == D(60) and v(frozenset({"police", "dwp"})) == D(50)


def test_shapley_four_partners():
    # Council pays 100 gains 0; NHS gains 60; police gains 60; DWP gains 180. C = 100, S = 200.
    # Without the council k = 0 so v = 0; with it v(c + T) = max(0, B(T) - 100):
    #   v(c,n) = v(c,p) = 0, v(c,d) = 80, v(c,n,p) = 20, v(c,n,d) = v(c,p,d) = 140, v(all) = 200.
    # Weights for n = 4: |T| = 0 or 3: 6/24; |T| = 1 or 2: 2/24.
    #   NHS: T={c,p}: 20, T={c,d}: 60 (weight 2/24 each), T={c,p,d}: 60 (6/24) -> (160 + 360)/24 = 520/24
    #   police: the same as NHS by symmetry = 520/24
    #   DWP: T={c}: 80, {c,n}: 140, {c,p}: 140 (2/24), {c,n,p}: 180 (6/24) -> (160 + 560 + 1080)/24 = 1800/24 = 75
    #   council: T={d}: 80, {n,p}: 20, {n,d}: 140, {p,d}: 140 (2/24), {n,p,d}: 200 (6/24) -> 1960/24
    result = two_by_two([("council", 100, 0), ("nhs", 0, 60), ("police", 0, 60), ("dwp", 0, 180)])
    values = propose(result, "shapley").after
    expected = {"council": D(1960) / 24, "nhs": D(520) / 24, "police": D(520) / 24, "dwp": D(75)}
    assert all(abs(values[a] - expected[a]) < TINY for a in expected)


def test_shapley_glove_game_four_players():
    # One left glove L, three right gloves: v(T) = 1 if T holds L and at least one R.
    # L adds 1 unless it comes first: 3/4. R_i adds 1 only when the order starts L, R_i: 1/4 x 1/3 = 1/12.
    def v(coalition):
        return D(1) if "L" in coalition and len(coalition) > 1 else D(0)
    values = shapley_values(["L", "R1", "R2", "R3"], v)
    assert abs(values["L"] - D(3) / 4) < TINY
    assert all(abs(values[r] - D(1) / 12) < TINY for r in ("R1", "R2", "R3"))


def test_benefit_and_cost_methods():
    # Same as the two-partner case: S = 120. By benefit (20 : 200): council 120 x 20/220 = 10.909..., DWP 109.09...
    # By cost (100 : 0): council 120, DWP 0.
    result = two_by_two([("council", 100, 20), ("dwp", 0, 200)])
    by_benefit = propose(result, "benefit").after
    assert abs(by_benefit["council"] - D(120) * 20 / 220) < TINY
    assert propose(result, "cost").after == {"council": D(120), "dwp": D(0)}


def test_a_losing_partnership_shows_the_largest_shortfall():
    # Council pays 100, DWP gains 40: S = -60. No transfer makes both whole; by cost the council bears all 60.
    result = two_by_two([("council", 100, 0), ("dwp", 0, 40)])
    proposal = propose(result, "cost")
    assert proposal.largest_shortfall == D(60)
    assert not proposal.all_ahead
    assert any(c.name == "every partner's NPV >= 0" and not c.passed for c in proposal.checks)


def test_payment_schedule_discounts_back_to_the_transfer():
    # The local NHS gains 100 a year in years 0-2, all cashable, and pays the council its due out of it:
    # cash(y) = PV x 100 / (100 + 100/1.035 + 100/1.035^2) in each year; PV of the three = the payment's PV.
    result = run(intervention(horizon=3, costs=[{"agency": "council", "year": 0, "amount": 150}],
                              outcomes=[{"id": "d", "kind": "fiscal", "agency": "nhs", "unit_value": 100,
                                         "cashable": True}]))
    proposal = propose(result, "shapley")
    payment = proposal.payments[0]
    assert (payment.payer, payment.payee) == ("nhs", "council")
    assert payment.pv == -proposal.transfers["nhs"]  # within its cashable savings: paid in full
    f = D(1) / D("1.035")
    each = payment.pv * 100 / (100 + 100 * f + 100 * f * f)
    assert all(abs(cash - each) < TINY for cash in payment.schedule.values())
    assert abs(sum(c * f ** y for y, c in payment.schedule.items()) - payment.pv) < D("1e-18")
    assert all(c.passed for c in proposal.checks)


partner = st.tuples(st.integers(0, 10_000), st.integers(0, 10_000))


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(partner, min_size=2, max_size=5))
def test_every_partner_ahead_when_the_partnership_gains(figures):
    names = ["council", "police", "nhs", "dwp", "hmrc"]
    partners = [(names[i], c, b) for i, (c, b) in enumerate(figures) if c or b]
    if len(partners) < 2 or sum(b - c for _, c, b in partners) < 0:
        return
    result = two_by_two(partners)
    for method in ("benefit", "shapley", "cost"):
        proposal = propose(result, method)
        assert all(v >= D("-1e-20") for v in proposal.after.values()), method
        assert abs(sum(proposal.transfers.values())) < D("1e-20")
        assert abs(sum(proposal.after.values()) - sum(b - c for _, c, b in partners)) < D("1e-20")


@pytest.mark.parametrize("method", ["benefit", "cost", "shapley"])
def test_checks_pass_on_the_shipped_example(method, bradford_appraisal):
    proposal = propose(bradford_appraisal, method)
    shortfall = next(c for c in proposal.checks if c.name == "every partner's NPV >= 0")
    assert all(check.passed for check in proposal.checks if check is not shortfall)
    # a partner left short is short only by what another is due to pay but cannot pay in cash
    assert shortfall.passed == proposal.all_ahead
    assert proposal.largest_shortfall <= sum(proposal.not_cashable.values(), D(0)) + TINY


@pytest.fixture(scope="module")
def bradford_appraisal():
    from pathlib import Path

    from totalplace.appraise.service import appraise_target
    from totalplace.workspace import open_workspace

    root = Path(__file__).resolve().parents[2] / "examples" / "bradford"
    return appraise_target(open_workspace(root), "family-support")[1]


def test_example_shows_the_wrong_pocket_and_shapley_puts_every_partner_ahead(bradford_appraisal):
    before = bradford_appraisal.agency_npv()
    assert before["bradford-council"] < 0 and before["dwp"] > 0   # the council pays, DWP gains
    after = propose(bradford_appraisal, "shapley").after
    assert all(value > 0 for value in after.values())
