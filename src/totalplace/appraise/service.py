"""Finding and appraising a workspace's interventions: what the CLI, the report and the export share."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from totalplace.appraise.engine import ZERO, Appraisal, appraise, make_context
from totalplace.appraise.gainshare import propose
from totalplace.appraise.model import load_intervention
from totalplace.appraise.portfolio import Portfolio, build_portfolio, read_portfolio_file
from totalplace.errors import InputError
from totalplace.money import format_money, to_pennies

INTERVENTIONS = "interventions"
SUFFIXES = (".yaml", ".yml", ".xlsx")


def interventions_dir(workspace) -> Path:
    return workspace.root / INTERVENTIONS


def intervention_files(workspace) -> list[Path]:
    folder = interventions_dir(workspace)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.stem != "portfolio"
                  and not p.name.startswith("~$"))


def find_intervention(workspace, target: str) -> Path:
    """A file path, or the name of a file in the workspace's interventions/ folder."""
    path = Path(target)
    if path.is_file():
        return path
    for suffix in SUFFIXES:
        candidate = interventions_dir(workspace) / f"{target}{suffix}"
        if candidate.is_file():
            return candidate
    known = ", ".join(p.stem for p in intervention_files(workspace)) or "none"
    raise InputError(f"no intervention {target!r}: not a file, and not in {interventions_dir(workspace)} "
                     f"(interventions there: {known})")


def appraise_file(workspace, path: Path) -> Appraisal:
    intervention = load_intervention(path)
    return appraise(intervention, make_context(intervention, workspace))


def appraise_target(workspace, target: str) -> tuple[Path, Appraisal]:
    path = find_intervention(workspace, target)
    return path, appraise_file(workspace, path)


def load_portfolio(workspace) -> Portfolio:
    settings = read_portfolio_file(interventions_dir(workspace))
    paths = [find_intervention(workspace, name) for name in settings.interventions] or intervention_files(workspace)
    if not paths:
        raise InputError(f"no interventions in {interventions_dir(workspace)}: add a .yaml or .xlsx file")
    return build_portfolio(settings, [appraise_file(workspace, p) for p in paths])


WHITEHALL_ASK = "whitehall_ask"  # the deal evidence measure of a national body's share (deal/links.py)


@dataclass(frozen=True)
class ProposedAsk:
    """A national body's share of the gains, as an ask of Whitehall for the deal, with its live evidence link."""
    agency: str
    name: str
    department: str
    pv: Decimal
    payees: dict[str, Decimal]  # local partner name -> the part of the ask that would reach it
    intervention: str
    link: str

    def deal_ask(self, ask_id: str) -> dict:
        """An entry for deal/asks.yaml, in the deal's own schema (deal.asks.Ask)."""
        reach = ", ".join(f"{name} {format_money(amount)}" for name, amount in self.payees.items())
        return {
            "id": ask_id, "title": f"Share the savings of {self.name} from {self.intervention} with the place",
            "department": self.department, "freedom": "devolve national body's spend",
            "money": to_pennies(self.pv),
            "story": (f"The appraisal's gain-share gives {self.name} a saving beyond its share of the gains "
                      f"(present value {format_money(self.pv)}). A local agreement cannot make a national body pay: "
                      f"this asks for a formal agreement to pass that share to the local partners ({reach})."),
            "evidence": [self.link], "owner": next(iter(self.payees), "the partnership"),
        }


def whitehall_asks(appraisal: Appraisal, method: str):
    return propose(appraisal, method).asks


def whitehall_ask_amount(appraisal: Appraisal, agency: str, method: str) -> Decimal:
    """The present value of one national body's share under a gain-share method (zero when it owes none)."""
    return sum((a.pv for a in whitehall_asks(appraisal, method) if a.agency == agency), ZERO)


def proposed_asks(workspace, target: str, method: str = "shapley") -> list[ProposedAsk]:
    """Each national body's share of an intervention's gains, as an ask of Whitehall linked as deal evidence."""
    path, appraisal = appraise_target(workspace, target)
    names = appraisal.context.agencies
    name = path.stem if path.parent == interventions_dir(workspace) else target
    return [ProposedAsk(ask.agency, names[ask.agency].name, names[ask.agency].department or names[ask.agency].name,
                        ask.pv, {names[a].name: v for a, v in ask.payees.items()}, appraisal.intervention.name,
                        f"appraisal:name={name};measure={WHITEHALL_ASK};agency={ask.agency};method={method}")
            for ask in whitehall_asks(appraisal, method)]
