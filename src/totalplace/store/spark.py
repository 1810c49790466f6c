"""The Spark engine: the store's tables as Parquet, read and derived through Spark SQL.

Analytic queries are written once, in DuckDB's SQL. On Spark, sqlglot carries
each statement to Spark SQL, so count, trace, the top-down count, the cohort
figures and the report run unchanged on either engine. The object below offers
the small part of a DuckDB connection those queries use (`execute(...).fetchall()`,
`register`, temporary tables), so no analysis has a second, Spark-only version.

Files are parsed and checked by the embedded engine and published here (`store.parquet.publish`);
the Parquet store holds one folder per table.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from totalplace.errors import InputError
from totalplace.store.parquet import local_path, staging, stored_tables, swap_in
from totalplace.workspace import Workspace

if TYPE_CHECKING:
    import pyarrow as pa

# Results of a query, as plain tuples like DuckDB's.
Rows = list[tuple]
# The store's views over a stored table (refresh makes them): view -> table.
VIEWS = {"classification": "spend_line"}
JAVA_OPTIONS = "spark.driver.extraJavaOptions"
DEFAULT_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "8",  # Spark's 200 suits a cluster, not one machine's counts
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.ui.showConsoleProgress": "false",
    JAVA_OPTIONS: f"-Dlog4j2.configurationFile={Path(__file__).with_name('log4j2.properties')}",
}


class SparkEngineError(InputError):
    """Something the Spark engine cannot do, said plainly."""


@functools.cache
def session(master: str, settings: tuple[tuple[str, str], ...] = ()):
    """One SparkSession per process and master (starting the JVM takes seconds)."""
    # PySpark warns about pandas 3 (installed for the benchmarks); the engine never hands Spark a pandas frame.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkEngineError("engine = \"spark\" needs PySpark: pip install 'totalplace[spark]' "
                               "(and a Java 17 runtime: scripts/ensure-java.sh)") from None
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        raise SparkEngineError("engine = \"spark\" needs a Java 17 runtime: run scripts/ensure-java.sh "
                               "or apt-get install openjdk-17-jre-headless")
    builder = SparkSession.builder.master(master).appName("totalplace")
    for key, value in with_defaults(dict(settings)).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        logging.getLogger(name).disabled = True  # a failed query is reported once, as a SparkEngineError
    return spark


def with_defaults(settings: dict[str, str]) -> dict[str, str]:
    """The engine's settings with the workspace's over them; Java options given are added to the engine's
    (its logging setup), not put in their place."""
    merged = {**DEFAULT_SETTINGS, **settings}
    if JAVA_OPTIONS in settings:
        merged[JAVA_OPTIONS] = f"{DEFAULT_SETTINGS[JAVA_OPTIONS]} {settings[JAVA_OPTIONS]}"
    return merged


def workspace_session(workspace: Workspace):
    cfg = workspace.spark
    return session(cfg.master, tuple(sorted(cfg.config.items())))


class Result:
    """What `execute` returns: the rows, fetched the way DuckDB's callers fetch them."""

    def __init__(self, rows: Rows) -> None:
        self._rows = rows

    def fetchall(self) -> Rows:
        return self._rows

    def fetchone(self) -> tuple | None:
        return self._rows[0] if self._rows else None


