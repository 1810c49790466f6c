"""The deterministic appraisal, in exact decimals: cash flows by agency and year, then the measures.

For each outcome line (the working is in docs/appraisal.md and the tests):

    people   = cohort x engagement x success x (1 - deadweight) x (1 - displacement) x attribution
    year y   : benefit = people x unit value x quantity x (1 - drop_off) ** (y - lag)   for lag <= y < lag + duration
    adjusted = benefit x (1 - optimism bias of its confidence grade)
    PV       = adjusted x discount factor (standard or health schedule)

and for each cost line: adjusted = amount x (1 + optimism bias), PV = adjusted x standard factor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from totalplace.appraise.model import (
    DEFAULT_BEARERS, NATIONAL_BODIES, BenefitKind, CostKind, Intervention, Level, Outcome, Partner,
)
from totalplace.appraise.rates import (
    DiscountSchedule, OptimismGrade, load_discount_schedules, load_optimism_bias,
)
from totalplace.errors import InputError

GLOBAL_KEYS = ("cohort", "engagement", "success", "deadweight", "displacement", "attribution", "lag",
               "drop_off", "cost_multiplier")
OUTCOME_FIELDS = ("unit_value", "success", "deadweight", "displacement", "attribution", "lag", "drop_off")
RATE_FIELDS = ("engagement", "success", "deadweight", "displacement", "attribution", "drop_off")
ZERO = Decimal(0)



@dataclass(frozen=True)
class LibraryValue:
    """A unit cost from the library, in the appraisal's prices: its value, where it comes from, who bears it."""
    value: Decimal
    source: str
    bearer: str | None = None  # the library's bearing agency, e.g. 'Police'
    code: str = ""


UnitValue = Callable[[str, str], LibraryValue]  # (code, price year) -> the value and who bears it


@dataclass(frozen=True)
class Context:
    """What an appraisal needs besides the intervention: agencies, rate tables, the unit cost library."""
    agencies: dict[str, Partner]
    schedules: dict[str, DiscountSchedule]
    optimism: dict[int, OptimismGrade]
    unit_value: UnitValue

    def optimism_for(self, grade: int, where: str) -> Decimal:
        if grade not in self.optimism:
            raise InputError(f"{where}: confidence grade {grade} is not in the optimism bias table "
                             f"(grades {', '.join(map(str, sorted(self.optimism)))})")
        return self.optimism[grade].adjustment


def no_library(code: str, price_year: str) -> LibraryValue:
    raise InputError(f"unit cost {code!r}: no unit cost library is available (give unit_value instead)")


def make_context(intervention: Intervention, workspace=None, unit_value: UnitValue | None = None) -> Context:
    """Agencies are the workspace's, the intervention's own partners, and the national bodies."""
    agencies: dict[str, Partner] = {p.id: p for p in NATIONAL_BODIES}
    if workspace is not None:
        for agency in workspace.settings.agencies:
            agencies[agency.id] = Partner(id=agency.id, name=agency.name, level=Level.local)
    for partner in intervention.agencies:
        agencies[partner.id] = partner
    if unit_value is None:
        from totalplace.appraise.unit_values import library_unit_value
        unit_value = library_unit_value(workspace)
    return Context(agencies, load_discount_schedules(workspace), load_optimism_bias(workspace), unit_value)


@dataclass(frozen=True)
class OutcomeTerms:
    """An outcome line with every default filled in, its unit value resolved and the agency that gains placed."""
    outcome: Outcome
    unit_value: Decimal
    value_source: str
    agency: str | None  # the budget a fiscal outcome lands in (None: economic and social value)
    agency_from: str    # how it was placed: stated in the file, or the unit cost's bearing agency
    success: Decimal
    deadweight: Decimal
    displacement: Decimal
    attribution: Decimal
    lag: int
    drop_off: Decimal
    duration: int | None
    grade: int
    optimism: Decimal
    schedule: str
    people: Decimal

    def persistence(self, year: int) -> Decimal:
        """Share of the first year's benefit still there in `year` (0 before the lag and after the duration)."""
        if year < self.lag or (self.duration is not None and year >= self.lag + self.duration):
            return ZERO
        return (1 - self.drop_off) ** (year - self.lag)


