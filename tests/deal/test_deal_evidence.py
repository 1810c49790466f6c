"""The deal links every kind of evidence the workspace has, keeps an ILLUSTRATIVE or SYNTHETIC label with its
figure in every output, and ties each offer to the outcome indicators it would move."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from support.data import write_csv
from totalplace.cli import app
from totalplace.deal.evidence import Context, EvidenceMissing, kinds, resolve
from totalplace.deal.proposition import render_html
from totalplace.deal.report import report_sections
from totalplace.deal.review import review, submit
from totalplace.ingest.load import ingest
from totalplace.workspace import PrivacySettings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "bradford"
HEADER = "Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name\n"
STREAMS = ("name,funder,recipient,theme,client_group,fiscal_year,amount,ring_fenced,reporting_returns,basis\n"
           "Drug grant,DHSC,Bradford council,Drugs and alcohol,Adults,2018-19,1000.50,yes,4,published\n"
           "Treatment pilot,Home Office,Bradford council,Drugs and alcohol,Offenders,2018-19,250.25,no,2,illustrative\n"
           "Schools,DfE,Bradford council,Education,Pupils,2018-19,9000,yes,3,published\n")
KEY = b"deal-evidence-key-0123456789abcdef"
runner = CliRunner()


def _ask(evidence: list[str], offer: dict | None = None) -> dict:
    answer = {"answer": True, "reason": "because"}
    return {"id": "A1", "title": "Pool drugs money", "department": "DHSC", "freedom": "pool budgets",
            "money": "1000", "owner": "me", "evidence": evidence, "offer": offer or {},
            "checklist": {"spatially_contained": answer, "no_national_conflict": answer,
                          "no_new_legislation": answer}}


def _write_register(place, evidence: list[str], offer: dict | None = None) -> None:
    folder = place.root / "deal"
    folder.mkdir(exist_ok=True)
    (folder / "asks.yaml").write_text(yaml.safe_dump({"asks": [_ask(evidence, offer)]}), encoding="utf-8")


@pytest.fixture()
def place(small_place):
    """A count of drugs and alcohol spending, a funding stream register, the demo's burden, outcomes, estate,
    journey and intervention, and a synthetic cohort."""
    write_csv(small_place.agency_dir("bradford-council") / "april.csv", HEADER
              + "Public Health,PH1 DrugsAlco misuse,2018-04-12,T1,700.00,TREATMENT CIC\n"
              + "Public Health,PH1 DrugsAlco misuse,2018-05-12,T2,300.00,TREATMENT CIC\n")
    ingest(small_place)
    write_csv(small_place.root / "funding_streams.csv", STREAMS)
    shutil.copytree(EXAMPLES / "deal", small_place.root / "deal",
                    ignore=shutil.ignore_patterns("asks.yaml", "history.csv", "submitted_evidence.csv"))
    shutil.copytree(EXAMPLES / "estate", small_place.root / "estate")
    shutil.copytree(EXAMPLES / "journeys", small_place.root / "journeys")
    shutil.copytree(EXAMPLES / "interventions", small_place.root / "interventions")
    from totalplace.deepdive import cohorts, synthetic
    synthetic.generate(small_place.root / "cohort", 600, ["2023-24"], seed=5)
    cohorts.load(small_place, KEY)
    return small_place


EVERY_KIND = {"count", "topdown", "streams", "provision", "journey", "cohort", "appraisal", "burden", "estate"}


def test_every_kind_of_evidence_the_workspace_has_can_be_linked(place):
    """`burden:` and `streams:` links were refused ('unknown kind'); so were provision, cohort and estate."""
    from totalplace.count.funding_streams import read_register
    from totalplace.deal.burden import load_burden, replacement
    from totalplace.deepdive import cohort_report
    from totalplace.deepdive.provision import provision
    from totalplace.estate.colocate import Settings, opportunities
    from totalplace.estate.register import load_estate

    assert EVERY_KIND <= set(kinds())
    streams = read_register(place)
    estate_saving = sum((o.saving for o in opportunities(load_estate(place))), Decimal(0))
    with Context(place) as context:
        drugs = resolve(context, "streams:theme=Drugs and alcohol;year=2018-19")
        assert drugs.amount == sum(s.amount for s in streams if s.theme == "Drugs and alcohol") == Decimal("1250.75")
        assert resolve(context, "streams:name=Drug grant").amount == Decimal("1000.50")
        assert resolve(context, "provision:theme=Drugs and alcohol;year=2018-19").amount == \
            provision(context.con, place, "Drugs and alcohol", "2018-19").amount == Decimal("1000.00")
        assert resolve(context, "burden:measure=cost").amount == load_burden(place).cost
        assert resolve(context, "burden:measure=freed").amount == replacement(place).money_freed
        assert resolve(context, "estate:measure=saving").amount == estate_saving > 0
        net = opportunities(load_estate(place), Settings(start=dt.date(2026, 4, 1), years=5))
        assert resolve(context, "estate:measure=net_saving;from=2026-04-01;years=5").amount == \
            sum((o.net_saving for o in net), Decimal(0)) < 5 * estate_saving
        with closing(cohort_report.open_cohort(place)) as con:
            published = cohort_report.publish(con, place)
        cost = resolve(context, "cohort:measure=cost;year=2023-24")
        assert cost.amount == published.summary("2023-24").rows[0][5]
        with pytest.raises(EvidenceMissing, match="no stream"):
            resolve(context, "streams:name=Nothing")
        with pytest.raises(EvidenceMissing, match="no agency 'nobody'"):
            resolve(context, "cohort:measure=agency;agency=nobody;year=2023-24")
    # A figure the cohort's outputs withhold is not evidence either: it would publish it.
    place.settings.privacy = PrivacySettings(suppress_below=100_000)
    with Context(place) as context, pytest.raises(EvidenceMissing, match="withheld"):
        resolve(context, "cohort:measure=cost;year=2023-24")


def test_illustrative_and_synthetic_labels_travel_with_their_figures(place):
    """Journey and appraisal evidence lost their ILLUSTRATIVE label in `ask show` and in the proposition export."""
    links = {"journey:name=prison-leaver;measure=saving": "ILLUSTRATIVE",
             "appraisal:name=family-support;measure=fiscal_npv": "ILLUSTRATIVE",
             "streams:theme=Drugs and alcohol;year=2018-19": "ILLUSTRATIVE",
             "burden:measure=cost": "ILLUSTRATIVE",
             "cohort:measure=cost;year=2023-24": "SYNTHETIC",
             "estate:measure=saving": "SYNTHETIC"}
    _write_register(place, list(links) + ["streams:name=Drug grant"])
    with Context(place) as context:
        for link, mark in links.items():
            figure = resolve(context, link)
            assert mark in figure.marks and figure.label.startswith(f"{mark}: "), link
        assert resolve(context, "streams:name=Drug grant").marks == ()
    shown = runner.invoke(app, ["deal", "ask", "show", "A1", "-f", "json", "-w", str(place.root)])
    assert shown.exit_code == 0, shown.output
    rows = {r["link"]: r for r in json.loads(shown.output)["rows"]}
    html = render_html(place)
    report = json.dumps([t.rows for s in report_sections(place) for t in s.all_tables()], default=str)
    for link, mark in links.items():
        assert rows[link]["figure"].startswith(f"{mark}: "), link
        label = rows[link]["figure"]
        assert label in html and label in report, link
    submit(place, "A1", "tester")
    recorded = (place.root / "deal" / "submitted_evidence.csv").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE: journey prison-leaver" in recorded and "SYNTHETIC: " in recorded


def test_offers_link_to_outcome_indicators(place):
    _write_register(place, ["count:year=2018-19"], {"savings": "500", "outcomes": ["Fewer drug deaths"],
                                                    "indicators": ["I1", "I9"]})
    [r] = review(place)
    assert [i.id for i in r.indicators] == ["I1"]
    assert any(f.kind == "offer indicator unknown" and "I9" in f.text for f in r.flags)
    shown = runner.invoke(app, ["deal", "ask", "show", "A1", "-w", str(place.root)])
    assert "I1 Successful completions of drug treatment" in shown.output
    assert "baseline 6.2 (2018-19), target 8.0 (2021-22)" in shown.output
    html = render_html(place)
    assert "Successful completions of drug treatment" in html and "8.0 (2021-22)" in html
    checked = runner.invoke(app, ["deal", "ask", "check", "-w", str(place.root)])
    assert "offer indicator unknown" in checked.output
