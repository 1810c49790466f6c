"""Writing a table of figures as a terminal table, CSV, JSON or an Excel workbook.

Figures arrive computed; this module only formats them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import IO, Callable

from rich.console import Console
from rich.table import Table as RichTable

from totalplace import display
from totalplace.errors import InputError
from totalplace.tabular import append_row, exact_value, write_csv


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class Reasons(tuple):
    """A row's explanations (the likely causes of a gap, say): said once as numbered notes under the table,
    each row pointing to its notes by number; in a CSV or a workbook, the words themselves."""


@dataclass
class Table:
    """Figures in rows. Money is a Decimal (exact in every file); how people see it is the table's `precision`:
    to the penny for ledgers, rounded for apportioned and modelled figures (`precisions` by column where a
    table holds both). Codes stay in CSV and JSON columns of their own: a table whose second column is "name"
    holds codes in its first (people read the names under the first column's heading), and the columns named
    in `codes` are left out of what people read."""
    title: str
    columns: list[str]
    rows: list[list]
    notes: list[str] = field(default_factory=list)
    precision: str = display.PENNY
    precisions: dict[str, str] = field(default_factory=dict)
    codes: tuple[str, ...] = ()

    @property
    def named(self) -> bool:
        return len(self.columns) > 1 and self.columns[1] == "name"

    def precision_of(self, column: int) -> str:
        return self.precisions.get(self.columns[column], self.precision)

    def for_people(self) -> tuple[list[str], list[list], list[str]]:
        """The columns and rows people read, and each column's precision: no code columns, and in a named
        table the names under the first column's heading."""
        shown = [i for i, column in enumerate(self.columns) if column not in self.codes]
        if self.named:
            shown.remove(1)
        values = [1 if i == 0 and self.named else i for i in shown]
        return ([self.columns[i] for i in shown], [[row[i] for i in values] for row in self.rows],
                [self.precision_of(i) for i in values])


def cell_text(value, precision: str = display.PENNY) -> str:
    return display.cell(value, precision)


def plain_value(value):
    """A value for JSON: numbers as `tabular.exact_value` keeps them; several explanations as a list."""
    return list(value) if isinstance(value, tuple) else exact_value(value)


_SUFFIX = {Format.csv: ".csv", Format.json: ".json", Format.xlsx: ".xlsx"}


def check_output(fmt: Format | str | None, output: Path | None) -> None:
    """An output file must be one the format writes: the table format writes none, and a name ending
    in another format's extension (figures.csv with --format json) is a slip."""
    if output is None or fmt is None or fmt not in set(Format):
        return
    fmt = Format(fmt)
    named = next((f for f, suffix in _SUFFIX.items() if output.name.lower().endswith(suffix)), None)
    if fmt == Format.table:
        hint = f"--format {named.value}" if named else "--format csv, json or xlsx"
        raise InputError(f"--output {output}: the table format prints to the screen and writes no file; "
                         f"add {hint} to write the file")
    if named is not None and named != fmt:
        raise InputError(f"--output {output} ends in {_SUFFIX[named]} but --format is {fmt.value}: "
                         f"name the file {output.with_suffix(_SUFFIX[fmt]).name} or use --format {named.value}")


def emit(table: Table, fmt: Format, output: Path | None = None, console: Console | None = None) -> Path | None:
    """Write the table in the chosen format; returns the file written, if any."""
    check_output(fmt, output)
    console = console or Console()
    if fmt == Format.table:
        _print_rich(table, console)
        return None
    if fmt == Format.xlsx:
        write_xlsx(table, _workbook_path(output))
        return output
    if fmt == Format.csv:
        return _write_text(output, lambda handle: _write_csv(handle, table, titled=False))
    return _write_text(output, lambda handle: _write_json(handle, _json_table(table)))


def emit_sections(sections: dict[str, Table], fmt: Format, output: Path | None = None,
                  console: Console | None = None) -> Path | None:
    """Several tables as one output: printed one after another (an empty one as its title and 'none'); in
    JSON one object keyed by section; in CSV each table under a row holding its title, a blank row between;
    in a workbook a sheet each."""
    console = console or Console()
    if fmt == Format.table:
        for table in sections.values():
            if table.rows:
                _print_rich(table, console)
            else:  # an empty table drawn on a terminal is only a frame
                console.print(f"{table.title}: none", highlight=False)
        return None
    if fmt == Format.xlsx:
        write_xlsx_sheets(sections, _workbook_path(output))
        return output
    if fmt == Format.csv:
        def write_all(handle) -> None:
            for number, table in enumerate(sections.values()):
                handle.write("\r\n" if number else "")  # the rows' own line end (see tabular.write_csv)
                _write_csv(handle, table, titled=True)
        return _write_text(output, write_all)
    return _write_text(output, lambda handle: _write_json(handle, {key: _json_table(table)
                                                                   for key, table in sections.items()}))


def _workbook_path(output: Path | None) -> Path:
    if output is None:
        raise InputError("--format xlsx writes a workbook: give --output FILE.xlsx")
    return output


def _write_text(output: Path | None, write: Callable[[IO[str]], None]) -> Path | None:
    """Text written to the output file, or to the terminal when there is none; the file written, if any."""
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        write(handle)
    finally:
        if output:
            handle.close()
    return output


def _write_csv(handle: IO[str], table: Table, titled: bool) -> None:
    if titled:
        write_csv(handle, [table.title], [])
    write_csv(handle, table.columns, table.rows)


def _write_json(handle: IO[str], value: dict) -> None:
    json.dump(value, handle, indent=2)
    handle.write("\n")


def _json_table(table: Table) -> dict:
    return {"title": table.title, "columns": table.columns,
            "rows": [dict(zip(table.columns, map(plain_value, row))) for row in table.rows], "notes": table.notes}


def write_xlsx_sheets(sections: dict[str, Table], path: Path) -> None:
    """One sheet per table, named by its section."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for key, table in sections.items():
        sheet_rows(book.create_sheet(key[:31]), table)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _print_rich(table: Table, console: Console) -> None:
    view = RichTable(title=table.title, title_justify="left")
    columns, rows, precisions = table.for_people()
    numeric = [
        any(isinstance(row[i], (Decimal, int, float)) and not isinstance(row[i], bool) for row in rows)
        for i in range(len(columns))
    ]
    for name, right in zip(columns, numeric):
        view.add_column(name, justify="right" if right else "left", overflow="fold")
    for row in rows:
        view.add_row(*(cell_text(v, p) for v, p in zip(row, precisions)))
    console.print(view)
    for note in table.notes:
        console.print(note, highlight=False)


def write_xlsx(table: Table, path: Path) -> None:
    """One sheet of figures with real numbers (money formatted to pence) and a notes sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "figures"
    sheet_rows(sheet, table)
    notes = book.create_sheet("notes")
    for note in table.notes:
        append_row(notes, [note])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def sheet_rows(sheet, table: Table, names: dict[str, str] | None = None) -> None:
    """The table on a worksheet: its title, a frozen header row, numbers stored as numbers with their
    formats (£, %, counts, ratios), codes by their `names`, and columns as wide as what they hold."""
    columns, rows, precisions = table.for_people()
    if names:
        rows = [[display.named(v, names) if isinstance(v, str) else v for v in row] for row in rows]
    headings = [display.column_title(c) for c in columns]
    append_row(sheet, [table.title], bold=True)
    append_row(sheet, headings, bold=True)
    for row in rows:
        append_row(sheet, row, money=True, shares=True)
    sheet.freeze_panes = "A3"
    for index, (heading, precision) in enumerate(zip(headings, precisions)):
        longest = max([len(heading)] + [len(cell_text(row[index], precision)) for row in rows])
        sheet.column_dimensions[_column_letter(index + 1)].width = min(longest, WIDEST_COLUMN) + 2


WIDEST_COLUMN = 60  # characters: longer text wraps to the next line in Excel rather than running on


def _column_letter(number: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(number)
