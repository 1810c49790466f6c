"""Small CRA workbooks in the 2018 layout, written for tests (no tests of its own)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HEADERS = ["Department Name", "Organisation Name", "CRA Segment Code", "CRA Segment Name", "COFOG Level 0",
           "HMT Function", "COFOG Level 1", "HMT Subfunction", "ID/non-ID", "CAP or CUR", "CG, LG, PC, BOE",
           "Allocated by HMT or DEPT", "NUTS Region", "Country"]
EDUCATION = ["9. Education", "9. Education", "9.2 Secondary education", "9.2 Secondary education"]
PENSIONS = ["10. Social protection", "10. Social protection", "10.2 Old age", "10.2 Old age; of which: pensions"]


def line(department: str, function: list[str], spender: str, region: str, amounts: list, identifiable: str = "ID",
         programme: str = "S000A000-PROGRAMME") -> list:
    return [department, department, f"X-{programme}", programme, *function, identifiable, "CUR", spender, "DEPT",
            region, "ENGLAND", *amounts]


def write_cra(path: Path, years: list[str], rows: list[list], unit_note: str = "Levels of expenditure shown are in £'000s.") -> Path:
    book = Workbook()
    notes = book.active
    notes.title = "Metadata"
    notes.append(["Expenditure", None, unit_note])
    data = book.create_sheet("CRA database")
    data.append(HEADERS + years)
    for row in rows:
        data.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
