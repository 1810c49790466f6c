"""Payees matched to the agencies of the count, so money paid between them is counted once, and the review of matches.

A payee is an agency of the count when the rules say so: its name or an alias of
the agency (totalplace.toml), the shipped list of public bodies giving it the code of
the agency's area, or a match accepted on review (rules/payee_aliases.csv). Any
other payee that the rules know to be a public body of the same kind as an agency,
and whose name resembles the agency's, is suggested for review with its evidence:
never taken on trust. Accepting a suggestion writes it to rules/payee_aliases.csv
(an input that lasts) and re-applies the rules to the store.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from totalplace.classify import names
from totalplace.classify.apply import PAYEE_ALIASES, classify_all, payee_decisions
from totalplace.money import format_money
from totalplace.store.connection import StoreConnection, connect, transaction, writable
from totalplace.workspace import Agency, Workspace

ALIAS_FILE = PAYEE_ALIASES
# Words of public bodies' names that alone never make a payee an agency ("NHS" is not the CCG), and the roles
# whose words never match across (an NHS trust is not a CCG, although both are NHS and share a city's name).
GENERIC = names.GENERIC_WORDS | frozenset({
    "NHS", "COUNCIL", "CITY", "COUNTY", "DISTRICT", "BOROUGH", "METROPOLITAN", "MET", "POLICE", "FIRE", "RESCUE",
    "AUTHORITY", "SERVICE", "SERVICES", "TRUST", "FOUNDATION", "FT", "CCG", "ICB", "PCT", "GROUP", "BOARD"})
ROLES = (frozenset({"CCG", "ICB", "PCT", "COMMISSIONING"}), frozenset({"TRUST", "FT", "HOSPITAL", "HOSPITALS"}))
# The kind of public body the rules give a payee, for each kind of agency (the rules know fewer kinds).
BODY_KIND = {"probation": "central_government", "dwp": "central_government", "housing": "other_public"}


@dataclass(frozen=True)
class Payee:
    name: str
    kind: str | None          # the kind of public body the rules say it is
    agency: str | None        # the agency of the count it is, as the rules stand
    rule: str | None          # the rule that said so
    amount: Decimal
    lines: int
    paid_by: str              # the agencies whose ledgers pay it


@dataclass
class PayeeMatching:
    payees: int                               # distinct payee names in the ledgers
    matched: list[Payee]                      # agencies of the count, by the rules (shipped or accepted)
    accepted_on_review: int                   # of those, by a decision in rules/payee_aliases.csv
    suggestions: list[names.Suggestion]       # left for review
    seconds: float                            # how long the matching took

    @property
    def accepted_by_rules(self) -> int:
        return len(self.matched) - self.accepted_on_review


def targets(agencies: Iterable[Agency]) -> list[names.Target]:
    return [names.Target(a.id, a.name, BODY_KIND.get(a.kind.value, a.kind.value), tuple(a.aliases))
            for a in agencies]


def payees(con: StoreConnection) -> list[Payee]:
    """Every payee named in the ledgers, with what the rules say of it and what it was paid."""
    rows = con.execute(
        """SELECT supplier_name, any_value(transfer_kind), any_value(counterpart_agency), any_value(transfer_rule),
                  sum(amount), count(*), string_agg(DISTINCT agency_id, ', ' ORDER BY agency_id)
           FROM spend_line WHERE supplier_name IS NOT NULL GROUP BY 1 ORDER BY 5 DESC, 1""").fetchall()
    return [Payee(*row) for row in rows]


def match_payees(workspace: Workspace) -> PayeeMatching:
    """The payees matched to the agencies of the count, and the suggestions left for review."""
    con = connect(workspace, read_only=True)
    try:
        found = payees(con)
    finally:
        con.close()
    started = time.perf_counter()
    decisions = payee_decisions(workspace)
    matcher = names.NameMatcher(targets(workspace.settings.agencies), decisions.accepted, decisions.rejected,
                                generic=GENERIC, exclusive=ROLES)
    matched = [p for p in found if p.agency]
    reviewed = sum(1 for p in matched if names.normalised_name(p.name) in decisions.accepted)
    suggestions = [_with_payment(s, p) for p in found if p.kind and not p.agency
                   for s in matcher.suggest(p.name, p.kind) if s.target not in p.paid_by.split(", ")]
    return PayeeMatching(len(found), matched, reviewed, suggestions, time.perf_counter() - started)


def _with_payment(suggestion: names.Suggestion, payee: Payee) -> names.Suggestion:
    paid = f"paid {format_money(payee.amount)} over {payee.lines:,} payment(s) by {payee.paid_by}"
    return names.Suggestion(suggestion.name, suggestion.target, suggestion.target_name, suggestion.score,
                            suggestion.evidence + (f"the rules say it is {payee.kind} ({payee.rule})", paid))


def review(workspace: Workspace, accept: list[str], reject: list[str], decided_by: str) -> list[names.Decision]:
    """Accept or reject suggestions by payee name; the decisions are written to the rules and the store re-classified."""
    decisions = names.decide(match_payees(workspace).suggestions, accept, reject, decided_by,
                             "run `totalplace transfers review` to list them (a payee is suggested only when the "
                             "rules know it as a public body of the same kind as an agency)")
    if not decisions:
        return []
    names.record_decisions(workspace.root / "rules" / ALIAS_FILE, "agency", decisions)
    with writable(workspace) as con:
        with transaction(con):
            classify_all(con, workspace)
    return decisions
