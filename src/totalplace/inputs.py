"""Reading the input tables analysts keep in a workspace (CSV or XLSX) row by row, with one clear error.

Used for every table an analyst edits: the deal, the estate, funding streams, unit costs,
appraisal rates, agreed figures and drivers.

Each table's rows are validated by a pydantic model; the first problem becomes an
`InputError` naming the file, the row, the column and what was wrong. Blank cells
are None, so a model's defaults apply; a column the model does not know is an error,
since nothing a user typed may be silently ignored.
"""

from __future__ import annotations

import csv
import difflib
import re
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from totalplace.errors import InputError
from totalplace.money import parse_money

if TYPE_CHECKING:
    from openpyxl import Workbook

Row = TypeVar("Row", bound=BaseModel)


class StrictInput(BaseModel):
    """A model of something a user typed: a key it does not know is an error, never ignored."""

    model_config = ConfigDict(extra="forbid")


def nearest_name(given: str, known: list[str]) -> str | None:
    """The known name a mistyped one most likely meant, if any is close (for 'did you mean')."""
    close = difflib.get_close_matches(given.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    return next((k for k in known if close and k.lower() == close[0]), None)


def money_text(value: object) -> object:
    """'£1,234.50' and '(200)' as exact decimals; a blank cell stays None for the model's default."""
    return None if value is None else parse_money(value)


def _share_text(value: object) -> object:
    """A share as 0.65 or '65%'."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage") from None
    return value


def _list_text(value: object) -> object:
    """A list typed in one cell, separated by semicolons or new lines."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;\n]", value) if part.strip()]
    return value


def _lines_text(value: object) -> object:
    """A list typed in one cell, one per line (for values that hold semicolons themselves)."""
    if isinstance(value, str):
        return [part.strip() for part in value.splitlines() if part.strip()]
    return value


Money = Annotated[Decimal, BeforeValidator(money_text)]
Share = Annotated[float, BeforeValidator(_share_text)]
TextList = Annotated[list[str], BeforeValidator(_list_text)]
LineList = Annotated[list[str], BeforeValidator(_lines_text)]


def _cell(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            yield number, row


@contextmanager
def open_workbook(path: Path) -> Iterator[Workbook]:
    """An .xlsx workbook opened read-only with the values Excel shows, closed however reading it ends.

    A file that is not a workbook is an InputError naming it.
    """
    from openpyxl import load_workbook  # slow import; only workbooks need it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputError(f"{path}: not a readable Excel workbook ({error})") from None
    try:
        yield book
    finally:
        book.close()


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    with open_workbook(path) as book:
        for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, list(row)


def raw_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """(row number as a spreadsheet shows it, {header: cell}) for each non-blank row after the header."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    reader = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    header: list[str] | None = None
    for number, cells in reader:
        values = [_cell(c) for c in cells]
        if all(v is None for v in values):
            continue
        if header is None:
            header = [str(v or "").strip().lower() for v in values]
            continue
        if len(values) > len(header) and any(v is not None for v in values[len(header):]):
            raise InputError(f"{path}, row {number}: more cells than the header has columns")
        yield number, {name: value for name, value in zip(header, values) if name}


def read_table(path: Path, model: type[Row]) -> list[tuple[int, Row]]:
    """Every row of a CSV/XLSX table validated by `model`, or one error naming file, row and column."""
    known = set(model.model_fields)
    rows = []
    for number, cells in raw_rows(path):
        unknown = sorted(set(cells) - known)
        if unknown:
            raise InputError(f"{path}, row {number}: unknown column {unknown[0]!r} "
                             f"(columns: {', '.join(model.model_fields)})")
        rows.append((number, validate(model, {k: v for k, v in cells.items() if v is not None},
                                      f"{path}, row {number}")))
    return rows


def validate(model: type[Row], data: object, where: str, noun: str = "column") -> Row:
    """The model built from data, or an InputError naming where, the field (a `noun`: a table's
    column, a file's field, a setting) and what was wrong; an unknown key says which it meant."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        path, problem = first_problem(error, model)
        if noun == "column":  # a table's cell: "file, row 3, column 'amount': ..."
            raise InputError(f"{where}, column {path or '(row)'!r}: {problem}") from None
        raise InputError(f"{where}: {noun} {path or '(top level)'}: {problem}") from None


def first_problem(error: ValidationError, model: type[BaseModel]) -> tuple[str, str]:
    """The first problem pydantic found, as (dotted path of keys, what was wrong in words).

    An unknown key is told first: a mistyped name also makes the field it meant "missing",
    and the typo is the one to show."""
    errors = error.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    location = tuple(first["loc"])
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in location).lstrip(".")
    if first["type"] == "extra_forbidden":
        known = list(_model_at(model, location[:-1]).model_fields)
        guess = nearest_name(str(location[-1]), known)
        return path, f"unknown key {str(location[-1])!r} " + (
            f"(did you mean {guess!r}?)" if guess else f"(known keys: {', '.join(known)})")
    given = first.get("input")
    shown = "" if isinstance(given, (dict, list)) or given is None else f" (given {given!r})"
    return path, first["msg"].removeprefix("Value error, ") + shown


def _model_at(model: type[BaseModel], location: tuple) -> type[BaseModel]:
    """The nested model found by following a path of keys (list positions and dict keys pass through)."""
    for key in location:
        field = model.model_fields.get(str(key)) if isinstance(key, str) else None
        if field is None:
            continue
        inner = _nested_model(field.annotation)
        if inner is not None:
            model = inner
    return model


def _nested_model(annotation: object) -> type[BaseModel] | None:
    """The model inside an annotation such as `X`, `X | None`, `list[X]` or `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _nested_model(argument)
        if found is not None:
            return found
    return None
