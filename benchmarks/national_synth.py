"""A synthetic national ledger and cohort, written straight to a Parquet store (a folder per table).

    python benchmarks/national_synth.py OUT --lines 100000000 --people 10000000 --events 200000000

The layout is the one `totalplace store export` writes and the Spark engine
reads: OUT/<table>/part-NNNNN.parquet. Rows are made column-wise with numpy in
chunks (5 million rows by default) and written one file per chunk, so memory
stays bounded whatever the size. Strings that repeat (agencies, labels,
suppliers, years) are Parquet dictionary columns; money is decimal(18,2) made
from exact integer pence, never a float.

Ledger: `--agencies` agencies over `--years` fiscal years, one source file per
agency and year; agencies differ in size (lognormal weights), so the count by
agency is not flat. Each line carries its classification (theme, COFOG, rule)
from its service label, as `totalplace classify` leaves it; about 1 % of lines
pay another agency of the count (a within-count transfer, left out of the count).

Cohort: `--people` people in households of about 2.4, `--events` events over
`--cohort-agencies` agencies and 5 years; events per person are heavy-tailed
(Pareto) and costs lognormal, so a few households carry much of the cost.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MONEY = pa.decimal128(18, 2)
TOTAL = pa.decimal128(38, 2)
CHUNK = 5_000_000
LINE_ID_FACTOR = 100_000_000  # store.schema: line_id = file_id * 100000000 + row_number
FIRST_YEAR = 2015
COHORT_YEARS = 5
THEMES = ["Children and families", "Older people and adult social care", "Health and public health",
          "Drugs and alcohol", "Community safety", "Housing", "Worklessness and benefits",
          "Learning and skills", "Transport", "Environment and waste", "Culture and leisure",
          "Corporate and democratic core", "Capital and assets", "Economic development"]
COFOG = ["10.4", "10.2", "07.4", "07.6", "03.1", "06.1", "10.5", "09.1", "04.5", "05.1", "08.1",
         "01.1", "01.3", "04.1"]
AGENCY_KINDS = ["council", "nhs", "police", "fire", "probation", "housing", "school", "other_public"]
TRANSFER_KINDS = ["NHS body", "Local authority", "Police", "Central government"]
COHORT_AGENCIES = ["childrens-social-care", "adult-social-care", "nhs-trust", "police", "probation",
                   "housing", "dwp", "youth-justice"]
COHORT_KINDS = ["contact", "appointment", "assessment", "payment", "referral"]
COHORT_KIND_P = [0.40, 0.25, 0.12, 0.13, 0.10]


@dataclass(frozen=True)
class Sizes:
    lines: int
    agencies: int
    years: int
    people: int
    events: int
    cohort_agencies: int
    chunk: int
    seed: int


def fiscal_year(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def days_since_epoch(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def year_starts(first: int, years: int) -> np.ndarray:
    """Days since 1970 of each fiscal year's 1 April."""
    return np.array([days_since_epoch(date(first + y, 4, 1)) for y in range(years)], dtype=np.int64)


def money(pence: np.ndarray, kind: pa.DataType = MONEY) -> pa.Array:
    """Exact decimals from integer pence: the 128-bit two's complement written directly (no float on the way)."""
    words = np.empty((len(pence), 2), dtype=np.int64)
    words[:, 0] = pence
    words[:, 1] = np.where(pence < 0, -1, 0)  # the high word sign-extends the low one
    return pa.Array.from_buffers(kind, len(pence), [None, pa.py_buffer(words.tobytes())])


