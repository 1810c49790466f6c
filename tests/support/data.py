"""Where the real test data is, and small helpers for writing files and reading a store."""

from __future__ import annotations

import os
from pathlib import Path

from totalplace.ingest import cra_files
from totalplace.store.connection import connect

PROJECT = Path(__file__).resolve().parents[2]
# The real public data the tests read: ../shared/data beside the project, or $TOTALPLACE_SHARED_DATA.
SHARED_DATA = Path(os.environ.get("TOTALPLACE_SHARED_DATA", PROJECT.parent / "shared" / "data"))
SPEND = SHARED_DATA / "spend"
CRA_DIR = SHARED_DATA / "cra"
CRA_2014 = SHARED_DATA / "cra_2014" / "cra_2014_database.xlsx"
GEOGRAPHY = SHARED_DATA / "geography"
EXAMPLES = PROJECT / "examples"
LEEDS, BRADFORD = "E08000035", "E08000032"


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


def only_cra_releases(workspace, keep: set[str] = frozenset()) -> None:
    """Every shipped CRA release left out of cra/ but those named, as an analyst deleting them would."""
    for shipped in cra_files.workbook_paths(workspace)[0]:
        if shipped.name not in keep:
            shipped.unlink()
