"""The estate's tables (shared by the CLI and the place report) and its report sections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from totalplace import display
from totalplace.deal.sources import WORCESTERSHIRE_ESTATE, WORCESTERSHIRE_RUNNING_COST
from totalplace.errors import InputError
from totalplace.estate.colocate import Opportunity, Settings, opportunities
from totalplace.estate.mapping import svg_map
from totalplace.estate.match import Match, load_needs, match_needs
from totalplace.estate.register import Estate, load_estate, register_path
from totalplace.estate.sharing import Sharing, load_sharing
from totalplace.present.section import Chart, Section
from totalplace.present.tables import Table
from totalplace.workspace import Workspace


def uses_table(sharing: Sharing, where: str | None = None) -> Table:
    return Table(f"Uses that can share a building ({where or sharing.path.name})", ["use", "shares with", "note"],
                 [[p.use, p.shares_with, p.note] for p in sharing.pairs],
                 ["A use always shares with itself; a pair not listed cannot share. Edit estate/uses.csv "
                  "(`totalplace estate uses --write` copies this table there)."])


def register_table(estate: Estate, workspace: Workspace) -> Table:
    agencies = sorted({b.agency for b in estate.buildings})
    rows = []
    for agency in agencies:
        mine = [b for b in estate.buildings if b.agency == agency]
        area = sum(b.floor_area_m2 for b in mine)
        rows.append([agency, len(mine), round(area), sum((b.running_cost for b in mine), Decimal(0)),
                     sum((b.book_value for b in mine), Decimal(0)),
                     sum(b.floor_area_m2 * b.utilisation for b in mine) / area])
    return Table(f"{estate.label()}: buildings by agency",
                 ["agency", "buildings", "floor area m²", "running cost a year", "book value", "utilisation"],
                 rows, [f"{len(estate.buildings)} buildings from {workspace.relative(estate.path)}; running cost "
                        f"{_estimate(estate.running_cost)} a year."])


def method_notes(estate: Estate, found: list[Opportunity], settings: Settings, sharing: Sharing,
                 where: str | None = None) -> list[str]:
    saving = sum((o.saving for o in found), Decimal(0))
    share = saving / estate.running_cost if estate.running_cost else Decimal(0)
    net = sum((o.net_saving for o in found), Decimal(0))
    moving = sum((o.moving_cost for o in found), Decimal(0))
    notes = [f"{estate.label()}.",
             f"{len(found)} opportunities within {settings.radius_m:,.0f} m of a hub, filled to "
             f"{settings.target_utilisation:.0%}; {sum(len(o.dispose) for o in found)} disposals would save "
             f"{_estimate(saving)} a year ({share:.1%} of the estate's running cost) once every lease is broken, "
             f"{_estimate(net)} over {settings.years} years from {settings.start.isoformat()} after "
             f"{_estimate(moving)} of one-off moving costs, and release "
             f"{_estimate(sum((o.receipt for o in found), Decimal(0)))} in capital receipts.",
             f"Estimate: saving = running cost of disposals less {settings.variable_share:.0%} that moves with the "
             f"people; a leasehold or PFI disposal saves only from its lease break; moving cost = a building's own "
             f"figure, or its occupied m² at {_estimate(settings.moving_cost_m2)} a m² (an assumption: give the "
             "partners' "
             "own); receipt = book value of freehold disposals. Confidence: indicative, before surveys.",
             f"Only uses that can share a building are put together: the table {where or sharing.path} "
             f"({len(sharing.pairs)} pairs of uses; a use always shares with itself).",
             f"Compare: {WORCESTERSHIRE_ESTATE.citation()} "
             f"(10% of {_estimate(WORCESTERSHIRE_RUNNING_COST)})"]
    unknown = sorted(i for o in found for i in o.unknown_breaks)
    if unknown:
        notes.append(f"LEASE BREAK NOT GIVEN for {len(unknown)} leasehold or PFI disposal(s) ({', '.join(unknown)}): "
                     "their saving is counted from the start; add lease_break to the register.")
    return notes


def opportunity_table(estate: Estate, found: list[Opportunity], settings: Settings, sharing: Sharing,
                      where: str | None = None) -> Table:
    rows = [[o.rank, o.hub.name, ", ".join(o.agencies), ", ".join(sorted({b.use for b in o.members})),
             ", ".join(b.id for b in o.keep), ", ".join(b.id for b in o.dispose),
             f"{o.occupied_m2:,.0f} / {o.kept_m2:,.0f}", round(o.span_m), o.saving, o.moving_cost, o.net_saving,
             o.savings_from.isoformat() if o.savings_from else "", o.receipt] for o in found]
    return Table(f"Co-location opportunities within {settings.radius_m:,.0f} m, ranked by saving net of moving costs",
                 ["rank", "hub", "agencies", "uses", "keep", "dispose", "m² occupied / kept", "farthest from hub m",
                  "saving a year", "moving cost", f"net over {settings.years} years", "lease break",
                  "capital receipt"], rows,
                 method_notes(estate, found, settings, sharing, where))


def match_table(matches: list[Match], synthetic: bool) -> Table:
    rows = [[m.need.id, m.need.agency, m.need.need, m.need.use, round(m.need.floor_area_m2),
             m.building.id if m.building else "", m.building.name if m.building else "UNMATCHED",
             m.building.agency if m.building else "",
             round(m.distance_m) if m.distance_m is not None else None, m.reason] for m in matches]
    notes = [f"{sum(1 for m in matches if m.building)} of {len(matches)} needs matched to spare space."]
    if synthetic:
        notes.append("SYNTHETIC: the needs and the buildings are made up for the demo.")
    return Table("Needs for space matched to spare space in other agencies' buildings",
                 ["need", "agency", "what", "use", "m² needed", "building", "building name", "owner", "distance m",
                  "why"],
                 rows, notes)


def report_sections(workspace: Workspace, year: str | None = None,
                    settings: Settings | None = None) -> list[Section]:
    """The estate in the place report: the register, the map and the opportunities, needs and offers. The
    register is as it stands on the day, whatever the report's year; its money is estimated, so read rounded."""
    if not register_path(workspace).exists():
        return []
    settings = settings or Settings()
    try:
        estate = load_estate(workspace)
        needs = load_needs(workspace)
        sharing = load_sharing(workspace)
    except InputError as error:
        return [Section("estate", "The shared estate", [f"The estate register could not be read: {error}"])]
    where = _where(workspace, sharing)
    found = opportunities(estate, settings, sharing=sharing)
    table = opportunity_table(estate, found, settings, sharing, where)
    names = display.code_names(workspace)
    section = Section(
        "estate", "The shared estate", table.notes[:3],
        charts=[Chart("Buildings and co-location opportunities",
                      svg_map(estate, found, name=lambda agency: names.get(agency, agency)), table)],
        tables=[register_table(estate, workspace)], appendix=[uses_table(sharing, where)],
        provenance=[f"Estate register {workspace.relative(register_path(workspace))}; {estate.label()}.",
                    table.notes[2], WORCESTERSHIRE_ESTATE.citation()],
        year=f"The estate register as it stands on {date.today().isoformat()}; running costs are a year's.",
    )
    if needs:
        section.appendix.append(match_table(match_needs(estate, needs, settings.target_utilisation, sharing),
                                            estate.synthetic))
    for each in section.all_tables():
        each.precision = display.ROUNDED  # estimates before surveys: read rounded, exact in the downloads
    return [section]


def _where(workspace: Workspace, sharing: Sharing) -> str:
    """Which table of uses applies, as a reader of the report can find it."""
    inside = sharing.path.resolve().is_relative_to(workspace.root.resolve())
    return workspace.relative(sharing.path) if inside else "shipped with totalplace"


def _estimate(amount: Decimal) -> str:
    """An estimate before surveys, rounded as people should read it."""
    return display.money(amount, display.ROUNDED)
