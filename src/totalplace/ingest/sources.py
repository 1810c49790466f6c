"""Read one published spend file (CSV, CSV.gz or XLSX) into a table of text cells.

Every record of the file is accounted for: it becomes a row of the table, a
row with the wrong number of cells or a quote that never closes (kept with its
raw text), or a blank row. Row numbers are the record numbers a spreadsheet
shows (the first line is 1). A workbook gives one table per sheet that holds
something.

Two readings of each CSV must agree: Arrow's records and the file's lines
(a record spans several lines only inside a quoted cell). When they differ, a
careful line-by-line reading decides where each record ends, and a quote that
never closes costs its own line, never the lines after it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from collections.abc import Iterator
from itertools import islice
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from totalplace.errors import InputError
from totalplace.inputs import open_workbook

SPEND_SUFFIXES = (".csv", ".csv.gz", ".xlsx")
HEADER_SEARCH_ROWS = 30
GOOD_HEADER = 4  # recognised column names that make a row surely the header
HEAD_CHARS = 1 << 16  # the header is looked for in this much of the file's start
_ASCII_SPACE = re.compile(rb"[\t-\r\x1c- ]*")  # the ASCII characters str.isspace() accepts
UNCLOSED_QUOTE = "a quote opened in this row never closes: the row is kept as written, and the rows after it are read"
# A record whose quoted cells all close. A field is quoted ("...", then anything up to the
# next comma but a quote) or plain (not starting with a quote); no line end outside quotes.
_FIELD = r'(?:"(?:[^"]|"")*"[^,"\r\n]*|[^,"\r\n][^,\r\n]*|)'
_CLOSED_RECORD = re.compile(f"{_FIELD}(?:,{_FIELD})*")
_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")  # after \n, \r\n or a lone \r: every line end Arrow knows
# Files that are not text, by how they start: said by name, as a user would know them.
_BINARY_KINDS = ((b"PK\x03\x04", "a zip archive or Excel workbook: if it is a workbook, name it .xlsx"),
                 (b"\x89PNG", "a PNG image"), (b"%PDF", "a PDF document"),
                 (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook: save it as .xlsx or .csv"))


@dataclass
class OddRow:
    """A record whose number of cells differs from the header's, or whose quotes do not close."""

    row_number: int
    text: str
    cells: list[str]
    problem: str | None = None  # why the record cannot be read, when it is not only its number of cells


@dataclass
class TextTable:
    """A spend file (or one sheet of a workbook) read as text: the header, its rows and how each record was read."""

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
    notes: list[str] = field(default_factory=list)  # how the file was read, where a user should know it


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


# ---------------------------------------------------------------------------- encodings

def decode(raw: bytes) -> tuple[str, str]:
    """Text and the name of its encoding (see decode_lines, which also says which lines were not UTF-8)."""
    text, encoding, _ = decode_lines(raw)
    return text, encoding


