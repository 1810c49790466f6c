"""The cohort's outputs as they may be published: every table of a run suppressed together.

A run is every output the store's cohort gives, for every year loaded and for
all years together: cost per person and household, cost bands, cost by agency
(payments to people and the cost of services apart), concentration (by
household and by person, of all cost, of services and of payments), contact
with several agencies, repeat assessments, the top cohort by agency, and the
linkage of the files. Each figure is a cell of one `Disclosure` plan, with the
relations that tie it to the others (an agency's cost to the total, the top
cohort's cost to everyone's, a cumulative row to the next). A count of 1 to
threshold-1 is shown as '<5' (at the default threshold) with its money
withheld; further cells are withheld, across tables, until no withheld figure
can be read from another or worked out by subtraction. The CLI, the report and
the web all show these tables (`publish`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from totalplace.deepdive import cohort_figures as raw
from totalplace.deepdive.cohort_figures import (
    AGENCY_BANDS, ASSESSMENT_BANDS, COST_BANDS, CURVE_PERCENTS, MEASURE_NAMES, Ranking, Scope, scope, scope_of,
)
from totalplace.deepdive.cohorts import COHORT_DIR, Linkage, linkage
from totalplace.deepdive.disclosure import Disclosure
from totalplace.deepdive.synthetic import is_synthetic
from totalplace.errors import InputError
from totalplace.count.reconcile import nearest_year
from totalplace.display import ROUNDED
from totalplace.present.section import ASSESSMENTS, Chart, Finding, Section, year_line
from totalplace.present.tables import Table
from totalplace.store.connection import Store, connect, fetch_one, has_table
from totalplace.workspace import CohortSettings, Workspace

__all__ = ["AGENCY_BANDS", "ASSESSMENT_BANDS", "COST_BANDS", "CURVE_PERCENTS", "Scope", "scope"]

WITHHELD = "suppressed"
EVIDENCE_MEASURES = {"cost": "cost to all agencies", "services": "cost of services",
                     "payments": "payments to people", "top_cost": "cost of the top cohort of households",
                     "agency": "one agency's cost (agency=...)"}
PLURAL = {"household": "households", "person": "people"}
MEASURE_COLOURS = {"all": "#1d70b8", "services": "#00703c", "payments": "#d4351c"}


def settings(workspace: Workspace) -> CohortSettings:
    return workspace.settings.cohort or CohortSettings()


def suppress_count(count: int, threshold: int) -> int | str:
    """A count as it may be published: 0 and counts at or over the threshold as they are, others '<t'."""
    return f"<{threshold}" if 0 < count < threshold else count


def suppression_note(threshold: int) -> str:
    return (f"Counts of people or households under {threshold} are shown as <{threshold} and their money withheld "
            f"(suppress_below in the privacy section of totalplace.toml); further figures are withheld, across "
            f"every cohort table, wherever one could be worked out from the others.")


def open_cohort(workspace: Workspace) -> Store:
    """A read-only connection to a store with a loaded cohort, or one clear error."""
    if not workspace.store_path.exists():
        raise InputError("no cohort is loaded: run `totalplace cohort load` first")
    con = connect(workspace, read_only=True)
    if not has_table(con, "cohort_event") or fetch_one(con, "SELECT count(*) FROM cohort_event")[0] == 0:
        con.close()
        raise InputError("no cohort is loaded: put event files in cohort/<agency>/ and run `totalplace cohort load`")
    if isinstance(con, duckdb.DuckDBPyConnection) and not con.execute(
            "SELECT 1 FROM duckdb_columns() WHERE table_name = 'cohort_person_agency' "
            "AND column_name = 'benefit_cost'").fetchall():
        con.close()
        raise InputError("the cohort was linked before payments to people were told apart from services: "
                         "run `totalplace cohort load` again")
    return con


def title(workspace: Workspace, text: str) -> str:
    """A table title, saying so when the cohort is synthetic."""
    prefix = "SYNTHETIC cohort: " if is_synthetic(workspace.root / COHORT_DIR) else ""
    return f"{prefix}{text}"


def _share(part, whole) -> float:
    return float(part / whole) if whole else 0.0


def _pence(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _money(value: Decimal) -> str:
    return f"£{value:,.0f}"


class _ScopeFigures:
    """Every raw figure of one scope (a year, or all years together)."""

    def __init__(self, con: Store, s: Scope, threshold: int, top_percent: float, middle: bool) -> None:
        self.scope = s
        raw.prepare(con, s)
        self.totals = raw.totals(con, s)
        self.rankings: dict[tuple[str, str], Ranking] = {}
        for unit in raw.UNITS:
            for measure in raw.MEASURES:
                edges = tuple(low for low, _ in COST_BANDS[1:]) if (unit, measure) == ("person", "all") else ()
                self.rankings[(unit, measure)] = raw.ranking(con, s, unit, measure, CURVE_PERCENTS + (top_percent,),
                                                             edges, middle and measure == "all")
        self.top_size = self.rankings[("household", "all")].position(top_percent)
        self.agencies = raw.agencies(con, s)
        self.top = raw.top_cohort(con, s, self.top_size)
        self.contact = raw.contact(con)
        self.assessed = raw.assessments(con, threshold)
        self.by_service = raw.assessments_by_service(con, s)


class Publication:
    """Every cohort output of the store, with one decision on what is withheld from all of them."""

    def __init__(self, con: Store, workspace: Workspace) -> None:
        self.workspace = workspace
        self.threshold = workspace.suppress_below
        self.top_percent = settings(workspace).top_percent
        self.years = raw.years(con)
        self._figures = {year: _ScopeFigures(con, Scope(year), self.threshold, self.top_percent, True)
                         for year in self.years}
        if len(self.years) > 1:
            self._figures["all"] = _ScopeFigures(con, Scope(None), self.threshold, self.top_percent, False)
        self.linkage: Linkage = linkage(con)
        self.plan = Disclosure(self.threshold)
        for sid, figures in self._figures.items():
            self._plan_scope(sid, figures)
        self._plan_years()
        self._plan_linkage()
        # All years together repeat the years' figures: when one must go to protect another, those go first.
        self.plan.discount(lambda key: isinstance(key, tuple) and key[:1] == ("all",), 0.5)

    # ---- the plan: every figure a cell, with the relations between them ------------------------------

    def sid(self, year: str | None) -> str:
        """The key of a scope: a year, or 'all' (the one year itself when only one is loaded)."""
        s = scope_of(self.years, year)
        if s.fiscal_year is None:
            return "all" if len(self.years) > 1 else self.years[0]
        return s.fiscal_year

    def _cum(self, sid: str, ranked: Ranking, position: int):
        """The cell of the top `position` units of a ranking (None for none; the total for all of them)."""
        if position == 0:
            return None
        if position == ranked.units:
            return (sid, {"all": "total", "services": "services", "payments": "payments"}[ranked.measure])
        return (sid, "cum", ranked.unit, ranked.measure, position)

    def _plan_scope(self, sid: str, f: _ScopeFigures) -> None:
        p, totals = self.plan, f.totals
        total = p.add((sid, "total"), totals.households, tier=3, value=totals.cost)
        p.relate(total, [p.add((sid, "payments"), totals.households_paid, tier=3, value=totals.payments),
                         p.add((sid, "services"), totals.households_served, tier=3, value=totals.services)])
        for ranked in f.rankings.values():
            self._plan_ranking(sid, ranked)
        self._plan_agencies(sid, f)
        contact = [self._bands_cell((sid, "contact", i), f.contact, i) for i in range(len(AGENCY_BANDS))]
        p.relate(total, contact)
        p.relate(self._bands_cell((sid, "contact", "3+"), f.contact, 2, 3, 4, tier=2), contact[2:])
        p.relate(self._bands_cell((sid, "contact", "2+"), f.contact, 1, 2, 3, 4, tier=2), contact[1:])
        every = range(len(ASSESSMENT_BANDS))
        p.relate(self._bands_cell((sid, "assessed"), f.assessed.bands, *every, tier=3),
                 [self._bands_cell((sid, "assessed", i), f.assessed.bands, i) for i in every])
        p.add((sid, "assessed by several agencies"), f.assessed.several_agencies)
        for row in f.by_service:
            p.add((sid, "service", row.agency_id, row.service), row.people)
            p.add((sid, "assessed again", row.agency_id, row.service), row.again)

    def _bands_cell(self, key, bands: dict[int, tuple[int, Decimal]], *wanted: int, tier: float = 1):
        """A cell of the people and cost of some bands of a table, together."""
        chosen = [bands.get(i, (0, Decimal(0))) for i in wanted]
        return self.plan.add(key, sum(n for n, _ in chosen), tier=tier, value=sum((c for _, c in chosen), Decimal(0)))

    def _plan_ranking(self, sid: str, ranked: Ranking) -> None:
        p = self.plan
        positions = sorted(ranked.cumulative)
        rows = {ranked.position(pc) for pc in CURVE_PERCENTS}
        top = ranked.position(self.top_percent)
        keys = [p.add(self._cum(sid, ranked, r), ranked.carrying(0, r), published=r in rows or r == top,
                      tier=2 if r == top else 1, value=ranked.cumulative[r]) for r in positions]
        if ranked.measure == "all" and sid in self.years:  # the median: the middle unit's cost, or two's mean
            low, high = ranked.middle()
            p.stretch(self._cum(sid, ranked, low - 1), self._cum(sid, ranked, high), high - low + 1,
                      exempt=True, tier=0, value=ranked.between(low - 1, high))
        if (ranked.unit, ranked.measure) == ("person", "all"):
            for low, high in raw.cost_bands(ranked).values():
                if high > low:
                    p.stretch(self._cum(sid, ranked, low), self._cum(sid, ranked, high),
                              ranked.carrying(low, high) or high - low, value=ranked.between(low, high))
        p.chain(keys, positions, ranked.carrying, [ranked.cumulative[r] for r in positions])

    def _plan_agencies(self, sid: str, f: _ScopeFigures) -> None:
        p = self.plan
        by_id = {a.agency_id: a for a in f.agencies}
        for a in f.agencies:
            p.relate(p.add((sid, "agency", a.agency_id), a.people, value=a.cost),
                     [p.add((sid, "agency payments", a.agency_id), a.people_paid, value=a.payments),
                      p.add((sid, "agency services", a.agency_id), a.people_served, value=a.services)])
        for family, part in (("total", "agency"), ("payments", "agency payments"), ("services", "agency services")):
            p.relate((sid, family), [(sid, part, a.agency_id) for a in f.agencies])
        top = self._cum(sid, f.rankings[("household", "all")], f.top_size)
        for share in f.top:
            everyone = by_id[share.agency_id]
            p.relate((sid, "agency", share.agency_id),
                     [p.add((sid, "top", share.agency_id), share.households, value=share.cost),
                      p.add((sid, "rest", share.agency_id), everyone.households - share.households,
                            published=False, value=everyone.cost - share.cost)])
        p.relate(top, [(sid, "top", share.agency_id) for share in f.top])

    def _plan_years(self) -> None:
        """Money and events add up over the years: all years together less the others is one year."""
        if "all" not in self._figures:
            return
        families: list[tuple[str, ...]] = [("total",), ("payments",), ("services",)]
        families += [(part, a.agency_id) for f in self._figures.values() for a in f.agencies
                     for part in ("agency", "agency payments", "agency services")]
        families += [("service", r.agency_id, r.service) for f in self._figures.values() for r in f.by_service]
        for family in dict.fromkeys(families):
            parts = [(year, *family) for year in self.years if self.plan.has((year, *family))]
            self.plan.relate(("all", *family), parts)

    def _plan_linkage(self) -> None:
        p, sid, link = self.plan, self.sid("all"), self.linkage
        for row in link.agencies:
            self._plan_linked(("agency", row.name), (sid, "agency", row.name), row)
        for row in link.kinds:
            agencies = [a for a, kinds in link.identifier_types.items() if row.name in kinds]
            whole = (sid, "agency", agencies[0]) if len(agencies) == 1 else p.add(("linkage", "kind", row.name),
                                                                                  row.people)
            self._plan_linked(("kind", row.name), whole, row)
        p.relate(p.add(("linkage", "households of one"), link.households_of_one),
                 [p.add(("linkage", "no household"), link.no_household),
                  p.add(("linkage", "named alone"), link.households_of_one - link.no_household, published=False)])

    def _plan_linked(self, name: tuple, whole, row) -> None:
        p = self.plan
        p.relate(whole, [p.add(("linkage", "linked", *name), row.linked),
                         p.add(("linkage", "alone", *name), row.people - row.linked, published=False)])

    # ---- reading the decision ---------------------------------------------------------------------

    def shown(self, *keys) -> bool:
        return not any(k is not None and self.plan.is_withheld(k) for k in keys)

    def count(self, key, n: int):
        return n if self.shown(key) else (suppress_count(n, self.threshold) if n < self.threshold else WITHHELD)

    def value(self, keys: tuple, value):
        return value if self.shown(*keys) else WITHHELD

    def figures(self, year: str | None) -> tuple[str, _ScopeFigures]:
        sid = self.sid(year)
        return sid, self._figures[sid]

    def title(self, text: str) -> str:
        return title(self.workspace, text)

    # ---- the tables -------------------------------------------------------------------------------

    def summary(self, year: str | None = "all") -> Table:
        """People, households, events and cost per person and per household, each year (or the year asked)."""
        wanted = self.years if year in (None, "all") else [self.sid(year)]
        rows = [self._summary_row(y) for y in wanted]
        return Table(self.title("Cost per person and per household, all agencies, by year"),
                     ["year", "people", "households", "events", "agencies", "cost", "mean per person",
                      "median per person", "mean per household", "median per household"], rows,
                     [suppression_note(self.threshold)])

    def payments(self, year: str | None = "all") -> Table:
        """Each year's cost split into payments to people (benefits) and the cost of services."""
        wanted = self.years if year in (None, "all") else [self.sid(year)]
        rows = []
        for y in wanted:
            totals, whole = self._figures[y].totals, (y, "total")
            rows.append([y, self.value((whole,), totals.cost)] + [
                cell for key, amount in (((y, "payments"), totals.payments), ((y, "services"), totals.services))
                for cell in (self.value((key,), amount), self.value((key, whole), _share(amount, totals.cost)))])
        return Table(self.title("Payments to people and the cost of services, all agencies, by year"),
                     ["year", "cost", "payments to people", "share paid to people", "cost of services",
                      "share spent on services"],
                     rows, [_PAYMENTS_NOTE, suppression_note(self.threshold)])

    def _summary_row(self, year: str) -> list:
        f, t = self._figures[year], self.threshold
        totals = f.totals
        if not self.shown((year, "total")):
            return [year, suppress_count(totals.people, t), suppress_count(totals.households, t), WITHHELD,
                    totals.agencies] + [WITHHELD] * 5
        medians = []
        for unit in ("person", "household"):
            ranked = f.rankings[(unit, "all")]
            low, high = ranked.middle()
            key = ("between", self._cum(year, ranked, low - 1), self._cum(year, ranked, high))
            middle = ranked.cumulative[high] - ranked.cumulative.get(low - 1, Decimal(0))
            medians.append(self.value((key,), _pence(middle / (high - low + 1))))
        return [year, totals.people, totals.households, totals.events, totals.agencies, totals.cost,
                _pence(totals.cost / totals.people), medians[0], _pence(totals.cost / totals.households), medians[1]]

    def bands(self, year: str | None = None) -> Table:
        """People by their cost to all agencies together in the year: how few cost how much."""
        sid, f = self.figures(year)
        ranked = f.rankings[("person", "all")]
        rows = []
        for (low, high), (_, label) in zip(raw.cost_bands(ranked).values(), COST_BANDS):
            key = ("between", self._cum(sid, ranked, low), self._cum(sid, ranked, high))
            cost = ranked.cumulative[high] - ranked.cumulative.get(low, Decimal(0)) if high else Decimal(0)
            rows.append(self._band_row(label, key, high - low, cost, ranked.units, ranked.total, (sid, "total")))
        return Table(self.title(f"People by their cost to all agencies, {f.scope.label}"),
                     ["cost per person", "people", "share of people", "cost", "share of cost"], rows,
                     [suppression_note(self.threshold)])

    def _band_row(self, label: str, key, n: int, cost: Decimal, people: int, total: Decimal, whole) -> list:
        if n == 0:
            return [label, 0, 0.0, Decimal("0.00"), 0.0]
        return [label, self.count(key, n), self.value((key,), _share(n, people)), self.value((key,), _pence(cost)),
                self.value((key, whole), _share(cost, total))]

    def by_agency(self, year: str | None = None) -> Table:
        """Each agency's people in contact, events and cost (payments to people and services apart)."""
        sid, f = self.figures(year)
        rows = []
        for a in f.agencies:
            key = (sid, "agency", a.agency_id)
            rows.append([a.agency_id, self.count(key, a.people), self.value((key,), a.events),
                         self.value((key,), a.cost), self.value((key,), _pence(a.cost / a.people)),
                         self.value((key, (sid, "total")), _share(a.cost, f.totals.cost)),
                         self.value(((sid, "agency payments", a.agency_id),), a.payments),
                         self.value(((sid, "agency services", a.agency_id),), a.services)])
        return Table(self.title(f"Cost by agency, {f.scope.label}"),
                     ["agency", "people in contact", "events", "cost", "cost per person in contact", "share of cost",
                      "payments to people", "cost of services"], rows,
                     [_PAYMENTS_NOTE, suppression_note(self.threshold)])

    def concentration(self, year: str | None = None, unit: str = "household", measure: str = "all") -> Table:
        """'The top x% of households account for y% of the cost', at the usual x."""
        sid, f = self.figures(year)
        ranked = f.rankings[(raw.check_unit(unit), raw.check_measure(measure))]
        whole = self._cum(sid, ranked, ranked.units)
        rows = []
        for percent in CURVE_PERCENTS:
            position = ranked.position(percent)
            key = self._cum(sid, ranked, position)
            # A position is not a group's figure (it follows from the number of units), but a count under
            # the threshold is never printed.
            rows.append([f"top {percent:g}%", suppress_count(position, self.threshold),
                         self.value((key,), ranked.cumulative[position]),
                         self.value((key, whole), _share(ranked.cumulative[position], ranked.total))])
        what = "cost" if measure == "all" else MEASURE_NAMES[measure]
        return Table(self.title(f"Concentration of {what} by {unit}, {f.scope.label}"),
                     [f"{PLURAL[unit]} ranked by {what}", PLURAL[unit], what, f"share of all {what}"], rows,
                     [self.headline(year, unit, measure), suppression_note(self.threshold)])

    def headline(self, year: str | None = None, unit: str = "household", measure: str = "all") -> str:
        sid, f = self.figures(year)
        ranked = f.rankings[(unit, measure)]
        position = ranked.position(self.top_percent)
        who, what = PLURAL[unit], MEASURE_NAMES[measure]
        if position < self.threshold:
            return f"The top {self.top_percent:g}% of {who} are fewer than {self.threshold}: not published."
        if not self.shown(self._cum(sid, ranked, position), self._cum(sid, ranked, ranked.units)):
            return (f"The top {self.top_percent:g}% of {who} by {what}: withheld, so that a smaller group's "
                    f"figures cannot be worked out from it.")
        cost = ranked.cumulative[position]
        return (f"The top {self.top_percent:g}% of {who} ({position:,} of {ranked.units:,}) account for "
                f"{_share(cost, ranked.total):.0%} of the {what} ({_money(cost)} of {_money(ranked.total)}), "
                f"{f.scope.label}.")

    def contact(self, year: str | None = None) -> Table:
        """People by how many agencies they were in contact with; the 3-or-more group called out."""
        sid, f = self.figures(year)
        people, cost = f.totals.people, f.totals.cost
        rows = [self._band_row(label, (sid, "contact", i), *f.contact.get(i, (0, Decimal(0))), people, cost,
                               (sid, "total")) for i, (_, label) in enumerate(AGENCY_BANDS)]
        many = [f.contact.get(i, (0, Decimal(0))) for i in (2, 3, 4)]
        n3, c3 = sum(n for n, _ in many), sum((c for _, c in many), Decimal(0))
        if n3 and not self.shown((sid, "contact", "3+")):
            note = f"People in contact with 3 or more agencies: {suppress_count(n3, self.threshold)} (suppressed)."
        else:
            note = (f"People in contact with 3 or more agencies: {n3:,} ({_share(n3, people):.1%} of people), "
                    f"costing {_money(c3)} ({_share(c3, cost):.1%} of all cost).")
        return Table(self.title(f"People by the number of agencies in contact, {f.scope.label}"),
                     ["agencies", "people", "share of people", "cost", "share of cost"], rows,
                     [note, suppression_note(self.threshold)])

    def assessments(self, year: str | None = None) -> Table:
        """Repeat assessments: people by how often they were assessed, across all agencies."""
        sid, f = self.figures(year)
        assessed, t = f.assessed, self.threshold
        people = sum(n for n, _ in assessed.bands.values())
        cost = sum((c for _, c in assessed.bands.values()), Decimal(0))
        rows = [self._band_row(label, (sid, "assessed", i), *assessed.bands.get(i, (0, Decimal(0))), people, cost,
                               (sid, "assessed")) for i, (_, label) in enumerate(ASSESSMENT_BANDS)]
        several = self.count((sid, "assessed by several agencies"), assessed.several_agencies)
        notes = [
            f"People assessed by 2 or more agencies in the same period (duplicate assessments): {several}.",
            f"At least {t} people were each assessed {assessed.nth_most} or more times." if assessed.nth_most else
            f"Fewer than {t} people were assessed: no maximum published.",
            "An assessment is an event of kind 'assessment' (or, with no kind, a service whose name says assess).",
            suppression_note(t),
        ]
        return Table(self.title(f"Repeat assessments: people by number of assessments, {f.scope.label}"),
                     ["assessments", "people", "share of people", "cost", "share of cost"], rows, notes)

    def assessments_by_service(self, year: str | None = None) -> Table:
        """Each agency's assessments: how many, of how many people, and how many were assessed again."""
        sid, f = self.figures(year)
        rows = []
        for r in f.by_service:
            key = (sid, "service", r.agency_id, r.service)
            rows.append([r.agency_id, r.service, self.value((key,), r.assessments), self.count(key, r.people),
                         self.count((sid, "assessed again", r.agency_id, r.service), r.again),
                         self.value((key,), _pence(Decimal(r.assessments) / r.people))])
        return Table(self.title(f"Assessments by agency and service, {f.scope.label}"),
                     ["agency", "service", "assessments", "people assessed", "people assessed 2+ times",
                      "assessments per person"], rows, [suppression_note(self.threshold)])

    def top(self, year: str | None = None) -> Table:
        """The cost of the top x% of households (by cost to all agencies), agency by agency."""
        sid, f = self.figures(year)
        ranked = f.rankings[("household", "all")]
        top = self._cum(sid, ranked, f.top_size)
        top_cost = ranked.cumulative[f.top_size]
        by_id = {a.agency_id: a for a in f.agencies}
        costs = {s.agency_id: s for s in f.top}
        rows = []
        for agency_id in sorted(costs, key=lambda a: (-costs[a].cost, a)):
            share, everyone = costs[agency_id], by_id[agency_id]
            mine, whole = (sid, "top", agency_id), (sid, "agency", agency_id)
            rows.append([agency_id, self.count(mine, share.people), self.value((mine,), share.cost),
                         self.value((mine, top), _share(share.cost, top_cost)), self.value((whole,), everyone.cost),
                         self.value((mine, whole), _share(share.cost, everyone.cost))])
        size = suppress_count(f.top_size, self.threshold)
        note = (f"The top {self.top_percent:g}% of households: {size} of {ranked.units:,} households, costing "
                f"{_money(top_cost) if self.shown(top) else WITHHELD} in all.")
        return Table(self.title(f"Cost of the top {self.top_percent:g}% of households by agency, {f.scope.label}"),
                     ["agency", "people of the top cohort in contact", "cost of the top cohort",
                      "share of the top cohort's cost", "agency's cost for everyone", "share of the agency's cost"],
                     rows, [note, suppression_note(self.threshold)])

    def linkage_by_agency(self) -> Table:
        """Each agency's people, and how many of them another agency's files name too (every year loaded)."""
        sid = self.sid("all")
        rows = [self._linked_row(r, (sid, "agency", r.name), ("agency", r.name),
                                 ", ".join(self.linkage.identifier_types.get(r.name, [])))
                for r in self.linkage.agencies]
        return Table(self.title("Linkage by agency, all years"),
                     ["agency", "people", "linked to another agency", "share linked", "person identifier"], rows,
                     self._linkage_notes())

    def linkage_by_identifier(self) -> Table:
        """The same by the kind of person identifier the files use (an NHS number, an agency's own id...)."""
        sid, rows = self.sid("all"), []
        for r in self.linkage.kinds:
            agencies = [a for a, kinds in self.linkage.identifier_types.items() if r.name in kinds]
            whole = (sid, "agency", agencies[0]) if len(agencies) == 1 else ("linkage", "kind", r.name)
            rows.append(self._linked_row(r, whole, ("kind", r.name), ", ".join(agencies)))
        return Table(self.title("Linkage by identifier type, all years"),
                     ["identifier", "people", "linked to another agency", "share linked", "agencies"], rows,
                     ["An agency whose files use two kinds of identifier counts under both.",
                      suppression_note(self.threshold)])

    def _linked_row(self, row, whole, name: tuple, detail: str) -> list:
        linked = ("linkage", "linked", *name)
        return [row.name, self.count(whole, row.people), self.count(linked, row.linked),
                self.value((whole, linked), _share(row.linked, row.people)), detail]

    def _linkage_notes(self) -> list[str]:
        sid, link, t = self.sid("all"), self.linkage, self.threshold
        people = link.people
        several = sum(self._figures[sid].contact.get(i, (0, 0))[0] for i in (1, 2, 3, 4))
        if self.shown((sid, "contact", "2+")):
            spread = (f"{several:,} of {people:,} people ({_share(several, people):.1%}) were seen by more than one "
                      f"agency.")
        else:
            spread = f"People seen by more than one agency: {suppress_count(several, t)} (suppressed)."
        alone, unnamed = ("linkage", "households of one"), ("linkage", "no household")
        if self.shown(alone, unnamed):
            households = (f"{link.households_of_one:,} of {people:,} people "
                          f"({_share(link.households_of_one, people):.1%}) are in households of one: "
                          f"{link.no_household:,} in no household any file names, "
                          f"{link.households_of_one - link.no_household:,} alone in a household a file names.")
        else:
            households = (f"People in households of one: {self.count(alone, link.households_of_one)}, of whom in no "
                          f"household any file names: {self.count(unnamed, link.no_household)}.")
        return [spread, households,
                "A person is linked when two agencies' files give the same identifier once spaces, dashes and case "
                "are set aside; a person no file places in a household counts as a household of one.",
                suppression_note(t)]

    def evidence(self, measure: str, year: str | None = None, agency: str | None = None) -> Decimal | None:
        """One money figure as published, for the deal's evidence links (None: it is withheld)."""
        sid, f = self.figures(year)
        key: tuple
        if measure in ("cost", "services", "payments"):
            key = (sid, "total" if measure == "cost" else measure)
            value = {"cost": f.totals.cost, "services": f.totals.services, "payments": f.totals.payments}[measure]
        elif measure == "top_cost":
            ranked = f.rankings[("household", "all")]
            key, value = self._cum(sid, ranked, f.top_size), ranked.cumulative[f.top_size]
        elif measure == "agency":
            found = next((a for a in f.agencies if a.agency_id == agency), None)
            if found is None:
                raise InputError(f"no agency {agency!r} in the cohort in {f.scope.label} "
                                 f"(agencies: {', '.join(a.agency_id for a in f.agencies)})")
            key, value = (sid, "agency", agency), found.cost
        else:
            raise InputError(f"cohort measure must be one of {', '.join(EVIDENCE_MEASURES)}, not {measure!r}")
        return value if self.shown(key) else None

    def tables(self) -> list[Table]:
        """Every output of the run."""
        found = [self.summary("all"), self.payments("all"), self.linkage_by_agency(), self.linkage_by_identifier()]
        for sid in self._figures:
            found += [self.bands(sid), self.by_agency(sid), self.contact(sid), self.assessments(sid),
                      self.assessments_by_service(sid), self.top(sid)]
            found += [self.concentration(sid, unit, measure) for unit in raw.UNITS for measure in raw.MEASURES]
        return found

    # ---- the chart --------------------------------------------------------------------------------

    def concentration_svg(self, year: str | None = None, unit: str = "household",
                          measures: tuple[str, ...] = tuple(raw.MEASURES)) -> str:
        """The curves as an SVG line chart: the published points only, one line for each measure."""
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        figure = Figure(figsize=(6, 4))
        axes = figure.add_subplot()
        for measure in measures:
            table = self.concentration(year, unit, measure)
            points = [(float(r[0][4:-1]), r[3] * 100) for r in table.rows if isinstance(r[3], float)]
            axes.plot([0] + [x for x, _ in points], [0] + [y for _, y in points], marker="o", markersize=3,
                      color=MEASURE_COLOURS[measure], label=MEASURE_NAMES[measure])
        axes.plot([0, 100], [0, 100], linestyle="--", color="#b1b4b6", label="equal shares")
        axes.set_xlabel(f"top % of {PLURAL[unit]}, ranked by each measure")
        axes.set_ylabel("% of the measure")
        axes.set_xlim(0, 100)
        axes.set_ylim(0, 100)
        synthetic = is_synthetic(self.workspace.root / COHORT_DIR)
        axes.set_title(("SYNTHETIC: " if synthetic else "") + f"Concentration, {self.figures(year)[1].scope.label}")
        axes.legend(loc="lower right")
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
        return buffer.getvalue()