@dataclass(frozen=True)
class Flow:
    """One line of money in one year: a cost an agency bears or a benefit someone gains."""
    year: int
    side: str                   # "cost" or "benefit"
    kind: str                   # capital | revenue | in_kind | fiscal | economic | social
    agency: str | None          # None for economic and social benefits (no budget holds them)
    cashable: bool
    line: str                   # the input line it comes from: costs[i] or the outcome id
    amount: Decimal             # real terms, before optimism bias
    adjusted: Decimal           # after optimism bias
    factor: Decimal             # discount factor for the year

    @property
    def pv(self) -> Decimal:
        return self.adjusted * self.factor


@dataclass
class Summary:
    pv_costs: Decimal
    pv_cash_costs: Decimal
    pv_fiscal: Decimal
    pv_cashable: Decimal
    pv_economic: Decimal
    pv_social: Decimal
    net_present_budget_impact: Decimal
    fiscal_npv: Decimal
    public_value_npv: Decimal
    bcr: Decimal | None
    net_bcr: Decimal | None
    fiscal_bcr: Decimal | None
    financial_roi: Decimal | None
    payback_year: int | None
    cashable_share: Decimal | None


@dataclass
class Appraisal:
    intervention: Intervention
    context: Context
    terms: list[OutcomeTerms]
    flows: list[Flow]
    overrides: dict[str, Decimal] = field(default_factory=dict)

    def pv(self, side: str, kinds: Iterable[str] | None = None, agency: str | None = None,
           cashable: bool | None = None) -> Decimal:
        kinds = set(kinds) if kinds is not None else None
        return sum((f.pv for f in self.flows if f.side == side and (kinds is None or f.kind in kinds)
                    and (agency is None or f.agency == agency) and (cashable is None or f.cashable == cashable)),
                   ZERO)

    @property
    def partners(self) -> list[str]:
        """Agencies that bear a cost or gain a fiscal benefit, local first then national."""
        used = {f.agency for f in self.flows if f.agency is not None}
        return sorted(used, key=lambda a: (self.context.agencies[a].level != Level.local, a))

    def agency_pv(self) -> dict[str, tuple[Decimal, Decimal]]:
        """Each partner's (PV cost, PV fiscal benefit)."""
        totals: dict[str, list[Decimal]] = {a: [ZERO, ZERO] for a in self.partners}
        for f in self.flows:
            if f.agency is not None:
                totals[f.agency][0 if f.side == "cost" else 1] += f.pv
        return {a: (c, b) for a, (c, b) in totals.items()}

    def agency_npv(self) -> dict[str, Decimal]:
        return {a: b - c for a, (c, b) in self.agency_pv().items()}

    def cash_flow(self, discounted: bool = False) -> dict[str, list[Decimal]]:
        """Each partner's net money (fiscal benefit minus cost) in each year, real terms after optimism bias."""
        years = self.intervention.horizon
        flows = {a: [ZERO] * years for a in self.partners}
        for f in self.flows:
            if f.agency is not None:
                value = f.pv if discounted else f.adjusted
                flows[f.agency][f.year] += value if f.side == "benefit" else -value
        return flows

    def summary(self) -> Summary:
        pv_costs = self.pv("cost")
        pv_cash_costs = self.pv("cost", (CostKind.capital, CostKind.revenue))
        pv_fiscal = self.pv("benefit", (BenefitKind.fiscal,))
        pv_cashable = self.pv("benefit", (BenefitKind.fiscal,), cashable=True)
        pv_economic = self.pv("benefit", (BenefitKind.economic,))
        pv_social = self.pv("benefit", (BenefitKind.social,))
        all_benefits = pv_fiscal + pv_economic + pv_social
        return Summary(
            pv_costs=pv_costs, pv_cash_costs=pv_cash_costs, pv_fiscal=pv_fiscal, pv_cashable=pv_cashable,
            pv_economic=pv_economic, pv_social=pv_social,
            net_present_budget_impact=pv_cashable - pv_cash_costs,
            fiscal_npv=pv_fiscal - pv_costs,
            public_value_npv=all_benefits - pv_costs,
            bcr=all_benefits / pv_costs if pv_costs else None,
            net_bcr=(all_benefits - pv_costs) / pv_costs if pv_costs else None,
            fiscal_bcr=pv_fiscal / pv_costs if pv_costs else None,
            financial_roi=(pv_fiscal - pv_costs) / pv_costs if pv_costs else None,
            payback_year=self.payback_year(),
            cashable_share=pv_cashable / pv_fiscal if pv_fiscal else None,
        )

    def payback_year(self) -> int | None:
        """First year in which the cumulative discounted fiscal benefits reach the cumulative discounted costs."""
        net = [ZERO] * self.intervention.horizon
        for f in self.flows:
            if f.side == "cost":
                net[f.year] -= f.pv
            elif f.kind == BenefitKind.fiscal:
                net[f.year] += f.pv
        running, spent = ZERO, False
        for year, value in enumerate(net):
            running += value
            spent = spent or value != 0
            if spent and running >= 0:
                return year
        return None


