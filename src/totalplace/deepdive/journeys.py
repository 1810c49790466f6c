"""Customer journeys: the steps a person takes through the agencies, what each costs, and a redesign.

A journey lives in the workspace as `journeys/<name>.yaml` (or `.yml`), or `journeys/<name>.xlsx`
with one sheet per version and an optional `journey` sheet of settings. It has an `as-is`
version and one or more to-be versions. Each step records the agency that does it, the
service, its kind, how long it takes (`duration`) and how long the person waits before it
starts (`wait`), the share of people who take it (`probability`), how often it happens
(`repeats`), its unit cost (a value, or a code from the unit cost library) and who pays.

The arithmetic, per person who starts the journey:

- a step's expected number of times = probability x repeats;
- a step's cost = unit cost (in the journey's price year) x probability x repeats, rounded to
  the penny (half up, money.to_pennies); every total adds the rounded steps, so all tables add up;
- elapsed time = the sum over steps of probability x repeats x (wait + duration), the steps
  taken one after another;
- hand-offs = places in the map where the next step (not counting `wait` steps) is done by
  a different agency; expected hand-offs per person weight each by the probability of the
  step after it;
- a duplicate assessment = one assessment topic assessed by more than one agency;
- a gap = waiting at a hand-off: the `wait` before a step of a new agency, plus any `wait`
  steps in between;
- a wait inside one agency = a `wait` step, or a step's `wait`, with the same agency doing the
  steps on both sides of it (the gaps miss it: "three weeks with no benefits" is all at DWP);
- a missed hand-off = a `hand-off` step marked `missed: true`: it should pass the person `to`
  an agency and does not ("probation was not told");
- days without income, housing or treatment = the sum over steps marked `without: [...]` of
  probability x repeats x (wait + duration);
- time is compared like for like, never added up across kinds: contact time (the duration of
  contact, assessment, appointment and referral steps), waiting time (waits and wait steps),
  and elapsed time, which is the journey's `period` when it covers a fixed time (both versions
  cover the same 12 weeks) and otherwise the steps' waits and durations one after another.

Agencies are agency ids: the workspace's (totalplace.toml), the national bodies (`dwp`, `hmrc`,
`nhs-national`, `exchequer`) and the journey's own `agencies:` ({id, name, level}), so that a
redesign's savings by agency export straight to an intervention file (`intervention_draft`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import Field, field_validator

from totalplace.appraise.model import NATIONAL_BODIES, Level, Partner
from totalplace.deepdive.deflator import fiscal_year
from totalplace.deepdive.unit_costs import UnitCostLibrary, parse_cost
from totalplace.errors import InputError
from totalplace.inputs import StrictInput, validate
from totalplace.inputs import open_workbook
from totalplace.money import to_pennies

if TYPE_CHECKING:
    from totalplace.workspace import Workspace

AS_IS = "as-is"
JOURNEY_FOLDER = "journeys"
SETTINGS_SHEET = "journey"
AGENCIES_SHEET = "agencies"
SUFFIXES = (".yaml", ".yml", ".xlsx")
MINUTES_PER = {"minute": 1, "hour": 60, "day": 1440, "week": 7 * 1440, "month": 365 * 1440 // 12, "year": 365 * 1440}
_UNITS = {"min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute", "h": "hour", "hr": "hour",
          "hrs": "hour", "hour": "hour", "hours": "hour", "d": "day", "day": "day", "days": "day", "w": "week",
          "wk": "week", "wks": "week", "week": "week", "weeks": "week", "month": "month", "months": "month",
          "year": "year", "years": "year"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")
NEEDS = ("income", "housing", "treatment")
CONTACT_KINDS = ("contact", "assessment", "appointment", "referral")


class StepKind(StrEnum):
    contact = "contact"
    assessment = "assessment"
    referral = "referral"
    appointment = "appointment"
    payment = "payment"
    hand_off = "hand-off"
    wait = "wait"


def parse_days(value: object) -> Decimal:
    """A length of time in days: '45 minutes', '2 hours', '3 weeks', '1.5 months', or a bare number of days."""
    if value is None or value == "":
        return Decimal(0)
    text = repr(value) if isinstance(value, float) else str(value).lower()
    found = _DURATION.match(text)
    unit = _UNITS.get(found.group(2) or "day") if found else None
    if not found or unit is None:
        raise ValueError(f"{value!r} is not a length of time like '3 days', '2 weeks' or '45 minutes'")
    return Decimal(found.group(1)) * MINUTES_PER[unit] / 1440  # divide last: '2 hours' is exactly 2/24 of a day


def describe_days(days: Decimal) -> str:
    """A length of time for people: '3 weeks', '2.5 days', '1 hour', '15 minutes'."""
    if days == 0:
        return "none"
    if days * 24 < 1:
        return _plural(days * 1440, "minute", "0")
    if days < 1:
        return _plural(days * 24, "hour")
    return _plural(days / 7, "week") if days >= 14 else _plural(days, "day")


def _plural(amount: Decimal, unit: str, places: str = "0.1") -> str:
    shown = amount.quantize(Decimal(places)).normalize()
    return f"{shown:f} {unit}" + ("" if shown == 1 else "s")


def parse_share(value: object) -> Decimal:
    """A probability: 0.4 or '40%'; from 0 to 1."""
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        share = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a probability like 0.4 or 40%") from None
    if not Decimal(0) <= share <= Decimal(1):
        raise ValueError(f"{value!r} is not a probability between 0 and 1 (0% and 100%)")
    return share


class Step(StrictInput):
    """One step of a journey, as the analyst wrote it."""

    agency: str
    service: str
    kind: StepKind
    topic: str | None = Field(None, description="for an assessment: what is assessed (default: the service)")
    duration: Decimal = Field(Decimal(0), description="days the step takes")
    wait: Decimal = Field(Decimal(0), description="days the person waits before the step starts")
    probability: Decimal = Decimal(1)
    repeats: Decimal = Decimal(1)
    unit_cost: Decimal | str | None = Field(None, description="a value in price_year prices, or a unit-cost code")
    price_year: str | None = Field(None, description="price year of a unit_cost value (default: the journey's)")
    pays: str | None = Field(None, description="who bears the cost (default: the agency)")
    source: str | None = Field(None, description="where a unit_cost value comes from")
    note: str | None = None
    to: str | None = Field(None, description="for a hand-off: the agency the person is passed to")
    missed: bool = Field(False, description="a hand-off that should happen and does not")
    without: list[str] = Field(default_factory=list, description="needs unmet during the step: income, housing, "
                                                                 "treatment")

    @field_validator("without", mode="before")
    @classmethod
    def _needs(cls, value: object) -> list[str]:
        if not isinstance(value, str | list | None):
            raise ValueError(f"{value!r} is not a list of needs ({', '.join(NEEDS)})")
        words = [str(w).strip().lower() for w in (value.split(",") if isinstance(value, str) else value or [])]
        unknown = [w for w in words if w not in NEEDS]
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))}: a need is one of {', '.join(NEEDS)}")
        return words

    @field_validator("agency", "service", mode="before")
    @classmethod
    def _text(cls, value: object) -> str:
        text = str(value).strip() if value is not None else ""
        if not text:
            raise ValueError("must not be empty")
        return text

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> str:
        text = str(value or "").strip().lower().replace(" ", "-").replace("handoff", "hand-off")
        if text not in {k.value for k in StepKind}:
            raise ValueError(f"{value!r} is not one of {', '.join(k.value for k in StepKind)}")
        return text

    @field_validator("duration", "wait", mode="before")
    @classmethod
    def _days(cls, value: object) -> Decimal:
        return parse_days(value)

    @field_validator("probability", mode="before")
    @classmethod
    def _share(cls, value: object) -> Decimal:
        return Decimal(1) if value is None or value == "" else parse_share(value)

    @field_validator("repeats", mode="before")
    @classmethod
    def _repeats(cls, value: object) -> Decimal:
        if value is None or value == "":
            return Decimal(1)
        return parse_cost(value)  # any number of zero or more

    @field_validator("unit_cost", mode="before")
    @classmethod
    def _unit_cost(cls, value: object) -> Decimal | str | None:
        if value is None or value == "":
            return None
        try:
            return parse_cost(value)
        except ValueError:
            return str(value).strip()  # a unit-cost code, checked against the library when costed

    @field_validator("price_year", mode="before")
    @classmethod
    def _price_year(cls, value: object) -> str | None:
        return None if value in (None, "") else fiscal_year(value)

    @property
    def assessed(self) -> str:
        return (self.topic or self.service).strip().lower()

    @property
    def payer(self) -> str:
        return self.pays or self.agency

    @property
    def waited(self) -> Decimal:
        """Days of waiting in this step: its `wait`, and the whole of a `wait` step."""
        return self.wait + (self.duration if self.kind == StepKind.wait else Decimal(0))


class Version(StrictInput):
    name: str
    description: str = ""
    steps: list[Step]


class Journey(StrictInput):
    """A journey file: its settings and its versions (the first is `as-is`)."""

    name: str
    path: str
    title: str
    price_year: str
    description: str = ""
    client_group: str = ""
    story: str = Field("", description="where the as-is journey comes from")
    cohort: int | None = Field(None, description="how many people take the journey a year, for compare")
    cohort_source: str = Field("", description="where the cohort size comes from")
    period: Decimal | None = Field(None, description="days every version covers, e.g. '12 weeks'")
    partners: dict[str, Partner] = Field(default_factory=dict, description="every agency id the journey may use")
    own_agencies: list[str] = Field(default_factory=list, description="ids of the file's own `agencies:`")
    versions: dict[str, Version]

    def agency_name(self, agency: str) -> str:
        return self.partners[agency].name if agency in self.partners else agency

    @property
    def to_be(self) -> list[str]:
        return [name for name in self.versions if name != AS_IS]

    def version(self, name: str | None) -> Version:
        chosen = name or AS_IS
        if chosen not in self.versions:
            raise InputError(f"{self.path}: no version {chosen!r} (versions: {', '.join(self.versions)})")
        return self.versions[chosen]


# ----- reading journey files -----------------------------------------------------------------

def journey_files(workspace: Workspace) -> dict[str, Path]:
    folder = workspace.root / JOURNEY_FOLDER
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*")) if folder.exists() else []:
        if path.suffix.lower() in SUFFIXES and not path.name.startswith(("~", ".")):
            if path.stem in found:
                raise InputError(f"{folder}: two files for journey {path.stem!r} ({found[path.stem].name}, {path.name})")
            found[path.stem] = path
    return found


def known_agencies(path: Path, own: object, workspace: Workspace | None) -> tuple[dict[str, Partner], list[str]]:
    """Agency ids a journey may use: national bodies, the workspace's agencies, then the file's own `agencies:`."""
    partners = {p.id: p for p in NATIONAL_BODIES}
    if workspace is not None:
        partners |= {a.id: Partner(id=a.id, name=a.name, level=Level.local) for a in workspace.settings.agencies}
    entries = own or []
    if not isinstance(entries, list):
        raise InputError(f"{path}: setting agencies: a list of {{id, name, level}}")
    ids = []
    for number, entry in enumerate(entries, start=1):
        partner = validate(Partner, entry, f"{path}: agencies entry {number}", noun="field")
        partners[partner.id] = partner
        ids.append(partner.id)
    return partners, ids


def _check_agencies(path: Path, versions: dict[str, Version], partners: dict[str, Partner]) -> None:
    """Every step's agency, payer and hand-off target is an agency id: a redesign's savings then export as is."""
    for name, version in versions.items():
        for number, step in enumerate(version.steps, start=1):
            for field_name in ("agency", "pays", "to"):
                value = getattr(step, field_name)
                if value is not None and value not in partners:
                    raise InputError(f"{path}: version {name!r} step {number}: field {field_name}: {value!r} is not "
                                     f"an agency id (known: {', '.join(sorted(partners))}; add it under agencies: "
                                     "with id, name and level)")


def read_journey(path: Path, workspace: Workspace | None = None) -> Journey:
    raw = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else _read_yaml(path)
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected settings (title, price_year) and versions")
    versions = raw.get("versions")
    if not isinstance(versions, dict) or AS_IS not in versions:
        raise InputError(f"{path}: needs versions with one called {AS_IS!r} and at least one to-be version")
    parsed = {name: _version(path, str(name), body) for name, body in versions.items()}
    partners, own = known_agencies(path, raw.get("agencies"), workspace)
    _check_agencies(path, parsed, partners)
    settings = {k: v for k, v in raw.items() if k not in ("versions", "agencies", "partners", "own_agencies")}
    try:
        if "price_year" not in settings:
            raise ValueError("missing: give the fiscal year to cost the journey in, e.g. 2022-23")
        settings["price_year"] = fiscal_year(settings["price_year"])
        if settings.get("period") not in (None, ""):
            settings["period"] = parse_days(settings["period"])
    except (ValueError, TypeError) as error:
        raise InputError(f"{path}: setting price_year or period: {error}") from None
    return validate(Journey, {**settings, "name": path.stem, "path": str(path), "versions": parsed,
                              "partners": partners, "own_agencies": own}, str(path), noun="setting")


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {' '.join(str(error).split())}") from None


def _version(path: Path, name: str, body: object) -> Version:
    if isinstance(body, list):
        body = {"steps": body}
    if not isinstance(body, dict) or not isinstance(body.get("steps"), list) or not body["steps"]:
        raise InputError(f"{path}: version {name!r} needs a list of steps")
    steps = []
    for number, raw in enumerate(body["steps"], start=1):
        where = f"{path}: version {name!r} step {number}"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: expected fields agency, service, kind, ...")
        steps.append(validate(Step, raw, where, noun="field"))
    fields = {k: v for k, v in body.items() if k != "steps"}
    return validate(Version, {**fields, "name": name, "steps": steps}, f"{path}: version {name!r}", noun="field")


def _read_xlsx(path: Path) -> dict[str, Any]:
    """A `journey` sheet of name/value settings, and one sheet of steps per version (header in row 1)."""
    raw: dict[str, Any] = {"versions": {}}
    with open_workbook(path) as book:
        for sheet in book.worksheets:
            rows = [r for r in sheet.iter_rows(values_only=True) if any(c not in (None, "") for c in r)]
            if sheet.title.strip().lower() == SETTINGS_SHEET:
                raw.update({str(r[0]).strip(): r[1] for r in rows if r[0] is not None and len(r) > 1})
            elif rows:
                header = [str(h).strip().lower() if h is not None else "" for h in rows[0]]
                records = [{k: v for k, v in zip(header, r) if k and v not in (None, "")} for r in rows[1:]]
                if sheet.title.strip().lower() == AGENCIES_SHEET:
                    raw["agencies"] = records
                else:
                    raw["versions"][sheet.title.strip()] = records
    return raw


def load_journeys(workspace: Workspace) -> dict[str, Journey]:
    return {name: read_journey(path, workspace) for name, path in journey_files(workspace).items()}


def find_journey(workspace: Workspace, name: str) -> Journey:
    files = journey_files(workspace)
    if name not in files:
        known = ", ".join(files) or f"none yet: write {workspace.root / JOURNEY_FOLDER / (name + '.yaml')}"
        raise InputError(f"no journey {name!r} in {workspace.root / JOURNEY_FOLDER} (journeys: {known})")
    return read_journey(files[name], workspace)


# ----- costing --------------------------------------------------------------------------------

@dataclass
class StepCost:
    number: int
    step: Step
    times: Decimal  # expected times per person: probability x repeats
    unit_value: Decimal  # in the journey's price year
    cost: Decimal  # per person
    cost_basis: str  # the unit-cost code and its source, or where the value came from
    illustrative: bool


@dataclass
class DuplicateAssessment:
    topic: str
    agencies: list[str]
    times: Decimal
    cost: Decimal


@dataclass
class Gap:
    from_agency: str
    to_agency: str
    before_step: int
    days: Decimal  # as mapped
    probability: Decimal  # share of people who reach the step after the gap


@dataclass
class Wait:
    """One wait as mapped: a step's `wait` before it starts, or a `wait` step."""
    before_step: int
    agency: str       # the agency of the step the wait belongs to
    previous: str | None  # the agency doing the step before it (None: the journey starts with a wait)
    following: str | None  # the agency doing the step after it
    days: Decimal
    times: Decimal    # expected times per person: probability x repeats

    @property
    def inside(self) -> bool:
        """A wait with the same agency on both sides: no hand-off, so the gaps table never shows it."""
        return self.previous == self.agency == self.following


