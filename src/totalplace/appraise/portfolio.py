"""A portfolio: several interventions appraised together as the place's programme.

Every intervention file in the workspace's `interventions/` folder is in the
portfolio, unless `interventions/portfolio.yaml` lists which ones. Two
interventions that name the same `cohort_group` may count the same people twice:
they are flagged. An adjustment is only ever a judgement the partners write down:

    # interventions/portfolio.yaml
    interventions: [family-support, into-work]
    overlaps:
      - interventions: [family-support, into-work]
        keep_benefits: 0.85   # of the second intervention's benefits
        note: "about 15% of into-work's cohort is already in family-support (caseworker estimate)"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import Field

from totalplace.appraise.engine import ZERO, Appraisal
from totalplace.appraise.model import Rate
from totalplace.errors import InputError
from totalplace.inputs import StrictInput, validate

PORTFOLIO_FILE = "portfolio.yaml"


class Overlap(StrictInput):
    interventions: list[str] = Field(min_length=2, max_length=2)
    keep_benefits: Rate
    note: str = Field(min_length=1)


class PortfolioFile(StrictInput):
    name: str = "Programme"
    interventions: list[str] = Field(default_factory=list)
    overlaps: list[Overlap] = Field(default_factory=list)


@dataclass
class AgencyTotal:
    agency: str
    pv_cost: Decimal = ZERO
    pv_benefit: Decimal = ZERO

    @property
    def npv(self) -> Decimal:
        return self.pv_benefit - self.pv_cost


@dataclass
class Portfolio:
    name: str
    appraisals: list[Appraisal]
    flags: list[str] = field(default_factory=list)
    judgements: list[str] = field(default_factory=list)
    keep: dict[str, Decimal] = field(default_factory=dict)   # intervention id -> share of benefits kept

    def by_agency(self) -> list[AgencyTotal]:
        totals: dict[str, AgencyTotal] = {}
        for appraisal in self.appraisals:
            keep = self.keep.get(appraisal.intervention.id, Decimal(1))
            for agency, (cost, benefit) in appraisal.agency_pv().items():
                total = totals.setdefault(agency, AgencyTotal(agency))
                total.pv_cost += cost
                total.pv_benefit += benefit * keep
        return list(totals.values())

    def rows(self) -> list[list]:
        """Per intervention: PV costs, fiscal and public value NPVs (after any judgement)."""
        rows = []
        for appraisal in self.appraisals:
            keep = self.keep.get(appraisal.intervention.id, Decimal(1))
            s = appraisal.summary()
            benefits = (s.pv_fiscal + s.pv_economic + s.pv_social) * keep
            rows.append([appraisal.intervention.id, appraisal.intervention.cohort_group, s.pv_costs,
                         s.pv_fiscal * keep - s.pv_costs, benefits - s.pv_costs,
                         "" if keep == 1 else f"benefits x {keep} (judgement)"])
        return rows


def read_portfolio_file(folder: Path) -> PortfolioFile:
    path = folder / PORTFOLIO_FILE
    if not path.exists():
        return PortfolioFile()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {error}".replace("\n", " ")) from None
    return validate(PortfolioFile, data, str(path), noun="field")


def overlap_flags(appraisals: list[Appraisal]) -> list[str]:
    groups: dict[str, list[str]] = {}
    for appraisal in appraisals:
        if appraisal.intervention.cohort_group:
            groups.setdefault(appraisal.intervention.cohort_group, []).append(appraisal.intervention.id)
    return [f"cohort group {group!r} is counted by {', '.join(ids)}: the same people may be counted twice"
            for group, ids in groups.items() if len(ids) > 1]


def build_portfolio(settings: PortfolioFile, appraisals: list[Appraisal]) -> Portfolio:
    ids = {a.intervention.id for a in appraisals}
    portfolio = Portfolio(settings.name, appraisals, overlap_flags(appraisals))
    for number, overlap in enumerate(settings.overlaps):
        unknown = [i for i in overlap.interventions if i not in ids]
        if unknown:
            raise InputError(f"{PORTFOLIO_FILE}: field overlaps[{number}].interventions: {unknown[0]!r} is not "
                             f"in the portfolio ({', '.join(sorted(ids))})")
        second = overlap.interventions[1]
        portfolio.keep[second] = portfolio.keep.get(second, Decimal(1)) * overlap.keep_benefits
        portfolio.judgements.append(f"JUDGEMENT: {second}'s benefits x {overlap.keep_benefits} for its overlap "
                                    f"with {overlap.interventions[0]}: {overlap.note}")
    return portfolio
