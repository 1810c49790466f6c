"""What each column of a spend file holds: the evidence, beside its header, for choosing its role.

A column is profiled on an evenly spread sample of its rows (a file sorted by
date or by supplier shows all of itself that way): how many cells read as
money, as dates (and in which order: day-first or month-first), as months or
period codes, as whole numbers (codes, ids), as text; how many distinct
values, and the values themselves when there are few (a sign column's -1/1, Dr/Cr).

The shapes here only guide the choice of columns: the loader's parser
(ingest/parse.py, in SQL) reads the cells of the columns chosen.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SAMPLE_ROWS = 200  # rows looked at per column: enough to tell money from ids, few enough to cost ~1 ms a file
SAMPLE_BLOCK = 20  # rows are sampled in runs of this many
FEW_VALUES = 8     # a column with at most this many distinct values keeps them (sign columns, flags)

MONTH_NAME = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_NUMBER = re.compile(r"^[(]?[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)-?[)]?$")  # after removing £, GBP and spaces
# As the loader reads an amount (tp_amount): a comma only between groups of three digits, brackets
# balanced, at most one negative mark, pence at most (or Excel's float noise beyond them)
_MONEY = re.compile(r"^([(]?)([-+]?)((?:\d{1,3}(?:,\d{3})+|\d{1,16})(?:\.\d{0,20})?|\.\d{1,20})(-?)([)]?)$")
_MONEY_NOISE = re.compile(r"[£\s]|GBP")
_DECIMAL_COMMA = str.maketrans(",.", ".,")  # 1.000,50 as a file that writes a decimal comma writes 1,000.50
FLOAT_NOISE = Decimal("0.001")  # as store.macros.NOISE: within a tenth of a penny of a whole penny
_WHOLE = re.compile(r"^\d+$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[AP]M)?)?$",
                           re.IGNORECASE)
_OTHER_DATE = re.compile(
    r"^(?:\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[ T]\d{1,2}:\d{2}.*)?"  # ISO, with or without a time
    rf"|\d{{1,2}}[- ]?{MONTH_NAME}[- ]?(?:\d{{4}}|\d{{2}}))$",  # 06-Apr-2011, 6 April 2011, 30-May-12
    re.IGNORECASE)
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")  # an Excel day number: a date only where the header says so
SERIAL_RANGE = (32874, 73050)  # 1990-01-01 .. 2099-12-31
_MONTH = re.compile(
    rf"^(?:\d{{4}}[-/](?:0?[1-9]|1[0-2])|(?:0?[1-9]|1[0-2])[-/.]\d{{4}}"  # 2012-06, 06/2012
    rf"|{MONTH_NAME}[-/ ']?(?:\d{{4}}|\d{{2}})|\d{{4}}[- ]{MONTH_NAME})$",  # Jun-12, June 2012, 2012 Jun
    re.IGNORECASE)
_PERIOD = re.compile(r"^(?:(?:19|20)\d{2}(?:0[1-9]|1[0-6])|\d{4}(?:[-/]\d{2})?[-/ ]?P\d{1,2})$",
                     re.IGNORECASE)  # 201503, 2013-P05, 2013/14 P05
_BARE_PERIOD = re.compile(r"^(?:P|period ?|month ?)?\d{1,2}$", re.IGNORECASE)  # P05, 5: a period without its year
_LETTER = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"\d")
_PLAIN_NUMBER = re.compile(r"^(-?)(\d+)(?:\.(\d+))?$")

# What one distinct value is, as bits.
NUMBER, MONEY, PENCE, WHOLE, DATE, NUMERIC_DATE, DAY_FIRST, MONTH_FIRST, SERIAL, MONTH, PERIOD, BARE_PERIOD, LETTERS = (
    1 << i for i in range(13))


@functools.lru_cache(maxsize=1 << 16)  # labels and names repeat across the files of an agency
def shape(value: str) -> int:
    """The shapes a (trimmed, non-blank) cell has, as bits."""
    if not _DIGIT.search(value):  # most text (names, labels): no number, date, month or code
        return LETTERS if _LETTER.search(value) else 0
    plain = _PLAIN_NUMBER.match(value)
    if plain:  # most other cells (amounts, references, codes): no date or month to look for
        return _plain_number_bits(value, *plain.groups())
    bits = 0
    bare = _MONEY_NOISE.sub("", value)
    if _NUMBER.match(bare):
        bits |= NUMBER
        if _money(bare):
            bits |= MONEY | (PENCE if "." in bare else 0)
    elif _money(bare.translate(_DECIMAL_COMMA)):
        # A number in a decimal-comma file (grouped in threes by dots, pence after a comma), so its amount column
        # is found; not MONEY, which says the loader reads it as written (it reads it once it knows the file's marks).
        bits |= NUMBER
    if _WHOLE.match(value):
        bits |= WHOLE
        if _SERIAL.match(value) and SERIAL_RANGE[0] <= int(value) <= SERIAL_RANGE[1]:
            bits |= SERIAL
    numeric = _NUMERIC_DATE.match(value)
    if numeric:
        bits |= _numeric_date_bits(int(numeric.group(1)), int(numeric.group(2)))
    elif _OTHER_DATE.match(value):
        bits |= DATE
    if _MONTH.match(value):
        bits |= MONTH
    if _PERIOD.match(value):
        bits |= PERIOD
    if _BARE_PERIOD.match(value):
        bits |= BARE_PERIOD
    if _LETTER.search(value):
        bits |= LETTERS
    return bits


def _plain_number_bits(value: str, minus: str, whole: str, fraction: str | None) -> int:
    """The shapes of a number written with digits alone (a minus and a decimal point at most)."""
    bits = NUMBER
    if len(whole) <= 16 and _pounds_and_pence(value.lstrip("-")):
        bits |= MONEY | (PENCE if fraction is not None else 0)
    if minus or fraction is not None:
        return bits
    bits |= WHOLE | (BARE_PERIOD if len(whole) <= 2 else 0) | (PERIOD if _PERIOD.match(value) else 0)
    if len(whole) == 5 and SERIAL_RANGE[0] <= int(whole) <= SERIAL_RANGE[1]:
        bits |= SERIAL
    return bits


def _money(bare: str) -> bool:
    parts = _MONEY.match(bare)
    if not parts:
        return False
    opened, sign, digits, trail, closed = parts.groups()
    return (bool(opened) == bool(closed) and bool(opened) + (sign == "-") + (trail == "-") <= 1
            and _pounds_and_pence(digits.replace(",", "")))


def _pounds_and_pence(digits: str) -> bool:
    """Pence at most, or four or more decimal places that are Excel's float noise (as tp_amount_number)."""
    places = len(digits) - digits.index(".") - 1 if "." in digits else 0
    if places <= 2:
        return True
    if places == 3:
        return False
    value = Decimal(digits)
    return abs(value - round(value, 2)) < FLOAT_NOISE


