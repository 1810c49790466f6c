"""Reading HM Treasury's Country and Regional Analysis (CRA) database workbooks.

The releases differ in column names, units and spelling, and so do rows
inside one release (`ENGLAND_Yorkshire and the Humber` beside `... The
Humber`, `non-ID` beside `Non-ID`, `LA` for local government in 2010 where
2018 writes `LG`). Every release is read into one normalised shape, in
pounds to the penny, and every change made to a value is written to a
normalisation log the analyst can read.

Reading a 20,000-row workbook takes a few seconds, so the normalised lines
of a workbook are cached as Parquet keyed by the workbook's SHA-256: the
cache is derived, and rebuilt whenever it is missing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from totalplace.errors import InputError
from totalplace.ingest.sources import sha256_of
from totalplace.inputs import open_workbook
from totalplace.money import to_pennies

YEAR_HEADER = re.compile(r"^(\d{4})-(\d{2})$")
MONEY_TYPE = pa.decimal128(38, 2)
CACHE_VERSION = "2"  # bump when the normalised shape changes, so old caches are not reused

# Each release's columns, by the field they hold. A workbook is read with the
# first layout whose headers it all has (headers compared without case or extra spaces).
LAYOUTS: dict[str, dict[str, str]] = {
    "CRA database 2018 layout": {
        "department": "Department Name", "organisation": "Organisation Name",
        "programme_code": "CRA Segment Code", "programme": "CRA Segment Name",
        "cofog": "COFOG Level 0", "hmt_function": "HMT Function", "cofog_group": "COFOG Level 1",
        "sub_function": "HMT Subfunction", "identifiable": "ID/non-ID", "cap_cur": "CAP or CUR",
        "spender": "CG, LG, PC, BOE", "region": "NUTS Region",
    },
    "CRA database 2014 layout": {
        "department": "Department", "programme_code": "CRA Segment", "programme": "CRA Segment Description",
        "cofog": "COFOG Level 0", "hmt_function": "HMT Function", "cofog_group": "COFOG Level 1",
        "sub_function": "HMT Subfunction", "identifiable": "ID/non-ID", "cap_cur": "CAP or CUR",
        "spender": "CG, LG or PC", "region": "NUTS Region",
    },
    "CRA database 2010 layout": {
        "department_code": "Dept Code", "department": "Dept Name",
        "cofog": "COFOG level 1", "hmt_function": "HMT Functional Classification",
        "programme_code": "Programme Object Group", "programme": "Programme Object Group Alias",
        "identifiable": "ID or non-ID", "cap_cur": "CAP or CUR", "spender": "CG, LG or PC",
        "region": "NUTS 1 region",
    },
}
# The 2010 database has no notes sheet; HM Treasury published it in £ million.
DEFAULT_UNIT = {"CRA database 2018 layout": None, "CRA database 2014 layout": None,
                "CRA database 2010 layout": Decimal(1_000_000)}
UNIT_NOTES = ((re.compile(r"£\s?'?000|£\s?thousand", re.I), Decimal(1000), "£ thousand"),
              (re.compile(r"£\s?m(illion)?\b", re.I), Decimal(1_000_000), "£ million"))

REGIONS = ("North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
           "East of England", "London", "South East", "South West", "Wales", "Scotland",
           "Northern Ireland", "Outside UK", "Not identifiable")
REGION_ALIASES = {"east": "East of England", "non-regional": "Not identifiable"}
ENGLISH_REGIONS = REGIONS[:9]

# Spelling variants of one body, not renamed departments (DCLG and MHCLG stay apart).
DEPARTMENT_ALIASES = {
    "ENG_LA": "Local Government England",
    "ENG_HRA": "Local Government England",
    "Welsh Local Government Adjustment/Input": "Local Government Wales",
    "Scottish Local Government Adjustment/Input": "Local Government Scotland",
    "Northern Irish Local Government Adjustment/Input": "Local Government Northern Ireland",
    "Government Actuary`s Department": "Government Actuary's Department",
    "The Crown Prosecution Service": "Crown Prosecution Service",
}
ORGANISATION_FOR = {"ENG_LA": "England Local Authorities", "ENG_HRA": "England Housing Revenue Account"}
# The 2010 and 2018 names of one HMT function.
FUNCTION_ALIASES = {"agriculture, forestry, fishing and hunting": "agriculture, fisheries and forestry"}
SPENDERS = {"CG": "CG", "LG": "LG", "LA": "LG", "PC": "PC", "BOE": "BOE"}
IDENTIFIABLE = {"id": True, "non-id": False}
BLANKS = {"", "-", "..", "n/a"}

COLUMNS = ("release", "sha256", "row_number", "fiscal_year", "department", "department_code", "organisation",
           "programme_code", "programme", "cofog", "cofog_name", "cofog_group", "hmt_function", "sub_function",
           "identifiable", "cap_cur", "spender", "region", "amount")


@dataclass(frozen=True)
class Note:
    """One normalisation: a value as written, what it became, on how many rows, and why."""
    release: str
    field: str
    raw: str
    normalised: str
    rows: int
    reason: str


@dataclass
class Release:
    """One CRA workbook read and normalised: its lines (an Arrow table, pounds) and its notes."""
    path: Path
    sha256: str
    layout: str
    unit: str
    years: list[str]
    lines: pa.Table
    notes: list[Note]

    @property
    def name(self) -> str:
        return self.path.name


def _squash(text: str) -> str:
    return " ".join(text.split())


class _Log:
    """Counts each (field, raw, normalised, reason) change so the log has one line per variant."""

    def __init__(self, release: str) -> None:
        self.release = release
        self.counts: Counter[tuple[str, str, str, str]] = Counter()

    def note(self, field: str, raw: object, normalised: object, reason: str, rows: int = 1) -> None:
        self.counts[(field, str(raw), str(normalised), reason)] += rows

    def notes(self) -> list[Note]:
        return [Note(self.release, f, r, n, c, why) for (f, r, n, why), c in sorted(self.counts.items())]


class _Normaliser:
    """The value rules for one workbook; each change is noted in the log."""

    def __init__(self, path: Path, log: _Log) -> None:
        self.path = path
        self.log = log

    def fail(self, row: int, header: str, message: str) -> InputError:
        return InputError(f"{self.path}: row {row}, column {header!r}: {message}")

    def text(self, field: str, value: object) -> str | None:
        if value is None:
            return None
        raw = str(value)
        squashed = _squash(raw)
        if squashed != raw:
            self.log.note(field, raw, squashed, "extra spaces removed")
        return squashed or None

    def region(self, value: str | None, row: int, header: str) -> str:
        if value is None:
            raise self.fail(row, header, "no region given")
        bare = re.sub(r"^ENGLAND_", "", value, flags=re.I)
        wanted = REGION_ALIASES.get(bare.casefold()) or next(
            (r for r in REGIONS if r.casefold() == bare.casefold()), None)
        if wanted is None:
            raise self.fail(row, header, f"{value!r} is not a region we know ({', '.join(REGIONS)})")
        if wanted != value:
            self.log.note("region", value, wanted, "region name written as in the census tables")
        return wanted

    def identifiable(self, value: str | None, row: int, header: str) -> bool:
        found = IDENTIFIABLE.get((value or "").casefold())
        if found is None:
            raise self.fail(row, header, f"{value!r} is neither ID nor non-ID")
        canonical = "ID" if found else "non-ID"
        if value != canonical:
            self.log.note("identifiable", value, canonical, "same flag, other spelling")
        return found

    def code(self, field: str, value: str | None, allowed: dict[str, str], row: int, header: str) -> str:
        found = allowed.get((value or "").upper())
        if found is None:
            raise self.fail(row, header, f"{value!r} is not one of {', '.join(sorted(set(allowed.values())))}")
        if found != value:
            reason = "local government written LA in this release" if value == "LA" else "same code, other case"
            self.log.note(field, value, found, reason)
        return found

    def department(self, value: str | None, row: int, header: str) -> tuple[str, str | None]:
        if value is None:
            raise self.fail(row, header, "no department given")
        canonical = DEPARTMENT_ALIASES.get(value, value)
        if canonical != value:
            self.log.note("department", value, canonical, "same body, the name the 2018 release uses")
        return canonical, ORGANISATION_FOR.get(value)

    def cofog(self, value: str | None) -> tuple[str, str]:
        """'10. Social Protection' -> ('10', 'Social protection'); headings without a number keep their text."""
        match = re.match(r"^(\d{1,2})\.\s*(.+)$", value or "")
        if not match:
            name = value or "Not classified"
            code = "EU" if name.casefold() == "eu transactions" else "".join(w[0] for w in name.split()).upper()
            return code, name
        name = match.group(2)
        sentence = name[0].upper() + name[1:].lower()
        if sentence != name:
            self.log.note("cofog", value, f"{int(match.group(1))}. {sentence}", "same function, other case")
        return f"{int(match.group(1)):02d}", sentence

    def function(self, value: str | None, cofog_name: str) -> str:
        """HMT function as 'Economic affairs: transport' from either release's wording."""
        raw = value or cofog_name
        of_which = re.search(r"of which:\s*(.+)$", raw, flags=re.I)
        if of_which:
            part = of_which.group(1).lower()
            part = FUNCTION_ALIASES.get(part, part)
            normalised = f"{cofog_name}: {part}"
        else:
            normalised = cofog_name
        if normalised != raw:
            self.log.note("hmt_function", raw, normalised, "one wording for both releases")
        return normalised

    def cofog_group(self, value: str | None) -> str | None:
        """'7.A Medical services' -> '07.A', '10.2 Old age' -> '10.2' (the bottom-up count's codes)."""
        if value is None:
            return None
        match = re.match(r"^(\d{1,2})\.(\w+)\b", value)
        return f"{int(match.group(1)):02d}.{match.group(2)}" if match else value.split()[0]

    def amount(self, value: object, unit: Decimal, row: int, header: str) -> Decimal | None:
        if value is None or (isinstance(value, str) and value.strip().lower() in BLANKS):
            return None
        if isinstance(value, bool):
            raise self.fail(row, header, f"{value!r} is not an amount")
        try:
            # repr of a float is its shortest exact-enough decimal; times the unit, then to the penny.
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            raise self.fail(row, header, f"{value!r} is not an amount") from None
        return to_pennies(number * unit)


