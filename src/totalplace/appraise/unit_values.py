"""Unit values for outcomes, from the deep dive's unit cost library (uprated to the price base year)."""

from __future__ import annotations


from totalplace.appraise.engine import LibraryValue
from totalplace.errors import InputError


def library_unit_value(workspace):
    """A lookup (code, price year) -> the value, its source and its bearing agency, over the workspace's library.

    The library is loaded on first use, so an intervention valued wholly in
    `unit_value`s never needs it.
    """
    loaded = []

    def lookup(code: str, price_year: str) -> LibraryValue:
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
        return LibraryValue(library.value(code, price_year), _describe(entry, price_year), entry.agency, entry.code)

    return lookup


def _describe(entry, price_year: str) -> str:
    """Where a unit value came from, in words: the library's code, description and published source."""
    parts = [f"unit cost library {entry.code}"]
    for name in ("description", "source"):
        text = getattr(entry, name, "")
        if text:
            parts.append(str(text))
    parts.append(f"borne by {entry.agency}")
    if getattr(entry, "illustrative", False):
        parts.append("ILLUSTRATIVE value, not checked against its source")
    parts.append(f"uprated from {getattr(entry, 'price_year', '?')} to {price_year} prices by the GDP deflator")
    return "; ".join(parts)
