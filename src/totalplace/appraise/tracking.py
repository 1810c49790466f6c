"""Benefit tracking: what was really spent and saved, by agency and year, against the forecast.

Actuals live beside the intervention as `<intervention id>.actuals.csv`, one row per
agency, year and kind:

    year,agency,kind,amount,cashable
    2025-26,bradford-council,spend,1400000,
    2026-27,dwp,saving,250000,yes

The forecast is the appraisal's real-terms money after optimism bias (the figures the
partners approved). Realised cashable savings of local partners feed the early-intervention pot at the
intervention's `tracking.pot_share` (default 5%: NLGN, "Greater than the sum of its
parts", March 2010, chapter 11, "The financial conundrum of early intervention"). A
national body's saving (DWP, HMRC) is not the place's money, so it is not counted.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from totalplace.appraise.engine import ZERO, Appraisal
from totalplace.appraise.model import BenefitKind, Level
from totalplace.errors import InputError

KINDS = ("spend", "saving")
COLUMNS = ("year", "agency", "kind", "amount", "cashable")


@dataclass(frozen=True)
class Actual:
    year: int
    agency: str
    kind: str
    amount: Decimal
    cashable: bool


@dataclass
class Variance:
    agency: str
    year: int
    kind: str
    forecast: Decimal
    actual: Decimal | None
    flag: str

    @property
    def variance(self) -> Decimal | None:
        return None if self.actual is None else self.actual - self.forecast

    @property
    def share(self) -> float | None:
        if self.actual is None or self.forecast == 0:
            return None
        return float((self.actual - self.forecast) / self.forecast)


def actuals_path(intervention_file: Path, intervention_id: str) -> Path:
    return intervention_file.parent / f"{intervention_id}.actuals.csv"


def _year_index(appraisal: Appraisal, label: str, where: str) -> int:
    labels = {appraisal.intervention.year_label(y): y for y in range(appraisal.intervention.horizon)}
    if label.strip() not in labels:
        first, last = appraisal.intervention.year_label(0), appraisal.intervention.year_label(len(labels) - 1)
        raise InputError(f"{where}, column year: {label!r} is not a year of the appraisal ({first} to {last})")
    return labels[label.strip()]


def read_actuals(path: Path, appraisal: Appraisal) -> list[Actual]:
    """The actuals file, checked row by row; a bad row stops the read with its row and column."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS[:4] if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
        rows = []
        for number, row in enumerate(reader, start=2):
            where = f"{path}: row {number}"
            kind = (row["kind"] or "").strip().lower()
            if kind not in KINDS:
                raise InputError(f"{where}, column kind: {row['kind']!r} must be spend or saving")
            agency = (row["agency"] or "").strip()
            if agency not in appraisal.context.agencies:
                raise InputError(f"{where}, column agency: {agency!r} is not an agency of the appraisal")
            try:
                amount = Decimal((row["amount"] or "").replace(",", "").replace("£", "").strip())
            except InvalidOperation:
                raise InputError(f"{where}, column amount: {row['amount']!r} is not an amount") from None
            cashable = (row.get("cashable") or "").strip().lower() in ("yes", "y", "true", "1")
            rows.append(Actual(_year_index(appraisal, row["year"] or "", where), agency, kind, amount, cashable))
    return rows


def forecast(appraisal: Appraisal) -> dict[tuple[str, int, str], Decimal]:
    """(agency, year, spend|saving) -> forecast money, real terms after optimism bias."""
    totals: dict[tuple[str, int, str], Decimal] = {}
    for f in appraisal.flows:
        if f.agency is None or (f.side == "benefit" and f.kind != BenefitKind.fiscal):
            continue
        key = (f.agency, f.year, "spend" if f.side == "cost" else "saving")
        totals[key] = totals.get(key, ZERO) + f.adjusted
    return totals


def _flag(kind: str, share: float | None, actual: Decimal | None, tolerance: float) -> str:
    if actual is None:
        return "not yet reported"
    if share is None:
        return "unforecast" if actual else "on track"
    if abs(share) <= tolerance:
        return "on track"
    if kind == "spend":
        return "overspent" if share > 0 else "underspent"
    return "ahead" if share > 0 else "behind"


def variances(appraisal: Appraisal, actuals: list[Actual]) -> list[Variance]:
    """Forecast against actual for every agency, year and kind up to the latest year reported."""
    planned = forecast(appraisal)
    real: dict[tuple[str, int, str], Decimal] = {}
    for a in actuals:
        real[(a.agency, a.year, a.kind)] = real.get((a.agency, a.year, a.kind), ZERO) + a.amount
    latest = max((a.year for a in actuals), default=-1)
    keys = sorted({k for k in planned if k[1] <= latest} | set(real), key=lambda k: (k[1], k[0], k[2]))
    tolerance = float(appraisal.intervention.tracking.tolerance)
    rows = []
    for key in keys:
        plan, actual = planned.get(key, ZERO), real.get(key)
        row = Variance(key[0], key[1], key[2], plan, actual, "")
        row.flag = _flag(key[2], row.share, actual, tolerance)
        rows.append(row)
    return rows


def early_intervention_pot(appraisal: Appraisal, actuals: list[Actual]) -> dict[int, tuple[Decimal, Decimal]]:
    """Year -> (realised cashable savings of local partners, the pot's share of them)."""
    share = appraisal.intervention.tracking.pot_share
    pot: dict[int, Decimal] = {}
    for a in actuals:
        if a.kind == "saving" and a.cashable and appraisal.context.agencies[a.agency].level == Level.local:
            pot[a.year] = pot.get(a.year, ZERO) + a.amount
    return {year: (saved, saved * share) for year, saved in sorted(pot.items())}