@dataclass
class MissedHandOff:
    from_agency: str
    to_agency: str
    before_step: int
    probability: Decimal
    note: str


@dataclass
class JourneySummary:
    journey: Journey
    version: Version
    steps: list[StepCost]
    total: Decimal
    by_agency: dict[str, Decimal]
    elapsed_days: Decimal  # the journey's period when it has one; otherwise waits and durations one after another
    agencies: list[str]
    hand_offs: int  # in the map
    expected_hand_offs: Decimal  # per person: each hand-off weighted by the share who take the step after it
    assessments: Decimal  # expected assessments per person
    duplicates: list[DuplicateAssessment] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    waits: list[Wait] = field(default_factory=list)
    missed_hand_offs: list[MissedHandOff] = field(default_factory=list)
    contact_hours: Decimal = Decimal(0)  # per person: contact, assessment, appointment and referral steps
    waiting_days: Decimal = Decimal(0)   # per person: every wait and wait step
    days_without: dict[str, Decimal] = field(default_factory=dict)  # need -> expected days per person

    @property
    def illustrative(self) -> bool:
        return any(s.illustrative for s in self.steps)


def cost_step(number: int, step: Step, price_year: str, library: UnitCostLibrary, where: str) -> StepCost:
    times = step.probability * step.repeats
    if step.unit_cost is None:
        return StepCost(number, step, times, Decimal(0), Decimal(0), "no unit cost given", False)
    if isinstance(step.unit_cost, str):
        try:
            unit = library.get(step.unit_cost)
            value = library.value(unit.code, price_year)
        except InputError as error:
            raise InputError(f"{where}: field unit_cost: {error}") from None
        basis = f"{unit.code}: {unit.value} at {unit.price_year} prices"
        return StepCost(number, step, times, value, to_pennies(value * times), basis, unit.illustrative)
    try:
        value = library.series.uprate(step.unit_cost, step.price_year or price_year, price_year)
    except (InputError, ValueError) as error:
        raise InputError(f"{where}: field price_year: {error}") from None
    basis = f"{step.unit_cost} at {step.price_year or price_year} prices, from the journey file: " + (
        step.source or "no source given")
    return StepCost(number, step, times, value, to_pennies(value * times), basis, not step.source)


