"""Moving a store between engines: `totalplace store export` and `totalplace store import`.

Both engines share one Parquet layout (a folder per table), so a store
exported from either loads into either.
"""

from __future__ import annotations

import shutil
from contextlib import closing
from pathlib import Path

import duckdb

from totalplace.errors import InputError
from totalplace.store import parquet
from totalplace.store.connection import connect, ensure_published, writable
from totalplace.store.parquet import local_path, staging, stored_tables, swap_in
from totalplace.workspace import Engine, Workspace


def export_store(workspace: Workspace, folder: Path) -> list[str]:
    """Every table of the workspace's store written to FOLDER/<table>/ as Parquet; returns the tables."""
    if workspace.settings.engine is Engine.SPARK:
        ensure_published(workspace)
        return _copy_tables(workspace.parquet_store, str(folder.resolve()), stored_tables(workspace.parquet_store))
    if not workspace.store_path.exists():
        raise InputError(f"{workspace.root}: the store is empty: run `totalplace ingest` first")
    with closing(connect(workspace, read_only=True)) as con:
        assert isinstance(con, duckdb.DuckDBPyConnection), "off Spark, the store read is the embedded database"
        return parquet.export_tables(con, str(folder.resolve()), parquet.base_tables(con))


def import_store(workspace: Workspace, folder: Path) -> list[str]:
    """A Parquet store loaded into the workspace's store on its engine, replacing the tables it holds."""
    if not stored_tables(str(folder.resolve())):
        raise InputError(f"{folder}: not a Parquet store (expected one folder of .parquet files per table)")
    with writable(workspace) as con:
        tables = parquet.import_tables(con, str(folder.resolve()))
    if workspace.settings.engine is Engine.SPARK:  # tables Spark derives itself are not published from the working database
        _copy_tables(str(folder.resolve()), workspace.parquet_store,
                     [t for t in tables if t in parquet.DERIVED_ON_ENGINE])
    return tables


def _copy_tables(source: str, target: str, tables: list[str]) -> list[str]:
    local_path(target).mkdir(parents=True, exist_ok=True)
    for table in tables:
        shutil.copytree(local_path(source) / table, staging(target, table))
        swap_in(target, table)
    return tables