_PAYMENTS_NOTE = ("Payments to people are events of kind 'benefit' (or, with no kind, a service named as a benefit, "
                  "an allowance or a credit); the cost of services is the rest.")


def publish(con: Store, workspace: Workspace) -> Publication:
    return Publication(con, workspace)


# ---- one output at a time (each still suppressed with the whole run) ---------------------------------------

def summary(con, workspace: Workspace, year: str | None) -> Table:
    return publish(con, workspace).summary(year)


def cost_bands(con, workspace: Workspace, year: str | None) -> Table:
    return publish(con, workspace).bands(year)


def by_agency(con, workspace: Workspace, year: str | None) -> Table:
    return publish(con, workspace).by_agency(year)


def concentration_table(con, workspace: Workspace, year: str | None, unit: str = "household",
                        measure: str = "all") -> Table:
    return publish(con, workspace).concentration(year, unit, measure)


def agency_contact(con, workspace: Workspace, year: str | None) -> Table:
    return publish(con, workspace).contact(year)


def assessments(con, workspace: Workspace, year: str | None) -> Table:
    return publish(con, workspace).assessments(year)


def assessments_by_service(con, workspace: Workspace, year: str | None) -> Table:
    return publish(con, workspace).assessments_by_service(year)


def top_cohort(con, workspace: Workspace, year: str | None) -> Table:
    return publish(con, workspace).top(year)


