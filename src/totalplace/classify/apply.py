"""Classify every spend line: its theme and COFOG group, whether it pays a public body, and whether it passes money through.

Rules are matched in Python on the distinct labels and supplier names (a
count of millions of lines has only thousands of them), then joined back to
the lines, whose classification columns they set. First matching rule wins, in the table's row order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from totalplace.classify import names
from totalplace.classify.names import normalised_name
from totalplace.classify.pass_through import PassThroughRule, first_rule, pass_through_rules
from totalplace.classify.rules import (
    PUBLIC_BODY_KINDS, check_choice, check_pattern, cofog_codes, read_rule_table, themes,
)
from totalplace.errors import InputError
from totalplace.store.connection import temp_table
from totalplace.store.schema import CLASSIFICATION_COLUMNS
from totalplace.workspace import AgencyKind, Workspace

PAYEE_ALIASES = "payee_aliases.csv"  # rules/: payees accepted (or rejected) as agencies of the count, on review

SERVICE_TEXT = "coalesce(s.service_label, '') || ' / ' || coalesce(s.service_division, '')"
EXPENSE_TEXT = "coalesce(s.expense_category, '') || ' / ' || coalesce(s.expense_type, '')"


@dataclass(frozen=True)
class ThemeRule:
    rule_id: str
    agency_kind: str
    service: re.Pattern | None
    expense: re.Pattern | None
    theme: str
    cofog: str

    def matches(self, kind: str, service_text: str, expense_text: str) -> bool:
        return (
            (not self.agency_kind or self.agency_kind == kind)
            and (self.service is None or self.service.search(service_text) is not None)
            and (self.expense is None or self.expense.search(expense_text) is not None)
        )


def _compiled(pattern: str) -> re.Pattern | None:
    return re.compile(pattern, re.IGNORECASE) if pattern else None


def theme_rules(workspace: Workspace) -> list[ThemeRule]:
    """The workspace's classification rules, checked row by row."""
    table = read_rule_table(
        workspace.rule_path("classification_rules.csv"),
        ("rule_id", "agency_kind", "service_pattern", "expense_pattern", "theme", "cofog"),
    )
    kinds = {k.value for k in AgencyKind}
    for index, row in enumerate(table.rows):
        if not (row["service_pattern"] or row["expense_pattern"]):
            raise InputError(
                f"{table.path}: row {index + 2}, column service_pattern: a rule needs a "
                "service_pattern or an expense_pattern"
            )
        for column in ("service_pattern", "expense_pattern"):
            check_pattern(table, index, column)
        check_choice(table, index, "agency_kind", kinds, "agency kind")
        check_choice(table, index, "theme", set(themes()), "theme (see themes.csv)")
        check_choice(table, index, "cofog", set(cofog_codes()), "COFOG code")
    return [
        ThemeRule(r["rule_id"], r["agency_kind"], _compiled(r["service_pattern"]),
                  _compiled(r["expense_pattern"]), r["theme"], r["cofog"])
        for r in table.rows
    ]


@dataclass(frozen=True)
class CasePattern:
    """A pattern matched ignoring case, fast where it can be.

    Python's IGNORECASE search is about four times slower than a plain one (it
    loses the scan for a literal prefix), and every supplier meets every body
    pattern. A pattern written in capitals, with no escape but the class ones,
    finds an ASCII name ignoring case exactly where its plain form finds the
    name in capitals: that is searched instead.
    """

    ignoring_case: re.Pattern
    in_capitals: re.Pattern | None  # the plain form, when the rule above holds

    @classmethod
    def of(cls, pattern: str) -> CasePattern:
        letters = re.sub(r"\\[bBsSwWdD]|\(\?:", "", pattern)
        plain = pattern.isascii() and not re.search(r"\\[A-Za-z]|[a-z]", letters)
        return cls(re.compile(pattern, re.IGNORECASE), re.compile(pattern) if plain else None)

    def finds(self, text: str, upper: str | None) -> bool:
        """Whether the pattern is in `text`; `upper` is text.upper() for an ASCII text, else None."""
        if upper is not None and self.in_capitals is not None:
            return self.in_capitals.search(upper) is not None
        return self.ignoring_case.search(text) is not None


