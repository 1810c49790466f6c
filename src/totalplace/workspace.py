"""A place's workspace: a folder of human-editable inputs plus a derived store.

Layout::

    <workspace>/
      totalplace.toml          the place, its areas and agencies, settings
      agencies/<agency-id>/    each agency's source files, as published
      rules/                   editable rule tables (copied from the defaults)
      store/totalplace.duckdb  the derived analytic store; delete it and rebuild
      output/                  exports
"""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

import tomlkit
from pydantic import Field, field_validator

from totalplace import reference
from totalplace.errors import InputError
from totalplace.inputs import StrictInput, validate

CONFIG_NAME = "totalplace.toml"
RULE_FILES = ("classification_rules.csv", "public_bodies.csv", "public_body_patterns.csv")
FISCAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


class AgencyKind(StrEnum):
    """The kinds of public body a place's money flows through."""

    council = "council"
    nhs = "nhs"
    police = "police"
    fire = "fire"
    probation = "probation"
    dwp = "dwp"
    housing = "housing"
    school = "school"
    central_government = "central_government"
    other_public = "other_public"


def slug(text: str) -> str:
    """A lower-case, hyphenated identifier made from a name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Layout(StrictInput):
    """A file layout's column mapping, remembered for an agency (`totalplace map` writes it): files whose
    headers have this fingerprint are read with these columns, with no question asked."""

    fingerprint: str = Field(description="the header fingerprint (see ingest/reading.py)")
    columns: dict[str, str] = Field(default_factory=dict, description="field -> header")
    file: str | None = Field(default=None, description="the file the mapping was settled on")


class Agency(StrictInput):
    """A public body in the place, whose spend files the workspace holds."""

    id: str
    name: str
    kind: AgencyKind
    area: str | None = None
    aliases: list[str] = Field(
        default_factory=list,
        description="Other names that suppliers columns use for this body, to spot transfers",
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="field -> header, for files the column detector cannot place",
    )
    sheet: str | None = Field(
        default=None, description="the one sheet of its workbooks to read (default: every sheet with payments)",
    )
    layouts: list[Layout] = Field(default_factory=list, description="mappings remembered per file layout")

    def layout_columns(self, fingerprint: str) -> dict[str, str]:
        """The columns remembered for a layout (empty if none)."""
        return next((layout.columns for layout in self.layouts if layout.fingerprint == fingerprint), {})

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if value != slug(value):
            raise ValueError(f"agency id {value!r} must be lower-case words joined by hyphens")
        return value


class Place(StrictInput):
    """The place: a name and the ONS areas it is made of."""

    name: str
    areas: list[str]
    region: str


class PrivacySettings(StrictInput):
    """[privacy] in totalplace.toml: the one threshold of small-number suppression, for every published output
    (cohort tables, the web's breakdowns for the public and for other agencies' analysts, the report)."""

    suppress_below: int = Field(default=5, ge=1,
                                description="groups of fewer people, households or payments than this are suppressed")


class CohortSettings(StrictInput):
    """[cohort] in totalplace.toml: how person-level cohort outputs are made."""

    top_percent: float = Field(default=5.0, gt=0, le=100, description="the high-cost cohort: this top % of households")
    price_year: str | None = Field(default=None, description="price year for unit-cost codes (default: each event's own year)")


class Engine(StrEnum):
    """Where the analytic store lives and its queries run."""

    DUCKDB = "duckdb"  # embedded: one file, no server
    SPARK = "spark"    # Apache Spark over a Parquet store, when the data outgrows one machine


class SparkSettings(StrictInput):
    """[spark] in totalplace.toml: the cluster and where its Parquet store lives."""

    master: str = Field(default="local[*]", description="spark.master URL, e.g. local[*] or spark://host:7077")
    store: str = Field(default="store/parquet",
                       description="the Parquet store: a path (relative to the workspace) or a URI")
    config: dict[str, str] = Field(default_factory=dict, description="more Spark settings, e.g. spark.driver.memory")


class AmountBasis(StrEnum):
    """Which amount is counted when a file has Gross, VAT and Net side by side."""

    NET = "net"
    GROSS = "gross"


class Settings(StrictInput):
    """The whole of totalplace.toml."""

    engine: Engine = Engine.DUCKDB
    amount_basis: AmountBasis | None = None  # None: net
    place: Place
    agencies: list[Agency] = Field(default_factory=list)
    population: dict[str, int] = Field(
        default_factory=dict, description="fiscal year (e.g. 2018-19) -> population override"
    )
    cohort: CohortSettings | None = None  # None: the defaults (left out of a saved totalplace.toml)
    privacy: PrivacySettings | None = None  # None: the defaults
    spark: SparkSettings | None = None    # None: the defaults

    @field_validator("population")
    @classmethod
    def _years_are_fiscal(cls, value: dict[str, int]) -> dict[str, int]:
        for year in value:
            if not FISCAL_YEAR.match(year):
                raise ValueError(f"population year {year!r} must be a fiscal year like 2018-19")
        return value


class Workspace:
    """A workspace folder and its settings."""

    @property
    def amount_basis(self) -> str:
        """Which amount a file with Gross, VAT and Net counts (`amount_basis`, net by default)."""
        return (self.settings.amount_basis or AmountBasis.NET).value

    @property
    def suppress_below(self) -> int:
        """The workspace's one small-number threshold ([privacy] suppress_below)."""
        return (self.settings.privacy or PrivacySettings()).suppress_below

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def store_path(self) -> Path:
        return self.root / "store" / "totalplace.duckdb"

    @property
    def spark(self) -> SparkSettings:
        return self.settings.spark or SparkSettings()

    @property
    def parquet_store(self) -> str:
        """The Spark engine's store: a URI as given, or a path made absolute against the workspace."""
        store = self.spark.store
        return store if "://" in store else str((self.root / store).resolve())

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    def agency_dir(self, agency_id: str) -> Path:
        return self.root / "agencies" / agency_id

    def relative(self, path: Path | str) -> str:
        """A path as the workspace's outputs show it: from the workspace's folder when it is inside it,
        else the file's name alone (a machine's own folders never appear in a report)."""
        path = Path(path)
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.name

    def rule_path(self, name: str) -> Path:
        """The workspace's copy of a rule table, or the shipped default if it has none."""
        local = self.root / "rules" / name
        return local if local.exists() else Path(str(reference.data_path(name)))

    def agency(self, agency_id: str) -> Agency:
        for agency in self.settings.agencies:
            if agency.id == agency_id:
                return agency
        known = ", ".join(a.id for a in self.settings.agencies) or "none yet"
        raise InputError(f"no agency {agency_id!r} in {self.config_path} (agencies: {known})")

    def save(self) -> None:
        """Write the settings to totalplace.toml, keeping what the user wrote around them (comments,
        order, spacing): the file is read and changed in place (tomlkit), not written afresh."""
        data = _drop_empty(self.settings.model_dump(mode="json", exclude_defaults=False))
        path = self.config_path
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        _merge(document, data)
        path.write_text(tomlkit.dumps(document), encoding="utf-8")

    def add_agency(self, agency: Agency) -> None:
        if any(a.id == agency.id for a in self.settings.agencies):
            raise InputError(f"agency {agency.id!r} is already in {self.config_path}")
        self.settings.agencies.append(agency)
        self.agency_dir(agency.id).mkdir(parents=True, exist_ok=True)
        self.save()

    def remember_layout(self, agency_id: str, layout: Layout) -> None:
        """Keep a layout's mapping for an agency (replacing one for the same fingerprint) in totalplace.toml."""
        agency = self.agency(agency_id)
        agency.layouts = [kept for kept in agency.layouts if kept.fingerprint != layout.fingerprint] + [layout]
        self.save()


