"""The appraisal as an XLSX workbook a finance team can check line by line.

Sheets: Read me, Inputs, Discount factors, Working (every cost and benefit line of
every year, with its arithmetic as a live Excel formula beside the value the
software computed), Summary, Agencies, Matrix, Cash flow, Gain-share (one per
method), Agreement, Sensitivity, Switching values, Monte Carlo.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from totalplace.appraise import tables
from totalplace.appraise.engine import Appraisal
from totalplace.appraise.gainshare import METHODS, propose
from totalplace.appraise.sensitivity import switching_values, tornado
from totalplace.appraise.vector import monte_carlo
from totalplace.present.tables import Table, sheet_rows
from totalplace.tabular import Formula, append_row

def _write_table(book: Workbook, name: str, table: Table) -> Worksheet:
    sheet = book.create_sheet(name[:31])
    sheet_rows(sheet, table)
    for note in table.notes:
        append_row(sheet, [note])
    return sheet


def _inputs(book: Workbook, appraisal: Appraisal) -> None:
    iv = appraisal.intervention
    sheet = book.create_sheet("Inputs")
    append_row(sheet, ["field", "value"])
    for name in ("id", "name", "price_year", "first_year", "horizon", "cohort", "cohort_group", "engagement", "success",
                 "deadweight", "displacement", "attribution", "attribution_sense", "lag", "drop_off", "confidence"):
        append_row(sheet, [name, getattr(iv, name)])
    append_row(sheet, ["attribution is the share kept (due to this intervention): " + tables.attribution_note(appraisal)])
    append_row(sheet, [])
    append_row(sheet, ["costs: line", "agency", "year", "kind", "amount", "confidence", "note"])
    for number, cost in enumerate(iv.costs):
        append_row(sheet, [f"costs[{number}]", cost.agency, cost.year, cost.kind.value, cost.amount,
                      cost.confidence or iv.confidence, cost.note])
    append_row(sheet, [])
    append_row(sheet, ["uncertainty: input", "distribution", "parameters"])
    for key, spec in iv.uncertainty.items():
        append_row(sheet, [key, spec.dist, ", ".join(f"{k}={v}" for k, v in spec.model_dump().items()
                                                 if k != "dist" and v is not None)])
    _write_table_into(sheet, tables.outcome_table(appraisal))


def _write_table_into(sheet: Worksheet, table: Table) -> None:
    append_row(sheet, [])
    append_row(sheet, [table.title])
    append_row(sheet, table.columns)
    for row in table.rows:
        append_row(sheet, row)
    for note in table.notes:
        append_row(sheet, [note])


def _discount(book: Workbook, appraisal: Appraisal) -> None:
    sheet = book.create_sheet("Discount factors")
    append_row(sheet, ["year", "fiscal year", "standard rate", "standard factor", "check (formula)",
                  "health rate", "health factor", "check (formula)"])
    schedules = appraisal.context.schedules
    horizon = appraisal.intervention.horizon
    standard, health = schedules["standard"].factors(horizon), schedules["health"].factors(horizon)
    for year in range(horizon):
        row = sheet.max_row + 1
        first = year == 0
        append_row(sheet, [year, appraisal.intervention.year_label(year),
                      schedules["standard"].rate(year) if year else 0, standard[year],
                      Formula("=1" if first else f"=D{row - 1}/(1+C{row})"),
                      schedules["health"].rate(year) if year else 0, health[year],
                      Formula("=1" if first else f"=G{row - 1}/(1+F{row})")])
    append_row(sheet, ["Each year's factor is the previous year's divided by (1 + that year's rate): "
                  "a continuing product across the rate bands."])


def _working(book: Workbook, appraisal: Appraisal) -> None:
    """One row per flow: amount, optimism bias, adjusted, factor, PV, and formulas re-deriving them."""
    sheet = book.create_sheet("Working")
    append_row(sheet, ["line", "side", "kind", "agency", "year", "fiscal year", "amount (real)", "optimism factor",
                        "adjusted", "discount factor", "PV", "adjusted (formula)", "PV (formula)"], bold=True)
    for flow in appraisal.flows:
        row = sheet.max_row + 1
        factor = flow.adjusted / flow.amount if flow.amount else Decimal(1)
        append_row(sheet, [flow.line, flow.side, flow.kind, flow.agency or "(economy/society)", flow.year,
                      appraisal.intervention.year_label(flow.year), flow.amount, factor,
                      flow.adjusted, flow.factor, flow.pv, Formula(f"=G{row}*H{row}"), Formula(f"=I{row}*J{row}")])
    last = sheet.max_row
    append_row(sheet, [])
    append_row(sheet, ["total PV costs", "", "", "", "", "", "", "", "", "",
                       Formula(f'=SUMIF(B2:B{last},"cost",K2:K{last})')])
    append_row(sheet, ["total PV benefits", "", "", "", "", "", "", "", "", "",
                  Formula(f'=SUMIF(B2:B{last},"benefit",K2:K{last})')])
    append_row(sheet, ["Benefit amount = people x unit value x quantity x (1 - drop-off)^(year - lag); see Inputs for "
                  "people and unit values."])


def write_workbook(appraisal: Appraisal, path: Path, draws: int = 10_000, seed: int = 1) -> Path:
    book = Workbook()
    readme = book.active
    readme.title = "Read me"
    for line in [f"Appraisal of {appraisal.intervention.name}", *tables.provenance(appraisal),
                 "Money is exact to the penny in the software (decimal arithmetic); Excel shows it as numbers.",
                 "Working: every cost and benefit line by year, with formulas beside the computed values to check.",
                 "Monte Carlo figures use binary floating point (NumPy)."]:
        append_row(readme, [line])
    _inputs(book, appraisal)
    _discount(book, appraisal)
    _working(book, appraisal)
    for name, table in (("Summary", tables.summary_table(appraisal)), ("Fiscal return", tables.return_table(appraisal)),
                        ("Agencies", tables.agency_table(appraisal)),
                        ("Matrix", tables.matrix_table(appraisal)), ("Cash flow", tables.cashflow_table(appraisal))):
        _write_table(book, name, table)
    for method in METHODS:
        proposal = propose(appraisal, method)
        _write_table(book, f"Gain-share {method}", tables.gainshare_table(appraisal, proposal))
        _write_table(book, f"Agreement {method}", tables.agreement_table(appraisal, proposal))
        _write_table(book, f"Whitehall asks {method}", tables.asks_table(appraisal, proposal))
    _write_table(book, "Sensitivity", tables.tornado_table(appraisal, tornado(appraisal), "public_value_npv"))
    _write_table(book, "Switching values",
                 tables.switching_table(appraisal, switching_values(appraisal), "public_value_npv"))
    if appraisal.intervention.uncertainty:
        for number, table in enumerate(tables.montecarlo_tables(appraisal, monte_carlo(appraisal, draws, seed))):
            _write_table(book, f"Monte Carlo {number + 1}", table)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
