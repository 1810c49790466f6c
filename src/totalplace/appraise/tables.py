"""The appraisal's figures as tables, shared by the CLI, the place report and the XLSX export."""

from __future__ import annotations

from decimal import Decimal

from totalplace import display
from totalplace.appraise.engine import ZERO, Appraisal
from totalplace.appraise.model import BenefitKind
from totalplace.appraise.gainshare import Proposal, agreement_rows
from totalplace.appraise.portfolio import Portfolio
from totalplace.appraise.sensitivity import SwitchingValue, TornadoBar
from totalplace.appraise.tracking import Variance
from totalplace.appraise.vector import MonteCarlo
from totalplace.money import significant, to_pennies
from totalplace.present.tables import Reasons, Table
from totalplace.tabular import Number, Ratio


def pence(value: Decimal | None) -> Decimal | None:
    """To the penny by the one rule (totalplace.money: half a penny away from zero, as the store and Excel round)."""
    return None if value is None else to_pennies(value)


def ratio(value: Decimal | None) -> str:
    """A ratio to three significant figures: 4.6089 -> '4.61', 12.345 -> '12.3', 1234.5 -> '1,230'."""
    return "n/a (no costs)" if value is None else display.ratio(value)


def ratio_cell(value: Decimal | None) -> Ratio | str:
    """A ratio for a table: a number to three significant figures (a spreadsheet keeps it a number)."""
    return "n/a (no costs)" if value is None else Ratio(significant(value))


def input_name(appraisal: Appraisal, key: str) -> str:
    """An input the sensitivity tests vary, in words: 'cost_multiplier:police' -> 'Costs borne by <the police's
    name>', 'outcome:callouts.unit_value' -> 'Unit value of callouts', 'drop_off' -> 'Drop off'."""
    if key.startswith("cost_multiplier:"):
        agency = key.split(":", 1)[1]
        partner = appraisal.context.agencies.get(agency)
        return f"Costs borne by {partner.name if partner else agency}"
    if key.startswith("outcome:"):
        outcome, _, name = key.split(":", 1)[1].rpartition(".")
        return f"{display.code_name(name)} of {display.code_words(outcome)}"
    return display.code_name(key)


def _name(appraisal: Appraisal, agency: str) -> str:
    partner = appraisal.context.agencies[agency]
    return f"{partner.name} ({partner.level.value})"


def provenance(appraisal: Appraisal) -> list[str]:
    """The sources of every default the appraisal used."""
    grades = sorted({t.grade for t in appraisal.terms} | {c.confidence or appraisal.intervention.confidence
                                                          for c in appraisal.intervention.costs})
    context = appraisal.context
    return [
        f"Discounting: {context.schedules['standard'].source}; health outcomes: {context.schedules['health'].source}.",
        "Optimism bias (costs up, benefits down) by confidence grade "
        + ", ".join(f"{g}: {context.optimism[g].adjustment:.0%}" for g in grades)
        + f". Source: {context.optimism[grades[0]].source}.",
        f"Money in real terms at {appraisal.intervention.price_year} prices; year 0 is "
        f"{appraisal.intervention.first_year}.",
    ]


def summary_table(appraisal: Appraisal) -> Table:
    s = appraisal.summary()
    iv = appraisal.intervention
    payback = "not within the horizon" if s.payback_year is None else \
        f"year {s.payback_year} ({iv.year_label(s.payback_year)})"
    rows: list[list[object]] = [
        ["PV costs (all, after optimism bias)", pence(s.pv_costs), "capital + revenue + in kind"],
        ["PV fiscal benefits", pence(s.pv_fiscal), "to public budgets, cashable and not"],
        ["  of which cashable", pence(s.pv_cashable), "money a budget can take out"],
        ["PV economic benefits", pence(s.pv_economic), "e.g. earnings gained"],
        ["PV social benefits", pence(s.pv_social), "e.g. wellbeing"],
        ["Net present budget impact", pence(s.net_present_budget_impact), "PV cashable benefits - PV cash costs"],
        ["Fiscal NPV", pence(s.fiscal_npv), "PV fiscal benefits - PV costs"],
        ["Public value NPV", pence(s.public_value_npv), "PV fiscal + economic + social - PV costs"],
        ["Benefit-cost ratio", ratio_cell(s.bcr),
         "PV all benefits / PV costs (the SROI ratio when all costs are in year 0)"],
        ["Net benefit-cost ratio", ratio_cell(s.net_bcr), "(PV all benefits - PV costs) / PV costs"],
        ["Fiscal benefit-cost ratio", ratio_cell(s.fiscal_bcr), "PV fiscal benefits / PV costs"],
        ["Financial return on investment", ratio_cell(s.financial_roi), "(PV fiscal benefits - PV costs) / PV costs"],
        ["Payback", payback, "first year cumulative PV fiscal benefits >= cumulative PV costs"],
        ["Cashable share", "n/a" if s.cashable_share is None else float(s.cashable_share),
         "PV cashable / PV fiscal benefits"],
    ]
    notes = [f"{iv.name}: cohort {iv.cohort:,}, horizon {iv.horizon} years ({iv.year_label(0)} to "
             f"{iv.year_label(iv.horizon - 1)}).", attribution_note(appraisal),
             "Ratios to three significant figures; money to the penny, half up."] + provenance(appraisal)
    return Table(f"Appraisal: {iv.name}", ["measure", "value", "how"], rows, notes)


