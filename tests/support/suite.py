"""How the whole suite runs under `make test` (loaded by pyproject's addopts): the Spark tests start first,
and lines the tests record are printed after the summary, so the CI log shows them.
"""

from __future__ import annotations

import pytest

NAME = "summary_line"  # a test calls record_property(NAME, text) for its line to be printed


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Spark tests' file first, the rest in their order: it is the longest file (a JVM, three workspaces
    and some hundreds of Spark queries), so under `--dist loadfile --no-loadscope-reorder` one worker starts
    it at once while the other takes the rest, and it is never the last file left running."""
    items.sort(key=lambda item: item.get_closest_marker("spark") is None)


def pytest_terminal_summary(terminalreporter) -> None:
    """pytest-xdist carries each report's recorded properties from its worker to the controller, which prints
    them here."""
    lines = [value for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed")
             for name, value in report.user_properties if name == NAME]
    if lines:
        terminalreporter.write_sep("-", "notes from the tests")
        for line in lines:
            terminalreporter.write_line(line)
