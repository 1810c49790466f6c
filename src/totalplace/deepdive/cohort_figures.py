"""The cohort's figures as the store gives them, before any suppression.

`prepare` reads the rows `link` writes (a row per person, year and agency) once
for a scope, into two temporary tables: a row per person and a row per
household. The figures read those (or, by agency, the rows themselves) with SQL
that runs on either engine, and return exact decimals. `cohort_report` decides
what of this may be published and formats it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from math import ceil

from totalplace.errors import InputError
from totalplace.store.connection import StoreConnection, fetch_aggregate, fetch_one

CURVE_PERCENTS = (1, 2, 3, 5, 10, 20, 30, 50, 75, 100)
COST_BANDS = ((0, "under £1,000"), (1_000, "£1,000 to £4,999"), (5_000, "£5,000 to £19,999"),
              (20_000, "£20,000 to £49,999"), (50_000, "£50,000 and over"))
ASSESSMENT_BANDS = ((1, "once"), (2, "twice"), (3, "3 to 4 times"), (5, "5 to 9 times"), (10, "10 or more times"))
AGENCY_BANDS = ((1, "1 agency"), (2, "2 agencies"), (3, "3 agencies"), (4, "4 agencies"), (5, "5 or more agencies"))
# What a unit's cost is counted as: everything, the cost of services, or payments to people (benefits).
MEASURES = {"all": "cost", "services": "cost - payments", "payments": "payments"}
MEASURE_NAMES = {"all": "cost", "services": "cost of services", "payments": "payments to people"}
PEOPLE, HOUSEHOLDS = "cohort_scope_person", "cohort_scope_household"  # the temporary tables `prepare` writes
UNITS = {"household": ("household_key", HOUSEHOLDS), "person": ("person", PEOPLE)}


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


def years(con: StoreConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT fiscal_year FROM cohort_person_agency ORDER BY 1").fetchall()]


def scope(con: StoreConnection, year: str | None) -> Scope:
    return scope_of(years(con), year)


def scope_of(loaded: list[str], year: str | None) -> Scope:
    """The year asked for among those loaded; the latest by default; 'all' for all years together."""
    if year == "all":
        return Scope(None)
    if year is None:
        return Scope(loaded[-1])
    if year not in loaded:
        raise InputError(f"no cohort events in {year!r}; years loaded: {', '.join(loaded)} (or 'all')")
    return Scope(year)


def check_measure(measure: str) -> str:
    return _choice("--measure", measure, MEASURES)


def check_unit(unit: str) -> str:
    return _choice("--unit", unit, UNITS)


def _choice(option: str, value: str, choices: dict) -> str:
    if value not in choices:
        raise InputError(f"{option} must be one of {', '.join(choices)}, not {value!r}")
    return value


# ---- totals ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    people: int
    households: int
    events: int
    agencies: int
    cost: Decimal
    payments: Decimal
    households_paid: int    # households with any payment to a person
    households_served: int  # households with any cost of services

    @property
    def services(self) -> Decimal:
        return self.cost - self.payments


def prepare(con: StoreConnection, s: Scope) -> None:
    """Each person's and each household's figures in the scope, as the temporary tables the figures read
    (until the next scope is prepared on the connection)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {PEOPLE} AS
        SELECT person, any_value(household_key) AS household_key, sum(cost) AS cost, sum(benefit_cost) AS payments,
               sum(events) AS events, count(DISTINCT agency_id) AS agencies, sum(assessments) AS assessments,
               count(DISTINCT CASE WHEN assessments > 0 THEN agency_id END) AS assessing_agencies,
               sum(assessment_cost) AS assessment_cost
        FROM cohort_person_agency WHERE {s.where} GROUP BY person""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {HOUSEHOLDS} AS
        SELECT household_key, count(*) AS people, sum(events) AS events, sum(cost) AS cost, sum(payments) AS payments
        FROM {PEOPLE} GROUP BY household_key""")


def totals(con: StoreConnection, s: Scope) -> Totals:
    row = fetch_aggregate(con, f"""
        SELECT sum(people), count(*), sum(events),
               (SELECT count(DISTINCT agency_id) FROM cohort_person_agency WHERE {s.where}), sum(cost), sum(payments),
               sum(CASE WHEN payments <> 0 THEN 1 ELSE 0 END), sum(CASE WHEN cost - payments <> 0 THEN 1 ELSE 0 END)
        FROM {HOUSEHOLDS}""")
    people, households, events, agencies, cost, payments, paid, served = row
    return Totals(int(people), int(households), int(events), int(agencies), cost, payments, int(paid), int(served))


# ---- rankings: cumulative cost of the top units -----------------------------------------------------------

@dataclass(frozen=True)
class Ranking:
    """Units (households or people) ranked by a measure, most first, with the running total at some positions."""
    scope: Scope
    unit: str
    measure: str
    units: int                      # how many units are ranked
    positive: int                   # how many carry a value above 0 (they come first)
    negative: int                   # how many carry one below 0 (they come last)
    cumulative: dict[int, Decimal]  # position r -> the value of the top r units
    at_least: dict[int, int]        # a money edge -> how many units carry at least that much

    @property
    def total(self) -> Decimal:
        return self.cumulative[self.units]

    def position(self, percent: float) -> int:
        """The top `percent` of units: the first ceil(n * percent / 100) of them, at least one."""
        return max(1, ceil(self.units * percent / 100 - 1e-9))

    def middle(self) -> tuple[int, int]:
        """The positions of the middle unit (or two)."""
        return (self.units + 1) // 2, self.units // 2 + 1

    def between(self, low: int, high: int) -> Decimal:
        """The value of the units in positions low+1..high."""
        return self.cumulative[high] - self.cumulative.get(low, Decimal(0)) if high else Decimal(0)

    def carrying(self, low: int, high: int) -> int:
        """How many units in positions low+1..high carry a value (not 0)."""
        above = max(0, min(high, self.positive) - low)
        below = max(0, high - max(low, self.units - self.negative))
        return above + below


def ranking(con: StoreConnection, s: Scope, unit: str, measure: str, percents: tuple[float, ...],
            edges: tuple[int, ...] = (), middle: bool = False) -> Ranking:
    """The running total at each percent of units, at each money edge (units with at least that much),
    and around the middle unit(s) if asked; every position a table or a median needs."""
    (key, table), value = UNITS[check_unit(unit)], MEASURES[check_measure(measure)]
    ranked = f"SELECT {key} AS unit, {value} AS value FROM {table}"
    counted = ", ".join([f"sum(CASE WHEN value >= {e} THEN 1 ELSE 0 END)" for e in edges] or ["0"])
    n, positive, negative, *reaching = fetch_aggregate(con, f"""
        SELECT count(*), sum(CASE WHEN value > 0 THEN 1 ELSE 0 END), sum(CASE WHEN value < 0 THEN 1 ELSE 0 END),
               {counted} FROM ({ranked})""")
    at_least = {e: int(r) for e, r in zip(edges, reaching)}
    shape = Ranking(s, unit, measure, int(n), int(positive), int(negative), {}, at_least)
    wanted = {shape.position(p) for p in percents} | set(at_least.values()) | {shape.units}
    if middle:
        low, high = shape.middle()
        wanted |= {low - 1, high}
    wanted.discard(0)
    # The running total over the ranking streams (no whole-table frame to hold), which is what lets
    # 10 million households run on Spark; only the positions asked for come back.
    rows = con.execute(f"""
        SELECT rank, running FROM (
            SELECT row_number() OVER (ORDER BY value DESC, unit) AS rank,
                   sum(value) OVER (ORDER BY value DESC, unit ROWS UNBOUNDED PRECEDING) AS running
            FROM ({ranked}))
        WHERE rank IN ({', '.join(str(r) for r in sorted(wanted))})""").fetchall()
    return Ranking(s, unit, measure, shape.units, shape.positive, shape.negative,
                   {int(r): running for r, running in rows}, at_least)


# ---- the rest of the outputs --------------------------------------------------------------------------

@dataclass(frozen=True)
class AgencyCost:
    agency_id: str
    people: int
    events: int
    cost: Decimal
    payments: Decimal
    people_paid: int
    people_served: int
    households: int

    @property
    def services(self) -> Decimal:
        return self.cost - self.payments


def agencies(con: StoreConnection, s: Scope) -> list[AgencyCost]:
    rows = con.execute(f"""
        SELECT agency_id, count(DISTINCT person), sum(events), sum(cost), sum(benefit_cost),
               count(DISTINCT CASE WHEN benefit_cost <> 0 THEN person END),
               count(DISTINCT CASE WHEN cost - benefit_cost <> 0 THEN person END), count(DISTINCT household_key)
        FROM cohort_person_agency WHERE {s.where} GROUP BY agency_id ORDER BY sum(cost) DESC, agency_id""").fetchall()
    return [AgencyCost(a, int(n), int(e), c, p, int(paid), int(served), int(h)) for a, n, e, c, p, paid, served, h in rows]


@dataclass(frozen=True)
class TopShare:
    agency_id: str
    people: int      # people of the top households in contact with the agency
    households: int  # top households in contact with it
    cost: Decimal    # the agency's cost for them


def top_cohort(con: StoreConnection, s: Scope, size: int) -> list[TopShare]:
    """Each agency's people, households and cost among the `size` households that cost most."""
    rows = con.execute(f"""
        WITH scoped AS (SELECT * FROM cohort_person_agency WHERE {s.where}),
        ranked AS (
            SELECT household_key, row_number() OVER (ORDER BY cost DESC, household_key) AS rank FROM {HOUSEHOLDS}),
        top AS (SELECT household_key FROM ranked WHERE rank <= {int(size)})
        SELECT agency_id, count(DISTINCT CASE WHEN top.household_key IS NOT NULL THEN person END),
               count(DISTINCT top.household_key),
               coalesce(sum(CASE WHEN top.household_key IS NOT NULL THEN cost END), 0)
        FROM scoped LEFT JOIN top USING (household_key) GROUP BY agency_id ORDER BY agency_id""").fetchall()
    return [TopShare(a, int(n), int(h), c) for a, n, h, c in rows]


