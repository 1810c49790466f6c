"""Who else serves a place: the police force, fire and rescue authority, county, CCG and ICB of each district.

The shipped table (data/partners.csv) is built from the ONS and NHS lookups
(`python -m totalplace.partners SHARED_DATA src/totalplace/data`): a district's code
is traced through the vintages (lookup_ltla_ltla.csv) to the vintage each lookup
uses. A CCG or ICB that serves part of a district carries the share of the
district's population it serves (mid-2020, by LSOA), so the NHS figures of the
district can be brought down to the body and back.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from totalplace import reference
from totalplace.workspace import Agency, AgencyKind, slug

PARTNER_FILE = "partners.csv"
COLUMNS = ("district_code", "district_name", "kind", "code", "name", "share", "source")
KINDS = ("police", "fire", "county", "ccg", "icb")
AGENCY_KINDS = {"police": AgencyKind.police, "fire": AgencyKind.fire, "county": AgencyKind.council,
                "ccg": AgencyKind.nhs, "icb": AgencyKind.nhs}
LOOKUPS = Path("geography") / "lookups"


@dataclass(frozen=True)
class Partner:
    """A body serving (part of) a district of the place."""

    district: str
    kind: str      # police, fire, county, ccg or icb
    code: str      # its own ONS code (police force area, fire authority, upper tier, CCG, ICB)
    name: str      # the body's name, as an agency would be called
    share: float   # the share of the district's population it serves
    source: str


@cache
def _table() -> dict[str, list[Partner]]:
    with reference.data_path(PARTNER_FILE).open(encoding="utf-8", newline="") as handle:
        found: dict[str, list[Partner]] = defaultdict(list)
        for row in csv.DictReader(handle):
            found[row["district_code"]].append(Partner(row["district_code"], row["kind"], row["code"], row["name"],
                                                       float(row["share"]), row["source"]))
    return found


def serving(areas: list[str]) -> list[Partner]:
    """The partners serving each of the areas, in the order police, fire, county, CCG, ICB."""
    found = [p for area in areas for p in _table().get(area, [])]
    return sorted(found, key=lambda p: (KINDS.index(p.kind), p.code, p.district))


def agencies_serving(areas: list[str]) -> list[Agency]:
    """The partners serving the areas as agencies of the count, once each (a force serving two districts is
    one agency): its area is the body's own ONS code."""
    found = {slug(p.name): Agency(id=slug(p.name), name=p.name, kind=AGENCY_KINDS[p.kind], area=p.code)
             for p in serving(areas)}
    return list(found.values())


def districts_of(code: str) -> dict[str, float]:
    """The districts a partner (or a district itself) serves, with the share of each district's population."""
    served = {p.district: p.share for rows in _table().values() for p in rows if p.code == code}
    return served or {code: 1.0}


# --- building the shipped table from the public lookups -------------------------------------------------------

def code_public_bodies(path: Path) -> int:
    """Give the police forces, fire authorities, CCGs and ICBs of the named list (public_bodies.csv) their codes.

    A payee the list knows is then the agency whose area is that code: a partner added
    with `init --with-partners` is recognised by its names with no review. A police or
    fire row gets the code of the force or authority whose area's name it holds (the
    longest), an NHS row the code of the CCG or ICB named exactly so. Returns the rows coded.
    """
    from totalplace.classify.names import normalised_name

    bodies = {(p.kind, p.code): p.name for rows in _table().values() for p in rows}
    areas: dict[str, dict[str, str]] = {"police": {}, "fire": {}, "nhs": {}}
    for (kind, code), name in bodies.items():
        if kind in ("police", "fire"):
            area = name.removesuffix(" Police").removesuffix(" Fire and Rescue Authority")
            areas[kind][f" {normalised_name(area)} "] = code
        elif kind in ("ccg", "icb"):
            areas["nhs"][f" {normalised_name(name)} "] = code
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    coded = 0
    for index, line in enumerate(lines[1:], start=1):
        row = next(csv.reader([line]))
        if len(row) < 3 or row[2] or row[1] not in areas:
            continue
        name = f" {normalised_name(row[0])} "
        found = [(len(a), code) for a, code in areas[row[1]].items()
                 if (a in name if row[1] != "nhs" else a == name)]
        if found:
            row[2] = max(found)[1]
            lines[index] = _csv_line(row)
            coded += 1
    path.write_text("".join(lines), encoding="utf-8")
    return coded


