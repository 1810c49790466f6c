"""An intervention, as an analyst writes it: a YAML file or an XLSX workbook.

Years are counted from year 0, the intervention's first year; `horizon` is how
many years are appraised (years 0 .. horizon-1). Money is in real terms at the
prices of `price_year` (a fiscal year such as 2024-25).

Attribution has two senses, and each has its own word, because the same number means the
opposite in each: `attribution_share_due_to_others` is SROI's (the share of the outcome due
to other people and organisations: 0.2 keeps 80%), `attribution_share_due_to_this_intervention`
is the share kept (0.8 keeps 80%). The old word `attribution` is read in the second sense and
the summary says so. Inside the engine `attribution` is always the share kept.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, model_validator

ATTRIBUTION_WORDS = {
    "attribution_share_due_to_others": "others",
    "attribution_share_due_to_this_intervention": "this",
    "attribution": "legacy",
}

from totalplace import reference
from totalplace.errors import InputError
from totalplace.inputs import StrictInput, validate
from totalplace.workspace import FISCAL_YEAR

Rate = Annotated[Decimal, Field(ge=0, le=1)]
Money = Annotated[Decimal, Field(ge=0)]
FiscalYear = Annotated[str, Field(pattern=FISCAL_YEAR.pattern)]


class CostKind(StrEnum):
    capital = "capital"
    revenue = "revenue"
    in_kind = "in_kind"


class BenefitKind(StrEnum):
    fiscal = "fiscal"
    economic = "economic"
    social = "social"


class Level(StrEnum):
    local = "local"
    national = "national"


class Partner(StrictInput):
    """An agency named in the intervention (or a journey) that is not already in totalplace.toml."""
    id: str
    name: str
    level: Level = Level.local
    department: str = ""  # for a national body: the Whitehall department an ask of its share goes to


NATIONAL_BODIES = tuple(Partner(id=body.id, name=body.name, level=Level.national, department=body.department)
                        for body in reference.NATIONAL_BODIES)
# Who gains when a unit cost borne by these is saved, unless the intervention's `bearers:` says otherwise.
DEFAULT_BEARERS = {"dwp": "dwp", "department for work and pensions": "dwp", "hm revenue and customs": "hmrc",
                   "hmrc": "hmrc", "hm treasury": "exchequer"}


def read_attribution(data: object) -> object:
    """Turn whichever attribution word was given into `attribution` (the share kept) and `attribution_sense`."""
    if not isinstance(data, dict):
        return data
    given = [word for word in ATTRIBUTION_WORDS if data.get(word) is not None]
    if len(given) > 1:
        raise ValueError(f"give attribution in one sense only (given: {', '.join(given)})")
    kept = {k: v for k, v in data.items() if k not in ATTRIBUTION_WORDS and k != "attribution_sense"}
    if given:
        word = given[0]
        share = _share(data[word], word)
        kept["attribution"] = 1 - share if ATTRIBUTION_WORDS[word] == "others" else share
        kept["attribution_sense"] = ATTRIBUTION_WORDS[word]
    return kept


def _share(value: object, word: str) -> Decimal:
    try:
        share = Decimal(str(value))
    except (ArithmeticError, ValueError):
        raise ValueError(f"{word} {value!r} is not a number") from None
    if not Decimal(0) <= share <= Decimal(1):
        raise ValueError(f"{word} {value} must be between 0 and 1")
    return share


class CostLine(StrictInput):
    agency: str
    year: Annotated[int, Field(ge=0)]
    kind: CostKind = CostKind.revenue
    amount: Money
    confidence: Annotated[int, Field(ge=1)] | None = None
    note: str = ""


Sense = Literal["others", "this", "legacy"]


class Outcome(StrictInput):
    """One outcome line: how many achieve it, what it is worth each year, and to whom.

    Any of success, deadweight, displacement, attribution, lag, drop_off and
    confidence left out takes the intervention's value. A fiscal outcome valued by a
    unit cost gains the agency that bears that cost (through the intervention's
    `bearers:`) unless `agency` is given, and then the two must agree.
    """
    id: str
    description: str = ""
    kind: BenefitKind
    agency: str | None = None
    cashable: bool = False
    unit_cost: str | None = None
    unit_value: Money | None = None
    quantity: Annotated[Decimal, Field(gt=0)] = Decimal(1)  # units per person per year, e.g. 52 weeks
    success: Rate | None = None
    deadweight: Rate | None = None
    displacement: Rate | None = None
    attribution: Rate | None = None  # the share kept (due to this intervention); see the module's docstring
    attribution_sense: Sense | None = None
    lag: Annotated[int, Field(ge=0)] | None = None
    drop_off: Rate | None = None
    duration: Annotated[int, Field(ge=1)] | None = None
    health: bool = False
    confidence: Annotated[int, Field(ge=1)] | None = None
    source: str = ""

    _attribution = model_validator(mode="before")(read_attribution)

    @model_validator(mode="after")
    def _valued_once(self) -> Outcome:
        if (self.unit_cost is None) == (self.unit_value is None):
            raise ValueError("give exactly one of unit_cost (a unit cost library code) or unit_value")
        if self.kind == BenefitKind.fiscal and not self.agency and self.unit_cost is None:
            raise ValueError("a fiscal outcome needs the agency whose budget gains (or a unit_cost, whose "
                             "bearing agency gains)")
        if self.cashable and self.kind != BenefitKind.fiscal:
            raise ValueError("only a fiscal outcome can be cashable")
        return self


class Distribution(StrictInput):
    """A distribution for one input of the Monte Carlo run."""
    dist: Literal["triangular", "uniform", "normal", "beta"]
    min: Decimal | None = None
    max: Decimal | None = None
    mode: Decimal | None = None
    mean: Decimal | None = None
    sd: Decimal | None = None
    alpha: Decimal | None = None
    beta: Decimal | None = None

    @model_validator(mode="after")
    def _shape(self) -> Distribution:
        needs = {"triangular": ("min", "mode", "max"), "uniform": ("min", "max"),
                 "normal": ("mean", "sd"), "beta": ("alpha", "beta")}[self.dist]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(missing)}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        if self.dist == "triangular" and not self.min <= self.mode <= self.max:
            raise ValueError(f"mode {self.mode} is outside min {self.min} .. max {self.max}")
        if self.sd is not None and self.sd < 0:
            raise ValueError(f"sd {self.sd} is negative")
        if self.dist == "beta" and (self.alpha <= 0 or self.beta <= 0):
            raise ValueError("beta needs alpha > 0 and beta > 0")
        return self


class Tracking(StrictInput):
    """Benefit tracking settings: the variance tolerance and the early-intervention pot's share."""
    tolerance: Rate = Decimal("0.10")
    # NLGN, "Greater than the sum of its parts" (Keohane and Smith, March 2010), ch. 11:
    # "five per cent of all savings made through Total Place approaches should remain in
    # local early intervention pots for future investment."
    pot_share: Rate = Decimal("0.05")


