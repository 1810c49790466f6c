"""Fiscal Data Package out and in: `datapackage.json` plus one CSV of figures.

The package is a Tabular Data Package (so the Frictionless validator checks
it) with the Fiscal Data Package `model`, which maps the CSV columns to the
fiscal concepts OpenSpending-style tools read: one measure (`amount`, GBP,
expenditure, executed) and the dimensions fiscal period (fiscal year),
administrative classification (agency or department), functional
classification (COFOG code, and the Total Place theme) and the figure's
provenance (direction, method, source, confidence).

Amounts are written as exact decimals to the penny; reading a package back
gives the same figures to the penny.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from totalplace.classify.rules import cofog_codes
from totalplace.errors import InputError
from totalplace.exchange.figures import Figure
from totalplace.money import to_pennies
from totalplace.tabular import restored, write_csv
from totalplace.workspace import FISCAL_YEAR, slug

DESCRIPTOR = "datapackage.json"
DATA_PATH = "data/count.csv"
RESOURCE = "count"
OGL = {"name": "OGL-UK-3.0", "title": "Open Government Licence v3.0",
       "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}

# column -> (title, Table Schema type, FDP 1.0 columnType, required)
COLUMNS = {
    "figure_id": ("Figure", "integer", "", True),
    "place": ("Place", "string", "geographic:region:name", True),
    "fiscal_year": ("Fiscal year", "string", "date:fiscal-year", True),
    "direction": ("Direction of the count", "string", "", True),
    "agency": ("Agency or department", "string", "administrative-classification:generic:name", False),
    "theme": ("Total Place theme", "string", "functional-classification:generic:name", False),
    "cofog": ("COFOG code", "string", "functional-classification:cofog:code", False),
    "cofog_name": ("COFOG name", "string", "functional-classification:cofog:label", False),
    "control_level": ("Control level", "string", "", False),
    "amount": ("Amount (GBP)", "number", "value", True),
    "method": ("Method", "string", "", False),
    "source": ("Source", "string", "", False),
    "confidence": ("Confidence", "string", "", False),
}


def export_package(figures: list[Figure], directory: Path, title: str, description: str = "") -> Path:
    """Write the figures as a Fiscal Data Package in `directory`; returns the descriptor's path."""
    if not figures:
        raise InputError("nothing to export: the count has no figures (run `totalplace ingest` first)")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / DATA_PATH).parent.mkdir(parents=True, exist_ok=True)
    names = cofog_codes()
    with (directory / DATA_PATH).open("w", encoding="utf-8", newline="") as handle:
        write_csv(handle, list(COLUMNS), ([number, f.place, f.fiscal_year, f.direction, f.agency, f.theme, f.cofog,
                                     names.get(f.cofog, ""), f.control_level, f.amount, f.method, f.source,
                                     f.confidence] for number, f in enumerate(figures, start=1)))
    path = directory / DESCRIPTOR
    path.write_text(json.dumps(_descriptor(figures, title, description), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def _descriptor(figures: list[Figure], title: str, description: str) -> dict:
    years = sorted({f.fiscal_year for f in figures})
    start, end = int(years[0][:4]), int(years[-1][:4]) + 1
    return {
        "profile": "tabular-data-package",
        "profiles": {"fiscal": "*", "tabular": "*"},
        "name": slug(title) or "count",
        "title": title,
        "description": description or title,
        "countryCode": "GB",
        "granularity": "aggregated",
        "fiscalPeriod": {"start": f"{start}-04-01", "end": f"{end}-03-31"},
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "licenses": [OGL],
        "sources": [{"title": s} for s in sorted({f.direction for f in figures})],
        "resources": [{
            "name": RESOURCE, "path": DATA_PATH, "profile": "tabular-data-resource", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8",
            "schema": {"fields": [_field(name) for name in COLUMNS], "primaryKey": ["figure_id"]},
        }],
        "model": _model(),
    }


def _field(name: str) -> dict:
    title, kind, column_type, required = COLUMNS[name]
    field: dict = {"name": name, "title": title, "type": kind}
    if column_type:
        field["columnType"] = column_type
    constraints: dict = {"required": True} if required else {}
    if name == "fiscal_year":
        constraints["pattern"] = FISCAL_YEAR.pattern.strip("^$")
    if name == "amount":
        field["decimalChar"] = "."
        field["bareNumber"] = True
    if constraints:
        field["constraints"] = constraints
    return field


def _attributes(*names: str) -> dict:
    return {name: {"source": name, "resource": RESOURCE} for name in names}


def _model() -> dict:
    return {
        "measures": {"amount": {"source": "amount", "resource": RESOURCE, "currency": "GBP", "factor": 1,
                                "direction": "expenditure", "phase": "executed"}},
        "dimensions": {
            "fiscal-period": {"dimensionType": "datetime", "attributes": _attributes("fiscal_year"),
                              "primaryKey": "fiscal_year"},
            "place": {"dimensionType": "location", "attributes": _attributes("place"), "primaryKey": "place"},
            "administrative-classification": {
                "dimensionType": "classification", "classificationType": "administrative",
                "attributes": _attributes("agency"), "primaryKey": "agency"},
            "cofog": {
                "dimensionType": "classification", "classificationType": "functional",
                "attributes": {"code": {"source": "cofog", "resource": RESOURCE},
                               "label": {"source": "cofog_name", "resource": RESOURCE, "labelfor": "code"}},
                "primaryKey": "code"},
            "theme": {"dimensionType": "classification", "classificationType": "functional",
                      "attributes": _attributes("theme"), "primaryKey": "theme"},
            "control-level": {"dimensionType": "classification", "attributes": _attributes("control_level"),
                              "primaryKey": "control_level"},
            "provenance": {"dimensionType": "other",
                           "attributes": _attributes("direction", "method", "source", "confidence"),
                           "primaryKey": ["direction", "method"]},
        },
    }


# --- reading a package -----------------------------------------------------------------------

@dataclass(frozen=True)
class Package:
    name: str
    title: str
    path: Path                 # the descriptor
    figures: list[Figure]


def validate(directory: Path) -> list[str]:
    """The Frictionless validator's errors for the package (empty when it is valid), one line each."""
    from frictionless import Package as FrictionlessPackage, system

    descriptor = _descriptor_path(directory)
    with system.use_context(trusted=False):
        report = FrictionlessPackage(str(descriptor)).validate()
    return [f"{descriptor.parent / (task.place or '')}: row {e.get('rowNumber', '-')}, column "
            f"{e.get('fieldName', '-')}: {e['message']}"
            for task in report.tasks for e in (err.to_dict() for err in task.errors)] + \
           [f"{descriptor}: {err.message}" for err in report.errors]


def _descriptor_path(directory: Path) -> Path:
    path = directory / DESCRIPTOR if directory.is_dir() else directory
    if not path.is_file():
        raise InputError(f"{directory}: no {DESCRIPTOR} (a Fiscal Data Package is a folder holding one)")
    return path


def read_package(directory: Path) -> Package:
    """The figures of a Fiscal Data Package: ours or another tool's, mapped through its `model`."""
    path = _descriptor_path(directory)
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a JSON descriptor ({error})") from None
    measure = _the_measure(path, descriptor)
    resource = _resource(path, descriptor, measure.get("resource"))
    data = path.parent / resource["path"]
    if not data.is_file():
        raise InputError(f"{path}: resource {resource.get('name')!r}: data file {data} is missing")
    sources = _sources(descriptor.get("model", {}).get("dimensions", {}))
    factor = _decimal(str(measure.get("factor", 1)), f"{path}: model.measures: factor")
    default = {"place": descriptor.get("title", path.parent.name), "direction": "imported",
               "method": f"imported from the Fiscal Data Package {descriptor.get('name', path.parent.name)!r}",
               "source": str(path)}
    figures = [_figure(data, number, row, measure["source"], factor, sources, default)
               for number, row in _rows(data)]
    return Package(descriptor.get("name", path.parent.name), descriptor.get("title", ""), path, figures)


def _the_measure(path: Path, descriptor: dict) -> dict:
    measures = descriptor.get("model", {}).get("measures", {})
    if len(measures) != 1:
        raise InputError(f"{path}: model.measures: found {len(measures)} measures; one amount measure is needed")
    name, measure = next(iter(measures.items()))
    if measure.get("currency", "").upper() != "GBP":
        raise InputError(f"{path}: model.measures.{name}.currency: {measure.get('currency')!r} is not GBP; "
                         "totalplace counts pounds and does not convert currencies")
    if "source" not in measure:
        raise InputError(f"{path}: model.measures.{name}: no source column")
    return measure


def _resource(path: Path, descriptor: dict, name: str | None) -> dict:
    resources = descriptor.get("resources", [])
    chosen = next((r for r in resources if r.get("name") == name), None) if name else (resources or [None])[0]
    if chosen is None or "path" not in chosen:
        raise InputError(f"{path}: resources: no data resource {name or ''!r} with a path")
    return chosen


def _sources(dimensions: dict) -> dict[str, str]:
    """Figure field -> CSV column, found from the model's dimensions and their attributes."""
    found: dict[str, str] = {}
    for key, dimension in dimensions.items():
        attributes = dimension.get("attributes", {})
        kind = (dimension.get("dimensionType"), dimension.get("classificationType"))
        for attribute, spec in attributes.items():
            column = spec.get("source")
            if not column or spec.get("labelfor"):
                continue
            field = _field_for(key, kind, attribute)
            if field and field not in found:
                found[field] = column
    return found


def _field_for(dimension: str, kind: tuple, attribute: str) -> str | None:
    names = {f.name for f in fields(Figure)} - {"amount"}
    if attribute in names:
        return attribute
    if kind[0] == "datetime" and re.search("year|period", attribute):
        return "fiscal_year"
    if dimension == "cofog" or (kind == ("classification", "functional") and "cofog" in attribute):
        return "cofog"
    if kind == ("classification", "administrative"):
        return "agency"
    return None


def _rows(data: Path):
    with data.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for number, row in enumerate(reader, start=2):
            yield number, {column: restored(cell) if isinstance(cell, str) else cell for column, cell in row.items()}


def _decimal(text: str, where: str) -> Decimal:
    try:
        return Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise InputError(f"{where}: {text!r} is not a number") from None


def _figure(data: Path, number: int, row: dict, amount_column: str, factor: Decimal, sources: dict[str, str],
            default: dict[str, str]) -> Figure:
    where = f"{data}: row {number}"
    if amount_column not in row:
        raise InputError(f"{where}, column {amount_column}: the measure's column is not in the file")
    amount = _decimal(row[amount_column] or "", f"{where}, column {amount_column}") * factor
    if amount != to_pennies(amount):
        raise InputError(f"{where}, column {amount_column}: {row[amount_column]!r} x {factor} has fractions of a penny")
    values = {field: (row.get(column) or "").strip() for field, column in sources.items()}
    year = values.get("fiscal_year", "")
    if not FISCAL_YEAR.match(year):
        raise InputError(f"{where}, column {sources.get('fiscal_year', 'fiscal year')}: {year!r} is not a fiscal "
                         "year like 2018-19")
    # a column the package has is taken as it is, even empty; a concept it lacks gets the default
    text = {name: values[name] if name in values else default.get(name, "") for name in
            ("place", "direction", "agency", "theme", "cofog", "method", "source", "confidence", "control_level")}
    return Figure(fiscal_year=year, amount=to_pennies(amount), **text)
