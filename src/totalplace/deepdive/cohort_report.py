"""The cohort's figures: cost per person and household, concentration, multi-agency contact,
repeat assessments and the high-cost cohort by agency; every count under the threshold suppressed.

Each function returns a `Table` ready to print or put in the report (the CLI
and the report show exactly these). Suppression: a count of people or
households from 1 to threshold-1 is shown as '<5' (for the default threshold)
and the money and shares of that row are withheld; when a table's rows add up
to a total the reader can see and only one row was suppressed, the next
smallest row is withheld too, so the hidden one cannot be found by subtraction.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from totalplace.deepdive.cohorts import COHORT_DIR
from totalplace.deepdive.synthetic import is_synthetic
from totalplace.errors import InputError
from totalplace.count.reconcile import nearest_year
from totalplace.display import ROUNDED
from totalplace.report.section import ASSESSMENTS, Chart, Finding, Section, year_line
from totalplace.report.tables import Table
from totalplace.store.connection import connect, fetch_one, has_table
from totalplace.workspace import CohortSettings, Workspace

WITHHELD = "suppressed"
CURVE_PERCENTS = (1, 2, 3, 5, 10, 20, 30, 50, 75, 100)
COST_BANDS = ((0, "under £1,000"), (1_000, "£1,000 to £4,999"), (5_000, "£5,000 to £19,999"),
              (20_000, "£20,000 to £49,999"), (50_000, "£50,000 and over"))
ASSESSMENT_BANDS = ((1, "once"), (2, "twice"), (3, "3 to 4 times"), (5, "5 to 9 times"), (10, "10 or more times"))
AGENCY_BANDS = ((1, "1 agency"), (2, "2 agencies"), (3, "3 agencies"), (4, "4 agencies"), (5, "5 or more agencies"))


def settings(workspace: Workspace) -> CohortSettings:
    return workspace.settings.cohort or CohortSettings()


# ---- suppression -------------------------------------------------------------------------------

def suppress_count(count: int, threshold: int) -> int | str:
    """A count as it may be published: 0 and counts at or over the threshold as they are, others '<t'."""
    return f"<{threshold}" if 0 < count < threshold else count


def suppress_rows(rows: list[list], count_column: int, dependent: list[int], threshold: int,
                  complementary: bool = True) -> list[list]:
    """Suppress small counts in rows (and the money and shares that go with them).

    With `complementary`, a lone suppressed row takes the next smallest row with it.
    """
    small = [i for i, row in enumerate(rows) if 0 < row[count_column] < threshold]
    if complementary and len(small) == 1:
        others = [i for i, row in enumerate(rows) if row[count_column] >= threshold]
        if others:
            small.append(min(others, key=lambda i: rows[i][count_column]))
    published = [list(row) for row in rows]
    for i in small:
        count = rows[i][count_column]
        published[i][count_column] = suppress_count(count, threshold) if count < threshold else WITHHELD
        for column in dependent:
            published[i][column] = WITHHELD
    return published


def suppression_note(threshold: int) -> str:
    return (f"Counts of people or households under {threshold} are shown as <{threshold} and their money withheld "
            f"(suppress_below in the privacy section of totalplace.toml); a lone small row takes the next smallest with it.")


# ---- scope ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """Which fiscal year the figures are for (None: all years together)."""
    fiscal_year: str | None

    @property
    def where(self) -> str:
        return "true" if self.fiscal_year is None else f"fiscal_year = '{self.fiscal_year}'"

    @property
    def label(self) -> str:
        return self.fiscal_year or "all years"


def open_cohort(workspace: Workspace) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a store with a loaded cohort, or one clear error."""
    if not workspace.store_path.exists():
        raise InputError("no cohort is loaded: run `totalplace cohort load` first")
    con = connect(workspace, read_only=True)
    if not has_table(con, "cohort_event") or fetch_one(con, "SELECT count(*) FROM cohort_event")[0] == 0:
        con.close()
        raise InputError("no cohort is loaded: put event files in cohort/<agency>/ and run `totalplace cohort load`")
    return con


