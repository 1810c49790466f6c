"""Users, roles, publications and the audit log on a real PostgreSQL server.

With TOTALPLACE_TEST_PG_URL set (see scripts/postgres-for-tests.sh) the tests use
that server; without it they start a throwaway one themselves. They never skip:
if no server can be started, they fail and say why.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from support.web import csrf_of, make_app, signed_in
from totalplace.web.auth import check_password, create_user
from totalplace.web.db import AuditEvent, Base, Database, Publication, Role, User

pytestmark = pytest.mark.postgres

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres-for-tests.sh"


@pytest.fixture(scope="module")
def pg_url():
    given = os.environ.get("TOTALPLACE_TEST_PG_URL")
    if given:
        yield given
        return
    started = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True)
    assert started.returncode == 0, f"could not start PostgreSQL for the tests: {started.stderr}"
    exports = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines())
    try:
        yield exports["TOTALPLACE_TEST_PG_URL"].strip("'")
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", exports["TOTALPLACE_TEST_PG_DIR"].strip("'")], check=False)


@pytest.fixture()
def db(pg_url):
    database = Database(pg_url)
    assert database.engine.dialect.name == "postgresql"
    Base.metadata.drop_all(database.engine)
    Base.metadata.create_all(database.engine)
    yield database
    database.close()


def test_users_and_roles_round_trip_with_argon2(db):
    with db.session() as session:
        create_user(session, "admin", "ana", Role.analyst, "bradford-council", "correct horse")
    with db.session() as session:
        user = check_password(session, "ana", "correct horse")
        assert user is not None and user.role == "analyst" and user.agency_id == "bradford-council"
        assert check_password(session, "ana", "wrong horse") is None
        assert check_password(session, "nobody", "correct horse") is None
        (event,) = session.scalars(select(AuditEvent)).all()
        assert (event.username, event.action) == ("admin", "user created") and "ana" in event.detail


def test_a_failed_change_leaves_neither_the_user_nor_its_audit_event(db):
    with pytest.raises(RuntimeError):
        with db.session() as session:
            create_user(session, "admin", "bob", Role.partner, None, "pw")
            raise RuntimeError("something failed after the insert")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_breakdown_is_published_once(db):
    with db.session() as session:
        session.add(Publication(dimension="theme", fiscal_year="2018-19", published_by="admin"))
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        with db.session() as session:
            session.add(Publication(dimension="theme", fiscal_year="2018-19", published_by="admin"))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == 1


def test_the_web_app_runs_on_postgresql(db, pg_url, tmp_path, web_workspace):
    Base.metadata.drop_all(db.engine)  # the app makes its own tables
    workspace = web_workspace(tmp_path / "bradford")
    app, passwords = make_app(workspace, pg_url)
    with TestClient(app):
        admin = signed_in(app, "admin", passwords["admin"])
        form = admin.get("/admin/publish").text
        admin.post("/admin/publish", data={"csrf": csrf_of(form), "dimension": "agency",
                                           "fiscal_year": "2018-19", "action": "publish"})
        assert TestClient(app).get("/api/breakdown/agency", params={"year": "2018-19"}).status_code == 200
        log = admin.get("/admin/audit").text
        assert "publish" in log and "spending by agency, 2018-19" in log
    with db.session() as session:
        assert {u.username for u in session.scalars(select(User))} >= {"admin", "partner", "public"}