def decode_lines(raw: bytes) -> tuple[str, str, list[int]]:
    """Text, its encoding, and the lines (from 1) of a UTF-8 file that were read as Windows-1252.

    UTF-16 is known by its byte-order mark. A file that is not valid UTF-8 is
    decoded line by line, never whole: each line is UTF-8 if it can be, else
    Windows-1252, else Latin-1 (Windows-1252 leaves five bytes undefined; Latin-1
    loses no byte). A file with no UTF-8 line at all is Windows-1252 (or Latin-1).
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16", []
    if raw.startswith(b"\xef\xbb\xbf"):
        text, encoding, others = decode_lines(raw[3:])
        return text, encoding.replace("utf-8", "utf-8-sig", 1), others
    try:
        return raw.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    try:
        # Nothing but ASCII and bytes UTF-8 cannot read: no line is UTF-8, so the whole file is one encoding.
        raw.decode("utf-8", "surrogateescape").encode("ascii", "surrogateescape")
        return _single_byte(raw)
    except UnicodeEncodeError:
        return _line_by_line(raw)


def _single_byte(raw: bytes) -> tuple[str, str, list[int]]:
    try:
        return raw.decode("cp1252"), "windows-1252", []
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1", []


def _line_by_line(raw: bytes) -> tuple[str, str, list[int]]:
    """A file with some lines in UTF-8 and others not: each line in its own encoding. A file none of whose
    UTF-8 lines holds more than ASCII is a Windows-1252 file."""
    texts, others, utf8_beyond_ascii = [], [], False
    for number, line in enumerate(re.split(rb"(?<=\n)|(?<=\r)(?!\n)", raw), start=1):
        try:
            texts.append(line.decode("utf-8"))
            utf8_beyond_ascii = utf8_beyond_ascii or not line.isascii()
        except UnicodeDecodeError:
            texts.append(_single_byte(line)[0])
            others.append(number)
    if not utf8_beyond_ascii:
        return "".join(texts), "windows-1252", []
    return "".join(texts), "utf-8+windows-1252", others


def _refuse_binary(path: Path, head: bytes) -> None:
    """One clear error for a file that is not text (an image, a workbook, junk) named as a CSV."""
    if b"\x00" not in head:
        return
    kind = next((name for magic, name in _BINARY_KINDS if head.startswith(magic)), "binary data")
    raise InputError(f"{path}: not a text file: it holds {kind}, not rows of comma-separated values")


def _utf16_without_mark(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for text written two bytes a character with no byte-order mark."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    for encoding, nuls, others in (("utf-16-le", head[1::2], head[0::2]), ("utf-16-be", head[0::2], head[1::2])):
        if nuls[:pairs].count(0) >= 0.9 * pairs and others[:pairs].count(0) == 0:
            return encoding
    return None


def _csv_text(path: Path, raw: bytes) -> tuple[str, str, list[str]]:
    """A CSV file's text, its encoding and notes on how it was decoded; one clear error if it is not text."""
    encoding = _utf16_without_mark(raw[:HEAD_CHARS])
    if encoding:
        try:
            return raw.decode(encoding), encoding, []
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: not valid {encoding.upper()} text: {error.reason} at byte {error.start}") from None
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        _refuse_binary(path, raw[:HEAD_CHARS])
    try:
        text, encoding, others = decode_lines(raw)
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not valid UTF-16 text: {error.reason} at byte {error.start}") from None
    notes = [f"{len(others):,} line{'s' if len(others) > 1 else ''} not in UTF-8, read as Windows-1252 "
             f"(line{'s' if len(others) > 1 else ''} {', '.join(map(str, others[:10]))}"
             f"{', ...' if len(others) > 10 else ''})"] if others else []
    return text, encoding, notes


# ---------------------------------------------------------------------------- reading

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


def read_spend_tables(path: Path, header_score, digest: str | None = None,
                      sheet: str | None = None) -> list[TextTable]:
    """Read a spend file of any supported format into text cells: one table, or one per sheet of a workbook
    that holds something (only the sheet named, when one is).

    ``header_score`` rates a record as a header row (the column detector's
    count of recognised names), so that title rows above the header are skipped.
    """
    fmt = spend_format(path)
    digest = digest or sha256_of(path)
    if fmt == "xlsx":
        return [_parse_text(path, digest, fmt, "xlsx", title, _head_text(text), text.encode("utf-8"), header_score)
                for title, text in xlsx_sheets_as_csv_text(path, sheet)]
    raw = path.read_bytes()
    if fmt == "csv.gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise InputError(f"{path}: not a readable gzip file: {error}") from None
    if raw.isascii() and b"\x00" not in raw[:HEAD_CHARS]:  # UTF-8 as it stands: decoding would only copy it
        if _ASCII_SPACE.fullmatch(raw):
            raise InputError(f"{path}: the file is empty")
        head = _head_text(raw[: HEAD_CHARS + 1].decode("ascii"))
        return [_parse_text(path, digest, fmt, "utf-8", None, head, raw, header_score)]
    text, encoding, notes = _csv_text(path, raw)
    utf8 = raw if encoding == "utf-8" else text.encode("utf-8")
    del raw
    if not text or text.isspace():
        raise InputError(f"{path}: the file is empty")
    head = _head_text(text)
    del text  # only the UTF-8 bytes are parsed: a big file's text need not stay in memory beside them
    table = _parse_text(path, digest, fmt, encoding, None, head, utf8, header_score)
    table.notes[:0] = notes
    return [table]


def read_spend_file(path: Path, header_score, digest: str | None = None) -> TextTable:
    """One table of a spend file: of a workbook, the sheet whose header is recognised best."""
    tables = read_spend_tables(path, header_score, digest)
    return max(tables, key=lambda table: header_score(table.headers))


def _parse_text(path, digest, fmt, encoding, sheet, head_text: str, utf8: bytes, header_score) -> TextTable:
    """The header found in the head, then every record after it (see _read_records)."""
    head_lines = _lines(head_text)
    head = list(islice(_careful_records(head_lines, None), HEADER_SEARCH_ROWS))
    header_index = find_header([cells for _, _, cells, _ in head], header_score)
    first_line, spanned, header_cells, _ = head[header_index]
    headers = [cell.strip() for cell in header_cells]
    data_offset = len("".join(head_lines[: first_line + spanned]).encode("utf-8"))
    table, odd, blanks = _read_records(path, utf8, data_offset, headers, header_index + 2)
    return TextTable(
        path=path, sha256=digest, format=fmt, encoding=encoding, sheet=sheet,
        header_row=header_index + 1, headers=headers, rows=table, odd_rows=odd, blank_rows=blanks,
    )


