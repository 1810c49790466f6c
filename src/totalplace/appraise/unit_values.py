"""Unit values for outcomes, from the deep dive's unit cost library (uprated to the price base year)."""

from __future__ import annotations

from decimal import Decimal

from totalplace.errors import InputError


def library_unit_value(workspace):
    """A lookup (code, price year) -> (value, source) over the workspace's unit cost library.

    The library is loaded on first use, so an intervention valued wholly in
    `unit_value`s never needs it.
    """
    loaded = []

    def lookup(code: str, price_year: str) -> tuple[Decimal, str]:
        if workspace is None:
            raise InputError(f"unit cost {code!r}: a unit cost code needs a workspace (its unit cost library)")
        if not loaded:
            try:
                from totalplace.deepdive.unit_costs import load_library
            except ImportError:
                raise InputError(f"unit cost {code!r}: the unit cost library is not installed; "
                                 "give unit_value instead") from None
            loaded.append(load_library(workspace))
        library = loaded[0]
        entry = library.get(code)
        value = library.value(code, price_year)
        return value, _describe(code, entry, price_year)

    return lookup


def _describe(code: str, entry, price_year: str) -> str:
    """Where a unit value came from, in words: the library's code, description and published source."""
    parts = [f"unit cost library {code}"]
    for name in ("description", "source"):
        text = getattr(entry, name, "")
        if text:
            parts.append(str(text))
    if getattr(entry, "illustrative", False):
        parts.append("ILLUSTRATIVE value, not checked against its source")
    parts.append(f"uprated from {getattr(entry, 'price_year', '?')} to {price_year} prices by the GDP deflator")
    return "; ".join(parts)
