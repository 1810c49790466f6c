"""Suppression that holds across every cohort output: no suppressed value can be read from another table,
worked out by subtraction between cumulative rows, or recovered from a table's total."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from contextlib import closing
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st
from support.properties import examples

from totalplace.deepdive import cohort_report as figures
from totalplace.deepdive import cohorts
from totalplace.deepdive.disclosure import Disclosure
from totalplace.workspace import open_workspace

KEY = b"disclosure-test-key-0123456789abc"
THRESHOLD = 5

# Twelve people in seven households (council and DWP files name them); the council sees two people,
# H7 (P12) is the cheapest household, and a second year holds two people only.
HOUSEHOLD = {"P01": "H1", "P02": "H1", "P03": "H2", "P04": "H2", "P05": "H3", "P06": "H3", "P07": "H4",
             "P08": "H5", "P09": "H5", "P10": "H6", "P11": "H6", "P12": "H7"}
EVENTS = {  # agency -> (person, date, service, kind, cost)
    "council": [("P01", "2023-05-01", "Residential care week", "payment", "3000.17"),
                ("P03", "2023-06-01", "Care Act assessment", "assessment", "2400.29")],
    "nhs": [("P01", "2023-05-02", "GP appointment", "appointment", "120.11"),
            ("P02", "2023-05-02", "GP appointment", "appointment", "95.37"),
            ("P03", "2023-05-02", "Mental health assessment", "assessment", "210.53"),
            ("P04", "2023-05-02", "GP appointment", "appointment", "80.19"),
            ("P05", "2023-05-02", "GP appointment", "appointment", "140.41"),
            ("P06", "2023-05-02", "GP appointment", "appointment", "60.23"),
            ("P07", "2023-05-02", "GP appointment", "appointment", "133.37"),
            ("P01", "2022-06-01", "GP appointment", "appointment", "55.55")],
    "dwp": [(p, "2023-07-01", "Universal Credit payment", "benefit", f"{400 + 61 * i}.{(13 * i + 7) % 100:02d}")
            for i, p in enumerate(HOUSEHOLD) if p != "P12"]
           + [("P12", "2023-07-01", "Jobcentre appointment", "appointment", "100.13"),
              ("P08", "2023-08-01", "Work capability assessment", "assessment", "203.39"),
              ("P05", "2022-08-01", "Universal Credit payment", "benefit", "66.67")],
    "police": [(p, "2023-09-01", "Call for service", "contact", f"{90 + 7 * i}.{(29 * i + 3) % 100:02d}")
               for i, p in enumerate(("P02", "P05", "P08", "P10", "P11", "P12"))]
              + [("P05", "2023-09-02", "Vulnerability assessment", "assessment", "150.77")],
}
WITH_HOUSEHOLD = {"council", "dwp"}


def _load(make_workspace, threshold: int):
    ws = make_workspace()
    with ws.config_path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n[privacy]\nsuppress_below = {threshold}\n")
    ws = open_workspace(ws.root)
    for agency, events in EVENTS.items():
        folder = ws.root / "cohort" / agency
        folder.mkdir(parents=True)
        header = "person id," + ("household id," if agency in WITH_HOUSEHOLD else "") + "date,service,kind,cost\n"
        lines = [f"{p}," + (f"{HOUSEHOLD[p]}," if agency in WITH_HOUSEHOLD else "") + f"{d},{s},{k},{c}\n"
                 for p, d, s, k, c in events]
        (folder / "events.csv").write_text(header + "".join(lines), encoding="utf-8")
    cohorts.load(ws, KEY)
    return ws


@pytest.fixture(scope="module")
def cohort(make_workspace):
    """The same cohort, published at the default threshold, and a copy at 1 that shows every figure."""
    return _load(make_workspace, THRESHOLD), _load(make_workspace, 1)


def _published(ws) -> list:
    with closing(figures.open_cohort(ws)) as con:
        return figures.publish(con, ws).tables()


def _unit_costs() -> dict[str, list[Decimal]]:
    """Each person's and each household's cost in each scope, worked out here from the events."""
    costs: dict[tuple, Decimal] = defaultdict(Decimal)
    for events in EVENTS.values():
        for person, day, _service, _kind, cost in events:
            year = "2023-24" if day >= "2023-04-01" else "2022-23"
            for scope in (year, "all"):
                costs[(scope, "person", person)] += Decimal(cost)
                costs[(scope, "household", HOUSEHOLD[person])] += Decimal(cost)
    found: dict[str, list[Decimal]] = defaultdict(list)
    for (scope, unit, _who), cost in costs.items():
        found[f"{scope} {unit}"].append(cost)
    return found


# ---- the leaks the issue found ---------------------------------------------------------------------------

def test_top_does_not_give_the_cost_of_an_agency_that_by_agency_suppresses(cohort):
    """`cohort by-agency` suppressed the council (2 people) but `cohort top` printed its cost, and the NHS's."""
    ws, open_ws = cohort
    with closing(figures.open_cohort(ws)) as con:
        by_agency = {r[0]: r for r in figures.by_agency(con, ws, "2023-24").rows}
        top = figures.top_cohort(con, ws, "2023-24")
    with closing(figures.open_cohort(open_ws)) as con:
        true_cost = {r[0]: r[3] for r in figures.by_agency(con, open_ws, "2023-24").rows}
    hidden = [a for a, row in by_agency.items() if row[3] == figures.WITHHELD]
    assert "council" in hidden and len(hidden) >= 2
    shown = {cell for row in top.rows for cell in row if isinstance(cell, Decimal)}
    assert not shown & {true_cost[a] for a in hidden}
    for row in top.rows:
        if row[0] in hidden:
            assert row[4] == figures.WITHHELD