def _read_records(path: Path, utf8: bytes, offset: int, headers: list[str],
                  first: int) -> tuple[pa.Table, list[OddRow], int]:
    """The records from `offset` on (numbered from `first`): rows of the header's width, odd rows, blank count.

    Arrow reads them. Without a quote in the data no record can span lines;
    with quotes, they must pair up (an odd one may be a quote left open at the
    end) and Arrow's records must match the lines. Otherwise a careful reading
    (see _careful_records) finds each record's lines, sets aside the line of a
    quote that never closes, and Arrow reads the rest, which must then give
    the records the careful reading found.
    """
    data = memoryview(utf8)[offset:]
    width = len(headers)
    try:
        table, odd, blanks = _arrow_records(data, width, first)
        quotes = utf8.count(b'"', offset)
        if not quotes or quotes % 2 == 0 and table.num_rows + len(odd) + len(blanks) == count_lines(data):
            return table, odd, len(blanks)
    except pa.ArrowInvalid:
        pass  # e.g. a quote never closed in a file too big for one block: the careful reading copes
    return _read_carefully(path, data, width, first)


def count_lines(data: bytes | memoryview) -> int:
    """The lines of CSV data: ended by \\n, \\r\\n or a lone \\r (as Arrow ends records), the last perhaps by nothing."""
    codes = np.frombuffer(data, dtype=np.uint8)
    if not len(codes):
        return 0
    returns = np.flatnonzero(codes == 13)
    lone_returns = 0
    if len(returns):
        following = codes[np.minimum(returns + 1, len(codes) - 1)]
        lone_returns = int(np.count_nonzero((following != 10) | (returns == len(codes) - 1)))
    return int(np.count_nonzero(codes == 10)) + lone_returns + int(codes[-1] not in (10, 13))


def _arrow_records(data: bytes | memoryview, width: int, first: int,
                   numbers: np.ndarray | None = None) -> tuple[pa.Table, list[OddRow], list[int]]:
    """Arrow's reading: rows of the header's width; odd records and blank records set aside.

    The records are numbered from `first`, or by `numbers` in order. Threads
    read a big file about twice as fast but cannot number an odd record: a
    file with any is read again on one thread, which numbers them.
    """
    names = [f"c{i}" for i in range(width)]
    odd: list[OddRow] = []
    blanks: list[int] = []
    if not len(data):  # nothing after the header (Arrow calls that an error)
        empty = pa.table({name: pa.array([], pa.string()) for name in names})
        return empty.append_column("row_number", int64_array(np.array([], dtype=np.int64))), odd, blanks

    def on_invalid(row) -> str:
        number = first + row.number - 1 if numbers is None else int(numbers[row.number - 1])
        if not row.text.strip(", \t\r\n"):
            blanks.append(number)
        else:
            odd.append(OddRow(number, row.text, next(csv.reader([row.text.rstrip("\r\n")]), [])))
        return "skip"

    odd_seen: list[bool] = []

    def note_odd(_row: object) -> str:
        odd_seen.append(True)
        return "skip"

    table = _read_csv(data, names, note_odd, threads=True)
    if odd_seen:
        table = _read_csv(data, names, on_invalid, threads=False)
    records = table.num_rows + len(odd) + len(blanks)
    kept = np.arange(first, first + records, dtype=np.int64) if numbers is None else numbers[:records]
    if odd or blanks:  # the rows Arrow kept are the records not set aside
        kept = np.setdiff1d(kept, np.array(sorted([o.row_number for o in odd] + blanks), dtype=np.int64),
                            assume_unique=True)
    return table.append_column("row_number", int64_array(kept)), odd, blanks


def _read_carefully(path: Path, data: memoryview, width: int, first: int) -> tuple[pa.Table, list[OddRow], int]:
    """The careful reading: each record's lines found line by line; a line whose quote never closes set aside."""
    lines = _lines(bytes(data).decode("utf-8"))
    kept_lines: list[str] = []
    kept_numbers: list[int] = []
    unclosed: list[OddRow] = []
    for number, (start, spanned, cells, problem) in enumerate(_careful_records(lines, width), start=first):
        if problem:
            unclosed.append(OddRow(number, lines[start], cells, problem))
        else:
            kept_lines += lines[start: start + spanned]
            kept_numbers.append(number)
    read_lines = len(lines)
    if read_lines != count_lines(data):
        raise InputError(f"{path}: the file reads as {read_lines:,} lines one way and {count_lines(data):,} lines "
                         "another, so its rows cannot be accounted for; it is not loaded")
    kept = "".join(kept_lines).encode("utf-8")
    table, odd, blanks = _arrow_records(kept, width, first, np.array(kept_numbers, dtype=np.int64))
    if table.num_rows + len(odd) + len(blanks) != len(kept_numbers):
        raise InputError(f"{path}: the file reads as {len(kept_numbers):,} records one way and "
                         f"{table.num_rows + len(odd) + len(blanks):,} another, so its rows cannot be "
                         "accounted for; it is not loaded")
    return table, sorted(odd + unclosed, key=lambda o: o.row_number), len(blanks)


