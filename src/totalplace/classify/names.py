"""Matching names as people write them to a list of known bodies: by name, by alias, and by a fuzzy match for review.

The count uses it for payees (is this supplier an agency of the count?); the registers use it
for their own names (`merges`: are 'DWP' and 'Department for Work and Pensions' one funder, two
ledger headings one programme renamed, two spellings one provider?). An exact match on a name
or an alias is taken. A fuzzy match is only a suggestion, shown with its evidence, until
someone accepts it; the decision, accepted or rejected, is written to a CSV table in the
workspace's rules (an `AliasTable`), so it is an input that lasts: rebuild the store and the
choice holds, and an analyst may type an alias into the table by hand.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Postfix, Prefix

from totalplace import tabular
from totalplace.errors import InputError

KEPT_START = 4  # letters of a name's start that one edit must keep (kept_ends_ratio)
SUGGEST_AT = 80.0  # rapidfuzz token-set similarity (0-100) from which a name is suggested
GENERIC_WORDS = frozenset({"THE", "OF", "AND", "FOR", "IN", "ON", "AT", "LTD", "LIMITED", "PLC"})
DECISIONS = ("accept", "reject")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
Scorer = Callable[..., float]  # rapidfuzz's scorer signature: (a, b, *, processor=None, score_cutoff=None) -> 0..100


@functools.lru_cache(maxsize=1 << 16)  # every supplier name is normalised for each list it is looked up in
def normalised_name(name: str) -> str:
    """A body's name for exact matching: 'Leeds City Council ' and 'LEEDS CITY COUNCIL' agree."""
    return " ".join(_NOT_ALNUM.sub(" ", name.upper().replace("&", " AND ")).split())


def kept_ends_ratio(a: str, b: str, *, processor: Callable[[str], str] | None = None,
                    score_cutoff: float | None = None) -> float:
    """How much of the shorter name survives one edit into the other (0-100): the start and the end both names keep.

    A name retyped with one slip ('BEVAN Health & WellbeingCARE CIC' for 'BEVAN HEALTHCARE CIC', after a
    find-and-replace), cut short, spaced differently ('Co-op Funeralcare') or given its legal form ('LTD') keeps
    its start and its end; two bodies that share a trade ('06 CARE LIMITED', 'QUALIA CARE LIMITED') keep only
    an end. So the start kept must be at least four letters, and words of legal form never count.
    Names that do not start alike are never compared (`kept_ends_block`).
    """
    a, b = (_core(processor(x) if processor else x) for x in (a, b))
    shorter = min(len(a), len(b))
    start = Prefix.similarity(a, b)
    if shorter < KEPT_START or start < KEPT_START:
        return 0.0
    score = 100.0 * min(shorter, start + Postfix.similarity(a, b)) / shorter
    return score if score_cutoff is None or score >= score_cutoff else 0.0


def kept_ends_block(name: str) -> str:
    """The start two names must share for kept_ends_ratio to find them alike at all."""
    return _core(name)[:KEPT_START]


MEASURES: dict[Scorer, str] = {fuzz.token_set_ratio: "rapidfuzz token set ratio",
                                kept_ends_ratio: "start and end kept through one edit"}


def _core(name: str) -> str:
    """A normalised name without words of legal form or spaces: what a retyping keeps."""
    return "".join(w for w in name.split() if w not in GENERIC_WORDS)


def initials(name: str) -> set[str]:
    """The initials a body is known by: of every word (DFE), or of its words that are not generic (DWP)."""
    words = name.split()
    return {"".join(w[0] for w in words), "".join(w[0] for w in words if w not in GENERIC_WORDS)} - {""}


