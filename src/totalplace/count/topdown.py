"""The top-down count: the Treasury's regional spending brought down to a place by a driver.

Each identifiable CRA line of a region is shared among all of the region's
local authorities in proportion to a driver (people over 65 for pensions,
children for education, people of working age for working-age benefits,
population for the rest: `rules/topdown_drivers.csv`). The shares are whole
pennies, found by the largest-remainder method, so the authorities of a
region always add back to the region's line to the penny. A place is any set
of authorities; its figure is the sum of their shares. Spending the Treasury
cannot attribute to a region (defence, debt interest) is not counted, and the
count says how much per head that leaves out. A year, spender or function the
loaded releases have no line for is reported as missing, never as zero.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from totalplace import display, reference
from totalplace.classify import control
from totalplace.count.drivers import DriverSet, DriverUse, driver_set
from totalplace.errors import InputError, one_of
from totalplace.ingest import cra, cra_files
from totalplace.money import per_head
from totalplace.store.connection import StoreConnection, fetch_aggregate, fetch_one, has_table, transaction
from totalplace.workspace import Workspace

MONEY = "DECIMAL(38,2)"
TABLES = f"""
CREATE TABLE IF NOT EXISTS topdown_release (
    release VARCHAR, path VARCHAR, sha256 VARCHAR, layout VARCHAR, unit VARCHAR,
    years VARCHAR[], lines_read BIGINT, loaded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS topdown_year (fiscal_year VARCHAR, release VARCHAR, not_used VARCHAR[]);
CREATE TABLE IF NOT EXISTS topdown_normalisation (
    release VARCHAR, field VARCHAR, raw VARCHAR, normalised VARCHAR, rows BIGINT, reason VARCHAR
);
CREATE TABLE IF NOT EXISTS topdown_line (
    line_id BIGINT, release VARCHAR, sha256 VARCHAR, row_number BIGINT, fiscal_year VARCHAR,
    department VARCHAR, department_code VARCHAR, organisation VARCHAR, programme_code VARCHAR, programme VARCHAR,
    cofog VARCHAR, cofog_name VARCHAR, cofog_group VARCHAR, hmt_function VARCHAR, sub_function VARCHAR,
    identifiable BOOLEAN, cap_cur VARCHAR, spender VARCHAR, region VARCHAR, amount {MONEY}
);
CREATE TABLE IF NOT EXISTS count_figure (
    place VARCHAR, areas VARCHAR[], fiscal_year VARCHAR, count VARCHAR, direction VARCHAR,
    agency_or_department VARCHAR, cofog VARCHAR, function VARCHAR, control_level VARCHAR,
    amount {MONEY}, method VARCHAR, driver VARCHAR, source VARCHAR, confidence VARCHAR, agreed_by VARCHAR
);
"""
CACHE_DIR = Path("store") / "cache"
SHIPPED_RULES = (control.RULE_FILE, control.LEVEL_FILE, "topdown_drivers.csv", "counterparts.csv")
DIMENSIONS = {
    "control": "a.control_level",
    "department": "l.department",
    "function": "l.hmt_function",
    "cofog": "l.cofog",
    "sub_function": "coalesce(l.sub_function, l.hmt_function)",
    "spender": "l.spender",
    "driver": "a.driver",
    "area": "s.area",
    "year": "l.fiscal_year",
}


def create_tables(con: StoreConnection) -> None:
    """The top-down tables, created once; a read-only reader of a store that has them creates nothing."""
    if not _has_tables(con):
        con.execute(TABLES)


def _has_tables(con: StoreConnection) -> bool:
    return has_table(con, "topdown_line")


def has_lines(con: StoreConnection) -> bool:
    """Whether a CRA is loaded (works on a read-only store that never had one)."""
    return _has_tables(con) and bool(fetch_aggregate(con, "SELECT count(*) FROM topdown_line")[0])


# --- loading ---------------------------------------------------------------------------------

@dataclass
class LoadResult:
    releases: list[cra.Release]
    choices: list[cra.YearChoice]
    lines: int


def ensure_rules(workspace: Workspace) -> None:
    """Copy the shipped top-down rule tables into the workspace's rules/, once, for the analyst to edit."""
    for name in SHIPPED_RULES:
        target = workspace.root / "rules" / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(str(reference.data_path(name)), target)


def read_releases(workspace: Workspace, paths: list[Path],
                  progress: Callable[[Path], None] | None = None) -> list[cra.Release]:
    releases = []
    for path in paths:
        if progress:
            progress(path)
        releases.append(cra.cached_release(path, workspace.root / CACHE_DIR))
    return releases


def load(con: duckdb.DuckDBPyConnection, workspace: Workspace, new_files: list[Path] | None = None,
         progress: Callable[[Path], None] | None = None) -> LoadResult:
    """Read the workspace's CRA workbooks into the store, each year from the newest release covering it."""
    ensure_rules(workspace)
    read_releases(workspace, new_files or [], progress)  # a workbook that cannot be read is refused, not copied in
    paths, placed = cra_files.workbook_paths(workspace, new_files)
    try:
        releases = read_releases(workspace, paths, progress)  # the new ones from the cache just made
    except BaseException:
        cra_files.remove(placed)
        raise
    choices = cra.choose_years(releases)
    create_tables(con)
    with transaction(con):
        for table in ("topdown_release", "topdown_year", "topdown_normalisation", "topdown_line"):
            con.execute(f"DELETE FROM {table}")
        _store_releases(con, workspace, releases, choices)
    lines = fetch_aggregate(con, "SELECT count(*) FROM topdown_line")[0]
    return LoadResult(releases, choices, lines)


def _store_releases(con: duckdb.DuckDBPyConnection, workspace: Workspace, releases: list[cra.Release],
                    choices: list[cra.YearChoice]) -> None:
    chosen = pa.table({"release": [c.release for c in choices], "fiscal_year": [c.fiscal_year for c in choices]})
    con.register("chosen_year", chosen)
    for index, release in enumerate(releases):
        con.register("release_lines", release.lines)
        # line ids: release, workbook row and year column stay stable while the files do
        con.execute(
            f"""INSERT INTO topdown_line SELECT
                    {index + 1} * 10000000000 + r.row_number * 100 + CAST(substr(r.fiscal_year, 3, 2) AS INTEGER),
                    r.release, r.sha256, r.row_number, r.fiscal_year, r.department, r.department_code,
                    r.organisation, r.programme_code, r.programme, r.cofog, r.cofog_name, r.cofog_group,
                    r.hmt_function, r.sub_function, r.identifiable, r.cap_cur, r.spender, r.region, r.amount
                FROM release_lines r JOIN chosen_year c USING (release, fiscal_year)""")
        con.unregister("release_lines")
        con.execute("INSERT INTO topdown_release VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                    [release.name, workspace.relative(release.path), release.sha256, release.layout,
                     release.unit, release.years, release.lines.num_rows])
        con.executemany("INSERT INTO topdown_normalisation VALUES (?, ?, ?, ?, ?, ?)",
                        [[n.release, n.field, n.raw, n.normalised, n.rows, n.reason] for n in release.notes])
    con.unregister("chosen_year")
    con.executemany("INSERT INTO topdown_year VALUES (?, ?, ?)",
                    [[c.fiscal_year, c.release, list(c.not_used)] for c in choices])