def _lines(text: str) -> list[str]:
    """The lines of a text, each with its line end."""
    if text.count("\r") == text.count("\r\n"):  # no lone \r: \n ends every line, and a split finds them fast
        parts = text.split("\n")
        return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    lines = _LINE_END.split(text)
    return lines[:-1] if lines and not lines[-1] else lines


def _careful_records(lines: list[str], width: int | None) -> Iterator[tuple[int, int, list[str], str | None]]:
    """Each record of these lines: (first line, lines it spans, its cells, its problem or None).

    A line whose quotes all close is a record. A quote left open is followed
    to the line that closes it; the lines between are one record if they read
    as well-formed CSV with the header's width (`width`, None for any). If not,
    or if the quote never closes, the line alone is a record with the problem
    UNCLOSED_QUOTE and reading goes on with the next line. Each line is looked
    at a bounded number of times, so a stray quote costs no more than a reading.
    """
    index = 0
    while index < len(lines):
        line = lines[index].rstrip("\r\n")
        if '"' not in line or _CLOSED_RECORD.fullmatch(line):
            yield index, 1, _cells(line), None
            index += 1
            continue
        end = _closing_line(lines, index + 1)
        cells = _well_formed_cells("".join(lines[index:end + 1]).rstrip("\r\n")) if end is not None else None
        if end is not None and cells is not None and (width is None or _fits(cells, width)):
            yield index, end + 1 - index, cells, None
            index = end + 1
        else:
            yield index, 1, _cells(line), UNCLOSED_QUOTE
            index += 1


def _closing_line(lines: list[str], start: int) -> int | None:
    """The first line from `start` that closes a quote open when it begins, or None if none does."""
    for index in range(start, len(lines)):
        line = lines[index].rstrip("\r\n")
        if '"' in line and _CLOSED_RECORD.fullmatch('"' + line):  # the quote open at its start, written out
            return index
    return None


def _cells(line: str) -> list[str]:
    return next(csv.reader([line]), [])


def _well_formed_cells(text: str) -> list[str] | None:
    """The cells of a record that is strictly well-formed CSV, else None."""
    try:
        return next(csv.reader([text], strict=True), [])
    except csv.Error:
        return None


def _fits(cells: list[str], width: int) -> bool:
    """A record of the header's width (cells beyond it all blank, as a stray trailing comma leaves)."""
    return len(cells) >= width and not any(cell.strip() for cell in cells[width:])


def _read_csv(data: bytes | memoryview, names: list[str], on_invalid, threads: bool) -> pa.Table:
    """Every record with as many cells as the header, as text; the others go to `on_invalid`."""
    return pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pacsv.ReadOptions(column_names=names, use_threads=threads, block_size=1 << 24),
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
    cut = max(text.rfind("\n", 0, limit), text.rfind("\r", 0, limit - 1))
    return text[: cut + 1 if cut > 0 else limit]


# ---------------------------------------------------------------------------- workbooks

def xlsx_sheets_as_csv_text(path: Path, chosen: str | None = None) -> list[tuple[str, str]]:
    """Each sheet that holds something (or only the one chosen), as its title and CSV text; cells keep what
    Excel shows."""
    with open_workbook(path) as book:
        sheets = book.worksheets
        if chosen is not None:
            sheets = [s for s in sheets if s.title.strip().lower() == chosen.strip().lower()]
            if not sheets:
                raise InputError(f"{path}: no sheet named {chosen!r} (its sheets: "
                                 f"{', '.join(repr(s.title) for s in book.worksheets)})")
        try:
            texts = [(sheet.title, _sheet_csv_text(sheet)) for sheet in sheets]
        except Exception as error:  # a workbook cut short fails part way through its sheets
            raise InputError(f"{path}: not a readable Excel workbook ({error})") from None
    texts = [(title, text) for title, text in texts if text.strip(", \n")]
    if not texts:
        raise InputError(f"{path}: the file is empty")
    return texts


def _sheet_csv_text(sheet) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for values in sheet.iter_rows(values_only=True):
        writer.writerow([excel_cell_text(v) for v in values])
    return out.getvalue()


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
