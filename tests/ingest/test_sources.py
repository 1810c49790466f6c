"""Reading spend files (CSV, CSV.gz, XLSX) into text cells: encodings, row numbers, odd rows, errors."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support.properties import examples
from openpyxl import Workbook

from totalplace.errors import InputError
from totalplace.ingest.columns import header_score
from totalplace.ingest.sources import decode, excel_cell_text, read_spend_file

HEADER = ["Date", "Amount", "Supplier", "Description"]  # four known names: surely the header


def read(path: Path):
    return read_spend_file(path, header_score)


def cells_of(table) -> list[list[str]]:
    names = [f"c{i}" for i in range(len(table.headers))]
    data = table.rows.to_pydict()
    return [[data[n][i] for n in names] for i in range(table.rows.num_rows)]


def row_numbers(table) -> list[int]:
    return table.rows.column("row_number").to_pylist()


def records_after_header(text: str, header_row: int) -> int:
    """How many records a CSV reader sees after the header (a blank line is a record)."""
    return len(list(csv.reader(io.StringIO(text)))) - header_row


def accounted(table) -> int:
    return table.rows.num_rows + len(table.odd_rows) + table.blank_rows


def is_blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def data_rows(table) -> list[tuple[int, list[str]]]:
    """(row number, cells) of the rows that hold something."""
    return [(n, c) for n, c in zip(row_numbers(table), cells_of(table)) if not is_blank(c)]


def blank_records(table) -> int:
    """Blank records: counted as blank rows, or kept as rows of empty cells (an empty line)."""
    return table.blank_rows + sum(is_blank(c) for c in cells_of(table))


# ---------------------------------------------------------------------------- encodings

def test_utf8_csv(tmp_path):
    text = "Date,Amount,Supplier,Description\n2018-04-12,£1.00,Café Ltd,Naïve\n2018-04-13,2.00,B Ltd,x\n"
    path = tmp_path / "spend.csv"
    path.write_bytes(text.encode("utf-8"))
    table = read(path)
    assert table.encoding == "utf-8"
    assert table.format == "csv"
    assert table.sheet is None
    assert table.header_row == 1
    assert table.headers == HEADER
    assert cells_of(table) == [["2018-04-12", "£1.00", "Café Ltd", "Naïve"], ["2018-04-13", "2.00", "B Ltd", "x"]]
    assert row_numbers(table) == [2, 3]
    assert table.odd_rows == [] and table.blank_rows == 0
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert table.path == path


def test_utf8_with_bom(tmp_path):
    text = "Date,Amount,Supplier,Description\r\n2018-04-12,£1.00,Café Ltd,x\r\n"
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    table = read(path)
    assert table.encoding == "utf-8-sig"
    assert table.headers == HEADER  # no BOM stuck to 'Date'
    assert cells_of(table) == [["2018-04-12", "£1.00", "Café Ltd", "x"]]
    assert row_numbers(table) == [2]


def test_windows_1252(tmp_path):
    text = 'Date,Amount,Supplier,Description\r\n12/04/2018,"£1,234.56",Café Ltd,Fees – “legal”\r\n'
    raw = text.encode("cp1252")
    assert b"\xa3" in raw and b"\xe9" in raw
    path = tmp_path / "win.csv"
    path.write_bytes(raw)
    table = read(path)
    assert table.encoding == "windows-1252"
    assert cells_of(table) == [["12/04/2018", "£1,234.56", "Café Ltd", "Fees – “legal”"]]
    assert row_numbers(table) == [2]


def test_latin1_fallback_keeps_every_byte(tmp_path):
    # 0x81 is undefined in Windows-1252: the file is read as Latin-1 and no byte is lost.
    raw = "Date,Amount,Supplier,Description\n2018-04-12,£5,Caf\xe9 \x81,x\n".encode("latin-1")
    path = tmp_path / "odd-bytes.csv"
    path.write_bytes(raw)
    table = read(path)
    assert table.encoding == "latin-1"
    assert cells_of(table)[0][2].encode("latin-1") == b"Caf\xe9 \x81"


@pytest.mark.parametrize(
    "raw, text, encoding",
    [
        (b"abc", "abc", "utf-8"),
        ("£é".encode("utf-8"), "£é", "utf-8"),
        (b"\xef\xbb\xbf\xc2\xa3", "£", "utf-8-sig"),
        (b"\xa3\xe9", "£é", "windows-1252"),
        (b"\x80", "€", "windows-1252"),
        (b"\x81\xa3", "\x81£", "latin-1"),
    ],
)
def test_decode(raw, text, encoding):
    assert decode(raw) == (text, encoding)


def test_csv_gz(tmp_path):
    text = "Date,Amount,Supplier,Description\n2018-04-12,£1.00,Café Ltd,x\n\n2018-04-14,3,C,y\n"
    path = tmp_path / "spend.csv.gz"
    path.write_bytes(gzip.compress(text.encode("cp1252")))
    table = read(path)
    assert table.format == "csv.gz"
    assert table.encoding == "windows-1252"
    assert data_rows(table) == [(2, ["2018-04-12", "£1.00", "Café Ltd", "x"]), (4, ["2018-04-14", "3", "C", "y"])]
    assert blank_records(table) == 1
    assert accounted(table) == 3
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # of the file as stored


def test_upper_case_suffix_is_read(tmp_path):
    path = tmp_path / "SPEND.CSV"
    path.write_text("Date,Amount,Supplier,Description\n2018-04-12,1,A,x\n", encoding="utf-8")
    assert cells_of(read(path)) == [["2018-04-12", "1", "A", "x"]]


# ---------------------------------------------------------------------------- awkward records

AWKWARD = (
    "Date,Amount,Supplier,Description\n"                      # 1 header
    "2018-04-12,1.00,A Ltd,first\n"                          # 2 row
    "2018-04-13,2.00,B Ltd,trailing empty cell,\n"           # 3 odd: extra empty cell
    "\n"                                                     # 4 blank
    "2018-04-14,3.00,C Ltd\n"                                # 5 odd: too few cells
    "2018-04-15,4.00,D Ltd,extra,SURPRISE\n"                 # 6 odd: extra value
    "   \n"                                                  # 7 blank
    ",,\n"                                                   # 8 blank (too few, all empty)
    "2018-04-16,5.00,E Ltd,last\n"                           # 9 row
)


def test_odd_and_blank_records_are_all_accounted_for(tmp_path):
    path = tmp_path / "awkward.csv"
    path.write_text(AWKWARD, encoding="utf-8")
    table = read(path)
    assert accounted(table) == records_after_header(AWKWARD, 1) == 8
    assert data_rows(table) == [(2, ["2018-04-12", "1.00", "A Ltd", "first"]),
                                (9, ["2018-04-16", "5.00", "E Ltd", "last"])]
    odd = {o.row_number: o for o in table.odd_rows}
    assert sorted(odd) == [3, 5, 6]
    assert odd[3].cells == ["2018-04-13", "2.00", "B Ltd", "trailing empty cell", ""]
    assert odd[5].cells == ["2018-04-14", "3.00", "C Ltd"]
    assert odd[6].cells == ["2018-04-15", "4.00", "D Ltd", "extra", "SURPRISE"]
    assert "SURPRISE" in odd[6].text and "D Ltd" in odd[6].text
    assert blank_records(table) == 3


def test_quoted_newline_and_comma_stay_in_one_cell(tmp_path):
    text = (
        "Date,Amount,Supplier,Description\r\n"
        '2018-04-12,"1,234.56","Smith, J\r\nand Co","said ""hello"""\r\n'   # record 2, two lines
        "2018-04-13,2.00,B Ltd,x\r\n"                                       # record 3
        "2018-04-14,3.00,C Ltd\r\n"                                         # record 4: odd
        "\r\n"                                                              # record 5: blank
        "2018-04-15,4.00,D Ltd,y\r\n"                                       # record 6
    )
    path = tmp_path / "quoted.csv"
    path.write_bytes(text.encode("utf-8"))
    table = read(path)
    assert accounted(table) == records_after_header(text, 1) == 5
    rows = data_rows(table)
    assert rows[0][1] in (["2018-04-12", "1,234.56", "Smith, J\r\nand Co", 'said "hello"'],
                          ["2018-04-12", "1,234.56", "Smith, J\nand Co", 'said "hello"'])
    # Row numbers are records, as a spreadsheet shows them, not physical lines.
    assert [n for n, _ in rows] == [2, 3, 6]
    assert [o.row_number for o in table.odd_rows] == [4]
    assert blank_records(table) == 1


