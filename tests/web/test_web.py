"""The web app shows the same figures as the store, traces them to rows, uploads like `ingest`, publishes."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import duckdb
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from support.web import (
    POLICE, POLICE_LOADED_MONEY, csrf_of, police_csv, signed_in,
)
from totalplace.web.db import ApiToken, AuditEvent, User


def _place(root, web_workspace, web_app):
    workspace = web_workspace(root / "bradford")
    app, passwords = web_app(workspace, root / "web.sqlite")
    with TestClient(app):
        yield workspace, app, passwords


@pytest.fixture(scope="module")
def place(tmp_path_factory, web_workspace, web_app):
    """A place the tests only read."""
    yield from _place(tmp_path_factory.mktemp("web"), web_workspace, web_app)


@pytest.fixture()
def fresh_place(tmp_path, web_workspace, web_app):
    """A place a test changes (uploads, publications)."""
    yield from _place(tmp_path, web_workspace, web_app)


def store_sql(workspace, sql: str, params=None) -> list[tuple]:
    """An independent look at the store, beside the app's own read-only connection."""
    con = duckdb.connect(str(workspace.store_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_overview_total_is_the_sum_of_the_loaded_lines(place):
    workspace, app, passwords = place
    partner = signed_in(app, "partner", passwords["partner"])
    body = partner.get("/api/overview").json()
    # pass-through payments (precepts, the pension fund) are transfers, not spending: left out of the total
    (expected,) = store_sql(workspace, "SELECT sum(amount) FROM spend_line WHERE fiscal_year = '2018-19' "
                                       "AND pass_through IS NULL")[0]
    assert Decimal(body["total"]) == expected
    police = next(r for r in body["by_agency"]["rows"] if r["agency"] == POLICE)
    assert Decimal(police["amount"]) == POLICE_LOADED_MONEY  # computed from the fixture, not the code
    assert body["population"] > 500_000  # Bradford's census line, not a default
    page = partner.get("/").text
    assert f"£{expected:,.2f}" in page


def test_drill_down_rows_add_up_to_the_figure(place):
    workspace, app, passwords = place
    partner = signed_in(app, "partner", passwords["partner"])
    themes = partner.get("/api/breakdown/theme", params={"year": "2018-19"}).json()["table"]["rows"]
    biggest = themes[0]
    trace = partner.get("/api/trace", params={"by": "theme", "key": biggest["theme"], "year": "2018-19",
                                              "limit": 100000}).json()
    rows = trace["table"]["rows"]
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal(biggest["amount"])
    assert len(rows) == biggest["lines"]
    first = rows[0]  # the row is really in that file at that row number
    assert first["file"].startswith("agencies/") and first["row"] >= 1
    page = partner.get("/trace", params={"by": "theme", "key": biggest["theme"], "year": "2018-19"}).text
    assert first["file"] in page


def test_csv_download_matches_the_api(place):
    _, app, passwords = place
    partner = signed_in(app, "partner", passwords["partner"])
    api = partner.get("/api/breakdown/agency", params={"year": "2018-19"}).json()["table"]["rows"]
    response = partner.get("/breakdown/agency.csv", params={"year": "2018-19"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["agency"], r["amount"]) for r in rows] == [(r["agency"], r["amount"]) for r in api]


def test_breakdown_filtered_to_an_agency_holds_only_its_lines(place):
    _, app, passwords = place
    partner = signed_in(app, "partner", passwords["partner"])
    body = partner.get("/api/breakdown/supplier", params={"year": "2018-19", "agency": POLICE}).json()
    suppliers = {r["supplier"]: Decimal(r["amount"]) for r in body["table"]["rows"]}
    assert Decimal(body["total"]) == POLICE_LOADED_MONEY
    assert suppliers["FUEL CARDS LTD"] == sum((Decimal(f"{100 + d}.50") for d in range(1, 8)), Decimal(0))


def test_data_page_shows_the_rejected_row_with_its_reason(place):
    _, app, passwords = place
    partner = signed_in(app, "partner", passwords["partner"])
    rejected = partner.get("/api/data/rejected").json()["rows"]
    police = [r for r in rejected if r["file"].startswith(f"agencies/{POLICE}/")]
    assert len(police) == 1 and "twelve pounds" in police[0]["raw text"]
    assert "not an amount" in police[0]["reason"]
    files = partner.get("/api/data/files").json()["rows"]
    for f in files:  # read = loaded + rejected, rows and money
        assert f["rows read"] == f["rows loaded"] + f["rows rejected"]
        assert Decimal(f["money read"]) == Decimal(f["money loaded"]) + Decimal(f["money rejected"])


def test_passwords_and_tokens_are_kept_only_as_hashes(place):
    _, app, passwords = place
    with app.state.db.session() as session:
        stored = session.scalars(select(User).where(User.username == "partner")).one().password_hash
    assert stored.startswith("$argon2") and passwords["partner"] not in stored
    partner = signed_in(app, "partner", passwords["partner"])
    page = partner.get("/account/token").text
    token_page = partner.post("/account/token", data={"csrf": csrf_of(page)}).text
    token = token_page.split('id="api-token" class="tp-token">')[1].split("<")[0]
    with app.state.db.session() as session:
        hashes = list(session.scalars(select(ApiToken.token_hash)))
    assert token not in hashes and len(hashes) >= 1
    anonymous = TestClient(app)
    assert anonymous.get("/api/overview").status_code == 401
    assert anonymous.get("/api/overview", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert anonymous.get("/api/overview", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_upload_preview_changes_nothing_and_confirm_loads_like_ingest(fresh_place):
    workspace, app, passwords = fresh_place
    analyst = signed_in(app, f"analyst-{POLICE}", passwords[f"analyst-{POLICE}"])
    files_before = store_sql(workspace, "SELECT count(*) FROM source_file")[0][0]
    form = analyst.get("/upload").text
    preview = analyst.post("/upload", data={"csrf": csrf_of(form)},
                           files={"file": ("2018-06.csv", police_csv("06").encode(), "text/csv")})
    assert preview.status_code == 200, preview.text
    assert 'id="rows-loaded">12<' in preview.text and 'id="rows-rejected">1<' in preview.text
    assert "twelve pounds" in preview.text  # the rejected row, with its text
    assert store_sql(workspace, "SELECT count(*) FROM source_file")[0][0] == files_before
    assert not (workspace.agency_dir(POLICE) / "2018-06.csv").exists()
    upload_id = preview.text.split('name="upload_id" value="')[1].split('"')[0]
    done = analyst.post("/upload/confirm", data={"csrf": csrf_of(preview.text), "upload_id": upload_id})
    assert done.status_code == 200, done.text
    assert (workspace.agency_dir(POLICE) / "2018-06.csv").read_text() == police_csv("06")
    loaded = store_sql(workspace, "SELECT rows_loaded, rows_rejected, money_loaded FROM source_file "
                                  "WHERE path = ?", [f"agencies/{POLICE}/2018-06.csv"])
    assert loaded == [(12, 1, POLICE_LOADED_MONEY)]
    with app.state.db.session() as session:
        events = [(e.username, e.action) for e in session.scalars(select(AuditEvent))]
    assert (f"analyst-{POLICE}", "upload") in events
    # The figures follow the upload at once (the cache is dropped).
    body = signed_in(app, "partner", passwords["partner"]).get(
        "/api/breakdown/agency", params={"year": "2018-19"}).json()
    police = next(r for r in body["table"]["rows"] if r["agency"] == POLICE)
    assert Decimal(police["amount"]) == 2 * POLICE_LOADED_MONEY


def test_a_bad_file_gets_a_clear_message_and_leaves_nothing(place):
    workspace, app, passwords = place
    analyst = signed_in(app, f"analyst-{POLICE}", passwords[f"analyst-{POLICE}"])
    before = sorted(p.name for p in workspace.agency_dir(POLICE).iterdir())
    form = analyst.get("/upload").text
    response = analyst.post("/upload", data={"csrf": csrf_of(form)},
                            files={"file": ("notes.csv", b"colour,shape\nred,round\n", "text/csv")})
    assert response.status_code == 400
    assert "cannot find the" in response.text and "notes.csv" in response.text
    assert sorted(p.name for p in workspace.agency_dir(POLICE).iterdir()) == before
    staging = app.state.staging.root
    assert list(staging.iterdir()) == []


def test_published_breakdown_suppresses_small_groups_for_the_public(fresh_place):
    _, app, passwords = fresh_place
    admin = signed_in(app, "admin", passwords["admin"])
    form = admin.get("/admin/publish").text
    response = admin.post("/admin/publish", data={"csrf": csrf_of(form), "dimension": "supplier",
                                                  "fiscal_year": "2018-19", "action": "publish"})
    assert response.status_code == 200
    public = TestClient(app)
    rows = public.get("/api/breakdown/supplier", params={"year": "2018-19"}).json()["table"]["rows"]
    fuel = [r for r in rows if r["supplier"] == "FUEL CARDS LTD"]
    assert fuel and fuel[0]["lines"] == 7 and fuel[0]["amount"] is not None
    assert not any(r["supplier"].startswith("DOCTOR") for r in rows)  # paid once each: not named
    assert all(r["amount"] is None for r in rows if r["supplier"] == "(suppressed)")
    with app.state.db.session() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "publish")).first()