def test_cumulative_rows_never_differ_by_fewer_than_the_threshold(cohort):
    """'Top 75%' was 6 households and '100%' 7, so one household's cost came out by subtraction."""
    ws, _ = cohort
    with closing(figures.open_cohort(ws)) as con:
        for year, unit in itertools.product(("2023-24", "all"), ("household", "person")):
            table = figures.concentration_table(con, ws, year, unit)
            shown = sorted(r[1] for r in table.rows if isinstance(r[2], Decimal))
            gaps = [b - a for a, b in zip([0] + shown, shown) if b != a]
            assert all(g >= THRESHOLD for g in gaps), (year, unit, shown)


# ---- every output searched -------------------------------------------------------------------------------

POUNDS = re.compile(r"£([\d,]+(?:\.\d\d)?)")


def _money_and_pounds(tables) -> tuple[set[Decimal], set[int]]:
    money = {cell for t in tables for row in t.rows for cell in row if isinstance(cell, Decimal)}
    pounds = {round(Decimal(m.replace(",", ""))) for t in tables for note in t.notes for m in POUNDS.findall(note)}
    return money, pounds


def _withheld_cells(tables, open_tables) -> list[tuple[str, str, object]]:
    """(table, column, true value) of every cell the published table withholds."""
    found = []
    for published, shown in zip(tables, open_tables):
        assert published.columns == shown.columns and len(published.rows) == len(shown.rows)
        for row, true_row in zip(published.rows, shown.rows):
            for column, cell, truth in zip(published.columns, row, true_row):
                if cell != truth and (cell == figures.WITHHELD or (isinstance(cell, str) and cell.startswith("<"))):
                    found.append((published.title, column, truth))
    return found


def test_no_output_gives_a_suppressed_value_directly_by_subtraction_or_from_a_total(cohort):
    ws, open_ws = cohort
    tables, open_tables = _published(ws), _published(open_ws)
    money, pounds = _money_and_pounds(tables)
    differences = {a - b for a in money for b in money}
    withheld = _withheld_cells(tables, open_tables)
    assert any(column == "cost" for _t, column, _v in withheld)  # the fixture does suppress money
    for title, column, truth in withheld:
        if isinstance(truth, Decimal):
            assert truth not in money and truth not in differences, (title, column, truth)
            assert round(truth) not in pounds or truth == 0, (title, column, truth)
    # A count withheld cannot be recovered from its own column, in the tables whose rows share out all the
    # people: the column's total (known from a row shown with its share of people) less the others shown.
    for published, shown in zip(tables, open_tables):
        if "share of people" not in published.columns:
            continue
        share = published.columns.index("share of people")
        total_known = any(isinstance(p[share], float) and p[share] > 0 for p in published.rows)
        for c, column in enumerate(published.columns):
            hidden = [t[c] for p, t in zip(published.rows, shown.rows) if p[c] != t[c] and isinstance(t[c], int)]
            if total_known and len(hidden) == 1 and hidden[0] > 0:
                pytest.fail(f"{published.title}, {column}: one count withheld, recoverable from the column's total")


