"""Comparisons: a place's £ per head by function beside its region, England and other places,
and a pilot area's 2009-10 count beside the Total Place pilots' published figures.

The method is not tuned to the published figures: the differences are shown
and explained, not removed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from totalplace import reference
from totalplace.classify import control
from totalplace.count import topdown
from totalplace.count.drivers import driver_set
from totalplace.errors import InputError
from totalplace.ingest.cra import ENGLISH_REGIONS
from totalplace.money import format_money, per_head
from totalplace.store.connection import StoreConnection
from totalplace.workspace import Workspace

PILOT_YEAR = "2009-10"


@dataclass
class PlaceFigures:
    """One place's (or region's) identifiable spending in a year, by function and by control level."""
    name: str
    areas: list[str]
    population: int
    by_function: dict[str, Decimal]
    by_control: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.by_function.values(), Decimal(0))

    def per_head(self, amount: Decimal) -> Decimal | None:
        return per_head(amount, self.population)

    def share(self, levels: tuple[str, ...]) -> float:
        return float(sum((self.by_control.get(k, Decimal(0)) for k in levels), Decimal(0)) / self.total) \
            if self.total else 0.0


def places(con: StoreConnection, workspace: Workspace | None, named: dict[str, list[str]],
           year: str) -> list[PlaceFigures]:
    """Several places' top-down figures, from one apportionment over all their areas."""
    every = sorted({a for areas in named.values() for a in areas})
    drivers = topdown.apportion(con, workspace, every, [year])
    rows = con.execute(
        """SELECT s.area, l.hmt_function, a.control_level, sum(s.amount)
           FROM topdown_share s JOIN topdown_line l USING (line_id) JOIN topdown_assign a USING (line_id)
           GROUP BY ALL""").fetchall()
    found = []
    for name, areas in named.items():
        wanted = set(areas)
        figures = PlaceFigures(name, areas, drivers.population(areas, year)[0], {}, {})
        for area, function, level, amount in rows:
            if area in wanted:
                figures.by_function[function] = figures.by_function.get(function, Decimal(0)) + amount
                figures.by_control[level] = figures.by_control.get(level, Decimal(0)) + amount
        found.append(figures)
    return found


def regions(con: StoreConnection, workspace: Workspace | None, names: list[str],
            year: str) -> list[PlaceFigures]:
    """Regions (or 'England', all nine English regions) straight from the CRA lines, per head of their people."""
    topdown.require_loaded(con)
    members_of = {name: list(ENGLISH_REGIONS) if name == topdown.ENGLAND else [name] for name in names}
    drivers = driver_set(workspace, sorted({r for m in members_of.values() for r in m}), [year])
    # the regions' lines placed in a table of their own, so the place's shares kept on the connection stay whole
    topdown.assign_lines(con, control.read_rules(workspace), drivers, into="region_assign")
    found = []
    for name, members in members_of.items():
        rows = con.execute(
            """SELECT l.hmt_function, a.control_level, sum(l.amount)
               FROM topdown_line l JOIN region_assign a USING (line_id)
               WHERE l.fiscal_year = ? AND l.region IN (SELECT unnest(?)) GROUP BY ALL""",
            [year, members]).fetchall()
        areas = [a.code for a in reference.areas().values() if a.region in members]
        figures = PlaceFigures(name, areas, drivers.population(areas, year)[0], {}, {})
        for function, level, amount in rows:
            figures.by_function[function] = figures.by_function.get(function, Decimal(0)) + amount
            figures.by_control[level] = figures.by_control.get(level, Decimal(0)) + amount
        found.append(figures)
    return found


@dataclass
class Comparison:
    fiscal_year: str
    columns: list[PlaceFigures]
    functions: list[str]

    def per_head(self, function: str) -> list[Decimal | None]:
        return [c.per_head(c.by_function.get(function, Decimal(0))) for c in self.columns]

    def total_per_head(self) -> list[Decimal | None]:
        return [c.per_head(c.total) for c in self.columns]


def compare(con: StoreConnection, workspace: Workspace, year: str | None,
            others: dict[str, list[str]]) -> Comparison:
    """The place beside its region(s), England and any other places, £ per head by function."""
    fiscal_year = topdown.choose_year(con, year)
    place = workspace.settings.place
    columns = places(con, workspace, {place.name: place.areas, **others}, fiscal_year)
    columns[1:1] = regions(con, workspace, topdown.regions_of(place.areas) + [topdown.ENGLAND], fiscal_year)
    functions = sorted({f for c in columns for f in c.by_function},
                       key=lambda f: -columns[0].by_function.get(f, Decimal(0)))
    return Comparison(fiscal_year, columns, functions)


# --- the pilots' published figures -----------------------------------------------------------

@dataclass(frozen=True)
class Published:
    pilot: str
    measure: str
    value: Decimal
    unit: str
    source: str
    section: str
    quote: str


@cache
def pilot_areas() -> dict[str, list[str]]:
    with reference.data_path("pilot_areas.csv").open(encoding="utf-8", newline="") as handle:
        return {row["pilot"]: row["areas"].split() for row in csv.DictReader(handle)}


@cache
def published() -> list[Published]:
    with reference.data_path("pilot_figures.csv").open(encoding="utf-8", newline="") as handle:
        return [Published(r["pilot"], r["measure"], Decimal(r["value"]), r["unit"], r["source"], r["section"],
                          r["quote"]) for r in csv.DictReader(handle)]