def check_overrides(intervention: Intervention, overrides: dict[str, Decimal]) -> None:
    """Overrides come from sensitivity and switching values: known keys, rates inside [0, 1]."""
    known = set(parameter_keys(intervention))
    for key, value in overrides.items():
        if key not in known:
            raise InputError(f"unknown input {key!r} (inputs: {', '.join(sorted(known))})")
        name = key.rsplit(".", 1)[-1].split(":")[0]
        if name in RATE_FIELDS and not 0 <= value <= 1:
            raise InputError(f"input {key}: {value} is outside [0, 1]")
        if value < 0:
            raise InputError(f"input {key}: {value} is negative")


def parameter_keys(intervention: Intervention) -> list[str]:
    """Every input a sensitivity test or a Monte Carlo distribution can vary."""
    agencies = sorted({c.agency for c in intervention.costs})
    return ([*GLOBAL_KEYS] + [f"cost_multiplier:{a}" for a in agencies]
            + [f"outcome:{o.id}.{name}" for o in intervention.outcomes for name in OUTCOME_FIELDS])


def resolve_terms(intervention: Intervention, context: Context, overrides: dict[str, Decimal]) -> list[OutcomeTerms]:
    def pick(outcome: Outcome, name: str) -> Decimal:
        key = f"outcome:{outcome.id}.{name}"
        if key in overrides:
            return overrides[key]
        own = getattr(outcome, name)
        return own if own is not None else overrides.get(name, getattr(intervention, name))

    cohort = overrides.get("cohort", Decimal(intervention.cohort))
    engagement = overrides.get("engagement", intervention.engagement)
    terms = []
    for number, outcome in enumerate(intervention.outcomes):
        where = f"outcomes[{number}] ({outcome.id})"
        if outcome.unit_cost is not None:
            found = context.unit_value(outcome.unit_cost, intervention.price_year)
        else:
            assert outcome.unit_value is not None, f"{where}: neither unit_cost nor unit_value"  # Outcome._valued_once
            found = LibraryValue(outcome.unit_value, outcome.source or "given in the intervention file")
        agency, agency_from = gaining_agency(intervention, outcome, found, where)
        value, source = overrides.get(f"outcome:{outcome.id}.unit_value", found.value), found.source
        success, deadweight, displacement, attribution = (
            pick(outcome, n) for n in ("success", "deadweight", "displacement", "attribution"))
        grade = outcome.confidence or intervention.confidence
        terms.append(OutcomeTerms(
            outcome=outcome, unit_value=value, value_source=source, agency=agency, agency_from=agency_from,
            success=success, deadweight=deadweight,
            displacement=displacement, attribution=attribution, lag=int(pick(outcome, "lag")),
            drop_off=pick(outcome, "drop_off"), duration=outcome.duration, grade=grade,
            optimism=context.optimism_for(grade, where), schedule="health" if outcome.health else "standard",
            people=cohort * engagement * success * (1 - deadweight) * (1 - displacement) * attribution,
        ))
    return terms