def test_no_output_gives_one_persons_or_one_households_cost(cohort):
    """Not one unit's cost, shown or by subtraction, except a median (the middle unit's cost by definition)."""
    ws, _ = cohort
    tables = _published(ws)
    medians = {cell for t in tables for row in t.rows for c, cell in zip(t.columns, row) if "median" in c}
    money, _ = _money_and_pounds(tables)
    derivable = money | {a - b for a in money for b in money}
    for scope, costs in _unit_costs().items():
        leaked = [c for c in costs if c in derivable and c not in medians]
        assert not leaked, (scope, leaked)


def test_the_report_and_every_command_show_the_same_published_tables(cohort):
    ws, _ = cohort
    published = {t.title: t.rows for t in _published(ws)}
    [section] = figures.report_sections(ws)
    for table in section.tables + [c.table for c in section.charts]:
        assert published[table.title] == table.rows, table.title
    with closing(figures.open_cohort(ws)) as con:
        for make in (figures.top_cohort, figures.by_agency, figures.cost_bands, figures.agency_contact):
            table = make(con, ws, "2023-24")
            assert published[table.title] == table.rows


# ---- the engine: no sensitive cell is determined by the relations, checked independently ----------------

def _determined(relations: list[dict], unknown: list) -> set:
    """Unknowns fixed by the relations (each a dict cell -> coefficient, summing to a known value), found by
    exact Gaussian elimination in fractions."""
    rows = [[Fraction(r.get(u, 0)) for u in unknown] for r in relations if any(u in r for u in unknown)]
    pivots, matrix = [], []
    for row in rows:
        for pivot_col, pivot_row in zip(pivots, matrix):
            if row[pivot_col]:
                factor = row[pivot_col] / pivot_row[pivot_col]
                row = [a - factor * b for a, b in zip(row, pivot_row)]
        col = next((i for i, v in enumerate(row) if v), None)
        if col is None:
            continue
        for k, (pc, pr) in enumerate(zip(pivots, matrix)):
            if pr[col]:
                factor = pr[col] / row[col]
                matrix[k] = [a - factor * b for a, b in zip(pr, row)]
        pivots.append(col)
        matrix.append(row)
    return {unknown[col] for col, row in zip(pivots, matrix) if sum(1 for v in row if v) == 1}


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=2, max_size=4), min_size=2, max_size=5),
       st.integers(2, 6))
def test_a_table_with_its_margins_never_gives_a_small_cell_away(counts, threshold):
    """A two-way table (rows x columns) with row, column and grand totals, as by agency x top cohort."""
    width = min(len(r) for r in counts)
    counts = [r[:width] for r in counts]
    plan = Disclosure(threshold)
    relations = []
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            plan.add(("cell", i, j), n)
        plan.add(("row", i), sum(row))
        plan.relate(("row", i), [("cell", i, j) for j in range(width)])
        relations.append({("row", i): 1, **{("cell", i, j): -1 for j in range(width)}})
    for j in range(width):
        plan.add(("col", j), sum(r[j] for r in counts), tier=2)
        plan.relate(("col", j), [("cell", i, j) for i in range(len(counts))])
        relations.append({("col", j): 1, **{("cell", i, j): -1 for i in range(len(counts))}})
    plan.add("total", sum(map(sum, counts)), tier=3)
    plan.relate("total", [("row", i) for i in range(len(counts))])
    relations.append({"total": 1, **{("row", i): -1 for i in range(len(counts))}})
    withheld = plan.withheld()
    units = {("cell", i, j): n for i, r in enumerate(counts) for j, n in enumerate(r)}
    units |= {("row", i): sum(r) for i, r in enumerate(counts)}
    units |= {("col", j): sum(r[j] for r in counts) for j in range(width)} | {"total": sum(map(sum, counts))}
    small = {k for k, n in units.items() if 0 < n < threshold}
    assert small <= withheld
    unknown = sorted(withheld, key=str)
    assert not (_determined(relations, unknown) & small)


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=12), st.integers(2, 6))
def test_a_chain_of_cumulative_rows_never_gives_a_small_difference_away(steps, threshold):
    """Cumulative counts at cuts (a concentration table): every published pair is at least threshold apart."""
    cuts = list(itertools.accumulate(steps))
    plan = Disclosure(threshold)
    for r in cuts:
        plan.add(("cum", r), r, tier=3 if r == cuts[-1] else 1)
    plan.chain([("cum", r) for r in cuts], cuts)
    shown = [r for r in cuts if ("cum", r) not in plan.withheld()]
    assert all(b - a >= threshold for a, b in zip([0] + shown, shown))