_INLINE = {"columns", "config"}  # small tables written on one line: columns = { amount = "Net" }


def _merge(container, data: dict) -> None:
    """Make a TOML table hold `data`, changing only what differs, so the comments on the rest stay."""
    for key in [k for k in container if k not in data]:
        del container[key]
    for key, value in data.items():
        current = container.get(key)
        if isinstance(value, dict) and isinstance(current, (tomlkit.items.Table, tomlkit.items.InlineTable)):
            _merge(current, value)
        elif _tables(value) and isinstance(current, tomlkit.items.AoT):
            for index, item in enumerate(value):
                if index < len(current):
                    _merge(current[index], item)
                else:
                    current.append(_item(key, item))
            while len(current) > len(value):
                del current[-1]
        elif current is None or current.unwrap() != value:
            container[key] = _item(key, value)


def _tables(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _item(key: str, value):
    """A TOML item for a value: small mappings inline, lists of mappings as arrays of tables."""
    if isinstance(value, dict):
        table = tomlkit.inline_table() if key in _INLINE else tomlkit.table()
        for name, inner in value.items():
            table[name] = _item(name, inner)
        return table
    if _tables(value):
        tables = tomlkit.aot()
        for inner in value:
            tables.append(_item(key, inner))
        return tables
    return tomlkit.item(value)


def _drop_empty(value):
    """TOML has no null; leave out empty settings so the file stays readable."""
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def council_for(area: reference.Area) -> Agency:
    """The council agency that a place's area brings with it."""
    return Agency(
        id=slug(f"{area.name} council"), name=f"{area.name} council", kind=AgencyKind.council,
        area=area.code,
    )


def init_workspace(root: Path, place_name: str, area_codes: list[str], partners: Iterable[Agency] = ()) -> Workspace:
    """Create a workspace folder for a place made of one or more ONS areas, with a council agency for each
    and any `partners` (totalplace.partners.agencies_serving: the police, fire, county and NHS bodies)."""
    if (root / CONFIG_NAME).exists():
        raise InputError(f"{root / CONFIG_NAME} already exists; this folder is a workspace already")
    if not area_codes:
        raise InputError("a place needs at least one area: give --area with an ONS code")
    found = [reference.area(code) for code in area_codes]
    regions = sorted({a.region for a in found})
    place = Place(name=place_name, areas=[a.code for a in found], region=" + ".join(regions))
    workspace = Workspace(root, Settings(place=place))
    for sub in ("agencies", "rules", "store", "output"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name in RULE_FILES:
        shutil.copyfile(str(reference.data_path(name)), root / "rules" / name)
    for area in found:
        workspace.add_agency(council_for(area))
    for agency in partners:
        workspace.add_agency(agency)
    workspace.save()
    return workspace


def open_workspace(root: Path) -> Workspace:
    """Read a workspace's settings, with one clear error if they are missing or wrong."""
    path = root / CONFIG_NAME
    if not path.exists():
        raise InputError(f"{root} is not a workspace: no {CONFIG_NAME} (run `totalplace init` first)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML: {error}") from None
    return Workspace(root, validate(Settings, data, str(path), noun="setting"))
