"""Bad intervention files get one clear error naming the field; XLSX reads like YAML; the vectorised engine agrees."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import yaml
from openpyxl import Workbook

from totalplace.appraise.engine import appraise, make_context
from totalplace.appraise.model import load_intervention, parse_intervention
from totalplace.appraise.service import appraise_file
from totalplace.appraise.vector import evaluate, monte_carlo, sample, vector_model
from totalplace.errors import InputError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bradford" / "interventions" / "family-support.yaml"


def base() -> dict:
    return {"id": "t", "name": "T", "price_year": "2024-25", "horizon": 3, "cohort": 10,
            "costs": [{"agency": "dwp", "year": 0, "amount": 100}],
            "outcomes": [{"id": "a", "kind": "fiscal", "agency": "dwp", "unit_value": 50}]}


@pytest.mark.parametrize("change, field, words", [
    (lambda d: d.update(engagement=1.2), "engagement", "less than or equal to 1"),
    (lambda d: d.update(deadweight=-0.1), "deadweight", "greater than or equal to 0"),
    (lambda d: d["outcomes"][0].update(attribution=2), "outcomes[0]", "attribution 2 must be between 0 and 1"),
    (lambda d: d["outcomes"][0].update(attribution_share_due_to_others=-1), "outcomes[0]",
     "attribution_share_due_to_others -1 must be between 0 and 1"),
    (lambda d: d.update(horizon=0), "horizon", "greater than or equal to 1"),
    (lambda d: d["costs"][0].update(year=3), "costs[0].year", "after the horizon"),
    (lambda d: d.update(uncertainty={"engagement": {"dist": "uniform", "min": 0.9, "max": 0.5}}),
     "uncertainty.engagement", "min 0.9 is greater than max 0.5"),
    (lambda d: d.update(uncertainty={"success": {"dist": "triangular", "min": 0.5, "mode": 0.4, "max": 0.6}}),
     "uncertainty.success", "mode 0.4 is outside"),
    (lambda d: d["outcomes"][0].update(unit_cost="X"), "outcomes[0]", "exactly one of unit_cost"),
    (lambda d: d["outcomes"][0].pop("agency"), "outcomes[0]", "needs the agency"),
    (lambda d: d.update(price_year="2024"), "price_year", "should match pattern"),
])
def test_bad_fields_are_named(change, field, words):
    data = base()
    change(data)
    with pytest.raises(InputError) as error:
        parse_intervention(data, "plan.yaml")
    message = str(error.value)
    assert message.startswith("plan.yaml: field ") and field in message and words in message


def test_unknown_agency_is_named():
    data = base()
    data["costs"][0]["agency"] = "nobody"
    parsed = parse_intervention(data, "plan.yaml")
    with pytest.raises(InputError, match=r"costs\[0\]\.agency: agency 'nobody' is not known"):
        appraise(parsed, make_context(parsed, None))


def test_unknown_unit_cost_code_is_named(small_place):
    data = base()
    data["outcomes"][0] = {"id": "a", "kind": "fiscal", "agency": "dwp", "unit_cost": "no.such.code"}
    folder = small_place.root / "interventions"
    folder.mkdir()
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError, match="unknown unit-cost code 'no.such.code'"):
        appraise_file(small_place, path)


def test_unit_cost_code_is_valued_from_the_library_uprated(small_place):
    from totalplace.deepdive.unit_costs import load_library

    data = base()
    data["price_year"] = "2023-24"
    data["outcomes"][0] = {"id": "a", "kind": "fiscal", "agency": "dwp", "unit_cost": "dwp.jsa_claimant_year"}
    path = small_place.root / "plan.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = appraise_file(small_place, path)
    assert result.terms[0].unit_value == load_library(small_place).value("dwp.jsa_claimant_year", "2023-24")
    # the starter code now resolves to the database's E&E1.0.1, borne by DWP
    assert "unit cost library E&E1.0.1" in result.terms[0].value_source
    assert "borne by DWP" in result.terms[0].value_source


def test_unknown_uncertainty_input_is_named():
    data = base()
    data["uncertainty"] = {"outcome:zzz.unit_value": {"dist": "uniform", "min": 1, "max": 2}}
    parsed = parse_intervention(data, "plan.yaml")
    with pytest.raises(InputError, match=r"field uncertainty\.outcome:zzz\.unit_value: not an input"):
        monte_carlo(appraise(parsed, make_context(parsed, None)), 10, 1)


def test_bad_yaml_is_one_line(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_intervention(path)
    assert "\n" not in str(error.value) and "not valid YAML" in str(error.value)


def test_xlsx_intervention_reads_like_the_yaml(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    book = Workbook()
    sheet = book.active
    sheet.title = "intervention"
    sheet.append(["field", "value"])
    for key, value in data.items():
        if not isinstance(value, (list, dict)):
            sheet.append([key, value])
    for name in ("agencies", "costs", "outcomes"):
        columns = sorted({k for row in data[name] for k in row})
        table = book.create_sheet(name)
        table.append(columns)
        for row in data[name]:
            table.append([("yes" if row.get(c) is True else row.get(c)) for c in columns])
    bearers = book.create_sheet("bearers")
    bearers.append(["bearer", "agency"])
    for bearer, agency in data["bearers"].items():
        bearers.append([bearer, agency])
    spread = book.create_sheet("uncertainty")
    spread.append(["input", "dist", "min", "mode", "max", "mean", "sd", "alpha", "beta"])
    for key, spec in data["uncertainty"].items():
        spread.append([key, *[spec.get(c) for c in ("dist", "min", "mode", "max", "mean", "sd", "alpha", "beta")]])
    path = tmp_path / "family-support.xlsx"
    book.save(path)
    from_xlsx, from_yaml = load_intervention(path).model_dump(), load_intervention(EXAMPLE).model_dump()
    assert from_xlsx.pop("description") == from_yaml.pop("description").strip()  # a cell's text is trimmed
    assert from_xlsx == from_yaml


def test_vectorised_engine_matches_the_decimal_engine():
    from totalplace.workspace import open_workspace

    appraisal = appraise_file(open_workspace(EXAMPLE.parents[1]), EXAMPLE)
    model = vector_model(appraisal)
    values = {"engagement": [Decimal("0.55"), Decimal("0.9")], "drop_off": [Decimal("0.3"), Decimal("0.1")],
              "lag": [Decimal(2), Decimal(0)], "cost_multiplier:bradford-council": [Decimal("1.3"), Decimal("0.8")],
              "outcome:care-avoided.success": [Decimal("0.02"), Decimal("0.005")]}
    result = evaluate(model, {k: np.array([float(x) for x in v]) for k, v in values.items()}, 2)
    for draw in range(2):
        exact = appraise(appraisal.intervention, appraisal.context, {k: v[draw] for k, v in values.items()})
        s = exact.summary()
        assert result.public_value_npv[draw] == pytest.approx(float(s.public_value_npv), rel=1e-12)
        assert result.fiscal_npv[draw] == pytest.approx(float(s.fiscal_npv), rel=1e-12)
        for a, agency in enumerate(model.agencies):
            assert result.agency_npv[draw, a] == pytest.approx(float(exact.agency_npv()[agency]), rel=1e-12, abs=1e-6)


def uniform_cost_case():
    # NPV = 1000 (benefit, year 0) - 1000 x m, m ~ uniform(0.5, 1.5): P(NPV > 0) = P(m < 1) = 0.5 exactly.
    data = base() | {"horizon": 1, "cohort": 1,
                     "costs": [{"agency": "dwp", "year": 0, "amount": 1000}],
                     "outcomes": [{"id": "a", "kind": "fiscal", "agency": "hmrc", "unit_value": 1000}],
                     "uncertainty": {"cost_multiplier": {"dist": "uniform", "min": 0.5, "max": 1.5}}}
    parsed = parse_intervention(data, "u.yaml")
    return appraise(parsed, make_context(parsed, None))


def test_monte_carlo_probability_against_the_exact_answer():
    run = monte_carlo(uniform_cost_case(), 20_000, seed=11)
    chances = run.probability_positive()
    assert abs(chances["place: fiscal NPV"] - 0.5) < 0.02          # 4 standard errors at n = 20,000
    assert chances["hmrc"] == 1.0 and chances["dwp"] == 0.0         # HMRC only gains, DWP only pays
    median = run.percentile_table()["fiscal NPV"][3]
    assert abs(median) < 20                                          # the median of 1000 - 1000 m is 0


def test_monte_carlo_is_reproducible_from_its_seed():
    appraisal = uniform_cost_case()
    first, again = monte_carlo(appraisal, 500, 7), monte_carlo(appraisal, 500, 7)
    other = monte_carlo(appraisal, 500, 8)
    assert np.array_equal(first.result.fiscal_npv, again.result.fiscal_npv)
    assert not np.array_equal(first.result.fiscal_npv, other.result.fiscal_npv)


@pytest.mark.parametrize("spec, mean", [
    ({"dist": "triangular", "min": 0.2, "mode": 0.5, "max": 0.8}, 0.5),      # (a + c + b) / 3
    ({"dist": "beta", "alpha": 2, "beta": 6, "min": 0, "max": 1}, 0.25),     # alpha / (alpha + beta)
    ({"dist": "uniform", "min": 0.1, "max": 0.3}, 0.2),
    ({"dist": "normal", "mean": 0.4, "sd": 0.05}, 0.4),
])
def test_distributions_have_their_textbook_means(spec, mean):
    data = base() | {"uncertainty": {"success": spec}}
    parsed = parse_intervention(data, "d.yaml")
    draws = sample(appraise(parsed, make_context(parsed, None)), 40_000, seed=3)["success"]
    assert abs(draws.mean() - mean) < 0.005
    assert draws.min() >= 0 and draws.max() <= 1
