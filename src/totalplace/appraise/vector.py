"""The appraisal vectorised over many draws, in NumPy floats, for Monte Carlo and switching values.

The exact figures come from `engine` in Decimal; this is the same arithmetic on
arrays of binary floats (about 15 significant digits), which is plenty for
probabilities, percentiles and the point where NPV crosses zero. The tests check
that it agrees with the Decimal engine.

Shapes: D draws, O outcome lines, Y years, C cost lines, A partners.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from totalplace.appraise.engine import Appraisal, OUTCOME_FIELDS, RATE_FIELDS, parameter_keys
from totalplace.appraise.model import BenefitKind, Distribution
from totalplace.errors import InputError

CHUNK = 2048  # draws per block: bounds the (D, O, Y) working arrays to a few tens of MB


@dataclass(frozen=True)
class VectorModel:
    """The central case of an appraisal as arrays."""
    horizon: int
    cohort: float
    engagement: float
    outcome_ids: list[str]
    fields: dict[str, np.ndarray]        # per outcome (O,): the resolved central value of each field
    own: dict[str, np.ndarray]           # per outcome (O,) bool: the outcome sets this field itself
    duration: np.ndarray                 # (O,) years a benefit lasts (inf: to the horizon)
    keep: np.ndarray                     # (O,) quantity x (1 - optimism bias)
    factors: np.ndarray                  # (O, Y) discount factor of each outcome's schedule
    kind: np.ndarray                     # (O,) "fiscal" | "economic" | "social"
    benefit_map: np.ndarray              # (O, A) 1 where a fiscal outcome lands in a partner's budget
    cost_pv: np.ndarray                  # (C,) PV of each cost line after optimism bias
    cost_map: np.ndarray                 # (C, A) 1 where a cost line is a partner's
    cost_agency: list[str]               # (C,) the agency of each cost line
    agencies: list[str]                  # the partners, in the appraisal's order


def vector_model(appraisal: Appraisal) -> VectorModel:
    intervention = appraisal.intervention
    agencies = appraisal.partners
    column = {a: i for i, a in enumerate(agencies)}
    terms = appraisal.terms
    fields = {name: np.array([float(getattr(t, name)) for t in terms]) for name in OUTCOME_FIELDS}
    own = {name: np.array([name == "unit_value" or getattr(t.outcome, name) is not None for t in terms])
           for name in OUTCOME_FIELDS}
    benefit_map = np.zeros((len(terms), len(agencies)))
    for o, t in enumerate(terms):
        if t.outcome.kind == BenefitKind.fiscal:
            assert t.agency is not None, f"fiscal outcome {t.outcome.id} lands in no budget"  # engine.gaining_agency
            benefit_map[o, column[t.agency]] = 1.0
    schedules = {name: np.array([float(f) for f in s.factors(intervention.horizon)])
                 for name, s in appraisal.context.schedules.items()}
    costs = [f for f in appraisal.flows if f.side == "cost"]
    cost_agency = [f.agency for f in costs if f.agency is not None]
    assert len(cost_agency) == len(costs), "every cost is borne by an agency"
    cost_map = np.zeros((len(costs), len(agencies)))
    for c, agency in enumerate(cost_agency):
        cost_map[c, column[agency]] = 1.0
    return VectorModel(
        horizon=intervention.horizon, cohort=float(intervention.cohort), engagement=float(intervention.engagement),
        outcome_ids=[t.outcome.id for t in terms], fields=fields, own=own,
        duration=np.array([np.inf if t.duration is None else float(t.duration) for t in terms]),
        keep=np.array([float(t.outcome.quantity * (1 - t.optimism)) for t in terms]),
        factors=np.array([schedules[t.schedule] for t in terms]).reshape(len(terms), intervention.horizon),
        kind=np.array([t.outcome.kind.value for t in terms]), benefit_map=benefit_map,
        cost_pv=np.array([float(f.pv) for f in costs]), cost_map=cost_map,
        cost_agency=cost_agency, agencies=agencies,
    )


@dataclass
class VectorResult:
    agency_npv: np.ndarray      # (D, A)
    fiscal_npv: np.ndarray      # (D,)
    public_value_npv: np.ndarray  # (D,)


def _outcome_field(model: VectorModel, name: str, draws: dict[str, np.ndarray], n: int) -> np.ndarray:
    """(n, O): an outcome field's value in each draw: its own draw, else the intervention's draw, else central."""
    value = np.broadcast_to(model.fields[name], (n, len(model.outcome_ids)))
    if name in draws:
        value = np.where(model.own[name], value, draws[name][:, None])
    for o, outcome_id in enumerate(model.outcome_ids):
        key = f"outcome:{outcome_id}.{name}"
        if key in draws:
            value = value.copy() if not value.flags.writeable else value
            value[:, o] = draws[key]
    return value


def _persistence_pv(model: VectorModel, lag: np.ndarray, drop_off: np.ndarray) -> np.ndarray:
    """(n, O): sum over years of persistence x discount factor, per unit of first-year benefit."""
    years = np.arange(model.horizon, dtype=float)
    since = years[None, None, :] - np.rint(lag)[:, :, None]                  # (n, O, Y)
    alive = (since >= 0) & (since < model.duration[None, :, None])
    persistence = np.where(alive, (1.0 - drop_off)[:, :, None] ** np.maximum(since, 0.0), 0.0)
    return np.einsum("noy,oy->no", persistence, model.factors)


def _evaluate_block(model: VectorModel, draws: dict[str, np.ndarray], n: int) -> VectorResult:
    def scalar(key: str, central: float) -> np.ndarray:
        return draws[key] if key in draws else np.full(n, central)

    field = {name: _outcome_field(model, name, draws, n) for name in OUTCOME_FIELDS}
    people = (scalar("cohort", model.cohort) * scalar("engagement", model.engagement))[:, None] \
        * field["success"] * (1 - field["deadweight"]) * (1 - field["displacement"]) * field["attribution"]
    pv_outcome = people * field["unit_value"] * model.keep * _persistence_pv(model, field["lag"], field["drop_off"])

    multiplier = np.ones((n, len(model.cost_pv))) * scalar("cost_multiplier", 1.0)[:, None]
    for c, agency in enumerate(model.cost_agency):
        key = f"cost_multiplier:{agency}"
        if key in draws:
            multiplier[:, c] *= draws[key]
    agency_cost = (multiplier * model.cost_pv) @ model.cost_map
    agency_benefit = pv_outcome @ model.benefit_map
    agency_npv = agency_benefit - agency_cost
    fiscal = agency_npv.sum(axis=1)
    wider = pv_outcome[:, model.kind != BenefitKind.fiscal.value].sum(axis=1)
    return VectorResult(agency_npv, fiscal, fiscal + wider)


def evaluate(model: VectorModel, draws: dict[str, np.ndarray], n: int) -> VectorResult:
    """The appraisal for n draws of the inputs in `draws` (each an array of n values), in blocks."""
    blocks = [_evaluate_block(model, {k: v[start:start + CHUNK] for k, v in draws.items()},
                              min(CHUNK, n - start)) for start in range(0, n, CHUNK)]
    return VectorResult(np.concatenate([b.agency_npv for b in blocks]),
                        np.concatenate([b.fiscal_npv for b in blocks]),
                        np.concatenate([b.public_value_npv for b in blocks]))


def domain(key: str) -> tuple[float, float]:
    """The values an input can take: rates in [0, 1], everything else at least 0."""
    name = key.rsplit(".", 1)[-1]
    return (0.0, 1.0) if name in RATE_FIELDS else (0.0, np.inf)


def _draw(spec: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    f = {k: (None if v is None else float(v)) for k, v in spec.model_dump().items() if k != "dist"}

    def given(name: str) -> float:  # a parameter the distribution needs (model.Distribution requires it)
        value = f[name]
        assert value is not None, f"a {spec.dist} distribution without its {name}"
        return value

    if spec.dist == "triangular":
        if f["min"] == f["max"]:
            return np.full(n, given("min"))
        return rng.triangular(given("min"), given("mode"), given("max"), n)
    if spec.dist == "uniform":
        return rng.uniform(given("min"), given("max"), n)
    if spec.dist == "normal":
        values = rng.normal(given("mean"), given("sd"), n)
        return np.clip(values, f["min"] if f["min"] is not None else -np.inf,
                       f["max"] if f["max"] is not None else np.inf)
    low = f["min"] if f["min"] is not None else 0.0
    high = f["max"] if f["max"] is not None else 1.0
    return low + (high - low) * rng.beta(given("alpha"), given("beta"), n)


def sample(appraisal: Appraisal, n: int, seed: int) -> dict[str, np.ndarray]:
    """n draws of every input the intervention gives a distribution for (same seed, same draws)."""
    if n < 1:
        raise InputError(f"draws: {n} must be at least 1")
    known = set(parameter_keys(appraisal.intervention))
    rng = np.random.default_rng(seed)
    draws = {}
    for key, spec in appraisal.intervention.uncertainty.items():
        if key not in known:
            raise InputError(f"field uncertainty.{key}: not an input of this intervention "
                             f"(inputs: {', '.join(sorted(known))})")
        low, high = domain(key)
        draws[key] = np.clip(_draw(spec, rng, n), low, high)
    return draws


@dataclass
class MonteCarlo:
    draws: int
    seed: int
    result: VectorResult
    agencies: list[str]
    percentiles: tuple[int, ...] = (5, 10, 25, 50, 75, 90, 95)

    def probability_positive(self) -> dict[str, float]:
        """P(NPV > 0) for the place (fiscal and public value) and for each partner before gain-share."""
        shares = {"place: public value NPV": float((self.result.public_value_npv > 0).mean()),
                  "place: fiscal NPV": float((self.result.fiscal_npv > 0).mean())}
        for a, agency in enumerate(self.agencies):
            shares[agency] = float((self.result.agency_npv[:, a] > 0).mean())
        return shares

    def percentile_table(self) -> dict[str, list[float]]:
        series = {"public value NPV": self.result.public_value_npv, "fiscal NPV": self.result.fiscal_npv}
        series |= {agency: self.result.agency_npv[:, a] for a, agency in enumerate(self.agencies)}
        return {name: list(np.percentile(values, self.percentiles)) for name, values in series.items()}


def monte_carlo(appraisal: Appraisal, draws: int = 10_000, seed: int = 1) -> MonteCarlo:
    model = vector_model(appraisal)
    result = evaluate(model, sample(appraisal, draws, seed), draws)
    return MonteCarlo(draws, seed, result, model.agencies)