SENSES = {
    "others": "given as the share due to others (the SROI sense): the outcome keeps 1 minus it",
    "this": "given as the share due to this intervention: the outcome keeps it",
    "legacy": "`attribution` read as the share due to this intervention (the opposite of SROI's share due to "
              "others): write attribution_share_due_to_others or attribution_share_due_to_this_intervention to "
              "say which",
}


def attribution_note(appraisal: Appraisal) -> str:
    """Which sense of attribution each line used, so a reader from SROI is not misled."""
    iv = appraisal.intervention
    used = {"the intervention": iv.attribution_sense} | {o.id: o.attribution_sense for o in iv.outcomes}
    said: dict[str, list[str]] = {}
    for line, sense in used.items():
        if sense is not None:
            said.setdefault(sense, []).append(line)
    if not said:
        return "Attribution: none given, so all of each outcome is taken as due to this intervention."
    return "Attribution: " + "; ".join(f"{SENSES[sense]} ({', '.join(lines)})" for sense, lines in said.items()) + "."


def outcome_table(appraisal: Appraisal) -> Table:
    rows = [[t.outcome.id, t.outcome.kind.value, _gains(appraisal, t.agency), "yes" if t.outcome.cashable else "",
             pence(t.unit_value), Number(t.outcome.quantity), Number(t.people.quantize(Decimal("0.0001"))), t.lag,
             float(t.drop_off), t.duration or "to horizon", t.grade, float(t.optimism), t.schedule,
             Reasons((t.value_source, f"gains: {t.agency_from}"))]
            for t in appraisal.terms]
    return Table("Outcomes: people achieving each, unit values and their sources",
                 ["outcome", "kind", "agency that gains", "cashable", "unit value", "quantity", "people", "lag",
                  "drop-off", "duration", "grade", "optimism bias", "discounting", "unit value source"], rows,
                 ["people = cohort x engagement x success x (1 - deadweight) x (1 - displacement) x attribution, "
                  "attribution being the share due to this intervention (1 - the SROI share due to others).",
                  "Fiscal value lands in a budget (cashable or not), local or national; economic and social value "
                  "in none."])


def _gains(appraisal: Appraisal, agency: str | None) -> str:
    return "" if agency is None else _name(appraisal, agency)


def matrix_table(appraisal: Appraisal) -> Table:
    """PV costs by investing agency x PV fiscal benefits by gaining agency (the wrong pocket)."""
    pvs = appraisal.agency_pv()
    total_cost = sum((c for c, _ in pvs.values()), ZERO)
    investors = [a for a in pvs if pvs[a][0] > 0]
    gainers = [a for a in pvs if pvs[a][1] > 0]
    rows = []
    for investor in investors:
        share = pvs[investor][0] / total_cost
        cells = [pence(pvs[gainer][1] * share) for gainer in gainers]
        rows.append([_name(appraisal, investor), pence(pvs[investor][0]), *cells,
                     pence(sum((pvs[g][1] for g in gainers), ZERO) * share)])
    rows.append(["PV fiscal benefit gained", pence(total_cost), *[pence(pvs[g][1]) for g in gainers],
                 pence(sum((pvs[g][1] for g in gainers), ZERO))])
    notes = ["Each gaining agency's PV benefit is attributed to the investing agencies in proportion to the PV "
             "cost each bears (a row shows what one agency's spending buys for every budget)."]
    return Table(f"Wrong-pocket matrix: who pays and who gains (PV, {appraisal.intervention.price_year} prices)",
                 ["investing agency", "PV cost", *[_name(appraisal, g) for g in gainers], "total"], rows, notes)