def _band_case(column: str, bands: tuple) -> str:
    return "CASE " + " ".join(f"WHEN {column} >= {low} THEN {i}" for i, (low, _) in reversed(list(enumerate(bands)))) + " END"


def contact(con: StoreConnection) -> dict[int, tuple[int, Decimal]]:
    """People by how many agencies they were in contact with (AGENCY_BANDS): band -> (people, cost)."""
    return {int(b): (int(n), c) for b, n, c in con.execute(
        f"SELECT least(agencies, 5) - 1, count(*), sum(cost) FROM {PEOPLE} GROUP BY 1").fetchall()}


@dataclass(frozen=True)
class Assessed:
    bands: dict[int, tuple[int, Decimal]]  # ASSESSMENT_BANDS -> (people, cost of their assessments)
    several_agencies: int                  # people assessed by 2 or more agencies
    nth_most: int | None                   # the threshold-th highest number of assessments of one person


def assessments(con: StoreConnection, threshold: int) -> Assessed:
    per_person = f"""SELECT person, assessments AS n, assessing_agencies AS agencies, assessment_cost AS cost
                     FROM {PEOPLE} WHERE assessments > 0"""
    bands = {int(b): (int(n), c) for b, n, c in con.execute(
        f"SELECT {_band_case('n', ASSESSMENT_BANDS)}, count(*), sum(cost) FROM ({per_person}) GROUP BY 1").fetchall()}
    several = fetch_aggregate(con, f"SELECT count(*) FILTER (WHERE agencies >= 2) FROM ({per_person})")[0]
    most = fetch_one(con, f"SELECT n FROM ({per_person}) ORDER BY n DESC LIMIT 1 OFFSET {threshold - 1}")
    return Assessed(bands, int(several), int(most[0]) if most else None)


@dataclass(frozen=True)
class ServiceAssessments:
    agency_id: str
    service: str
    assessments: int
    people: int
    again: int  # people assessed 2 or more times


def assessments_by_service(con: StoreConnection, s: Scope) -> list[ServiceAssessments]:
    rows = con.execute(f"""
        SELECT agency_id, service, sum(n), count(*), count(*) FILTER (WHERE n >= 2) FROM (
            SELECT agency_id, service, person, sum(assessments) AS n FROM cohort_assessment
            WHERE {s.where} GROUP BY ALL)
        GROUP BY ALL ORDER BY 3 DESC, 1, 2""").fetchall()
    return [ServiceAssessments(a, svc, int(total), int(n), int(again)) for a, svc, total, n, again in rows]


def cost_bands(ranked: Ranking) -> dict[int, tuple[int, int]]:
    """Each COST_BANDS band as positions (low, high] of a person ranking by all cost (edges asked for)."""
    upper = [ranked.units] + [ranked.at_least[low] for low, _ in COST_BANDS[1:]]
    return {i: (upper[i + 1] if i + 1 < len(upper) else 0, upper[i]) for i in range(len(COST_BANDS))}