def _header_key(text: object) -> str:
    return _squash(str(text or "")).casefold()


def _find_table(book, path: Path) -> tuple[object, int, list, str]:
    """The sheet, header row and layout of the CRA table in a workbook."""
    for sheet in book.worksheets:
        for number, row in enumerate(sheet.iter_rows(max_row=10, values_only=True), start=1):
            keys = {_header_key(v) for v in row}
            for layout, columns in LAYOUTS.items():
                if all(_header_key(h) in keys for h in columns.values()):
                    return sheet, number, list(row), layout
    wanted = "; ".join(f"{name}: {', '.join(cols.values())}" for name, cols in LAYOUTS.items())
    raise InputError(f"{path}: no sheet has the CRA database headers (expected one of {wanted})")


def _unit(book, data_sheet, layout: str, path: Path) -> tuple[Decimal, str]:
    """The money unit, from the workbook's own notes, else the release's known unit."""
    for sheet in book.worksheets:
        if sheet is data_sheet:
            continue
        for row in sheet.iter_rows(max_row=60, values_only=True):
            for cell in row:
                if isinstance(cell, str):
                    for pattern, factor, label in UNIT_NOTES:
                        if pattern.search(cell):
                            return factor, f"{label} (sheet {sheet.title!r}: {_squash(cell)[:90]!r})"
    default = DEFAULT_UNIT[layout]
    if default is None:
        raise InputError(f"{path}: no sheet says the unit of the figures (£ thousand or £ million)")
    return default, "£ million (HM Treasury's unit for the CRA 2010 database, which has no notes sheet)"


