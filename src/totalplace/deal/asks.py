"""The register of asks (the place proposition), its status history and the evidence as submitted.

Files in the workspace's ``deal/`` folder, all edited by people or appended by the CLI:

- ``asks.yaml`` (or ``asks.xlsx``): the proposition and its asks;
- ``history.csv``: every change of status (when, ask, from, to, by, note); an ask's
  status is the last one recorded, ``draft`` before any;
- ``submitted_evidence.csv``: each linked figure as it stood when the ask was submitted.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from totalplace.deal.evidence import check_link
from totalplace.inputs import LineList, Money, TextList, raw_rows, validate
from totalplace.errors import InputError
from totalplace.workspace import Workspace

HISTORY_COLUMNS = ["when", "ask", "from", "to", "by", "note"]
SNAPSHOT_COLUMNS = ["ask", "submitted", "link", "label", "amount"]


class Freedom(StrEnum):
    """The kinds of freedom a place asks of Whitehall (chapters 8 and 9 of the seed text)."""
    pool_budgets = "pool budgets"
    align_budgets = "align budgets"
    lift_ring_fence = "lift ring-fence"
    remove_target = "remove target or return"
    lengthen_budget_cycle = "lengthen budget cycle"
    devolve_national_spend = "devolve national body's spend"
    share_data = "share data"


class Status(StrEnum):
    draft = "draft"
    submitted = "submitted"
    in_dialogue = "in dialogue"
    agreed = "agreed"
    declined = "declined"


# Agreed is final; a declined or withdrawn ask goes back to draft to be reworked and resubmitted.
TRANSITIONS: dict[Status, set[Status]] = {
    Status.draft: {Status.submitted},
    Status.submitted: {Status.in_dialogue, Status.agreed, Status.declined, Status.draft},
    Status.in_dialogue: {Status.agreed, Status.declined, Status.draft},
    Status.declined: {Status.draft},
    Status.agreed: set(),
}


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: bool | None = None
    reason: str = ""


class Checklist(BaseModel):
    """The three conditions a deal must meet (chapter 9, 'Place Proposition Agreements')."""
    model_config = ConfigDict(extra="forbid")
    spatially_contained: Answer = Field(default_factory=Answer)
    no_national_conflict: Answer = Field(default_factory=Answer)
    no_new_legislation: Answer = Field(default_factory=Answer)


CONDITIONS = {
    "spatially_contained": "It is spatially contained, with no displacement onto neighbours",
    "no_national_conflict": "It does not conflict with a national commitment (PSA or manifesto)",
    "no_new_legislation": "It needs no new legislation",
}


class Offer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    savings: Money | None = None
    outcomes: TextList = Field(default_factory=list)
    indicators: TextList = Field(default_factory=list)  # ids of the outcomes framework's indicators (outcomes.yaml)


class Ask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    department: str
    freedom: Freedom
    money: Money
    story: str = ""
    evidence: LineList = Field(default_factory=list)
    offer: Offer = Field(default_factory=Offer)
    owner: str
    reply_due: dt.date | None = None
    reply: str = ""
    checklist: Checklist = Field(default_factory=Checklist)

    @field_validator("evidence")
    @classmethod
    def _links_are_known(cls, links: list[str]) -> list[str]:
        for text in links:
            try:
                check_link(text)
            except InputError as error:
                raise ValueError(str(error)) from None
        return links


class Proposition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = "Place proposition"
    partners: TextList = Field(default_factory=list)
    summary: str = ""


class Register(BaseModel):
    model_config = ConfigDict(extra="forbid")
    proposition: Proposition = Field(default_factory=Proposition)
    asks: list[Ask] = Field(default_factory=list)

    def ask(self, ask_id: str) -> Ask:
        for ask in self.asks:
            if ask.id == ask_id:
                return ask
        raise InputError(f"no ask {ask_id!r} in the register (asks: {', '.join(a.id for a in self.asks) or 'none'})")


def deal_dir(workspace: Workspace) -> Path:
    return workspace.root / "deal"


def register_path(workspace: Workspace) -> Path:
    """asks.yaml, or asks.xlsx when only that exists."""
    folder = deal_dir(workspace)
    xlsx = folder / "asks.xlsx"
    return xlsx if xlsx.exists() and not (folder / "asks.yaml").exists() else folder / "asks.yaml"


def load_register(workspace: Workspace) -> Register:
    path = register_path(workspace)
    if not path.exists():
        return Register()
    register = _xlsx_register(path) if path.suffix == ".xlsx" else _yaml_register(path)
    seen: set[str] = set()
    for ask in register.asks:
        if ask.id in seen:
            raise InputError(f"{path}: ask id {ask.id!r} is used twice")
        seen.add(ask.id)
    return register


def _yaml_register(path: Path) -> Register:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {error}") from None
    asks = data.get("asks") if isinstance(data, dict) else None
    if isinstance(asks, list):
        for position, ask in enumerate(asks, start=1):
            label = ask.get("id", f"number {position}") if isinstance(ask, dict) else f"number {position}"
            validate(Ask, ask, f"{path}, ask {label}", noun="field")
    return validate(Register, data, str(path), noun="field")


# In the workbook one row is one ask; nested fields are columns named with dots.
XLSX_NESTED = {"offer.savings", "offer.outcomes", "offer.indicators"} | {f"checklist.{c}.{p}" for c in CONDITIONS
                                                    for p in ("answer", "reason")}


def _xlsx_register(path: Path) -> Register:
    asks = []
    for number, cells in raw_rows(path):
        data: dict = {}
        for name, value in cells.items():
            if value is None:
                continue
            if name in XLSX_NESTED:
                target = data
                *parents, leaf = name.split(".")
                for parent in parents:
                    target = target.setdefault(parent, {})
                target[leaf] = value
            else:
                data[name] = value
        asks.append(validate(Ask, data, f"{path}, row {number}"))
    return Register(asks=asks)


def add_ask(workspace: Workspace, ask: Ask) -> Path:
    """Append an ask to asks.yaml, keeping the rest of the file (and its comments) as typed."""
    path = register_path(workspace)
    if path.suffix == ".xlsx":
        raise InputError(f"{path}: the register is a workbook; add the ask as a row in Excel")
    register = load_register(workspace)
    if any(a.id == ask.id for a in register.asks):
        raise InputError(f"{path}: ask id {ask.id!r} is already in the register")
    block = yaml.safe_dump([ask.model_dump(mode="json", exclude_defaults=True)], sort_keys=False,
                           allow_unicode=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not text.strip():
        text = "asks:\n"
    candidate = next((c for c in (_appended(text, block, indent) for indent in ("  ", ""))
                      if _holds(c, len(register.asks) + 1)), None)
    if candidate is None:
        # The asks list is not the file's last block: rewrite it whole rather than guess.
        register.asks.append(ask)
        candidate = yaml.safe_dump(register.model_dump(mode="json", exclude_defaults=True), sort_keys=False,
                                   allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(candidate, encoding="utf-8")
    return path


def _appended(text: str, block: str, indent: str) -> str:
    return text.rstrip("\n") + "\n" + "".join(f"{indent}{line}\n" for line in block.splitlines())


def _holds(text: str, asks: int) -> bool:
    """Whether the YAML text parses to a register with this many asks."""
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(parsed, dict) and len(parsed.get("asks") or []) == asks


# --- status history -------------------------------------------------------------------------

def history_path(workspace: Workspace) -> Path:
    return deal_dir(workspace) / "history.csv"


def snapshot_path(workspace: Workspace) -> Path:
    return deal_dir(workspace) / "submitted_evidence.csv"


def _read_csv(path: Path, columns: list[str]) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing column {missing[0]!r} (columns: {', '.join(columns)})")
        return list(reader)


def _append_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        if new:
            writer.writeheader()
        writer.writerows(rows)


def history(workspace: Workspace) -> list[dict[str, str]]:
    rows = _read_csv(history_path(workspace), HISTORY_COLUMNS)
    for number, row in enumerate(rows, start=2):
        for column in ("from", "to"):
            if row[column] not in {s.value for s in Status}:
                raise InputError(f"{history_path(workspace)}, row {number}, column {column!r}: "
                                 f"{row[column]!r} is not a status ({', '.join(s.value for s in Status)})")
    return rows


def statuses(workspace: Workspace) -> dict[str, Status]:
    """Each ask's current status: the last change recorded, draft before any."""
    current: dict[str, Status] = {}
    for row in history(workspace):
        current[row["ask"]] = Status(row["to"])
    return current