def _taken(step: Step) -> bool:
    return step.probability > 0 and step.repeats > 0


def hand_off_steps(steps: list[Step]) -> list[Step]:
    """The steps that begin with a hand-off: done by another agency than the step before (waits aside)."""
    doers = [s for s in steps if s.kind != StepKind.wait and _taken(s)]
    return [after for before, after in zip(doers, doers[1:]) if before.agency != after.agency]


def gaps(steps: list[Step]) -> list[Gap]:
    found: list[Gap] = []
    previous: str | None = None
    waited = Decimal(0)
    for number, step in enumerate(steps, start=1):
        if not _taken(step):
            continue
        waited += step.wait
        if step.kind == StepKind.wait:
            waited += step.duration
            continue
        if previous is not None and step.agency != previous and waited > 0:
            found.append(Gap(previous, step.agency, number, waited, step.probability))
        previous, waited = step.agency, Decimal(0)
    return found


def waits(steps: list[Step]) -> list[Wait]:
    """Every wait as mapped, with the agencies doing the steps either side of it."""
    doers = [(n, s.agency) for n, s in enumerate(steps, start=1) if s.kind != StepKind.wait and _taken(s)]
    found = []
    for number, step in enumerate(steps, start=1):
        if not _taken(step) or step.waited == 0:
            continue
        before = [a for n, a in doers if n < number]
        after = [a for n, a in doers if n > number or (n == number and step.kind != StepKind.wait)]
        found.append(Wait(number, step.agency, before[-1] if before else None, after[0] if after else None,
                          step.waited, step.probability * step.repeats))
    return found


