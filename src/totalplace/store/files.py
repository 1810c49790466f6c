"""The store follows its input files: which loaded files were edited or deleted, and dropping their rows.

Shared by every loader whose tables carry a `file_id` (spend files, cohort event files).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import duckdb

from totalplace.workspace import Workspace


def changed_files(con: duckdb.DuckDBPyConnection, workspace: Workspace, file_table: str,
                  digest_of: Callable[[Path], str]) -> dict[int, str]:
    """Files deleted or edited since they were loaded (file_id -> path): the store follows the inputs."""
    return {
        file_id: rel
        for file_id, rel, digest in con.execute(f"SELECT file_id, path, sha256 FROM {file_table}").fetchall()
        if not (workspace.root / rel).exists() or digest_of(workspace.root / rel) != digest
    }


def drop_files(con: duckdb.DuckDBPyConnection, file_ids: Collection[int], tables: Sequence[str]) -> None:
    """Every row of these files, from each table that holds them (the file table last)."""
    if not file_ids:
        return
    for table in tables:
        con.execute(f"DELETE FROM {table} WHERE list_contains(?::INTEGER[], file_id)", [list(file_ids)])
