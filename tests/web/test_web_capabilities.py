"""The capability pages and the top-down overview show exactly what the service functions return, to the right roles.

The place: the two-agency web fixture, plus the Bradford example's funding
streams, journey, appraisal, deal and estate inputs, the shipped CRA workbooks
and a small cohort (12 people seen by the council, 3 of them also by the NHS:
a count under the default threshold of 5). The expected figures are computed by
the capabilities' own functions before the app opens the store.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import duckdb
import pytest
from fastapi.testclient import TestClient

from support.web import WEB_PLACE, add_capability_inputs, csrf_of, signed_in
from totalplace import display
from totalplace.tabular import Number
from totalplace.count import topdown
from totalplace.capabilities import pages
from totalplace.web.render import table_json


def _expected(workspace) -> tuple[topdown.TopdownCount, dict[str, list]]:
    con = duckdb.connect(str(workspace.store_path))
    try:
        count = topdown.count(con, workspace, workspace.settings.place.areas, None, "control")
    finally:
        con.close()
    return count, {c.key: c.sections(workspace, None) for c in pages()}


@pytest.fixture(scope="module")
def place(make_workspace, web_app):
    workspace = make_workspace(**WEB_PLACE, cra_read=True)
    add_capability_inputs(workspace)
    count, sections = _expected(workspace)
    app, passwords = web_app(workspace, workspace.root.parent / "web.sqlite")
    with TestClient(app):
        yield workspace, app, passwords, count, sections


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_overview_shows_the_topdown_count_and_its_shares(place):
    _, app, passwords, count, _ = place
    partner = signed_in(app, "partner", passwords["partner"])
    body = partner.get("/api/overview").json()["topdown"]
    assert body["fiscal_year"] == count.fiscal_year and Decimal(body["total"]) == count.total
    assert Decimal(body["per_head"]) == count.per_head and body["population"] == count.population
    assert [(r["level"], Decimal(r["amount"])) for r in body["by_control"]] == [(r.label, r.amount) for r in count.rows]
    assert sum(Decimal(r["amount"]) for r in body["by_control"]) == count.total  # the scale drops nothing
    page = partner.get("/").text
    assert f"£{count.total:,.2f}" in page and f"£{count.per_head:,.2f}" in page
    for row in count.rows:
        assert f"{row.share:.1%}</strong> {row.label}" in page.replace("&#39;", "'")
    scale = _csv_rows(partner.get("/topdown/topdown-headline/0.csv").text)
    assert [(r[0], Decimal(r[1])) for r in scale[1:]] == [(r.label, r.amount) for r in count.rows]
    flow = _csv_rows(partner.get("/topdown/topdown-headline/1.csv").text)
    assert flow[0] == ["department", "level of control", "function", "amount"]
    assert sum(Decimal(r[3]) for r in flow[1:]) == count.total  # funder -> who decides -> function carries it all
    assert "/topdown/topdown-headline/1.csv" in page and page.count("<svg") >= 3


@pytest.mark.parametrize("key", ["topdown", "funding-streams", "provision", "unit-costs", "journeys", "appraisals",
                                 "deal", "estate", "cohorts"])
def test_each_page_shows_the_figures_its_capability_returns(place, key):
    _, app, passwords, _, sections = place
    expected = sections[key]
    assert expected, f"the fixture gives {key} something to show"
    partner = signed_in(app, "partner", passwords["partner"])
    api = partner.get(f"/api/{key}").json()["sections"]
    assert [s["id"] for s in api] == [s.id for s in expected]
    page = partner.get(f"/{key}").text
    for got, section in zip(api, expected):
        assert got["tables"] == [table_json(t) for t in section.tables + section.appendix]
        assert [c["table"] for c in got["charts"]] == [table_json(c.table) for c in section.charts]
        assert got["paragraphs"] == section.paragraphs
        for table in section.all_tables():
            money = next((v for row in table.rows for v in row if isinstance(v, Decimal)
                          and not isinstance(v, Number)), None)  # a Number (days, a ratio) is not money
            if money is not None:  # in pounds (a minus before the £), to the penny or rounded as its table says
                assert display.money(money, table.precision) in page or f"{money:,.2f}" in page
    assert page.count("<svg") == sum(len(s.charts) for s in expected)
    first = expected[0]
    first_table = ([c.table for c in first.charts] + first.tables)[0]
    download = _csv_rows(partner.get(f"/{key}/{first.id}/0.csv").text)
    assert download[0] == first_table.columns and len(download) == len(first_table.rows) + 1


def test_journeys_have_their_swimlanes_and_appraisals_their_parts(place):
    _, app, passwords, _, sections = place
    partner = signed_in(app, "partner", passwords["partner"])
    journeys = partner.get("/journeys").text
    swimlanes = [c.title for s in sections["journeys"] for c in s.charts]
    assert swimlanes and all(title in journeys for title in swimlanes)
    ids = [s["id"] for s in partner.get("/api/appraisals").json()["sections"]]
    for part in ("summary", "matrix", "gainshare", "montecarlo"):
        assert any(i.endswith(part) for i in ids), part


def _cohort_counts(body: dict) -> list:
    """Every value of a people or household count column in the cohort API's tables."""
    tables = [t for s in body["sections"] for t in [c["table"] for c in s["charts"]] + s["tables"]]
    return [row[column] for t in tables for row in t["rows"] for column in t["columns"]
            if ("people" in column or "households" in column)
            and not any(word in column for word in ("share", "cost", "payments", "ranked by"))]


