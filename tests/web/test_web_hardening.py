"""Issue 20: each promise a data-sharing partnership relies on, with a test that failed on the code before.

Suppression that holds, sessions that end, sign-in that resists guessing, uploads
that cannot hurt the service, finished edges and pages that read clearly.
"""

from __future__ import annotations

import gzip
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from support.web import POLICE, csrf_of, police_csv
from totalplace.web.db import ApiToken, AuditEvent, Publication

COUNCIL = "bradford-council"


def client_of(app, address: str = "testclient") -> TestClient:
    # A 500 comes back as a response (as a browser sees it), not as an exception in the test.
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False, client=(address, 50000))


def sign_in(app, username: str, password: str) -> TestClient:
    client = client_of(app)
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf": csrf_of(client.get("/login").text)})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture()
def place(tmp_path, web_workspace, web_app):
    workspace = web_workspace(tmp_path / "bradford")
    app, passwords = web_app(workspace, tmp_path / "web.sqlite", max_upload_mb=2, max_inflated_mb=4)
    with TestClient(app):
        yield workspace, app, passwords


def publish(app, dimension: str, year: str = "2018-19") -> None:
    with app.state.db.session() as session:
        session.add(Publication(dimension=dimension, fiscal_year=year, published_by="test"))


# --- Suppression that holds -------------------------------------------------------------------------

def test_suppressed_groups_are_merged_into_one_row_whose_place_reveals_nothing(place):
    _, app, _ = place
    publish(app, "supplier")
    body = client_of(app).get("/api/breakdown/supplier", params={"year": "2018-19"}).json()
    rows = body["table"]["rows"]
    others = [r for r in rows if r["supplier"].startswith("other (")]
    assert len(others) == 1 and rows[-1] is not None and rows[-1]["supplier"] == others[0]["supplier"]
    shown = [r for r in rows[:-1]]
    assert all(r["amount"] is not None and r["lines"] >= 5 for r in shown)  # no hidden row among them
    amounts = [Decimal(r["amount"]) for r in shown]
    assert amounts == sorted(amounts, reverse=True)
    n = int(others[0]["supplier"].split("(")[1].split()[0].replace(",", ""))
    assert n >= 5  # the five doctors paid once each are among them, unnamed
    assert not any("DOCTOR" in r["supplier"] for r in rows)


def test_an_analyst_sees_another_agencys_small_groups_suppressed(place):
    _, app, passwords = place
    analyst = sign_in(app, f"analyst-{COUNCIL}", passwords[f"analyst-{COUNCIL}"])
    body = analyst.get("/api/breakdown/supplier", params={"year": "2018-19", "agency": POLICE}).json()
    rows = body["table"]["rows"]
    assert not any("DOCTOR" in r["supplier"] for r in rows)
    assert all(r["lines"] is None or r["lines"] >= 5 for r in rows)
    assert "DOCTOR 8" not in analyst.get("/breakdown/supplier", params={"year": "2018-19", "agency": POLICE}).text
    # Their own agency's rows they see in full; a partner sees every agency's.
    partner = sign_in(app, "partner", passwords["partner"])
    partner_rows = partner.get("/api/breakdown/supplier", params={"year": "2018-19", "agency": POLICE}).json()
    assert any(r["supplier"] == "DOCTOR 8" for r in partner_rows["table"]["rows"])


@pytest.fixture()
def strict_place(tmp_path, web_workspace, web_app):
    """The same place with the one threshold at 6: the five doctors' 5 payments are too few even together."""
    workspace = web_workspace(tmp_path / "bradford")
    text = workspace.config_path.read_text()
    workspace.config_path.write_text(text + "\n[privacy]\nsuppress_below = 6\n")
    from totalplace.workspace import open_workspace
    app, passwords = web_app(open_workspace(workspace.root), tmp_path / "web.sqlite")
    with TestClient(app):
        yield app, passwords


def test_a_total_that_would_give_away_a_suppressed_figure_is_suppressed_too(strict_place):
    app, passwords = strict_place
    analyst = sign_in(app, f"analyst-{COUNCIL}", passwords[f"analyst-{COUNCIL}"])
    body = analyst.get("/api/breakdown/supplier", params={"year": "2018-19", "agency": POLICE}).json()
    other = body["table"]["rows"][-1]
    assert other["supplier"].startswith("other (") and other["amount"] is None and other["lines"] is None
    # Total minus the visible rows would be the hidden amount: the total goes too, and with it the shares.
    assert body["total"] is None and body["per_head"] is None
    assert all(r["share"] is None for r in body["table"]["rows"])
    page = analyst.get("/breakdown/supplier", params={"year": "2018-19", "agency": POLICE}).text
    assert "6,090.00" not in page.replace("£", "")  # the police total (5,000... + fuel) is not shown