def _csv_line(row: list[str]) -> str:
    import io
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue()


@cache  # each lookup is read once per build, whatever the number of districts
def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _vintages(folder: Path) -> dict[str, dict[str, str]]:
    """Each district code of any vintage -> its code in each vintage ('16' .. '24')."""
    traced: dict[str, dict[str, str]] = {}
    for row in _rows(folder, "lookup_ltla_ltla.csv"):
        codes = {key[4:6]: value for key, value in row.items() if key.startswith("ltla") and key.endswith("_code")}
        for code in codes.values():
            traced.setdefault(code, codes)
    return traced


def _named(kind: str, name: str) -> str:
    if kind == "police":
        if "," in name:  # 'London, City of'
            place, _, prefix = name.partition(",")
            name = f"{prefix.strip()} {place.strip()}"
        return name if name.endswith("Police") else f"{name} Police"
    if kind == "fire":
        return name if "Authority" in name else f"{name} Fire and Rescue Authority"
    if kind == "county":
        return f"{name} County Council"
    return name


def build(shared_data: Path, out_dir: Path) -> Path:
    """Write data/partners.csv from the lookups in shared_data/geography/lookups."""
    folder = shared_data / LOOKUPS
    traced = _vintages(folder)
    rows: list[list] = []
    for area in sorted(reference.areas().values(), key=lambda a: a.code):
        codes = traced.get(area.code, {})
        for kind, found in _partners_of(folder, area.code, codes):
            for code, name, share, source in found:
                rows.append([area.code, area.name, kind, code, _named(kind, name), repr(share), source])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / PARTNER_FILE
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def _partners_of(folder: Path, district: str, codes: dict[str, str]):
    """(kind, [(code, name, share, source)]) for one district, from each lookup in turn."""
    def pick(name: str, vintage: str, key: str, code: str, label: str, share: str | None = None) -> list:
        wanted = codes.get(vintage, district)
        return [(r[code], r[label], float(r[share]) if share else 1.0, name)
                for r in _rows(folder, name) if r[key] == wanted]

    yield "police", pick("lookup_ltla24_csp24_pfa24.csv", "24", "ltla24_code", "pfa24_code", "pfa24_name")
    fire = pick("lookup_ltla24_fra24.csv", "24", "ltla24_code", "fra24_code", "fra24_name")
    if not fire or fire[0][1].startswith(("E0", "W0")):  # some 2024 rows give a code for a name
        fire = pick("lookup_ltla21_fra21.csv", "21", "ltla21_code", "fra21_code", "fra21_name") or fire
    yield "fire", fire
    county = pick("lookup_ltla21_utla21.csv", "21", "ltla21_code", "utla21_code", "utla21_name") or pick(
        "lookup_ltla23_utla23.csv", "23", "ltla23_code", "utla23_code", "utla23_name")
    yield "county", [c for c in county if c[0].startswith("E10")]  # a county council, not a unitary itself
    yield "ccg", pick("lad21_to_ccg21_stp21_popweighted.csv", "21", "ltla21_code", "ccg21_code", "ccg21_name",
                      "share_of_lad_population")
    icbs: dict[tuple[str, str], float] = defaultdict(float)
    for code, name, share, _ in pick("lad22_to_subicb22_icb22_popweighted.csv", "22", "ltla22_code", "icb22_code",
                                     "icb22_name", "share_of_lad_population"):
        icbs[(code, name)] += share
    yield "icb", [(code, name, share, "lad22_to_subicb22_icb22_popweighted.csv")
                  for (code, name), share in sorted(icbs.items())]


if __name__ == "__main__":
    print(build(Path(sys.argv[1]), Path(sys.argv[2])))
    _table.cache_clear()
    print(f"{code_public_bodies(Path(sys.argv[2]) / 'public_bodies.csv')} rows of public_bodies.csv given a code")
