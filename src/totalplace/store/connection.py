"""Opening the store, and the one-transaction rule for changing it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

import duckdb

from totalplace.errors import InputError
from totalplace.store import macros, parquet
from totalplace.store.schema import ADDED_COLUMNS, CLASSIFICATION_COLUMNS, TABLES
from totalplace.store.parquet import stored_tables
from totalplace.store.spark import SparkStore, open_store
from totalplace.store.suppliers import redacted_sql
from totalplace.workspace import Engine, Workspace

if TYPE_CHECKING:
    import pyarrow as pa


class QueryResult(Protocol):
    """A query's rows, as both engines hand them back."""

    def fetchall(self) -> list[tuple[Any, ...]]: ...

    def fetchone(self) -> tuple[Any, ...] | None: ...


class StoreConnection(Protocol):
    """What analyses read: the DuckDB store, or the Spark engine's Parquet store (queried with the same SQL).

    The part of a DuckDB connection that `SparkStore` also offers; a function
    that needs more of DuckDB (a write, `executemany`, relations) takes
    `duckdb.DuckDBPyConnection` and is given the read-write store.
    """

    def execute(self, sql: str, params: Sequence[Any] | None = None, /) -> QueryResult: ...

    def register(self, name: str, table: pa.Table, /) -> object: ...

    def unregister(self, name: str, /) -> object: ...

    def cursor(self) -> StoreConnection: ...

    def close(self) -> None: ...


@overload
def connect(workspace: Workspace, read_only: Literal[False] = False) -> duckdb.DuckDBPyConnection: ...
@overload
def connect(workspace: Workspace, read_only: bool) -> StoreConnection: ...
def connect(workspace: Workspace, read_only: bool = False) -> StoreConnection:
    """Open the workspace's store, creating its tables and syncing the agency list.

    Read-only, this is the workspace's engine: on Spark, the Parquet store.
    Read-write, it is always the embedded database where files are parsed
    and checked; on Spark, `writable` publishes it to the Parquet store.
    """
    if read_only and workspace.settings.engine is Engine.SPARK:
        ensure_published(workspace)
        return open_store(workspace)
    with store_errors(workspace):
        workspace.store_path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and workspace.store_path.exists():
            con = duckdb.connect(str(workspace.store_path), read_only=True)
        else:
            con = duckdb.connect(str(workspace.store_path))
            _move_classification_onto_lines(con)
            _add_new_columns(con)
            _let_sheets_share_a_file(con)
            con.execute(TABLES)
            _sync_settings(con, workspace)
        macros.install(con)
    return con


@contextmanager
def scratch_store() -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty store in memory, with the store's tables and parsing macros, closed after use: where a trial
    load runs without the workspace's store ever seeing it."""
    with closing(duckdb.connect()) as con:
        con.execute(TABLES)
        macros.install(con)
        yield con


_HELD = re.compile(r"Conflicting lock is held in .*\(PID (\d+)\)")
_NOT_WRITABLE = ("Permission denied", "Operation not permitted", "Read-only file system")
_NO_SPACE = ("No space left on device", "File too large", "Disk quota exceeded")


@contextmanager
def store_errors(workspace: Workspace) -> Iterator[None]:
    """The store's own failures (held by another command, not writable, no space) as one clear line.

    DuckDB commits through its write-ahead log: a transaction whose log could
    not be written was never committed; one whose log was written is committed
    even if writing it into the store then fails (it is replayed when the
    store is next opened). Either way the store holds all of the command's
    changes or none.
    """
    try:
        yield
    except (duckdb.Error, OSError) as error:
        text = str(error)
        held = _HELD.search(text)
        if held:
            raise InputError(f"The store is in use by another command (PID {held[1]}): try again when it ends") \
                from None
        reason = next((r for r in _NO_SPACE + _NOT_WRITABLE if r in text), None)
        if reason in _NO_SPACE:
            raise InputError(f"{workspace.store_path}: not enough space to write the store ({reason}): free some "
                             "disk space and run the command again (the store holds all of this command's changes "
                             "or none of them)") from None
        if reason:
            raise InputError(f"{workspace.store_path}: the store cannot be written ({reason}): make the file and "
                             "its folder writable, or work on a copy of the workspace") from None
        raise


def _move_classification_onto_lines(con: duckdb.DuckDBPyConnection) -> None:
    """A store made when classification was a table of its own: move its columns onto spend_line, once."""
    old = con.execute("SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() "
                      "AND schema_name = 'main' AND table_name = 'classification'").fetchall()
    if not old:
        return
    with transaction(con):
        for column in CLASSIFICATION_COLUMNS:
            con.execute(f"ALTER TABLE spend_line ADD COLUMN {column} VARCHAR")
        con.execute(f"""UPDATE spend_line s SET {", ".join(f"{c} = old.{c}" for c in CLASSIFICATION_COLUMNS)}
                        FROM classification old WHERE old.line_id = s.line_id""")
        con.execute("DROP TABLE classification")


