"""The deal: evidence links that stay live, status history, flags in every output, pools, burden."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, strategies as st
from typer.testing import CliRunner

from support.data import write_csv
from totalplace.cli import app
from totalplace.deal import asks as asks_model
from totalplace.deal.burden import load_burden, replacement
from totalplace.deal.evidence import Context, EvidenceMissing, parse_link, resolve
from totalplace.inputs import money_text
from totalplace.deal.pool import PoolKind, Scope, pooling
from totalplace.deal.proposition import render_html
from totalplace.deal.report import report_sections
from totalplace.deal.review import review, submit
from totalplace.errors import InputError
from totalplace.ingest.load import ingest

HEADER = "Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name\n"
EXAMPLE_DEAL = Path(__file__).resolve().parents[2] / "examples" / "bradford" / "deal"
LINK = "count:supplier=ACME LTD;year=2018-19"
runner = CliRunner()


def _spend(place, name: str, rows: list[tuple[str, str]]) -> None:
    lines = "".join(f"Place,Fuel,2018-{k % 9 + 4:02d}-12,{name}{k},{amount},{supplier}\n"
                    for k, (amount, supplier) in enumerate(rows))
    write_csv(place.agency_dir("bradford-council") / f"{name}.csv", HEADER + lines)


def _ask(ask_id: str = "A1", evidence: list[str] | None = None, answered: bool = True) -> dict:
    answer = {"answer": True, "reason": "because"} if answered else {}
    return {"id": ask_id, "title": "Pool fuel", "department": "DfT", "freedom": "pool budgets", "money": "1000",
            "owner": "me", "evidence": evidence if evidence is not None else [LINK],
            "reply_due": "2019-01-31",
            "checklist": {"spatially_contained": answer, "no_national_conflict": answer, "no_new_legislation": answer}}


@pytest.fixture()
def place(small_place):
    _spend(small_place, "april", [("100.25", "ACME LTD"), ("50.50", "ACME LTD"), ("7.00", "OTHER LTD")])
    ingest(small_place)
    folder = small_place.root / "deal"
    folder.mkdir()
    (folder / "asks.yaml").write_text(yaml.safe_dump({"asks": [_ask()]}), encoding="utf-8")
    return small_place


def test_count_link_resolves_to_the_sum_of_its_rows(place):
    with Context(place) as context:
        figure = resolve(context, LINK)
        assert figure.amount == Decimal("150.75")  # 100.25 + 50.50, the ACME rows of the fixture
        assert "2 payment lines" in figure.basis
        assert len(figure.detail) == 2 and "april.csv" in figure.detail[0]
        with pytest.raises(EvidenceMissing, match="NOBODY"):
            resolve(context, "count:supplier=NOBODY;year=2018-19")
        with pytest.raises(EvidenceMissing, match="2030-31"):
            resolve(context, "count:supplier=ACME LTD;year=2030-31")
        assert resolve(context, "count:year=2018-19").amount == Decimal("157.75")


def test_unknown_link_kind_is_bad_input_naming_the_ask(place):
    path = place.root / "deal" / "asks.yaml"
    path.write_text(yaml.safe_dump({"asks": [_ask(evidence=["journy:id=3"])]}), encoding="utf-8")
    with pytest.raises(InputError, match=r"asks.yaml, ask A1.*unknown kind 'journy'"):
        asks_model.load_register(place)


def _outputs(place) -> dict[str, str]:
    """The ask as every output shows it."""
    texts = {}
    for name, args in (("list", ["deal", "ask", "list", "-f", "json"]), ("check", ["deal", "ask", "check", "-f", "json"]),
                       ("show", ["deal", "ask", "show", "A1", "-f", "json"])):
        result = runner.invoke(app, [*args, "-w", str(place.root)])
        assert result.exit_code == 0, result.output
        texts[name] = result.output
    texts["export"] = render_html(place)
    texts["report"] = json.dumps([t.rows + t.notes for s in report_sections(place) for t in s.tables], default=str)
    return texts


def test_changed_or_vanished_evidence_is_flagged_in_every_output(place):
    submit(place, "A1", "tester", when=dt.datetime(2019, 1, 1, 9))
    before = review(place, dt.date(2019, 1, 2))[0]
    assert before.evidence[0].submitted == Decimal("150.75") and not before.flags

    _spend(place, "may", [("49.25", "ACME LTD")])  # the count grows after submission
    ingest(place)
    for name, text in _outputs(place).items():
        assert "evidence changed" in text, name
        assert "150.75" in text and "200.00" in text, name

    for file in place.agency_dir("bradford-council").glob("*.csv"):
        file.unlink()
    _spend(place, "other", [("5.00", "OTHER LTD")])  # ACME's payments are gone from the count
    ingest(place)
    for name, text in _outputs(place).items():
        assert "evidence missing" in text, name
        assert "ACME LTD" in text, name


def test_status_moves_only_along_the_allowed_path_and_every_change_is_kept(place):
    with pytest.raises(InputError, match="draft; it can move to: submitted"):
        asks_model.record_change(place, "A1", asks_model.Status.agreed, "x", "")
    submit(place, "A1", "ann", when=dt.datetime(2019, 1, 1))
    asks_model.record_change(place, "A1", asks_model.Status.in_dialogue, "bob", "first meeting",
                             dt.datetime(2019, 1, 5))
    asks_model.record_change(place, "A1", asks_model.Status.agreed, "cat", "", dt.datetime(2019, 2, 1))
    with pytest.raises(InputError, match="agreed; it can move to: none"):
        asks_model.record_change(place, "A1", asks_model.Status.draft, "x", "")
    rows = asks_model.history(place)
    assert [(r["from"], r["to"], r["by"]) for r in rows] == [
        ("draft", "submitted", "ann"), ("submitted", "in dialogue", "bob"), ("in dialogue", "agreed", "cat")]


def test_an_ask_cannot_be_submitted_without_reasons_or_with_missing_evidence(place):
    path = place.root / "deal" / "asks.yaml"
    path.write_text(yaml.safe_dump({"asks": [_ask(answered=False), _ask("A2", ["count:supplier=NOBODY"])]}))
    with pytest.raises(InputError, match="not answered with a reason"):
        submit(place, "A1", "x")
    with pytest.raises(InputError, match="no longer exists"):
        submit(place, "A2", "x")
    assert asks_model.history(place) == []


def test_overdue_reply_and_failed_condition_are_flagged(place):
    data = _ask()
    data["checklist"]["no_new_legislation"] = {"answer": False, "reason": "needs an Act"}
    (place.root / "deal" / "asks.yaml").write_text(yaml.safe_dump({"asks": [data]}))
    submit(place, "A1", "x", when=dt.datetime(2019, 1, 1))
    kinds = {f.kind for f in review(place, dt.date(2019, 3, 1))[0].flags}
    assert kinds == {"reply overdue", "condition not met"}


def test_add_appends_an_ask_and_keeps_the_file_as_typed(place):
    path = place.root / "deal" / "asks.yaml"
    path.write_text("# our proposition\n" + path.read_text())
    result = runner.invoke(app, ["deal", "ask", "add", "A9", "--title", "Share data", "--department", "DWP",
                                 "--freedom", "share data", "--money", "£1,200.50", "--owner", "me",
                                 "--evidence", LINK, "-w", str(place.root)])
    assert result.exit_code == 0, result.output
    assert path.read_text().startswith("# our proposition\n")
    register = asks_model.load_register(place)
    assert [a.id for a in register.asks] == ["A1", "A9"]
    assert register.ask("A9").money == Decimal("1200.50")
    again = runner.invoke(app, ["deal", "ask", "add", "A9", "--title", "x", "--department", "y", "--freedom",
                                "share data", "--money", "1", "--owner", "z", "-w", str(place.root)])
    assert again.exit_code == 2 and "already in the register" in again.output


@given(st.dictionaries(st.text("abcdefgh", min_size=1, max_size=5),
                       st.text(st.characters(blacklist_characters=";=\n\r", blacklist_categories=("Cs",)),
                               max_size=12).map(str.strip), max_size=4))
def test_link_fields_survive_writing_and_reading(fields):
    text = "count:" + ";".join(f"{k}={v}" for k, v in fields.items())
    assert parse_link(text).fields == fields


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2))
def testmoney_text_reads_pounds_commas_and_brackets(amount):
    shown = f"£{abs(amount):,.2f}"
    assert money_text(shown if amount >= 0 else f"({shown})") == amount


def test_pooled_share_and_misaligned_timetables(place):
    folder = place.root / "deal"
    write_csv(folder / "pools.csv", "pool,name,kind,host,fiscal_year,themes,year_start,cycle_years,runs_until\n"
              "P1,Fuel pool,pooled,council,2018-19,,April,3,2021-03-31\n")
    write_csv(folder / "contributions.csv", "pool,partner,funding_stream,amount,year_start,cycle_years,confirmed_until\n"
              "P1,council,fuel,40.00,April,3,2021-03-31\nP1,college,skills,£11.55,Sept,1,2019-07-31\n")
    write_csv(folder / "drawdowns.csv", "pool,date,amount,purpose\nP1,2018-06-01,60.00,buses\n")
    result = pooling(place)
    summary = result.pools[0]
    assert (summary.contributed, summary.drawn, summary.balance) == (Decimal("51.55"), Decimal("60.00"),
                                                                     Decimal("-8.45"))
    ledgers = result.share("2018-19", PoolKind.pooled, Scope.ledgers)  # 'council' and 'college' name no agency:
    assert (ledgers.pooled, ledgers.base, len(ledgers.left_out)) == (0, Decimal("157.75"), 2)  # none of it is theirs
    problems = [m.problem for m in result.misalignments]
    assert all(m.partner == "college" for m in result.misalignments) and len(problems) == 3
    assert "starts in September" in problems[0]
    shown = runner.invoke(app, ["deal", "pool", "show", "-w", str(place.root)])
    assert "OVERDRAWN" in shown.output and "3.4%" in shown.output
    write_csv(folder / "drawdowns.csv", "pool,date,amount,purpose\nP9,2018-06-01,60.00,buses\n")
    bad = runner.invoke(app, ["deal", "pool", "show", "-w", str(place.root)])
    assert bad.exit_code == 2 and "drawdowns.csv, row 2, column 'pool': no pool 'P9'" in bad.output


def test_burden_totals_equivalents_and_framework_on_the_demo_inputs(small_place):
    shutil.copytree(EXAMPLE_DEAL, small_place.root / "deal")
    burden = load_burden(small_place)
    b4 = next(i for i in burden.items if i.id == "B4")
    assert (b4.hours, b4.cost) == (Decimal(18 * 12), Decimal("5832.00"))  # monthly, 18 h at £27
    assert burden.cost == sum((i.hours_each * i.frequency * i.hourly_cost).quantize(Decimal("0.01"))
                              for i in burden.items)
    groups = dict(burden.equivalents())
    assert {i.id for i in groups["drug treatment completions"]} == {"B4", "B5", "B6"}
    assert "children in need census" not in groups  # one agency only
    freed = replacement(small_place, burden)
    assert {i.id for i in freed.replaced} == {"B2", "B4", "B5", "B6", "B7", "B8", "B11", "B12", "B13"}
    assert freed.money_freed + sum(i.cost for i in freed.kept) == burden.cost


def test_framework_naming_an_unknown_return_is_bad_input(small_place):
    shutil.copytree(EXAMPLE_DEAL, small_place.root / "deal")
    path = small_place.root / "deal" / "outcomes.yaml"
    path.write_text(path.read_text().replace("[B7, B8]", "[B7, B99]"))
    result = runner.invoke(app, ["deal", "burden", "framework", "-w", str(small_place.root)])
    assert result.exit_code == 2
    assert "outcome O2, indicator I2, replaces: no item 'B99'" in result.output


def test_bad_burden_row_names_file_row_and_column(small_place):
    write_csv(small_place.root / "deal" / "burden.csv",
              "id,agency,item,kind,frequency,recipient,hours_each,hourly_cost\n"
              "B1,council,x,return,annual,DfE,10,20\nB2,council,y,return,sometimes,DfE,10,20\n")
    with pytest.raises(InputError, match=r"burden.csv, row 3, column 'frequency': .*'sometimes' is not a frequency"):
        load_burden(small_place)


def test_register_as_a_workbook_keeps_links_whole(place):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "title", "department", "freedom", "money", "owner", "evidence", "offer.savings",
                  "checklist.no_new_legislation.answer", "checklist.no_new_legislation.reason"])
    sheet.append(["X1", "Pool", "DfT", "pool budgets", 1000.5, "me", f"{LINK}\ncount:year=2018-19", 20, False, "an Act"])
    (place.root / "deal" / "asks.yaml").unlink()
    book.save(place.root / "deal" / "asks.xlsx")
    ask = asks_model.load_register(place).ask("X1")
    assert ask.evidence == [LINK, "count:year=2018-19"]
    assert (ask.money, ask.offer.savings) == (Decimal("1000.5"), Decimal(20))
    assert ask.checklist.no_new_legislation.answer is False


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "bradford"


def test_journey_and_appraisal_links_resolve_to_their_own_figures(place):
    from totalplace.appraise.service import appraise_target
    from totalplace.deepdive.journeys import compare, find_journey, summarise
    from totalplace.deepdive.unit_costs import load_library

    shutil.copytree(EXAMPLES / "journeys", place.root / "journeys")
    shutil.copytree(EXAMPLES / "interventions", place.root / "interventions")
    journey, library = find_journey(place, "prison-leaver"), load_library(place)
    comparison = compare(journey, None, 10, library)
    with Context(place) as context:
        saving = resolve(context, "journey:name=prison-leaver;measure=saving")
        assert saving.amount == comparison.saving_per_person > 0
        assert resolve(context, "journey:name=prison-leaver;measure=cohort_saving;cohort=10").amount == \
            comparison.saving_per_person * 10
        assert resolve(context, "journey:name=prison-leaver;measure=cost").amount == \
            summarise(journey, None, library).total
        npv = resolve(context, "appraisal:name=family-support;measure=fiscal_npv")
        assert npv.amount == appraise_target(place, "family-support")[1].summary().fiscal_npv
        with pytest.raises(EvidenceMissing, match="no-such-journey"):
            resolve(context, "journey:name=no-such-journey;measure=cost")
        with pytest.raises(EvidenceMissing, match="gone"):
            resolve(context, "appraisal:name=gone;measure=fiscal_npv")
        with pytest.raises(InputError, match="measure must be one of"):
            resolve(context, "appraisal:name=family-support;measure=vibes")


def test_topdown_link_without_a_cra_is_missing_evidence(place):
    with Context(place) as context:
        with pytest.raises(EvidenceMissing, match="no CRA is loaded"):
            resolve(context, "topdown:by=control;key=local_bodies;year=2009-10")
