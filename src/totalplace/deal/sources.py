"""Published benchmarks the deal and estate compare a place against, each with its source.

The figures come from Keohane and Smith, *Greater than the sum of its parts: Total Place
and the future shape of public services* (NLGN, March 2010), the project's seed text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

BOOK = "Keohane and Smith, Greater than the sum of its parts (NLGN, March 2010)"


@dataclass(frozen=True)
class Benchmark:
    figure: str
    value: Decimal
    source: str

    def citation(self) -> str:
        return f"{self.figure} Source: {self.source}."


POOLED_HEALTH_AND_CARE_2008 = Benchmark(
    "Only 3.4% of health and social care funding was formally pooled in 2008, as the Government acknowledged.",
    Decimal("0.034"),
    f"{BOOK}, chapter 6 'Identifying and analysing the challenges ahead', section 'Resource and responsibility'",
)
LEICESTERSHIRE_REPORTING = Benchmark(
    "Leicestershire and its partners processed 3,000 performance datasets, reports or evaluations a year, "
    "needing 92 full-time staff at an estimated cost of £3.7m.",
    Decimal("3700000"),
    f"{BOOK}, chapter 6, section 'Performance management', citing Deloitte, Measuring the workload: public "
    "sector performance reporting and inspection regimes in Leicestershire (October 2009)",
)
LEICESTERSHIRE_RETURNS, LEICESTERSHIRE_STAFF = 3000, 92
WORCESTERSHIRE_ESTATE = Benchmark(
    "Worcestershire expected revenue savings of £10m to £15m a year, about 10%, from a total property "
    "running cost of £140m, by sharing public buildings across agencies.",
    Decimal("0.10"),
    f"{BOOK}, chapter 11 'Converging systems on the citizen', case study 'Worcestershire County Council and "
    "Asset Management' (see also chapter 4, 'Making the most of public service assets')",
)
WORCESTERSHIRE_RUNNING_COST = Decimal("140000000")