def _add_new_columns(con: duckdb.DuckDBPyConnection) -> None:
    """A store made before a column was added gains it (empty: `totalplace classify` fills classification
    columns; old lines are at day precision, and their suppliers' names are looked at for redaction)."""
    have = {(t, c) for t, c in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main'").fetchall()}
    tables = {t for t, _ in have}
    missing = [(t, c, kind) for t, c, kind in ADDED_COLUMNS if t in tables and (t, c) not in have]
    if not missing:
        return
    with transaction(con):
        con.execute("DROP VIEW IF EXISTS classification")  # remade with the new columns
        for table, column, kind in missing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        if ("spend_line", "supplier_redacted") in {(t, c) for t, c, _ in missing}:
            con.execute(f"UPDATE spend_line SET supplier_redacted = {redacted_sql('supplier_name')}")


def _let_sheets_share_a_file(con: duckdb.DuckDBPyConnection) -> None:
    """A store made when a workbook gave one sheet: source_file made again without its one-row-per-file
    constraint (DuckDB cannot drop a constraint), once."""
    unique = con.execute("SELECT 1 FROM duckdb_constraints() WHERE database_name = current_database() "
                         "AND table_name = 'source_file' AND constraint_type = 'UNIQUE'").fetchall()
    if not unique:
        return
    with transaction(con):
        con.execute("ALTER TABLE source_file RENAME TO source_file_before_sheets")
        con.execute(TABLES)
        con.execute("INSERT INTO source_file BY NAME SELECT * FROM source_file_before_sheets")
        con.execute("DROP TABLE source_file_before_sheets")


def _sync_settings(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> None:
    """The place and agency tables mirror totalplace.toml: the file is the truth."""
    settings = workspace.settings
    with transaction(con):
        con.execute("DELETE FROM place")
        con.execute(
            "INSERT INTO place VALUES (?, ?, ?)",
            [settings.place.name, settings.place.areas, settings.place.region],
        )
        con.execute("DELETE FROM agency")
        con.executemany(
            "INSERT INTO agency VALUES (?, ?, ?, ?, ?)",
            [[a.id, a.name, a.kind.value, a.area, a.aliases] for a in settings.agencies],
        )


@contextmanager
def writable(workspace: Workspace) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store, for a command that changes it; on Spark, published to the Parquet store when it succeeds."""
    with store_errors(workspace):  # closing checkpoints the store, which writes too
        con = connect(workspace)
        try:
            yield con
            if workspace.settings.engine is Engine.SPARK:
                parquet.publish(con, workspace.parquet_store)
        finally:
            con.close()


def ensure_published(workspace: Workspace) -> None:
    """A workspace just switched to Spark: its embedded store published to the Parquet store, once."""
    if stored_tables(workspace.parquet_store) or not workspace.store_path.exists():
        return
    with closing(connect(workspace)) as con:
        # All its tables: the cohort's linkage was made by the embedded engine until now.
        parquet.publish(con, workspace.parquet_store, parquet.base_tables(con))


def has_table(con: StoreConnection, name: str) -> bool:
    """Whether the store has this table yet (tables of a capability are made when it is first used)."""
    if isinstance(con, SparkStore):
        return con.has_table(name)
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall()[0][0])


def replace_rows(con: StoreConnection, table: str, select_sql: str) -> None:
    """A derived table's rows replaced by a query's, on either engine (the query names the table's columns)."""
    if isinstance(con, SparkStore):
        con.replace_rows(table, select_sql)
        return
    con.execute(f"DELETE FROM {table}")
    con.execute(f"INSERT INTO {table} BY NAME {select_sql}")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure anywhere leaves the store as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def temp_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, tuple[str, list]]) -> None:
    """Temp table `name` from Python lists, column -> (SQL type, values); all lists the same length.

    DuckDB builds it from list parameters; pyarrow (pa.array) would import
    pandas when it is installed, half a second.
    """
    cells = ", ".join(f"unnest(?::{kind}[]) AS {column}" for column, (kind, _) in columns.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cells}", [v for _, v in columns.values()])


PENDING = "pending_ingest"  # the catalog name of an ingest's pending file


@contextmanager
def pending_tables(con: duckdb.DuckDBPyConnection, workspace: Workspace, tables: Sequence[str],
                   in_memory: bool = False) -> Iterator[str]:
    """Empty copies of the store's tables in a file beside it (or in memory), removed afterwards;
    yields their name prefix.

    Work written there commits bit by bit without touching the store; in a
    file, what is committed need not stay in memory. A file left by a crashed
    run is removed first.
    """
    path = workspace.store_path.with_name(workspace.store_path.name + ".pending")
    _remove_database_file(path)
    con.execute(f"ATTACH '{':memory:' if in_memory else path}' AS {PENDING}")
    try:
        for table in tables:
            con.execute(f"CREATE TABLE {PENDING}.{table} AS FROM {table} LIMIT 0")
        yield f"{PENDING}."
    finally:
        # Dropped first: detaching a database checkpoints it, which would write
        # out the rows just published (8 s and 900 MB for 3 million rows).
        for table in tables:
            con.execute(f"DROP TABLE IF EXISTS {PENDING}.{table}")
        con.execute(f"DETACH {PENDING}")
        _remove_database_file(path)


def _remove_database_file(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def fetch_one(con: StoreConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, reading the result to its end as the connection requires."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def fetch_aggregate(con: StoreConnection, sql: str, params: list | None = None) -> tuple[Any, ...]:
    """The one row of an aggregate query without GROUP BY (counts, sums), which SQL always returns."""
    row = fetch_one(con, sql, params)
    assert row is not None, f"an aggregate query returned no row: {sql[:80]}"
    return row