@dataclass(frozen=True)
class Normalisation:
    """Every value the CRA reader changed (as written, what it became, on how many rows, why), and the release
    each year is read from with the newer releases of it not used."""
    changes: list[tuple[str, str, str, str, int, str]]  # release, field, as written, normalised, rows, why
    years: list[tuple[str, str, list[str]]]            # fiscal year, release used, releases not used


def normalisation(con: StoreConnection) -> Normalisation:
    require_loaded(con)
    changes = con.execute("SELECT release, field, raw, normalised, rows, reason FROM topdown_normalisation "
                          "ORDER BY release, field, raw").fetchall()
    years = con.execute("SELECT fiscal_year, release, not_used FROM topdown_year ORDER BY 1").fetchall()
    return Normalisation(changes, years)


def require_loaded(con: StoreConnection) -> list[str]:
    """The years loaded, or one clear error saying how to load the CRA."""
    years = [r[0] for r in con.execute("SELECT DISTINCT fiscal_year FROM topdown_line ORDER BY 1").fetchall()] \
        if _has_tables(con) else []
    if not years:
        raise InputError("no CRA loaded in this workspace: run `totalplace topdown load FILE.xlsx ...` first")
    return years


# --- areas -----------------------------------------------------------------------------------

ENGLAND = "England"