def one_spelling(written: Iterable[str]) -> dict[str, str]:
    """Each name as the first spelling of it met: case, spacing and punctuation never make two bodies."""
    first: dict[str, str] = {}
    return {name: first.setdefault(normalised_name(name), name) for name in written}


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
                 generic: frozenset[str] = GENERIC_WORDS, exclusive: tuple[frozenset[str], ...] = (),
                 scorer: Scorer = fuzz.token_set_ratio, by_initials: bool = False, codes_agree: bool = False,
                 block: Callable[[str], str] | None = None) -> None:
        """`generic`: words that alone never make two names alike (a suggestion shares some other word);
        `exclusive`: groups of words naming different roles (a name with a word of one group is never
        suggested for a body with a word of another, e.g. an NHS trust for a CCG);
        `scorer`: how alike two names are (rapidfuzz's token-set ratio unless the register needs another);
        `by_initials`: a one-word name that is the initials of a body's name is suggested for it (DWP);
        `codes_agree`: two names that both carry codes (words with a digit: PH1, PH4) match only on the same codes;
        `block`: names are only compared with names of the same block (the scorer finds no others alike)."""
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
        self._keys = [choice for choice, _ in self._choices]
        self._block = block
        self._blocks: dict[str, list[int]] = {}
        if block is not None:
            for index, choice in enumerate(self._keys):
                self._blocks.setdefault(block(choice), []).append(index)
        self._rejected = rejected or set()
        self._suggest_at = suggest_at
        self._generic = generic
        self._exclusive = exclusive
        self._scorer = scorer
        self._by_initials = by_initials
        self._codes_agree = codes_agree

    def exact(self, name: str) -> tuple[str, str] | None:
        """(target id, 'name' | 'alias' | 'accepted') when the name is one the list knows, else None."""
        return self._exact.get(normalised_name(name))

    def suggest(self, name: str, kind: str | None = None, limit: int = 1) -> list[Suggestion]:
        """The bodies a name the list does not know resembles (best first), of its kind, never one rejected for it."""
        key = normalised_name(name)
        if not key or key in self._exact:
            return []
        return self.resembling(name, kind, limit=limit)

    def resembling(self, name: str, kind: str | None = None, allowed: Callable[[Target], bool] | None = None,
                   limit: int = 1) -> list[Suggestion]:
        """The bodies a name resembles (best first) among those `allowed`, of its kind, never one rejected for it."""
        key = normalised_name(name)
        if not key:
            return []
        among = self._blocks.get(self._block(key), []) if self._block else range(len(self._keys))
        found = [(choice, score, among[at], "similar") for choice, score, at in process.extract(
            key, [self._keys[i] for i in among], scorer=self._scorer, score_cutoff=self._suggest_at, limit=None)]
        if self._by_initials and " " not in key:
            found += [(choice, 100.0, index, "initials") for index, choice in enumerate(self._keys)
                      if key in initials(choice) and key != choice]
        best: dict[str, Suggestion] = {}
        for choice, score, index, how in sorted(found, key=lambda f: (-f[1], f[3] != "initials", f[2])):
            target = self._choices[index][1]
            if target.id in best or (key, target.id) in self._rejected or (allowed and not allowed(target)):
                continue
            if (target.kind is not None and target.kind != kind) or not (how == "initials" or self._alike(key, choice)):
                continue
            said = ((f"{name!r} is the initials of {choice!r}",) if how == "initials"
                    else _evidence(key, choice, score, self._scorer))
            best[target.id] = Suggestion(name, target.id, choice, round(score, 1),
                                         said + ((f"both {target.kind}",) if target.kind else ()))
        return list(best.values())[:limit]

    def _alike(self, key: str, choice: str) -> bool:
        """Whether two names share a word that is not generic, and name no different roles."""
        words, others = set(key.split()), set(choice.split())
        if not (words & others) - self._generic:
            return False
        if self._codes_agree and _codes(words) and _codes(others) and _codes(words) != _codes(others):
            return False
        roles = {i for i, group in enumerate(self._exclusive) if words & group}
        their = {i for i, group in enumerate(self._exclusive) if others & group}
        return not (roles and their and roles.isdisjoint(their))


def _codes(words: set[str]) -> set[str]:
    return {w for w in words if any(c.isdigit() for c in w)}


def _evidence(key: str, choice: str, score: float, scorer: Scorer) -> tuple[str, ...]:
    shared = [w for w in key.split() if w in set(choice.split())]
    measure = MEASURES.get(scorer, getattr(scorer, "__name__", "similarity"))
    return (f"similar to {choice!r} ({score:.0f}/100, {measure})", f"words in common: {' '.join(shared) or 'none'}")


