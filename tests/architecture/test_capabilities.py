"""The one list of capabilities (totalplace.capabilities) is the one the CLI, the report and the web use."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import pytest
import typer.main

from totalplace import capabilities, cli, commands
from totalplace.cli import app
from totalplace.report import contents


def _registered() -> dict:
    return typer.main.get_command(app).commands


def _leaves(command, path: str):
    """Every command under a command group, with its `totalplace ...` path."""
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _leaves(sub, f"{path} {name}")
    else:
        yield path, command


def test_the_commands_of_totalplace_are_the_capabilities_and_a_short_list_of_no_capabilitys():
    """Each capability's commands, named once in the list, and the few that belong to no capability: no more."""
    named = [name for c in capabilities.CAPABILITIES for name in c.commands]
    of_none = list(cli.SETUP + cli.ACROSS)
    assert len(named + of_none) == len(set(named + of_none))
    assert sorted(_registered()) == sorted(named + of_none)


def test_cli_defines_no_command_each_is_declared_by_a_module_of_commands():
    """Every command the commands modules declare in COMMANDS is registered, under that name, and nothing else:
    a module's command the list does not name fails here."""
    declared = {}
    for found in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{found.name}")
        for name, command in getattr(module, "COMMANDS", {}).items():
            assert name not in declared, f"{name} is declared twice"
            declared[name] = command
    assert sorted(declared) == sorted(_registered())
    for name, command in _registered().items():
        for path, leaf in _leaves(command, name):
            assert leaf.callback.__module__.startswith("totalplace.commands."), (path, leaf.callback.__module__)


def test_a_command_the_list_names_that_no_module_declares_fails_at_assembly():
    ghost = dataclasses.replace(capabilities.CAPABILITIES[0], commands=("levitate",))
    with pytest.raises(LookupError, match="levitate"):
        cli.assemble((ghost,))


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