def resolve_areas(specs: list[str]) -> list[str]:
    """ONS codes, region names (every authority in it), 'England' or 'Wales', as a list of ONS codes."""
    codes: list[str] = []
    by_region: dict[str, list[str]] = {}
    for area in reference.areas().values():
        by_region.setdefault(area.region.casefold(), []).append(area.code)
    for spec in specs:
        key = spec.strip().casefold()
        if key == ENGLAND.casefold():
            codes += [c for c in reference.areas() if c.startswith("E")]
        elif key in by_region:
            codes += by_region[key]
        else:
            codes.append(reference.area(spec).code)
    return sorted(set(codes))


def regions_of(areas: list[str]) -> list[str]:
    return sorted({reference.area(code).region for code in areas})


# --- which driver and which control level each line gets -------------------------------------

def assign_lines(con: StoreConnection, rules: list[control.ControlRule], drivers: DriverSet,
                 into: str = "topdown_assign") -> None:
    """A temporary table (topdown_assign unless named): each line's driver, control level and the rules that
    said so.

    Only the lines of the driver set's regions and years are placed.
    """
    place_line = control.placer(rules)
    # each distinct description of a line gets a number, so placing is done once per description
    con.execute(
        """CREATE OR REPLACE TEMP TABLE topdown_key AS
           SELECT line_id, dense_rank() OVER (ORDER BY spender, department, organisation, programme, cofog_key,
                                                        function_key, region, fiscal_year) AS key_id,
                  spender, department, organisation, programme, cofog_key, function_key, region, fiscal_year
           FROM (SELECT *, coalesce(cofog_group, cofog) AS cofog_key,
                        concat_ws(' / ', hmt_function, sub_function) AS function_key FROM topdown_line)
           WHERE identifiable AND region IN (SELECT unnest(?)) AND fiscal_year IN (SELECT unnest(?))""",
        [drivers.regions, drivers.years])
    keys = con.execute("""SELECT key_id, any_value(spender), any_value(department), any_value(organisation),
                                 any_value(programme), any_value(cofog_key), any_value(function_key),
                                 any_value(region), any_value(fiscal_year)
                          FROM topdown_key GROUP BY key_id""").fetchall()
    rows: dict[str, list] = {name: [] for name in ("key_id", "driver", "driver_rule", "control_level",
                                                   "council_spends", "control_rule")}
    for key_id, *key in keys:  # which rules match a description is remembered (classify.rules.matcher)
        line_key = control.LineKey(*key[:7])
        placed = place_line(line_key)
        driver, driver_rule = drivers.driver_for(line_key, key[7])
        rows["key_id"].append(key_id)
        rows["driver"].append(driver)
        rows["driver_rule"].append(driver_rule)
        rows["control_level"].append(placed.control_level)
        rows["council_spends"].append(placed.council_spends)
        rows["control_rule"].append(placed.rule_id)
    con.register("assign_keys", pa.table(rows, schema=pa.schema([
        ("key_id", pa.int64()), ("driver", pa.string()), ("driver_rule", pa.string()),
        ("control_level", pa.string()), ("council_spends", pa.bool_()), ("control_rule", pa.string())])))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {into} AS
           SELECT k.line_id, a.driver, a.driver_rule, a.control_level, a.council_spends, a.control_rule
           FROM topdown_key k JOIN assign_keys a USING (key_id)""")
    con.unregister("assign_keys")


# --- apportionment ---------------------------------------------------------------------------

def apportion(con: StoreConnection, workspace: Workspace | None, areas: list[str],
              years: list[str] | None = None) -> DriverSet:
    """A temporary table topdown_share(line_id, area, amount): the areas' shares of their regions' lines.

    Every authority of each region touched gets its share (so the largest
    remainders are ranked over the whole region), then only the asked-for
    areas are kept. Shares are in whole pennies and add up to the line.
    """
    loaded = require_loaded(con)
    years = years or loaded
    regions = regions_of(areas)
    drivers = driver_set(workspace, regions, years)
    rules = control.read_rules(workspace)
    question = _share_question(con, areas, rules, drivers)
    if _shares_answer(con, question):
        return drivers
    con.execute(f"DROP TABLE IF EXISTS {SHARE_QUESTION}")  # until the new shares are whole, they answer nothing
    drivers.install(con)
    assign_lines(con, rules, drivers)
    con.register("wanted_area", pa.table({"area": areas}))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE topdown_share AS
            WITH line AS (
                SELECT l.line_id, l.fiscal_year, l.region, a.driver,
                       CAST(abs(l.amount) * 100 AS HUGEINT) AS pennies, sign(l.amount) AS direction
                FROM topdown_line l JOIN topdown_assign a USING (line_id)
                WHERE l.region IN (SELECT unnest(?)) AND l.fiscal_year IN (SELECT unnest(?))
                  AND l.amount <> 0  -- a zero line gives every area nothing
            ), region_weight AS (
                SELECT driver, region, fiscal_year, sum(weight) AS total_weight FROM driver_value GROUP BY ALL
            ), weighted AS (
                SELECT line.line_id, d.area, line.pennies, line.direction,
                       line.pennies * d.weight AS numerator, r.total_weight
                FROM line
                JOIN region_weight r USING (driver, region, fiscal_year)
                JOIN driver_value d USING (driver, region, fiscal_year)
            ), floored AS (
                SELECT *, numerator // total_weight AS base, numerator % total_weight AS remainder
                FROM weighted
            ), ranked AS (
                SELECT *, pennies - sum(base) OVER (PARTITION BY line_id) AS leftover,
                       row_number() OVER (PARTITION BY line_id ORDER BY remainder DESC, area) AS place_in_line
                FROM floored
            )
            SELECT line_id, area,
                   CAST(CAST(direction * (base + CASE WHEN place_in_line <= leftover THEN 1 ELSE 0 END)
                             AS DECIMAL(38, 0)) * 0.01 AS {MONEY}) AS amount
            FROM ranked WHERE area IN (SELECT area FROM wanted_area)""",
        [regions, years])
    con.unregister("wanted_area")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {SHARE_QUESTION} AS SELECT ? AS question", [question])
    return drivers