def scope(con: duckdb.DuckDBPyConnection, year: str | None) -> Scope:
    """The year asked for; the latest year loaded by default; 'all' for all years together."""
    if year == "all":
        return Scope(None)
    years = [r[0] for r in con.execute("SELECT DISTINCT fiscal_year FROM cohort_person_agency ORDER BY 1").fetchall()]
    if year is None:
        return Scope(years[-1])
    if year not in years:
        raise InputError(f"no cohort events in {year!r}; years loaded: {', '.join(years)} (or 'all')")
    return Scope(year)


def title(workspace: Workspace, text: str) -> str:
    """A table title, saying so when the cohort is synthetic."""
    prefix = "SYNTHETIC cohort: " if is_synthetic(workspace.root / COHORT_DIR) else ""
    return f"{prefix}{text}"


def _share(part, whole) -> float:
    return float(part / whole) if whole else 0.0


# ---- cost per person and household -------------------------------------------------------------

def summary(con, workspace: Workspace, year: str | None) -> Table:
    """People, households, events and cost per person and per household, each year (or the year asked)."""
    t = workspace.suppress_below
    where = "true" if year in (None, "all") else f"fiscal_year = '{scope(con, year).fiscal_year}'"
    # Means and medians are divided here, in exact decimals: the engines' own avg and median
    # round differently (DuckDB's median truncates to pence, Spark's is a double), and the
    # figures must agree to the penny on either engine.
    rows = con.execute(f"""
        WITH people AS (
            SELECT fiscal_year, person, any_value(household_key) AS household_key, sum(cost) AS cost,
                   sum(events) AS events
            FROM cohort_person_agency WHERE {where} GROUP BY fiscal_year, person),
        households AS (SELECT fiscal_year, household_key, sum(cost) AS cost FROM people GROUP BY ALL),
        per_year AS (
            SELECT fiscal_year, count(*) AS people, sum(events) AS events, sum(cost) AS cost FROM people GROUP BY ALL),
        household_count AS (SELECT fiscal_year, count(*) AS households FROM households GROUP BY ALL),
        agencies AS (SELECT fiscal_year, count(DISTINCT agency_id) AS agencies FROM cohort_person_agency GROUP BY ALL),
        {_middle_sql("person_middle", "people")},
        {_middle_sql("household_middle", "households")}
        SELECT y.fiscal_year, y.people, h.households, y.events, g.agencies, y.cost,
               p.middle_sum, p.middle_count, m.middle_sum, m.middle_count
        FROM per_year y JOIN household_count h USING (fiscal_year) JOIN agencies g USING (fiscal_year)
        JOIN person_middle p USING (fiscal_year) JOIN household_middle m USING (fiscal_year)
        ORDER BY y.fiscal_year""").fetchall()
    body = [[year, people, households, events, agencies, cost,
             *(_pence(_quotient(a, b)) for a, b in ((cost, people), (p_sum, p_count), (cost, households), (h_sum, h_count)))]
            for year, people, households, events, agencies, cost, p_sum, p_count, h_sum, h_count in rows]
    published = [_suppress_year(row, t) for row in body]
    return Table(title(workspace, "Cost per person and per household, all agencies, by year"),
                 ["year", "people", "households", "events", "agencies", "cost", "mean per person",
                  "median per person", "mean per household", "median per household"],
                 published, [suppression_note(t)])


def _middle_sql(name: str, units: str) -> str:
    """SQL for a CTE `name`: per year, the sum and number of the middle one or two costs of `units`
    (their quotient is the median): rank r of n is in the middle when n <= 2r <= n + 2."""
    return f"""{name} AS (
            SELECT fiscal_year, sum(cost) AS middle_sum, count(*) AS middle_count FROM (
                SELECT fiscal_year, cost, row_number() OVER (PARTITION BY fiscal_year ORDER BY cost) AS r,
                       count(*) OVER (PARTITION BY fiscal_year) AS n FROM {units})
            WHERE 2 * r BETWEEN n AND n + 2 GROUP BY fiscal_year)"""


def _suppress_year(row: list, threshold: int) -> list:
    """A year with too few people or households shows neither them nor their money."""
    if 0 < min(row[1], row[2]) < threshold:
        return [row[0], suppress_count(row[1], threshold), suppress_count(row[2], threshold), WITHHELD,
                row[4]] + [WITHHELD] * 5
    return row


