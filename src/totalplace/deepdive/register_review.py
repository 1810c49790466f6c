"""The review of names in the registers: funders of the funding streams, programmes and providers of a provision map.

Each register keeps its decisions in an editable table of the workspace's rules
(funder_aliases.csv, programme_aliases.csv, provider_aliases.csv), written by the same
mechanism as the count's payee matches (classify.names): a suggestion is shown with its
evidence, and only an accepted one merges two names.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass

from totalplace.classify import names
from totalplace.count import funding_streams
from totalplace.deepdive import provision
from totalplace.errors import InputError
from totalplace.store.connection import connect
from totalplace.workspace import Workspace

TABLES = {"funder": funding_streams.FUNDER_ALIASES, "programme": provision.PROGRAMME_ALIASES,
          "provider": provision.PROVIDER_ALIASES}


@dataclass(frozen=True)
class RegisterSuggestion:
    register: str                  # funder, programme or provider
    suggestion: names.Suggestion


def suggestions(workspace: Workspace, theme: str | None = None, year: str | None = None) -> list[RegisterSuggestion]:
    """The funders that may be one, and, for a theme, its programmes and providers that may be one."""
    found = [RegisterSuggestion("funder", s) for s in funding_streams.funder_merges(workspace)]
    if theme is None:
        return found
    if not workspace.store_path.exists():
        raise InputError(f"{workspace.root}: no store yet, so no provision map to review: run `totalplace ingest`")
    merges: dict[str, Callable] = {"programme": provision.programme_merges, "provider": provision.provider_merges}
    with closing(connect(workspace, read_only=True)) as con:
        for register, merge in merges.items():
            found += [RegisterSuggestion(register, s) for s in merge(con, workspace, theme, year)]
    return found


def review(workspace: Workspace, accept: list[str], reject: list[str], decided_by: str, theme: str | None = None,
           year: str | None = None) -> list[tuple[str, names.Decision]]:
    """Accept or reject suggestions by the name they were made for; each decision goes to its register's table."""
    found = suggestions(workspace, theme, year)
    register_of = {names.normalised_name(s.suggestion.name): s.register for s in found}
    decided = names.decide([s.suggestion for s in found], accept, reject, decided_by,
                           "run `totalplace streams review` to list them (add --theme for a provision map's "
                           "programmes and providers)")
    for register, table in TABLES.items():
        mine = [d for d in decided if register_of[names.normalised_name(d.name)] == register]
        if mine:
            table.record(workspace.root / "rules", mine)
    return [(register_of[names.normalised_name(d.name)], d) for d in decided]
