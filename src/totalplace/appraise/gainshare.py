"""Sharing the gains: what each partner is due, and the part of it that can really be paid.

A partner is an agency that bears a cost or gains a fiscal benefit. Before any
transfer its NPV is PV(fiscal benefits to it) - PV(costs it bears); the
partnership's total S is the fiscal NPV. A method names each partner's share
of S; the transfer is share - NPV (positive: is due money). What can be paid:

- cash moves only between local partners: a local agreement cannot make DWP or HMRC pay, and
  does not pay them. A national body's transfer is a proposed ask of Whitehall instead (its
  share of the saving passed to the place), shared among the local partners still due money;
- a local payer pays only out of its cashable savings (PV, and year by year as they arrive):
  capacity freed in a police shift is not money. What it is due to pay beyond that is shown as
  not cashable, never asked for in cash.

So each partner has its NPV before, its due share (`after`), its NPV once the cash that can be
paid is paid (`settled`), and once the Whitehall asks are met too (`with_asks`). Methods:

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
from totalplace.appraise.model import BenefitKind, Level
from totalplace.errors import InputError
from totalplace.money import PENNY, format_money, to_pennies

METHODS = ("benefit", "cost", "shapley")
MAX_SHAPLEY_PARTNERS = 16  # 2**16 coalitions: the exact sum stays instant


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
class WhitehallAsk:
    """A national body's transfer, which no local agreement can make it pay: a proposed ask of Whitehall."""
    agency: str                   # the national body whose saving is to be shared
    pv: Decimal                   # the present value of its share passed to the place
    payees: dict[str, Decimal]    # the local partners it would reach, and how much each
    schedule: dict[int, Decimal]  # cash a year, out of the body's savings as they arrive (real terms)


@dataclass
class Proposal:
    method: str
    before: dict[str, Decimal]
    after: dict[str, Decimal]       # each partner's due share of the partnership's fiscal NPV
    transfers: dict[str, Decimal]   # after - before: what each is due (+) or due to pay (-)
    payments: list[Payment]         # cash that can be paid: local to local, out of cashable savings
    asks: list[WhitehallAsk] = field(default_factory=list)
    not_cashable: dict[str, Decimal] = field(default_factory=dict)  # local payer -> due it cannot pay in cash
    checks: list[Check] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum(self.before.values(), ZERO)

    @property
    def settled(self) -> dict[str, Decimal]:
        """Each partner's NPV once the cash that can be paid is paid."""
        return {a: self.before[a] + self._cash(a) for a in self.before}

    @property
    def with_asks(self) -> dict[str, Decimal]:
        """Each partner's NPV once the cash is paid and the Whitehall asks are met."""
        moved = {a: ZERO for a in self.before}
        for ask in self.asks:
            moved[ask.agency] -= ask.pv
            for payee, amount in ask.payees.items():
                moved[payee] += amount
        return {a: value + moved[a] for a, value in self.settled.items()}

    def _cash(self, agency: str) -> Decimal:
        return sum((p.pv if p.payee == agency else -p.pv for p in self.payments if agency in (p.payer, p.payee)),
                   ZERO)

    @property
    def largest_shortfall(self) -> Decimal:
        """The most any partner is left below zero once cash is paid and the asks met (0: every partner is whole)."""
        return max((-x for x in self.with_asks.values()), default=ZERO).max(ZERO)

    @property
    def all_ahead(self) -> bool:
        return all(x >= 0 for x in self.with_asks.values())


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


def _benefit_years(appraisal: Appraisal, agency: str, cashable_only: bool) -> dict[int, Decimal]:
    years: dict[int, Decimal] = {}
    for f in appraisal.flows:
        if f.agency == agency and f.side == "benefit" and f.kind == BenefitKind.fiscal \
                and (f.cashable or not cashable_only):
            years[f.year] = years.get(f.year, ZERO) + f.adjusted
    return years


def cashable_pv(appraisal: Appraisal, agency: str) -> Decimal:
    return appraisal.pv("benefit", (BenefitKind.fiscal,), agency, cashable=True)


def payment_schedule(appraisal: Appraisal, payer: str, pv: Decimal, factors: list[Decimal],
                     cashable_only: bool = True) -> dict[int, Decimal]:
    """Cash due each year so the payer pays out of its (cashable) savings as they arrive, worth `pv` today.

    cash(y) = pv x b(y) / sum_y b(y) x DF(y), where b(y) is the payer's cashable fiscal benefit in year y;
    then sum_y cash(y) x DF(y) = pv, and cash(y) <= b(y) whenever pv <= the PV of its cashable benefits.
    A payer with no such benefits pays in year 0.
    """
    benefits = _benefit_years(appraisal, payer, cashable_only)
    worth = sum((b * factors[y] for y, b in benefits.items()), ZERO)
    if worth == 0:
        return {0: pv}
    return {y: pv * b / worth for y, b in sorted(benefits.items()) if b}


def _local(appraisal: Appraisal, agency: str) -> bool:
    return appraisal.context.agencies[agency].level == Level.local