class Intervention(StrictInput):
    id: str
    name: str
    description: str = ""
    price_year: FiscalYear
    start_year: FiscalYear | None = None
    horizon: Annotated[int, Field(ge=1)]
    cohort: Annotated[int, Field(ge=0)]
    cohort_group: str = ""
    engagement: Rate = Decimal(1)
    success: Rate = Decimal(1)
    deadweight: Rate = Decimal(0)
    displacement: Rate = Decimal(0)
    attribution: Rate = Decimal(1)  # the share kept (due to this intervention); see the module's docstring
    attribution_sense: Sense | None = None
    lag: Annotated[int, Field(ge=0)] = 0
    drop_off: Rate = Decimal(0)
    confidence: Annotated[int, Field(ge=1)] = 1
    agencies: list[Partner] = Field(default_factory=list)
    bearers: dict[str, str] = Field(default_factory=dict)  # a unit cost's bearing agency -> the agency id that gains
    costs: list[CostLine]
    outcomes: list[Outcome]
    uncertainty: dict[str, Distribution] = Field(default_factory=dict)
    tracking: Tracking = Field(default_factory=Tracking)

    _attribution = model_validator(mode="before")(read_attribution)

    @property
    def first_year(self) -> str:
        return self.start_year or self.price_year

    def year_label(self, year: int) -> str:
        """Year index -> fiscal year label: year 0 is start_year (or price_year)."""
        first = int(self.first_year[:4]) + year
        return f"{first}-{(first + 1) % 100:02d}"


def check_years(intervention: Intervention, where: str) -> None:
    """Costs and outcomes must fall inside the appraised years 0 .. horizon-1."""
    last = intervention.horizon - 1
    for number, cost in enumerate(intervention.costs):
        if cost.year > last:
            raise InputError(f"{where}: field costs[{number}].year: year {cost.year} is after the horizon "
                             f"(horizon {intervention.horizon}: years 0 to {last})")
    for number, outcome in enumerate(intervention.outcomes):
        lag = intervention.lag if outcome.lag is None else outcome.lag
        if lag > last:
            raise InputError(f"{where}: field outcomes[{number}].lag: benefits would start in year {lag}, "
                             f"after the horizon (years 0 to {last})")
    ids = [o.id for o in intervention.outcomes]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InputError(f"{where}: field outcomes: id {duplicates[0]!r} is used twice")


def parse_intervention(data: dict, where: str) -> Intervention:
    """Validate a dict read from YAML or XLSX, with one clear error naming the field."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping of fields (id, name, horizon, costs, outcomes, ...)")
    intervention = validate(Intervention, data, where, noun="field")
    check_years(intervention, where)
    return intervention


def load_intervention(path: Path) -> Intervention:
    """Read an intervention from a .yaml/.yml file or an .xlsx workbook."""
    if not path.exists():
        raise InputError(f"{path}: no such intervention file")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise InputError(f"{path}: not valid YAML: {error}".replace("\n", " ")) from None
    elif suffix == ".xlsx":
        from totalplace.appraise.workbook import read_intervention_workbook
        data = read_intervention_workbook(path)
    else:
        raise InputError(f"{path}: an intervention is a .yaml, .yml or .xlsx file")
    return parse_intervention(data, str(path))
