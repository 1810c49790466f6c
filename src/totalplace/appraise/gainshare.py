"""Sharing the gains: transfers between partners so that every partner's fiscal NPV is at least zero.

A partner is an agency that bears a cost or gains a fiscal benefit. Before any
transfer its NPV is PV(fiscal benefits to it) - PV(costs it bears); the
partnership's total S is the fiscal NPV. A method names each partner's share
of S; the transfer is share - NPV (positive: receives). Methods:

- benefit: S shared in proportion to each partner's PV fiscal benefit;
- cost:    S shared in proportion to each partner's PV cost;
- shapley: the Shapley value of the game v below.

The Shapley game (the characteristic function). A coalition T of partners can
run the intervention at the scale its own members fund (constant returns to
scale: a share k of the funding reaches a share k of the cohort), and keeps
only the fiscal benefits that land in its own members' budgets:

    k(T) = C(T) / C                         C(T): PV cost T's members bear (cash and in kind); C: all of it
    v(T) = max(0, k(T) x B(T) - C(T))       B(T): PV fiscal benefit landing in T's budgets;
                                               a coalition that would lose does not go ahead (0)
    v(N) = B(N) - C = S                     the whole partnership, which does go ahead.

So a partner that funds nothing adds nothing alone (k = 0), a funder whose own
budget gains too little adds nothing alone either, and the surplus comes from
putting money and gains together. When S >= 0 the game is monotone (adding a
partner never lowers v, since C(T) and B(T) only grow), so every marginal
contribution, and hence every Shapley value, is >= 0: every partner ends at or
above zero. A partner's Shapley value is the average, over every order in which
the partners could join, of what it adds to v when it joins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from math import factorial

from totalplace.appraise.engine import ZERO, Appraisal
from totalplace.appraise.model import BenefitKind
from totalplace.errors import InputError

METHODS = ("benefit", "cost", "shapley")
MAX_SHAPLEY_PARTNERS = 16  # 2**16 coalitions: the exact sum stays instant
PENNY = Decimal("0.01")


def shapley_values(players: list[str], value: Callable[[frozenset[str]], Decimal]) -> dict[str, Decimal]:
    """Exact Shapley values: phi_i = sum over T not holding i of |T|!(n-|T|-1)!/n! * (v(T + i) - v(T))."""
    n = len(players)
    if n > MAX_SHAPLEY_PARTNERS:
        raise InputError(f"Shapley value over {n} partners: at most {MAX_SHAPLEY_PARTNERS} are supported")
    cache: dict[frozenset[str], Decimal] = {}

    def v(coalition: frozenset[str]) -> Decimal:
        if coalition not in cache:
            cache[coalition] = value(coalition)
        return cache[coalition]

    result = {}
    for player in players:
        others = [p for p in players if p != player]
        total = ZERO  # weights kept as whole numbers |T|!(n-|T|-1)!, divided by n! once, for exactness
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1)
            for members in combinations(others, size):
                coalition = frozenset(members)
                total += weight * (v(coalition | {player}) - v(coalition))
        result[player] = total / factorial(n)
    return result


def characteristic_function(appraisal: Appraisal) -> Callable[[frozenset[str]], Decimal]:
    """v(T) as defined in this module's docstring, over the appraisal's partners."""
    pvs = appraisal.agency_pv()
    everyone = frozenset(pvs)
    total_cost = sum((cost for cost, _ in pvs.values()), ZERO)

    def v(coalition: frozenset[str]) -> Decimal:
        cost = sum((pvs[a][0] for a in coalition), ZERO)
        benefit = sum((pvs[a][1] for a in coalition), ZERO)
        if coalition == everyone:
            return benefit - cost
        if total_cost == 0:
            return benefit
        return max(ZERO, cost * benefit / total_cost - cost)  # multiply first: exact where it can be

    return v


@dataclass
class Payment:
    """One payer's payment to one payee: its present value and the cash due each year (real terms)."""
    payer: str
    payee: str
    pv: Decimal
    schedule: dict[int, Decimal]


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Proposal:
    method: str
    before: dict[str, Decimal]
    after: dict[str, Decimal]
    transfers: dict[str, Decimal]
    payments: list[Payment]
    checks: list[Check] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum(self.before.values(), ZERO)

    @property
    def largest_shortfall(self) -> Decimal:
        """The most any partner is left below zero after the transfers (0: every partner is at least whole)."""
        return max((-x for x in self.after.values()), default=ZERO).max(ZERO)

    @property
    def all_ahead(self) -> bool:
        return all(x >= 0 for x in self.after.values())


def _proportional(total: Decimal, weights: dict[str, Decimal]) -> dict[str, Decimal]:
    whole = sum(weights.values(), ZERO)
    if whole == 0:
        return {a: total / len(weights) for a in weights}
    return {a: total * w / whole for a, w in weights.items()}