def test_title_rows_above_the_header_shift_the_row_numbers(tmp_path):
    text = (
        "Leeds City Council,,,\n"
        "\"Payments over £500, April 2011\"\n"
        "\n"
        "Date,Amount,Supplier,Description\n"
        "2018-04-12,1.00,A Ltd,x\n"
        "2018-04-13,2.00,B Ltd,y\n"
    )
    path = tmp_path / "titled.csv"
    path.write_text(text, encoding="utf-8")
    table = read(path)
    assert table.header_row == 4
    assert table.headers == HEADER
    assert cells_of(table) == [["2018-04-12", "1.00", "A Ltd", "x"], ["2018-04-13", "2.00", "B Ltd", "y"]]
    assert row_numbers(table) == [5, 6]
    assert accounted(table) == records_after_header(text, 4) == 2


def test_header_with_trailing_empty_columns_like_leeds(tmp_path):
    text = (
        "Date,Amount,Supplier,Description,,,\n"
        "06-Apr-2011,5340.00,A & A Ltd,Materials,,,\n"
        "13-Apr-2011,760.00,A A Crouch,Hired services,,,\n"
    )
    path = tmp_path / "leeds-like.csv"
    path.write_text(text, encoding="utf-8")
    table = read(path)
    assert table.headers == HEADER + ["", "", ""]
    assert cells_of(table)[1][:4] == ["13-Apr-2011", "760.00", "A A Crouch", "Hired services"]
    assert row_numbers(table) == [2, 3]
    assert table.odd_rows == []


