"""The same count, trace, top-down count, cohort linkage and report on DuckDB and on Spark, compared exactly.

Two workspaces are built from the same real payment files, CRA workbook and
synthetic cohort: one on the embedded engine, one with engine = "spark"
(Spark in local mode, a Parquet store), each loaded through its own
engine's commands. A third is the DuckDB one switched to Spark, for the
report, whose provenance (load times) must then match too.

All Spark tests are in this one file, so `make test` (pytest-xdist with --dist loadfile) runs them in
one worker and builds the Spark session and its stores once. (xdist_group with --dist loadgroup was
checked and found not to group under pytest 9.2 and xdist 3.8: the tests went to both workers.)
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import closing
from dataclasses import asdict

import pytest

from support.data import BRADFORD, CRA_DIR, LEEDS, SPEND, only_cra_releases
from support.suite import NAME
from totalplace.count import bottomup, topdown
from totalplace.deepdive import cohort_report, cohorts
from totalplace.deepdive.synthetic import generate
from totalplace.errors import InputError
from totalplace.ingest.load import ingest
from totalplace.report.contents import report_sections
from totalplace.store.connection import connect, replace_rows, writable
from totalplace.store.portable import export_store, import_store
from totalplace.store.spark import JAVA_OPTIONS, SparkEngineError, SparkStore, workspace_session
from totalplace.workspace import Engine, SparkSettings, Workspace, open_workspace

pytestmark = pytest.mark.spark

KEY = b"parity-test-key-0123456789abcdef"
PLACE = {"name": "Leeds and Bradford", "areas": [LEEDS, BRADFORD]}
FILES = {"leeds-council": ("leeds", ["2011-04.csv", "2012-06.csv"]),
         "bradford-council": ("bradford", ["2018-04.csv", "2018-05.csv"])}
CRA = "cra_2018_database.xlsx"
DIMENSIONS = list(bottomup.DIMENSIONS)


# Spark set for a few megabytes and some hundreds of short queries, none of it changing what a query
# returns. Two partitions, so that no sum or tie-break could depend on all rows meeting in one. Adaptive
# execution off: it re-plans each query between its stages, which small data never repays. Java's quick
# compiler only (C1): in a run this short, optimising Spark's own code took more time than it saved; C1
# alone gets a 48 MB code cache, which Spark's generated code filled, so the usual 240 MB is asked for.
# Whole-stage code generation stays on, as users run it. (Issue 18 measured these: JVM CPU 0.53x.)
SMALL_DATA = {"spark.sql.shuffle.partitions": "2", "spark.sql.adaptive.enabled": "false",
              "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m"}


def use_spark(workspace: Workspace) -> Workspace:
    workspace.settings.engine = Engine.SPARK
    workspace.settings.spark = SparkSettings(master="local[2]", store="store/parquet", config=SMALL_DATA)
    workspace.save()
    return open_workspace(workspace.root)


def build(make_workspace, engine: Engine) -> Workspace:
    """Payment files, a CRA release and a synthetic cohort, each loaded through the workspace's engine."""
    payments = {f"agencies/{agency}/{name}": SPEND / folder / name
                for agency, (folder, names) in FILES.items() for name in names}
    workspace = make_workspace(**PLACE, files=payments)
    if engine is Engine.SPARK:
        workspace = use_spark(workspace)
    ingest(workspace)
    only_cra_releases(workspace, {CRA})
    with writable(workspace) as con:
        topdown.load(con, workspace, [CRA_DIR / CRA])
    generate(workspace.root / cohorts.COHORT_DIR, people=400, years=["2022-23", "2023-24"], seed=3)
    cohorts.load(workspace, KEY)
    return workspace


@pytest.fixture(scope="module")
def places(make_workspace, tmp_path_factory, worker_id) -> dict[str, Workspace]:
    """Built once per process (`--dist loadfile` keeps this file on one worker)."""
    started, clock = time.perf_counter(), time.strftime("%H:%M:%S")
    folder = tmp_path_factory.mktemp("parity")
    duck = build(make_workspace, Engine.DUCKDB)
    spark = build(make_workspace, Engine.SPARK)
    shutil.copytree(duck.root, folder / "switched")
    switched = use_spark(open_workspace(folder / "switched"))
    context = workspace_session(spark).sparkContext
    BUILT.append(f"Spark parity fixture built on worker {worker_id} (pid {os.getpid()}), from {clock} for "
                 f"{time.perf_counter() - started:.0f} s: 3 workspaces, Spark application {context.applicationId}")
    return {"duckdb": duck, "spark": spark, "switched": switched}