# A report asks for one year's shares many times (headline, breakdown, flows, local say): the connection keeps
# the question its topdown_share answers, and the lines are placed and shared again only for another one.
SHARE_QUESTION = "topdown_share_question"


def _share_question(con: StoreConnection, areas: list[str], rules: list[control.ControlRule],
                    drivers: DriverSet) -> str:
    """A digest of all that makes the shares: the areas and years, the control and driver rules, every district's
    weight, and the releases loaded (each load stamps its releases anew)."""
    releases = con.execute("SELECT release, sha256, loaded_at FROM topdown_release ORDER BY 1, 2, 3").fetchall()
    asked = (areas, drivers.years, rules, drivers.rules, drivers.weights, releases)
    return hashlib.sha256(repr(asked).encode()).hexdigest()


def _shares_answer(con: StoreConnection, question: str) -> bool:
    """Whether this connection's topdown_share (and topdown_assign) already answer the question."""
    return has_table(con, SHARE_QUESTION) and fetch_one(con, f"SELECT question FROM {SHARE_QUESTION}") == (question,)


# --- the count -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TopdownRow:
    key: str
    label: str
    amount: Decimal
    per_head: Decimal | None
    share: float


@dataclass(frozen=True)
class Missing:
    """A part of the count the loaded releases have no line for: reported in words, never as zero."""
    fiscal_year: str
    region: str
    spender: str
    cofog: str | None   # a COFOG division, or None for the whole spender
    words: str


@dataclass
class TopdownCount:
    areas: list[str]
    fiscal_year: str
    by: str
    rows: list[TopdownRow]
    total: Decimal
    population: int
    population_method: str
    not_identifiable_per_head: Decimal | None
    drivers: list[DriverUse]
    release: str = ""
    missing: list[Missing] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def per_head(self) -> Decimal | None:
        return per_head(self.total, self.population)

    def provenance(self) -> list[str]:
        """Where the figure comes from: release, drivers (data year, source, confidence), population."""
        lines = [f"CRA figures for {self.fiscal_year}: {display.release_name(self.release)}."]
        lines += [f"Driver {d.name}: {d.source} ({d.year}); confidence {d.confidence}." for d in self.drivers]
        lines.append(f"Population: {self.population:,} ({self.population_method}).")
        return lines