def return_table(appraisal: Appraisal) -> Table:
    """The fiscal return to each agency (cashable and not), apart from the wider economic and social value."""
    rows = []
    for agency, (cost, _) in appraisal.agency_pv().items():
        cash = appraisal.pv("benefit", (BenefitKind.fiscal,), agency, cashable=True)
        other = appraisal.pv("benefit", (BenefitKind.fiscal,), agency, cashable=False)
        rows.append([_name(appraisal, agency), pence(cost), pence(cash), pence(other),
                     pence(cash + other - cost), None, ratio_cell((cash + other - cost) / cost) if cost else "n/a"])
    for kind, whom in ((BenefitKind.economic, "to people and the economy"),
                       (BenefitKind.social, "to people and communities")):
        rows.append([f"wider value: {kind.value} ({whom}, no budget)", None, None, None, None,
                     pence(appraisal.pv("benefit", (kind,))), None])
    return Table("Fiscal return to each agency, apart from the wider economic and social value (PV)",
                 ["who", "PV cost", "PV cashable fiscal benefit", "PV non-cashable fiscal benefit",
                  "fiscal return (benefit - cost)", "PV wider value", "fiscal return on cost"], rows,
                 ["Fiscal value is a saving to a public budget: cashable if it can be taken out of the budget, "
                  "non-cashable if it frees capacity. Economic and social value (earnings, wellbeing) lands in no "
                  "budget, so it is no agency's return: it is shown apart, as the 2014 HM Treasury / New Economy "
                  "guidance for local partnerships separates them."])


def agency_table(appraisal: Appraisal) -> Table:
    rows = [[_name(appraisal, a), pence(c), pence(b), pence(b - c)] for a, (c, b) in appraisal.agency_pv().items()]
    local = sum((b for a, (_, b) in appraisal.agency_pv().items()
                 if appraisal.context.agencies[a].level.value == "local"), ZERO)
    national = sum((b for _, (_, b) in appraisal.agency_pv().items()), ZERO) - local
    return Table("Each agency's own NPV, before any gain-share", ["agency", "PV cost", "PV fiscal benefit", "NPV"],
                 rows, [f"PV fiscal benefits to local agencies {local:,.2f}; to national bodies {national:,.2f}."])


def cashflow_table(appraisal: Appraisal) -> Table:
    iv = appraisal.intervention
    flows = appraisal.cash_flow()
    discounted = appraisal.cash_flow(discounted=True)
    rows = [[a, _name(appraisal, a), *[pence(v) for v in values], pence(sum(discounted[a], ZERO))]
            for a, values in flows.items()]
    return Table("Net cash flow by agency and year: fiscal benefit - cost (real terms, after optimism bias)",
                 ["agency", "name", *[iv.year_label(y) for y in range(iv.horizon)], "NPV"], rows,
                 ["Negative: the agency's budget pays that year; positive: it gains."])


def gainshare_table(appraisal: Appraisal, proposal: Proposal) -> Table:
    settled, with_asks = proposal.settled, proposal.with_asks
    rows = [[_name(appraisal, a), pence(proposal.before[a]), pence(proposal.after[a]), pence(settled[a]),
             pence(with_asks[a]), pence(proposal.not_cashable.get(a))] for a in proposal.before]
    verdict = "every partner comes out at or above zero" if proposal.all_ahead else \
        f"not every partner can be made whole: the largest shortfall is £{proposal.largest_shortfall:,.2f}"
    if proposal.all_ahead and proposal.asks:
        verdict += " once the Whitehall asks are met"
    notes = ["Due: each partner's share of the partnership's fiscal NPV by the method. Cash moves only between "
             "local partners and only out of cashable savings; a national body's share is an ask of Whitehall."]
    notes += [f"check: {c.name}: {'PASS' if c.passed else 'FAIL'} ({c.detail})" for c in proposal.checks]
    return Table(f"Gain-share by {proposal.method}: {verdict}",
                 ["partner", "NPV before", "NPV due (the method's share)", "NPV after the cash that can be paid",
                  "NPV once the Whitehall asks are met", "due to pay but not cashable"], rows, notes)


def agreement_table(appraisal: Appraisal, proposal: Proposal) -> Table:
    return Table(f"Draft agreement ({proposal.method}): who pays whom, how much, in which years",
                 ["payer", "payee", "year", "cash due (real terms)", "present value"],
                 list(agreement_rows(appraisal, proposal)),
                 ["Local partners only. Each payer pays out of its own cashable savings as they arrive: the cash due "
                  "each year is in proportion to its cashable fiscal benefit that year, scaled so the payments' "
                  "present value equals what it can pay.",
                  "Cash is in real terms at the price base year; uprate by the GDP deflator when paying."])


def asks_table(appraisal: Appraisal, proposal: Proposal) -> Table:
    """National bodies' shares of the gains: proposed asks of Whitehall, not payments."""
    names = appraisal.context.agencies
    rows = [[names[ask.agency].name, names[ask.agency].department or names[ask.agency].name, pence(ask.pv),
             "; ".join(f"{names[a].name} £{pence(v):,}" for a, v in ask.payees.items())] for ask in proposal.asks]
    return Table(f"Proposed asks of Whitehall ({proposal.method}): national bodies' shares of the gains",
                 ["national body", "department", "present value", "would reach"], rows,
                 ["A local agreement cannot make a national body pay: its share needs a formal agreement to devolve "
                  "funding. `totalplace appraise gainshare NAME --asks` prints each as an entry for deal/asks.yaml, "
                  "linked as live evidence (appraisal:...;measure=whitehall_ask)."])