def missed_hand_offs(steps: list[Step]) -> list[MissedHandOff]:
    return [MissedHandOff(s.agency, s.to or "", n, s.probability, s.note or "")
            for n, s in enumerate(steps, start=1) if s.kind == StepKind.hand_off and s.missed and _taken(s)]


def days_without(costed: list[StepCost]) -> dict[str, Decimal]:
    return {need: sum((i.times * (i.step.wait + i.step.duration) for i in costed if need in i.step.without),
                      Decimal(0)) for need in NEEDS}


def duplicate_assessments(costed: list[StepCost]) -> list[DuplicateAssessment]:
    by_topic: dict[str, list[StepCost]] = defaultdict(list)
    for item in costed:
        if item.step.kind == StepKind.assessment and item.times > 0:
            by_topic[item.step.assessed].append(item)
    found = []
    for topic, items in by_topic.items():
        agencies = list(dict.fromkeys(i.step.agency for i in items))
        if len(agencies) > 1:
            found.append(DuplicateAssessment(topic, agencies, sum((i.times for i in items), Decimal(0)),
                                             sum((i.cost for i in items), Decimal(0))))
    return found


def summarise(journey: Journey, version_name: str | None, library: UnitCostLibrary) -> JourneySummary:
    version = journey.version(version_name)
    costed = [cost_step(n, s, journey.price_year, library, f"{journey.path}: version {version.name!r} step {n}")
              for n, s in enumerate(version.steps, start=1)]
    by_agency: dict[str, Decimal] = defaultdict(Decimal)
    for item in costed:
        by_agency[item.step.payer] += item.cost
    taken = [s for s in version.steps if _taken(s)]
    in_sequence = sum((i.times * (i.step.wait + i.step.duration) for i in costed), Decimal(0))
    return JourneySummary(
        journey=journey, version=version, steps=costed, total=sum((i.cost for i in costed), Decimal(0)),
        by_agency=dict(by_agency),
        elapsed_days=journey.period if journey.period is not None else in_sequence,
        agencies=list(dict.fromkeys(s.agency for s in taken)),
        hand_offs=len(hand_off_steps(version.steps)),
        expected_hand_offs=sum((s.probability for s in hand_off_steps(version.steps)), Decimal(0)),
        assessments=sum((i.times for i in costed if i.step.kind == StepKind.assessment), Decimal(0)),
        duplicates=duplicate_assessments(costed), gaps=gaps(version.steps), waits=waits(version.steps),
        missed_hand_offs=missed_hand_offs(version.steps),
        contact_hours=sum((i.times * i.step.duration * 24 for i in costed if i.step.kind in CONTACT_KINDS),
                          Decimal(0)),
        waiting_days=sum((i.times * i.step.waited for i in costed), Decimal(0)),
        days_without=days_without(costed),
    )


