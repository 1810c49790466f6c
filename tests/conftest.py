"""Shared fixtures: the real shipped data, and small workspaces built in tmp folders."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest

import support.properties  # noqa: F401  (the fast lane's Hypothesis profile, known before pytest loads it)
from support.data import BRADFORD, CRA_DIR, LEEDS, SHARED_DATA, SPEND
from support.web import WEB_PLACE, agency_ids, close_app, make_app, open_app
from support.workspaces import build_workspace, seed_cra_cache
from totalplace.ingest.load import ingest
from totalplace.store.connection import connect
from totalplace.workspace import Workspace, open_workspace


def pytest_sessionstart(session) -> None:
    """Without the real data most tests would fail one by one for the same reason: say it once."""
    if not (SPEND / "leeds").is_dir() or not CRA_DIR.is_dir():
        pytest.exit(f"the real test data is not at {SHARED_DATA}: put the project beside shared/ "
                    "or set TOTALPLACE_SHARED_DATA", returncode=3)


@pytest.fixture(scope="session")
def cra_cache(tmp_path_factory, worker_id) -> Path:
    """One CRA cache for the whole run, shared by the xdist workers (their temp folders' parent): each
    release workbook is read once a run, not once a workspace (seed_cra_cache takes a lock to fill it)."""
    basetemp = tmp_path_factory.getbasetemp()
    return (basetemp if worker_id == "master" else basetemp.parent) / "cra-cache"


@pytest.fixture(scope="session")
def make_workspace(tmp_path_factory, cra_cache):
    """The workspace factory: `make_workspace(name, areas, agencies=..., files=..., load=...)` builds one in a
    fresh temp folder (see support.workspaces.build_workspace). Session-scoped, so module- and
    session-scoped fixtures can build their place once with it as well as single tests.
    `cra_read=[workbooks]` (or True for the releases the workspace ships with) puts those workbooks,
    read once a run, in the workspace's CRA cache, for fixtures that load the CRA but do not test reading it."""
    def make(name: str = "Bradford", areas=(BRADFORD,), cra_read: bool | Iterable[Path] = False, **parts):
        workspace = build_workspace(tmp_path_factory.mktemp("ws") / name.lower().replace(" ", "-"), name, areas,
                                    **parts)
        if cra_read:
            seed_cra_cache(workspace, cra_cache, None if cra_read is True else list(cra_read))
        return workspace
    return make


@pytest.fixture(scope="session")
def real_place(make_workspace):
    """One workspace holding every shipped Leeds and Bradford payment file, loaded."""
    files = {f"agencies/{council}/{path.name}": path
             for council, folder in (("leeds-council", "leeds"), ("bradford-council", "bradford"))
             for path in sorted((SPEND / folder).glob("*.csv"))}
    workspace = make_workspace("Leeds and Bradford", [LEEDS, BRADFORD], files=files)
    return workspace, ingest(workspace)


@pytest.fixture()
def real_con(real_place):
    workspace, _ = real_place
    con = connect(workspace, read_only=True)
    yield con
    con.close()


@pytest.fixture()
def small_place(make_workspace):
    """An empty Bradford workspace in a temp folder."""
    return make_workspace()


@pytest.fixture(scope="session")
def web_workspace(make_workspace):
    """`web_workspace(root)`: the web tests' place (support.web.WEB_PLACE) copied to root, a test's own to change.
    It is built and loaded once a worker; a copy costs milliseconds where a build and load cost half a second."""
    template = make_workspace(**WEB_PLACE)

    def copy(root: Path) -> Workspace:
        shutil.copytree(template.root, root)
        return open_workspace(root)
    return copy


@pytest.fixture(scope="session")
def web_app(tmp_path_factory):
    """`web_app(workspace, db_path, **settings)` -> (app, passwords), as support.web.make_app gives on a new
    SQLite database at db_path. The sample users' argon2 hashes (a fifth of a second of CPU each, by design) are
    made once a worker for each set of agencies; later apps start on a copy of that user database."""
    users: dict[tuple[str, ...], tuple[Path, dict[str, str]]] = {}

    def make(workspace: Workspace, db_path: Path, **settings):
        agencies = agency_ids(workspace)
        if agencies not in users:
            template = tmp_path_factory.mktemp("web-users") / "web.sqlite"
            app, passwords = make_app(workspace, f"sqlite:///{template}")
            close_app(app)
            users[agencies] = template, passwords
        template, passwords = users[agencies]
        shutil.copyfile(template, db_path)
        return open_app(workspace, f"sqlite:///{db_path}", **settings), dict(passwords)
    return make
