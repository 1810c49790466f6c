"""Publishing the working database to the Parquet store rewrites only the tables that changed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.properties import examples

from totalplace.store.parquet import DERIVED_ON_ENGINE, publish


@pytest.fixture
def working(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "working.duckdb"))
    con.execute("CREATE TABLE spend_line AS SELECT range AS line_id, 'supplier ' || range AS supplier_name, "
                "(range * 1.25)::DECIMAL(18,2) AS amount FROM range(1000)")
    con.execute("CREATE TABLE agency AS SELECT 'leeds-council' AS agency_id, 'Leeds City Council' AS name")
    con.execute("CREATE TABLE cohort_person AS SELECT 1 AS person")
    yield con
    con.close()


def parquet_rows(root: Path, table: str) -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{root / table}/*.parquet') ORDER BY ALL").fetchall()


def file_identity(root: Path, table: str) -> tuple:
    stat = (root / table / "part-0.parquet").stat()
    return stat.st_ino, stat.st_mtime_ns


def test_the_first_publish_writes_every_table_but_the_engines_own(working, tmp_path):
    root = tmp_path / "parquet"
    assert sorted(publish(working, str(root))) == ["agency", "spend_line"]
    assert not any((root / table).exists() for table in DERIVED_ON_ENGINE)
    assert parquet_rows(root, "spend_line") == working.execute("SELECT * FROM spend_line ORDER BY ALL").fetchall()


def test_publishing_again_with_nothing_changed_writes_nothing(working, tmp_path):
    root = tmp_path / "parquet"
    publish(working, str(root))
    before = {table: file_identity(root, table) for table in ("agency", "spend_line")}
    assert publish(working, str(root)) == []
    assert {table: file_identity(root, table) for table in before} == before


@pytest.mark.parametrize("change", [
    "UPDATE spend_line SET amount = amount + 0.01 WHERE line_id = 500",
    "INSERT INTO spend_line SELECT * FROM spend_line WHERE line_id = 7",  # a second copy of a row
    "DELETE FROM spend_line WHERE line_id = 999",
    "UPDATE spend_line SET supplier_name = NULL WHERE line_id = 0",
    "ALTER TABLE spend_line ALTER amount TYPE DECIMAL(20,2)",  # same values, another type
])
def test_a_changed_table_is_written_again_and_only_it(working, tmp_path, change):
    root = tmp_path / "parquet"
    publish(working, str(root))
    agency_file = file_identity(root, "agency")
    working.execute(change)
    assert publish(working, str(root)) == ["spend_line"]
    assert parquet_rows(root, "spend_line") == working.execute("SELECT * FROM spend_line ORDER BY ALL").fetchall()
    assert file_identity(root, "agency") == agency_file


def test_a_table_folder_removed_from_the_store_is_published_again(working, tmp_path):
    root = tmp_path / "parquet"
    publish(working, str(root))
    for part in (root / "agency").iterdir():
        part.unlink()
    (root / "agency").rmdir()
    assert publish(working, str(root)) == ["agency"]
    assert parquet_rows(root, "agency") == [("leeds-council", "Leeds City Council")]


@settings(max_examples=examples(40), deadline=None)
@given(amounts=st.lists(st.integers(-10**9, 10**9), min_size=1, max_size=30), data=st.data())
def test_any_one_changed_value_is_noticed(tmp_path_factory, amounts, data):
    root = tmp_path_factory.mktemp("parquet")
    con = duckdb.connect()
    con.execute("CREATE TABLE spend_line (line_id BIGINT, amount DECIMAL(18,2))")
    con.executemany("INSERT INTO spend_line VALUES (?, ? / 100)", list(enumerate(amounts)))
    publish(con, str(root))
    row = data.draw(st.integers(0, len(amounts) - 1))
    delta = data.draw(st.integers(1, 10**6))
    con.execute("UPDATE spend_line SET amount = amount + ? / 100 WHERE line_id = ?", [delta, row])
    assert publish(con, str(root)) == ["spend_line"]
    assert parquet_rows(root, "spend_line") == con.execute("SELECT * FROM spend_line ORDER BY ALL").fetchall()
