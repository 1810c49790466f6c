"""Imported Fiscal Data Packages: inputs of the workspace, beside its own count.

`import_package` checks a package (the Frictionless validator, then every
row), copies it into `imports/<name>/` (the copy is the input; the store's
`imported_figure` table is derived from the copies) and loads its figures.
Another place's exported count, or a top-down count made elsewhere, can then
be set beside this place's own count, cut by cut.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from totalplace.count import bottomup
from totalplace.errors import InputError, one_of
from totalplace.exchange.fdp import DESCRIPTOR, Package, read_package, validate
from totalplace.store.connection import StoreConnection, transaction
from totalplace.workspace import Workspace, slug

IMPORTS = "imports"
TABLE = """
CREATE TABLE IF NOT EXISTS imported_figure (
    package VARCHAR NOT NULL, place VARCHAR, fiscal_year VARCHAR NOT NULL, direction VARCHAR,
    agency VARCHAR, theme VARCHAR, cofog VARCHAR, control_level VARCHAR,
    amount DECIMAL(38,2) NOT NULL, method VARCHAR, source VARCHAR, confidence VARCHAR
)"""
CUTS = ("agency", "theme", "cofog", "year")


def imports_dir(workspace: Workspace) -> Path:
    return workspace.root / IMPORTS


def packages(workspace: Workspace) -> list[Package]:
    """Every package imported into the workspace, read from its copy."""
    folder = imports_dir(workspace)
    return [read_package(d) for d in sorted(folder.iterdir()) if (d / DESCRIPTOR).is_file()] if folder.is_dir() else []


def import_package(con: duckdb.DuckDBPyConnection, workspace: Workspace, source: Path,
                   name: str | None = None) -> Package:
    """Check a package, copy it into the workspace and reload the imported figures."""
    problems = validate(source)
    if problems:
        raise InputError(f"not a valid data package: {problems[0]}"
                         + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    package = read_package(source)
    target = imports_dir(workspace) / slug(name or package.name)
    if target.exists() and target.resolve() != package.path.parent.resolve():
        raise InputError(f"{target} exists already: remove it, or import under another --name")
    if not target.exists():
        shutil.copytree(package.path.parent, target)
    reload(con, workspace)
    return read_package(target)


def reload(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> int:
    """Rebuild imported_figure from the copies in imports/, in one transaction."""
    con.execute(TABLE)
    found = [(p.path.parent.name, f) for p in packages(workspace) for f in p.figures]
    with transaction(con):
        con.execute("DELETE FROM imported_figure")
        con.executemany(
            "INSERT INTO imported_figure VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[name, f.place, f.fiscal_year, f.direction, f.agency, f.theme, f.cofog, f.control_level, f.amount,
              f.method, f.source, f.confidence] for name, f in found],
        )
    return len(found)


def find_package(workspace: Workspace, name: str) -> Package:
    for package in packages(workspace):
        if package.path.parent.name == name:
            return package
    known = ", ".join(p.path.parent.name for p in packages(workspace)) or "none yet"
    raise InputError(f"no imported package {name!r} in {imports_dir(workspace)} (imported: {known})")


@dataclass(frozen=True)
class Comparison:
    key: str
    ours: Decimal
    theirs: Decimal

    @property
    def difference(self) -> Decimal:
        return self.theirs - self.ours


def compare(con: StoreConnection, workspace: Workspace, package: Package, by: str,
            year: str | None = None, direction: str | None = None) -> tuple[str, list[Comparison]]:
    """This place's bottom-up count beside an imported package's figures, by one cut, for one year."""
    one_of(by, CUTS, "compare by")
    fiscal_year = bottomup.choose_year(con, year) if year != "all" else None
    ours = {r.key: r.amount for r in bottomup.count(con, workspace, by, fiscal_year or "all").rows}
    theirs: dict[str, Decimal] = defaultdict(Decimal)
    for f in package.figures:
        if (fiscal_year is None or f.fiscal_year == fiscal_year) and direction in (None, f.direction):
            theirs[f.fiscal_year if by == "year" else getattr(f, by)] += f.amount
    keys = sorted(set(ours) | set(theirs), key=lambda k: (-max(ours.get(k, 0), theirs.get(k, 0)), k))
    return fiscal_year or "all years", [Comparison(k, ours.get(k, Decimal(0)), theirs.get(k, Decimal(0)))
                                        for k in keys]