def read_workbook(path: Path, sha256: str | None = None) -> Release:
    """Read one CRA database workbook into normalised lines (one per row and year), in pounds."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    sha256 = sha256 or sha256_of(path)
    with open_workbook(path) as book:
        sheet, header_row, headers, layout = _find_table(book, path)
        factor, unit = _unit(book, sheet, layout, path)
        log = _Log(path.name)
        log.note("amount", "figures in the workbook", "pounds, to the penny", f"unit: {unit}", rows=0)
        lines, years = _read_rows(sheet, header_row, headers, layout, factor, _Normaliser(path, log))
    lines["sha256"] = [sha256] * len(lines["amount"])
    table = pa.table({name: pa.array(lines[name], type=_arrow_type(name)) for name in COLUMNS})
    return Release(path, sha256, layout, unit, years, table, log.notes())


def _arrow_type(name: str) -> pa.DataType:
    return {"row_number": pa.int64(), "identifiable": pa.bool_(), "amount": MONEY_TYPE}.get(name, pa.string())


def _read_rows(sheet, header_row: int, headers: list, layout: str, factor: Decimal,
               norm: _Normaliser) -> tuple[dict[str, list], list[str]]:
    index = {_header_key(h): i for i, h in enumerate(headers)}
    columns = {field: index[_header_key(h)] for field, h in LAYOUTS[layout].items()}
    years = [(str(h).strip(), i) for i, h in enumerate(headers) if h is not None and YEAR_HEADER.match(str(h).strip())]
    if not years:
        raise InputError(f"{norm.path}: sheet {sheet.title!r} has no year columns like 2009-10")
    lines: dict[str, list] = {name: [] for name in COLUMNS}
    blank = 0
    seen: Counter[tuple] = Counter()
    for number, row in enumerate(sheet.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1):
        if not any(v is not None for v in row):
            continue
        described = _describe(row, columns, number, norm)
        _mark_repeat(described, seen, norm)
        for year, column in years:
            value = row[column] if column < len(row) else None
            amount = norm.amount(value, factor, number, year)
            if amount is None:
                blank += 1
                continue
            for name, item in described.items():
                lines[name].append(item)
            lines["release"].append(norm.path.name)
            lines["row_number"].append(number)
            lines["fiscal_year"].append(year)
            lines["amount"].append(amount)
    norm.log.note("amount", "empty cell", "no line", "a blank is no figure, not zero", rows=blank)
    return lines, [y for y, _ in years]


def _mark_repeat(described: dict[str, object], seen: Counter[tuple], norm: _Normaliser) -> None:
    """A row described exactly like an earlier one gets its place among them in its programme name.

    The 2010 release gives local government's social protection as two current
    lines per region with the same words (personal social services, then housing
    benefit); a rule can only tell them apart by their order, so the order is kept
    in the name: 'LA dummy sprog 10. Social protection [CUR line 2]'.
    """
    key = tuple(described[f] for f in ("department", "organisation", "programme", "programme_code", "cofog",
                                       "hmt_function", "sub_function", "cap_cur", "spender", "region",
                                       "identifiable"))
    seen[key] += 1
    if seen[key] > 1:
        marked = f"{described['programme']} [{described['cap_cur']} line {seen[key]}]"
        norm.log.note("programme", described["programme"], marked,
                      "described exactly like an earlier row of the region: numbered in the order of the workbook")
        described["programme"] = marked


def _describe(row: tuple, columns: dict[str, int], number: int, norm: _Normaliser) -> dict[str, object]:
    """The normalised descriptive fields of one workbook row."""
    raw = {field: norm.text(field, row[i] if i < len(row) else None) for field, i in columns.items()}
    headers = {field: LAYOUTS_BY_FIELD.get(field, field) for field in columns}
    department, organisation = norm.department(raw["department"], number, headers["department"])
    cofog, cofog_name = norm.cofog(raw["cofog"])
    programme = raw.get("programme")
    if programme is None:
        programme = raw.get("programme_code")
        norm.log.note("programme", "(empty)", "the programme code", "row has a code but no name")
    region = norm.region(raw["region"], number, headers["region"])
    identifiable = norm.identifiable(raw["identifiable"], number, headers["identifiable"])
    if identifiable and region == "Not identifiable":
        norm.log.note("identifiable", "ID", "ID, region not identifiable",
                      "marked ID but given no region: counted in no region")
    return {
        "department": department,
        "department_code": raw.get("department_code"),
        "organisation": raw.get("organisation") or organisation or department,
        "programme_code": raw.get("programme_code"),
        "programme": programme,
        "cofog": cofog, "cofog_name": cofog_name,
        "cofog_group": norm.cofog_group(raw.get("cofog_group")),
        "hmt_function": norm.function(raw.get("hmt_function"), cofog_name),
        "sub_function": raw.get("sub_function"),
        "identifiable": identifiable,
        "cap_cur": norm.code("cap_cur", raw["cap_cur"], {"CAP": "CAP", "CUR": "CUR"}, number, headers["cap_cur"]),
        "spender": norm.code("spender", raw["spender"], SPENDERS, number, headers["spender"]),
        "region": region,
    }


LAYOUTS_BY_FIELD: dict[str, str] = {}
for _columns in LAYOUTS.values():
    for _field, _header in _columns.items():
        LAYOUTS_BY_FIELD.setdefault(_field, _header)


# --- the cache -------------------------------------------------------------------------------

def cached_release(path: Path, cache_dir: Path) -> Release:
    """A workbook's normalised lines, from the Parquet cache when it holds this exact file."""
    sha256 = sha256_of(path)
    cache = cache_dir / f"cra-{sha256[:32]}-v{CACHE_VERSION}.parquet"
    if cache.exists():
        return _from_cache(path, cache)
    release = read_workbook(path, sha256)
    cache_dir.mkdir(parents=True, exist_ok=True)
    meta = {"sha256": sha256, "layout": release.layout, "unit": release.unit, "years": release.years,
            "notes": [asdict(n) for n in release.notes]}
    partial = cache.with_suffix(".partial")
    pq.write_table(release.lines.replace_schema_metadata({"totalplace.cra": json.dumps(meta)}), partial)
    partial.replace(cache)  # a cache file is whole or absent
    return release


def _from_cache(path: Path, cache: Path) -> Release:
    table = pq.read_table(cache)
    meta = json.loads(table.schema.metadata[b"totalplace.cra"])
    notes = [Note(**n) for n in meta["notes"]]
    return Release(path, meta["sha256"], meta["layout"], meta["unit"], meta["years"], table, notes)


def newest_first(releases: list[Release]) -> list[Release]:
    """Releases ordered newest first: by the latest year they cover, then by file name."""
    return sorted(releases, key=lambda r: (max(r.years), r.name), reverse=True)


@dataclass(frozen=True)
class YearChoice:
    fiscal_year: str
    release: str
    not_used: tuple[str, ...]


def choose_years(releases: list[Release]) -> list[YearChoice]:
    """For every year, the newest release that covers it; the older ones are recorded as not used."""
    ordered = newest_first(releases)
    years = sorted({y for r in releases for y in r.years})
    return [
        YearChoice(year, *_split([r.name for r in ordered if year in r.years]))
        for year in years
    ]


def _split(names: list[str]) -> tuple[str, tuple[str, ...]]:
    return names[0], tuple(names[1:])
