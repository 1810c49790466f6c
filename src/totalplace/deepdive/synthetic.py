"""Synthetic person-level cohorts: made-up people in real-looking households, for demos, tests and scale runs.

Nothing here describes a real person. Every cohort is written with a
`SYNTHETIC.txt` marker in the cohort folder, and outputs made from it say so.

The model, chosen to reproduce what the Total Place pilots found (a few
families using most of the resources):
- households of 1 to 6 people (sizes in roughly the shares of English households);
- each household has a level of need drawn from a Pareto distribution, and each
  person a lognormal share of it: needs cluster in families and are heavy-tailed;
- each agency is in contact with a person in a year with a chance that grows
  with need (most see the NHS, few the police); a person in contact has 1 +
  Poisson events, with a mean that grows with need; the chance that an event is one of the agency's costly services
  (residential care, custody, an inpatient stay) grows with need too;
- each event's cost is lognormal around an illustrative unit cost (not an
  official figure);
- the shared person number is a valid NHS number (its modulus 11 check digit
  right), and agencies write it their own way: the NHS in a column headed
  'NHS number' with spaces ('900 000 0018'), the police with dashes
  ('900-000-0018'), the others as plain digits; only council, housing and DWP
  files carry a household id, the housing office's in lower case with a dash
  ('hh-0000020'), so households link through them once identifiers are normalised;
- Universal Credit is a payment to the person (kind 'benefit'), not the cost of a service.
The same seed gives the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from totalplace.errors import InputError

MARKER = "SYNTHETIC.txt"
HOUSEHOLD_SIZES = np.array([0.29, 0.34, 0.16, 0.14, 0.05, 0.02])  # 1..6 people
NHS_STEM_BASE = 900_000_000  # the first nine digits of the first person's number; the tenth is the check digit
MAX_ROWS_PER_FILE = 2_000_000
NEED_CAP = 12.0  # events grow with need up to here: nobody is seen every hour


@dataclass(frozen=True)
class Service:
    name: str
    kind: str
    unit_cost: float  # illustrative £ per event
    weight: float     # how common, at average need
    need_power: float  # >0: more likely the higher a person's need


@dataclass(frozen=True)
class SynthAgency:
    id: str
    reach: float              # chance of contact in a year at average need is 1 - exp(-reach)
    events_per_contact: float  # further events in the year of a person in contact, at average need
    records_household: bool
    id_form: str               # how the person number is written: plain, spaced or dashed
    services: tuple[Service, ...]
    id_header: str = "person id"
    household_form: str = "plain"  # or lower-dashed: 'hh-0000020'


AGENCIES: tuple[SynthAgency, ...] = (
    SynthAgency("council-social-care", 0.25, 8.0, True, "plain", (
        Service("Care Act assessment", "assessment", 350, 0.15, 0.5),
        Service("Home care visit", "appointment", 45, 0.6, 0.3),
        Service("Children's social work visit", "appointment", 120, 0.2, 0.6),
        Service("Residential care week", "payment", 850, 0.05, 1.2),
    )),
    SynthAgency("nhs", 1.8, 6.0, False, "spaced", (
        Service("GP appointment", "appointment", 42, 0.6, 0.0),
        Service("A&E attendance", "contact", 250, 0.2, 0.6),
        Service("Mental health assessment", "assessment", 300, 0.1, 0.7),
        Service("Inpatient day", "appointment", 450, 0.1, 1.2),
    ), id_header="NHS number"),
    SynthAgency("police", 0.15, 2.0, False, "dashed", (
        Service("Call for service", "contact", 90, 0.7, 0.5),
        Service("Vulnerability assessment", "assessment", 150, 0.2, 0.8),
        Service("Arrest and custody", "contact", 1800, 0.1, 1.3),
    )),
    SynthAgency("dwp", 0.5, 12.0, True, "plain", (
        Service("Universal Credit payment", "benefit", 400, 0.8, 0.2),
        Service("Work capability assessment", "assessment", 200, 0.1, 0.6),
        Service("Jobcentre appointment", "appointment", 30, 0.1, 0.0),
    )),
    SynthAgency("housing", 0.3, 4.0, True, "plain", (
        Service("Housing needs assessment", "assessment", 180, 0.2, 0.6),
        Service("Tenancy support visit", "appointment", 60, 0.6, 0.3),
        Service("Temporary accommodation night", "payment", 70, 0.2, 1.2),
    ), household_form="lower-dashed"),
)


@dataclass
class SynthResult:
    people: int
    households: int
    events: int
    files: list[Path]


def fiscal_year_start(year: str) -> date:
    try:
        return date(int(year[:4]), 4, 1)
    except ValueError:
        raise InputError(f"fiscal year {year!r} must look like 2023-24") from None


def generate(cohort_dir: Path, people: int, years: list[str], seed: int = 1,
             events_per_person: float = 20.0, agencies: int = len(AGENCIES)) -> SynthResult:
    """Write a synthetic cohort's event files under cohort_dir/<agency>/, one or more per year."""
    if people < 1:
        raise InputError("a synthetic cohort needs at least one person")
    if not 1 <= agencies <= len(AGENCIES):
        raise InputError(f"--agencies must be between 1 and {len(AGENCIES)}")
    rng = np.random.default_rng(seed)
    household_of, need = _households(rng, people)
    numbers = nhs_numbers(people)
    chosen = AGENCIES[:agencies]
    contact = {a.id: 1 - np.exp(-a.reach * need) for a in chosen}
    scale = _events_scale(chosen, contact, need, events_per_person)
    files: list[Path] = []
    events = 0
    for year in years:
        start = np.datetime64(fiscal_year_start(year))
        in_contact = _contacts(rng, chosen, contact)
        for agency in chosen:
            table = _agency_events(rng, agency, household_of, need, in_contact[agency.id], scale, start, numbers)
            events += table.num_rows
            files += _write(cohort_dir / agency.id, year, table)
    _write_marker(cohort_dir, people, int(household_of.max()) + 1, years, seed, events_per_person, chosen)
    return SynthResult(people, int(household_of.max()) + 1, events, files)


