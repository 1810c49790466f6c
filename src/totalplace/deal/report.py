"""The deal's tables (shared by the CLI and the place report) and its report sections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from totalplace.commands.common import money
from totalplace.deal import burden as burden_model
from totalplace.deal import pool as pool_model
from totalplace.deal.asks import load_register
from totalplace.deal.review import AskReview, review
from totalplace.deal.sources import LEICESTERSHIRE_REPORTING, POOLED_HEALTH_AND_CARE_2008
from totalplace.errors import InputError
from totalplace import display
from totalplace.present.section import ASK, Finding, Section
from totalplace.present.tables import Table
from totalplace.workspace import Workspace


def pool_notes(result: pool_model.Pooling) -> list[str]:
    notes = ["Share of themes: the money in the pool of the agencies whose ledgers the count holds, of those "
             "ledgers' spending on the pool's themes (the same agencies on both sides)."]
    notes += [share.sentence() for share in result.shares]
    notes += [f"OVERDRAWN: pool {p.pool.pool} by {money(-p.balance)}" for p in result.pools if p.balance < 0]
    notes += [f"MISALIGNED: {m.pool} {m.partner} / {m.funding_stream}: {m.problem}" for m in result.misalignments]
    notes.append(f"{POOLED_HEALTH_AND_CARE_2008.citation()} That is a share of health and social care funding, "
                 "nearer to a pool's share of its themes than to a share of all the place's money.")
    return notes


def pool_table(result: pool_model.Pooling) -> Table:
    rows = [[p.pool.pool, p.pool.name, p.pool.kind.value, p.pool.fiscal_year, p.contributed, p.drawn, p.balance,
             ", ".join(p.pool.themes), p.themes_counted, p.share_of_themes] for p in result.pools]
    return Table("Pooled and aligned budgets", ["pool", "name", "kind", "year", "contributed", "drawn down",
                                                "balance", "count themes", "counted on themes", "share of themes"],
                 rows, pool_notes(result))


def burden_notes(burden: burden_model.Burden) -> list[str]:
    return [f"Total: {len(burden.items)} items, {burden.hours:,.0f} staff hours, {money(burden.cost)} a year, "
            f"about {burden.staff} full-time staff at {burden_model.FTE_HOURS} hours a year each (an assumption).",
            f"Compare: {LEICESTERSHIRE_REPORTING.citation()}"]


def burden_table(burden: burden_model.Burden) -> Table:
    rows = [list(r) for r in burden.by_agency()] + [["Total", len(burden.items), burden.hours, burden.cost]]
    return Table("Reporting burden by agency", ["agency", "items", "hours a year", "cost a year"], rows,
                 burden_notes(burden))


def equivalents_table(burden: burden_model.Burden) -> Table:
    rows = [[measure, ", ".join(sorted({i.agency for i in items})), ", ".join(i.id for i in items),
             sum((i.hours for i in items), Decimal(0)), sum((i.cost for i in items), Decimal(0))]
            for measure, items in burden.equivalents()]
    return Table("Equivalent indicators collected by more than one agency",
                 ["measure", "agencies", "items", "hours a year", "cost a year"], rows)


def framework_table(result: burden_model.Replacement) -> Table:
    fw = result.framework
    rows = [[o.id, o.outcome, i.id, i.name, i.unit,
             f"{i.baseline.value} ({i.baseline.year})" if i.baseline else "",
             f"{i.target.value} ({i.target.year})" if i.target else "", ", ".join(i.replaces)]
            for o in fw.outcomes for i in o.indicators]
    notes = [f"ILLUSTRATIVE: {fw.note}".strip()] if fw.illustrative else ([fw.note] if fw.note else [])
    notes.append(f"Replaces {len(result.replaced)} current returns, freeing {result.hours_freed:,.0f} staff hours "
                 f"and {money(result.money_freed)} a year; {len(result.kept)} items stay.")
    return Table(fw.title, ["outcome", "outcome name", "indicator", "indicator name", "unit", "baseline", "target",
                            "replaces"], rows, notes)


def indicator_text(indicator) -> str:
    """An outcome indicator with its baseline and target: 'I1 Completions (%): baseline 6.2 (2018-19), target ...'."""
    levels = [f"{name} {level.value} ({level.year})" for name, level in
              (("baseline", indicator.baseline), ("target", indicator.target)) if level]
    unit = f" ({indicator.unit})" if indicator.unit else ""
    return f"{indicator.id} {indicator.name}{unit}" + (f": {', '.join(levels)}" if levels else "")


def asks_table(reviews: list[AskReview]) -> Table:
    rows = [[r.ask.id, r.ask.title, r.ask.department, r.ask.freedom.value, r.ask.money, r.status.value,
             r.ask.owner, r.ask.reply_due.isoformat() if r.ask.reply_due else "",
             ", ".join(i.id for i in r.indicators),
             "; ".join(f"{f.kind}: {f.text}" for f in r.flags)] for r in reviews]
    return Table("Asks of the place proposition", ["id", "title", "department", "freedom", "money", "status", "owner",
                                                   "reply due", "indicators", "flags"], rows,
                 [f"{sum(1 for r in reviews if r.flags)} of {len(reviews)} asks flagged."]
                 + [f"Indicator {indicator_text(i)}" for i in {i.id: i for r in reviews for i in r.indicators}.values()])


def evidence_table(reviews: list[AskReview]) -> Table:
    rows = [[r.ask.id, e.link, e.figure.label if e.figure else "MISSING", e.figure.amount if e.figure else None,
             e.submitted, "evidence changed" if e.changed else ("evidence missing: " + e.missing if e.missing else "ok")]
            for r in reviews for e in r.evidence]
    return Table("The evidence behind each ask", ["ask", "link", "figure", "now", "when submitted", "state"], rows,
                 ["A figure that changed since the ask was submitted, or no longer exists, is flagged."],
                 codes=("link",))  # the figure's words for people; its link stays in the CSV and JSON


def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    """The deal in the place report: asks with evidence and flags, pooled budgets, burden, outcomes framework.
    The deal's registers are as they stand today, whatever the report's year; the pools say their own years."""
    sections = []
    today = f"as they stand on {date.today().isoformat()}"
    try:
        if load_register(workspace).asks:
            reviews = review(workspace)
            asks = asks_table(reviews)
            asks.precision = display.ROUNDED
            findings = [_ask(r.ask) for r in reviews]
            sections.append(Section("deal-asks", "The deal: asks and offers", [
                f"{len(reviews)} asks of Whitehall; each rests on figures of the count, linked live."],
                tables=[asks], appendix=[evidence_table(reviews)], year=f"The asks {today}.", findings=findings))
        pools = pool_model.pooling(workspace)
        if pools.pools:
            sections.append(Section("deal-pools", "Pooled and aligned budgets", [], tables=[pool_table(pools)],
                                    provenance=[POOLED_HEALTH_AND_CARE_2008.citation()],
                                    year=f"Pooled budgets of {', '.join(pools.years)}."))
        burden = burden_model.load_burden(workspace)
        if burden.items:
            tables = [burden_table(burden)]
            appendix = [equivalents_table(burden)]
            replaced = burden_model.replacement(workspace, burden)
            if replaced:
                appendix.append(framework_table(replaced))
            sections.append(Section("deal-burden", "Reporting burden and a single outcomes framework",
                                    burden_notes(burden)[:1], tables=tables, appendix=appendix,
                                    provenance=[LEICESTERSHIRE_REPORTING.citation()],
                                    year=f"Returns a year, {today}."))
    except InputError as error:
        sections.append(Section("deal", "The deal", [f"The deal's inputs could not be read: {error}"]))
    return sections


def _ask(ask) -> Finding:
    """One ask of Whitehall in a line: who is asked, for what, and the money (as the asks table shows it)."""
    money = f": {display.money(ask.money, display.ROUNDED)}" if ask.money else ""
    return Finding(ASK, f"{ask.id}, {ask.title} ({ask.department}, {ask.freedom.value}){money}.",
                   ask.money or Decimal(0))
