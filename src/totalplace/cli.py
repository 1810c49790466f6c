"""The `totalplace` command: a thin layer over the service functions, assembled from the one list of capabilities.

Each module of totalplace.commands declares its commands as COMMANDS (name -> command group or function); this
module registers, in order, the workspace's own commands, each capability's commands as the list
(totalplace.capabilities) names them, then the commands that work across every capability. It defines none.
"""

from __future__ import annotations

from collections.abc import Iterable

import typer

from totalplace.capabilities import CAPABILITIES, Capability
from totalplace.commands import (
    appraise, bottomup, cohort, deal, estate, exchange, journey, report, serve, store, streams, topdown, transfers,
    unit_costs, workspace,
)
from totalplace.commands.common import Commands

MODULES = (appraise, bottomup, cohort, deal, estate, exchange, journey, report, serve, store, streams, topdown,
           transfers, unit_costs, workspace)

# The commands that belong to no one capability: setting up the workspace, first (a user starts there), and,
# after the capabilities, those that work across all of them.
SETUP = ("init", "agency")
ACROSS = ("report", "serve", "export", "import", "store")


def declared(modules: Iterable = MODULES) -> Commands:
    """Every command the modules declare, by name."""
    return {name: command for module in modules for name, command in module.COMMANDS.items()}


def assemble(capabilities: Iterable[Capability]) -> typer.Typer:
    """The `totalplace` app with the commands the capabilities name, between SETUP and ACROSS.

    A name no module declares is a mistake in the code, not the user's: it stops the import, loudly."""
    app = typer.Typer(help="Count all the public money in a place (UK Total Place).", no_args_is_help=True)
    commands = declared()
    for name in (*SETUP, *(name for c in capabilities for name in c.commands), *ACROSS):
        if name not in commands:
            raise LookupError(f"`totalplace {name}` is named in totalplace.cli or totalplace.capabilities, "
                              "but no module of totalplace.commands declares it in COMMANDS")
        command = commands[name]
        if isinstance(command, typer.Typer):
            app.add_typer(command, name=name)
        else:
            app.command(name)(command)
    return app


app = assemble(CAPABILITIES)

if __name__ == "__main__":
    app()
