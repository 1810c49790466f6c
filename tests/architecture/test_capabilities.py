"""The one list of capabilities (totalplace.capabilities) is the one the CLI, the report and the web use."""

from __future__ import annotations

import typer.main

from totalplace import capabilities
from totalplace.cli import app
from totalplace.report import contents


def test_every_command_a_capability_names_is_a_command_of_totalplace():
    registered = set(typer.main.get_command(app).commands)
    named = {name for c in capabilities.CAPABILITIES for name in c.commands}
    assert named <= registered, named - registered


def test_each_capability_is_listed_once_and_makes_its_sections_in_its_own_package():
    keys = [c.key for c in capabilities.CAPABILITIES]
    assert len(keys) == len(set(keys))
    for capability in capabilities.CAPABILITIES:
        home = capability.sections.__module__
        assert not home.startswith(("totalplace.report", "totalplace.web", "totalplace.cli", "totalplace.commands")), home


def test_the_report_reads_the_capabilities_in_the_lists_order(small_place, monkeypatch):
    """The report asks each capability of the list for its sections, in order, with the report's year."""
    asked: list[tuple[str, str | None]] = []
    fakes = [capabilities.Capability(c.key, c.title, c.about, lambda w, y, key=c.key: asked.append((key, y)) or [],
                                     c.commands, c.in_report, c.page) for c in capabilities.CAPABILITIES]
    monkeypatch.setattr(capabilities, "CAPABILITIES", tuple(fakes))
    assert contents.report_sections(small_place, "2018-19") == []
    assert asked == [(c.key, "2018-19") for c in fakes if c.in_report]
