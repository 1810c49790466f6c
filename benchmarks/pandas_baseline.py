"""Baseline: a straightforward pandas version of the same cleaning, for comparison.

Per file: read every cell as text (UTF-8, falling back to Windows-1252), find
the columns from a table of known header names, parse dates by trying the
project's date formats in turn with pd.to_datetime(dayfirst=True) (plus Excel
serial day numbers), parse amounts by stripping '£', 'GBP', spaces and commas
and reading brackets, a leading or a trailing minus as negative, split the rows
into good and bad, and write both to tables of a DuckDB file.

It is deliberately generous to pandas: amounts are floats (not Decimal), rows
with too many cells are skipped by the C parser rather than kept, and there is
no classification, hashing or per-file accounting as totalplace does.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

# The same formats, in the same order, as totalplace.ingest.parse.DATE_FORMATS.
DATE_FORMATS = [
    "%d/%m/%y", "%d-%b-%y", "%d-%m-%y", "%Y-%m-%d", "%d/%m/%Y", "%d-%b-%Y", "%d-%m-%Y", "%d.%m.%Y",
    "%d %b %Y", "%d %B %Y", "%d-%B-%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y/%m/%d",
]
FIELDS = {
    "body_name": ["bodyname", "organisationname", "organisation"],
    "service_code": ["servicecode", "costcentrecode"],
    "service_label": ["servicelabel", "service", "servicearea", "directorate", "department"],
    "service_division": ["servicedivisionlabel", "servicedivisonlabel", "servicedivision", "costcentre"],
    "expense_code": ["detailedexpenditurecode", "expenditurecode", "expensecode"],
    "expense_category": ["expenditurecategory", "expensecategory"],
    "expense_type": ["detailedexpendituretype", "expensetype", "expendituretype"],
    "payment_date": ["paymentdate", "datepaid", "date", "transactiondate"],
    "transaction_ref": ["transactionnumber", "transactionref", "reference"],
    "amount": ["netamount", "amount", "value"],
    "supplier_name": ["suppliername", "supplier", "payee"],
    "supplier_id": ["suppliernumber", "supplierid"],
    "capital_revenue": ["capitalorrevenue", "capitalrevenue"],
}
TEXT_FIELDS = [f for f in FIELDS if f not in ("payment_date", "amount")]
AMOUNT = re.compile(r"^(?P<open>\()?(?P<sign>[-+])?(?P<digits>\d{1,16}(?:\.\d{0,2})?|\.\d{1,2})"
                    r"(?P<trail>-)?(?P<close>\))?$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS spend_line (
    file VARCHAR, row_number BIGINT, body_name VARCHAR, service_code VARCHAR, service_label VARCHAR,
    service_division VARCHAR, expense_code VARCHAR, expense_category VARCHAR, expense_type VARCHAR,
    transaction_ref VARCHAR, supplier_name VARCHAR, supplier_id VARCHAR, capital_revenue VARCHAR,
    payment_date DATE, fiscal_year VARCHAR, amount DECIMAL(18,2));
CREATE TABLE IF NOT EXISTS rejected_row (file VARCHAR, row_number BIGINT, reason VARCHAR, raw_text VARCHAR);
"""


def _normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(header).lower())


def read_text_frame(path: Path) -> pd.DataFrame:
    for encoding in ("utf-8", "cp1252"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding,
                               on_bad_lines="skip")
        except UnicodeDecodeError:
            continue
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="latin-1", on_bad_lines="skip")


def rename_columns(df: pd.DataFrame) -> pd.DataFrame:
    found = {}
    keys = {column: _normalise(column) for column in df.columns}
    for field, names in FIELDS.items():
        for name in names:
            match = next((c for c, k in keys.items() if k == name and c not in found), None)
            if match is not None:
                found[match] = field
                break
    missing = {"payment_date", "amount"} - set(found.values())
    if missing:
        raise ValueError(f"cannot find columns {missing} in {list(df.columns)}")
    return df.rename(columns=found)


def parse_dates(text: pd.Series) -> pd.Series:
    text = text.str.strip()
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for form in DATE_FORMATS:
        todo = result.isna() & (text != "")
        if not todo.any():
            break
        result[todo] = pd.to_datetime(text[todo], format=form, errors="coerce", dayfirst=True)
    serial = result.isna() & text.str.fullmatch(r"\d{5}(\.0+)?")
    if serial.any():
        days = pd.to_numeric(text[serial]).astype(int)
        result[serial] = pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")
    return result.where(result.dt.year.between(1990, 2100))


def parse_amounts(text: pd.Series) -> pd.Series:
    cleaned = text.str.replace(r"[£\s,]|GBP", "", regex=True)
    parts = cleaned.str.extract(AMOUNT)
    negatives = parts["open"].notna().astype(int) + (parts["sign"] == "-").astype(int) \
        + parts["trail"].notna().astype(int)
    ok = parts["digits"].notna() & (parts["open"].notna() == parts["close"].notna()) & (negatives <= 1)
    value = pd.to_numeric(parts["digits"], errors="coerce") * np.where(negatives > 0, -1.0, 1.0)
    return value.where(ok).round(2)


def fiscal_year(dates: pd.Series) -> pd.Series:
    start = dates.dt.year - (dates.dt.month < 4).astype(int)
    return start.astype(str) + "-" + ((start + 1) % 100).astype(str).str.zfill(2)


def clean_file(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = read_text_frame(path)
    df = rename_columns(raw)
    df["row_number"] = np.arange(2, len(df) + 2)
    blank = (raw.apply(lambda c: c.str.strip()) == "").all(axis=1)
    df = df[~blank.to_numpy()]
    dates = parse_dates(df["payment_date"])
    amounts = parse_amounts(df["amount"])
    bad = dates.isna() | amounts.isna()
    good = df.loc[~bad].copy()
    good["payment_date"] = dates[~bad].dt.date
    good["amount"] = amounts[~bad]
    good["fiscal_year"] = fiscal_year(dates[~bad])
    good["file"] = path.name
    for field in TEXT_FIELDS:
        good[field] = good[field].str.strip().replace("", None) if field in good else None
    rejected = pd.DataFrame({
        "file": path.name,
        "row_number": df.loc[bad, "row_number"],
        "reason": np.where(amounts[bad].isna(), "not an amount", "not a date"),
        "raw_text": [",".join(cells) for cells in raw.loc[bad[bad].index].astype(str).itertuples(index=False)],
    })
    return good, rejected


def load(db_path: Path, paths: list[Path]) -> dict:
    con = duckdb.connect(str(db_path))
    con.execute(SCHEMA)
    columns = ["file", "row_number", *TEXT_FIELDS, "payment_date", "fiscal_year", "amount"]
    for path in paths:
        good, rejected = clean_file(path)
        good = good[columns]
        con.register("good_rows", good)
        con.register("bad_rows", rejected)
        con.execute("INSERT INTO spend_line SELECT * FROM good_rows")
        con.execute("INSERT INTO rejected_row SELECT * FROM bad_rows")
        con.unregister("good_rows")
        con.unregister("bad_rows")
    loaded, money = con.execute("SELECT count(*), sum(amount) FROM spend_line").fetchone()
    rejected = con.execute("SELECT count(*) FROM rejected_row").fetchone()[0]
    con.close()
    return {"rows_loaded": loaded, "rows_rejected": rejected, "money_loaded": str(money)}
