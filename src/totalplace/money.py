"""Money in one place: the penny, the one rounding rule, reading money typed as text, writing it, and per head.

Amounts are exact Decimals, to the penny. Every module that rounds, reads or
shows an amount uses these, so that a figure rounds, reads and reads out the
same way wherever it is made or shown. (The store's SQL money type and parsing
macros, which read whole payment files in one pass, are in store/macros.py.)
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PENNY = Decimal("0.01")
# Half a penny goes away from zero (Decimal's ROUND_HALF_UP: 0.125 -> 0.13, -0.125 -> -0.13). It is the rule of
# the store's SQL, where DuckDB rounds and casts DECIMALs so, and of Excel's ROUND, which the finance teams check
# these figures against: a penny rounded here is the penny the store and their spreadsheet give.
ROUNDING = ROUND_HALF_UP

_NOISE = re.compile(r"[£,\s]")  # pound signs, thousands separators and spaces around or inside the digits


def to_pennies(amount: Decimal) -> Decimal:
    """The amount to the nearest penny, by the one rounding rule."""
    return amount.quantize(PENNY, rounding=ROUNDING)


def parse_money(value: object) -> Decimal:
    """Money as typed or stored by a spreadsheet, as an exact Decimal.

    Reads 1234.5, '£1,234.50', ' 1 234 ', '-£12' and '(200)' (negative, as accounts write it). A float
    (a number from Excel) is read through its shortest text, so no binary noise comes with it.
    Raises ValueError for anything that is not a finite amount.
    """
    if isinstance(value, Decimal):
        text = str(value)
    elif value is None or isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount of money")
    else:
        text = _NOISE.sub("", repr(value) if isinstance(value, float) else str(value))
    negative = text.startswith("(") and text.endswith(")")
    try:
        amount = Decimal(text[1:-1] if negative else text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount of money") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount of money")
    return -amount if negative else amount


def format_money(amount: Decimal | float | None, missing: str = "n/a", places: int = 2, rounded: bool = False) -> str:
    """£1,234.56 and -£12.00 (the sign before the pound sign); `missing` when there is no figure.

    Each place says why a figure is missing in its own word: 'n/a' where there is none to give,
    'suppressed' where one is withheld to protect people in small numbers. `rounded` shows a figure
    apportioned or modelled as people read an estimate: under £100,000 to the pound, above it to three
    significant figures in £k, £m or £bn (£8,935, £457k, £12.3m, £4.83bn).
    """
    if amount is None:
        return missing
    text = _rounded_pounds(abs(Decimal(amount))) if rounded else f"£{abs(amount):,.{places}f}"
    return "-" + text if amount < 0 else text


def _rounded_pounds(amount: Decimal) -> str:
    if amount < 100_000:
        return f"£{amount.quantize(Decimal(1), rounding=ROUNDING):,}"
    figures = significant(amount)
    for size, suffix in ((10**9, "bn"), (10**6, "m"), (10**3, "k")):
        if figures >= size:
            return f"£{as_written(significant(figures / size))}{suffix}"
    return f"£{figures:,.0f}"  # pragma: no cover - every amount over £100,000 has a unit above


def significant(value: Decimal, figures: int = 3) -> Decimal:
    """A value to so many significant figures by the one rounding rule: 4.6089 -> 4.61, 9.995 -> 10.0."""
    if value == 0:
        return Decimal(0)
    rounded = value.quantize(Decimal(1).scaleb(value.adjusted() - figures + 1), rounding=ROUNDING)
    if rounded.adjusted() > value.adjusted():  # rounding carried into a new digit
        rounded = value.quantize(Decimal(1).scaleb(rounded.adjusted() - figures + 1), rounding=ROUNDING)
    return rounded


def as_written(value: Decimal) -> str:
    """A Decimal with thousands separators and the decimal places it holds: 1234.50 -> '1,234.50'."""
    places = max(0, -int(value.as_tuple().exponent))
    return f"{value:,.{places}f}"


def per_head(amount: Decimal, people: int | None) -> Decimal | None:
    """Pounds per person, to the penny; None where there is no population to divide by."""
    return to_pennies(amount / people) if people is not None and people > 0 else None