def _numeric_date_bits(first: int, second: int) -> int:
    """A date written a/b/yyyy: a date at all, and whether only one order reads it."""
    if not (1 <= first <= 31 and 1 <= second <= 31) or (first > 12 and second > 12):
        return 0
    if first > 12:
        return DATE | NUMERIC_DATE | DAY_FIRST
    if second > 12:
        return DATE | NUMERIC_DATE | MONTH_FIRST
    return DATE | NUMERIC_DATE


@dataclass(frozen=True)
class ColumnProfile:
    """What a column's sampled cells hold. Counts are of filled-in cells."""

    index: int
    header: str
    sampled: int
    filled: int
    counts: dict[int, int]  # shape bit -> cells with it
    distinct: int
    few_values: dict[str, int] | None  # the distinct values (lower case) and their cells, when there are few

    def count(self, bit: int) -> int:
        return self.counts.get(bit, 0)

    def share(self, bit: int) -> float:
        """The share of filled-in cells with this shape (0 when none are filled in)."""
        return self.count(bit) / self.filled if self.filled else 0.0

    @property
    def constant(self) -> bool:
        return self.distinct == 1 and self.filled > 1

    def summary(self) -> str:
        """The profile in a few words, for --explain."""
        if not self.filled:
            return f"blank in all {self.sampled} rows sampled"
        parts = [f"{self.filled} of {self.sampled} sampled cells filled"]
        for bit, label in ((NUMBER, "numbers"), (PENCE, "with pence"), (DATE, "dates"), (MONTH, "months"),
                           (PERIOD, "period codes"), (LETTERS, "text")):
            if self.count(bit):
                parts.append(f"{self.share(bit):.0%} {label}")
        parts.append(f"{self.distinct} distinct")
        return ", ".join(parts)