def tornado_table(appraisal: Appraisal, bars: list[TornadoBar], measure: str) -> Table:
    rows = [[b.key, input_name(appraisal, b.key), Number(b.base), Number(b.low), Number(b.high), pence(b.npv_low),
             pence(b.npv_high), pence(b.swing)] for b in bars]
    return Table(f"Sensitivity of {display.code_words(measure)} to each input (one at a time)",
                 ["input", "name", "central", "low", "high", "NPV at low", "NPV at high", "swing"], rows,
                 ["Each input moved 20% down and up from its central value (lag: one year), within its range."])


def switching_table(appraisal: Appraisal, values: list[SwitchingValue], measure: str) -> Table:
    rows = []
    for v in values:
        name = input_name(appraisal, v.key)
        if v.value is None:
            low, high = (display.cell(Number(f"{x:.6g}")) for x in v.searched)
            rows.append([v.key, name, Number(v.base), "none", None, f"NPV keeps its sign for {low} to {high}"])
        else:
            # a search's answer to its tolerance: three significant figures are what it can claim
            rows.append([v.key, name, Number(v.base), Number(significant(Decimal(f"{v.value:.6g}"))),
                         v.change, ""])
    return Table(f"Switching values: the value of each input, alone, at which {display.code_words(measure)} is zero",
                 ["input", "name", "central", "switching value", "change from central", "note"], rows)


def montecarlo_tables(appraisal: Appraisal, run: MonteCarlo) -> list[Table]:
    names = {a: _name(appraisal, a) for a in run.agencies}
    chances = [[names.get(k, k), v] for k, v in run.probability_positive().items()]
    percentiles = [[names.get(k, k), *[Decimal(str(round(x, 2))) for x in values]]
                   for k, values in run.percentile_table().items()]
    note = (f"{run.draws:,} draws, seed {run.seed}; NumPy binary floats (the central case is exact in Decimal). "
            "Inputs drawn: " + (", ".join(input_name(appraisal, k) for k in appraisal.intervention.uncertainty)
                                or "none") + ".")
    return [Table("Monte Carlo: chance the NPV is above zero", ["who", "P(NPV > 0)"], chances, [note]),
            Table("Monte Carlo: NPV percentiles", ["who", *[f"P{p}" for p in run.percentiles]], percentiles, [note])]


def portfolio_tables(portfolio: Portfolio) -> list[Table]:
    interventions = Table(f"Portfolio: {portfolio.name}", ["intervention", "cohort group", "PV cost", "fiscal NPV",
                                                            "public value NPV", "adjustment"], portfolio.rows(),
                          portfolio.flags + portfolio.judgements)
    agencies = Table("Portfolio totals by agency", ["agency", "PV cost", "PV fiscal benefit", "NPV"],
                     [[t.agency, pence(t.pv_cost), pence(t.pv_benefit), pence(t.npv)]
                      for t in portfolio.by_agency()])
    return [interventions, agencies]


def tracking_table(appraisal: Appraisal, rows: list[Variance]) -> Table:
    iv = appraisal.intervention
    return Table("Benefit tracking: actual against forecast",
                 ["agency", "year", "kind", "forecast", "actual", "variance", "variance %", "flag"],
                 [[r.agency, iv.year_label(r.year), r.kind, pence(r.forecast), pence(r.actual), pence(r.variance),
                   None if r.share is None else float(r.share), r.flag] for r in rows],
                 [f"Flags use a tolerance of {iv.tracking.tolerance:.0%} of the forecast."])


def pot_table(appraisal: Appraisal, pot: dict[int, tuple[Decimal, Decimal]]) -> Table:
    share = appraisal.intervention.tracking.pot_share
    rows = [[appraisal.intervention.year_label(y), pence(saved), pence(paid)] for y, (saved, paid) in pot.items()]
    return Table(f"Early-intervention pot: {share:.0%} of realised cashable savings of local partners",
                 ["year", "realised local cashable savings", "into the pot"], rows,
                 ["Counts local partners' cashable savings only: a national body's saving (DWP, HMRC) is not the "
                  "place's to put in a local pot, and a non-cashable saving is capacity, not money.",
                  "Default 5%: NLGN (Keohane and Smith), 'Greater than the sum of its parts', March 2010, ch. 11: "
                  "'five per cent of all savings made through Total Place approaches should remain in local early "
                  "intervention pots for future investment.' Set tracking.pot_share to change it."])
