"""The reporting burden: every return, indicator and inspection each agency feeds upwards,
what it costs, which are the same measure collected twice, and what a single outcomes
framework would replace.

Inputs in ``deal/``: ``burden.csv`` (or .xlsx), one row a return, indicator or inspection;
``outcomes.yaml``, the single outcomes framework (outcomes -> indicators -> baseline and
target, and the burden items each indicator replaces).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from totalplace.inputs import Money, TextList, read_table, validate
from totalplace.errors import InputError
from totalplace.money import to_pennies
from totalplace.workspace import Workspace

# Submissions a year for each frequency a return can have.
FREQUENCIES = {"annual": 1, "half-yearly": 2, "termly": 3, "quarterly": 4, "monthly": 12,
               "fortnightly": 26, "weekly": 52}
# Hours a full-time member of staff works in a year (37 hours x 44.6 weeks after leave and
# bank holidays); an assumption, shown wherever staff numbers are.
FTE_HOURS = Decimal(1650)


class ItemKind(StrEnum):
    return_ = "return"
    indicator = "indicator"
    inspection = "inspection"


def _frequency(value: object) -> object:
    """A named frequency, or a number of submissions a year."""
    text = str(value).strip().lower()
    if text in FREQUENCIES:
        return FREQUENCIES[text]
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return value
    raise ValueError(f"{value!r} is not a frequency ({', '.join(FREQUENCIES)}, or times a year as a number)")


class BurdenItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    agency: str
    item: str
    kind: ItemKind
    frequency: Decimal = Field(gt=0)
    recipient: str
    hours_each: Decimal = Field(ge=0)
    hourly_cost: Money
    equivalent: str = ""
    basis: str = ""  # where the hours and cost come from: 'illustrative' marks every figure made from the item
    _freq = field_validator("frequency", mode="before")(_frequency)

    @property
    def hours(self) -> Decimal:
        return self.hours_each * self.frequency

    @property
    def cost(self) -> Decimal:
        return to_pennies(self.hours * self.hourly_cost)

    @property
    def measure(self) -> str:
        """What the item measures: the `equivalent` key the analyst gave, else its name normalised."""
        return _normal(self.equivalent or self.item)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


@dataclass(frozen=True)
class Burden:
    items: list[BurdenItem]

    @property
    def hours(self) -> Decimal:
        return sum((i.hours for i in self.items), Decimal(0))

    @property
    def cost(self) -> Decimal:
        return sum((i.cost for i in self.items), Decimal(0))

    @property
    def staff(self) -> Decimal:
        return (self.hours / FTE_HOURS).quantize(Decimal("0.1"))

    def by_agency(self) -> list[tuple[str, int, Decimal, Decimal]]:
        """(agency, items, hours a year, cost a year), costliest first."""
        agencies = sorted({i.agency for i in self.items})
        rows = [(a, len(mine), sum((i.hours for i in mine), Decimal(0)), sum((i.cost for i in mine), Decimal(0)))
                for a in agencies for mine in [[i for i in self.items if i.agency == a]]]
        return sorted(rows, key=lambda r: (-r[3], r[0]))

    def equivalents(self) -> list[tuple[str, list[BurdenItem]]]:
        """Measures collected by more than one agency, with the items that collect them."""
        groups: dict[str, list[BurdenItem]] = {}
        for item in self.items:
            groups.setdefault(item.measure, []).append(item)
        shared = [(m, items) for m, items in groups.items() if len({i.agency for i in items}) > 1]
        return sorted(shared, key=lambda g: -sum(i.cost for i in g[1]))


def burden_path(workspace: Workspace) -> Path:
    folder = workspace.root / "deal"
    return folder / "burden.xlsx" if (folder / "burden.xlsx").exists() else folder / "burden.csv"


def load_burden(workspace: Workspace) -> Burden:
    path = burden_path(workspace)
    if not path.exists():
        return Burden([])
    rows = read_table(path, BurdenItem)
    seen: dict[str, int] = {}
    for number, item in rows:
        if item.id in seen:
            raise InputError(f"{path}, row {number}, column 'id': {item.id!r} is already used on row {seen[item.id]}")
        seen[item.id] = number
    return Burden([item for _, item in rows])


# --- the single outcomes framework --------------------------------------------------------------

class Level(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Decimal
    year: str


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    unit: str = ""
    source: str = ""
    baseline: Level | None = None
    target: Level | None = None
    replaces: TextList = Field(default_factory=list)


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    outcome: str
    indicators: list[Indicator] = Field(default_factory=list)


class Framework(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = "Single outcomes framework"
    illustrative: bool = False
    note: str = ""
    outcomes: list[Outcome] = Field(default_factory=list)


@dataclass(frozen=True)
class Replacement:
    framework: Framework
    replaced: list[BurdenItem]
    kept: list[BurdenItem]

    @property
    def hours_freed(self) -> Decimal:
        return sum((i.hours for i in self.replaced), Decimal(0))

    @property
    def money_freed(self) -> Decimal:
        return sum((i.cost for i in self.replaced), Decimal(0))


def framework_path(workspace: Workspace) -> Path:
    return workspace.root / "deal" / "outcomes.yaml"


def load_framework(workspace: Workspace) -> Framework | None:
    path = framework_path(workspace)
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {error}") from None
    return validate(Framework, data, str(path), noun="field")


def replacement(workspace: Workspace, burden: Burden | None = None) -> Replacement | None:
    """The burden items the framework's indicators replace (each counted once) and those it keeps."""
    framework = load_framework(workspace)
    if framework is None:
        return None
    burden = burden or load_burden(workspace)
    by_id = {i.id: i for i in burden.items}
    wanted: list[str] = []
    for outcome in framework.outcomes:
        for indicator in outcome.indicators:
            for item_id in indicator.replaces:
                if item_id not in by_id:
                    raise InputError(f"{framework_path(workspace)}, outcome {outcome.id}, indicator {indicator.id}, "
                                     f"replaces: no item {item_id!r} in {burden_path(workspace)}")
                wanted.append(item_id)
    replaced_ids = set(wanted)
    return Replacement(framework, [i for i in burden.items if i.id in replaced_ids],
                       [i for i in burden.items if i.id not in replaced_ids])
