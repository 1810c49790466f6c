"""Where each ask stands: its status, its evidence now against the evidence as submitted, and its flags.

Every output of the deal (list, show, check, export, the report) is built from
`review`, so an ask whose evidence has gone or changed since it was submitted is
flagged everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from totalplace.deal.asks import (
    CONDITIONS, Ask, Register, Status, load_register, record_change, record_submission, statuses,
    submitted_figures,
)
from totalplace.deal.burden import Framework, Indicator, framework_path, load_framework
from totalplace.deal.evidence import Context, EvidenceMissing, Figure, resolve
from totalplace.errors import InputError
from totalplace.money import format_money
from totalplace.workspace import Workspace


@dataclass(frozen=True)
class Evidence:
    """One evidence link: the figure now (or why it is missing) and the figure at submission."""
    link: str
    figure: Figure | None
    missing: str | None
    submitted: Decimal | None

    @property
    def changed(self) -> bool:
        return self.figure is not None and self.submitted is not None and self.figure.amount != self.submitted


@dataclass(frozen=True)
class Flag:
    kind: str
    text: str


@dataclass
class AskReview:
    ask: Ask
    status: Status
    evidence: list[Evidence]
    flags: list[Flag] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)  # the outcome indicators the offer would move


def offer_indicators(ask: Ask, framework: Framework | None, where: str) -> tuple[list[Indicator], list[Flag]]:
    """The framework's indicators the offer names, and a flag for each it names that the framework lacks."""
    known = {i.id: i for o in (framework.outcomes if framework else []) for i in o.indicators}
    found = [known[i] for i in ask.offer.indicators if i in known]
    missing = [Flag("offer indicator unknown", f"{i}: no such indicator in {where}")
               for i in ask.offer.indicators if i not in known]
    return found, missing


def evidence_now(context: Context, link: str, submitted: Decimal | None) -> Evidence:
    try:
        return Evidence(link, resolve(context, link), None, submitted)
    except EvidenceMissing as missing:
        return Evidence(link, None, str(missing), submitted)


def flags(ask: Ask, status: Status, evidence: list[Evidence], today: dt.date) -> list[Flag]:
    found = []
    for item in evidence:
        if item.missing is not None:
            found.append(Flag("evidence missing", f"{item.link}: no longer exists ({item.missing})"))
        elif item.changed and item.figure is not None:  # changed: a figure now, unlike the one submitted
            found.append(Flag("evidence changed", f"{item.link}: {format_money(item.submitted)} when submitted, "
                                                  f"now {format_money(item.figure.amount)}"))
    if status != Status.draft and not evidence:
        found.append(Flag("no evidence", "the ask links to no figure"))
    for name, condition in CONDITIONS.items():
        answer = getattr(ask.checklist, name)
        if answer.answer is None or not answer.reason.strip():
            found.append(Flag("checklist", f"not answered with a reason: {condition}"))
        elif answer.answer is False:
            found.append(Flag("condition not met", f"{condition}: no ({answer.reason})"))
    awaiting = status in (Status.submitted, Status.in_dialogue)
    if awaiting and ask.reply_due and ask.reply_due < today and not ask.reply.strip():
        found.append(Flag("reply overdue", f"reply was due {ask.reply_due.isoformat()}"))
    return found


def review(workspace: Workspace, today: dt.date | None = None, register: Register | None = None) -> list[AskReview]:
    """Every ask with its status, evidence now and at submission, and flags."""
    register = register or load_register(workspace)
    current = statuses(workspace)
    recorded = submitted_figures(workspace)
    framework = load_framework(workspace)
    today = today or dt.date.today()
    reviews = []
    with Context(workspace) as context:
        for ask in register.asks:
            status = current.get(ask.id, Status.draft)
            # Figures recorded at submission stay in force while the ask is with Whitehall or settled.
            snapshot = recorded.get(ask.id, {}) if status != Status.draft else {}
            links = list(dict.fromkeys(ask.evidence + list(snapshot)))
            evidence = [evidence_now(context, link, snapshot.get(link)) for link in links]
            indicators, unknown = offer_indicators(ask, framework, str(framework_path(workspace)))
            reviews.append(AskReview(ask, status, evidence, flags(ask, status, evidence, today) + unknown,
                                     indicators))
    return reviews


def submit(workspace: Workspace, ask_id: str, by: str, note: str = "", when: dt.datetime | None = None) -> AskReview:
    """Send an ask: it must be complete, and its evidence figures are recorded as they stand."""
    register = load_register(workspace)
    ask = register.ask(ask_id)
    when = when or dt.datetime.now()
    with Context(workspace) as context:
        evidence = [evidence_now(context, link, None) for link in ask.evidence]
    problems = [f.text for f in flags(ask, Status.submitted, evidence, when.date())
                if f.kind in ("evidence missing", "no evidence", "checklist")]
    if problems:
        raise InputError(f"ask {ask_id} cannot be submitted: {'; '.join(problems)}")
    record_change(workspace, ask_id, Status.submitted, by, note, when)
    record_submission(workspace, ask_id, [e.figure for e in evidence], when)
    return AskReview(ask, Status.submitted, evidence, [])


def change_status(workspace: Workspace, ask_id: str, to: Status, by: str, note: str = "",
                  when: dt.datetime | None = None) -> Status:
    """Move an ask on; submitting goes through `submit` so that its evidence is recorded."""
    if to == Status.submitted:
        submit(workspace, ask_id, by, note, when)
        return Status.draft
    return record_change(workspace, ask_id, to, by, note, when)