def linkage_by_agency(con, workspace: Workspace, year: str | None = None) -> Table:
    return publish(con, workspace).linkage_by_agency()


def linkage_by_identifier(con, workspace: Workspace, year: str | None = None) -> Table:
    return publish(con, workspace).linkage_by_identifier()


# ---- the raw curve (for benchmarks and engine parity; not for publication) --------------------------------

@dataclass(frozen=True)
class CurvePoint:
    percent: float   # the top percent of households (or people), ranked by the measure
    units: int
    cost: Decimal
    share: float     # of the whole measure


@dataclass(frozen=True)
class Concentration:
    """The share of a measure spent on the top x% of households (or people), unsuppressed."""
    unit: str
    scope: Scope
    units: int
    total: Decimal
    points: list[CurvePoint]


def concentration(con, year: str | None, unit: str = "household", top_percent: float = 5.0,
                  measure: str = "all") -> Concentration:
    """The share of all cost (or of services, or payments) spent on the top x% of units, x = CURVE_PERCENTS
    and top_percent; before suppression."""
    percents = sorted(set(CURVE_PERCENTS) | {top_percent})
    s = scope(con, year)
    raw.prepare(con, s)
    ranked = raw.ranking(con, s, unit, measure, tuple(percents))
    points = []
    for percent in percents:
        position = ranked.position(percent)
        points.append(CurvePoint(float(percent), position, ranked.cumulative[position],
                                 _share(ranked.cumulative[position], ranked.total)))
    return Concentration(ranked.unit, ranked.scope, ranked.units, ranked.total, points)


