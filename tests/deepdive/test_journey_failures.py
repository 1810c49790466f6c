"""Journeys that show the failures the seeds describe (issue 22, point 4), worked by hand.

- days without income, housing or treatment;
- a hand-off that should happen and does not ("probation was not told");
- a wait that runs inside one agency ("three weeks with no benefits", all at DWP);
- time compared like for like: contact time with contact time, waiting with waiting, elapsed with elapsed;
- journey agencies are agency ids, so a redesign's savings by agency export to an intervention file.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import yaml

from totalplace.appraise.engine import appraise, make_context
from totalplace.appraise.model import parse_intervention
from totalplace.deepdive.journey_report import comparison_table, waits_table
from totalplace.deepdive.journeys import compare, find_journey, intervention_draft, summarise
from totalplace.deepdive.unit_costs import load_library
from totalplace.errors import InputError

RELEASE = {
    "title": "Release",
    "price_year": "2023-24",
    "period": "12 weeks",
    "cohort": 10,
    "agencies": [{"id": "prison", "name": "HMP Leeds", "level": "national"},
                 {"id": "probation", "name": "Probation Service", "level": "national"},
                 {"id": "housing", "name": "Council housing", "level": "local"}],
    "versions": {
        "as-is": {"steps": [
            {"agency": "prison", "service": "Release", "kind": "hand-off", "to": "probation", "missed": True,
             "note": "probation not told"},
            {"agency": "dwp", "service": "New claim", "kind": "contact", "wait": "3 days", "duration": "2 hours",
             "unit_cost": 71, "source": "test", "without": ["income"]},
            {"agency": "dwp", "service": "No money until the first payment", "kind": "wait", "duration": "3 weeks",
             "without": ["income"]},
            {"agency": "dwp", "service": "Hardship payment", "kind": "payment", "probability": "40%",
             "unit_cost": 100, "source": "test"},
            {"agency": "housing", "service": "Homelessness application", "kind": "assessment", "wait": "1 week",
             "duration": "1 day", "probability": "50%", "unit_cost": 375, "source": "test",
             "without": ["housing"]},
        ]},
        "to-be": {"steps": [
            {"agency": "prison", "service": "Release plan shared", "kind": "hand-off", "to": "probation"},
            {"agency": "dwp", "service": "Claim paid on release", "kind": "payment", "duration": "1 hour",
             "unit_cost": 71, "source": "test"},
            {"agency": "housing", "service": "Tenancy arranged before release", "kind": "appointment",
             "duration": "2 hours", "unit_cost": 60, "source": "test"},
        ]},
    },
}


@pytest.fixture()
def workspace(make_workspace):
    ws = make_workspace("Leeds", ["E08000035"])
    (ws.root / "journeys").mkdir()
    return ws


def write(ws, body: dict, name: str = "release"):
    (ws.root / "journeys" / f"{name}.yaml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return find_journey(ws, name)


def test_days_without_income_and_housing_by_hand(workspace):
    summary = summarise(write(workspace, RELEASE), "as-is", load_library(workspace))
    # income: the claim step's wait and duration (3 days + 2/24) and the 21-day wait step = 24 1/12 days
    assert summary.days_without["income"] == Decimal(24) + Decimal(2) / 24
    # housing: half of people wait 7 days and spend 1 day on the application = 0.5 x 8 = 4 days
    assert summary.days_without["housing"] == Decimal(4)
    assert summary.days_without["treatment"] == 0


def test_a_hand_off_that_should_happen_and_does_not_is_counted_and_listed(workspace):
    journey = write(workspace, RELEASE)
    before, after = (summarise(journey, v, load_library(workspace)) for v in ("as-is", "to-be"))
    assert [(m.from_agency, m.to_agency, m.before_step) for m in before.missed_hand_offs] == [
        ("prison", "probation", 1)]
    assert after.missed_hand_offs == []


def test_a_wait_inside_one_agency_is_shown(workspace):
    summary = summarise(write(workspace, RELEASE), "as-is", load_library(workspace))
    inside = [w for w in summary.waits if w.inside]
    assert [(w.agency, w.days, w.before_step) for w in inside] == [("dwp", Decimal(21), 3)]
    assert summary.gaps and all(g.from_agency != g.to_agency for g in summary.gaps)  # the gaps table missed it
    table = waits_table(summary)
    assert any(row[1] == "Department for Work and Pensions" and "inside one agency" in row[3]
               for row in table.rows)


def test_time_is_compared_like_for_like(workspace):
    comparison = compare(write(workspace, RELEASE), None, None, load_library(workspace))
    measures = {m.name: (m.as_is, m.to_be) for m in comparison.time_measures}
    # contact time (contact, assessment, appointment, referral steps): as-is 2 hours + 0.5 x 1 day = 14 hours;
    # to-be 2 hours (a payment is not contact)
    assert measures["contact time (hours)"] == (Decimal(14), Decimal(2))
    # waiting: 3 days + 21 days + 0.5 x 7 days = 27.5 days as-is; none to-be
    assert measures["waiting time (days)"] == (Decimal("27.5"), Decimal(0))
    # both versions cover the journey's period: elapsed time is the same 12 weeks, not a saving
    assert measures["elapsed time (days)"] == (Decimal(84), Decimal(84))
    notes = " ".join(comparison_table(comparison).notes)
    assert not re.search(r"saves [0-9.]+ days", notes)  # no sum of step and wait times
    assert "both versions cover 12 weeks" in notes


def test_agencies_are_agency_ids(workspace):
    body = yaml.safe_load(yaml.safe_dump(RELEASE))
    body["versions"]["as-is"]["steps"][1]["agency"] = "Jobcentre"
    with pytest.raises(InputError, match=r"version 'as-is' step 2: field agency: 'Jobcentre' is not an agency id"):
        write(workspace, body)
    body = yaml.safe_load(yaml.safe_dump(RELEASE))
    body["versions"]["as-is"]["steps"][0]["to"] = "probaton"
    with pytest.raises(InputError, match=r"step 1: field to: 'probaton' is not an agency id"):
        write(workspace, body)


def test_a_redesign_exports_straight_to_an_intervention_file(workspace):
    comparison = compare(write(workspace, RELEASE), None, None, load_library(workspace))
    draft = intervention_draft(comparison, "release-redesign")
    # as-is per person: dwp 71 + 0.4 x 100 = 111; housing 0.5 x 375 = 187.50. to-be: dwp 71; housing 60
    savings = {o["agency"]: Decimal(str(o["unit_value"])) for o in draft["outcomes"]}
    assert savings == {"dwp": Decimal(40), "housing": Decimal("127.50")}
    parsed = parse_intervention(yaml.safe_load(yaml.safe_dump(draft)), "draft.yaml")  # a valid intervention file
    appraisal = appraise(parsed, make_context(parsed, workspace))
    benefits = {a: b for a, (_, b) in appraisal.agency_pv().items()}
    assert benefits == {"dwp": Decimal(400), "housing": Decimal(1275)}  # x cohort 10, one year, undiscounted
