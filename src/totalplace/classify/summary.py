"""How much of the money the rules classify, and the labels they miss."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb


@dataclass(frozen=True)
class ClassifiedShare:
    agency_id: str
    total: Decimal
    classified: Decimal
    lines: int
    unclassified_lines: int

    @property
    def share(self) -> float:
        return float(self.classified / self.total) if self.total else 1.0


@dataclass(frozen=True)
class UnclassifiedLabel:
    agency_id: str
    service: str
    expense: str
    amount: Decimal
    lines: int


def classified_shares(con: duckdb.DuckDBPyConnection) -> list[ClassifiedShare]:
    """Per agency: the money the rules gave a theme, of all its money."""
    rows = con.execute(
        """SELECT s.agency_id, sum(s.amount), coalesce(sum(s.amount) FILTER (WHERE s.theme IS NOT NULL), 0),
                  count(*), count(*) FILTER (WHERE s.theme IS NULL)
           FROM spend_line s GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    return [ClassifiedShare(*r) for r in rows]


def unclassified_labels(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[UnclassifiedLabel]:
    """Labels no rule covers, largest money first: what to write rules for next."""
    rows = con.execute(
        f"""SELECT s.agency_id, concat_ws(' / ', s.service_label, s.service_division),
                   concat_ws(' / ', s.expense_category, s.expense_type),
                   sum(s.amount), count(*)
            FROM spend_line s
            WHERE s.theme IS NULL GROUP BY 1, 2, 3 ORDER BY abs(sum(s.amount)) DESC LIMIT {int(limit)}"""
    ).fetchall()
    return [UnclassifiedLabel(*r) for r in rows]
