"""The sliding scale of control: how much say the place has over each line of the count.

The scale runs from money the council decides on, through money the council
spends under a ring-fence or a statutory duty, other local public bodies
(NHS, police, fire), demand-led entitlements, to money decided nationally.
Lines are put on it by an editable rule table, `rules/control_rules.csv`
(first matching row wins; patterns are case-insensitive regular expressions;
an empty cell matches anything). Its `council_spends` column says whether the
council's own ledger holds that money, which is what reconciliation replaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from totalplace.classify.rules import RuleTable, check_choice, check_pattern, read_rule_table
from totalplace.errors import InputError
from totalplace.workspace import Workspace

RULE_FILE = "control_rules.csv"
LEVELS: dict[str, str] = {
    "council_discretion": "Council: discretionary",
    "council_ringfenced": "Council: ring-fenced or statutory",
    "local_bodies": "Other local public bodies (NHS, police, fire...)",
    "demand_led": "Demand-led entitlements (benefits, pensions)",
    "national": "Decided nationally",
}
LOCAL_SAY = ("council_discretion", "council_ringfenced", "local_bodies")
COUNCIL = ("council_discretion", "council_ringfenced")
MATCHED = ("department", "organisation", "programme", "cofog", "function")
COLUMNS = ("rule_id", "spender", *MATCHED, "control_level", "council_spends", "note")


@dataclass(frozen=True)
class ControlRule:
    rule_id: str
    spender: str
    patterns: dict[str, re.Pattern | None]
    control_level: str
    council_spends: bool
    note: str


@dataclass(frozen=True)
class LineKey:
    """What a control rule looks at in one CRA line."""
    spender: str
    department: str
    organisation: str
    programme: str
    cofog: str        # the finest COFOG code the line has: '10.6', or '10' in the 2010 release
    function: str     # HMT function and sub-function, e.g. 'Social protection / 10.2 Old age; of which: pensions'


@dataclass(frozen=True)
class Placement:
    control_level: str
    council_spends: bool
    rule_id: str


def read_rules(workspace: Workspace | None = None) -> list[ControlRule]:
    """The workspace's control rules (or the shipped ones), checked row by row."""
    from totalplace.reference import data_path

    path = workspace.rule_path(RULE_FILE) if workspace else data_path(RULE_FILE)
    table = read_rule_table(path, COLUMNS)
    return [_rule(table, i) for i in range(len(table.rows))]


def _rule(table: RuleTable, index: int) -> ControlRule:
    row = table.rows[index]
    for column in MATCHED:
        check_pattern(table, index, column)
    check_choice(table, index, "control_level", set(LEVELS), "control level (" + ", ".join(LEVELS) + ")")
    check_choice(table, index, "spender", {"CG", "LG", "PC", "BOE"}, "spender (CG, LG, PC or BOE)")
    check_choice(table, index, "council_spends", {"yes", "no"}, "answer (yes or no)")
    if not row["control_level"]:
        raise InputError(f"{table.path}: row {index + 2}, column control_level: empty")
    return ControlRule(
        rule_id=row["rule_id"] or f"row {index + 2}",
        spender=row["spender"],
        patterns={c: re.compile(row[c], re.I) if row[c] else None for c in MATCHED},
        control_level=row["control_level"],
        council_spends=row["council_spends"] == "yes",
        note=row["note"],
    )


def place_line(rules: list[ControlRule], key: LineKey) -> Placement:
    """The first rule that matches the line; a table without a catch-all row must still cover it."""
    for rule in rules:
        if rule.spender and rule.spender != key.spender:
            continue
        if all(p is None or p.search(getattr(key, c) or "") for c, p in rule.patterns.items()):
            return Placement(rule.control_level, rule.council_spends, rule.rule_id)
    raise InputError(f"no row of {RULE_FILE} matches the CRA line {key}: add a catch-all row with empty patterns")
