"""Read one published spend file (CSV, CSV.gz or XLSX) into a table of text cells.

Every record of the file is accounted for: it becomes a row of the table, a
row with the wrong number of cells (kept with its raw text), or a blank row.
Row numbers are the record numbers a spreadsheet shows (the first line is 1).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from totalplace.errors import InputError

SPEND_SUFFIXES = (".csv", ".csv.gz", ".xlsx")
HEADER_SEARCH_ROWS = 30
GOOD_HEADER = 4  # recognised column names that make a row surely the header
HEAD_CHARS = 1 << 16  # the header is looked for in this much of the file's start
_ASCII_SPACE = re.compile(rb"[\t-\r\x1c- ]*")  # the ASCII characters str.isspace() accepts


@dataclass
class OddRow:
    """A record whose number of cells differs from the header's."""

    row_number: int
    text: str
    cells: list[str]


@dataclass
class TextTable:
    """A spend file read as text: the header, its rows and how each record was read."""

    path: Path
    sha256: str
    format: str
    encoding: str
    sheet: str | None
    header_row: int
    headers: list[str]
    rows: pa.Table  # one string column per header, plus row_number
    odd_rows: list[OddRow] = field(default_factory=list)
    blank_rows: int = 0


def spend_format(path: Path) -> str:
    """The format of a spend file from its name, or one clear error."""
    name = path.name.lower()
    for suffix in SPEND_SUFFIXES:
        if name.endswith(suffix):
            return suffix.lstrip(".")
    raise InputError(f"{path}: not a spend file this tool reads (expected .csv, .csv.gz or .xlsx)")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode(raw: bytes) -> tuple[str, str]:
    """Text and the name of its encoding: UTF-8 (with or without BOM), else Windows-1252.

    Windows-1252 leaves five bytes undefined; a file using them is read as
    Latin-1 so that no byte is ever lost.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def find_header(records: list[list[str]], score) -> int:
    """Index of the record that looks most like the header (title rows may sit above it).

    ``score`` rates a record; the first record rated ``GOOD_HEADER`` or more is
    taken at once, which is the usual case of a header on the first line.
    """
    best, best_score = 0, -1
    for index, record in enumerate(records[:HEADER_SEARCH_ROWS]):
        points = score(record)
        if points >= GOOD_HEADER:
            return index
        if points > best_score:
            best, best_score = index, points
    return best


def read_spend_file(path: Path, header_score, digest: str | None = None) -> TextTable:
    """Read a spend file of any supported format into text cells.

    ``header_score`` rates a record as a header row (the column detector's
    count of recognised names), so that title rows above the header are skipped.
    """
    fmt = spend_format(path)
    digest = digest or sha256_of(path)
    if fmt == "xlsx":
        text, sheet = xlsx_to_csv_text(path, header_score)
        encoding, utf8 = "xlsx", text.encode("utf-8")
    else:
        raw = path.read_bytes()
        if fmt == "csv.gz":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as error:
                raise InputError(f"{path}: not a readable gzip file: {error}") from None
        sheet = None
        if raw.isascii():  # UTF-8 as it stands: decoding all of a big file would only copy it
            if _ASCII_SPACE.match(raw).end() == len(raw):
                raise InputError(f"{path}: the file is empty")
            head = _head_text(raw[: HEAD_CHARS + 1].decode("ascii"))
            return _parse_text(path, digest, fmt, "utf-8", sheet, head, raw, header_score)
        text, encoding = decode(raw)
        utf8 = raw if encoding == "utf-8" else text.encode("utf-8")
        del raw
    if not text or text.isspace():
        raise InputError(f"{path}: the file is empty")
    head = _head_text(text)
    del text  # only the UTF-8 bytes are parsed: a big file's text need not stay in memory beside them
    return _parse_text(path, digest, fmt, encoding, sheet, head, utf8, header_score)


def _parse_text(path, digest, fmt, encoding, sheet, head_text: str, utf8: bytes, header_score) -> TextTable:
    head = list(csv.reader(io.StringIO(head_text)))
    header_index = find_header(head, header_score)
    headers = [cell.strip() for cell in head[header_index]]
    width = len(headers)
    names = [f"c{i}" for i in range(width)]
    odd: list[OddRow] = []
    blank_numbers: list[int] = []

    def on_invalid(row) -> str:
        if not row.text.strip(", \t\r\n"):
            blank_numbers.append(row.number)
        else:
            odd.append(OddRow(row.number, row.text, next(csv.reader([row.text]), [])))
        return "skip"

    # Threads read a big file about twice as fast but need not know an odd record's number:
    # a file with any odd record is read again on one thread, which numbers them.
    odd_seen: list[bool] = []
    table = _read_csv(utf8, header_index + 1, names, lambda row: odd_seen.append(True) or "skip", threads=True)
    if odd_seen:
        table = _read_csv(utf8, header_index + 1, names, on_invalid, threads=False)
    first = header_index + 2
    total = table.num_rows + len(odd) + len(blank_numbers)
    numbers = np.arange(first, first + total, dtype=np.int64)
    if odd or blank_numbers:  # the rows Arrow kept are the records not set aside
        taken = np.array(sorted([o.row_number for o in odd] + blank_numbers), dtype=np.int64)
        numbers = np.setdiff1d(numbers, taken, assume_unique=True)
    table = table.append_column("row_number", int64_array(numbers))
    return TextTable(
        path=path, sha256=digest, format=fmt, encoding=encoding, sheet=sheet,
        header_row=header_index + 1, headers=headers, rows=table, odd_rows=odd,
        blank_rows=len(blank_numbers),
    )


def _read_csv(utf8: bytes, skip_rows: int, names: list[str], on_invalid, threads: bool) -> pa.Table:
    """Every record with as many cells as the header, as text; the others go to `on_invalid`."""
    return pacsv.read_csv(
        pa.BufferReader(utf8),
        read_options=pacsv.ReadOptions(
            skip_rows=skip_rows, column_names=names, use_threads=threads, block_size=1 << 24,
        ),
        parse_options=pacsv.ParseOptions(
            newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=False, quoted_strings_can_be_null=False,
        ),
    )


def int64_array(values: np.ndarray) -> pa.Array:
    """A numpy int64 array as Arrow, sharing its memory.

    pa.array(ndarray) would import pandas on first use (half a second).
    """
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def _head_text(text: str, limit: int = HEAD_CHARS) -> str:
    """Enough of the file's start to find its header, cut at a line end."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > 0 else limit]


def xlsx_to_csv_text(path: Path, header_score) -> tuple[str, str]:
    """The sheet that holds the spend table, as CSV text; cells keep what Excel shows."""
    from openpyxl import load_workbook  # slow import; only xlsx files need it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise InputError(f"{path}: not a readable .xlsx workbook: {error}") from None
    try:
        sheet = _spend_sheet(book, header_score)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for values in sheet.iter_rows(values_only=True):
            writer.writerow([excel_cell_text(v) for v in values])
        return out.getvalue(), sheet.title
    finally:
        book.close()


def _spend_sheet(book, header_score):
    """The worksheet whose header row is recognised best."""
    def rating(sheet) -> int:
        rows = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
        return max((header_score([excel_cell_text(v) for v in r]) for r in rows), default=0)

    return max(book.worksheets, key=rating)


def excel_cell_text(value) -> str:
    """A cell as text: dates as ISO dates, numbers without binary-float noise."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # repr gives the shortest text that round-trips: 1234.56, not 1234.5599999
        return format(Decimal(repr(value)), "f")
    return str(value)
