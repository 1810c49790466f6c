"""The one way the tests build a workspace: a place, its partner agencies, the files put in it, loaded or not."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from support.data import BRADFORD
from totalplace.count import topdown
from totalplace.ingest import cra_files
from totalplace.ingest.cra import CACHE_VERSION, cached_release
from totalplace.ingest.sources import sha256_of
from totalplace.ingest.load import ingest
from totalplace.workspace import Agency, Workspace, init_workspace

# A file put in a workspace: a path to copy, or the text to write.
FileContent = Path | str


def build_workspace(root: Path, name: str = "Bradford", areas: Iterable[str] = (BRADFORD,),
                    agencies: Iterable[Agency] = (), files: Mapping[str, FileContent] | None = None,
                    load: bool = False) -> Workspace:
    """A workspace at root for the place made of `areas`, with `agencies` added beside the councils,
    `files` (paths relative to the workspace's folder) copied or written in, and ingested when `load`."""
    workspace = init_workspace(root, name, list(areas))
    for agency in agencies:
        workspace.add_agency(agency)
    for relative, content in (files or {}).items():
        target = workspace.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_text(content, encoding="utf-8")
    if load:
        ingest(workspace)
    return workspace


def seed_cra_cache(workspace: Workspace, shared: Path, workbooks: Iterable[Path] | None = None) -> None:
    """The workbooks' (by default the workspace's own releases') normalised lines in the workspace's CRA cache,
    read into `shared` only the first time. A lock beside `shared` lets one process fill it while the others
    wait and then read what it wrote."""
    if workbooks is None:
        workbooks = cra_files.workbook_paths(workspace)[0]
    target = workspace.root / topdown.CACHE_DIR
    target.mkdir(parents=True, exist_ok=True)
    shared.mkdir(parents=True, exist_ok=True)
    with open(shared.parent / f"{shared.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for workbook in workbooks:
            cached_release(workbook, shared)
            name = f"cra-{sha256_of(workbook)[:32]}-v{CACHE_VERSION}.parquet"
            shutil.copyfile(shared / name, target / name)
