"""Which rules of a table match a line (classify.rules.matcher): the same answer as scanning the table, remembered
by the table's content, so an edited table is matched afresh."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from totalplace.classify.control import LineKey
from totalplace.classify.rules import matcher


@dataclass(frozen=True)
class Rule:
    spender: str
    patterns: dict[str, re.Pattern | None]


WORDS = st.sampled_from(["police", "health", "schools", "roads", "pensions", ""])
SPENDERS = st.sampled_from(["CG", "LG", "PC", ""])
RULES = st.lists(st.builds(lambda s, d, f: Rule(s, {"department": re.compile(d, re.I) if d else None,
                                                      "function": re.compile(f, re.I) if f else None}),
                           SPENDERS, WORDS, WORDS), max_size=8)
LINES = st.builds(lambda s, d, f: LineKey(s or "CG", f"Dept of {d}", "", "", "", f"{f} services"), SPENDERS, WORDS, WORDS)


def scanned(rules: list[Rule], line: LineKey) -> tuple[int, ...]:
    return tuple(i for i, r in enumerate(rules) if (not r.spender or r.spender == line.spender)
                 and all(p is None or p.search(getattr(line, c)) for c, p in r.patterns.items()))


@given(RULES, st.lists(LINES, min_size=1, max_size=6))
def test_the_rules_matched_are_those_a_scan_of_the_table_finds_in_order(rules, lines):
    matched = matcher(rules)
    for line in [*lines, *lines]:  # the second time from memory (the test below counts that it is)
        assert matched(line) == scanned(rules, line)


def test_an_edited_table_is_matched_afresh_and_the_first_is_remembered_still():
    line = LineKey("CG", "Home Office", "", "", "", "Public order and safety / 3.1 Police services")
    police = [Rule("", {"function": re.compile("police", re.I)}), Rule("", {"function": None})]
    edited = [Rule("", {"function": re.compile("fire", re.I)}), Rule("", {"function": None})]
    assert matcher(police)(line) == (0, 1)
    assert matcher(edited)(line) == (1,)
    assert matcher(list(police))(line) == (0, 1)  # a new list with the same rules: the same answer


class CountingPattern:
    """A compiled pattern that counts the lines it is run over."""

    def __init__(self, pattern: str) -> None:
        self.compiled = re.compile(pattern, re.I)
        self.pattern, self.flags = self.compiled.pattern, self.compiled.flags
        self.searched = 0

    def search(self, text: str):
        self.searched += 1
        return self.compiled.search(text)


def test_a_line_matched_before_is_answered_without_running_the_patterns_again():
    """The point of the matcher: a report's many top-down counts run each pattern once a line, not once a count."""
    pattern = CountingPattern("police|(only this test's table)")
    rules = [Rule("", {"function": pattern}), Rule("", {"function": None})]
    line = LineKey("CG", "Home Office", "", "", "", "Public order and safety / 3.1 Police services")
    assert matcher(rules)(line) == (0, 1)
    assert matcher(rules)(line) == matcher(list(rules))(line) == (0, 1)  # a new matcher, a new list: from memory
    assert pattern.searched == 1
