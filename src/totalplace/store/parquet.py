"""The store as Parquet: one folder per table. The Spark engine's store, and how a store moves between engines."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb

from totalplace.errors import InputError

# Tables the Spark engine derives itself from the published ones (the cohort's linkage):
# the embedded working database never publishes its own copies over them.
DERIVED_ON_ENGINE = ("cohort_person", "cohort_person_agency", "cohort_assessment")
# What each table held when it was last published, kept beside the table folders.
FINGERPRINTS = "_published.json"


def local_path(root: str) -> Path:
    """The folder of a Parquet store given as a path or a file:// URI."""
    if root.startswith("file://"):
        return Path(root.removeprefix("file://"))
    if "://" in root:
        raise InputError(f"the Parquet store {root!r} is not a local path or file:// URI; "
                         "this version keeps the store on a file system the driver can list")
    return Path(root)


def stored_tables(root: str) -> list[str]:
    """The table folders of a Parquet store (folders starting with '.' are being written)."""
    folder = local_path(root)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def staging(root: str, table: str) -> Path:
    """Where a table's next version is written before `swap_in` (any leftover of a failed write removed)."""
    folder = local_path(root) / f".{table}.writing"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def swap_in(root: str, table: str) -> None:
    """Put a table's freshly written folder in place of the old one (a rename: readers never see half)."""
    new, old = local_path(root) / f".{table}.writing", local_path(root) / table
    retired = old.with_name(f".{table}.old")
    shutil.rmtree(retired, ignore_errors=True)
    if old.exists():
        old.rename(retired)
    new.rename(old)
    shutil.rmtree(retired, ignore_errors=True)


def base_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The store's own tables (not views, not temporary or attached ones)."""
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary ORDER BY 1").fetchall()]


def export_tables(con: duckdb.DuckDBPyConnection, root: str, tables: list[str]) -> list[str]:
    """Write each table to ROOT/<table>/, all written before any is swapped in; returns the tables written."""
    local_path(root).mkdir(parents=True, exist_ok=True)
    for table in tables:
        target = staging(root, table)
        target.mkdir()
        con.execute(f"COPY {table} TO '{target / 'part-0.parquet'}' (FORMAT parquet)")
    for table in tables:
        swap_in(root, table)
    return tables


def publish(con: duckdb.DuckDBPyConnection, root: str, tables: list[str] | None = None) -> list[str]:
    """The working database's tables (default: all but the engine's own), published to the Spark engine's
    Parquet store; returns the tables written.

    Only a table whose contents changed since it was last published is
    written again: a command that changes one table of a national store
    does not rewrite its hundred million lines.
    """
    tables = tables if tables is not None else [t for t in base_tables(con) if t not in DERIVED_ON_ENGINE]
    before = published_fingerprints(root)
    now = {table: fingerprint(con, table) for table in tables}
    present = set(stored_tables(root))
    written = export_tables(con, root, [t for t in tables if before.get(t) != now[t] or t not in present])
    (local_path(root) / FINGERPRINTS).write_text(json.dumps({**before, **now}, indent=1, sort_keys=True))
    return written


def fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """What a table holds, in one value: its columns and types, its rows, and the sum of its rows' hashes.

    A sum rather than a hash of the sorted rows: one pass, no sort (a second
    copy of a row changes it, as it would not with xor).
    """
    columns = con.execute(f"DESCRIBE {table}").fetchall()
    totals = con.execute(
        f"SELECT count(*), coalesce(sum(hash(published_row)::HUGEINT), 0) FROM {table} published_row").fetchone()
    assert totals is not None, "an aggregate query returns one row"
    rows, hashes = totals
    return hashlib.sha256(repr((columns, rows, hashes)).encode()).hexdigest()


def published_fingerprints(root: str) -> dict[str, str]:
    """The fingerprint of each table as last published (none for a store written otherwise)."""
    path = local_path(root) / FINGERPRINTS
    return json.loads(path.read_text()) if path.exists() else {}


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