def test_headers_are_stripped(tmp_path):
    path = tmp_path / "spaces.csv"
    path.write_text("Date , NetAmount ,Supplier name ,Description\n2018-04-12,1,A,x\n", encoding="utf-8")
    assert read(path).headers == ["Date", "NetAmount", "Supplier name", "Description"]


# A model of a spend file: each record is a full row, an odd row or a blank line.
plain_text = st.text(st.sampled_from("abcXYZ019 .-£é&/"), max_size=8)
any_text = st.text(st.sampled_from('abcXYZ019 .-£é&/,"\n'), max_size=10)
record = st.one_of(
    st.tuples(st.just("row"), st.lists(any_text, min_size=4, max_size=4)),
    st.tuples(st.just("odd"), st.lists(plain_text, min_size=1, max_size=7)
              .filter(lambda cells: len(cells) != 4 and any(c.strip() for c in cells))),
    st.tuples(st.just("blank"), st.sampled_from(["", " ", ",", ",,", " , ", "\t"])),
)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(record, max_size=25),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    gz=st.booleans(),
)
def test_every_record_is_accounted_for_with_its_row_number(records, encoding, newline, gz):
    lines = [",".join(HEADER)]
    for kind, value in records:
        if kind == "blank":
            lines.append(value)
        else:
            out = io.StringIO()
            csv.writer(out, lineterminator="\r\n").writerow(value)  # quotes cells holding a newline
            lines.append(out.getvalue()[:-2])
    text = newline.join(lines) + newline
    raw = text.encode(encoding)
    if encoding == "cp1252":
        try:  # a Windows-1252 file that is also valid UTF-8 cannot be told apart
            raw.decode("utf-8")
            assume(raw.isascii())
        except UnicodeDecodeError:
            pass
    if encoding == "utf-8-sig":
        assert raw.startswith(b"\xef\xbb\xbf")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("spend.csv.gz" if gz else "spend.csv")
        path.write_bytes(gzip.compress(raw) if gz else raw)
        table = read(path)

    expected_encoding = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig",
                         "cp1252": "utf-8" if raw.isascii() else "windows-1252"}[encoding]
    assert table.encoding == expected_encoding
    assert table.header_row == 1 and table.headers == HEADER
    assert accounted(table) == len(records) == records_after_header(text.replace("\r\n", "\n"), 1)

    numbered = {n: rec for n, rec in enumerate(records, start=2)}
    want_rows = [(n, v) for n, (k, v) in numbered.items() if k == "row" and not is_blank(v)]
    got_rows = data_rows(table)
    # Text survives the encoding; a newline inside a quoted cell may come back as written.
    assert [(n, [c.replace("\r\n", "\n") for c in cells]) for n, cells in got_rows] == want_rows
    want_odd = [(n, v) for n, (k, v) in numbered.items() if k == "odd"]
    assert [(o.row_number, o.cells) for o in table.odd_rows] == want_odd
    assert blank_records(table) == sum(k == "blank" or is_blank(v) for k, v in records)