# ----- comparing a redesign -------------------------------------------------------------------

@dataclass
class AgencySaving:
    agency: str
    as_is: Decimal
    to_be: Decimal

    @property
    def saving(self) -> Decimal:
        return self.as_is - self.to_be


@dataclass(frozen=True)
class TimeMeasure:
    """One measure of time per person in both versions: like against like, never added across measures."""
    name: str
    as_is: Decimal
    to_be: Decimal

    @property
    def change(self) -> Decimal:
        return self.to_be - self.as_is


@dataclass
class Comparison:
    as_is: JourneySummary
    to_be: JourneySummary
    cohort: int
    by_agency: list[AgencySaving]

    @property
    def saving_per_person(self) -> Decimal:
        return self.as_is.total - self.to_be.total

    @property
    def cohort_saving(self) -> Decimal:
        return self.saving_per_person * self.cohort

    @property
    def time_measures(self) -> list[TimeMeasure]:
        before, after = self.as_is, self.to_be
        measures = [("contact time (hours)", before.contact_hours, after.contact_hours),
                    ("waiting time (days)", before.waiting_days, after.waiting_days),
                    ("waits inside one agency (days)", _inside(before), _inside(after))]
        measures += [(f"days without {need}", before.days_without[need], after.days_without[need]) for need in NEEDS]
        measures += [("hand-offs that should happen and do not", Decimal(len(before.missed_hand_offs)),
                      Decimal(len(after.missed_hand_offs))),
                     ("elapsed time (days)", before.elapsed_days, after.elapsed_days)]
        return [TimeMeasure(*m) for m in measures]


