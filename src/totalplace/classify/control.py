"""The sliding scale of control: how much say the place has over each line of the count.

The scale runs from money the council decides on, through money the council
spends under a ring-fence or a statutory duty, police and fire, London's
regional bodies, the local NHS and demand-led entitlements, to money decided
nationally. The levels, their definitions and which of them make up "local
say" are an editable table, `rules/control_levels.csv`; lines are put on the
scale by another, `rules/control_rules.csv` (first matching row wins; patterns
are case-insensitive regular expressions; an empty cell matches anything). Its
`council_spends` column says whether the council's own ledger holds that
money, which is what reconciliation replaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from totalplace.classify.rules import RuleTable, check_choice, check_pattern, matcher, read_rule_table
from totalplace.errors import InputError
from totalplace.workspace import Workspace

RULE_FILE = "control_rules.csv"
LEVEL_FILE = "control_levels.csv"
# The scale's levels, most say first. Their labels, definitions and local-say flags live in LEVEL_FILE.
LEVELS: dict[str, str] = {
    "council_discretion": "Council: discretionary",
    "council_ringfenced": "Council: ring-fenced or statutory",
    "police_fire": "Police and fire",
    "regional": "London's regional bodies (GLA and TfL)",
    "nhs": "The local NHS",
    "demand_led": "Demand-led entitlements",
    "national": "Decided nationally",
}
COUNCIL = ("council_discretion", "council_ringfenced")
MATCHED = ("region", "department", "organisation", "programme", "cofog", "function")
OPTIONAL = ("region",)  # a rule table written before the column existed still reads: the column matches anything
COLUMNS = ("rule_id", "spender", *MATCHED, "control_level", "council_spends", "note")
RENAMED = {"local_bodies": "police_fire or nhs (other local public bodies were split into police and fire, and "
                           "the local NHS)"}


@dataclass(frozen=True)
class Level:
    """One level of the sliding scale, as its table defines it."""
    key: str
    label: str
    local_say: bool
    definition: str


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
    region: str = ""  # the CRA region, e.g. 'London'


@dataclass(frozen=True)
class Placement:
    control_level: str
    council_spends: bool
    rule_id: str


def read_rules(workspace: Workspace | None = None) -> list[ControlRule]:
    """The workspace's control rules (or the shipped ones), checked row by row."""
    from totalplace.reference import data_path

    path = workspace.rule_path(RULE_FILE) if workspace else data_path(RULE_FILE)
    table = read_rule_table(path, tuple(c for c in COLUMNS if c not in OPTIONAL))
    for row in table.rows:
        for column in OPTIONAL:
            row.setdefault(column, "")
    return [_rule(table, i) for i in range(len(table.rows))]


def _rule(table: RuleTable, index: int) -> ControlRule:
    row = table.rows[index]
    for column in MATCHED:
        check_pattern(table, index, column)
    if row["control_level"] in RENAMED:
        raise InputError(f"{table.path}: row {index + 2}, column control_level: {row['control_level']!r} is no "
                         f"longer a level: use {RENAMED[row['control_level']]}")
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


def placer(rules: list[ControlRule]) -> Callable[[LineKey], Placement]:
    """Place lines by the first rule that matches each; a table without a catch-all row must still cover it."""
    matched = matcher(rules)

    def place(key: LineKey) -> Placement:
        for index in matched(key)[:1]:
            rule = rules[index]
            return Placement(rule.control_level, rule.council_spends, rule.rule_id)
        raise InputError(f"no row of {RULE_FILE} matches the CRA line {key}: add a catch-all row with empty patterns")
    return place


def read_levels(workspace: Workspace | None = None) -> dict[str, Level]:
    """The levels of the scale in order, with their labels, definitions and whether each is 'local say'."""
    from totalplace.reference import data_path

    path = workspace.rule_path(LEVEL_FILE) if workspace else data_path(LEVEL_FILE)
    table = read_rule_table(path, ("control_level", "label", "local_say", "definition"))
    found = {}
    for index, row in enumerate(table.rows):
        check_choice(table, index, "control_level", set(LEVELS), "control level (" + ", ".join(LEVELS) + ")")
        check_choice(table, index, "local_say", {"yes", "no"}, "answer (yes or no)")
        found[row["control_level"]] = Level(row["control_level"], row["label"] or LEVELS[row["control_level"]],
                                            row["local_say"] == "yes", row["definition"])
    missing = [k for k in LEVELS if k not in found]
    if missing:
        raise InputError(f"{path}: no row for the level(s) {', '.join(missing)}")
    return {k: found[k] for k in LEVELS}


def local_say_levels(workspace: Workspace | None = None) -> tuple[str, ...]:
    return tuple(k for k, level in read_levels(workspace).items() if level.local_say)


def local_say_definition(workspace: Workspace | None = None) -> str:
    """The words printed beside every local-say share: which levels it counts and which it shows beside it."""
    levels = read_levels(workspace)
    inside = [levels[k].label for k in levels if levels[k].local_say]
    nhs = "" if levels["nhs"].local_say else f"; {levels['nhs'].label} is shown beside it, not inside it"
    return (f"Local say = {', '.join(inside)} (rules/{LEVEL_FILE}; the Total Place pilots counted local "
            f"government, including police and fire){nhs}")