# ---------------------------------------------------------------------------- xlsx

def _spend_workbook(path: Path, *, notes_sheet: bool = True) -> None:
    book = Workbook()
    notes = book.active
    notes.title = "About"
    notes.append(["About this data"])
    notes.append(["Payments over £500 made by the council."])
    notes.append(["Contact", "transparency@example.gov.uk"])
    if not notes_sheet:
        book.remove(notes)
    sheet = book.create_sheet("Spend")
    sheet.append(["Leeds City Council: spending over £500, April 2018"])        # row 1: title
    sheet.append([])                                                            # row 2: empty
    sheet.append(["Body name", "Date paid", "Net amount", "Supplier name", "Transaction number"])  # 3
    sheet.append(["Leeds City Council", datetime(2018, 4, 12), 1234.56, "Café Ltd", 1104])     # 4
    sheet.append(["Leeds City Council", datetime(2018, 4, 13, 10, 30), 0.1, "B Ltd", "1104-2"])  # 5
    sheet.append(["Leeds City Council", date(2018, 4, 14), 500, 'Smith, J\n"and" Co', 1106])    # 6
    sheet.append(["Leeds City Council", datetime(2018, 4, 15), -25.5, "D Ltd", None])          # 7
    book.save(path)


def test_xlsx_second_sheet_with_title_rows(tmp_path):
    path = tmp_path / "spend.xlsx"
    _spend_workbook(path)
    table = read(path)
    assert table.format == "xlsx"
    assert table.encoding == "xlsx"
    assert table.sheet == "Spend"
    assert table.header_row == 3
    assert table.headers == ["Body name", "Date paid", "Net amount", "Supplier name", "Transaction number"]
    assert cells_of(table) == [
        ["Leeds City Council", "2018-04-12", "1234.56", "Café Ltd", "1104"],
        ["Leeds City Council", "2018-04-13 10:30:00", "0.1", "B Ltd", "1104-2"],
        ["Leeds City Council", "2018-04-14", "500", 'Smith, J\n"and" Co', "1106"],
        ["Leeds City Council", "2018-04-15", "-25.5", "D Ltd", ""],
    ]
    assert row_numbers(table) == [4, 5, 6, 7]
    assert table.odd_rows == [] and table.blank_rows == 0
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_xlsx_single_sheet(tmp_path):
    path = tmp_path / "one.xlsx"
    _spend_workbook(path, notes_sheet=False)
    table = read(path)
    assert table.sheet == "Spend" and table.header_row == 3 and row_numbers(table) == [4, 5, 6, 7]


def test_xlsx_header_below_empty_rows_keeps_spreadsheet_row_numbers(tmp_path):
    # Rows 1-2 hold no cells at all; the header is on row 3, the data on rows 4 and 6.
    book = Workbook()
    sheet = book.active
    sheet.title = "Data"
    for column, header in enumerate(HEADER, start=1):
        sheet.cell(row=3, column=column, value=header)
    for column, value in enumerate([datetime(2019, 1, 2), 99.99, "A", "x"], start=1):
        sheet.cell(row=4, column=column, value=value)
    for column, value in enumerate([datetime(2019, 1, 3), 12.0, "B", "y"], start=1):
        sheet.cell(row=6, column=column, value=value)
    path = tmp_path / "gaps.xlsx"
    book.save(path)
    table = read(path)
    assert table.header_row == 3
    got = dict(zip(row_numbers(table), cells_of(table)))
    assert got[4] == ["2019-01-02", "99.99", "A", "x"]
    assert got[6] == ["2019-01-03", "12", "B", "y"]  # Excel stores 12.0 as the number 12
    assert accounted(table) == 3  # rows 4, 5 (empty) and 6