@dataclass(frozen=True)
class LocalSay:
    """How much of the count the place has a say over, as the workspace's scale of control defines it."""
    share: float
    nhs_share: float
    council_discretion_share: float
    definition: str


def local_say(result: TopdownCount, workspace: Workspace | None) -> LocalSay:
    """The local-say share of a count by control level, with the local NHS beside it and the definition."""
    if result.by != "control":
        raise ValueError("local say needs a count by level of control")
    inside = control.local_say_levels(workspace)
    share = {r.key: r.share for r in result.rows}
    return LocalSay(sum(share.get(k, 0.0) for k in inside), share.get("nhs", 0.0),
                    share.get("council_discretion", 0.0), control.local_say_definition(workspace))


def choose_year(con: StoreConnection, year: str | None) -> str:
    years = require_loaded(con)
    if year is None:
        return years[-1]
    if year not in years:
        raise InputError(f"no CRA figures for {year!r}; years loaded: {', '.join(years)}")
    return year


def dimension(by: str) -> str:
    return DIMENSIONS[one_of(by, DIMENSIONS, "count by")]


def release_of(con: StoreConnection, fiscal_year: str) -> str:
    """The release a year's figures come from (the newest one covering it)."""
    found = fetch_one(con, "SELECT release FROM topdown_year WHERE fiscal_year = ?", [fiscal_year])
    return found[0] if found else ""


def count(con: StoreConnection, workspace: Workspace | None, areas: list[str],
          year: str | None = None, by: str = "control") -> TopdownCount:
    """The areas' top-down count for one year, grouped by a dimension, with £ per head."""
    fiscal_year = choose_year(con, year)
    drivers = apportion(con, workspace, areas, [fiscal_year])
    grouped = con.execute(
        f"""SELECT {dimension(by)} AS key, sum(s.amount)
            FROM topdown_share s JOIN topdown_line l USING (line_id) JOIN topdown_assign a USING (line_id)
            GROUP BY 1 ORDER BY 2 DESC, 1""").fetchall()
    population, method = drivers.population(areas, fiscal_year)
    total = sum((r[1] for r in grouped), Decimal(0))
    labels = {k: v.label for k, v in control.read_levels(workspace).items()} if by == "control" else {}
    order = list(control.LEVELS) if by == "control" else [r[0] for r in grouped]
    rows = sorted(
        (TopdownRow(key, labels.get(key, key), amount, per_head(amount, population),
                    float(amount / total) if total else 0.0) for key, amount in grouped),
        key=lambda r: order.index(r.key))
    used = [r[0] for r in con.execute("SELECT DISTINCT a.driver FROM topdown_share s JOIN topdown_assign a "
                                      "USING (line_id) ORDER BY 1").fetchall()]
    return TopdownCount(areas, fiscal_year, by, rows, total, population, method,
                        not_identifiable_per_head(con, fiscal_year), [drivers.use(d, fiscal_year, areas) for d in used],
                        release_of(con, fiscal_year), missing_lines(con, regions_of(areas), [fiscal_year]))


def missing_lines(con: StoreConnection, regions: list[str], years: list[str]) -> list[Missing]:
    """What the loaded releases have no figure for, in the regions and years asked for.

    A spender (central government, local government, public corporations) of a
    region is missing in a year when it has no non-zero line that year but has
    some in another loaded year; so is a COFOG division of local government.
    """
    rows = con.execute(
        """WITH present AS (
               SELECT DISTINCT fiscal_year, region, spender, cofog FROM topdown_line
               WHERE identifiable AND amount <> 0 AND region IN (SELECT unnest(?))),
           expected AS (
               SELECT DISTINCT region, spender, NULL AS cofog FROM present
               UNION SELECT DISTINCT region, spender, cofog FROM present WHERE spender = 'LG'),
           asked AS (SELECT unnest(?) AS fiscal_year)
           SELECT y.fiscal_year, e.region, e.spender, e.cofog FROM asked y CROSS JOIN expected e
           WHERE NOT EXISTS (SELECT 1 FROM present p WHERE p.fiscal_year = y.fiscal_year AND p.region = e.region
                             AND p.spender = e.spender AND (e.cofog IS NULL OR p.cofog = e.cofog))
           ORDER BY ALL""", [regions, years]).fetchall()
    whole = {(y, r, sp) for y, r, sp, c in rows if c is None}
    releases = dict(con.execute("SELECT fiscal_year, release FROM topdown_year").fetchall())
    return [Missing(y, r, sp, c, _missing_words(y, r, sp, c, releases.get(y, "no release")))
            for y, r, sp, c in rows if c is None or (y, r, sp) not in whole]