def _inside(summary: JourneySummary) -> Decimal:
    return sum((w.times * w.days for w in summary.waits if w.inside), Decimal(0))


def compare(journey: Journey, to_be: str | None, cohort: int | None, library: UnitCostLibrary) -> Comparison:
    """As-is against a to-be version: saving per person and for the cohort, by the agency that gains."""
    chosen = to_be or (journey.to_be[0] if journey.to_be else None)
    if chosen is None or chosen == AS_IS:
        raise InputError(f"{journey.path}: give a to-be version to compare (versions: {', '.join(journey.versions)})")
    size = cohort if cohort is not None else journey.cohort
    if size is None or size < 0:
        raise InputError(f"{journey.path}: give the cohort size (--cohort N, or cohort: N in the file), zero or more")
    before, after = summarise(journey, AS_IS, library), summarise(journey, chosen, library)
    payers = list(dict.fromkeys([*before.by_agency, *after.by_agency]))
    rows = [AgencySaving(p, before.by_agency.get(p, Decimal(0)), after.by_agency.get(p, Decimal(0))) for p in payers]
    rows.sort(key=lambda r: r.saving, reverse=True)
    return Comparison(before, after, size, rows)



# ----- a redesign as an intervention file -------------------------------------------------------

def _number(amount: Decimal) -> float | str:
    """Money for a YAML file: a plain number when it reads back exactly, else text (still exact)."""
    return float(amount) if Decimal(repr(float(amount))) == amount else str(amount)


