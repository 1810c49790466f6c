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
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from totalplace.appraise import tables
from totalplace.appraise.engine import Appraisal
from totalplace.appraise.gainshare import METHODS, propose
from totalplace.appraise.sensitivity import switching_values, tornado
from totalplace.appraise.vector import monte_carlo
from totalplace.report.tables import Table

BOLD = Font(bold=True)


def _cell(value):
    return float(value) if isinstance(value, Decimal) else value


def _write_table(book: Workbook, name: str, table: Table) -> Worksheet:
    sheet = book.create_sheet(name[:31])
    sheet.append([table.title])
    sheet["A1"].font = BOLD
    sheet.append(table.columns)
    for cell in sheet[2]:
        cell.font = BOLD
    for row in table.rows:
        sheet.append([_cell(v) for v in row])
        for value, cell in zip(row, sheet[sheet.max_row]):
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
    for note in table.notes:
        sheet.append([note])
    return sheet


def _inputs(book: Workbook, appraisal: Appraisal) -> None:
    iv = appraisal.intervention
    sheet = book.create_sheet("Inputs")
    sheet.append(["field", "value"])
    for name in ("id", "name", "price_year", "first_year", "horizon", "cohort", "cohort_group", "engagement", "success",
                 "deadweight", "displacement", "attribution", "attribution_sense", "lag", "drop_off", "confidence"):
        sheet.append([name, _cell(getattr(iv, name))])
    sheet.append(["attribution is the share kept (due to this intervention): " + tables.attribution_note(appraisal)])
    sheet.append([])
    sheet.append(["costs: line", "agency", "year", "kind", "amount", "confidence", "note"])
    for number, cost in enumerate(iv.costs):
        sheet.append([f"costs[{number}]", cost.agency, cost.year, cost.kind.value, _cell(cost.amount),
                      cost.confidence or iv.confidence, cost.note])
    sheet.append([])
    sheet.append(["uncertainty: input", "distribution", "parameters"])
    for key, spec in iv.uncertainty.items():
        sheet.append([key, spec.dist, ", ".join(f"{k}={v}" for k, v in spec.model_dump().items()
                                                 if k != "dist" and v is not None)])
    _write_table_into(sheet, tables.outcome_table(appraisal))


def _write_table_into(sheet: Worksheet, table: Table) -> None:
    sheet.append([])
    sheet.append([table.title])
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append([_cell(v) for v in row])
    for note in table.notes:
        sheet.append([note])


def _discount(book: Workbook, appraisal: Appraisal) -> None:
    sheet = book.create_sheet("Discount factors")
    sheet.append(["year", "fiscal year", "standard rate", "standard factor", "check (formula)",
                  "health rate", "health factor", "check (formula)"])
    schedules = appraisal.context.schedules
    horizon = appraisal.intervention.horizon
    standard, health = schedules["standard"].factors(horizon), schedules["health"].factors(horizon)
    for year in range(horizon):
        row = sheet.max_row + 1
        first = year == 0
        sheet.append([year, appraisal.intervention.year_label(year),
                      _cell(schedules["standard"].rate(year)) if year else 0, _cell(standard[year]),
                      "=1" if first else f"=D{row - 1}/(1+C{row})",
                      _cell(schedules["health"].rate(year)) if year else 0, _cell(health[year]),
                      "=1" if first else f"=G{row - 1}/(1+F{row})"])
    sheet.append(["Each year's factor is the previous year's divided by (1 + that year's rate): "
                  "a continuing product across the rate bands."])


def _working(book: Workbook, appraisal: Appraisal) -> None:
    """One row per flow: amount, optimism bias, adjusted, factor, PV, and formulas re-deriving them."""
    sheet = book.create_sheet("Working")
    sheet.append(["line", "side", "kind", "agency", "year", "fiscal year", "amount (real)", "optimism factor",
                  "adjusted", "discount factor", "PV", "adjusted (formula)", "PV (formula)"])
    for cell in sheet[1]:
        cell.font = BOLD
    for flow in appraisal.flows:
        row = sheet.max_row + 1
        factor = flow.adjusted / flow.amount if flow.amount else Decimal(1)
        sheet.append([flow.line, flow.side, flow.kind, flow.agency or "(economy/society)", flow.year,
                      appraisal.intervention.year_label(flow.year), _cell(flow.amount), _cell(factor),
                      _cell(flow.adjusted), _cell(flow.factor), _cell(flow.pv), f"=G{row}*H{row}", f"=I{row}*J{row}"])
    last = sheet.max_row
    sheet.append([])
    sheet.append(["total PV costs", "", "", "", "", "", "", "", "", "", f'=SUMIF(B2:B{last},"cost",K2:K{last})'])
    sheet.append(["total PV benefits", "", "", "", "", "", "", "", "", "",
                  f'=SUMIF(B2:B{last},"benefit",K2:K{last})'])
    sheet.append(["Benefit amount = people x unit value x quantity x (1 - drop-off)^(year - lag); see Inputs for "
                  "people and unit values."])


def write_workbook(appraisal: Appraisal, path: Path, draws: int = 10_000, seed: int = 1) -> Path:
    book = Workbook()
    readme = book.active
    readme.title = "Read me"
    for line in [f"Appraisal of {appraisal.intervention.name}", *tables.provenance(appraisal),
                 "Money is exact to the penny in the software (decimal arithmetic); Excel shows it as numbers.",
                 "Working: every cost and benefit line by year, with formulas beside the computed values to check.",
                 "Monte Carlo figures use binary floating point (NumPy)."]:
        readme.append([line])
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
    _write_table(book, "Sensitivity", tables.tornado_table(tornado(appraisal), "public_value_npv"))
    _write_table(book, "Switching values", tables.switching_table(switching_values(appraisal), "public_value_npv"))
    if appraisal.intervention.uncertainty:
        for number, table in enumerate(tables.montecarlo_tables(appraisal, monte_carlo(appraisal, draws, seed))):
            _write_table(book, f"Monte Carlo {number + 1}", table)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