# ---------------------------------------------------------------------------- excel_cell_text

@pytest.mark.parametrize(
    "value, text",
    [
        (None, ""),
        (datetime(2018, 4, 12), "2018-04-12"),
        (datetime(2018, 4, 12, 10, 30), "2018-04-12 10:30:00"),
        (date(2011, 4, 6), "2011-04-06"),
        (1234.56, "1234.56"),
        (0.1, "0.1"),
        (-25.5, "-25.5"),
        (1e-7, "0.0000001"),
        (1e16, "10000000000000000"),
        (1234, "1234"),
        ("Café", "Café"),
        ("  padded ", "  padded "),
    ],
)
def test_excel_cell_text(value, text):
    assert excel_cell_text(value) == text


@settings(max_examples=examples(200), deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_excel_cell_text_of_a_float_is_plain_and_exact(value):
    text = excel_cell_text(value)
    assert "e" not in text.lower()
    assert float(text) == value


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(-(10**15), 10**15))
def test_excel_cell_text_of_money_gives_back_the_pence(pence):
    value = Decimal(pence).scaleb(-2)
    assert Decimal(excel_cell_text(float(value))) == value


# ---------------------------------------------------------------------------- errors

def _assert_input_error_names(path: Path, *words: str) -> None:
    with pytest.raises(InputError) as caught:
        read(path)
    message = str(caught.value)
    assert str(path) in message
    assert "\n" not in message
    for word in words:
        assert word in message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    _assert_input_error_names(path, "empty")


@pytest.mark.parametrize("raw", [b"\r\n  \r\n", b"\t\x0b\x0c\x1c\x1f \n", "\u2003\n".encode()])
def test_whitespace_only_file(tmp_path, raw):
    """ASCII files are not decoded whole: their blank test is str.isspace's, on the bytes."""
    path = tmp_path / "blank.csv"
    path.write_bytes(raw)
    _assert_input_error_names(path, "empty")


def test_empty_gz(tmp_path):
    path = tmp_path / "empty.csv.gz"
    path.write_bytes(gzip.compress(b""))
    _assert_input_error_names(path, "empty")


@pytest.mark.parametrize("raw", [b"Date,Amount\n2018-04-12,1\n", b"\x1f\x8b\x08\x00garbage", b""])
def test_corrupt_gz(tmp_path, raw):
    path = tmp_path / "broken.csv.gz"
    path.write_bytes(raw)
    _assert_input_error_names(path)


def test_truncated_gz(tmp_path):
    data = gzip.compress(("Date,Amount,Supplier,Description\n" + "2018-04-12,1,A,x\n" * 500).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    _assert_input_error_names(path)


@pytest.mark.parametrize("raw", [b"not a zip at all", b"PK\x03\x04" + b"\x00" * 60, b""])
def test_corrupt_xlsx(tmp_path, raw):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(raw)
    _assert_input_error_names(path)


def test_truncated_xlsx(tmp_path):
    good = tmp_path / "good.xlsx"
    _spend_workbook(good)
    data = good.read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    _assert_input_error_names(path)


def test_xlsx_with_nothing_in_it(tmp_path):
    path = tmp_path / "blank.xlsx"
    Workbook().save(path)
    _assert_input_error_names(path, "empty")


@pytest.mark.parametrize("name", ["spend.txt", "spend.xls", "spend.csv.zip", "spend"])
def test_unsupported_suffix(tmp_path, name):
    path = tmp_path / name
    path.write_text("Date,Amount,Supplier,Description\n2018-04-12,1,A,x\n", encoding="utf-8")
    _assert_input_error_names(path, ".csv")
