"""Classify every spend line: its theme and COFOG group, and whether it pays a public body.

Rules are matched on the distinct labels, not on every line, then joined back:
a count of millions of lines has only thousands of label combinations.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from totalplace.classify.rules import (
    RuleTable, check_choice, check_pattern, cofog_codes, read_rule_table, themes,
)
from totalplace.errors import InputError
from totalplace.workspace import AgencyKind, Workspace

PUBLIC_BODY_KINDS = {"nhs", "police", "fire", "council", "school", "central_government", "other_public"}

SERVICE_TEXT = "coalesce(s.service_label, '') || ' / ' || coalesce(s.service_division, '')"
EXPENSE_TEXT = "coalesce(s.expense_category, '') || ' / ' || coalesce(s.expense_type, '')"
NORMALISED_NAME = "trim(regexp_replace(replace(upper({0}), '&', ' AND '), '[^A-Z0-9]+', ' ', 'g'))"


def classification_rules(workspace: Workspace) -> RuleTable:
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
    return table


def public_body_tables(workspace: Workspace) -> tuple[RuleTable, RuleTable]:
    named = read_rule_table(workspace.rule_path("public_bodies.csv"), ("name", "kind"))
    patterns = read_rule_table(
        workspace.rule_path("public_body_patterns.csv"), ("pattern_id", "pattern", "kind")
    )
    for index, _row in enumerate(named.rows):
        check_choice(named, index, "kind", PUBLIC_BODY_KINDS, "kind of public body")
    for index, _row in enumerate(patterns.rows):
        check_pattern(patterns, index, "pattern")
        check_choice(patterns, index, "kind", PUBLIC_BODY_KINDS, "kind of public body")
    return named, patterns


def _register(con: duckdb.DuckDBPyConnection, name: str, table: RuleTable, columns: list[str]) -> None:
    """A rule table as a relation, with its file order as `rule_order` (first match wins)."""
    data = {c: [row.get(c) or None for row in table.rows] for c in columns}
    data["rule_order"] = list(range(len(table.rows)))
    con.register(name, pa.table(data))


def classify_all(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> None:
    """Rebuild the classification table from the spend lines and the workspace's rules."""
    _register(con, "theme_rules", classification_rules(workspace),
              ["rule_id", "agency_kind", "service_pattern", "expense_pattern", "theme", "cofog"])
    named, patterns = public_body_tables(workspace)
    _register(con, "named_bodies", named, ["name", "kind", "gss_code"])
    _register(con, "body_patterns", patterns, ["pattern_id", "pattern", "kind"])
    con.execute(_LABELS_SQL)
    con.execute(_SUPPLIERS_SQL)
    con.execute(_CLASSIFICATION_SQL)
    for name in ("theme_rules", "named_bodies", "body_patterns"):
        con.unregister(name)
    con.execute("DROP TABLE labels; DROP TABLE suppliers")


_LABELS_SQL = f"""
CREATE OR REPLACE TEMP TABLE labels AS
WITH label AS (
    SELECT DISTINCT s.agency_id, a.kind, {SERVICE_TEXT} AS service_text, {EXPENSE_TEXT} AS expense_text
    FROM spend_line s JOIN agency a USING (agency_id)
)
SELECT l.agency_id, l.service_text, l.expense_text,
       arg_min(r.theme, r.rule_order) AS theme,
       arg_min(r.cofog, r.rule_order) AS cofog,
       arg_min(r.rule_id, r.rule_order) AS rule_id
FROM label l LEFT JOIN theme_rules r
  ON (r.agency_kind IS NULL OR r.agency_kind = l.kind)
 AND (r.service_pattern IS NULL OR regexp_matches(l.service_text, r.service_pattern, 'i'))
 AND (r.expense_pattern IS NULL OR regexp_matches(l.expense_text, r.expense_pattern, 'i'))
GROUP BY ALL
"""

# A supplier is a public body when the named list says so, else the first
# matching pattern (a pattern with no kind says "not a public body"). It is an
# agency of this count when its name is that agency's name or alias, or when
# the named list gives it the ONS code of an agency's area.
_SUPPLIERS_SQL = f"""
CREATE OR REPLACE TEMP TABLE suppliers AS
WITH supplier AS (
    SELECT DISTINCT supplier_name, {NORMALISED_NAME.format('supplier_name')} AS key
    FROM spend_line WHERE supplier_name IS NOT NULL
),
named AS (
    SELECT {NORMALISED_NAME.format('name')} AS key,
           arg_min(kind, rule_order) AS kind, arg_min(name, rule_order) AS name,
           arg_min(gss_code, rule_order) AS gss_code
    FROM named_bodies GROUP BY 1
),
by_pattern AS (
    SELECT s.supplier_name,
           arg_min(coalesce(p.kind, ''), p.rule_order) AS kind,
           arg_min(p.pattern_id, p.rule_order) AS pattern_id
    FROM supplier s JOIN body_patterns p ON regexp_matches(s.supplier_name, p.pattern, 'i')
    GROUP BY 1
),
agency_names AS (
    SELECT agency_id, {NORMALISED_NAME.format('unnest(list_append(aliases, name))')} AS key, area
    FROM agency
)
SELECT s.supplier_name,
       coalesce(n.kind, nullif(b.kind, '')) AS transfer_kind,
       CASE WHEN n.kind IS NOT NULL THEN 'public_bodies.csv: ' || n.name
            WHEN b.kind <> '' THEN 'public_body_patterns.csv: ' || b.pattern_id END AS transfer_rule,
       coalesce(
           (SELECT min(a.agency_id) FROM agency_names a WHERE a.key = s.key),
           (SELECT min(a.agency_id) FROM agency a WHERE a.area = n.gss_code)
       ) AS counterpart_agency
FROM supplier s
LEFT JOIN named n ON n.key = s.key
LEFT JOIN by_pattern b ON b.supplier_name = s.supplier_name
"""

_CLASSIFICATION_SQL = f"""
CREATE OR REPLACE TABLE classification AS
SELECT s.line_id, l.theme, l.cofog, l.rule_id,
       coalesce(p.transfer_kind, CASE WHEN p.counterpart_agency IS NOT NULL THEN a.kind END) AS transfer_kind,
       coalesce(p.transfer_rule, CASE WHEN p.counterpart_agency IS NOT NULL
                                      THEN 'agency of this count: ' || p.counterpart_agency END) AS transfer_rule,
       p.counterpart_agency
FROM spend_line s
JOIN labels l ON l.agency_id = s.agency_id
             AND l.service_text = {SERVICE_TEXT} AND l.expense_text = {EXPENSE_TEXT}
LEFT JOIN suppliers p ON p.supplier_name = s.supplier_name
LEFT JOIN agency a ON a.agency_id = p.counterpart_agency
"""
