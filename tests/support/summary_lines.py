"""Lines a test asks to be shown after the run's summary, so a CI log records them (issue 18: the Spark
fixture is built once, and the log says so).

A test calls `record_property("summary_line", text)`. pytest-xdist carries each report's properties from
its worker to the controller, where this plugin (loaded by pyproject's addopts) prints them.
"""

from __future__ import annotations

NAME = "summary_line"


def pytest_terminal_summary(terminalreporter) -> None:
    lines = [value for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed")
             for name, value in report.user_properties if name == NAME]
    if lines:
        terminalreporter.write_sep("-", "notes from the tests")
        for line in lines:
            terminalreporter.write_line(line)
