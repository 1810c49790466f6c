"""Which uses can share a building: an editable table, `estate/uses.csv` (or .xlsx) in the workspace.

One row a pair of uses that can share a building, in either order: use, shares_with, note.
A use always shares with itself (two agencies' offices). A pair that is not listed cannot
share: a fire station does not take in a leisure centre, nor a clinic. Without a table in the
workspace the one shipped with totalplace applies (`totalplace estate uses --write` copies it
into the workspace to edit). Uses are compared without case or extra spaces.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from totalplace.inputs import read_table
from totalplace.workspace import Workspace

DEFAULT = Path(__file__).resolve().parents[1] / "data" / "estate_uses.csv"


def normal_use(text: str) -> str:
    return " ".join(text.lower().split())


class UsePair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    use: str
    shares_with: str
    note: str = ""

    @field_validator("use", "shares_with")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name a use")
        return normal_use(value)


@dataclass(frozen=True)
class Sharing:
    """The pairs of uses that can share a building, and the table they come from."""
    path: Path
    pairs: list[UsePair]

    def can_share(self, use: str, other: str) -> bool:
        a, b = normal_use(use), normal_use(other)
        return a == b or any({p.use, p.shares_with} == {a, b} for p in self.pairs)


def uses_path(workspace: Workspace) -> Path:
    folder = workspace.root / "estate"
    return folder / "uses.xlsx" if (folder / "uses.xlsx").exists() else folder / "uses.csv"


def read_sharing(path: Path) -> Sharing:
    """A table of uses that can share, every row checked (one clear error naming file, row and column)."""
    return Sharing(path, [pair for _, pair in read_table(path, UsePair)])


def default_sharing() -> Sharing:
    return read_sharing(DEFAULT)


def load_sharing(workspace: Workspace) -> Sharing:
    """The workspace's table, or the one shipped with totalplace."""
    path = uses_path(workspace)
    return read_sharing(path) if path.exists() else default_sharing()


def write_default(workspace: Workspace) -> Path:
    """Copy the shipped table into the workspace to be edited (an existing table is kept)."""
    target = uses_path(workspace)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DEFAULT, target)
    return target
