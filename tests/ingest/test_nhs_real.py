"""The shipped NHS payment files load with no mapping: every row and penny accounted for, and classified.

Each file's loaded plus rejected money is held against a sum computed here another
way: the csv module or openpyxl, the amount column named by hand, Decimal arithmetic.
"""

from __future__ import annotations

import csv
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from support.data import SHARED_DATA

from totalplace.ingest.load import ingest
from totalplace.store.connection import connect
from totalplace.workspace import Agency, AgencyKind

NHS = SHARED_DATA / "nhs"
MERGED = sorted(NHS.glob("*.csv"))
RAW = sorted(p for p in (NHS / "raw").glob("*/*") if p.suffix in (".csv", ".xlsx"))
# The amount column of each trust's own publication, read by eye.
RAW_AMOUNT = {"BART": "Amount", "GUYS 01": "amount", "GUYS 02": "Amount in Sterling", "IMPC": "Amount",
              "ROYF": "Amount", "WHIT": "Amount"}
PENNY = Decimal("0.01")


def raw_amount_header(path: Path) -> str:
    return next(h for prefix, h in RAW_AMOUNT.items() if path.name.startswith(prefix))


def merged_sum(path: Path) -> tuple[int, Decimal]:
    """Rows and money of a merged file: 'amount', made negative where 'negative' is -1."""
    rows, total = 0, Decimal(0)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            rows += 1
            amount = Decimal(record["amount"])
            total += -abs(amount) if record["negative"].strip() == "-1" else amount
    return rows, total


def raw_sum(path: Path) -> tuple[int, Decimal]:
    """Rows (with any value) and money of a trust's own file, its amount column named by hand."""
    records = _xlsx_records(path) if path.suffix == ".xlsx" else _csv_records(path)
    header = raw_amount_header(path)
    at = next(i for i, cell in enumerate(records[0]) if str(cell or "").strip() == header)
    rows, total = 0, Decimal(0)
    for record in records[1:]:
        if not any(str(cell or "").strip() for cell in record):
            continue
        rows += 1
        cell = record[at] if at < len(record) else None
        if isinstance(cell, float):  # Excel keeps binary floats: the money is the value to the penny
            total += Decimal(repr(cell)).quantize(PENNY)
        elif isinstance(cell, int):
            total += Decimal(cell)
        elif cell and str(cell).strip():
            total += Decimal(str(cell).strip().replace(",", "").replace("£", ""))
    return rows, total


def _csv_records(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _xlsx_records(path: Path) -> list[list]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


@pytest.fixture(scope="module")
def nhs_place(make_workspace):
    """A workspace with the merged files under one NHS agency and each trust's own files under its own."""
    trusts = sorted({path.parent.name for path in RAW})
    agencies = [Agency(id="nhs-merged", name="NHS bodies, merged files", kind=AgencyKind.nhs)]
    agencies += [Agency(id=trust.lower(), name=f"Trust {trust}", kind=AgencyKind.nhs) for trust in trusts]
    files = {f"agencies/nhs-merged/{path.name}": path for path in MERGED}
    files |= {f"agencies/{path.parent.name.lower()}/{path.name}": path for path in RAW}
    workspace = make_workspace("London NHS", ["E09000008"], agencies=agencies, files=files)
    settings = tomllib.loads(workspace.config_path.read_text())
    assert not any("columns" in a or "layouts" in a for a in settings["agencies"])  # no mapping given
    ingest(workspace)
    con = connect(workspace, read_only=True)
    yield con
    con.close()


def account(con, path: Path) -> tuple:
    return con.execute("SELECT rows_read, rows_loaded, rows_rejected, money_read, money_loaded, money_rejected "
                       "FROM source_file WHERE path LIKE ?", [f"%/{path.name}"]).fetchone()


def test_the_files_are_there():
    assert len(MERGED) == 3 and len(RAW) == 10


@pytest.mark.parametrize("path, independent_sum", [(p, merged_sum) for p in MERGED] + [(p, raw_sum) for p in RAW],
                         ids=lambda v: v.stem if isinstance(v, Path) else None)
def test_each_nhs_file_balances_against_an_independent_sum(nhs_place, path, independent_sum):
    rows_read, rows_loaded, rows_rejected, money_read, money_loaded, money_rejected = account(nhs_place, path)
    raw_rows, raw_money = independent_sum(path)
    assert rows_read == rows_loaded + rows_rejected == raw_rows
    assert money_read == money_loaded + money_rejected == raw_money
    if path in MERGED:
        assert rows_rejected == 0  # month-first and mixed dates all read


def test_redbridge_dates_are_read_month_first_and_fall_in_its_year(nhs_place):
    (lines, fiscal_years, first, last, month_end) = nhs_place.execute(
        """SELECT count(*), list(DISTINCT fiscal_year), min(payment_date), max(payment_date),
                  bool_and(payment_date = last_day(payment_date))
           FROM spend_line JOIN source_file USING (file_id) WHERE path LIKE '%redbridge%'""").fetchone()
    assert lines == merged_sum(NHS / "redbridge-ccg-2020-21.csv")[0]  # every row, '3/31/2021' and '31/05/2020' alike
    assert fiscal_years == ["2020-21"] and str(first) == "2020-04-30" and str(last) == "2021-03-31"
    assert month_end  # a CCG pays on the last day of each month; a day-first misreading would break that


@pytest.mark.parametrize("path", MERGED, ids=lambda p: p.stem)
def test_at_least_nine_tenths_of_each_nhs_files_money_has_a_theme_and_a_cofog_group(nhs_place, path):
    total, grouped = nhs_place.execute(
        """SELECT sum(amount), sum(amount) FILTER (WHERE theme IS NOT NULL AND cofog LIKE '__.%')
           FROM spend_line JOIN source_file USING (file_id) WHERE path LIKE ?""", [f"%/{path.name}"]).fetchone()
    assert grouped / total >= Decimal("0.9"), f"{path.name}: {grouped / total:.1%}"