BUILT: list[str] = []  # one line each time the fixture is built in this process


def test_the_log_says_where_and_when_the_fixture_was_built(places, worker_id, record_property):
    """`make test` prints this line after its summary (tests/support/suite.py), one for each process that built
    the fixture: the CI log shows one line when the Spark tests all ran in one worker."""
    line = BUILT[-1]
    assert f"worker {worker_id} (pid {os.getpid()})" in line
    assert line.endswith(f"Spark application {workspace_session(places['spark']).sparkContext.applicationId}")
    record_property(NAME, line)


def on(workspace: Workspace, read):
    with closing(connect(workspace, read_only=True)) as con:
        return read(con)


def test_the_spark_workspaces_read_through_spark(places):
    assert isinstance(on(places["spark"], lambda con: con), SparkStore)
    assert not isinstance(on(places["duckdb"], lambda con: con), SparkStore)


def test_one_spark_session_serves_both_spark_workspaces_with_the_settings_given(places):
    spark = on(places["spark"], lambda con: con.spark)
    assert on(places["switched"], lambda con: con.spark) is spark
    java = spark.sparkContext.getConf().get(JAVA_OPTIONS)
    # the workspace's Java options join the engine's logging setup; they do not replace it
    assert "-Dlog4j2.configurationFile=" in java and "-XX:TieredStopAtLevel=1" in java
    assert spark.conf.get("spark.sql.adaptive.enabled") == "false"


@pytest.mark.parametrize("year", ["2018-19", "all"])
def test_count_by_every_dimension_is_identical(places, year):
    for by in DIMENSIONS:
        duck = on(places["duckdb"], lambda con: bottomup.count(con, places["duckdb"], by, year))
        spark = on(places["spark"], lambda con: bottomup.count(con, places["spark"], by, year))
        assert asdict(spark) == asdict(duck), by
        # the total is spending: by transfer, the pass-through rows are shown beside it, not in it
        assert duck.rows and duck.total == sum(r.amount for r in duck.rows if r.counted)


def test_trace_gives_the_same_rows_and_sum(places):
    duck_count = on(places["duckdb"], lambda con: bottomup.count(con, places["duckdb"], "theme", "all"))
    for row in duck_count.rows[:4]:
        duck = on(places["duckdb"], lambda con: bottomup.trace(con, "theme", row.key, "all", limit=50))
        spark = on(places["spark"], lambda con: bottomup.trace(con, "theme", row.key, "all", limit=50))
        assert spark == duck
        assert duck[1] == row.amount and duck[2] == row.lines


def test_top_down_count_is_identical(places):
    areas = places["duckdb"].settings.place.areas
    for by in ("control", "function", "department"):
        duck = on(places["duckdb"], lambda con: topdown.count(con, places["duckdb"], areas, None, by))
        spark = on(places["spark"], lambda con: topdown.count(con, places["spark"], areas, None, by))
        assert asdict(spark) == asdict(duck), by
        assert duck.total > 0


def test_cohort_linkage_and_figures_are_identical(places):
    """Spark linked the cohort itself: people, households, the linkage and every published table match the
    embedded engine's, suppression included."""
    for read in (
        lambda con: on_link_counts(con),
        lambda con: cohorts.linkage(con),
        lambda con: cohort_report.concentration(con, "all"),
        lambda con: cohort_report.concentration(con, "2023-24", unit="person"),
        lambda con: cohort_report.concentration(con, "2023-24", measure="services"),
    ):
        assert on(places["spark"], read) == on(places["duckdb"], read)
    published = {name: on(places[name], lambda con: [(t.title, t.columns, t.rows, t.notes) for t in
                                                     cohort_report.publish(con, places[name]).tables()])
                 for name in ("duckdb", "spark")}
    assert published["spark"] == published["duckdb"]
    assert len(published["duckdb"]) > 20 and all(rows for _, _, rows, _ in published["duckdb"])


def on_link_counts(con) -> tuple:
    return con.execute("SELECT count(*), count(DISTINCT household_key), sum(cost) FROM cohort_person_agency "
                       "JOIN cohort_person USING (person, household_key)").fetchall()


def test_the_report_is_the_same_on_both_engines(places):
    """Every section's paragraphs and every table's rows, for a DuckDB workspace switched to Spark."""
    duck, spark = report_sections(places["duckdb"]), report_sections(places["switched"])
    assert [s.title for s in spark] == [s.title for s in duck]
    for d, s in zip(duck, spark):
        assert s.paragraphs == d.paragraphs, d.title
        assert [(t.title, t.rows) for t in s.tables] == [(t.title, t.rows) for t in d.tables], d.title
        assert [c.table.rows for c in s.charts] == [c.table.rows for c in d.charts], d.title
    assert any(s.id == "cohort" for s in duck) and any(s.id.startswith("topdown") for s in duck)