def pilot_names(asked: list[str] | None) -> list[str]:
    known = pilot_areas()
    if not asked:
        return list(known)
    found = []
    for name in asked:
        match = [p for p in known if name.casefold() in p.casefold()]
        if not match:
            raise InputError(f"{name!r} is not one of the 13 pilots: {'; '.join(known)}")
        found += [m for m in match if m not in found]
    return found


@dataclass
class PilotComparison:
    pilot: str
    figures: PlaceFigures
    published: list[Published]
    levels: dict[str, control.Level]   # the scale in force (rules/control_levels.csv)
    definition: str                    # what "local say" counts, printed wherever the share appears
    differences: list[str] = field(default_factory=list)

    @property
    def per_head(self) -> Decimal | None:
        return self.figures.per_head(self.figures.total)

    @property
    def local_say(self) -> float:
        return self.figures.share(tuple(k for k, level in self.levels.items() if level.local_say))

    @property
    def nhs_share(self) -> float:
        return self.figures.share(("nhs",))

    @property
    def council_share(self) -> float:
        return self.figures.share(control.COUNCIL)

    @property
    def discretion_share(self) -> float:
        return self.figures.share(("council_discretion",))

    @property
    def discretion_per_head(self) -> Decimal | None:
        return self.figures.per_head(self.figures.by_control.get("council_discretion", Decimal(0)))


def compared(workspace: Workspace | None, figures: PlaceFigures, shown: list[Published]) -> PilotComparison:
    """A place's figures beside published ones, under the workspace's scale of control, with the differences."""
    result = PilotComparison(figures.name, figures, shown, control.read_levels(workspace),
                             control.local_say_definition(workspace))
    result.differences = differences(result)
    return result


def pilots(con: StoreConnection, workspace: Workspace | None, names: list[str] | None = None,
           year: str = PILOT_YEAR) -> list[PilotComparison]:
    """Each pilot area's count for the year beside the published figures, with the differences said plainly."""
    fiscal_year = topdown.choose_year(con, year)
    chosen = pilot_names(names)
    counted = places(con, workspace, {name: pilot_areas()[name] for name in chosen}, fiscal_year)
    return [compared(workspace, figures, [p for p in published() if p.pilot in ("All pilots", figures.name)])
            for figures in counted]


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _outside(result: PilotComparison) -> str:
    """The levels outside local say, each with its share, largest first."""
    outside = [(result.figures.share((k,)), level.label) for k, level in result.levels.items() if not level.local_say]
    return ", ".join(f"{label} {_pct(share)}" for share, label in sorted(outside, reverse=True) if share)


def differences(result: PilotComparison) -> list[str]:
    """Where the count differs from the published figures, and why, in plain words, from the rules in force."""
    f = result.figures
    per_head = {k: f.per_head(v) or Decimal(0) for k, v in f.by_control.items()}
    label = {k: level.label for k, level in result.levels.items()}
    discretion = result.levels["council_discretion"]
    said = []
    for p in result.published:
        if p.measure == "per_head":
            gap = (result.per_head or 0) - p.value
            said.append(
                f"£ per head: ours {format_money(result.per_head, places=0)} against about "
                f"{format_money(p.value, places=0)} ({'+' if gap >= 0 else ''}{format_money(gap, places=0)}). "
                "Ours is all identifiable CRA spending brought down by the drivers in rules/topdown_drivers.csv, "
                f"including {label['demand_led']} ({format_money(per_head.get('demand_led', 0), places=0)} a head) "
                f"and {label['national']} ({format_money(per_head.get('national', 0), places=0)} a head); "
                "the pilots counted what their partners' ledgers and the CRA gave them, in their own scopes, and "
                "rounded to one figure across places.")
        elif p.measure == "local_say_share":
            said.append(
                f"Local say: ours {_pct(result.local_say)} against about {_pct(float(p.value))}. "
                f"{result.definition}. Outside it here: {_outside(result)}. "
                f"The councils alone: {_pct(result.council_share)}.")
        elif p.measure == "council_discretion_per_head":
            said.append(
                f"{discretion.label}: ours {format_money(result.discretion_per_head, places=0)} a head "
                f"({_pct(result.discretion_share)}) against about {format_money(p.value, places=0)}. Ours is what "
                f"rules/{control.RULE_FILE} puts at this level ({discretion.definition}); the pilots counted only "
                "what a council could redirect after statutory minimums and grant conditions.")
        elif p.measure == "council_discretion_share_high":
            inside = "inside" if 0.05 <= result.discretion_share <= float(p.value) else "outside"
            said.append(f"{discretion.label} as a share: ours {_pct(result.discretion_share)}, {inside} the "
                        f"published 5-16% range.")
        elif p.measure == "council_share":
            said.append(f"Council's share of all spending: ours {_pct(result.council_share)} against "
                        f"{_pct(float(p.value))} published for {p.pilot}.")
        elif p.measure == "council_discretion_share" and p.pilot != "All pilots":
            said.append(f"{discretion.label}: ours {_pct(result.discretion_share)} against "
                        f"{_pct(float(p.value))} published for {p.pilot}.")
        elif p.measure == "total_bn" and p.pilot != "All pilots":
            ours = f.total / Decimal(1_000_000_000)
            said.append(f"Total: ours {format_money(ours, places=1)}bn against £{p.value}bn published for {p.pilot} "
                        "(the published figure's year and scope are not given; ours is all identifiable spending).")
    return said