def _households(rng: np.random.Generator, people: int) -> tuple[np.ndarray, np.ndarray]:
    """Each person's household number, and each person's need (mean about 1, heavy-tailed)."""
    sizes = rng.choice(np.arange(1, 7), size=people, p=HOUSEHOLD_SIZES / HOUSEHOLD_SIZES.sum())
    ends = np.cumsum(sizes)
    sizes = sizes[: np.searchsorted(ends, people) + 1]
    household_of = np.repeat(np.arange(len(sizes)), sizes)[:people]
    household_need = (rng.pareto(1.6, size=len(sizes)) + 1) * 0.4  # Pareto (Lomax + 1): mean 1.07
    person_share = rng.lognormal(mean=-0.3, sigma=0.8, size=people)
    return household_of, household_need[household_of] * person_share


def _events_scale(agencies: tuple[SynthAgency, ...], contact: dict[str, np.ndarray], need: np.ndarray,
                  events_per_person: float) -> float:
    """The factor on every agency's events per contact that makes the mean events per person the one asked.

    A person in contact has 1 + Poisson(scale * events_per_contact * need) events, so the
    mean is linear in scale: sum(P(contact)) + scale * sum(P(contact) * events_per_contact * need).
    """
    capped = np.minimum(need, NEED_CAP)
    first = sum(contact[a.id].mean() for a in agencies)
    further = sum((contact[a.id] * a.events_per_contact * capped).mean() for a in agencies)
    return max(0.0, (events_per_person - first) / further)