# --- Sessions that end ------------------------------------------------------------------------------

def _copy(client: TestClient, app) -> TestClient:
    copy = client_of(app)
    copy.cookies.update(client.cookies)
    return copy


def test_a_cookie_copied_before_sign_out_no_longer_works(place):
    _, app, passwords = place
    partner = sign_in(app, "partner", passwords["partner"])
    stolen = _copy(partner, app)
    assert stolen.get("/api/overview").status_code == 200
    partner.post("/logout", data={"csrf": csrf_of(partner.get("/account/token").text)})
    assert stolen.get("/api/overview").status_code == 401


def test_a_password_reset_or_change_ends_every_session(place):
    _, app, passwords = place
    partner = sign_in(app, "partner", passwords["partner"])
    stolen = _copy(partner, app)
    admin = sign_in(app, "admin", passwords["admin"])
    with app.state.db.session() as session:
        from totalplace.web.db import User
        partner_id = session.scalars(select(User.id).where(User.username == "partner")).one()
    admin.post(f"/admin/users/{partner_id}", data={"csrf": csrf_of(admin.get("/admin/users").text),
                                                    "action": "reset"})
    assert stolen.get("/api/overview").status_code == 401
    assert partner.get("/api/overview").status_code == 401
    # A user changing their own password ends their other sessions and keeps this one.
    analyst_name = f"analyst-{COUNCIL}"
    analyst = sign_in(app, analyst_name, passwords[analyst_name])
    other = sign_in(app, analyst_name, passwords[analyst_name])
    form = analyst.get("/account/password").text
    changed = analyst.post("/account/password", data={"csrf": csrf_of(form), "current": passwords[analyst_name],
                                                      "new": "a-new-long-password-42", "confirm": "a-new-long-password-42"})
    assert changed.status_code == 200, changed.text
    assert analyst.get("/api/data/files").status_code == 200
    assert other.get("/api/data/files").status_code == 401
    sign_in(app, analyst_name, "a-new-long-password-42")


def _issue_token(client: TestClient, replace: bool = False) -> str:
    form = client.get("/account/token").text
    data = {"csrf": csrf_of(form)} | ({"replace": "yes"} if replace else {})
    page = client.post("/account/token", data=data).text
    return page.split('id="api-token" class="tp-token">')[1].split("<")[0]


