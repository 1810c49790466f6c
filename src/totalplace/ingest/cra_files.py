"""The CRA workbooks of a workspace, in its cra/ folder: the releases shipped with totalplace and those added.

Every shipped release is in the folder unless the user removed it: each is
copied in once, and cra/shipped_releases.txt remembers which were, so that a
release the user deletes stays deleted. A shipped workbook that is no longer
a readable workbook (cut short by a copy that was killed) is copied in again.
Workbooks are placed whole or not at all (see placing.place_file).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from totalplace import reference
from totalplace.errors import InputError
from totalplace.ingest.placing import clear_unfinished, place_file, place_text
from totalplace.ingest.sources import sha256_of
from totalplace.workspace import Workspace

CRA_DIR = "cra"
SHIPPED_LIST = "shipped_releases.txt"


def workbook_paths(workspace: Workspace, new_files: list[Path] | None = None) -> tuple[list[Path], list[Path]]:
    """The workspace's CRA workbooks, after copying in the shipped releases and any new ones; and the new ones
    placed now (to be removed if they cannot be loaded)."""
    folder = workspace.root / CRA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    clear_unfinished(folder)
    _keep_shipped_releases(folder)
    placed = []
    try:
        for path in new_files or []:
            if _add_workbook(path, folder):
                placed.append(folder / path.name)
    except BaseException:
        remove(placed)
        raise
    return sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith("~$")), placed


def remove(paths: list[Path]) -> None:
    """Take out workbooks placed by a load that failed: the folder is left as it was."""
    for path in paths:
        path.unlink(missing_ok=True)


def _add_workbook(path: Path, folder: Path) -> bool:
    """Copy a workbook into the folder; whether it was placed now (False if it is there already)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    target = folder / path.name
    if target.exists():
        if target.resolve() == path.resolve() or sha256_of(target) == sha256_of(path):
            return False
        raise InputError(f"{path}: a different workbook named {path.name} is already in {folder}; "
                         "rename one, or delete the old one first")
    place_file(path, target)
    return True


def _keep_shipped_releases(folder: Path) -> None:
    """Copy in each shipped release not yet copied, and any copied one no longer readable."""
    listed_file = folder / SHIPPED_LIST
    listed = set(listed_file.read_text(encoding="utf-8").split()) if listed_file.exists() else set()
    for shipped in sorted(Path(str(reference.data_path(CRA_DIR))).glob("*.xlsx")):
        target = folder / shipped.name
        if target.exists() and not _readable(target) or not target.exists() and shipped.name not in listed:
            place_file(shipped, target)
        if target.exists():
            listed.add(shipped.name)
    text = "".join(f"{name}\n" for name in sorted(listed))
    if not listed_file.exists() or listed_file.read_text(encoding="utf-8") != text:
        place_text(text, listed_file)


def _readable(path: Path) -> bool:
    """Whether a workbook is whole: a zip archive whose every member reads back (a cut copy is not)."""
    try:
        with zipfile.ZipFile(path) as book:
            return book.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False
