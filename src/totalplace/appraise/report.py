"""The appraisal's sections of the place report: summary, matrix, cash flow, sensitivity, gain-share, Monte Carlo."""

from __future__ import annotations

import numpy as np

from totalplace.appraise import tables
from totalplace.appraise.engine import Appraisal
from totalplace.display import ROUNDED, money
from totalplace.appraise.gainshare import propose
from totalplace.appraise.sensitivity import TornadoBar, switching_values, tornado
from totalplace.appraise.service import intervention_files, appraise_file
from totalplace.appraise.vector import MonteCarlo, monte_carlo
from totalplace.deepdive.unit_cost_report import costs_used_table
from totalplace.deepdive.unit_costs import UnitCostLibrary, load_library
from totalplace.present.charts import PAGE_WIDTH, PALETTE, axis_labels, money_axis_label, pyplot, svg_of, wrap
from totalplace.present.section import INVEST, Chart, Finding, Section

DRAWS, SEED = 10_000, 1


def cash_flow_svg(appraisal: Appraisal) -> str:
    """Each agency's net money by year (bars below zero: the budget pays)."""
    flows = appraisal.cash_flow()
    years = [appraisal.intervention.year_label(y) for y in range(appraisal.intervention.horizon)]
    figure, axes = pyplot().subplots(figsize=(PAGE_WIDTH, 3.8))
    width = 0.8 / max(1, len(flows))
    for index, (agency, values) in enumerate(flows.items()):
        positions = np.arange(len(years)) + index * width - 0.4 + width / 2
        axes.bar(positions, [float(v) for v in values], width, label=wrap(appraisal.context.agencies[agency].name, 30),
                 color=PALETTE[index % len(PALETTE)])
    axes.axhline(0, color="#0b0c0c", linewidth=0.8)
    axes.set_xticks(np.arange(len(years)), years, rotation=45, ha="right")
    axes.yaxis.set_major_formatter(axis_labels(money_axis_label))
    axes.legend(ncols=3, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    axes.set_title("Net cash flow by agency and year (real terms)")
    return svg_of(figure)


def tornado_svg(appraisal: Appraisal, bars: list[TornadoBar], central: float) -> str:
    figure, axes = pyplot().subplots(figsize=(PAGE_WIDTH, 0.32 * len(bars) + 1))
    for row, bar in enumerate(reversed(bars)):
        low, high = float(bar.npv_low) - central, float(bar.npv_high) - central
        axes.barh(row, low, left=central, color=PALETTE[3])
        axes.barh(row, high, left=central, color=PALETTE[0])
    axes.set_yticks(range(len(bars)), [wrap(tables.input_name(appraisal, b.key), 40) for b in reversed(bars)],
                    fontsize=8)
    axes.axvline(central, color="#0b0c0c", linewidth=0.8)
    axes.xaxis.set_major_formatter(axis_labels(money_axis_label))
    axes.set_title("NPV with each input 20% lower (red) and higher (blue)")
    return svg_of(figure)


def histogram_svg(run: MonteCarlo) -> str:
    figure, axes = pyplot().subplots(figsize=(PAGE_WIDTH, 3.2))
    axes.hist(run.result.public_value_npv, bins=50, color=PALETTE[0], alpha=0.8, label="public value NPV")
    axes.hist(run.result.fiscal_npv, bins=50, color=PALETTE[1], alpha=0.6, label="fiscal NPV")
    axes.axvline(0, color="#0b0c0c", linewidth=0.8)
    axes.xaxis.set_major_formatter(axis_labels(money_axis_label))
    axes.legend(frameon=False)
    axes.set_title(f"Monte Carlo: {run.draws:,} draws (seed {run.seed})")
    return svg_of(figure)


def intervention_sections(appraisal: Appraisal, library: UnitCostLibrary | None = None) -> list[Section]:
    """The appraisal's sections; its money is modelled, so people read it rounded (the downloads keep pence)."""
    iv = appraisal.intervention
    codes = [o.unit_cost for o in iv.outcomes if o.unit_cost]
    used = [costs_used_table(library, codes, iv.price_year, f"the appraisal of {iv.name}")] if library and codes else []
    slug = f"appraisal-{iv.id}"
    summary = appraisal.summary()
    said = f"Money in real terms at {iv.price_year} prices; year 0 is {iv.first_year}."
    case = _invest_to_save(appraisal)
    sections = [
        Section(f"{slug}-summary", f"Invest to save: {iv.name}",
                ([iv.description.strip()] if iv.description else []) + [case.text],
                tables=[tables.summary_table(appraisal), tables.agency_table(appraisal),
                        tables.return_table(appraisal)],
                provenance=tables.provenance(appraisal), year=said, appendix=[tables.outcome_table(appraisal), *used],
                findings=[case]),
        Section(f"{slug}-matrix", "Who pays and who gains: the wrong-pocket matrix",
                ["Each agency's own NPV before any gain-share; the matrix spreads each gaining agency's benefit over "
                 "the investing agencies by their share of the cost."],
                charts=[Chart("Net cash flow by agency and year", cash_flow_svg(appraisal),
                              tables.cashflow_table(appraisal))],
                tables=[tables.matrix_table(appraisal)], year=said),
    ]
    bars = tornado(appraisal)
    sections.append(Section(
        f"{slug}-sensitivity", "Sensitivity and switching values",
        charts=[Chart("Tornado: public value NPV", tornado_svg(appraisal, bars, float(summary.public_value_npv)),
                      tables.tornado_table(appraisal, bars, "public_value_npv"))],
        tables=[tables.switching_table(appraisal, switching_values(appraisal), "public_value_npv")], year=said))
    gain, others = [], []
    for method in ("shapley", "benefit", "cost"):
        proposal = propose(appraisal, method)
        if method == "shapley":
            gain += [tables.gainshare_table(appraisal, proposal), tables.agreement_table(appraisal, proposal),
                     tables.asks_table(appraisal, proposal)]
        else:
            others.append(tables.gainshare_table(appraisal, proposal))
    sections.append(Section(f"{slug}-gainshare", "Sharing the gains",
                            ["The Shapley value shares the partnership's fiscal NPV by what each partner adds to "
                             "every coalition of partners. Cash moves only between local partners and only out of "
                             "cashable savings; a national body's share is a proposed ask of Whitehall. The shares "
                             "by benefit and by cost are in the appendix."], tables=gain, appendix=others, year=said))
    if iv.uncertainty:
        run = monte_carlo(appraisal, DRAWS, SEED)
        chances, percentiles = tables.montecarlo_tables(appraisal, run)
        sections.append(Section(f"{slug}-montecarlo", "Uncertainty: Monte Carlo",
                                charts=[Chart("Distribution of NPV", histogram_svg(run), percentiles)],
                                tables=[chances], year=said))
    for section in sections:
        for table in section.all_tables():
            table.precision = ROUNDED
    return sections


def _invest_to_save(appraisal: Appraisal) -> Finding:
    """The case in one line: what it costs, who pays, who gains, its net present value (from the summary's and
    the agencies' tables)."""
    summary, pvs = appraisal.summary(), appraisal.agency_pv()
    name = {a: appraisal.context.agencies[a].name for a in pvs}
    pays = sorted((a for a in pvs if pvs[a][0] > 0), key=lambda a: -pvs[a][0])
    gains = sorted((a for a in pvs if pvs[a][1] > 0), key=lambda a: -pvs[a][1])
    text = (f"{appraisal.intervention.name}: costs {rounded(summary.pv_costs)} in present value, paid by "
            + ", ".join(f"{name[a]} {rounded(pvs[a][0])}" for a in pays)
            + "; the fiscal gains go to " + ", ".join(f"{name[a]} {rounded(pvs[a][1])}" for a in gains)
            + f"; net present value {rounded(summary.fiscal_npv)} to public budgets, "
              f"{rounded(summary.public_value_npv)} with the wider economic and social value.")
    return Finding(INVEST, text, summary.fiscal_npv)


def rounded(amount) -> str:
    """Modelled money as the appraisal's tables show it: to the penny first, then rounded for people."""
    return money(tables.pence(amount), ROUNDED)


def report_sections(workspace, year: str | None = None) -> list[Section]:
    """Every intervention in the workspace's interventions/ folder, each with its sections (an appraisal is in
    its own prices and years, whatever the report's year)."""
    library = load_library(workspace)
    return [section for path in intervention_files(workspace)
            for section in intervention_sections(appraise_file(workspace, path), library)]