def parse_status(text: str) -> Status:
    wanted = text.strip().lower().replace("-", " ").replace("_", " ")
    for status in Status:
        if status.value == wanted:
            return status
    raise InputError(f"{text!r} is not a status (choose from {', '.join(s.value for s in Status)})")


def record_change(workspace: Workspace, ask_id: str, to: Status, by: str, note: str,
                  when: dt.datetime | None = None) -> Status:
    """Append one status change to history.csv, if the move is allowed; returns the old status."""
    load_register(workspace).ask(ask_id)
    old = statuses(workspace).get(ask_id, Status.draft)
    if to not in TRANSITIONS[old]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "none: it is final"
        raise InputError(f"ask {ask_id} is {old.value}; it can move to: {allowed}")
    stamp = (when or dt.datetime.now()).isoformat(timespec="seconds")
    _append_csv(history_path(workspace), HISTORY_COLUMNS,
                [{"when": stamp, "ask": ask_id, "from": old.value, "to": to.value, "by": by, "note": note}])
    return old


def submitted_figures(workspace: Workspace) -> dict[str, dict[str, Decimal]]:
    """ask -> link -> the figure recorded at its latest submission."""
    latest: dict[str, tuple[str, dict[str, Decimal]]] = {}
    path = snapshot_path(workspace)
    for number, row in enumerate(_read_csv(path, SNAPSHOT_COLUMNS), start=2):
        try:
            amount = Decimal(row["amount"])
        except ArithmeticError:
            raise InputError(f"{path}, row {number}, column 'amount': {row['amount']!r} is not an amount") from None
        stamp, figures = latest.get(row["ask"], ("", {}))
        if row["submitted"] > stamp:
            figures = {}
            latest[row["ask"]] = (row["submitted"], figures)
        figures[row["link"]] = amount
    return {ask: figures for ask, (_, figures) in latest.items()}


def record_submission(workspace: Workspace, ask_id: str, figures: list, when: dt.datetime) -> None:
    stamp = when.isoformat(timespec="seconds")
    _append_csv(snapshot_path(workspace), SNAPSHOT_COLUMNS,
                [{"ask": ask_id, "submitted": stamp, "link": f.link, "label": f.label, "amount": f"{f.amount}"}
                 for f in figures])
