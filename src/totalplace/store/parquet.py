"""The store as Parquet: one folder per table. The Spark engine's store, and how a store moves between engines."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from totalplace.store.spark import local_path, stored_tables, swap_in

# Tables the Spark engine derives itself from the published ones (the cohort's linkage):
# the embedded working database never publishes its own copies over them.
DERIVED_ON_ENGINE = ("cohort_person", "cohort_person_agency", "cohort_assessment")


def base_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The store's own tables (not views, not temporary or attached ones)."""
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary ORDER BY 1").fetchall()]


def export_tables(con: duckdb.DuckDBPyConnection, root: str, tables: list[str]) -> list[str]:
    """Write each table to ROOT/<table>/, all written before any is swapped in; returns the tables written."""
    folder = local_path(root)
    folder.mkdir(parents=True, exist_ok=True)
    staged = []
    for table in tables:
        target = folder / f".{table}.writing"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        con.execute(f"COPY {table} TO '{target / 'part-0.parquet'}' (FORMAT parquet)")
        staged.append((str(target), str(folder / table)))
    for new, old in staged:
        swap_in(new, old)
    return tables


def publish(con: duckdb.DuckDBPyConnection, root: str) -> list[str]:
    """The working database's tables, published to the Spark engine's Parquet store."""
    return export_tables(con, root, [t for t in base_tables(con) if t not in DERIVED_ON_ENGINE])


def import_tables(con: duckdb.DuckDBPyConnection, root: str) -> list[str]:
    """Load a Parquet store into the DuckDB store, replacing each table's rows; returns the tables read.

    A table the store already has keeps its definition (its types and
    constraints) and takes the columns by name; a table it lacks is created.
    """
    tables = stored_tables(root)
    if not tables:
        raise FileNotFoundError(f"{root}: no Parquet store here (expected one folder per table)")
    existing = set(base_tables(con))
    for table in tables:
        files = f"{Path(local_path(root)) / table}/*.parquet"
        if table in existing:
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet('{files}')")
        else:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{files}')")
    return tables