def _contacts(rng, agencies: tuple[SynthAgency, ...], contact: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Who each agency sees in a year; everyone is in the cohort, so a person no agency saw sees the widest-reaching."""
    seen = {a.id: rng.random(len(p)) < p for a, p in zip(agencies, contact.values())}
    nobody = ~np.any(np.stack(list(seen.values())), axis=0)
    widest = max(agencies, key=lambda a: a.reach).id
    seen[widest] |= nobody
    return seen


def _agency_events(rng, agency: SynthAgency, household_of: np.ndarray, need: np.ndarray, in_contact: np.ndarray,
                   scale: float, start: np.datetime64, numbers: np.ndarray) -> pa.Table:
    further = rng.poisson(scale * agency.events_per_contact * np.minimum(need, NEED_CAP))
    counts = np.where(in_contact, 1 + further, 0)
    person = np.repeat(np.arange(len(need)), counts)
    event_need = need[person]
    weights = np.stack([s.weight * event_need ** s.need_power for s in agency.services], axis=1)
    cumulative = np.cumsum(weights, axis=1)
    draw = rng.random(len(person)) * cumulative[:, -1]
    service = (cumulative < draw[:, None]).sum(axis=1)
    unit = np.array([s.unit_cost for s in agency.services])[service]
    pence = np.maximum(1, np.round(unit * rng.lognormal(0, 0.35, len(person)) * 100)).astype(np.int64)
    days = rng.integers(0, 365, len(person))
    order = np.lexsort((person, days))
    return pa.table({
        agency.id_header: _person_numbers(person[order], numbers, agency.id_form),
        **({"household id": _household_numbers(household_of[person[order]], agency.household_form)}
           if agency.records_household else {}),
        "date": pa.array(start + days[order].astype("timedelta64[D]"), pa.date32()),
        "service": _names([s.name for s in agency.services], service[order]),
        "kind": _names([s.kind for s in agency.services], service[order]),
        "cost": pa.array(pence[order] / 100, pa.float64()),  # shortest text of pence/100 has at most 2 decimals
    })


def nhs_numbers(count: int) -> np.ndarray:
    """The first `count` valid NHS numbers from NHS_STEM_BASE, seven stems apart (a stem whose check digit
    would be 10 has no valid number and is skipped)."""
    stems = NHS_STEM_BASE + 7 * np.arange(count + count // 5 + 20, dtype=np.int64)  # 1 in 11 has no number
    weighted = sum(stems // 10 ** (weight - 2) % 10 * weight for weight in range(10, 1, -1))  # weight 10: the first
    check = (11 - weighted % 11) % 11
    keep = check != 10
    return (stems[keep] * 10 + check[keep])[:count]


def _person_numbers(person: np.ndarray, numbers: np.ndarray, form: str) -> pa.Array:
    """Each person's NHS number, written as the agency writes it: '9000000018', '900 000 0018' or '900-000-0018'."""
    separator = {"plain": "", "spaced": " ", "dashed": "-"}[form]

    def text(p: int) -> str:
        digits = str(numbers[p])
        return f"{digits[:3]}{separator}{digits[3:6]}{separator}{digits[6:]}"
    return _labels(person, text)


def _household_numbers(household: np.ndarray, form: str) -> pa.Array:
    return _labels(household, (lambda h: f"hh-{h:07d}") if form == "lower-dashed" else (lambda h: f"HH{h:07d}"))


def _labels(numbers: np.ndarray, text) -> pa.Array:
    """Text for each number, made once per distinct number."""
    unique, inverse = np.unique(numbers, return_inverse=True)
    return pa.array([text(int(n)) for n in unique]).take(pa.array(inverse))


def _names(options: list[str], index: np.ndarray) -> pa.Array:
    return pa.array(options).take(pa.array(index))


def _write(folder: Path, year: str, table: pa.Table) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    parts = max(1, -(-table.num_rows // MAX_ROWS_PER_FILE))
    written = []
    for part in range(parts):
        name = f"events-{year}.csv" if parts == 1 else f"events-{year}-part{part + 1:02d}.csv"
        path = folder / name
        chunk = table.slice(part * MAX_ROWS_PER_FILE, MAX_ROWS_PER_FILE)
        pacsv.write_csv(chunk, path, pacsv.WriteOptions(quoting_style="needed"))
        written.append(path)
    return written


def _write_marker(cohort_dir: Path, people: int, households: int, years: list[str], seed: int,
                  events_per_person: float, agencies: tuple[SynthAgency, ...]) -> None:
    (cohort_dir / MARKER).write_text(
        "SYNTHETIC COHORT: made-up people generated by `totalplace cohort synth`; no real person is described.\n"
        f"people={people} households={households} years={','.join(years)} seed={seed} "
        f"events_per_person={events_per_person} agencies={','.join(a.id for a in agencies)}\n"
        "Costs are illustrative unit costs with random variation, not official figures.\n",
        encoding="utf-8",
    )


def is_synthetic(cohort_dir: Path) -> bool:
    return (cohort_dir / MARKER).exists()