class SparkStore:
    """The Parquet store as Spark views, queried with the store's one (DuckDB-dialect) SQL."""

    def __init__(self, spark: Any, root: str, tables: set[str] | None = None) -> None:
        self.spark = spark
        self.root = root.rstrip("/")
        self.tables: set[str] = set(tables or ())
        self._temporary: set[str] = set()
        if tables is None:
            self.refresh()

    def cursor(self) -> SparkStore:
        """Another handle on the same views, for another thread (as DuckDB's cursor); closing it keeps them."""
        return SparkStore(self.spark, self.root, self.tables)

    def refresh(self) -> None:
        """Register a view for every table folder of the store (a publish may have replaced them)."""
        for name in stored_tables(self.root):
            table_frame(self.spark, f"{self.root}/{name}").createOrReplaceTempView(name)
            self.tables.add(name)
        if "spend_line" in self.tables:
            # The store's one view: each line's classification (store.schema).
            from totalplace.store.schema import CLASSIFICATION_COLUMNS, PASS_THROUGH_COLUMNS
            self.spark.sql(f"CREATE OR REPLACE TEMP VIEW classification AS SELECT line_id, "
                           f"{', '.join(CLASSIFICATION_COLUMNS + PASS_THROUGH_COLUMNS)} FROM spend_line")

    def has_table(self, name: str) -> bool:
        return name in self.tables or name in self._temporary

    def execute(self, sql: str, params: Sequence | None = None) -> Result:
        from pyspark.errors import PySparkException
        try:
            return self._execute(sql, list(params or []))
        except PySparkException as error:
            first_line = str(error).strip().splitlines()[0]
            raise SparkEngineError(f"the Spark engine could not run a query ({first_line}); "
                                   f"the query began: {' '.join(sql.split())[:160]}") from error

    def _execute(self, sql: str, params: list) -> Result:
        from totalplace.store.spark_sql import to_spark_sql  # sqlglot is imported only when Spark is used
        kind, spark_sql, table = to_spark_sql(sql)
        if kind == "create":
            frame = self.spark.sql(spark_sql, args=params).localCheckpoint(eager=True)
            frame.createOrReplaceTempView(table)
            self._temporary.add(table)
            return Result([])
        if kind == "drop":
            self.unregister(table)
            return Result([])
        if kind == "describe":
            return Result([(f.name, f.dataType.simpleString()) for f in self.spark.table(table).schema.fields])
        return Result(self._answer(sql, spark_sql, params))

    def _answer(self, sql: str, spark_sql: str, params: list) -> Rows:
        """A query's rows: from the last answer to it while every table it reads is a stored one whose files are
        unchanged since, else from Spark (and kept, if few enough)."""
        from totalplace.store.spark_sql import tables_read
        reads = tables_read(sql)
        stored = {VIEWS.get(name, name) for name in reads}  # a view is read from its table's files
        if not (stored <= self.tables and reads.isdisjoint(self._temporary)):
            return self._run(spark_sql, params)
        try:
            stamps = tuple((name, folder_files(f"{self.root}/{name}")) for name in sorted(stored))
        except OSError:  # a table folder gone since the store was opened: Spark says so in its own words
            return self._run(spark_sql, params)
        # the session too: its settings (a time zone) can change how the same files read
        question = (id(self.spark), self.root, spark_sql, repr(params), stamps)
        rows = ANSWERS.get(question)
        if rows is None:
            rows = self._run(spark_sql, params)
            ANSWERS.keep(question, rows)
        return list(rows)

    def _run(self, spark_sql: str, params: list) -> Rows:
        return [tuple(row) for row in self.spark.sql(spark_sql, args=params).collect()]

    def register(self, name: str, table: pa.Table) -> None:
        """A small table from the driver (areas, drivers), as a view; as DuckDB's register does."""
        self.spark.createDataFrame(table).createOrReplaceTempView(name)
        self._temporary.add(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self._temporary.discard(name)

    def replace_rows(self, table: str, select_sql: str) -> None:
        """A derived table's rows replaced by a query's, written to the Parquet store by Spark itself."""
        from totalplace.store.spark_sql import to_spark_sql
        _kind, spark_sql, _ = to_spark_sql(select_sql)
        self.spark.sql(spark_sql).write.parquet(str(staging(self.root, table)))
        swap_in(self.root, table)
        table_frame(self.spark, f"{self.root}/{table}").createOrReplaceTempView(table)
        self.tables.add(table)

    def close(self) -> None:
        for name in list(self._temporary):
            self.unregister(name)


class Answers:
    """The last answers to queries of stored tables, each under its question: the query, its parameters and the
    files of every table it reads (so a load or a derived table written again asks Spark afresh).

    A report asks the same question many times (the years loaded, the agencies, a count's total), and on Spark
    each costs a job; DuckDB answers in a millisecond and keeps nothing. Only answers of a few rows are kept,
    and only the most recent ones.
    """

    def __init__(self, questions: int, rows: int) -> None:
        self.questions = questions
        self.rows = rows
        self._kept: OrderedDict[tuple, Rows] = OrderedDict()
        self._lock = threading.Lock()  # the web's threads share one engine

    def get(self, question: tuple) -> Rows | None:
        with self._lock:
            rows = self._kept.get(question)
            if rows is not None:
                self._kept.move_to_end(question)
            return rows

    def keep(self, question: tuple, rows: Rows) -> None:
        if len(rows) > self.rows:
            return
        with self._lock:
            self._kept[question] = rows
            self._kept.move_to_end(question)
            while len(self._kept) > self.questions:
                self._kept.popitem(last=False)


ANSWERS = Answers(questions=512, rows=10_000)


# Each table folder's frame as last read, and the files it was read from. Reading a Parquet folder runs
# a Spark job to learn its schema (a second a table on a busy machine, for every table at every connect).
_FRAMES: dict[tuple[Any, str], tuple[tuple, Any]] = {}


def table_frame(spark: Any, folder: str) -> Any:
    """A table folder read by Spark, read again only when its files have changed since."""
    files = folder_files(folder)
    known = _FRAMES.get((spark, folder))
    if known is None or known[0] != files:
        known = _FRAMES[(spark, folder)] = (files, spark.read.parquet(folder))
    return known[1]


def folder_files(folder: str) -> tuple:
    """The folder and each of its files (name, inode, size, modification time): any write or swap changes them.

    A frame holds the list of files Spark found when it was read, so it must
    be read again whenever they change.
    """
    path = local_path(folder)
    entries = [(path.name, path.stat())] + [(entry.name, entry.stat()) for entry in os.scandir(path)]
    return tuple(sorted((name, stat.st_ino, stat.st_size, stat.st_mtime_ns) for name, stat in entries))


def open_store(workspace: Workspace) -> SparkStore:
    return SparkStore(workspace_session(workspace), workspace.parquet_store)