SPENDER_NAMES = {"CG": "Central government", "LG": "Local government", "PC": "Public corporations",
                 "BOE": "Bank of England"}


def _missing_words(year: str, region: str, spender: str, cofog: str | None, release: str) -> str:
    what = SPENDER_NAMES.get(spender, spender)
    if cofog is not None:
        from totalplace.classify.rules import cofog_codes
        what += f", {cofog_codes().get(cofog, cofog)} (COFOG {cofog})"
    return (f"{what} in {region}: no CRA figure for {year} in the loaded releases ({release} covers the year "
            f"but has none): missing, not zero")


def flows(con: StoreConnection, workspace: Workspace | None, areas: list[str],
          year: str | None = None, keep: int = 8) -> list[tuple[str, str, str, Decimal]]:
    """Money from funder (department) to who spends it (level of control) to function, for a flow diagram.

    The `keep` largest departments and functions are named; the rest are
    grouped as 'Other departments' and 'Other functions', so nothing is dropped.
    """
    fiscal_year = choose_year(con, year)
    apportion(con, workspace, areas, [fiscal_year])
    rows = con.execute(
        f"""WITH spent AS (
                SELECT l.department, a.control_level, l.hmt_function AS function, sum(s.amount) AS amount
                FROM topdown_share s JOIN topdown_line l USING (line_id) JOIN topdown_assign a USING (line_id)
                GROUP BY ALL),
            top_department AS (SELECT department FROM spent GROUP BY 1 ORDER BY sum(amount) DESC LIMIT {int(keep)}),
            top_function AS (SELECT function FROM spent GROUP BY 1 ORDER BY sum(amount) DESC LIMIT {int(keep)})
            SELECT CASE WHEN department IN (SELECT * FROM top_department) THEN department
                        ELSE 'Other departments' END,
                   control_level,
                   CASE WHEN function IN (SELECT * FROM top_function) THEN function ELSE 'Other functions' END,
                   sum(amount)
            FROM spent GROUP BY ALL ORDER BY 4 DESC""").fetchall()
    labels = {k: v.label for k, v in control.read_levels(workspace).items()}
    return [(department, labels[level], function, amount) for department, level, function, amount in rows]


def not_identifiable_per_head(con: StoreConnection, fiscal_year: str) -> Decimal | None:
    """UK spending with no region (defence, debt interest...) per head of Great Britain: not counted.

    The shipped population estimates cover England, Wales and Scotland, not Northern Ireland.
    """
    amount = fetch_aggregate(con, "SELECT sum(amount) FROM topdown_line WHERE fiscal_year = ? "
                            "AND (NOT identifiable OR region = 'Not identifiable')", [fiscal_year])[0]
    return per_head(amount, great_britain_population(fiscal_year)) if amount is not None else None


NOT_IDENTIFIABLE_PEOPLE = "Great Britain (the shipped ONS mid-year estimates have no Northern Ireland figure)"


def great_britain_population(fiscal_year: str) -> int:
    with reference.data_path("great_britain_population.csv").open(encoding="utf-8", newline="") as handle:
        found = {r["fiscal_year"]: int(r["population"]) for r in csv.DictReader(handle)}
    if fiscal_year not in found:
        raise InputError(f"no population of Great Britain for {fiscal_year} (the shipped table covers "
                         f"{min(found)} to {max(found)})")
    return found[fiscal_year]


def region_totals(con: StoreConnection, fiscal_year: str | None = None) -> dict[tuple[str, str], Decimal]:
    """Identifiable spending by (region, year), straight from the CRA lines."""
    where, params = ("AND fiscal_year = ?", [fiscal_year]) if fiscal_year else ("", [])
    rows = con.execute(f"SELECT region, fiscal_year, sum(amount) FROM topdown_line WHERE identifiable {where} "
                       "GROUP BY 1, 2", params).fetchall()
    return {(r, y): a for r, y, a in rows}