def intervention_draft(comparison: Comparison, intervention_id: str) -> dict:
    """The redesign's savings by agency as an intervention file (`totalplace appraise` reads it as is).

    Each agency that saves gains a fiscal outcome worth its saving per person; each agency that puts
    more in bears a cost in year 0 for the cohort. One year, no optimism bias, not cashable: the
    analyst sets the horizon, cashable savings and confidence before appraising.
    """
    journey, to_be = comparison.as_is.journey, comparison.to_be.version.name
    where = f"journey {journey.name} ({journey.path}): {to_be} against as-is, {journey.price_year} prices"
    saving = [r for r in comparison.by_agency if r.saving > 0]
    costing = [r for r in comparison.by_agency if r.saving < 0]
    return {
        "id": intervention_id, "name": f"{journey.title}: {to_be}",
        "description": f"Drafted from {where}. Set the horizon, the cashable savings and the confidence grade.",
        "price_year": journey.price_year, "horizon": 1, "cohort": comparison.cohort, "confidence": 1,
        "agencies": [journey.partners[a].model_dump(mode="json") for a in journey.own_agencies],
        "costs": [{"agency": r.agency, "year": 0, "kind": "revenue", "amount": _number(-r.saving * comparison.cohort),
                   "note": f"puts in more per person in the {to_be} journey"} for r in costing],
        "outcomes": [{"id": f"saving-{r.agency}", "description": f"{journey.agency_name(r.agency)}: cost per person "
                      f"saved by the {to_be} journey", "kind": "fiscal", "agency": r.agency, "cashable": False,
                      "unit_value": _number(r.saving), "source": where} for r in saving],
    }
