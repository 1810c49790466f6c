"""What every command shares: the consoles, the common options, and the one-line error rule."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from totalplace.errors import InputError
from totalplace.present.tables import Format, check_output

# Wide enough for file paths and money when the output is piped to a file.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)  # an error stays one line, however long

WorkspaceOption = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="The workspace folder (default: $TOTALPLACE_WORKSPACE or here).",
                 envvar="TOTALPLACE_WORKSPACE"),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="How to print the figures.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]
# What a commands module registers: `totalplace <name>` -> a command group or a command function. Each module
# declares its own as COMMANDS; the CLI registers those the list of capabilities names (totalplace.cli).
Commands = Mapping[str, typer.Typer | Callable[..., None]]
YearOption = Annotated[
    str | None, typer.Option("--year", "-y", help="Fiscal year like 2018-19, or 'all' (default: latest loaded).")
]


def user_errors(command: Callable) -> Callable:
    """Bad input ends the command with one clear line and exit code 2."""
    @wraps(command)
    def run(*args, **kwargs):
        try:
            check_output(kwargs.get("fmt"), kwargs.get("output"))  # a slip is caught before any work is done
            return command(*args, **kwargs)
        except InputError as error:
            err.print(f"error: {error}", highlight=False, markup=False)
            raise typer.Exit(2) from None
    return run