@dataclass(frozen=True)
class PublicBodies:
    """The named list (consulted first) and the ordered patterns (an empty kind excludes)."""

    named: dict[str, tuple[str, str, str]]  # normalised name -> (kind, name, gss_code)
    patterns: list[tuple[str, CasePattern, str]]  # (pattern_id, pattern, kind)

    def recognise(self, supplier: str) -> tuple[str | None, str | None, str | None]:
        """Kind of public body, the rule that said so, and its ONS code if known."""
        named = self.named.get(normalised_name(supplier))
        if named:
            return named[0], f"public_bodies.csv: {named[1]}", named[2] or None
        upper = supplier.upper() if supplier.isascii() else None
        for pattern_id, pattern, kind in self.patterns:
            if pattern.finds(supplier, upper):
                return (kind, f"public_body_patterns.csv: {pattern_id}", None) if kind else (None, None, None)
        return None, None, None


def public_bodies(workspace: Workspace) -> PublicBodies:
    named = read_rule_table(workspace.rule_path("public_bodies.csv"), ("name", "kind"))
    patterns = read_rule_table(
        workspace.rule_path("public_body_patterns.csv"), ("pattern_id", "pattern", "kind")
    )
    for index, _row in enumerate(named.rows):
        check_choice(named, index, "kind", PUBLIC_BODY_KINDS, "kind of public body")
    for index, _row in enumerate(patterns.rows):
        check_pattern(patterns, index, "pattern")
        check_choice(patterns, index, "kind", PUBLIC_BODY_KINDS, "kind of public body")
    lookup: dict[str, tuple[str, str, str]] = {}
    for row in named.rows:
        lookup.setdefault(normalised_name(row["name"]), (row["kind"], row["name"], row.get("gss_code", "")))
    return PublicBodies(
        lookup, [(r["pattern_id"], CasePattern.of(r["pattern"]), r["kind"]) for r in patterns.rows]
    )


Recognised = tuple[str | None, str | None, str | None]  # kind of public body, the rule that said so, agency


@dataclass
class Rules:
    """A workspace's rules, read and checked, and what they say of each supplier name met so far."""

    themes: list[ThemeRule]
    bodies: PublicBodies
    agency_by_name: dict[str, str]  # normalised name or alias -> agency id
    agency_by_area: dict[str, str]  # ONS code of the area -> agency id
    agency_kind: dict[str, str]  # agency id -> its kind
    pass_through: list[PassThroughRule] = field(default_factory=list)
    suppliers: dict[str, Recognised] = field(default_factory=dict)

    @classmethod
    def of(cls, workspace: Workspace) -> Rules:
        agencies = workspace.settings.agencies
        by_name = {normalised_name(n): a.id for a in agencies for n in [a.name, *a.aliases]}
        return cls(
            theme_rules(workspace), public_bodies(workspace), {**payee_decisions(workspace).accepted, **by_name},
            {a.area: a.id for a in agencies if a.area}, {a.id: a.kind.value for a in agencies},
            pass_through_rules(workspace),
        )

    def supplier(self, name: str) -> Recognised:
        """The kind of public body a supplier is, the rule that said so, and the agency of this count it is.

        A supplier is an agency of the count when its name is the agency's name or
        alias, or when the named list gives it the ONS code of an agency's area.
        Each name is recognised once and remembered (see learn_suppliers).
        """
        if name not in self.suppliers:
            kind, rule, gss_code = self.bodies.recognise(name)
            agency = self.agency_by_name.get(normalised_name(name)) or (self.agency_by_area.get(gss_code) if gss_code else None)
            if agency and not kind:
                kind, rule = self.agency_kind[agency], f"agency of this count: {agency}"
            self.suppliers[name] = (kind, rule, agency)
        return self.suppliers[name]

    def learn_suppliers(self, names: Iterable[str]) -> None:
        """Recognise these names ahead of classifying: an ingest does it in a worker thread while DuckDB writes."""
        for name in names:
            self.supplier(name)


def payee_decisions(workspace: Workspace) -> names.Decisions:
    """The payees reviewed: accepted as (or rejected from being) an agency of the count (rules/payee_aliases.csv)."""
    return names.read_decisions(workspace.root / "rules" / PAYEE_ALIASES, "agency",
                                {a.id for a in workspace.settings.agencies})