def test_api_tokens_expire_are_listed_revocable_and_replaceable(place):
    _, app, passwords = place
    partner = sign_in(app, "partner", passwords["partner"])
    first = _issue_token(partner)
    second = _issue_token(partner)
    bearer = client_of(app)
    for token in (first, second):
        assert bearer.get("/api/overview", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = partner.get("/account/token").text
    assert listing.count('tp-token-row') == 2 and "expires" in listing.lower()
    third = _issue_token(partner, replace=True)  # issuing with "replace" revokes the others
    assert bearer.get("/api/overview", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert bearer.get("/api/overview", headers={"Authorization": f"Bearer {third}"}).status_code == 200
    with app.state.db.session() as session:
        session.execute(update(ApiToken).values(expires_at=datetime.now() - timedelta(minutes=1)))
    assert bearer.get("/api/overview", headers={"Authorization": f"Bearer {third}"}).status_code == 401
    fourth = _issue_token(partner)
    token_id = partner.get("/account/token").text.split('name="token_id" value="')[1].split('"')[0]
    partner.post("/account/token/revoke", data={"csrf": csrf_of(partner.get("/account/token").text),
                                                "token_id": token_id})
    assert bearer.get("/api/overview", headers={"Authorization": f"Bearer {fourth}"}).status_code == 401


# --- Sign-in that resists guessing ------------------------------------------------------------------

def _try(client: TestClient, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf": csrf_of(client.get("/login").text)})


def test_wrong_passwords_meet_a_growing_delay_then_a_lockout_an_admin_can_lift(place):
    _, app, passwords = place
    guesser = client_of(app, "203.0.113.9")
    answers = [_try(guesser, "partner", f"guess-{n}") for n in range(40)]
    refused = [a for a in answers if a.status_code == 429]
    assert refused, [a.status_code for a in answers]
    waits = [int(a.headers["retry-after"]) for a in refused]
    assert max(waits) > min(waits) and max(waits) >= 60  # a growing delay, then a lockout of minutes
    assert _try(client_of(app), "partner", passwords["partner"]).status_code == 429  # locked, even when right
    with app.state.db.session() as session:
        events = [(e.action, e.username) for e in session.scalars(select(AuditEvent))]
    assert ("sign-in failed", "partner") in events
    admin = sign_in(app, "admin", passwords["admin"])
    assert ("signed in", "admin") in [(e.action, e.username) for e in _events(app)]
    page = admin.get("/admin/sign-ins").text
    assert "partner" in page
    lift = admin.post("/admin/sign-ins", data={"csrf": csrf_of(page), "key": "account:partner"})
    assert lift.status_code == 200
    assert _try(client_of(app), "partner", passwords["partner"]).status_code == 303


def test_many_accounts_tried_from_one_address_are_limited_by_address(place):
    _, app, _ = place
    guesser = client_of(app)
    answers = [_try(guesser, f"user{n}", "password").status_code for n in range(40)]
    assert 429 in answers


def _events(app):
    with app.state.db.session() as session:
        return list(session.scalars(select(AuditEvent)))


# --- Uploads that cannot hurt the service -----------------------------------------------------------

def _upload(client: TestClient, name: str, content: bytes):
    return client.post("/upload", data={"csrf": csrf_of(client.get("/upload").text)},
                       files={"file": (name, content, "application/octet-stream")})


def _staged(app) -> list:
    staging = getattr(app.state, "staging", None)
    return [] if staging is None else list(staging.root.rglob("*"))


def test_a_gzip_that_inflates_past_the_limit_is_refused_while_streaming(place):
    _, app, passwords = place
    analyst = sign_in(app, f"analyst-{POLICE}", passwords[f"analyst-{POLICE}"])
    bomb = gzip.compress(police_csv().encode() + b"0" * (5 * 1024 * 1024))  # a few KB that inflate to 5 MB
    assert len(bomb) < 100_000
    response = _upload(analyst, "2018-07.csv.gz", bomb)
    assert response.status_code == 413, response.text
    assert "4 MB" in response.text and "uncompressed" in response.text
    assert _staged(app) == []


def test_a_binary_file_named_csv_gets_a_reason_and_leaves_nothing(place):
    workspace, app, passwords = place
    analyst = sign_in(app, f"analyst-{POLICE}", passwords[f"analyst-{POLICE}"])
    response = _upload(analyst, "2018-07.csv", bytes(range(256)) * 64)
    assert response.status_code == 400, response.text
    assert "not a text file" in response.text and "2018-07.csv" in response.text
    assert str(workspace.root) not in response.text and "/tmp" not in response.text
    assert _staged(app) == []


def test_a_preview_changes_no_cached_page_and_blocks_no_one(place, monkeypatch):
    _, app, passwords = place
    store = app.state.store
    partner = sign_in(app, "partner", passwords["partner"])
    assert partner.get("/breakdown/theme").status_code == 200
    generation = store.generation
    analyst = sign_in(app, f"analyst-{POLICE}", passwords[f"analyst-{POLICE}"])
    assert _upload(analyst, "2018-08.csv", police_csv("08").encode()).status_code == 200
    assert store.generation == generation  # the published pages' caches are kept

    from totalplace.count import coverage
    release, order = threading.Event(), []
    real = coverage.load_file

    def slow_load_file(*args, **kwargs):
        release.wait(20)
        return real(*args, **kwargs)
    monkeypatch.setattr(coverage, "load_file", slow_load_file)
    previewing = threading.Thread(target=lambda: order.append(
        ("preview", _upload(analyst, "2018-10.csv", police_csv("10").encode()).status_code)))
    previewing.start()
    time.sleep(0.5)
    threading.Timer(8, release.set).start()
    # A figure not cached yet needs the store: it is answered while the preview is still parsing.
    answer = partner.get("/api/trace", params={"by": "agency", "key": POLICE, "year": "2018-19"})
    order.append(("page", answer.status_code))
    release.set()
    previewing.join(30)
    assert order[0] == ("page", 200) and order[1] == ("preview", 200)


# --- Finished edges ---------------------------------------------------------------------------------

def test_anonymous_users_are_sent_to_sign_in_from_account_pages(place):
    _, app, _ = place
    anonymous = client_of(app)
    for path in ("/account/token", "/account/password"):
        response = anonymous.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    posted = anonymous.post("/account/token", data={"csrf": "x"})
    assert posted.status_code in (303, 401, 403) and posted.status_code < 500


def test_api_docs_load_nothing_from_elsewhere(place):
    _, app, _ = place
    anonymous = client_of(app)
    docs = anonymous.get("/api/docs")
    assert docs.status_code == 404 or "cdn." not in docs.text.lower() and "https://" not in docs.text
    assert anonymous.get("/openapi.json").status_code == 200
    assert "https://cdn" not in anonymous.get("/").text


def test_errors_are_pages_for_people_and_json_for_the_api_without_server_paths(place):
    workspace, app, passwords = place
    anonymous = client_of(app)
    html = {"accept": "text/html"}
    missing = anonymous.get("/no-such-page", headers=html)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Page not found" in missing.text and 'class="govuk-header' in missing.text or "govuk-" in missing.text
    assert anonymous.get("/api/no-such-thing").headers["content-type"].startswith("application/json")
    too_big = anonymous.post("/upload", content=b"x" * (3 * 1024 * 1024), headers={**html, "content-type": "text/csv"})
    assert too_big.status_code == 413 and too_big.headers["content-type"].startswith("text/html")
    assert "2 MB" in too_big.text
    assert anonymous.post("/upload", content=b"x" * (3 * 1024 * 1024)).headers["content-type"].startswith(
        "application/json")
    partner = sign_in(app, "partner", passwords["partner"])
    bad = partner.get("/breakdown/theme", params={"agency": "no-such-agency"}, headers=html)
    assert 400 <= bad.status_code < 500 and str(workspace.root) not in bad.text
    invalid = partner.get("/breakdown/theme", params={"year": "last year"}, headers=html)
    assert invalid.status_code == 422 and invalid.headers["content-type"].startswith("text/html")
    assert "query.year" not in invalid.text and "should match" not in invalid.text
    assert "Fiscal year" in invalid.text


def test_every_response_has_the_security_headers_and_rows_are_not_cached(place, monkeypatch):
    _, app, passwords = place
    partner = sign_in(app, "partner", passwords["partner"])
    from totalplace.web import figures

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(figures, "data_state", broken)
    failed = partner.get("/data", headers={"accept": "text/html"})
    assert failed.status_code == 500
    assert "RuntimeError" not in failed.text and "a bug" not in failed.text
    for response in (failed, partner.get("/no-such-page"), partner.get("/"),
                     partner.get("/breakdown/supplier.csv"), partner.get("/api/trace", params={"by": "theme",
                                                                                              "key": "x"})):
        assert "default-src 'self'" in response.headers.get("content-security-policy", ""), response.url
        assert response.headers.get("x-content-type-options") == "nosniff"
    for path in ("/", "/breakdown/supplier.csv", "/trace.csv?by=theme&key=x", "/api/trace?by=theme&key=x",
                 "/data"):
        if path == "/data":
            monkeypatch.undo()
        assert "no-store" in partner.get(path).headers.get("cache-control", ""), path


# --- Clear to read ----------------------------------------------------------------------------------

def test_the_public_is_offered_no_link_it_cannot_open(place):
    _, app, _ = place
    publish(app, "agency")
    anonymous = client_of(app)
    home = anonymous.get("/").text
    import re
    links = {href for href in re.findall(r'href="(/[^"#]*)"', home) if not href.startswith(("/static", "/assets"))}
    assert links, home
    for href in links:
        status = anonymous.get(href.replace("&amp;", "&")).status_code
        assert status < 400 or href.startswith("/login"), (href, status)
    assert "Spending by agency" in home and "£" in home  # what is published, with its figure


def test_pages_show_names_pounds_and_right_plurals(place):
    _, app, passwords = place
    partner = sign_in(app, "partner", passwords["partner"])
    agencies = partner.get("/breakdown/agency", params={"year": "2018-19"}).text
    assert "West Yorkshire Police" in agencies and "£" in agencies.split("<tbody")[1]
    cofog = partner.get("/breakdown/cofog", params={"year": "2018-19"}).text
    assert ">cofog<" not in cofog
    one = partner.get("/trace", params={"by": "supplier", "key": "DOCTOR 8", "year": "2018-19"}).text
    assert "1 row," in one or "1 row " in one
    assert "1 rows" not in one
    # The CSV and the API keep the codes, in columns of their own.
    api = partner.get("/api/breakdown/agency", params={"year": "2018-19"}).json()["table"]["rows"]
    assert {r["agency"] for r in api} >= {POLICE, COUNCIL}
