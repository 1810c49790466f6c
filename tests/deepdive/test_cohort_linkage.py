"""Linkage that is measured: identifiers normalised before hashing, NHS numbers checked, the linkage rate
and households of one reported, and payments to people kept apart from the cost of services."""

from __future__ import annotations

import csv
from contextlib import closing
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given, strategies as st
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.deepdive import cohort_report as figures
from totalplace.deepdive import cohorts, synthetic
from totalplace.deepdive.pseudonym import KEY_ENV, Pseudonymiser
from totalplace.workspace import open_workspace

KEY = b"linkage-test-key-0123456789abcdef"
VALID = "9434765919"  # the NHS's own example number: check digit 9


def _workspace(make_workspace, threshold: int = 1):
    ws = make_workspace()
    with ws.config_path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n[privacy]\nsuppress_below = {threshold}\n")
    return open_workspace(ws.root)


def _put(ws, agency: str, text: str, name: str = "events.csv") -> None:
    folder = ws.root / "cohort" / agency
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def _loaded(make_workspace, files: dict[str, str]):
    """A workspace (threshold 1) with these agencies' event files, loaded."""
    ws = _workspace(make_workspace)
    for agency, text in files.items():
        _put(ws, agency, text)
    cohorts.load(ws, KEY)
    return ws


def check_digit(nine: str) -> int:
    """The modulus 11 check digit, computed independently: 10 means no valid number has these nine digits."""
    remainder = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1))) % 11
    return (11 - remainder) % 11


# ---- normalised before hashing --------------------------------------------------------------------

def test_identifiers_written_with_dashes_spaces_or_lower_case_link(make_workspace):
    """`943-476-5919` did not link to `9434765919`, nor `hh-7` to `HH7`: now they are one person, one household."""
    ws = _workspace(make_workspace)
    _put(ws, "council", "person id,household id,date,service,cost\n943-476-5919,hh-7,2023-05-01,Home care visit,50\n")
    _put(ws, "nhs", f"NHS number,date,service,cost\n{VALID},2023-05-02,GP appointment,40\n")
    _put(ws, "police", "person id,date,service,cost\n943 476 5919,2023-05-03,Call for service,90\n")
    _put(ws, "housing", "person id,household id,date,service,cost\n943\u2013476\u20135919,HH7,2023-05-04,Tenancy visit,60\n")
    result = cohorts.load(ws, KEY)
    assert (result.people, result.households) == (1, 1)
    pseudonymiser = Pseudonymiser(KEY)
    same = pseudonymiser.column("person", pa.array(["943-476-5919", "943 476 5919", VALID, "943\u2212476\u22125919"]))
    assert len(set(same.to_pylist())) == 1


@given(st.lists(st.text(alphabet=st.sampled_from("aB9-\u2010\u2013\u2014\u2212 \t"), max_size=8), max_size=15))
def test_spaces_dashes_and_case_never_change_a_pseudonym(identifiers):
    pseudonymiser = Pseudonymiser(KEY)
    hashed = pseudonymiser.column("person", pa.array(identifiers, pa.string())).to_pylist()
    stripped = ["".join(c for c in i if c.isalnum()).upper() for i in identifiers]
    again = pseudonymiser.column("person", pa.array(stripped, pa.string())).to_pylist()
    assert hashed == again


# ---- NHS numbers checked -------------------------------------------------------------------------------

@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_the_modulus_11_check_agrees_with_the_rule(nine):
    from totalplace.deepdive.pseudonym import nhs_number_valid

    digit = check_digit(nine)
    candidates = [nine + str(d) for d in range(10)]
    valid = nhs_number_valid(pa.array(candidates)).to_pylist()
    assert valid == [digit != 10 and d == digit for d in range(10)]


def test_an_nhs_number_failing_its_check_is_rejected_with_its_row_and_never_linked(make_workspace):
    ws = _workspace(make_workspace)
    _put(ws, "nhs", "NHS number,date,service,cost\n"
                    f"{VALID},2023-05-02,GP appointment,40\n"
                    "9434765918,2023-05-03,GP appointment,41\n"   # one digit wrong: the check fails
                    "943476591,2023-05-04,GP appointment,42\n"    # nine digits
                    "4010232137,2023-05-05,GP appointment,43\n")  # a valid number, another person
    # In a file whose column is not headed as an NHS number, the same text is an agency's own reference.
    _put(ws, "council", "person id,date,service,cost\n9434765918,2023-05-06,Home care visit,50\n")
    result = cohorts.load(ws, KEY)
    nhs = next(f for f in result.files if f.agency_id == "nhs")
    assert (nhs.rows_read, nhs.rows_loaded, nhs.rows_rejected) == (4, 2, 2)
    assert (nhs.cost_loaded, nhs.cost_rejected) == (Decimal("83.00"), Decimal("83.00"))
    assert result.people == 3  # the two valid NHS numbers, and the council's own reference
    with closing(figures.open_cohort(ws)) as con:
        rejected = cohorts.rejections(con)
    assert [(r[1], r[2]) for r in rejected] == [(3, "NHS number"), (4, "NHS number")]
    assert all("modulus 11" in r[3] for r in rejected)
    assert not any("943476591" in r[4] for r in rejected)  # the raw identifier is not kept, even when invalid


# ---- the linkage rate and households of one ------------------------------------------------------------

LINKED = {
    "council": "person id,household id,date,service,cost\n"
               "P1,H1,2023-05-01,Home care visit,50\nP2,H1,2023-05-01,Home care visit,50\n"
               "P3,H2,2023-05-01,Home care visit,50\n",
    "nhs": "NHS number,date,service,cost\n"
           f"{VALID},2023-05-02,GP appointment,40\n4010232137,2023-05-02,GP appointment,40\n",
    "police": "person id,date,service,cost\nP1,2023-05-03,Call for service,90\nP4,2023-05-03,Call for service,90\n"
              f"{VALID},2023-05-04,Call for service,90\n",
}


