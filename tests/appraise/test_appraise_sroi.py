"""No false friends: attribution in either sense, SROI conventions, ratios to three significant figures,
fiscal return by agency apart from wider value, and the wrong pocket from each unit cost's bearing agency."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from totalplace.appraise import tables
from totalplace.appraise.engine import appraise, make_context
from totalplace.appraise.model import load_intervention, parse_intervention
from totalplace.errors import InputError

D = Decimal
DOC_EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "mentoring-sroi.yaml"


def sroi_case(**attribution) -> dict:
    """The worked example of docs/appraisal.md: 100 young people, a £50,000 programme in year 1."""
    outcome = {"id": "into-work", "kind": "social", "unit_value": 5000, "success": 0.4, "duration": 3,
               "source": "financial proxy, for the worked example"}
    outcome.update(attribution)
    return {"id": "mentoring", "name": "Mentoring into work", "price_year": "2024-25", "horizon": 3, "cohort": 100,
            "deadweight": 0.25, "displacement": 0.10, "drop_off": 0.30,
            "agencies": [{"id": "council", "name": "Council"}],
            "costs": [{"agency": "council", "year": 0, "amount": 50000}], "outcomes": [outcome]}


def run(data: dict):
    parsed = parse_intervention(data, "case.yaml")
    return appraise(parsed, make_context(parsed, None))


def rows(table) -> dict[str, object]:
    return {row[0]: row[1] for row in table.rows}


def test_the_sroi_worked_example_by_hand():
    # Year 1 (year 0, undiscounted): 100 x 0.4 x 5,000 = 200,000; less deadweight 25% = 150,000;
    # less displacement 10% = 135,000; less attribution to others 20% = 108,000.
    # Drop-off 30% from year 2: 75,600 in year 2, 52,920 in year 3.
    # PV = 108,000 + 75,600 / 1.035 + 52,920 / 1.035^2 = 230,444.8645... -> £230,444.86
    # Ratio = 230,444.86 / 50,000 = 4.6089 -> 4.61 (three significant figures)
    appraisal = run(sroi_case(attribution_share_due_to_others=0.2))
    assert [f.amount for f in appraisal.flows if f.side == "benefit"] == [D(108000), D(75600), D(52920)]
    summary = rows(tables.summary_table(appraisal))
    assert summary["PV social benefits"] == D("230444.86")
    assert summary["Benefit-cost ratio"] == D("4.61")  # a number, shown to three significant figures


def test_the_docs_example_file_gives_the_figures_the_docs_show():
    appraisal = appraise(intervention := load_intervention(DOC_EXAMPLE), make_context(intervention, None))
    summary = rows(tables.summary_table(appraisal))
    text = (DOC_EXAMPLE.parents[1] / "appraisal.md").read_text(encoding="utf-8")
    assert f"£{summary['PV social benefits']:,}" in text and f"ratio {summary['Benefit-cost ratio']}" in text


def test_attribution_in_either_sense_gives_the_same_answer_and_the_summary_says_which():
    others = run(sroi_case(attribution_share_due_to_others=0.2))
    this = run(sroi_case(attribution_share_due_to_this_intervention=0.8))
    assert others.summary() == this.summary()
    assert any("share due to others (the SROI sense)" in n for n in tables.summary_table(others).notes)
    assert any("share due to this intervention" in n for n in tables.summary_table(this).notes)
    whole = sroi_case()
    whole["attribution_share_due_to_others"] = 0.2  # at the intervention level too
    assert run(whole).summary() == others.summary()


def test_attribution_given_twice_or_in_the_old_word_is_not_a_silent_guess():
    both = sroi_case(attribution_share_due_to_others=0.2, attribution_share_due_to_this_intervention=0.8)
    with pytest.raises(InputError, match=r"outcomes\[0\].*give attribution in one sense only"):
        run(both)
    legacy = run(sroi_case(attribution=0.8))  # old files: the share due to this intervention, and it says so
    assert legacy.summary() == run(sroi_case(attribution_share_due_to_others=0.2)).summary()
    assert any("`attribution` read as the share due to this intervention" in n
               for n in tables.summary_table(legacy).notes)


@pytest.mark.parametrize("value, shown", [(D("4.608897"), "4.61"), (D("12.345"), "12.3"), (D("0.85671"), "0.857"),
                                          (D("1234.5"), "1,230"), (D("0.0012345"), "0.00123"), (D("2.005"), "2.01"), (D("2.015"), "2.02"),
                                          (D(3), "3.00")])
def test_ratios_print_to_three_significant_figures(value, shown):
    """Half away from zero, by the one rounding rule (totalplace.money): 2.005 -> 2.01, 12.345 -> 12.3."""
    assert tables.ratio(value) == shown


def test_present_values_round_to_the_penny_by_the_one_rule_half_up():
    case = sroi_case()
    case.update(deadweight=0, displacement=0, drop_off=0, horizon=1, cohort=1)
    case["outcomes"][0].update(unit_value=0.125, success=1)
    assert rows(tables.summary_table(run(case)))["PV social benefits"] == D("0.13")  # half a penny up, as all money and as Excel rounds


def test_fiscal_return_to_each_agency_apart_from_wider_value():
    case = sroi_case(attribution_share_due_to_others=0.2)
    case["agencies"].append({"id": "police", "name": "Police"})
    case["outcomes"].append({"id": "fewer-arrests", "kind": "fiscal", "agency": "police", "unit_value": 100,
                             "cashable": False, "duration": 1})
    case["outcomes"].append({"id": "care", "kind": "fiscal", "agency": "council", "unit_value": 300,
                             "cashable": True, "duration": 1})
    appraisal = run(case)
    table = tables.return_table(appraisal)
    found = {row[0]: row[1:] for row in table.rows}
    # people = 100 x 1 x 0.75 x 0.9 = 67.5 (attribution only on the mentoring outcome: the others default to 1)
    # police: 67.5 x 100 = 6,750 non-cashable, no cost; council: 67.5 x 300 = 20,250 cashable, cost 50,000
    assert found["Police (local)"][:4] == [D(0), D(0), D("6750.00"), D("6750.00")]
    assert found["Council (local)"][:4] == [D("50000.00"), D("20250.00"), D(0), D("-29750.00")]
    assert found["wider value: social (to people and communities, no budget)"][4] == D("230444.86")
    assert "fiscal return" in table.title.lower()


BEARERS = {"Police": "wyp", "NHS": "nhs-bradford"}


def bearer_case(**outcome) -> dict:
    data = {"id": "b", "name": "B", "price_year": "2023-24", "horizon": 1, "cohort": 10,
            "agencies": [{"id": "wyp", "name": "West Yorkshire Police"},
                         {"id": "nhs-bradford", "name": "NHS Bradford"}],
            "bearers": BEARERS, "costs": [{"agency": "bradford-council", "year": 0, "amount": 1000}],
            "outcomes": [{"id": "o", "kind": "fiscal", **outcome}]}
    return data


def test_the_wrong_pocket_matrix_follows_each_unit_costs_bearing_agency(small_place):
    data = bearer_case(unit_cost="CR7.0")  # an arrest: borne by the Police in the database
    data["outcomes"].append({"id": "ae", "kind": "fiscal", "unit_cost": "HE4.0"})  # A&E: borne by the NHS
    parsed = parse_intervention(data, "b.yaml")
    appraisal = appraise(parsed, make_context(parsed, small_place))
    gainers = {a for a, (_, b) in appraisal.agency_pv().items() if b > 0}
    assert gainers == {"wyp", "nhs-bradford"}
    matrix = tables.matrix_table(appraisal)
    assert any("West Yorkshire Police" in c for c in matrix.columns) and any("NHS Bradford" in c for c in matrix.columns)
    assert any("CR7.0" in "; ".join(row[-1]) and "Police" in "; ".join(row[-1])
               for row in tables.outcome_table(appraisal).rows)


@pytest.mark.parametrize("outcome, message", [
    ({"unit_cost": "CR8.1"}, r"outcomes\[0\].*CR8\.1 is borne by 'Multiple'.*give the outcome's agency"),
    ({"unit_cost": "SS3.0"}, r"unit cost SS3\.0 is borne by 'Local Authority'.*bearers"),
    ({"unit_cost": "CR7.0", "agency": "nhs-bradford"}, r"agency 'nhs-bradford' but unit cost CR7\.0 is borne by "
                                                         r"'Police' \(wyp\)"),
])
def test_a_bearer_that_cannot_be_placed_is_one_clear_error(small_place, outcome, message):
    parsed = parse_intervention(bearer_case(**outcome), "b.yaml")
    with pytest.raises(InputError, match=message):
        appraise(parsed, make_context(parsed, small_place))


def test_the_example_case_is_valued_from_database_codes_by_their_bearers():
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / "bradford" / "interventions"
                           / "family-support.yaml").read_text(encoding="utf-8"))
    coded = [o for o in data["outcomes"] if "unit_cost" in o]
    assert len(coded) >= 4 and all("." in o["unit_cost"] and o["unit_cost"][:2].isupper() for o in coded)
    assert all("agency" not in o for o in coded)  # the bearing agency decides who gains
