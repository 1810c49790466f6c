"""The store's DuckDB statements as the Spark engine reads them (sqlglot only: no Spark session needed)."""

from __future__ import annotations

import pytest

from totalplace.store.spark import Answers, SparkEngineError
from totalplace.store.spark_sql import to_spark_sql


@pytest.mark.parametrize("sql", ["DROP TABLE kept_answer", "DROP TABLE IF EXISTS kept_answer",
                                 "DROP VIEW IF EXISTS kept_answer"])
def test_a_drop_names_the_table_it_drops(sql):
    assert to_spark_sql(sql) == ("drop", "", "kept_answer")


def test_a_temporary_table_is_its_query_in_spark_sql():
    kind, spark_sql, table = to_spark_sql("CREATE OR REPLACE TEMP TABLE kept_answer AS SELECT ? AS question")
    assert (kind, table) == ("create", "kept_answer")
    assert spark_sql.upper().startswith("SELECT") and "question" in spark_sql


def test_a_128_bit_integer_is_spark_decimal_38():
    kind, spark_sql, _ = to_spark_sql("SELECT CAST(pennies AS HUGEINT) AS p FROM line")
    assert kind == "query" and "DECIMAL(38, 0)" in spark_sql and "HUGEINT" not in spark_sql.upper()


def test_a_statement_that_writes_is_refused_with_what_to_do_instead():
    with pytest.raises(SparkEngineError, match="read by queries only.*INSERT"):
        to_spark_sql("INSERT INTO spend_line SELECT * FROM staged")


def test_the_engine_keeps_only_recent_and_small_answers():
    """The Spark engine's kept answers are bounded: the least recently asked goes first, and an answer of more
    rows than the limit is never kept (a trace's page of rows is asked of Spark each time)."""
    answers = Answers(questions=2, rows=3)
    answers.keep(("a",), [(1,)])
    answers.keep(("b",), [(2,)])
    assert answers.get(("a",)) == [(1,)]  # asked again: now the most recent
    answers.keep(("c",), [(3,)])
    assert answers.get(("b",)) is None and answers.get(("a",)) == [(1,)] and answers.get(("c",)) == [(3,)]
    answers.keep(("big",), [(n,) for n in range(4)])
    assert answers.get(("big",)) is None and answers.get(("c",)) == [(3,)]
