"""Reading an intervention from an XLSX workbook (the same fields as the YAML file).

Sheets:
  intervention  two columns, field and value (id, name, price_year, horizon, cohort, engagement, ...)
  agencies      columns id, name, level, department             (optional)
  bearers       columns bearer, agency: a unit cost's bearing agency -> the agency id that gains (optional)
  costs         columns agency, year, kind, amount, confidence, note
  outcomes      columns id, description, kind, agency, cashable, unit_cost, unit_value, quantity, success, ...
  uncertainty   columns input, dist, min, max, mode, mean, sd, alpha, beta   (optional)
Empty cells are left out, so the intervention's defaults apply.
"""

from __future__ import annotations

from pathlib import Path


from totalplace.errors import InputError
from totalplace.inputs import open_workbook


def _text(value):
    return value.strip() if isinstance(value, str) else value


def _records(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    records = []
    for row in rows[1:]:
        record = {h: _text(v) for h, v in zip(header, row) if h and v not in (None, "")}
        if record:
            records.append(record)
    return records


def read_intervention_workbook(path: Path) -> dict:
    with open_workbook(path) as book:
        if "intervention" not in book.sheetnames:
            raise InputError(f"{path}: no sheet named 'intervention' (field, value)")
        data: dict = {}
        for row in book["intervention"].iter_rows(min_row=2, values_only=True):
            if row and row[0] not in (None, "") and len(row) > 1 and row[1] not in (None, ""):
                data[str(row[0]).strip()] = _text(row[1])
        for name in ("agencies", "costs", "outcomes"):
            if name in book.sheetnames:
                data[name] = _records(book[name])
        if "bearers" in book.sheetnames:
            data["bearers"] = {r["bearer"]: r["agency"] for r in _records(book["bearers"])
                               if "bearer" in r and "agency" in r}
        if "uncertainty" in book.sheetnames:
            data["uncertainty"] = {r.pop("input"): r for r in _records(book["uncertainty"]) if "input" in r}
    for outcome in data.get("outcomes", []):
        for flag in ("cashable", "health"):
            if flag in outcome:
                outcome[flag] = str(outcome[flag]).strip().lower() in ("yes", "y", "true", "1")
    return data
