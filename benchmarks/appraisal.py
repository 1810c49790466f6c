"""Monte Carlo speed: 10,000 draws of an intervention with a 30-year horizon and 20 outcome lines.

    .venv/bin/python benchmarks/appraisal.py [--draws 10000] [--reps 5]

Goal: the vectorised NumPy run takes under 1 second. Beside it, the same draws
through a plain-Python loop (one draw, one outcome, one year at a time), in the
same process; the two must agree, and the ratio is printed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from totalplace.appraise.engine import Appraisal, appraise, make_context
from totalplace.appraise.model import parse_intervention
from totalplace.appraise.vector import VectorModel, evaluate, sample, vector_model

AGENCIES = ["council", "nhs", "police", "dwp", "hmrc"]


def benchmark_intervention() -> Appraisal:
    """30 years, 20 outcome lines over five partners, distributions on the main inputs and every unit value."""
    outcomes = [{"id": f"o{i}", "kind": "fiscal" if i % 4 else "social", "unit_value": 500 + 100 * i,
                 "agency": AGENCIES[i % 5] if i % 4 else None, "lag": i % 3, "drop_off": 0.05 * (i % 4)}
                for i in range(20)]
    uncertainty = {"engagement": {"dist": "triangular", "min": 0.5, "mode": 0.7, "max": 0.9},
                   "success": {"dist": "beta", "alpha": 4, "beta": 6},
                   "deadweight": {"dist": "uniform", "min": 0.1, "max": 0.3},
                   "drop_off": {"dist": "triangular", "min": 0.05, "mode": 0.1, "max": 0.2},
                   "cost_multiplier": {"dist": "normal", "mean": 1, "sd": 0.15}}
    uncertainty |= {f"outcome:o{i}.unit_value": {"dist": "normal", "mean": 500 + 100 * i, "sd": 50 + 10 * i}
                    for i in range(20)}
    data = {"id": "bench", "name": "Benchmark", "price_year": "2024-25", "horizon": 30, "cohort": 1000,
            "confidence": 3, "agencies": [{"id": a, "name": a} for a in AGENCIES[:3]],
            "costs": [{"agency": AGENCIES[y % 3], "year": y, "amount": 400_000} for y in range(5)],
            "outcomes": outcomes, "uncertainty": uncertainty}
    intervention = parse_intervention(data, "benchmark")
    return appraise(intervention, make_context(intervention, None))


def loop_baseline(model: VectorModel, draws: dict[str, np.ndarray], n: int) -> list[float]:
    """Public value NPV per draw, computed with plain Python loops over draws, outcomes and years."""
    cols = {k: v.tolist() for k, v in draws.items()}
    fields = {k: v.tolist() for k, v in model.fields.items()}
    own = {k: v.tolist() for k, v in model.own.items()}
    factors, keep, duration = model.factors.tolist(), model.keep.tolist(), model.duration.tolist()
    cost_pv = model.cost_pv.tolist()
    results = []
    for d in range(n):
        def pick(name: str, o: int) -> float:
            key = f"outcome:{model.outcome_ids[o]}.{name}"
            if key in cols:
                return cols[key][d]
            if name in cols and not own[name][o]:
                return cols[name][d]
            return fields[name][o]
        total = 0.0
        cohort = cols["cohort"][d] if "cohort" in cols else model.cohort
        engagement = cols["engagement"][d] if "engagement" in cols else model.engagement
        for o in range(len(model.outcome_ids)):
            people = cohort * engagement * pick("success", o) * (1 - pick("deadweight", o)) \
                * (1 - pick("displacement", o)) * pick("attribution", o)
            lag, drop = round(pick("lag", o)), pick("drop_off", o)
            pv = 0.0
            for year in range(model.horizon):
                since = year - lag
                if 0 <= since < duration[o]:
                    pv += (1 - drop) ** since * factors[o][year]
            total += people * pick("unit_value", o) * keep[o] * pv
        multiplier = cols["cost_multiplier"][d] if "cost_multiplier" in cols else 1.0
        results.append(total - multiplier * sum(cost_pv))
    return results


def timed(function, reps: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(reps):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    appraisal = benchmark_intervention()
    model = vector_model(appraisal)
    print(f"intervention: horizon {appraisal.intervention.horizon} years, {len(model.outcome_ids)} outcome lines, "
          f"{len(appraisal.intervention.uncertainty)} inputs drawn; {args.draws:,} draws")

    def vectorised():
        return evaluate(model, sample(appraisal, args.draws, seed=1), args.draws)

    fast, result = timed(vectorised, args.reps)
    draws = sample(appraisal, args.draws, seed=1)
    slow, baseline = timed(lambda: loop_baseline(model, draws, args.draws), 1)
    agree = np.allclose(result.public_value_npv, baseline, rtol=1e-9, atol=1e-6)
    print(f"vectorised NumPy (sampling + appraisal, median of {args.reps}): {fast:.3f} s "
          f"({'meets' if fast < 1 else 'MISSES'} the < 1 s goal)")
    print(f"plain-Python loop baseline (same draws, 1 run):             {slow:.3f} s")
    print(f"ratio (loop / vectorised): {slow / fast:.0f}x; results agree: {agree}")


if __name__ == "__main__":
    main()
