"""How one spend file is read: its columns, its dates, and the mapping remembered for its layout.

A layout is known by its header fingerprint (the normalised header names, in
order): next month's file from the same system has the same one. The columns
come from, in turn, the agency's layout mapping in totalplace.toml (written
by `totalplace map`), the agency's own `columns`, and the detector (header
and content, ingest/columns.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from totalplace.errors import InputError
from totalplace.ingest.columns import AmbiguousColumns, ColumnMapping, choose, header_score, normalise, require
from totalplace.ingest.dates import DateReading, read_dates
from totalplace.ingest.profile import profile_columns
from totalplace.ingest.sources import TextTable, read_spend_file
from totalplace.workspace import Agency, Layout, Workspace


@dataclass(frozen=True)
class Reading:
    """How a file is read."""

    fingerprint: str
    mapping: ColumnMapping
    dates: DateReading
    settings_key: str  # what in totalplace.toml the mapping depended on: when it changes, the file is reloaded

    def notes(self) -> list[str]:
        """What a user should know about how the file was read, beyond which column is which."""
        mapping = self.mapping
        notes = []
        if mapping.amount_basis == "gross":  # said whenever the amounts include VAT
            notes.append("amounts are gross (VAT included)")
        elif mapping.amount_basis == "net" and len(mapping.vat_columns) > 1:  # said when gross was there too
            notes.append(f"amounts are net of VAT: {mapping.header_of('amount')!r} counted, of "
                         f"{', '.join(repr(h) for h in mapping.vat_columns)}")
        if mapping.sign:
            notes.append(f"amounts take their sign from {mapping.header_of('sign')!r} ({mapping.sign.kind})")
        return notes + list(self.dates.notes)

    @property
    def has_payments(self) -> bool:
        """Whether the file (or sheet) has what a payment needs: an amount, and a date or a month in its name."""
        return "amount" in self.mapping.columns and (
            "payment_date" in self.mapping.columns or self.dates.name_month is not None)

    def summary(self) -> dict:
        """What source_file keeps of the reading (JSON; its notes are kept with the file's other notes)."""
        return {"amount_basis": self.mapping.amount_basis, "month_first": self.dates.month_first,
                "name_month": self.dates.name_month.isoformat() if self.dates.name_month else None,
                "runners_up": self.mapping.runners_up}


def fingerprint(headers: list[str] | tuple[str, ...]) -> str:
    """A layout's fingerprint: its header names, normalised, in order (blank trailing columns left out)."""
    names = [normalise(h) for h in headers]
    while names and not names[-1]:
        names.pop()
    return hashlib.sha256("|".join(names).encode()).hexdigest()[:12]


def settings_for(workspace: Workspace, agency: Agency, layout: str) -> tuple[dict[str, str], str]:
    """The columns totalplace.toml sets for an agency's layout, and a key that changes when they (or
    the amount basis) change."""
    overrides = {**agency.columns, **agency.layout_columns(layout)}
    key = json.dumps({"columns": overrides, "amount_basis": workspace.amount_basis}, sort_keys=True)
    return overrides, hashlib.sha256(key.encode()).hexdigest()[:12]


def read_layout(workspace: Workspace, agency: Agency, table: TextTable, path: str,
                settled: dict[str, str] | None = None, required: bool = True) -> Reading:
    """How to read a file: its columns from header and content, and its dates.

    `settled` are columns the user names now (`totalplace map --set`), over any
    in totalplace.toml. Columns the detector cannot tell apart stop with one
    message naming them and the command that settles it. Unless `required` is
    False (a workbook's sheets, some of which hold no payments), a file without
    an amount or a date stops with one message too.
    """
    layout = fingerprint(table.headers)
    overrides, key = settings_for(workspace, agency, layout)
    profiles = profile_columns(table.headers, table.rows)
    try:
        mapping = choose(table.headers, profiles, {**overrides, **(settled or {})}, workspace.amount_basis)
    except AmbiguousColumns as error:
        header = error.candidates[0][0].replace('"', '\\"')
        raise InputError(f"{path}: {error.describe()}; settle it with: totalplace map {agency.id} "
                         f"\"{table.path}\" --set {error.field}=\"{header}\"") from None
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    dates = read_dates(mapping, profiles, table.rows, table.path.name, path)
    if required:
        require(mapping, path, dated_by_name=dates.name_month is not None)
    return Reading(layout, mapping, dates, key)


def propose(workspace: Workspace, agency_id: str, path: Path, settled: dict[str, str]) -> Reading:
    """How a file of an agency would be read, with the columns the user names (`totalplace map`)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    agency = workspace.agency(agency_id)
    table = read_spend_file(path, header_score)
    return read_layout(workspace, agency, table, str(path), settled)


def remember(workspace: Workspace, agency_id: str, reading: Reading, path: Path) -> None:
    """Keep a file's mapping for its layout in totalplace.toml: next month's file of that layout loads with it."""
    workspace.remember_layout(agency_id, Layout(fingerprint=reading.fingerprint, columns=reading.mapping.as_dict(),
                                                file=path.name))
