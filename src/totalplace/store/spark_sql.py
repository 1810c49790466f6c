"""The store's SQL, written once in DuckDB's dialect, carried to Spark SQL by sqlglot."""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import expressions as exp
from sqlglot.dialects.spark import Spark
from sqlglot.generators.spark import SparkGenerator

from totalplace.store.spark import SparkEngineError


class SparkDialect(Spark):
    """Spark SQL as sqlglot writes it, but for DuckDB's 128-bit integers, which Spark lacks.

    The store uses HUGEINT for exact penny arithmetic past BIGINT (a line's
    pennies times a population); DECIMAL(38, 0) holds the same whole numbers.
    """

    class Generator(SparkGenerator):  # what Spark.Generator names, by its class (mypy reads that one as a variable)
        TYPE_MAPPING = {**SparkGenerator.TYPE_MAPPING, exp.DataType.Type.INT128: "DECIMAL(38, 0)"}


@functools.lru_cache(maxsize=512)
def to_spark_sql(sql: str) -> tuple[str, str, str]:
    """(what the statement does, its Spark SQL, the table it names or "" for a query) for one DuckDB statement."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    if isinstance(tree, exp.Create) and tree.args.get("kind") == "TABLE" and isinstance(tree.expression, exp.Query):
        return "create", tree.expression.sql(dialect=SparkDialect), tree.this.find(exp.Table).name
    dropped = tree.find(exp.Table) if isinstance(tree, exp.Drop) else None
    if dropped is not None:  # sqlglot keeps a dropped table among the statement's tables, not as its `this`
        return "drop", "", dropped.name
    if isinstance(tree, exp.Describe):
        return "describe", "", tree.this.name
    if isinstance(tree, exp.Query):
        return "query", tree.sql(dialect=SparkDialect), ""
    raise SparkEngineError(f"the Spark store is read by queries only; this statement writes to it: "
                           f"{sql.split()[0].upper()} ... (writing commands run on the embedded engine "
                           f"and publish to the Parquet store)")


@functools.lru_cache(maxsize=512)
def tables_read(sql: str) -> frozenset[str]:
    """The tables (and views) a DuckDB query reads, leaving out the names its own WITH clauses define."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    defined = {cte.alias for cte in tree.find_all(exp.CTE)}
    return frozenset(table.name for table in tree.find_all(exp.Table)) - defined
