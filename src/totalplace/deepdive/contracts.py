"""The register of commissioned contracts: who commissions which provider to deliver which programme.

A workspace may keep `contracts.csv` (or `contracts.xlsx`): one row a contract, from a
commissioner (an agency of the place, or a body outside it such as a lead provider that
subcontracts) to a provider, for a programme of a theme. Where it is given, the provision
map takes a programme's providers from it: the ledger's payments to a contracted provider
are that programme's, and a provider the ledgers never pay (a subcontractor, or one paid
under the £500 publication threshold) is listed with its contract's value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pydantic import field_validator, model_validator

from totalplace.classify.rules import themes
from totalplace.errors import InputError
from totalplace.inputs import Money, StrictInput, read_table
from totalplace.workspace import Workspace

REGISTER_NAMES = ("contracts.csv", "contracts.xlsx")
BASES = ("published", "spend-file", "estimate", "illustrative", "unstated")


class Contract(StrictInput):
    """One row of the contracts register."""

    contract: str                       # its reference or name
    commissioner: str                   # an agency of the place (id, name or alias), or another body
    provider: str
    theme: str
    programme: str                      # what is commissioned, e.g. 'Adult drug and alcohol treatment'
    client_group: str = ""
    value: Money | None = None          # a year's value of the contract
    start: dt.date | None = None
    end: dt.date | None = None
    funding_stream: str = ""            # the register's stream that pays for it, if one does
    basis: str = "unstated"
    source: str = ""
    notes: str = ""

    @field_validator("theme")
    @classmethod
    def _a_theme(cls, value: str) -> str:
        if value not in themes():
            raise ValueError(f"{value!r} is not a Total Place theme (one of: {', '.join(sorted(themes()))})")
        return value

    @field_validator("value")
    @classmethod
    def _not_negative(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value < 0:
            raise ValueError("a contract's value is not negative")
        return value

    @field_validator("basis")
    @classmethod
    def _a_basis(cls, value: str) -> str:
        if value.lower() not in BASES:
            raise ValueError(f"{value!r} is not one of {', '.join(BASES[:-1])}")
        return value.lower()

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Contract:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"it ends ({self.end}) before it starts ({self.start})")
        return self

    def runs_in(self, fiscal_year: str) -> bool:
        """Whether the contract runs for some of the fiscal year (2018-19: April 2018 to March 2019)."""
        first = dt.date(int(fiscal_year[:4]), 4, 1)
        last = dt.date(int(fiscal_year[:4]) + 1, 3, 31)
        return (self.start is None or self.start <= last) and (self.end is None or self.end >= first)


@dataclass(frozen=True)
class ContractRow:
    """A contract with where it was read from, so every provider it gives traces to its row."""

    path: str
    row_number: int
    contract: Contract

    @property
    def where(self) -> str:
        return f"{self.path} row {self.row_number}"


def read_contracts(workspace: Workspace) -> list[ContractRow]:
    """Every contract of the workspace's register, checked; none when it keeps no register."""
    found = [workspace.root / name for name in REGISTER_NAMES if (workspace.root / name).exists()]
    if len(found) > 1:
        raise InputError(f"{workspace.root}: both {found[0].name} and {found[1].name} exist; keep one register")
    if not found:
        return []
    shown = found[0].name
    rows = [ContractRow(shown, number, contract) for number, contract in read_table(found[0], Contract)]
    seen: dict[str, int] = {}
    for row in rows:
        if row.contract.contract in seen:
            raise InputError(f"{found[0]}, row {row.row_number}, column 'contract': {row.contract.contract!r} "
                             f"repeats row {seen[row.contract.contract]}; its providers would count twice")
        seen[row.contract.contract] = row.row_number
    return rows
