"""Names for people to read in place of codes, amounts in pounds and counts with the right plural.

The CLI's tables, the web pages and the report show these; CSV and JSON keep
the codes, each in a column of its own, so a figure can still be traced and joined.
"""

from __future__ import annotations

import csv
import datetime
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from pathlib import Path

from totalplace import reference
from totalplace.classify.control import read_levels
from totalplace.tabular import Number, Ratio
from totalplace.workspace import AgencyKind, Workspace

# How money is shown to people (the files keep it exact): ledgers to the penny; figures apportioned or
# modelled (the top-down count, appraisals, estimates) to three significant figures in £k, £m or £bn.
PENNY = "penny"
ROUNDED = "rounded"

# Words written in capitals wherever they appear in a code.
_ACRONYMS = {"nhs": "NHS", "dwp": "DWP", "cg": "CG", "lg": "LG", "pc": "PC", "cofog": "COFOG", "cra": "CRA",
             "uk": "UK", "ni": "NI", "ae": "A&E", "npv": "NPV", "pv": "PV", "hmrc": "HMRC"}
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


def money(amount: Decimal | None, precision: str = PENNY) -> str:
    """£1,234.56, -£12.00 (to the penny); £8,935, £457k, £12.3m, £4.83bn (rounded); 'suppressed' when withheld."""
    if amount is None:
        return "suppressed"
    size = abs(Decimal(amount))
    text = _rounded_pounds(size) if precision == ROUNDED else f"£{size:,.2f}"
    return "-" + text if amount < 0 else text


def _rounded_pounds(amount: Decimal) -> str:
    """Under £100,000 to the pound; above, three significant figures with k, m or bn."""
    if amount < 100_000:
        return f"£{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    rounded = significant(amount)
    for size, suffix in ((10**9, "bn"), (10**6, "m"), (10**3, "k")):
        if rounded >= size:
            return f"£{_figures(significant(rounded / size))}{suffix}"
    return f"£{rounded:,.0f}"  # pragma: no cover - every amount over £100,000 has a unit above


def significant(value: Decimal, figures: int = 3) -> Decimal:
    """A value to so many significant figures, half up (as a finance team rounds): 4.6089 -> 4.61, 9.995 -> 10.0."""
    if value == 0:
        return Decimal(0)
    rounded = value.quantize(Decimal(1).scaleb(value.adjusted() - figures + 1), rounding=ROUND_HALF_UP)
    if rounded.adjusted() > value.adjusted():  # rounding carried into a new digit
        rounded = value.quantize(Decimal(1).scaleb(rounded.adjusted() - figures + 1), rounding=ROUND_HALF_UP)
    return rounded


def _figures(value: Decimal) -> str:
    places = max(0, -int(value.as_tuple().exponent))
    return f"{value:,.{places}f}"


def ratio(value: Decimal | None) -> str:
    """A ratio to three significant figures, half up: 4.6089 -> '4.61', 12.345 -> '12.3', 1234.5 -> '1,230'."""
    if value is None:
        return "n/a"
    return "0.00" if value == 0 else _figures(significant(Decimal(value)))


def cell(value, precision: str = PENNY) -> str:
    """A table cell as people read it: money with £, shares in per cent, counts with thousands, ratios to 3 figures."""
    if value is None:
        return ""
    if isinstance(value, Ratio):
        return ratio(value)
    if isinstance(value, Number):
        return f"{value:,f}"
    if isinstance(value, Decimal):
        return money(value, precision)
    if isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, tuple):
        return "; ".join(map(str, value))
    return str(value)


def code_name(code: str) -> str:
    """A snake_case code as words: central_government -> 'Central government', nhs -> 'NHS'."""
    words = code_words(code).split()
    if not words:
        return code
    first = words[0] if words[0].isupper() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def code_words(code: str) -> str:
    """A code as words inside a sentence, acronyms in capitals: public_value_npv -> 'public value NPV',
    tax-and-ni -> 'tax and NI'."""
    return " ".join(_ACRONYMS.get(word, word) for word in re.split(r"[_\s-]+", code) if word)


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


def release_name(release: str, short: bool = False) -> str:
    """A CRA release as its publisher names it: 'cra_2018_database.xlsx' -> 'HM Treasury, Country and Regional
    Analysis 2018' (the year its file is named for), or 'CRA 2018' in short; a file named otherwise, as it is."""
    match = re.search(r"cra[ _-]?(\d{4})", release, flags=re.IGNORECASE)
    if not match:
        return release
    return f"CRA {match.group(1)}" if short else f"HM Treasury, Country and Regional Analysis {match.group(1)}"


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


def code_names(workspace: Workspace) -> dict[str, str]:
    """Every code a table may hold (kinds of body, levels of control, national bodies, the workspace's
    agencies), with the name people read in its place."""
    names = {kind.value: code_name(kind.value) for kind in AgencyKind}
    names |= {key: level.label for key, level in read_levels(workspace).items()}
    names |= {body.id: body.name for body in reference.NATIONAL_BODIES}
    return names | {agency.id: agency.name for agency in workspace.settings.agencies}


def named(text: str, names: dict[str, str]) -> str:
    """A cell that holds a code (or a list of them) people would read as a name: the name(s) in its place."""
    if text in names:
        return names[text]
    for joiner in (", ", "; "):
        parts = text.split(joiner)
        if len(parts) > 1 and any(part in names for part in parts):
            return joiner.join(names.get(part, part) for part in parts)
    return text


def column_title(column: str) -> str:
    """A column's name as a table heading reads it: 'lines' -> 'Payments', 'payment_date' -> 'Payment date',
    'CRA year' as it is (a heading already in words keeps its capitals)."""
    if column in _COLUMNS:
        return _COLUMNS[column]
    return code_name(column) if "_" in column else column[:1].upper() + column[1:]