def test_a_store_moves_between_engines_through_parquet(places, make_workspace, tmp_path):
    """Spark's store exported and imported into a fresh DuckDB workspace counts the same, and back again."""
    export_store(places["spark"], tmp_path / "from-spark")
    duck = make_workspace(**PLACE)
    import_store(duck, tmp_path / "from-spark")
    spark_count = on(places["spark"], lambda con: bottomup.count(con, places["spark"], "agency", "all"))
    assert on(duck, lambda con: bottomup.count(con, duck, "agency", "all")) == spark_count
    assert on(duck, lambda con: cohort_report.concentration(con, "all")) == \
        on(places["spark"], lambda con: cohort_report.concentration(con, "all"))

    export_store(duck, tmp_path / "from-duckdb")
    back = use_spark(make_workspace(**PLACE))
    import_store(back, tmp_path / "from-duckdb")
    assert on(back, lambda con: bottomup.count(con, back, "agency", "all")) == spark_count


def test_a_table_written_again_is_read_again(places, make_workspace):
    """Spark reads a table folder once and keeps the frame: a load, or a table Spark derives, written again
    is read again (the derived table's files are new names, so a frame kept too long could not read them)."""
    workspace = use_spark(make_workspace())
    folder, names = FILES["bradford-council"]
    seen = []
    for name in names:
        shutil.copyfile(SPEND / folder / name, workspace.agency_dir("bradford-council") / name)
        ingest(workspace)
        with closing(connect(workspace, read_only=True)) as con:
            replace_rows(con, "lines_by_agency", "SELECT agency_id, count(*) AS n FROM spend_line GROUP BY agency_id")
            seen.append((con.execute("SELECT count(*) FROM spend_line").fetchall()[0][0],
                         con.execute("SELECT n FROM lines_by_agency").fetchall()[0][0]))
    both = on(places["duckdb"], lambda con: con.execute(
        "SELECT count(*) FROM spend_line WHERE agency_id = 'bradford-council'").fetchall()[0][0])
    assert seen[0][0] == seen[0][1] and seen[1] == (both, both) and 0 < seen[0][0] < both


class CountingSpark:
    """A Spark session that counts the statements it is asked to run."""

    def __init__(self, spark) -> None:
        self.spark = spark
        self.statements = 0

    def sql(self, *args, **kwargs):
        self.statements += 1
        return self.spark.sql(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.spark, name)


def test_a_question_asked_again_is_answered_without_spark_while_its_tables_are_unchanged(places):
    """A report asks the same questions many times; each cost a Spark job. A query of stored tables is answered
    again from its last answer, on any connection; one reading a temporary table is always asked. (A table
    written again is asked afresh: test_a_table_written_again_is_read_again asks the same count after a load.)"""
    workspace = places["spark"]
    spark = CountingSpark(workspace_session(workspace))
    years = "SELECT DISTINCT fiscal_year FROM topdown_line ORDER BY 1"
    with closing(SparkStore(spark, workspace.parquet_store)) as first, \
            closing(SparkStore(spark, workspace.parquet_store)) as second:
        asked = first.execute(years).fetchall()
        before = spark.statements
        assert second.execute(years).fetchall() == asked == on(places["duckdb"], lambda con: con.execute(years).fetchall())
        assert second.execute(years + " DESC").fetchall() == asked[::-1]
        assert spark.statements == before + 1  # only the new question went to Spark
        first.execute("CREATE OR REPLACE TEMP TABLE newest AS SELECT max(fiscal_year) AS year FROM topdown_line")
        before = spark.statements
        assert first.execute("SELECT year FROM newest").fetchall() == first.execute("SELECT year FROM newest").fetchall() \
            == [asked[-1]]
        assert spark.statements == before + 2


def test_spark_refuses_a_statement_that_writes_with_a_clear_error(places):
    with pytest.raises(SparkEngineError, match="DELETE .*publish to the Parquet store"):
        on(places["spark"], lambda con: con.execute("DELETE FROM spend_line"))


def test_importing_a_folder_that_is_not_a_store_says_so(places, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a Parquet store"):
        import_store(places["duckdb"], tmp_path / "empty")


def test_a_query_spark_cannot_run_is_one_clear_error(places):
    with pytest.raises(SparkEngineError, match=r"the Spark engine could not run a query .*began: SELECT no_such_column"):
        on(places["spark"], lambda con: con.execute("SELECT no_such_column FROM spend_line"))
