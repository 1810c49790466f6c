"""Finding and appraising a workspace's interventions: what the CLI, the report and the export share."""

from __future__ import annotations

from pathlib import Path

from totalplace.appraise.engine import Appraisal, appraise, make_context
from totalplace.appraise.model import load_intervention
from totalplace.appraise.portfolio import Portfolio, build_portfolio, read_portfolio_file
from totalplace.errors import InputError

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