def merges(names: Sequence[Target], rejected: set[tuple[str, str]] | None = None,
           may_join: Callable[[Target, Target], bool] | None = None, limit: int = 1, **matching) -> list[Suggestion]:
    """Names of one register that may be one body: each suggested as the name it most resembles that it may join.

    `names` come best first: the name others merge into (the one used most, or the one a contract gives).
    By default a name may join a name placed before it, or one it is the initials of (DWP joins Department
    for Work and Pensions however many streams each funds); `may_join(name, other)` says otherwise (a
    ledger heading may join only a heading first paid after it was last paid). `matching` is passed to
    the NameMatcher (scorer, generic words, ...). With `limit`, up to that many for each name, best first.
    """
    matcher = NameMatcher(names, rejected=rejected, **matching)
    place = {t.id: i for i, t in enumerate(names)}

    def placed_before(name: Target, other: Target) -> bool:
        return place[other.id] < place[name.id] or normalised_name(name.name) in initials(normalised_name(other.name))

    joins = may_join or placed_before

    def allowed_for(name: Target) -> Callable[[Target], bool]:
        return lambda other: other.id != name.id and joins(name, other)

    found = []
    for name in names:
        found += matcher.resembling(name.name, name.kind, allowed_for(name), limit)
    return found


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
    source: str = ""                                                # the table they were read from

    def canonical(self, name: str) -> str:
        """The name a name is accepted as, followed to the end ('DWP' -> 'Department for Work and Pensions')."""
        seen = [name]
        while (known := self.accepted.get(normalised_name(seen[-1]))) is not None:
            if normalised_name(known) == normalised_name(seen[-1]):
                break
            if any(normalised_name(known) == normalised_name(s) for s in seen):
                raise InputError(f"{self.source}: {seen[-1]!r} and {known!r} are each accepted as the other; "
                                 "keep one of the two rows")
            seen.append(known)
        return seen[-1]


def columns(target_column: str) -> tuple[str, ...]:
    return ("name", target_column, "decision", "score", "evidence", "decided_by", "decided_on")


def read_decisions(path: Path, target_column: str, known_targets: set[str] | None) -> Decisions:
    """A decisions table, read in order (a later decision on a name and target replaces an earlier one).

    `known_targets`: the ids a decision may name (None: any name, as in a register's own aliases)."""
    found = Decisions(source=str(path))
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


def _check(path: Path, number: int, row: dict[str, str], target_column: str, known: set[str] | None) -> None:
    where = f"{path}: row {number}"
    if not row["name"]:
        raise InputError(f"{where}, column name: empty")
    if known is None and not row[target_column]:
        raise InputError(f"{where}, column {target_column}: empty")
    if known is not None and row[target_column] not in known:
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


def decide(suggested: Iterable[Suggestion], accept: Iterable[str], reject: Iterable[str], decided_by: str,
           hint: str) -> list[Decision]:
    """The decisions on suggestions named by the name they were made for; a name with none is one clear error."""
    by_name = {normalised_name(s.name): s for s in suggested}
    decisions = []
    for verdict, chosen in (("accept", accept), ("reject", reject)):
        for name in chosen:
            found = by_name.get(normalised_name(name))
            if found is None:
                raise InputError(f"no suggestion for {name!r} to {verdict}: {hint}")
            decisions.append(Decision(found.name, found.target, verdict, found.score, "; ".join(found.evidence),
                                      decided_by))
    return decisions


@dataclass(frozen=True)
class AliasTable:
    """A register's editable table of names accepted (or rejected) as another name of one body, in rules/."""

    file: str     # e.g. funder_aliases.csv
    column: str   # the column naming the name it is (funder, programme, provider)

    def read(self, rules: Path) -> Decisions:
        return read_decisions(rules / self.file, self.column, None)

    def record(self, rules: Path, decisions: list[Decision]) -> None:
        record_decisions(rules / self.file, self.column, decisions)
