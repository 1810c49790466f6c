"""Journeys: the arithmetic against a journey worked by hand, the file formats, errors, CLI, swimlane, report."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st
from support.properties import examples
from openpyxl import Workbook
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.deepdive.journey_report import report_sections
from totalplace.deepdive.journeys import (
    Step, compare, describe_days, find_journey, load_journeys, parse_days, parse_share, summarise,
)
from totalplace.deepdive.swimlane import svg
from totalplace.deepdive.unit_costs import load_library
from totalplace.errors import InputError

PROJECT = Path(__file__).resolve().parents[2]

# The journey worked by hand below. Unit costs (the shipped GMCA database): CR7.0, an arrest, is £593 at
# 2006-07 prices; HE20.2, a GP consultation, is £38 at 2013-14 prices. Deflator: 2006-07 = 70.6,
# 2013-14 = 81.1, 2015-16 = 82.9, 2022-23 = 100.0. Agencies are ids: DWP is a national body the
# journey need not declare; the others are the file's own.
HAND_WORKED = {
    "title": "Hand-worked example",
    "price_year": "2015-16",
    "cohort": 100,
    "agencies": [{"id": "police", "name": "Police"}, {"id": "council", "name": "Council"},
                 {"id": "nhs", "name": "NHS"}],
    "versions": {
        "as-is": {"steps": [
            {"agency": "police", "service": "Arrest", "kind": "contact", "probability": "50%",
             "duration": "1 day", "unit_cost": "CR7.0"},
            {"agency": "council", "service": "Housing assessment", "kind": "assessment", "topic": "needs",
             "wait": "3 days", "duration": "2 hours", "repeats": 2, "unit_cost": 100, "source": "local costing"},
            {"agency": "dwp", "service": "Benefit claim", "kind": "contact", "wait": "1 week",
             "probability": 0.8, "unit_cost": 50},
            {"agency": "dwp", "service": "No money", "kind": "wait", "duration": "2 weeks"},
            {"agency": "nhs", "service": "Mental health assessment", "kind": "assessment", "topic": "Needs",
             "wait": "4 days", "unit_cost": "HE20.2", "pays": "council"},
        ]},
        "to-be": {"steps": [
            {"agency": "council", "service": "One joint assessment", "kind": "assessment", "topic": "needs",
             "duration": "2 hours", "unit_cost": 150, "source": "local costing"},
            {"agency": "police", "service": "Arrest", "kind": "contact", "probability": "25%",
             "duration": "1 day", "unit_cost": "CR7.0"},
            {"agency": "dwp", "service": "Benefit claim", "kind": "contact", "probability": 0.8, "unit_cost": 50},
        ]},
    },
}


@pytest.fixture()
def workspace(make_workspace):
    ws = make_workspace()
    (ws.root / "journeys").mkdir()
    return ws


def write_journey(ws, name: str, body: dict) -> Path:
    path = ws.root / "journeys" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def test_as_is_arithmetic_by_hand(workspace):
    write_journey(workspace, "hand", HAND_WORKED)
    summary = summarise(find_journey(workspace, "hand"), "as-is", load_library(workspace))
    # step costs: arrest 0.5 x (593 x 82.9 / 70.6 = 696.3187 -> 696.32) = 348.16; housing 2 x 100 = 200;
    # claim 0.8 x 50 = 40; wait 0; mental health 1 x (38 x 82.9 / 81.1 = 38.8434 -> 38.84) = 38.84
    assert [s.cost for s in summary.steps] == [Decimal("348.16"), Decimal("200"), Decimal("40.0"), 0,
                                               Decimal("38.84")]
    assert summary.total == Decimal("627.00")
    # who pays: the mental health step is paid by the council (pays: council)
    assert summary.by_agency == {"police": Decimal("348.16"), "council": Decimal("238.84"), "dwp": Decimal("40")}
    # elapsed: 0.5 x 1 + 2 x (3 + 2/24) + 0.8 x 7 + 14 + 4 = 30.1 + 1/6 = 30.2666... days
    assert abs(summary.elapsed_days - (Decimal("30.1") + Decimal(1) / 6)) < Decimal("1e-20")
    assert summary.agencies == ["police", "council", "dwp", "nhs"]
    # hand-offs: Police > Council > DWP > (wait) > NHS = 3; expected 1 + 0.8 + 1 = 2.8
    assert (summary.hand_offs, summary.expected_hand_offs) == (3, Decimal("2.8"))
    assert summary.assessments == Decimal(3)  # housing twice, mental health once
    [duplicate] = summary.duplicates  # 'needs' and 'Needs' are one topic, by the council and the NHS
    assert (duplicate.topic, duplicate.agencies, duplicate.times, duplicate.cost) == (
        "needs", ["council", "nhs"], Decimal(3), Decimal("238.84"))
    # gaps: 3 days Police > Council; 7 days Council > DWP; DWP's 2-week wait step + NHS's 4-day wait = 18 days
    assert [(g.from_agency, g.to_agency, g.before_step, g.days) for g in summary.gaps] == [
        ("police", "council", 2, 3), ("council", "dwp", 3, 7), ("dwp", "nhs", 5, 18)]
    assert summary.illustrative  # the shipped unit costs, and the claim value has no source


def test_a_step_costing_half_a_penny_rounds_up(workspace):
    """The demo's prison-leaver journey: a £241.25 assessment for half the people is £120.625 a person,
    shown £120.63 by the one rounding rule (half up, totalplace.money), as every other figure rounds."""
    steps = [{"agency": "council", "service": "Assessment", "kind": "assessment", "probability": p,
              "unit_cost": cost, "source": "local costing"}
             for p, cost in ((0.5, 241.25), (0.25, 198.98), (0.5, 241.35))]
    write_journey(workspace, "halves", {"title": "Halves", "price_year": "2015-16",
                                        "agencies": [{"id": "council", "name": "Council"}], "versions": {"as-is": {"steps": steps}}})
    summary = summarise(find_journey(workspace, "halves"), "as-is", load_library(workspace))
    assert [s.cost for s in summary.steps] == [Decimal("120.63"), Decimal("49.75"), Decimal("120.68")]
    assert summary.total == Decimal("291.06")


def test_comparison_by_hand(workspace):
    write_journey(workspace, "hand", HAND_WORKED)
    comparison = compare(find_journey(workspace, "hand"), None, None, load_library(workspace))
    # to-be: 150 + 0.25 x 696.32 + 0.8 x 50 = 150 + 174.08 + 40 = 364.08
    assert comparison.to_be.total == Decimal("364.08")
    assert comparison.saving_per_person == Decimal("262.92")  # 627.00 - 364.08
    assert comparison.cohort == 100 and comparison.cohort_saving == Decimal("26292.00")
    savings = {r.agency: r.saving for r in comparison.by_agency}
    assert savings == {"police": Decimal("174.08"), "council": Decimal("88.84"), "dwp": Decimal("0"),}
    assert [r.agency for r in comparison.by_agency] == ["police", "council", "dwp"]  # largest gain first
    time = {m.name: (m.as_is, m.to_be) for m in comparison.time_measures}
    # elapsed (no period): as-is 30.1 + 1/6 days; to-be 2/24 + 0.25 x 1 = 1/3 day
    assert time["elapsed time (days)"] == (Decimal("30.1") + Decimal(1) / 6, Decimal(2) / 24 + Decimal("0.25"))
    # contact: as-is 0.5 x 24 + 2 x 2 = 16 hours; to-be 2 + 0.25 x 24 = 8 hours
    assert time["contact time (hours)"] == (Decimal(16), Decimal(8))
    # waiting: as-is 2 x 3 + 0.8 x 7 + 14 + 4 = 29.6 days; to-be none
    assert time["waiting time (days)"] == (Decimal("29.6"), Decimal(0))
    assert comparison.to_be.duplicates == [] and comparison.to_be.gaps == []
    bigger = compare(find_journey(workspace, "hand"), "to-be", 2500, load_library(workspace))
    assert bigger.cohort_saving == Decimal("657300.00")  # 262.92 x 2,500


def test_costs_are_uprated_to_the_journey_price_year(workspace):
    body = {**HAND_WORKED, "price_year": "2022/23"}
    body["versions"] = {"as-is": {"steps": [
        {"agency": "police", "service": "Arrest", "kind": "contact", "unit_cost": "CR7.0"},
        {"agency": "council", "service": "Visit", "kind": "appointment", "unit_cost": 100, "price_year": "2015-16"},
        {"agency": "council", "service": "Call", "kind": "contact", "unit_cost": 10},
    ]}, "to-be": HAND_WORKED["versions"]["to-be"]}
    write_journey(workspace, "uprated", body)
    summary = summarise(find_journey(workspace, "uprated"), None, load_library(workspace))
    # 593 x 100.0 / 70.6 = 839.94; 100 x 100.0 / 82.9 = 120.63; 10 is already in 2022-23 prices
    assert [s.unit_value for s in summary.steps] == [Decimal("839.94"), Decimal("120.63"), Decimal("10")]


def test_a_workbook_journey_costs_the_same_as_the_yaml(workspace):
    write_journey(workspace, "hand", HAND_WORKED)
    book = Workbook()
    settings_sheet = book.active
    settings_sheet.title = "journey"
    for key in ("title", "price_year", "cohort"):
        settings_sheet.append([key, HAND_WORKED[key]])
    agencies = book.create_sheet("agencies")
    agencies.append(["id", "name"])
    for partner in HAND_WORKED["agencies"]:
        agencies.append([partner["id"], partner["name"]])
    for name, version in HAND_WORKED["versions"].items():
        sheet = book.create_sheet(name)
        columns = list(dict.fromkeys(k for step in version["steps"] for k in step))
        sheet.append(columns)
        for step in version["steps"]:
            sheet.append([step.get(c) for c in columns])
    book.save(workspace.root / "journeys" / "sheet.xlsx")
    library = load_library(workspace)
    journeys = load_journeys(workspace)
    assert set(journeys) == {"hand", "sheet"}
    from_yaml = compare(journeys["hand"], None, None, library)
    from_xlsx = compare(journeys["sheet"], None, None, library)
    assert from_xlsx.as_is.total == from_yaml.as_is.total == Decimal("627.00")
    assert from_xlsx.cohort_saving == from_yaml.cohort_saving
    assert [g.days for g in from_xlsx.as_is.gaps] == [3, 7, 18]


@pytest.mark.parametrize("change, message", [
    ({"kind": "visit"}, r"version 'as-is' step 1: field kind: 'visit' is not one of contact, assessment"),
    ({"probability": "150%"}, r"step 1: field probability: '150%' is not a probability between 0 and 1"),
    ({"wait": "soon"}, r"step 1: field wait: 'soon' is not a length of time"),
    ({"unit_cost": "police.arest"}, r"step 1: field unit_cost: unknown unit-cost code 'police.arest'"),
    ({"agency": "Police"}, r"step 1: field agency: 'Police' is not an agency id"),
    ({"without": ["money"]}, r"step 1: field without: 'money': a need is one of income, housing, treatment"),
    ({"without": 5}, r"step 1: field without: 5 is not a list of needs \(income, housing, treatment\)"),
    ({"without": ["income", 7]}, r"step 1: field without: '7': a need is one of income, housing, treatment"),
    ({"agency": " "}, r"step 1: field agency: .*must not be empty"),
    ({"colour": "red"}, r"step 1: field colour: unknown key 'colour'"),
    ({"unit_cost": 5, "price_year": "1990-91"}, r"step 1: field price_year: .*no GDP deflator for 1990-91"),
])
def test_bad_steps_name_file_version_step_and_field(workspace, change, message):
    body = yaml.safe_load(yaml.safe_dump(HAND_WORKED))
    body["versions"]["as-is"]["steps"][0].update(change)
    path = write_journey(workspace, "bad", body)
    with pytest.raises(InputError, match=message) as raised:
        summarise(find_journey(workspace, "bad"), None, load_library(workspace))
    assert str(path) in str(raised.value)


def test_bad_journey_files(workspace):
    (workspace.root / "journeys" / "broken.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match="broken.yaml: not valid YAML"):
        find_journey(workspace, "broken")
    write_journey(workspace, "no-as-is", {"title": "x", "price_year": "2015-16",
                                          "versions": {"to-be": HAND_WORKED["versions"]["to-be"]}})
    with pytest.raises(InputError, match="needs versions with one called 'as-is'"):
        find_journey(workspace, "no-as-is")
    write_journey(workspace, "no-year", {**HAND_WORKED, "price_year": None})
    with pytest.raises(InputError, match="no-year.yaml: setting price_year"):
        find_journey(workspace, "no-year")
    with pytest.raises(InputError, match="no journey 'missing'"):
        find_journey(workspace, "missing")
    write_journey(workspace, "hand", HAND_WORKED)
    with pytest.raises(InputError, match="no version 'to-be-2'"):
        summarise(find_journey(workspace, "hand"), "to-be-2", load_library(workspace))
    with pytest.raises(InputError, match="give the cohort size"):
        compare(find_journey(workspace, "hand").model_copy(update={"cohort": None}), None, None,
                load_library(workspace))


@pytest.mark.parametrize("text, days", [("45 minutes", Decimal(45) / 1440), ("2 hours", Decimal(2) / 24),
                                        ("3 days", 3), ("3", 3), (2.5, Decimal("2.5")), ("2 weeks", 14),
                                        ("1 wk", 7), (None, 0), ("1.5 months", Decimal("1.5") * 365 / 12)])
def test_lengths_of_time(text, days):
    assert parse_days(text) == days


@given(st.integers(min_value=0, max_value=100), st.sampled_from(["%", ""]))
def test_shares(percent, mark):
    text = f"{percent}{mark}" if mark else str(Decimal(percent) / 100)
    assert parse_share(text) == Decimal(percent) / 100


def test_describe_days():
    assert [describe_days(Decimal(d)) for d in (0, 21, 3, Decimal(1) / 24, Decimal(15) / 1440)] == [
        "none", "3 weeks", "3 days", "1 hour", "15 minutes"]


SHIPPED = load_library()
steps = st.builds(
    Step, agency=st.sampled_from(["A", "B", "C"]), service=st.just("s"),
    kind=st.sampled_from(["contact", "assessment", "wait", "payment"]),
    probability=st.decimals(min_value=0, max_value=1, places=2),
    repeats=st.decimals(min_value=0, max_value=5, places=1),
    unit_cost=st.decimals(min_value=0, max_value=10**6, places=2), pays=st.sampled_from([None, "A", "Z"]),
    wait=st.decimals(min_value=0, max_value=30, places=1),
)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(steps, min_size=1, max_size=12))
def test_every_pound_is_paid_by_someone_and_nothing_is_counted_twice(step_list):
    from totalplace.deepdive.journeys import Journey, Version

    journey = Journey(name="p", path="p.yaml", title="p", price_year="2015-16",
                      versions={"as-is": Version(name="as-is", steps=step_list)})
    summary = summarise(journey, None, SHIPPED)
    assert sum(summary.by_agency.values()) == summary.total
    exact = sum(s.unit_cost * s.probability * s.repeats for s in step_list)
    assert abs(summary.total - exact) <= Decimal("0.005") * len(step_list)  # each step rounded to the penny once
    assert all(s.cost == s.cost.quantize(Decimal("0.01")) for s in summary.steps)
    assert summary.expected_hand_offs <= summary.hand_offs
    assert sum(g.days for g in summary.gaps) <= sum(s.wait + (s.duration if s.kind == "wait" else 0)
                                                    for s in step_list)


def test_cli_show_compare_and_swimlane(workspace, tmp_path):
    write_journey(workspace, "hand", HAND_WORKED)
    runner = CliRunner()
    w = ["-w", str(workspace.root)]
    shown = runner.invoke(app, ["journey", "show", "hand", *w, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    measures = {r["measure"]: r["value"] for r in json.loads(shown.output)["rows"]}
    assert measures["cost per person"] == "627.00" and measures["hand-offs in the map"] == 3
    agencies = runner.invoke(app, ["journey", "show", "hand", *w, "--part", "agencies", "-f", "csv"])
    assert "Council,238.84," in agencies.output
    compared = runner.invoke(app, ["journey", "compare", "hand", "--cohort", "10", *w, "-f", "json"])
    table = json.loads(compared.output)
    total = table["rows"][-1]
    assert (total["agency"], total["saving per person"], total["saving for 10"]) == ("total", "262.92", "2629.20")
    out = tmp_path / "lanes-{version}.svg"
    drawn = runner.invoke(app, ["journey", "swimlane", "hand", *w, "-o", str(out)])
    assert drawn.exit_code == 0, drawn.output
    assert (tmp_path / "lanes-as-is.svg").exists() and (tmp_path / "lanes-to-be.svg").exists()
    missing = runner.invoke(app, ["journey", "compare", "nope", *w])
    assert missing.exit_code == 2 and "no journey 'nope'" in missing.output


def test_swimlane_has_one_lane_per_agency_and_marks_gaps(workspace):
    write_journey(workspace, "hand", HAND_WORKED)
    summary = summarise(find_journey(workspace, "hand"), None, load_library(workspace))
    drawing = svg(summary)
    root = ElementTree.fromstring(drawing)  # well-formed SVG
    assert root.tag.endswith("svg")
    texts = ["".join(t.itertext()) for t in root.iter() if t.tag.endswith("text")]
    for agency in ("Police", "Council", "NHS"):
        assert texts.count(agency) == 1  # one lane label each, by the agency's name
    assert sum("Department for Work" in t for t in texts) == 1
    assert sorted(t for t in texts if re.match(r"wait \d", t)) == ["wait 2.6 weeks", "wait 3 days", "wait 7 days"]  # 18 days = 2.6 weeks
    assert svg(summary) == drawing  # same journey, same file


def test_demo_journey_and_report_sections():
    from totalplace.workspace import open_workspace

    ws = open_workspace(PROJECT / "examples" / "bradford")
    library = load_library(ws)
    journey = find_journey(ws, "prison-leaver")
    comparison = compare(journey, None, None, library)
    time = {m.name: m for m in comparison.time_measures}
    assert comparison.saving_per_person > 0 and time["waiting time (days)"].change < 0
    assert time["elapsed time (days)"].change == 0  # both versions cover the same 12 weeks
    assert len(comparison.as_is.missed_hand_offs) == 1 and not comparison.to_be.missed_hand_offs
    assert any(w.inside and w.agency == "dwp" for w in comparison.as_is.waits)  # three weeks with no benefits
    assert comparison.as_is.duplicates and not comparison.to_be.duplicates
    assert comparison.as_is.assessments > comparison.to_be.assessments
    assert all(code in library for v in journey.versions.values() for s in v.steps
               if isinstance(code := s.unit_cost, str))
    [section] = [s for s in report_sections(ws) if s.id == "journey-prison-leaver"]
    # each version in parts that fit a landscape page; the parts' tables hold every step once
    assert {c.title.split(",")[0] for c in section.charts} == {"Swimlane: as-is", "Swimlane: to-be"}
    for version in ("as-is", "to-be"):
        steps = [row[0] for c in section.charts if c.title.startswith(f"Swimlane: {version}") for row in c.table.rows]
        assert steps == list(range(1, len(journey.versions[version].steps) + 1))
    assert all(c.svg.lstrip().startswith("<?xml") for c in section.charts)
    [comparison_table] = [t for t in section.tables if "against as-is" in t.title]
    assert comparison_table.rows[-1][3] == comparison.saving_per_person
    assert sum(row[3] for row in comparison_table.rows[:-1]) == comparison.saving_per_person  # adds up to the penny
    assert any("ILLUSTRATIVE" in line for line in section.provenance)
    assert any("HM Treasury" in line for line in section.provenance)
