"""Suppliers whose names a publisher withheld ('REDACTED', 'Personal data', 'Withheld').

Such a payment is kept and counted like any other, and flagged, so that a
count can say how much of its money went to suppliers it cannot name. A name
is redacted when it is made only of the words publishers use for that, and
says so (one of the marks): 'Confidential Shredding Ltd' is a supplier.
"""

from __future__ import annotations

_WORDS = ("redacted", "redaction", "withheld", "personal", "data", "information", "info", "name", "names",
          "supplier", "payee", "not", "disclosed", "undisclosed", "private", "individual", "individuals",
          "confidential", "commercially", "commercial", "in", "confidence", "sensitive", "protection",
          "suppressed", "gdpr", "dpa", "due", "to", "under", "act", "details", "removed", "for", "reasons",
          "of", "the", "and", "or", "person", "persons", "a", "an")
_MARKS = ("redact", "withheld", "personal", "disclos", "individual", "confiden", "suppress", "gdpr")


def redacted_sql(column: str) -> str:
    """SQL: whether the supplier name in `column` says it was withheld (FALSE for no name)."""
    words = "|".join(_WORDS)
    marks = "|".join(_MARKS)
    # the marks first, as a CASE: most names have none, and the whole-name match is read only for the rest
    return (f"CASE WHEN regexp_matches({column}, '(?i){marks}') "
            f"THEN regexp_full_match(lower({column}), '[^a-z]*(({words})[^a-z]*)+') ELSE FALSE END")