def classify_all(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> None:
    """Re-apply the workspace's rules to every spend line (after they are edited).

    Only the lines whose classification changes are rewritten: after a small
    edit of the rules that is a few, and rewriting all 10 million costs time and memory.
    """
    rules = Rules.of(workspace)
    with _rule_tables(con, rules, ["spend_line"]):
        _reclassify_lines(con)
    _mark_pass_through(con, rules)


def publish_lines(con: duckdb.DuckDBPyConnection, rules: Rules, pending: str) -> None:
    """Copy the pending table `pending` into spend_line, classified on the way in, and re-apply the rules
    to the lines already there (the rules or the agencies may have changed since)."""
    with _rule_tables(con, rules, ["spend_line", pending]):
        _reclassify_lines(con)
        con.execute(f"""
            INSERT INTO spend_line BY NAME
            SELECT s.* EXCLUDE ({", ".join(CLASSIFICATION_COLUMNS)}), {_RULED_COLUMNS}
            FROM {pending} s {_RULE_JOINS}""")
    _mark_pass_through(con, rules)


@contextmanager
def _rule_tables(con: duckdb.DuckDBPyConnection, rules: Rules, line_tables: list[str]) -> Iterator[None]:
    """Temp tables `labels` and `suppliers`: the rules matched once to each distinct label and supplier."""
    temp_table(con, "labels", _label_themes(con, rules.themes, line_tables))
    temp_table(con, "suppliers", _supplier_bodies(con, rules, line_tables))
    yield  # on an error, the caller's rollback removes them
    con.execute("DROP TABLE labels")
    con.execute("DROP TABLE suppliers")


def _reclassify_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Set each line's classification to what the rules say now, writing only the lines that change.

    The lines are joined to the small rule tables by label and by supplier, one
    update each: joining them to a copy of themselves by line id would hold every
    changed line in memory (2.7 GB when a rule edit changes all 10 million).
    """
    for rule_table, alias, match in (("labels", "l", _LABEL_MATCH), ("suppliers", "p", _SUPPLIER_MATCH)):
        columns = {column: value for column, value in _RULED.items() if value.startswith(f"{alias}.")}
        changed = " OR ".join(f"s.{column} IS DISTINCT FROM {value}" for column, value in columns.items())
        con.execute(f"""
            UPDATE spend_line s SET {", ".join(f"{column} = {value}" for column, value in columns.items())}
            FROM {rule_table} {alias} WHERE {match} AND ({changed})""")


def _distinct(line_tables: list[str], columns: str) -> str:
    """SQL: the distinct values of `columns` over the line tables (each aliased s)."""
    return " UNION ".join(f"SELECT DISTINCT {columns} FROM {table} s" for table in line_tables)


def _label_themes(con: duckdb.DuckDBPyConnection, rules: list[ThemeRule],
                  line_tables: list[str]) -> dict[str, tuple[str, list]]:
    """The first rule matching each label of the lines. Lines of an agency no longer in
    totalplace.toml are kept: only rules for any kind of agency can match them."""
    labels = con.execute(
        f"""SELECT l.agency_id, a.kind, l.service_text, l.expense_text
            FROM ({_distinct(line_tables, f"s.agency_id, {SERVICE_TEXT} AS service_text, {EXPENSE_TEXT} AS expense_text")}) l
            LEFT JOIN agency a USING (agency_id)"""
    ).fetchall()
    out: dict[str, list] = {k: [] for k in ("agency_id", "service_text", "expense_text", "theme", "cofog", "rule_id")}
    first_rule = _first_rule_finder(rules, labels)
    for agency_id, kind, service_text, expense_text in labels:
        rule = first_rule(kind, service_text, expense_text)
        for key, value in (("agency_id", agency_id), ("service_text", service_text),
                           ("expense_text", expense_text), ("theme", rule and rule.theme),
                           ("cofog", rule and rule.cofog), ("rule_id", rule and rule.rule_id)):
            out[key].append(value)
    return {column: ("VARCHAR", values) for column, values in out.items()}


def _first_rule_finder(rules: list[ThemeRule], labels: list[tuple]) -> Callable[[str | None, str, str], ThemeRule | None]:
    """The first rule that matches (agency kind, service text, expense text), as ThemeRule.matches says.

    Thousands of labels share a few hundred service texts and about a thousand
    expense texts: each pattern is searched once per distinct text, giving the
    set of rules (a bit per rule) each text allows; a label's rule is the
    lowest bit allowed by its kind, its service text and its expense text.
    """
    kinds = {label[1] for label in labels}
    # A rule for a kind of agency with no lines here (an NHS rule in a count of councils) is never searched.
    unused = {i for i, r in enumerate(rules) if r.agency_kind and r.agency_kind not in kinds}
    service = _allowed([None if i in unused else r.service for i, r in enumerate(rules)], {label[2] for label in labels})
    expense = _allowed([None if i in unused else r.expense for i, r in enumerate(rules)], {label[3] for label in labels})
    by_kind = {kind: _bits(i for i, r in enumerate(rules) if not r.agency_kind or r.agency_kind == kind)
               for kind in kinds}

    def first(kind: str | None, service_text: str, expense_text: str) -> ThemeRule | None:
        allowed = by_kind[kind] & service[service_text] & expense[expense_text]
        return rules[(allowed & -allowed).bit_length() - 1] if allowed else None

    return first


def _allowed(patterns: list[re.Pattern | None], texts: set[str]) -> dict[str, int]:
    """For each text, the rules (bits) whose pattern finds it or that have no pattern here."""
    everywhere = _bits(i for i, p in enumerate(patterns) if p is None)
    allowed = dict.fromkeys(texts, everywhere)
    for index, pattern in enumerate(patterns):
        if pattern is not None:
            for text in texts:
                if pattern.search(text) is not None:
                    allowed[text] |= 1 << index
    return allowed


def _bits(indexes: Iterable[int]) -> int:
    return sum(1 << i for i in indexes)


def _supplier_bodies(con: duckdb.DuckDBPyConnection, rules: Rules, line_tables: list[str]) -> dict[str, tuple[str, list]]:
    """Each supplier: the kind of public body it is, and the agency of this count it is, if any (Rules.supplier)."""
    names = [r[0] for r in con.execute(
        f"SELECT * FROM ({_distinct(line_tables, 's.supplier_name')}) WHERE supplier_name IS NOT NULL").fetchall()]
    out: dict[str, list] = {k: [] for k in ("supplier_name", "transfer_kind", "transfer_rule", "counterpart_agency")}
    for name in names:
        kind, rule, agency = rules.supplier(name)
        for key, value in (("supplier_name", name), ("transfer_kind", kind), ("transfer_rule", rule),
                           ("counterpart_agency", agency)):
            out[key].append(value)
    return {column: ("VARCHAR", values) for column, values in out.items()}


LABEL_TEXT = f"{SERVICE_TEXT} || ' / ' || {EXPENSE_TEXT}"


def _mark_pass_through(con: duckdb.DuckDBPyConnection, rules: Rules) -> None:
    """Set which payments to public bodies pass money through (precepts, levies, rates paid over, pensions).

    Only lines paying a public body can be one, a small share of the lines: the
    rules are matched once for each distinct payee kind, payee and label among them.
    Only the lines whose pass-through changes are written.
    """
    found = con.execute(f"""SELECT DISTINCT s.transfer_kind, s.supplier_name, {LABEL_TEXT} FROM spend_line s
                            WHERE s.transfer_kind IS NOT NULL""").fetchall()
    cells: dict[str, list] = {k: [] for k in ("transfer_kind", "supplier_name", "label", "kind", "rule")}
    for kind, payee, label in found:
        rule = first_rule(rules.pass_through, kind, payee, label)
        for key, value in (("transfer_kind", kind), ("supplier_name", payee), ("label", label),
                           ("kind", rule and rule.pass_through), ("rule", rule and f"pass_through_rules.csv: {rule.rule_id}")):
            cells[key].append(value)
    temp_table(con, "passing", {column: ("VARCHAR", values) for column, values in cells.items()})
    con.execute(f"""UPDATE spend_line s SET pass_through = p.kind, pass_through_rule = p.rule FROM passing p
                    WHERE p.transfer_kind = s.transfer_kind AND p.supplier_name = s.supplier_name
                      AND p.label = {LABEL_TEXT}
                      AND (s.pass_through IS DISTINCT FROM p.kind OR s.pass_through_rule IS DISTINCT FROM p.rule)""")
    con.execute("UPDATE spend_line SET pass_through = NULL, pass_through_rule = NULL "
                "WHERE transfer_kind IS NULL AND pass_through IS NOT NULL")
    con.execute("DROP TABLE passing")


# Each classification column of a line, as the rule tables joined to it (_RULE_JOINS) give it.
_RULED = {column: f"{'l' if column in ('theme', 'cofog', 'rule_id') else 'p'}.{column}"
          for column in CLASSIFICATION_COLUMNS}
_RULED_COLUMNS = ", ".join(f"{value} AS {column}" for column, value in _RULED.items())
_LABEL_MATCH = f"l.agency_id = s.agency_id AND l.service_text = {SERVICE_TEXT} AND l.expense_text = {EXPENSE_TEXT}"
_SUPPLIER_MATCH = "p.supplier_name = s.supplier_name"
# Every line has a label (see _label_themes); a line with no supplier named has no supplier row.
_RULE_JOINS = f"JOIN labels l ON {_LABEL_MATCH} LEFT JOIN suppliers p ON {_SUPPLIER_MATCH}"
