"""Matching names as people write them to a list of known bodies: by name, by alias, and by a fuzzy match for review.

The count uses it for payees (is this supplier an agency of the count?); registers use it
for funders and programmes (is this the funder listed already?). An exact match on a name
or an alias is taken. A fuzzy match is only a suggestion, shown with its evidence, until
someone accepts it; the decision, accepted or rejected, is written to a CSV table in the
workspace's rules, so it is an input that lasts: rebuild the store and the choice holds.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz, process

from totalplace import tabular
from totalplace.errors import InputError

SUGGEST_AT = 80.0  # rapidfuzz token-set similarity (0-100) from which a name is suggested
GENERIC_WORDS = frozenset({"THE", "OF", "AND", "FOR", "IN", "ON", "AT", "LTD", "LIMITED", "PLC"})
DECISIONS = ("accept", "reject")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


@functools.lru_cache(maxsize=1 << 16)  # every supplier name is normalised for each list it is looked up in
def normalised_name(name: str) -> str:
    """A body's name for exact matching: 'Leeds City Council ' and 'LEEDS CITY COUNCIL' agree."""
    return " ".join(_NOT_ALNUM.sub(" ", name.upper().replace("&", " AND ")).split())


@dataclass(frozen=True)
class Target:
    """A known body a name may be: its id, its name, what kind of body it is, and its other names."""

    id: str
    name: str
    kind: str | None = None  # when set, only a name of the same kind is ever suggested
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    """A name that resembles a known body, with why it might be the same one."""

    name: str          # as written in the source
    target: str        # the id of the body it resembles
    target_name: str   # the name or alias of that body it is nearest to
    score: float       # similarity, 0-100
    evidence: tuple[str, ...]


class NameMatcher:
    """Names, aliases and accepted decisions looked up exactly; everything else suggested by similarity."""

    def __init__(self, targets: Iterable[Target], accepted: dict[str, str] | None = None,
                 rejected: set[tuple[str, str]] | None = None, suggest_at: float = SUGGEST_AT,
                 generic: frozenset[str] = GENERIC_WORDS, exclusive: tuple[frozenset[str], ...] = ()) -> None:
        """`generic`: words that alone never make two names alike (a suggestion shares some other word);
        `exclusive`: groups of words naming different roles (a name with a word of one group is never
        suggested for a body with a word of another, e.g. an NHS trust for a CCG)."""
        self.targets = {t.id: t for t in targets}
        self._exact: dict[str, tuple[str, str]] = {}
        self._choices: list[tuple[str, Target]] = []
        for target in self.targets.values():
            for written, how in [(target.name, "name")] + [(a, "alias") for a in target.aliases]:
                key = normalised_name(written)
                self._exact.setdefault(key, (target.id, how))
                self._choices.append((key, target))
        for key, target_id in (accepted or {}).items():
            self._exact.setdefault(key, (target_id, "accepted"))
        self._rejected = rejected or set()
        self._suggest_at = suggest_at
        self._generic = generic
        self._exclusive = exclusive

    def exact(self, name: str) -> tuple[str, str] | None:
        """(target id, 'name' | 'alias' | 'accepted') when the name is one the list knows, else None."""
        return self._exact.get(normalised_name(name))

    def suggest(self, name: str, kind: str | None = None, limit: int = 1) -> list[Suggestion]:
        """The bodies a name resembles (best first), of its kind, never one already rejected for it."""
        key = normalised_name(name)
        if not key or key in self._exact:
            return []
        found = process.extract(key, [choice for choice, _ in self._choices], scorer=fuzz.token_set_ratio,
                                score_cutoff=self._suggest_at, limit=None)
        best: dict[str, Suggestion] = {}
        for choice, score, index in sorted(found, key=lambda f: (-f[1], f[2])):
            target = self._choices[index][1]
            if target.id in best or (key, target.id) in self._rejected:
                continue
            if (target.kind is not None and target.kind != kind) or not self._alike(key, choice):
                continue
            best[target.id] = Suggestion(name, target.id, choice, round(score, 1),
                                         _evidence(key, choice, score, target))
        return list(best.values())[:limit]


    def _alike(self, key: str, choice: str) -> bool:
        """Whether two names share a word that is not generic, and name no different roles."""
        words, others = set(key.split()), set(choice.split())
        if not (words & others) - self._generic:
            return False
        roles = {i for i, group in enumerate(self._exclusive) if words & group}
        their = {i for i, group in enumerate(self._exclusive) if others & group}
        return not (roles and their and roles.isdisjoint(their))


def _evidence(key: str, choice: str, score: float, target: Target) -> tuple[str, ...]:
    shared = [w for w in key.split() if w in set(choice.split())]
    said = [f"similar to {choice!r} ({score:.0f}/100, rapidfuzz token set ratio)",
            f"words in common: {' '.join(shared) or 'none'}"]
    if target.kind:
        said.append(f"both {target.kind}")
    return tuple(said)


# --- decisions: the accepted and rejected suggestions, kept in a CSV table of the workspace's rules --------------

@dataclass(frozen=True)
class Decision:
    name: str
    target: str
    decision: str  # accept or reject
    score: float | None
    evidence: str
    decided_by: str
    decided_on: str = field(default_factory=lambda: date.today().isoformat())


@dataclass
class Decisions:
    accepted: dict[str, str] = field(default_factory=dict)          # normalised name -> target id
    rejected: set[tuple[str, str]] = field(default_factory=set)     # (normalised name, target id)


def columns(target_column: str) -> tuple[str, ...]:
    return ("name", target_column, "decision", "score", "evidence", "decided_by", "decided_on")


def read_decisions(path: Path, target_column: str, known_targets: set[str]) -> Decisions:
    """A decisions table, read in order (a later decision on a name and target replaces an earlier one)."""
    found = Decisions()
    if not path.exists():
        return found
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        headers = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in ("name", target_column, "decision") if c not in headers]
        if missing:
            raise InputError(f"{path}: row 1: missing column(s) {', '.join(missing)}")
        for number, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            _check(path, number, row, target_column, known_targets)
            key, target = normalised_name(tabular.restored(row["name"])), row[target_column]
            if row["decision"] == "accept":
                found.accepted[key] = target
                found.rejected.discard((key, target))
            else:
                found.rejected.add((key, target))
                if found.accepted.get(key) == target:
                    del found.accepted[key]
    return found


def _check(path: Path, number: int, row: dict[str, str], target_column: str, known: set[str]) -> None:
    where = f"{path}: row {number}"
    if not row["name"]:
        raise InputError(f"{where}, column name: empty")
    if row[target_column] not in known:
        raise InputError(f"{where}, column {target_column}: {row[target_column]!r} is not one of "
                         f"{', '.join(sorted(known)) or 'none'}")
    if row["decision"] not in DECISIONS:
        raise InputError(f"{where}, column decision: {row['decision']!r} is not accept or reject")


def record_decisions(path: Path, target_column: str, decisions: list[Decision]) -> None:
    """Add decisions to the table (made with its header when new); the file stays editable by hand."""
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")  # as totalplace.tabular writes every CSV
        if new:
            writer.writerow(columns(target_column))
        for d in decisions:  # names come from ledgers: text a spreadsheet would run is made safe
            writer.writerow([tabular.csv_value(v) for v in (d.name, d.target, d.decision,
                             "" if d.score is None else f"{d.score:g}", d.evidence, d.decided_by, d.decided_on)])
