"""Pass-through payments: money a body pays over to another public body, which that body spends.

A council collects the police and fire precepts with its council tax and pays them
over; it pays levies to the transport, waste and other authorities; it pays business
rates over to central government; it pays into its pension fund. None of that is the
council's spending on services: it is a transfer, kept with its kind and counted
apart. The rules (rules/pass_through_rules.csv, first match wins) say which payments
are: the kind of public body paid, and patterns on the payee's name and on the line's
service and expense labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from totalplace.classify.rules import PUBLIC_BODY_KINDS, check_choice, check_pattern, read_rule_table
from totalplace.errors import InputError
from totalplace.workspace import Workspace

RULE_FILE = "pass_through_rules.csv"
PRECEPT = "precept_or_levy"
PAID_OVER = "paid_over_to_government"
PENSION_FUND = "pension_fund"
PASS_THROUGH_LABELS = {PRECEPT: "precept or levy", PAID_OVER: "paid over to central government",
                       PENSION_FUND: "pension fund"}


@dataclass(frozen=True)
class PassThroughRule:
    rule_id: str
    payee_kinds: frozenset[str]
    payee: re.Pattern | None
    label: re.Pattern | None
    pass_through: str

    def matches(self, kind: str, payee: str, label: str) -> bool:
        return (kind in self.payee_kinds
                and (self.payee is None or self.payee.search(payee) is not None)
                and (self.label is None or self.label.search(label) is not None))


def pass_through_rules(workspace: Workspace) -> list[PassThroughRule]:
    """The workspace's pass-through rules, checked row by row."""
    table = read_rule_table(workspace.rule_path(RULE_FILE),
                            ("rule_id", "payee_kind", "payee_pattern", "label_pattern", "pass_through"))
    for index, row in enumerate(table.rows):
        where = f"{table.path}: row {index + 2}"
        kinds = set(row["payee_kind"].split("|")) if row["payee_kind"] else set()
        if not kinds or not kinds <= PUBLIC_BODY_KINDS:
            raise InputError(f"{where}, column payee_kind: {row['payee_kind']!r} must be kinds of public body "
                             f"joined by | ({', '.join(sorted(PUBLIC_BODY_KINDS))})")
        for column in ("payee_pattern", "label_pattern"):
            check_pattern(table, index, column)
        check_choice(table, index, "pass_through", set(PASS_THROUGH_LABELS), "kind of pass-through payment")
        if not row["pass_through"]:
            raise InputError(f"{where}, column pass_through: empty ({', '.join(PASS_THROUGH_LABELS)})")
    return [PassThroughRule(r["rule_id"], frozenset(r["payee_kind"].split("|")), _compiled(r["payee_pattern"]),
                            _compiled(r["label_pattern"]), r["pass_through"]) for r in table.rows]


def _compiled(pattern: str) -> re.Pattern | None:
    return re.compile(pattern, re.IGNORECASE) if pattern else None


def first_rule(rules: list[PassThroughRule], kind: str | None, payee: str, label: str) -> PassThroughRule | None:
    """The first rule that makes a payment to this payee, with these labels, a pass-through; None if none does."""
    if kind is None:
        return None
    return next((r for r in rules if r.matches(kind, payee, label)), None)