def dictionary(indices: np.ndarray, values: list[str], mask: np.ndarray | None = None) -> pa.Array:
    """A string column as Parquet's dictionary encoding keeps it: small codes into a list of values."""
    codes = pa.array(indices.astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(codes, pa.array(values, pa.string()))


def write(table: pa.Table, folder: Path, part: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / f"part-{part:05d}.parquet", compression="snappy", row_group_size=1_000_000)


def mix(ids: np.ndarray, salt: int) -> np.ndarray:
    """A pseudonym-like int64 for each id: a bijective multiply-xorshift, as a keyed hash would scatter them."""
    with np.errstate(over="ignore"):
        x = ids.astype(np.uint64) + np.uint64(salt)
        x *= np.uint64(0x9E3779B97F4A7C15)
        x ^= x >> np.uint64(31)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(29)
    return x.view(np.int64)


# ---- the ledger ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ledger:
    """The fixed parts of the ledger: agencies, source files (one per agency and year), label pools."""

    agency_ids: list[str]
    years: list[str]
    file_offsets: np.ndarray   # first global row of each source file; one extra entry: the total
    suppliers: list[str]
    services: list[str]
    service_theme: np.ndarray  # index into THEMES (or -1: unclassified) for each service label
    expenses: list[str]


def plan_ledger(sizes: Sizes, rng: np.random.Generator) -> Ledger:
    agency_ids = [f"{AGENCY_KINDS[i % len(AGENCY_KINDS)]}-{i:03d}" for i in range(sizes.agencies)]
    years = [fiscal_year(FIRST_YEAR + y) for y in range(sizes.years)]
    # Big and small agencies (lognormal), each growing about 3 % a year.
    weight = np.repeat(rng.lognormal(0, 1, sizes.agencies), sizes.years) * np.tile(1.03 ** np.arange(sizes.years),
                                                                                    sizes.agencies)
    per_file = np.floor(weight / weight.sum() * sizes.lines).astype(np.int64)
    per_file[: sizes.lines - per_file.sum()] += 1  # the rounding's remainder, one line each
    offsets = np.concatenate([[0], np.cumsum(per_file)])
    services = [f"Service {i:03d}" for i in range(400)]
    service_theme = rng.integers(-1, len(THEMES), len(services))  # -1: no rule covers it (about 7 %)
    suppliers = [f"Supplier {i:05d} {'Ltd' if i % 3 else 'plc'}" for i in range(50_000)]
    expenses = [f"Expense type {i:02d}" for i in range(60)]
    return Ledger(agency_ids, years, offsets, suppliers, services, service_theme, expenses)


def ledger_chunk(ledger: Ledger, start: int, stop: int,
                 rng: np.random.Generator) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Spend lines start..stop-1 (global row numbers), every column of store.schema's spend_line;
    with each line's source file index and pence (for source_file's totals)."""
    n = stop - start
    g = np.arange(start, stop, dtype=np.int64)
    file_index = np.searchsorted(ledger.file_offsets, g, side="right") - 1
    row_number = g - ledger.file_offsets[file_index] + 1
    n_years = len(ledger.years)
    agency, year = file_index // n_years, file_index % n_years
    day = year_starts(FIRST_YEAR, n_years)[year] + rng.integers(0, 365, n)
    pence = np.round(rng.lognormal(np.log(150_000), 1.3, n)).astype(np.int64)  # median £1,500
    pence[rng.random(n) < 0.01] *= -1  # refunds and corrections
    service = rng.integers(0, len(ledger.services), n)
    theme = ledger.service_theme[service]
    unclassified = theme < 0
    supplier = np.minimum(rng.zipf(1.3, n) - 1, len(ledger.suppliers) - 1)  # a few suppliers take most lines
    transfer = rng.random(n)
    is_transfer = transfer < 0.04
    within = transfer < 0.01  # paid to another agency of the count
    counterpart = (agency + 1 + rng.integers(0, len(ledger.agency_ids) - 1, n)) % len(ledger.agency_ids)
    file_id = (file_index + 1).astype(np.int32)
    expense = rng.integers(0, len(ledger.expenses), n)
    return pa.table({
        "line_id": pa.array(file_id.astype(np.int64) * LINE_ID_FACTOR + row_number),
        "file_id": pa.array(file_id),
        "row_number": pa.array(row_number),
        "agency_id": dictionary(agency, ledger.agency_ids),
        "body_name": dictionary(agency, [f"Agency {a}" for a in ledger.agency_ids]),
        "service_code": dictionary(service, [f"S{i:03d}" for i in range(len(ledger.services))]),
        "service_label": dictionary(service, ledger.services),
        "service_division": dictionary(service // 40, [f"Division {i}" for i in range(10)]),
        "expense_code": dictionary(expense, [f"E{i:02d}" for i in range(len(ledger.expenses))]),
        "expense_category": dictionary(expense // 10, [f"Category {i}" for i in range(6)]),
        "expense_type": dictionary(expense, ledger.expenses),
        "payment_date": pa.array(day.astype(np.int32), pa.int32()).cast(pa.date32()),
        "fiscal_year": dictionary(year, ledger.years),
        "amount": money(pence),
        "supplier_name": dictionary(supplier, ledger.suppliers),
        "supplier_id": dictionary(supplier, [f"SUP{i:05d}" for i in range(len(ledger.suppliers))]),
        "transaction_ref": pa.nulls(n, pa.string()),
        "capital_revenue": dictionary((rng.random(n) < 0.1).astype(np.int32), ["Revenue", "Capital"]),
        "theme": dictionary(np.maximum(theme, 0), THEMES, mask=unclassified),
        "cofog": dictionary(np.maximum(theme, 0), COFOG, mask=unclassified),
        "rule_id": dictionary(service, [f"rule-{i:03d}" for i in range(len(ledger.services))], mask=unclassified),
        "transfer_kind": dictionary(service % len(TRANSFER_KINDS), TRANSFER_KINDS, mask=~is_transfer),
        "transfer_rule": dictionary(service % len(TRANSFER_KINDS), [f"public_bodies:{k}" for k in TRANSFER_KINDS],
                                    mask=~is_transfer),
        "counterpart_agency": dictionary(counterpart, ledger.agency_ids, mask=~within),
    }), file_index, pence


def write_ledger(out: Path, sizes: Sizes) -> dict:
    """spend_line in chunks, then source_file (with each file's exact rows and money), agency and place."""
    ledger = plan_ledger(sizes, np.random.default_rng(sizes.seed))
    n_files = len(ledger.file_offsets) - 1
    money_by_file = np.zeros(n_files, dtype=np.int64)  # exact pence: at most 1e18 per file, far above any sum here
    for part, start in enumerate(range(0, sizes.lines, sizes.chunk)):
        stop = min(start + sizes.chunk, sizes.lines)
        table, file_index, pence = ledger_chunk(ledger, start, stop, np.random.default_rng([sizes.seed, 1, part]))
        # Rows of one file are contiguous: each file's money is a sum over one run of rows.
        first = np.flatnonzero(np.r_[True, file_index[1:] != file_index[:-1]])
        money_by_file[file_index[first]] += np.add.reduceat(pence, first)
        write(table, out / "spend_line", part)
        del table
    write(source_files(ledger, money_by_file), out / "source_file", 0)
    write(agencies(ledger.agency_ids), out / "agency", 0)
    write(pa.table({"name": ["England (synthetic)"], "areas": pa.array([["E92000001"]], pa.list_(pa.string())),
                    "region": ["England"]}), out / "place", 0)
    return {"lines": sizes.lines, "source_files": n_files, "money_pence": int(money_by_file.sum())}


def source_files(ledger: Ledger, money_by_file: np.ndarray) -> pa.Table:
    n_years = len(ledger.years)
    n = len(money_by_file)
    index = np.arange(n)
    rows = np.diff(ledger.file_offsets)
    year_start = [date(FIRST_YEAR + i % n_years, 4, 1) for i in range(n)]
    year_end = [date(FIRST_YEAR + i % n_years + 1, 3, 1) for i in range(n)]
    return pa.table({
        "file_id": pa.array((index + 1).astype(np.int32)),
        "agency_id": [ledger.agency_ids[i // n_years] for i in range(n)],
        "path": [f"agencies/{ledger.agency_ids[i // n_years]}/{ledger.years[i % n_years]}.csv" for i in range(n)],
        "sha256": [f"{i:064x}" for i in range(n)],
        "format": ["csv"] * n, "encoding": ["utf-8"] * n, "sheet": pa.nulls(n, pa.string()),
        "header_row": pa.array(np.ones(n, dtype=np.int32)),
        "mapping": [json.dumps({"amount": "Amount", "date": "Date"})] * n,
        "mapping_reasons": [json.dumps({"amount": "synthetic"})] * n,
        "unused_headers": pa.array([[] for _ in range(n)], pa.list_(pa.string())),
        "rows_read": pa.array(rows), "rows_loaded": pa.array(rows),
        "rows_rejected": pa.array(np.zeros(n, np.int64)), "blank_rows": pa.array(np.zeros(n, np.int64)),
        "money_read": money(money_by_file, TOTAL), "money_loaded": money(money_by_file, TOTAL),
        "money_rejected": money(np.zeros(n, np.int64), TOTAL),
        "period_start": pa.array(year_start, pa.date32()), "period_end": pa.array(year_end, pa.date32()),
        "loaded_at": pa.array([datetime(2025, 6, 1)] * n, pa.timestamp("us")),
    })


def agencies(agency_ids: list[str]) -> pa.Table:
    return pa.table({
        "agency_id": agency_ids,
        "name": [f"Agency {a}" for a in agency_ids],
        "kind": [a.rsplit("-", 1)[0] for a in agency_ids],
        "area": ["E92000001"] * len(agency_ids),
        "aliases": pa.array([[] for _ in agency_ids], pa.list_(pa.string())),
    })


# ---- the cohort ----------------------------------------------------------------------------------

def events_per_person(sizes: Sizes, rng: np.random.Generator) -> np.ndarray:
    """Each person's number of events: at least one, the rest Pareto-distributed (a heavy tail)."""
    weight = rng.pareto(1.2, sizes.people)
    extra = np.floor(weight / weight.sum() * (sizes.events - sizes.people)).astype(np.int64)
    extra[: sizes.events - sizes.people - extra.sum()] += 1
    return 1 + extra


def scatter_step(events: int) -> int:
    """A multiplier coprime to the number of events, so g -> g * step mod E visits every slot once."""
    step = 2_654_435_761 % events or 1
    while np.gcd(step, events) != 1:
        step += 1
    return step


def cohort_chunk(offsets: np.ndarray, sizes: Sizes, start: int, stop: int, rng: np.random.Generator) -> pa.Table:
    """Events start..stop-1. Event g belongs to the person whose run holds (g * step) mod E, so one
    person's events are scattered over the files as they would be across agencies and years."""
    n = stop - start
    g = np.arange(start, stop, dtype=np.int64)
    slot = (g * scatter_step(sizes.events)) % sizes.events  # g, step < E < 3e9: the product fits in int64
    person_index = np.searchsorted(offsets, slot, side="right") - 1
    household_index = (person_index * 5) // 12  # households of about 2.4 people
    household = mix(household_index, 7)
    missing = rng.random(n) < 0.3  # many agencies' files name no household
    moved = rng.random(n) < 0.02  # a few events name another household (the link takes the most usual one)
    household = np.where(moved, mix(household_index + 1, 7), household)
    agency = rng.integers(0, sizes.cohort_agencies, n)
    year = rng.integers(0, COHORT_YEARS, n)
    first_cohort_year = FIRST_YEAR + max(0, sizes.years - COHORT_YEARS)
    day = year_starts(first_cohort_year, COHORT_YEARS)[year] + rng.integers(0, 365, n)
    kind = rng.choice(len(COHORT_KINDS), n, p=COHORT_KIND_P)
    service = agency * 6 + rng.integers(0, 6, n)
    pence = np.round(rng.lognormal(np.log(9_000), 1.4, n)).astype(np.int64)  # median £90, a long tail
    years = [fiscal_year(first_cohort_year + y) for y in range(COHORT_YEARS)]
    services = [f"{a} {s}" for a in COHORT_AGENCIES[: sizes.cohort_agencies]
                for s in ("contact", "assessment", "support", "visit", "placement", "review")]
    return pa.table({
        "file_id": pa.array((agency * COHORT_YEARS + year + 1).astype(np.int32)),
        "row_number": pa.array(g + 1),
        "person": pa.array(mix(person_index, 3)),
        "household": pa.array(household, mask=missing),
        "event_date": pa.array(day.astype(np.int32), pa.int32()).cast(pa.date32()),
        "fiscal_year": dictionary(year, years),
        "agency_id": dictionary(agency, COHORT_AGENCIES[: sizes.cohort_agencies]),
        "service": dictionary(service, services),
        "kind": dictionary(kind, COHORT_KINDS),
        "unit_cost_code": pa.nulls(n, pa.string()),
        "units": pa.nulls(n, pa.decimal128(18, 4)),
        "price_year": pa.nulls(n, pa.string()),
        "cost": money(pence),
    })


def write_cohort(out: Path, sizes: Sizes) -> dict:
    counts = events_per_person(sizes, np.random.default_rng([sizes.seed, 2]))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    del counts
    for part, start in enumerate(range(0, sizes.events, sizes.chunk)):
        stop = min(start + sizes.chunk, sizes.events)
        write(cohort_chunk(offsets, sizes, start, stop, np.random.default_rng([sizes.seed, 3, part])),
              out / "cohort_event", part)
    return {"people": sizes.people, "events": sizes.events}


def generate(out: Path, sizes: Sizes) -> dict:
    started = time.perf_counter()
    made = {}
    if sizes.lines:
        made |= write_ledger(out, sizes)
    if sizes.events:
        made |= write_cohort(out, sizes)
    return made | {"seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=100_000_000)
    parser.add_argument("--agencies", type=int, default=300)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--people", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=200_000_000)
    parser.add_argument("--cohort-agencies", type=int, default=6)
    parser.add_argument("--chunk", type=int, default=CHUNK)
    parser.add_argument("--seed", type=int, default=8)
    a = parser.parse_args()
    if a.events >= 3_000_000_000:
        parser.error("--events must be under 3 billion (the scatter's products must fit in int64)")
    sizes = Sizes(a.lines, a.agencies, a.years, a.people, a.events, a.cohort_agencies, a.chunk, a.seed)
    print(json.dumps(generate(a.out, sizes)))


if __name__ == "__main__":
    main()