def sample_rows(rows: pa.Table, limit: int = SAMPLE_ROWS) -> pa.Table:
    """At most `limit` rows, in blocks evenly spread over the table, the last row among them.

    Blocks are slices of the table, which copy nothing (taking single rows
    copied every column: a tenth of a second for the shipped files).
    """
    if rows.num_rows <= limit:
        return rows
    starts = np.linspace(0, rows.num_rows - SAMPLE_BLOCK, limit // SAMPLE_BLOCK).astype(np.int64)
    return pa.concat_tables(rows.slice(int(start), SAMPLE_BLOCK) for start in starts)


def profile_columns(headers: list[str], rows: pa.Table) -> list[ColumnProfile]:
    """Each header's column profiled on a sample of the rows (columns named c0, c1, ...)."""
    sample = sample_rows(rows)
    return [profile_column(index, header, sample[f"c{index}"]) for index, header in enumerate(headers)]


def profile_column(index: int, header: str, cells: pa.ChunkedArray | pa.Array) -> ColumnProfile:
    """One column's profile: its distinct values are shaped once each, weighted by how often they occur."""
    tallies = pc.value_counts(pc.utf8_trim_whitespace(cells))
    values, counts = tallies.field("values").to_pylist(), tallies.field("counts").to_pylist()
    shapes: dict[int, int] = {}  # a shape's bits -> cells with exactly that shape
    filled = distinct = 0
    seen: dict[str, int] = {}
    for value, n in zip(values, counts):
        if not value:
            continue
        filled += n
        distinct += 1
        if distinct <= FEW_VALUES:
            seen[value.lower()] = seen.get(value.lower(), 0) + n
        bits = shape(value)
        shapes[bits] = shapes.get(bits, 0) + n
    return ColumnProfile(index, header, len(cells), filled, _per_bit(shapes), distinct,
                         seen if distinct <= FEW_VALUES else None)


def _per_bit(shapes: dict[int, int]) -> dict[int, int]:
    """Cells with each bit, from cells with each whole shape (a column has few shapes)."""
    per_bit: dict[int, int] = {}
    for bits, n in shapes.items():
        while bits:
            bit = bits & -bits
            per_bit[bit] = per_bit.get(bit, 0) + n
            bits ^= bit
    return per_bit


def date_order_counts(cells: pa.ChunkedArray | pa.Array) -> tuple[int, int]:
    """Over a whole column: cells that read only day-first, and only month-first (a/b/yyyy with a or b > 12)."""
    parts = pc.extract_regex(pc.utf8_trim_whitespace(cells), r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-]\d{2,4}")
    first = pc.cast(pc.struct_field(parts, "a"), pa.int32())
    second = pc.cast(pc.struct_field(parts, "b"), pa.int32())
    only_day = pc.and_(pc.greater(first, 12), pc.less_equal(second, 12))
    only_month = pc.and_(pc.greater(second, 12), pc.less_equal(first, 12))
    return (pc.sum(only_day).as_py() or 0), (pc.sum(only_month).as_py() or 0)
