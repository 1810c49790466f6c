"""Names for people to read in place of codes, and counts with the right plural (amounts: totalplace.money).

The CLI's tables, the web pages and the report show these; CSV and JSON keep
the codes, each in a column of its own, so a figure can still be traced and joined.
"""

from __future__ import annotations

import csv
import datetime
from functools import cache
from importlib import resources
from pathlib import Path

from totalplace.workspace import Workspace

# Words written in capitals wherever they appear in a code.
_ACRONYMS = {"nhs": "NHS", "dwp": "DWP", "cg": "CG", "lg": "LG", "pc": "PC", "cofog": "COFOG", "cra": "CRA",
             "uk": "UK"}
# Column names as a table's heading reads them.
_COLUMNS = {"lines": "Payments", "cofog": "COFOG function", "amount": "Amount", "share": "Share",
            "£ per head": "£ per head", "supplier": "Supplier", "agency": "Agency", "theme": "Theme",
            "month": "Month", "service": "Service", "transfer": "Paid to a public body", "name": "Name",
            "rule": "Rule", "row": "Row", "file": "File", "date": "Date", "expense": "Expense"}


def plural(count: int | None, word: str, words: str | None = None) -> str:
    """'1 row', '2 rows', '1,234 payments'."""
    if count is None:
        return f"an unknown number of {words or word + 's'}"
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def code_name(code: str) -> str:
    """A snake_case code as words: central_government -> 'Central government', nhs -> 'NHS'."""
    words = [_ACRONYMS.get(word, word) for word in code.split("_") if word]
    if not words:
        return code
    first = words[0] if words[0].isupper() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def agency_name(workspace: Workspace, agency_id: str) -> str:
    """The agency's name from the workspace settings; the id itself when the settings do not name it."""
    return next((a.name for a in workspace.settings.agencies if a.id == agency_id), agency_id)


@cache
def _reference(name: str, key: str, value: str) -> dict[str, str]:
    with resources.files("totalplace.data").joinpath(name).open(encoding="utf-8") as handle:
        return {row[key]: row[value] for row in csv.DictReader(handle)}


@cache
def _rule_notes(path: Path, _changed: float) -> dict[str, str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row.get("rule_id") or "": row.get("note") or "" for row in csv.DictReader(handle)}


def cofog_name(code: str) -> str:
    """'07.4 Public health services' for a COFOG code; the code as it is when it is not one."""
    name = _reference("cofog.csv", "code", "name").get(code)
    return f"{code} {name}" if name else code


def rule_note(workspace: Workspace, rule_id: str | None) -> str:
    """What one of the workspace's classification rules is for, in words (its note); '' for none."""
    path = workspace.rule_path("classification_rules.csv")
    if not rule_id or not path.exists():
        return ""
    return _rule_notes(path, path.stat().st_mtime).get(rule_id, "")


def month_name(month: str) -> str:
    """'2018-04' -> 'April 2018'."""
    try:
        return datetime.date.fromisoformat(month + "-01").strftime("%B %Y")
    except ValueError:
        return month


def key_name(workspace: Workspace, by: str, key: str) -> str:
    """A breakdown's group as a person reads it, by the dimension it is a group of."""
    if by == "agency":
        return agency_name(workspace, key)
    if by == "cofog":
        return cofog_name(key)
    if by == "month":
        return month_name(key)
    if by == "transfer":
        return code_name(key) if "_" in key else key
    return key


def column_title(column: str) -> str:
    """A column's name as a table heading reads it: 'lines' -> 'Payments', 'payment_date' -> 'Payment date'."""
    return _COLUMNS.get(column) or code_name(column)