def target_shares(appraisal: Appraisal, method: str) -> dict[str, Decimal]:
    """Each partner's share of the partnership's fiscal NPV under a method."""
    pvs = appraisal.agency_pv()
    total = sum((b - c for c, b in pvs.values()), ZERO)
    if method == "benefit":
        return _proportional(total, {a: b for a, (_, b) in pvs.items()})
    if method == "cost":
        return _proportional(total, {a: c for a, (c, _) in pvs.items()})
    if method == "shapley":
        return shapley_values(list(pvs), characteristic_function(appraisal))
    raise InputError(f"gain-share method {method!r}: choose one of {', '.join(METHODS)}")


def _benefit_years(appraisal: Appraisal, agency: str) -> dict[int, Decimal]:
    years: dict[int, Decimal] = {}
    for f in appraisal.flows:
        if f.agency == agency and f.side == "benefit" and f.kind == BenefitKind.fiscal:
            years[f.year] = years.get(f.year, ZERO) + f.adjusted
    return years


def payment_schedule(appraisal: Appraisal, payer: str, pv: Decimal, factors: list[Decimal]) -> dict[int, Decimal]:
    """Cash due each year so the payer pays out of its savings as they arrive, worth `pv` today.

    cash(y) = pv x b(y) / sum_y b(y) x DF(y), where b(y) is the payer's fiscal benefit in year y;
    then sum_y cash(y) x DF(y) = pv. A payer with no benefits pays in year 0.
    """
    benefits = _benefit_years(appraisal, payer)
    worth = sum((b * factors[y] for y, b in benefits.items()), ZERO)
    if worth == 0:
        return {0: pv}
    return {y: pv * b / worth for y, b in sorted(benefits.items()) if b}


def _payments(appraisal: Appraisal, transfers: dict[str, Decimal], factors: list[Decimal]) -> list[Payment]:
    """Each payer pays every payee in proportion to what the payee is due."""
    payers = {a: -t for a, t in transfers.items() if t < 0}
    payees = {a: t for a, t in transfers.items() if t > 0}
    due = sum(payees.values(), ZERO)
    payments = []
    for payer, owed in payers.items():
        for payee, gets in payees.items():
            pv = owed * gets / due
            payments.append(Payment(payer, payee, pv, payment_schedule(appraisal, payer, pv, factors)))
    return payments


def _checks(proposal: Proposal, factors: list[Decimal]) -> list[Check]:
    tolerance = Decimal("1e-12")
    transfers_sum = sum(proposal.transfers.values(), ZERO)
    after_sum = sum(proposal.after.values(), ZERO)
    checks = [
        Check("transfers sum to zero", abs(transfers_sum) < tolerance, f"sum {transfers_sum:.2f}"),
        Check("partnership NPV unchanged", abs(after_sum - proposal.total) < tolerance,
              f"before £{proposal.total:,.2f}, after £{after_sum:,.2f}"),
        Check("every partner's NPV >= 0", proposal.all_ahead,
              "yes" if proposal.all_ahead else f"largest shortfall £{proposal.largest_shortfall:,.2f} "
              "(the partnership's fiscal NPV is negative: no transfer can make every partner whole)"),
    ]
    for agency, transfer in proposal.transfers.items():
        paid = sum((p.pv for p in proposal.payments if p.payer == agency), ZERO)
        got = sum((p.pv for p in proposal.payments if p.payee == agency), ZERO)
        if abs(got - paid - transfer) >= tolerance:
            checks.append(Check(f"payments match {agency}'s transfer", False, f"{got - paid:.2f} vs {transfer:.2f}"))
    worst = ZERO
    for payment in proposal.payments:
        rounded = sum((cash.quantize(PENNY) * factors[y] for y, cash in payment.schedule.items()), ZERO)
        worst = max(worst, abs(rounded - payment.pv))
    checks.append(Check("each payment schedule, in pence, discounts back to its present value",
                        worst <= PENNY * max(1, len(factors)), f"largest difference £{worst:.4f} (rounding to pence)"))
    return checks


def propose(appraisal: Appraisal, method: str) -> Proposal:
    """A gain-share proposal by one method, with its payments and its checks."""
    before = appraisal.agency_npv()
    after = target_shares(appraisal, method)
    transfers = {a: after[a] - before[a] for a in before}
    factors = appraisal.context.schedules["standard"].factors(appraisal.intervention.horizon)
    proposal = Proposal(method, before, after, transfers, _payments(appraisal, transfers, factors))
    proposal.checks = _checks(proposal, factors)
    return proposal


def agreement_rows(appraisal: Appraisal, proposal: Proposal) -> Iterable[list]:
    """Draft agreement lines: who pays whom, in which year, how much cash (real terms, pence)."""
    names = appraisal.context.agencies
    factors = appraisal.context.schedules["standard"].factors(appraisal.intervention.horizon)
    for payment in proposal.payments:
        for year, cash in payment.schedule.items():
            yield [names[payment.payer].name, names[payment.payee].name, appraisal.intervention.year_label(year),
                   cash.quantize(PENNY), (cash * factors[year]).quantize(PENNY)]
