"""How sensitive the NPV is to each input: a tornado (exact) and switching values (where NPV crosses zero)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from totalplace.appraise.engine import GLOBAL_KEYS, Appraisal, appraise, base_value
from totalplace.appraise.vector import domain, evaluate, vector_model

MEASURES = ("public_value_npv", "fiscal_npv")
GRID = 2001          # points per search of the switching value
MAX_SCALE = 100.0    # unbounded inputs are searched up to 100 times their central value


def tornado_keys(appraisal: Appraisal) -> list[str]:
    """The intervention-wide inputs, each partner's costs and each outcome's unit value."""
    agencies = sorted({c.agency for c in appraisal.intervention.costs})
    return ([k for k in GLOBAL_KEYS] + [f"cost_multiplier:{a}" for a in agencies]
            + [f"outcome:{t.outcome.id}.unit_value" for t in appraisal.terms])


@dataclass
class TornadoBar:
    key: str
    base: Decimal
    low: Decimal
    high: Decimal
    npv_low: Decimal
    npv_high: Decimal

    @property
    def swing(self) -> Decimal:
        return abs(self.npv_high - self.npv_low)


def _bounds(key: str, base: Decimal, swing: Decimal) -> tuple[Decimal, Decimal]:
    """Low and high test values: the central value -/+ the swing (lag -/+ 1 year), kept inside the input's range."""
    if key == "lag":
        return max(Decimal(0), base - 1), base + 1
    low, high = base * (1 - swing), base * (1 + swing)
    if domain(key)[1] == 1.0:
        high = min(high, Decimal(1))
    return max(low, Decimal(0)), high


def tornado(appraisal: Appraisal, measure: str = "public_value_npv", swing: Decimal = Decimal("0.2")) -> list[TornadoBar]:
    """NPV with each input moved down and up by `swing` (20%), one at a time, widest swing first."""
    bars = []
    for key in tornado_keys(appraisal):
        base = base_value(appraisal, key)
        low, high = _bounds(key, base, swing)
        values = []
        for value in (low, high):
            varied = appraise(appraisal.intervention, appraisal.context, {**appraisal.overrides, key: value})
            values.append(getattr(varied.summary(), measure))
        bar = TornadoBar(key, base, low, high, values[0], values[1])
        if bar.swing:
            bars.append(bar)
    return sorted(bars, key=lambda b: b.swing, reverse=True)


@dataclass
class SwitchingValue:
    key: str
    base: Decimal
    value: float | None      # the input value at which NPV is zero, nearest the central value
    searched: tuple[float, float]

    @property
    def change(self) -> float | None:
        """The switching value as a change from the central value (e.g. -0.35 = 35% lower)."""
        if self.value is None or self.base == 0:
            return None
        return self.value / float(self.base) - 1


def _measure(result, measure: str) -> np.ndarray:
    return result.public_value_npv if measure == "public_value_npv" else result.fiscal_npv


def _crossing(model, key: str, measure: str, low: float, high: float, base: float) -> float | None:
    """The zero of NPV(input) nearest the central value, on a fine grid then a finer one inside the bracket."""
    for _ in range(3):
        grid = np.linspace(low, high, GRID)
        npv = _measure(evaluate(model, {key: grid}, GRID), measure)
        signs = np.sign(npv)
        flips = np.nonzero(signs[:-1] * signs[1:] <= 0)[0]
        flips = flips[(signs[flips] != 0) | (signs[flips + 1] != 0)]
        if flips.size == 0:
            return None
        nearest = flips[np.argmin(np.abs(grid[flips] - base))]
        low, high = grid[nearest], grid[nearest + 1]
    return float((low + high) / 2)


def _first_whole_year(model, measure: str, base: int, horizon: int) -> float | None:
    """For the lag (whole years): the nearest lag at which the NPV's sign differs from the central case's."""
    lags = np.arange(horizon, dtype=float)
    npv = _measure(evaluate(model, {"lag": lags}, horizon), measure)
    central = npv[base] > 0
    differs = [lag for lag in range(horizon) if (npv[lag] > 0) != central]
    return float(min(differs, key=lambda lag: abs(lag - base))) if differs else None


def switching_values(appraisal: Appraisal, measure: str = "public_value_npv") -> list[SwitchingValue]:
    """For each input alone, the value at which the NPV becomes zero (None: it never does in the input's range)."""
    model = vector_model(appraisal)
    found = []
    for key in tornado_keys(appraisal):
        base = base_value(appraisal, key)
        low, high = domain(key)
        if key == "lag":
            horizon = appraisal.intervention.horizon
            value = _first_whole_year(model, measure, int(base), horizon)
            found.append(SwitchingValue(key, base, value, (0.0, float(horizon - 1))))
            continue
        if high == np.inf:
            high = max(float(base), 1.0) * MAX_SCALE
        found.append(SwitchingValue(key, base, _crossing(model, key, measure, low, high, float(base)), (low, high)))
    return found
