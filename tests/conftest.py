"""Shared fixtures: the real shipped data, and small workspaces built in tmp folders."""

from __future__ import annotations

import pytest

from support.data import BRADFORD, CRA_DIR, LEEDS, SHARED_DATA, SPEND
from support.workspaces import build_workspace
from totalplace.ingest.load import ingest
from totalplace.store.connection import connect


def pytest_sessionstart(session) -> None:
    """Without the real data most tests would fail one by one for the same reason: say it once."""
    if not (SPEND / "leeds").is_dir() or not CRA_DIR.is_dir():
        pytest.exit(f"the real test data is not at {SHARED_DATA}: put the project beside shared/ "
                    "or set TOTALPLACE_SHARED_DATA", returncode=3)


@pytest.fixture(scope="session")
def make_workspace(tmp_path_factory):
    """The workspace factory: `make_workspace(name, areas, agencies=..., files=..., load=...)` builds one in a
    fresh temp folder (see support.workspaces.build_workspace). Session-scoped, so module- and
    session-scoped fixtures can build their place once with it as well as single tests."""
    def make(name: str = "Bradford", areas=(BRADFORD,), **parts):
        return build_workspace(tmp_path_factory.mktemp("ws") / name.lower().replace(" ", "-"), name, areas, **parts)
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
