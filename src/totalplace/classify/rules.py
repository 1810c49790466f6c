"""Rule tables: CSV files an analyst edits, read and checked before they are used.

A bad rule stops the run with the file, row, column and what is wrong.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from totalplace.errors import InputError
from totalplace.reference import data_path

PUBLIC_BODY_KINDS = {"nhs", "police", "fire", "council", "school", "central_government", "other_public"}


@dataclass(frozen=True)
class RuleTable:
    """The rows of one rule table, as dictionaries, with the file they came from."""

    path: Path
    rows: list[dict[str, str]]


def read_rule_table(path: Path, required: tuple[str, ...]) -> RuleTable:
    """Read a rule CSV (UTF-8, as Excel saves it with or without BOM), checking its columns."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            headers = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in required if c not in headers]
            if missing:
                raise InputError(f"{path}: row 1: missing column(s) {', '.join(missing)}")
            rows = [
                {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
                for row in reader
            ]
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text ({error}); save it as 'CSV UTF-8'") from None
    return RuleTable(path, rows)


def check_pattern(table: RuleTable, row_index: int, column: str) -> None:
    """A pattern must be a valid regular expression (Python syntax, matched ignoring case)."""
    pattern = table.rows[row_index][column]
    if not pattern:
        return
    where = f"{table.path}: row {row_index + 2}, column {column}"
    try:
        re.compile(pattern)
    except re.error as error:
        raise InputError(f"{where}: {pattern!r} is not a valid pattern: {error}") from None


def check_choice(table: RuleTable, row_index: int, column: str, allowed: set[str], what: str) -> None:
    value = table.rows[row_index][column]
    if value and value not in allowed:
        raise InputError(
            f"{table.path}: row {row_index + 2}, column {column}: {value!r} is not a known {what}"
        )


@cache
def themes() -> frozenset[str]:
    """The Total Place theme names shipped in themes.csv."""
    with data_path("themes.csv").open(encoding="utf-8", newline="") as handle:
        return frozenset(row["theme"] for row in csv.DictReader(handle))


@cache
def cofog_codes() -> dict[str, str]:
    """COFOG division and group codes with their names."""
    with data_path("cofog.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


class PatternLine(Protocol):
    """A line a rule table is matched against: hashable, with a spender and the fields the patterns name."""

    @property
    def spender(self) -> str: ...

    def __hash__(self) -> int: ...


class PatternRule(Protocol):
    """A row of a rule table that matches a line by its spender and by patterns over the line's fields."""

    @property
    def spender(self) -> str: ...

    @property
    def patterns(self) -> dict[str, re.Pattern | None]: ...


# Which rows of a rule table match a line, remembered by the table's own content: a report or the web's pages make
# many top-down counts over the same CRA lines with the same rules, and running every pattern over every line
# again each time was most of a count's time. A changed table has other content, so it is matched afresh.
_MATCHED: dict[tuple, dict[PatternLine, tuple[int, ...]]] = {}
_TABLES_REMEMBERED = 8


def matcher(rules: Sequence[PatternRule]) -> Callable[[PatternLine], tuple[int, ...]]:
    """A function giving, for a line (with the fields the patterns name, and a spender), the positions of the
    rules that match it, in the table's order. The first is the rule that decides; later ones serve a caller
    that must pass over some (a driver with no figures for the year)."""
    content = tuple((r.spender, tuple((c, p and (p.pattern, p.flags)) for c, p in r.patterns.items())) for r in rules)
    if content not in _MATCHED and len(_MATCHED) >= _TABLES_REMEMBERED:
        _MATCHED.pop(next(iter(_MATCHED)))  # the table remembered longest ago
    memo = _MATCHED.setdefault(content, {})

    def matched(line: PatternLine) -> tuple[int, ...]:
        found = memo.get(line)
        if found is None:
            found = memo[line] = tuple(
                i for i, rule in enumerate(rules)
                if (not rule.spender or rule.spender == line.spender)
                and all(p is None or p.search(getattr(line, c) or "") for c, p in rule.patterns.items()))
        return found
    return matched
