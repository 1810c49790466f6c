"""The one writer of CSV and XLSX files: web downloads, `--format csv|xlsx`, the report's tables and exports.

A spreadsheet opening a CSV runs a cell that begins with `=`, `+`, `-`, `@`, a
tab or a carriage return as a formula (CSV injection). Supplier names and
service labels come from the agencies' own files, so a payment to
`=HYPERLINK(...)` could run in a reader's spreadsheet. As OWASP recommends,
such text is written with a single quote before it; numbers stay numbers
(a negative amount is not text). `restored` undoes it when the software reads
its own files back (a Fiscal Data Package export, say). In a workbook such text is written as a
text cell (never a formula), marked with Excel's quote prefix so editing it
keeps it text. The only formulas a workbook holds are the software's own,
given as `Formula`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Text that is a plain number ("-12.50", "+3", "1e5") is a number to a spreadsheet, never a formula.
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
MONEY_FORMAT = '"£"#,##0.00;-"£"#,##0.00'
SHARE_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
NUMBER_FORMAT = "#,##0.0#"
RATIO_FORMAT = "0.00"


class Number(Decimal):
    """An exact decimal that is not money (days, hours, an index): a number in every file, never shown with £.

    A plain Decimal in a table is money; a figure of another kind says so by its type,
    so a spreadsheet stores it as a number with its own format and a page shows it without £.
    """

    number_format = NUMBER_FORMAT


class Ratio(Number):
    """A ratio or index (a benefit-cost ratio, a fragmentation index): three significant figures to people."""

    number_format = RATIO_FORMAT


@dataclass(frozen=True)
class Formula:
    """A formula the software writes itself (a workbook's working shown as Excel would compute it)."""

    text: str  # with its leading "="


def is_number(value: object) -> bool:
    return isinstance(value, (Decimal, int, float)) and not isinstance(value, bool)


def could_run(text: str) -> bool:
    """Whether a spreadsheet would take this text as the start of a formula."""
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(text)


def safe_text(text: str) -> str:
    """Text as a CSV cell: a quote before anything a spreadsheet would run.

    Text that already begins with quotes before such a start gets one more, so
    that `restored` gives back exactly what was written.
    """
    return "'" + text if could_run(text.lstrip("'")) else text


def restored(cell: str) -> str:
    """A CSV cell written by `safe_text` as it was before (for reading back the software's own files)."""
    return cell[1:] if cell.startswith("'") and could_run(cell.lstrip("'")) else cell


def exact_value(value: Any) -> Any:
    """A number as the files keep it (CSV, JSON): money exact with pence, other numbers exact, shares to six
    places; anything else as it is."""
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return round(value, 6)
    return value


def csv_value(value: Any) -> Any:
    """A value for a CSV cell: numbers as `exact_value` keeps them, text made safe."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, tuple):  # a row's several explanations
        return safe_text("; ".join(map(str, value)))
    return exact_value(value)


def write_csv(handle: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    # Rows end in CRLF (RFC 4180): the csv module then quotes a cell holding a carriage return,
    # which with a bare LF it writes as it is, splitting the row for a reader.
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow([csv_value(c) for c in columns])
    writer.writerows([csv_value(v) for v in row] for row in rows)


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    write_csv(buffer, columns, rows)
    return buffer.getvalue()


def append_row(sheet, values: Sequence[Any], *, money: bool = False, shares: bool = False,
               bold: bool = False) -> None:
    """One row at the foot of an openpyxl worksheet: numbers as numbers, text as text, never a formula.

    With `money`, exact amounts show to the penny; with `shares`, fractions show as per cent.
    """
    sheet.append([_sheet_cell(sheet, value, money, shares, bold) for value in values])


def number_format(value: Any, money: bool = True, shares: bool = True) -> str:
    """How a spreadsheet shows a number: £ to the penny, a share as %, a count with thousands, a ratio to 2 places."""
    if isinstance(value, Number):
        return value.number_format
    if isinstance(value, Decimal):
        return MONEY_FORMAT if money else NUMBER_FORMAT
    if isinstance(value, float):
        return SHARE_FORMAT if shares else NUMBER_FORMAT
    if isinstance(value, int) and not isinstance(value, bool):
        return COUNT_FORMAT
    return "General"


def _sheet_cell(sheet, value: Any, money: bool, shares: bool, bold: bool):
    from openpyxl.cell import Cell
    from openpyxl.styles import Font

    cell = Cell(sheet)
    if isinstance(value, tuple):  # a row's several explanations
        value = "; ".join(map(str, value))
    if isinstance(value, Formula):
        cell.value = value.text
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would take text that begins with "=" for a formula
        if could_run(value):
            cell.quotePrefix = True  # and Excel keeps it text when someone edits it
    else:
        cell.value = float(value) if isinstance(value, Decimal) else value
        cell.number_format = number_format(value, money, shares)
    if bold:
        cell.font = Font(bold=True)
    return cell