def gaining_agency(intervention: Intervention, outcome: Outcome, found: LibraryValue,
                   where: str) -> tuple[str | None, str]:
    """The budget a fiscal outcome lands in: the unit cost's bearing agency (through `bearers:`), or the one stated.

    Economic and social value lands in no budget. A stated agency that is not the bearer's is an error: the
    wrong-pocket matrix must follow who bears the cost, not a guess.
    """
    if outcome.kind != BenefitKind.fiscal:
        return None, "no budget (economic or social value)"
    if found.bearer is None:
        return outcome.agency, "stated in the intervention file"
    mapping = {**DEFAULT_BEARERS, **{k.strip().lower(): v for k, v in intervention.bearers.items()}}
    bearer = mapping.get(found.bearer.strip().lower())
    if outcome.agency is None and bearer is None:
        hint = ("it names no single agency: give the outcome's agency" if found.bearer.strip().lower() == "multiple"
                else f"map it to an agency id under bearers: in the intervention file, e.g. bearers: "
                     f"{{{found.bearer!r}: <agency id>}}, or give the outcome's agency")
        raise InputError(f"{where}: unit cost {found.code} is borne by {found.bearer!r}: {hint}")
    if outcome.agency is not None and bearer is not None and outcome.agency != bearer:
        raise InputError(f"{where}: agency {outcome.agency!r} but unit cost {found.code} is borne by "
                         f"{found.bearer!r} ({bearer}): leave agency out, or value the outcome with unit_value")
    if outcome.agency is not None:
        return outcome.agency, "stated in the intervention file"
    return bearer, f"bearing agency of {found.code}: {found.bearer}"


def _check_agency(context: Context, agency: str, where: str) -> None:
    if agency not in context.agencies:
        known = ", ".join(sorted(context.agencies))
        raise InputError(f"{where}: agency {agency!r} is not known (add it under `agencies:` in the "
                         f"intervention file or to totalplace.toml; known: {known})")


def cost_flows(intervention: Intervention, context: Context, factors: list[Decimal],
               overrides: dict[str, Decimal]) -> list[Flow]:
    everything = overrides.get("cost_multiplier", Decimal(1))
    flows = []
    for number, cost in enumerate(intervention.costs):
        where = f"costs[{number}]"
        _check_agency(context, cost.agency, f"{where}.agency")
        optimism = context.optimism_for(cost.confidence or intervention.confidence, f"{where}.confidence")
        amount = cost.amount * everything * overrides.get(f"cost_multiplier:{cost.agency}", Decimal(1))
        flows.append(Flow(cost.year, "cost", cost.kind.value, cost.agency, False, where, amount,
                          amount * (1 + optimism), factors[cost.year]))
    return flows


def benefit_flows(intervention: Intervention, context: Context, terms: list[OutcomeTerms],
                  factors: dict[str, list[Decimal]]) -> list[Flow]:
    flows = []
    for number, term in enumerate(terms):
        outcome = term.outcome
        if term.agency is not None:
            _check_agency(context, term.agency, f"outcomes[{number}].agency")
        agency = term.agency
        for year in range(term.lag, intervention.horizon):
            share = term.persistence(year)
            if share == 0:
                continue
            amount = term.people * term.unit_value * outcome.quantity * share
            flows.append(Flow(year, "benefit", outcome.kind.value, agency, outcome.cashable, outcome.id,
                              amount, amount * (1 - term.optimism), factors[term.schedule][year]))
    return flows


def appraise(intervention: Intervention, context: Context, overrides: dict[str, Decimal] | None = None) -> Appraisal:
    """The full deterministic appraisal of one intervention."""
    overrides = overrides or {}
    check_overrides(intervention, overrides)
    factors = {name: s.factors(intervention.horizon) for name, s in context.schedules.items()}
    terms = resolve_terms(intervention, context, overrides)
    flows = cost_flows(intervention, context, factors["standard"], overrides) + \
        benefit_flows(intervention, context, terms, factors)
    return Appraisal(intervention, context, terms, flows, dict(overrides))


def base_value(appraisal: Appraisal, key: str) -> Decimal:
    """The value an input takes in the central case."""
    if key in appraisal.overrides:
        return appraisal.overrides[key]
    if key.startswith("cost_multiplier"):
        return Decimal(1)
    if key.startswith("outcome:"):
        outcome_id, name = key[len("outcome:"):].rsplit(".", 1)
        term = next(t for t in appraisal.terms if t.outcome.id == outcome_id)
        return Decimal(getattr(term, name))
    return Decimal(getattr(appraisal.intervention, key))

