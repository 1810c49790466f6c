"""Each protection of the web app, proven by a test that fails if it is taken away."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from support.web import POLICE, csrf_of, police_csv, signed_in
from totalplace.web.db import Publication

COUNCIL = "bradford-council"


@pytest.fixture(scope="module")
def place(tmp_path_factory, web_workspace, web_app):
    root = tmp_path_factory.mktemp("websec")
    workspace = web_workspace(root / "bradford")
    app, passwords = web_app(workspace, root / "web.sqlite", max_upload_mb=10)
    with TestClient(app):
        yield workspace, app, passwords


def test_analyst_cannot_see_another_agencys_rows_by_url_or_api(place):
    _, app, passwords = place
    partner = signed_in(app, "partner", passwords["partner"])
    analyst = signed_in(app, f"analyst-{COUNCIL}", passwords[f"analyst-{COUNCIL}"])
    params = {"by": "agency", "key": POLICE, "year": "2018-19"}
    # The police rows exist (the partner sees them), so an empty answer means they were withheld.
    assert partner.get("/api/trace", params=params).json()["rows"] == 12
    assert analyst.get("/api/trace", params=params).json()["rows"] == 0
    assert "FUEL CARDS" not in analyst.get("/trace", params=params).text
    assert "FUEL CARDS" not in analyst.get("/trace.csv", params=params).text
    # A figure both agencies share: the analyst gets only their own agency's rows of it.
    theme_rows = analyst.get("/api/trace", params={"by": "supplier", "key": "FUEL CARDS LTD"}).json()
    assert theme_rows["rows"] == 0
    rejected = analyst.get("/api/data/rejected").json()["rows"]
    assert not any(r["file"].startswith(f"agencies/{POLICE}/") for r in rejected)
    assert any(r["file"].startswith(f"agencies/{POLICE}/")
               for r in partner.get("/api/data/rejected").json()["rows"])
    files = analyst.get("/api/data/files").json()["rows"]
    assert files and {f["agency"] for f in files} == {COUNCIL}
    # Bearer tokens carry the same limits.
    page = analyst.get("/account/token").text
    token = analyst.post("/account/token", data={"csrf": csrf_of(page)}).text.split(
        'id="api-token" class="tp-token">')[1].split("<")[0]
    by_token = TestClient(app).get("/api/trace", params=params, headers={"Authorization": f"Bearer {token}"})
    assert by_token.status_code == 200 and by_token.json()["rows"] == 0


def test_public_cannot_see_unpublished_figures(place):
    _, app, passwords = place
    anonymous = TestClient(app)
    public_user = signed_in(app, "public", passwords["public"])
    for client, refused in ((anonymous, 401), (public_user, 403)):
        assert client.get("/api/breakdown/theme", params={"year": "2018-19"}).status_code == refused
        assert client.get("/breakdown/theme", params={"year": "2018-19"}).status_code == refused
        assert client.get("/breakdown/theme.csv", params={"year": "2018-19"}).status_code == refused
        assert client.get("/api/overview").status_code == refused
        assert client.get("/api/trace", params={"by": "theme", "key": "Education"}).status_code == refused
        assert client.get("/api/data/files").status_code == refused
        assert "£" not in client.get("/").text  # the public front page lists what is published: nothing
    with app.state.db.session() as session:
        session.add(Publication(dimension="agency", fiscal_year="2018-19", published_by="test"))
    assert anonymous.get("/api/breakdown/agency", params={"year": "2018-19"}).status_code == 200
    # Publishing one breakdown publishes nothing else: not another year, dimension or agency filter.
    assert anonymous.get("/api/breakdown/agency", params={"year": "all"}).status_code == 401
    assert anonymous.get("/api/breakdown/theme", params={"year": "2018-19"}).status_code == 401
    assert anonymous.get("/api/breakdown/agency", params={"year": "2018-19", "agency": POLICE}).status_code == 401


@pytest.mark.parametrize("name", ["../../totalplace.toml.csv", "..\\..\\evil.csv", "/etc/passwd.csv",
                                  "sub/dir.csv", "..", ".hidden.csv", "report.exe", "a\x00b.csv"])
def test_path_traversal_in_upload_names_is_refused(place, name):
    workspace, app, passwords = place
    admin = signed_in(app, "admin", passwords["admin"])
    config = workspace.config_path.read_text()
    before = sorted(str(p) for p in workspace.root.rglob("*") if "store" not in p.parts and "state" not in p.parts)
    form = admin.get("/upload").text
    response = admin.post("/upload", data={"csrf": csrf_of(form), "agency": POLICE},
                          files={"file": (name, police_csv("07").encode(), "text/csv")})
    assert response.status_code in (400, 422), response.text
    assert workspace.config_path.read_text() == config
    after = sorted(str(p) for p in workspace.root.rglob("*") if "store" not in p.parts and "state" not in p.parts)
    assert after == before


@pytest.mark.parametrize("key", ["' OR '1'='1", "x' OR 1=1 --", "Education'; DROP TABLE spend_line; --"])
def test_filter_values_cannot_inject_sql(place, key):
    workspace, app, passwords = place
    partner = signed_in(app, "partner", passwords["partner"])
    response = partner.get("/api/trace", params={"by": "theme", "key": key, "year": "2018-19"})
    assert response.status_code == 200
    assert response.json()["rows"] == 0  # a value is compared as text, never run as SQL
    assert partner.get("/api/breakdown/theme", params={"year": "2018-19"}).json()["lines"] > 0


@pytest.mark.parametrize("path, params", [
    ("/api/breakdown/theme%20UNION%20SELECT%201", {}),
    ("/api/breakdown/theme", {"year": "2018-19' OR '1'='1"}),
    ("/api/breakdown/theme", {"agency": "x' OR '1'='1"}),
    ("/api/trace", {"by": "s.amount", "key": "1"}),
    ("/api/trace", {"by": "(SELECT 1)", "key": "1"}),
])
def test_dimensions_and_parameters_are_whitelisted(place, path, params):
    _, app, passwords = place
    partner = signed_in(app, "partner", passwords["partner"])
    assert partner.get(path, params=params).status_code == 422


def test_a_form_without_its_csrf_token_is_refused(place):
    _, app, passwords = place
    admin = signed_in(app, "admin", passwords["admin"])
    form = {"dimension": "theme", "fiscal_year": "2018-19", "action": "publish"}
    assert admin.post("/admin/publish", data=form).status_code == 403
    assert admin.post("/admin/publish", data={**form, "csrf": "forged"}).status_code == 403
    with app.state.db.session() as session:
        assert session.scalars(select(Publication).where(Publication.dimension == "theme")).first() is None
    assert admin.post("/admin/users", data={"username": "mallory", "role": "administrator"}).status_code == 403
    assert "mallory" not in admin.get("/admin/users").text
    fresh = TestClient(app)
    assert fresh.post("/login", data={"username": "admin", "password": passwords["admin"]}).status_code == 403


def test_a_50_mb_garbage_upload_is_refused_cleanly(place):
    workspace, app, passwords = place
    admin = signed_in(app, "admin", passwords["admin"])
    form = admin.get("/upload").text
    garbage = bytes(range(256)) * (50 * 1024 * 4)  # 50 MB
    before = sorted(p.name for p in workspace.agency_dir(POLICE).iterdir())
    response = admin.post("/upload", data={"csrf": csrf_of(form), "agency": POLICE},
                          files={"file": ("2018-08.csv", garbage, "text/csv")})
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]
    # Sent without a length (chunked), it is cut off as it arrives.
    chunks = (garbage[i:i + 1024 * 1024] for i in range(0, len(garbage), 1024 * 1024))
    chunked = admin.post("/upload", content=chunks,
                         headers={"content-type": "multipart/form-data; boundary=x"})
    assert chunked.status_code == 413
    assert sorted(p.name for p in workspace.agency_dir(POLICE).iterdir()) == before
    staging = getattr(app.state, "staging", None)
    assert staging is None or list(staging.root.iterdir()) == []
    assert admin.get("/api/overview").status_code == 200  # the app carries on