# ---- the cohort files and the place report ------------------------------------------------------------------

def files_table(con, workspace: Workspace) -> Table:
    """Event files loaded, with rows and cost read = loaded + rejected."""
    from totalplace.deepdive.cohorts import balances

    return Table(title(workspace, "Cohort event files"),
                 ["file", "agency", "rows read", "loaded", "rejected", "blank", "cost read", "cost loaded",
                  "cost rejected"], [list(r) for r in balances(con)])


def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    """The high-cost cohort section of the place report (none when no cohort is loaded), for the report's year
    or the nearest year the cohort covers."""
    try:
        con = open_cohort(workspace)
    except InputError:
        return []
    try:
        return [_section(publish(con, workspace), con, year)]
    finally:
        con.close()


def _section(run: Publication, con, wanted: str | None) -> Section:
    workspace = run.workspace
    synthetic = is_synthetic(workspace.root / COHORT_DIR)
    year = nearest_year(wanted, run.years) if wanted else run.years[-1]
    table = run.concentration(year)
    paragraphs = [run.headline(year), run.headline(year, measure="services"), run.headline(year, measure="payments")]
    if synthetic:
        paragraphs.insert(0, "This cohort is SYNTHETIC: made-up people generated for the demonstration "
                             "(`totalplace cohort synth`); no real person is described and costs are illustrative.")
    paragraphs += [run.contact(year).notes[0], *run.linkage_by_agency().notes[:2]]
    repeated = Finding(ASSESSMENTS, ("SYNTHETIC cohort, " if synthetic else "Cohort, ") + f"{year}: "
                       + run.assessments(year).notes[0])
    section = Section(
        id="cohort", title=title(workspace, "High-cost people and families"), paragraphs=paragraphs + [repeated.text],
        charts=[Chart(table.title, run.concentration_svg(year), table)],
        tables=[run.by_agency(year), run.contact(year), run.assessments(year)],
        appendix=[run.summary("all"), run.payments("all"), run.concentration(year, measure="services"),
                  run.concentration(year, measure="payments"), run.bands(year), run.assessments_by_service(year),
                  run.top(year), run.linkage_by_agency(), run.linkage_by_identifier()],
        provenance=[
            f"Cohort: person-level events from {fetch_one(con, 'SELECT count(*) FROM cohort_file')[0]} files "
            f"under {COHORT_DIR}/, identifiers normalised (spaces, dashes, case) and pseudonymised with HMAC-SHA256 "
            f"as they were read, NHS numbers checked; linked across agencies by pseudonym; counts under "
            f"{workspace.suppress_below} suppressed, with every figure that would give one away."
            + (" SYNTHETIC data." if synthetic else ""),
        ],
        year=year_line("Cohort figures", year, wanted, "the cohort"), findings=[repeated],
    )
    for each in section.all_tables():
        each.precision = ROUNDED  # costs are modelled from unit costs: read rounded, exact in the downloads
    return section
