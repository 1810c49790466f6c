"""How many examples a property test tries: every one under `make test`, a fifth in `make test-fast`.

`make test` runs Hypothesis's own settings (100 examples a property); `make test-fast` asks for the
"fast" profile (`--hypothesis-profile fast`, 20). A test that sets its own number writes
`settings(max_examples=examples(150))`, so the fast lane scales it down as well (never below 10, or the
number asked if that is fewer) while the full run tries exactly what the test asked for.
tests/conftest.py imports this module, so the profile is known before pytest loads it.
"""

from __future__ import annotations

from hypothesis import settings

DEFAULT = 100  # Hypothesis's own number of examples, the full run's
LEAST = 10  # so few that a property still meets its edge cases (the empty, the one, the many)

settings.register_profile("fast", max_examples=DEFAULT // 5)


def examples(asked: int) -> int:
    """The number of examples to try: `asked` in the full run, the profile's share of it in the fast lane."""
    share = settings.default.max_examples / DEFAULT
    return asked if share >= 1 else max(min(asked, LEAST), round(asked * share))
