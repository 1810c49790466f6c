"""The pages' charts: the report's own matplotlib charts (`present.charts`), drawn one at a time.

pyplot keeps global state, and the app serves requests from many threads.
"""

from __future__ import annotations

import threading
from decimal import Decimal

from totalplace.present import charts

_draw_lock = threading.Lock()
TOP_BARS = 12  # a chart reads well up to about a dozen bars; the table beside it has every row


def bar_chart(title: str, labels: list[str], amounts: list[Decimal | None]) -> str:
    shown = [(label, amount) for label, amount in zip(labels, amounts) if amount is not None][:TOP_BARS]
    with _draw_lock:
        return charts.bar_chart([label for label, _ in shown], [amount for _, amount in shown], title)


def drawn(draw, *args) -> str:
    """Any other report chart (flow, sliding scale), under the same lock."""
    with _draw_lock:
        return draw(*args)