def _payments(appraisal: Appraisal, transfers: dict[str, Decimal],
              factors: list[Decimal]) -> tuple[list[Payment], dict[str, Decimal]]:
    """Cash a local payer can pay (up to its cashable savings) to the local partners due money, in proportion
    to what each is due; and what each payer is due to pay but cannot pay in cash."""
    local = {a: t for a, t in transfers.items() if _local(appraisal, a)}
    capacity = {a: min(-t, cashable_pv(appraisal, a)).max(ZERO) for a, t in local.items() if t < 0}
    payees = {a: t for a, t in local.items() if t > 0}
    pool, due = sum(capacity.values(), ZERO), sum(payees.values(), ZERO)
    scale = min(Decimal(1), due / pool) if pool else ZERO
    payments = []
    for payer, can in capacity.items():
        for payee, gets in payees.items():
            pv = can * scale * gets / due
            if pv:
                payments.append(Payment(payer, payee, pv, payment_schedule(appraisal, payer, pv, factors)))
    unpaid = {a: -t - capacity[a] for a, t in local.items() if t < 0 and -t - capacity[a] > 0}
    return payments, unpaid


def _asks(appraisal: Appraisal, transfers: dict[str, Decimal], payments: list[Payment],
          factors: list[Decimal]) -> list[WhitehallAsk]:
    """Each national payer's transfer as an ask, shared among local partners by what cash leaves them still due."""
    received = {a: sum((p.pv for p in payments if p.payee == a), ZERO) for a in transfers}
    still_due = {a: t - received[a] for a, t in transfers.items() if t > 0 and _local(appraisal, a)}
    weights = {a: d for a, d in still_due.items() if d > 0} or {a: t for a, t in transfers.items()
                                                                 if t > 0 and _local(appraisal, a)}
    whole = sum(weights.values(), ZERO)
    asks = []
    for agency, transfer in transfers.items():
        if transfer < 0 and not _local(appraisal, agency):
            pv = -transfer
            payees = {a: pv * w / whole for a, w in weights.items()} if whole else {}
            asks.append(WhitehallAsk(agency, pv, payees,
                                     payment_schedule(appraisal, agency, pv, factors, cashable_only=False)))
    return asks


def _shortfall_reason(appraisal: Appraisal, proposal: Proposal) -> str:
    if proposal.all_ahead:
        return "yes, once the Whitehall asks are met" if proposal.asks else "yes"
    names = appraisal.context.agencies
    why = [f"{names[a].name} is due to pay {format_money(v)} it cannot pay in cash: its savings are not cashable"
           for a, v in proposal.not_cashable.items()]
    if proposal.total < 0:
        why.append("the partnership's fiscal NPV is negative: no transfer can make every partner whole")
    return f"no: largest shortfall {format_money(proposal.largest_shortfall)} ({'; '.join(why) or 'rounding'})"


def _checks(appraisal: Appraisal, proposal: Proposal, factors: list[Decimal]) -> list[Check]:
    tolerance = Decimal("1e-12")
    transfers_sum = sum(proposal.transfers.values(), ZERO)
    after_sum = sum(proposal.after.values(), ZERO)
    national = [p for p in proposal.payments if not (_local(appraisal, p.payer) and _local(appraisal, p.payee))]
    over = [p.payer for p in proposal.payments
            if sum((q.pv for q in proposal.payments if q.payer == p.payer), ZERO)
            > cashable_pv(appraisal, p.payer) + tolerance]
    checks = [
        Check("transfers sum to zero", abs(transfers_sum) < tolerance, f"sum {to_pennies(transfers_sum) + 0:.2f}"),
        Check("partnership NPV unchanged", abs(after_sum - proposal.total) < tolerance,
              f"before {format_money(proposal.total)}, after {format_money(after_sum)}"),
        Check("cash moves only between local partners", not national,
              "yes; national bodies' shares are asks of Whitehall" if not national else
              ", ".join(f"{p.payer} -> {p.payee}" for p in national)),
        Check("cash is paid only out of cashable savings", not over, "yes" if not over else ", ".join(set(over))),
        Check("every partner's NPV >= 0", proposal.all_ahead, _shortfall_reason(appraisal, proposal)),
    ]
    worst = ZERO
    for payment in proposal.payments:
        rounded = sum((to_pennies(cash) * factors[y] for y, cash in payment.schedule.items()), ZERO)
        worst = max(worst, abs(rounded - payment.pv))
    checks.append(Check("each payment schedule, in pence, discounts back to its present value",
                        worst <= PENNY * max(1, len(factors)), f"largest difference £{worst:.4f} (rounding to pence)"))
    return checks


def propose(appraisal: Appraisal, method: str) -> Proposal:
    """A gain-share proposal by one method: what each is due, the cash that can be paid, the asks of Whitehall."""
    before = appraisal.agency_npv()
    after = target_shares(appraisal, method)
    transfers = {a: after[a] - before[a] for a in before}
    factors = appraisal.context.schedules["standard"].factors(appraisal.intervention.horizon)
    payments, unpaid = _payments(appraisal, transfers, factors)
    proposal = Proposal(method, before, after, transfers, payments, _asks(appraisal, transfers, payments, factors),
                        unpaid)
    proposal.checks = _checks(appraisal, proposal, factors)
    return proposal


def agreement_rows(appraisal: Appraisal, proposal: Proposal) -> Iterable[list]:
    """Draft agreement lines: who pays whom, in which year, how much cash (real terms, pence)."""
    names = appraisal.context.agencies
    factors = appraisal.context.schedules["standard"].factors(appraisal.intervention.horizon)
    for payment in proposal.payments:
        for year, cash in payment.schedule.items():
            yield [names[payment.payer].name, names[payment.payee].name, appraisal.intervention.year_label(year),
                   to_pennies(cash), to_pennies(cash * factors[year])]
