"""Shared fixtures: the real shipped data, and small workspaces built in tmp folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from totalplace.ingest import cra_files
from totalplace.ingest.load import ingest
from totalplace.store.connection import connect
from totalplace.workspace import init_workspace

PROJECT = Path(__file__).resolve().parents[1]
# The real public data the tests read: ../shared/data beside the project, or $TOTALPLACE_SHARED_DATA.
SHARED_DATA = Path(os.environ.get("TOTALPLACE_SHARED_DATA", PROJECT.parent / "shared" / "data"))
SPEND = SHARED_DATA / "spend"
CRA_DIR = SHARED_DATA / "cra"
CRA_2014 = SHARED_DATA / "cra_2014" / "cra_2014_database.xlsx"
GEOGRAPHY = SHARED_DATA / "geography"
LEEDS, BRADFORD = "E08000035", "E08000032"


def pytest_sessionstart(session) -> None:
    """Without the real data most tests would fail one by one for the same reason: say it once."""
    if not (SPEND / "leeds").is_dir() or not CRA_DIR.is_dir():
        pytest.exit(f"the real test data is not at {SHARED_DATA}: put the project beside shared/ "
                    "or set TOTALPLACE_SHARED_DATA", returncode=3)


@pytest.fixture(scope="session")
def real_place(tmp_path_factory):
    """One workspace holding every shipped Leeds and Bradford payment file, loaded."""
    root = tmp_path_factory.mktemp("real") / "west-yorkshire"
    workspace = init_workspace(root, "Leeds and Bradford", [LEEDS, BRADFORD])
    for council, folder in (("leeds-council", "leeds"), ("bradford-council", "bradford")):
        for path in sorted((SPEND / folder).glob("*.csv")):
            shutil.copyfile(path, workspace.agency_dir(council) / path.name)
    result = ingest(workspace)
    return workspace, result


@pytest.fixture()
def real_con(real_place):
    workspace, _ = real_place
    con = connect(workspace, read_only=True)
    yield con
    con.close()


def store_rows(workspace, sql: str) -> list[tuple]:
    """The rows a query gives on a workspace's store, opened read-only and closed again."""
    con = connect(workspace, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture()
def small_place(tmp_path):
    """An empty Bradford workspace in a temp folder."""
    return init_workspace(tmp_path / "bradford", "Bradford", [BRADFORD])


def only_cra_releases(workspace, keep: set[str] = frozenset()) -> None:
    """Every shipped CRA release left out of cra/ but those named, as an analyst deleting them would."""
    for shipped in cra_files.workbook_paths(workspace)[0]:
        if shipped.name not in keep:
            shipped.unlink()