@pytest.mark.parametrize("role", ["partner", "analyst-bradford-council", "admin"])
def test_cohort_counts_under_the_threshold_never_appear(place, role):
    workspace, app, passwords, _, _ = place
    client = signed_in(app, role, passwords[role])
    body = client.get("/api/cohorts").json()
    counts = _cohort_counts(body)
    assert "<5" in counts  # the NHS saw 3 people: suppressed
    assert all(c in (0, "<5", "suppressed") or (isinstance(c, int) and c >= 5) for c in counts), counts
    con = duckdb.connect(str(workspace.store_path), read_only=True)
    try:
        pseudonyms = [r[0] for r in con.execute("SELECT DISTINCT person FROM cohort_event").fetchall()]
    finally:
        con.close()
    assert len(pseudonyms) == 12
    page = client.get("/cohorts").text
    everything = page + client.get("/api/cohorts").text
    assert all(abs(p) >= 10**6 for p in pseudonyms)  # long enough that finding one in a page means it is there
    assert not any(str(p) in everything for p in pseudonyms)  # nothing person-level, not even pseudonyms
    assert "P01" not in everything and "H01" not in everything
    assert ">3<" not in page.replace(" ", "")


def _publish(app, passwords, key: str, action: str) -> None:
    admin = signed_in(app, "admin", passwords["admin"])
    token = csrf_of(admin.get("/admin/publish").text)
    done = admin.post("/admin/publish", data={"dimension": key, "fiscal_year": "all", "action": action,
                                              "csrf": token})
    assert done.status_code == 200, done.text


def test_the_public_sees_a_capability_page_only_once_published(place):
    _, app, passwords, _, sections = place
    anonymous = TestClient(app)
    public = signed_in(app, "public", passwords["public"])
    first = sections["appraisals"][0]
    for path in ("/appraisals", "/api/appraisals", f"/appraisals/{first.id}/0.csv"):
        assert anonymous.get(path).status_code == 401
        assert public.get(path).status_code == 403
    assert "/appraisals" not in anonymous.get("/").text.split('id="published"')[1]
    _publish(app, passwords, "appraisals", "publish")
    try:
        shown = anonymous.get("/api/appraisals").json()["sections"]
        assert shown[0]["tables"] == [table_json(t) for t in first.tables + first.appendix]
        assert anonymous.get("/appraisals").status_code == 200
        assert 'href="/appraisals"' in anonymous.get("/").text
        assert {"by": "appraisals", "fiscal_year": "all", "url": "/api/appraisals"} in \
            anonymous.get("/api/published").json()
        assert anonymous.get("/api/cohorts").status_code == 401  # publishing one page publishes no other
        assert anonymous.get("/api/overview").status_code == 401
    finally:
        _publish(app, passwords, "appraisals", "withdraw")
    assert anonymous.get("/api/appraisals").status_code == 401


def test_a_capability_page_is_published_whole(place):
    _, app, passwords, _, _ = place
    admin = signed_in(app, "admin", passwords["admin"])
    token = csrf_of(admin.get("/admin/publish").text)
    refused = admin.post("/admin/publish", data={"dimension": "deal", "fiscal_year": "2018-19",
                                                 "action": "publish", "csrf": token})
    assert refused.status_code == 400 and "published as a whole" in refused.text


def test_a_breakdown_page_draws_its_chart(place):
    _, app, passwords, _, _ = place
    partner = signed_in(app, "partner", passwords["partner"])
    page = partner.get("/breakdown/theme", params={"year": "2018-19"}).text
    assert page.count("<svg") == 1 and "Macro" not in page


@pytest.mark.parametrize("key", ["estate"])
def test_a_capability_page_shows_agencies_by_name_and_its_csv_keeps_the_code(place, key):
    """People read 'Bradford council' in a table cell where the CSV and the API keep 'bradford-council'."""
    workspace, app, passwords, _, sections = place
    partner = signed_in(app, "partner", passwords["partner"])
    page = partner.get(f"/{key}").text
    cells = {cell for section in sections[key] for table in section.all_tables() for row in table.rows
             for cell in row if isinstance(cell, str)}
    coded = [a for a in workspace.settings.agencies if a.id in cells]
    assert coded, f"no {key} table names an agency by its code: nothing to check"
    for agency in coded:
        assert f">{agency.id}<" not in page, agency.id
        assert f">{agency.name}<" in page, agency.name