def test_load_reports_the_linkage_rate_by_agency_and_identifier_type_and_households_of_one(make_workspace):
    ws = _loaded(make_workspace, LINKED)
    with closing(figures.open_cohort(ws)) as con:
        by_agency = {r[0]: r[1:] for r in figures.linkage_by_agency(con, ws, None).rows}
        by_type = {r[0]: r[1:] for r in figures.linkage_by_identifier(con, ws, None).rows}
        notes = figures.linkage_by_agency(con, ws, None).notes
    # People: P1 (council, police), P2, P3 (council), P4 (police), VALID (nhs, police), 4010232137 (nhs).
    assert by_agency["council"][:3] == [3, 1, pytest.approx(1 / 3)]
    assert by_agency["police"][:3] == [3, 2, pytest.approx(2 / 3)]
    assert by_agency["nhs"][:3] == [2, 1, pytest.approx(1 / 2)]
    assert by_type["NHS number"][:3] == [2, 1, pytest.approx(1 / 2)]
    assert by_type["person id"][:2] == [5, 2]  # council and police: P1 P2 P3 P4 VALID; P1 and VALID linked
    text = " ".join(notes)
    # Households: H1 = P1 + P2, H2 = P3 alone, and P4, VALID and 4010232137 in no household named.
    assert "2 of 6 people (33.3%) were seen by more than one agency" in text
    assert "4 of 6 people (66.7%) are in households of one" in text
    assert "3 in no household any file names" in text


def test_the_cli_load_prints_the_linkage(make_workspace, monkeypatch):
    ws = _workspace(make_workspace)
    for agency, text in LINKED.items():
        _put(ws, agency, text)
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    result = CliRunner().invoke(app, ["cohort", "load", "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert "Linkage by agency" in result.output and "households of one" in result.output
    assert "Linkage by identifier type" in result.output and "NHS number" in result.output


# ---- payments to people apart from the cost of services -----------------------------------------------

SPLIT = {
    "dwp": "person id,household id,date,service,kind,cost\n"
           "P1,H1,2023-05-01,Universal Credit payment,benefit,400\n"
           "P2,H2,2023-05-01,Work capability assessment,assessment,200\n",
    "council": "person id,date,service,cost\n"
               "P1,2023-05-01,Housing Benefit,120\nP2,2023-05-02,Home care visit,50.50\n",
}


def test_cost_is_split_into_payments_to_people_and_the_cost_of_services(make_workspace):
    ws = _loaded(make_workspace, SPLIT)
    with closing(figures.open_cohort(ws)) as con:
        published = figures.publish(con, ws)
        split = published.payments("2023-24")
        year = dict(zip(split.columns, split.rows[0]))
        agencies = {r[0]: dict(zip(figures.by_agency(con, ws, "2023-24").columns, r))
                    for r in figures.by_agency(con, ws, "2023-24").rows}
        services = figures.concentration(con, "2023-24", "household", 50, measure="services")
        payments = figures.concentration(con, "2023-24", "household", 50, measure="payments")
    assert (year["cost"], year["payments to people"], year["cost of services"]) == (
        Decimal("770.50"), Decimal("520.00"), Decimal("250.50"))  # a kind of 'benefit', or no kind and 'Benefit'
    assert (agencies["dwp"]["payments to people"], agencies["dwp"]["cost of services"]) == (
        Decimal("400.00"), Decimal("200.00"))
    assert (agencies["council"]["payments to people"], agencies["council"]["cost of services"]) == (
        Decimal("120.00"), Decimal("50.50"))
    # Ranked by the cost of services, H2 (250.50) comes first; ranked by payments, H1 (520) does.
    assert {p.percent: p.cost for p in services.points}[50] == Decimal("250.50")
    assert {p.percent: p.cost for p in payments.points}[50] == Decimal("520.00")
    assert services.total == Decimal("250.50") and payments.total == Decimal("520.00")


# ---- the synthetic generator writes identifiers as agencies do -----------------------------------------

def test_the_synthetic_cohort_writes_valid_nhs_numbers_and_forms_agencies_use(make_workspace):
    ws = _workspace(make_workspace)
    synthetic.generate(ws.root / "cohort", 400, ["2023-24"], seed=3)
    people: dict[str, set[str]] = {}
    for path in sorted((ws.root / "cohort").rglob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            people[path.parent.name] = {row.get("NHS number") or row["person id"] for row in csv.DictReader(handle)}
    digits = [n.replace(" ", "") for n in people["nhs"]]
    assert all(len(d) == 10 and check_digit(d[:9]) == int(d[9]) for d in digits)
    assert all(p.count("-") == 2 for p in people["police"])  # the police write the number with dashes
    assert all(p.count(" ") == 2 for p in people["nhs"]) and all(p.isdigit() for p in people["dwp"])
    plain = {agency: {p.replace(" ", "").replace("-", "") for p in ids} for agency, ids in people.items()}
    elsewhere = set().union(*(ids for agency, ids in plain.items() if agency != "police"))
    result = cohorts.load(ws, KEY)
    assert sum(f.rows_rejected for f in result.files) == 0
    with closing(figures.open_cohort(ws)) as con:
        police_row = {r[0]: r for r in figures.linkage_by_agency(con, ws, None).rows}["police"]
    # Every police number another agency also wrote (without dashes) is linked.
    assert police_row[1:3] == [len(plain["police"]), len(plain["police"] & elsewhere)]
    assert police_row[2] > 0.8 * police_row[1]
