"""The one kind of error a user sees: bad input, said in one clear line."""

from __future__ import annotations

from collections.abc import Iterable


class InputError(Exception):
    """Bad input from the user: a file, a row, a setting. The CLI exits 2 with its message."""


def one_of(value: str, choices: Iterable[str], asked: str) -> str:
    """`value` when it is one of `choices`; else one line saying what was asked and listing the choices."""
    known = list(choices)
    if value not in known:
        raise InputError(f"cannot {asked} {value!r}; choose one of {', '.join(known)}")
    return value