def _quotient(total: Decimal | None, count: int) -> Decimal | None:
    return None if total is None else Decimal(total) / count


def _pence(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def cost_bands(con, workspace: Workspace, year: str | None) -> Table:
    """People by their cost to all agencies together in the year: how few cost how much."""
    s, t = scope(con, year), workspace.suppress_below
    band = "CASE " + " ".join(f"WHEN cost >= {low} THEN {i}" for i, (low, _) in reversed(list(enumerate(COST_BANDS)))) + " END"
    counts = dict((b, (n, c)) for b, n, c in con.execute(f"""
        SELECT {band} AS band, count(*), sum(cost) FROM (
            SELECT person, sum(cost) AS cost FROM cohort_person_agency WHERE {s.where} GROUP BY person)
        GROUP BY band""").fetchall())
    return _band_table(workspace, f"People by their cost to all agencies, {s.label}", "cost per person",
                       COST_BANDS, counts, t)


def _band_table(workspace: Workspace, text: str, band_name: str, bands, counts: dict, threshold: int,
                notes: list[str] | None = None) -> Table:
    people = sum(n for n, _ in counts.values())
    cost = sum((c for _, c in counts.values()), Decimal(0))
    rows = [[label, n, _share(n, people), c, _share(c, cost)]
            for i, (_, label) in enumerate(bands) for n, c in [counts.get(i, (0, Decimal(0)))]]
    return Table(title(workspace, text), [band_name, "people", "share of people", "cost", "share of cost"],
                 suppress_rows(rows, 1, [2, 3, 4], threshold), (notes or []) + [suppression_note(threshold)])


def by_agency(con, workspace: Workspace, year: str | None) -> Table:
    """Each agency's people in contact, events and cost, and its cost per person in contact."""
    s, t = scope(con, year), workspace.suppress_below
    rows = con.execute(f"""
        SELECT agency_id, count(DISTINCT person), sum(events), sum(cost), sum(cost) / count(DISTINCT person)
        FROM cohort_person_agency WHERE {s.where} GROUP BY agency_id ORDER BY sum(cost) DESC""").fetchall()
    total = sum((r[3] for r in rows), Decimal(0))
    body = [[a, n, e, c, _pence(per), _share(c, total)] for a, n, e, c, per in rows]
    return Table(title(workspace, f"Cost by agency, {s.label}"),
                 ["agency", "people in contact", "events", "cost", "cost per person in contact", "share of cost"],
                 suppress_rows(body, 1, [2, 3, 4, 5], t), [suppression_note(t)])


# ---- concentration ------------------------------------------------------------------------------

@dataclass
class CurvePoint:
    percent: float   # the top percent of households (or people), ranked by cost
    units: int
    cost: Decimal
    share: float     # of all cost


@dataclass
class Concentration:
    unit: str        # household | person
    scope: Scope
    units: int
    total: Decimal
    points: list[CurvePoint]  # every whole percent 1..100, and the top cohort's percent


def concentration(con, year: str | None, unit: str = "household", top_percent: float = 5.0) -> Concentration:
    """The share of all cost spent on the top x% of households (or people), for x = 1..100 and top_percent."""
    if unit not in ("household", "person"):
        raise InputError(f"--unit must be household or person, not {unit!r}")
    s = scope(con, year)
    key = "household_key" if unit == "household" else "person"
    percents = sorted(set(range(1, 101)) | {top_percent})
    # Totals apart and the curve's ranks joined, not every unit tried against every percent: the window
    # then only streams (no whole-table frame to hold), which is what lets 10 million households run on Spark.
    rows = con.execute(f"""
        WITH costs AS (
            SELECT {key} AS unit, sum(cost) AS cost FROM cohort_person_agency WHERE {s.where} GROUP BY 1),
        totals AS (SELECT count(*) AS n, sum(cost) AS total FROM costs),
        targets AS (
            SELECT p, greatest(1, CAST(ceil(n * p / 100.0) AS BIGINT)) AS rank
            FROM totals, (SELECT unnest({percents}::DOUBLE[]) AS p)),
        ranked AS (
            SELECT row_number() OVER (ORDER BY cost DESC, unit) AS rank,
                   sum(cost) OVER (ORDER BY cost DESC, unit ROWS UNBOUNDED PRECEDING) AS running
            FROM costs)
        SELECT p, rank, running, total, n FROM targets JOIN ranked USING (rank), totals ORDER BY p""").fetchall()
    points = [CurvePoint(float(p), rank, running, _share(running, total)) for p, rank, running, total, _ in rows]
    return Concentration(unit, s, rows[0][4], rows[0][3], points)


def concentration_table(con, workspace: Workspace, year: str | None, unit: str = "household") -> Table:
    """'The top x% of households account for y% of cost', at the usual x."""
    cfg = settings(workspace)
    curve = concentration(con, year, unit, cfg.top_percent)
    t = workspace.suppress_below
    rows = [[f"top {p.percent:g}%", p.units, p.cost, p.share] for p in curve.points if p.percent in CURVE_PERCENTS]
    published = suppress_rows(rows, 1, [2, 3], t, complementary=False)  # cumulative rows: no differencing of one
    return Table(title(workspace, f"Concentration of cost by {unit}, {curve.scope.label}"),
                 [f"{unit}s ranked by cost", f"{unit}s", "cost", "share of all cost"], published,
                 [headline(curve, cfg.top_percent, t), suppression_note(t)])


def headline(curve: Concentration, top_percent: float, threshold: int) -> str:
    point = _point_at(curve, top_percent)
    if point.units < threshold:
        return f"The top {top_percent:g}% of {curve.unit}s are fewer than {threshold}: not published."
    return (f"The top {top_percent:g}% of {curve.unit}s ({point.units:,} of {curve.units:,}) account for "
            f"{point.share:.0%} of the cost ({_money(point.cost)} of {_money(curve.total)}), {curve.scope.label}.")


def _point_at(curve: Concentration, percent: float) -> CurvePoint:
    """The curve's point for the top `percent` (the top k units, k = ceil(n * percent / 100))."""
    return next(p for p in curve.points if p.percent == percent)


def _money(value: Decimal) -> str:
    return f"£{value:,.0f}"


def concentration_svg(curve: Concentration, threshold: int, synthetic: bool) -> str:
    """The curve as an SVG line chart (published points only)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    shown = [p for p in curve.points if p.units >= threshold]
    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    axes.plot([0] + [p.percent for p in shown], [0] + [p.share * 100 for p in shown], color="#1d70b8")
    axes.plot([0, 100], [0, 100], linestyle="--", color="#b1b4b6", label="equal shares")
    axes.set_xlabel(f"top % of {curve.unit}s, ranked by cost")
    axes.set_ylabel("% of all cost")
    axes.set_xlim(0, 100)
    axes.set_ylim(0, 100)
    axes.set_title(("SYNTHETIC: " if synthetic else "") + f"Concentration of cost, {curve.scope.label}")
    axes.legend(loc="lower right")
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    return buffer.getvalue()


# ---- multi-agency contact, repeat assessments, top cohort ----------------------------------------

def agency_contact(con, workspace: Workspace, year: str | None) -> Table:
    """People by how many agencies they were in contact with; the 3-or-more group called out."""
    s, t = scope(con, year), workspace.suppress_below
    counts = dict((b, (n, c)) for b, n, c in con.execute(f"""
        SELECT least(agencies, 5) - 1, count(*), sum(cost) FROM (
            SELECT person, count(DISTINCT agency_id) AS agencies, sum(cost) AS cost
            FROM cohort_person_agency WHERE {s.where} GROUP BY person) GROUP BY 1""").fetchall())
    people = sum(n for n, _ in counts.values())
    cost = sum((c for _, c in counts.values()), Decimal(0))
    many = [counts.get(i, (0, Decimal(0))) for i in range(2, 5)]
    n3, c3 = sum(n for n, _ in many), sum((c for _, c in many), Decimal(0))
    note = (f"People in contact with 3 or more agencies: {n3:,} ({_share(n3, people):.1%} of people), "
            f"costing {_money(c3)} ({_share(c3, cost):.1%} of all cost)." if n3 == 0 or n3 >= t
            else f"People in contact with 3 or more agencies: <{t} (suppressed).")
    return _band_table(workspace, f"People by the number of agencies in contact, {s.label}", "agencies",
                       AGENCY_BANDS, counts, t, [note])


def assessments(con, workspace: Workspace, year: str | None) -> Table:
    """Repeat assessments: people by how often they were assessed, across all agencies."""
    s, t = scope(con, year), workspace.suppress_below
    per_person = f"""SELECT person, sum(assessments) AS n, count(DISTINCT agency_id) AS agencies,
                            sum(assessment_cost) AS cost
                     FROM cohort_person_agency WHERE {s.where} AND assessments > 0 GROUP BY person"""
    band = "CASE " + " ".join(f"WHEN n >= {low} THEN {i}" for i, (low, _) in reversed(list(enumerate(ASSESSMENT_BANDS)))) + " END"
    counts = dict((b, (n, c)) for b, n, c in con.execute(
        f"SELECT {band}, count(*), sum(cost) FROM ({per_person}) GROUP BY 1").fetchall())
    several = fetch_one(con, f"SELECT count(*) FILTER (WHERE agencies >= 2) FROM ({per_person})")[0]
    most = fetch_one(con, f"SELECT n FROM ({per_person}) ORDER BY n DESC LIMIT 1 OFFSET {t - 1}")
    notes = [
        f"People assessed by 2 or more agencies in the same period (duplicate assessments): "
        f"{suppress_count(several, t)}.",
        f"At least {t} people were each assessed {most[0]} or more times." if most else
        f"Fewer than {t} people were assessed: no maximum published.",
        "An assessment is an event of kind 'assessment' (or, with no kind, a service whose name says assess).",
    ]
    return _band_table(workspace, f"Repeat assessments: people by number of assessments, {s.label}",
                       "assessments", ASSESSMENT_BANDS, counts, t, notes)


def assessments_by_service(con, workspace: Workspace, year: str | None) -> Table:
    """Each agency's assessments: how many, of how many people, and how many were assessed again."""
    s, t = scope(con, year), workspace.suppress_below
    rows = con.execute(f"""
        SELECT agency_id, service, sum(n), count(*), count(*) FILTER (WHERE n >= 2) FROM (
            SELECT agency_id, service, person, sum(assessments) AS n FROM cohort_assessment
            WHERE {s.where} GROUP BY ALL)
        GROUP BY ALL ORDER BY 3 DESC""").fetchall()
    body = [[a, svc, total, people, suppress_count(again, t), (Decimal(total) / people).quantize(Decimal("0.01"))]
            for a, svc, total, people, again in rows]
    return Table(title(workspace, f"Assessments by agency and service, {s.label}"),
                 ["agency", "service", "assessments", "people assessed", "people assessed 2+ times",
                  "assessments per person"],
                 suppress_rows(body, 3, [2, 4, 5], t, complementary=False), [suppression_note(t)])


def top_cohort(con, workspace: Workspace, year: str | None) -> Table:
    """The cost of the top x% of households (by cost to all agencies), agency by agency."""
    s, cfg = scope(con, year), settings(workspace)
    t = workspace.suppress_below
    rows = con.execute(f"""
        WITH scoped AS (SELECT * FROM cohort_person_agency WHERE {s.where}),
        households AS (
            SELECT household_key, sum(cost) AS cost,
                   row_number() OVER (ORDER BY sum(cost) DESC, household_key) AS rank, count(*) OVER () AS n
            FROM scoped GROUP BY household_key),
        top AS (SELECT household_key FROM households WHERE rank <= greatest(1, ceil(n * {cfg.top_percent} / 100.0)))
        SELECT agency_id, count(DISTINCT person) FILTER (WHERE top.household_key IS NOT NULL),
               coalesce(sum(cost) FILTER (WHERE top.household_key IS NOT NULL), 0), sum(cost)
        FROM scoped LEFT JOIN top USING (household_key) GROUP BY agency_id ORDER BY 3 DESC""").fetchall()
    top_cost = sum((r[2] for r in rows), Decimal(0))
    body = [[a, n, c, _share(c, top_cost), total, _share(c, total)] for a, n, c, total in rows]
    size = fetch_one(con, f"""
        SELECT greatest(1, CAST(ceil(count(DISTINCT household_key) * {cfg.top_percent} / 100.0) AS BIGINT)),
               count(DISTINCT household_key)
        FROM cohort_person_agency WHERE {s.where}""")
    curve_note = (f"The top {cfg.top_percent:g}% of households: {suppress_count(size[0], t)} of {size[1]:,} "
                  f"households, costing {_money(top_cost) if size[0] >= t else WITHHELD} in all.")
    return Table(title(workspace, f"Cost of the top {cfg.top_percent:g}% of households by agency, {s.label}"),
                 ["agency", "people of the top cohort in contact", "cost of the top cohort",
                  "share of the top cohort's cost", "agency's cost for everyone", "share of the agency's cost"],
                 suppress_rows(body, 1, [2, 3, 5], t) if size[0] >= t else
                 [[a, WITHHELD, WITHHELD, WITHHELD, total, WITHHELD] for a, _, _, _, total, _ in body],
                 [curve_note, suppression_note(t)])


def files_table(con, workspace: Workspace) -> Table:
    """Event files loaded, with rows and cost read = loaded + rejected."""
    from totalplace.deepdive.cohorts import balances

    return Table(title(workspace, "Cohort event files"),
                 ["file", "agency", "rows read", "loaded", "rejected", "blank", "cost read", "cost loaded",
                  "cost rejected"], [list(r) for r in balances(con)])


# ---- the place report ----------------------------------------------------------------------------

def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    """The high-cost cohort section of the place report (none when no cohort is loaded)."""
    try:
        con = open_cohort(workspace)
    except InputError:
        return []
    try:
        return [_section(con, workspace, year)]
    finally:
        con.close()


def _section(con, workspace: Workspace, wanted: str | None) -> Section:
    cfg = settings(workspace)
    synthetic = is_synthetic(workspace.root / COHORT_DIR)
    loaded = [r[0] for r in con.execute("SELECT DISTINCT fiscal_year FROM cohort_person_agency ORDER BY 1").fetchall()]
    year = nearest_year(wanted, loaded) if wanted else scope(con, None).fiscal_year
    curve = concentration(con, year, top_percent=cfg.top_percent)
    table = concentration_table(con, workspace, year)
    paragraphs = [headline(curve, cfg.top_percent, workspace.suppress_below)]
    if synthetic:
        paragraphs.insert(0, "This cohort is SYNTHETIC: made-up people generated for the demonstration "
                             "(`totalplace cohort synth`); no real person is described and costs are illustrative.")
    paragraphs.append(agency_contact(con, workspace, year).notes[0])
    repeated = Finding(ASSESSMENTS, ("SYNTHETIC cohort, " if synthetic else "Cohort, ") + f"{year}: "
                       + assessments(con, workspace, year).notes[0])
    paragraphs.append(repeated.text)
    section = Section(
        id="cohort", title=title(workspace, "High-cost people and families"), paragraphs=paragraphs,
        charts=[Chart(table.title, concentration_svg(curve, workspace.suppress_below, synthetic), table)],
        tables=[by_agency(con, workspace, year), agency_contact(con, workspace, year),
                assessments(con, workspace, year)],
        appendix=[summary(con, workspace, "all"), cost_bands(con, workspace, year),
                  assessments_by_service(con, workspace, year), top_cohort(con, workspace, year)],
        year=year_line("Cohort figures", year, wanted, "the cohort"), findings=[repeated],
        provenance=[
            f"Cohort: person-level events from {fetch_one(con, 'SELECT count(*) FROM cohort_file')[0]} files "
            f"under {COHORT_DIR}/, identifiers pseudonymised with HMAC-SHA256 as they were read; "
            f"linked across agencies by pseudonym; counts under {workspace.suppress_below} suppressed."
            + (" SYNTHETIC data." if synthetic else ""),
        ],
    )
    for each in section.all_tables():
        each.precision = ROUNDED  # costs are modelled from unit costs: read rounded, exact in the downloads
    return section
