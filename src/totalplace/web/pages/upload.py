"""Upload a spend file: the same detection, validation and accounting as `totalplace ingest`.

1. The file is saved in a staging folder outside the workspace (never under its
   given name's path: names with folders in them are refused).
2. Preview: `ingest.load.load_file` runs inside a transaction that is rolled
   back (the store held exclusively, see `figures.Store.writing`), so the
   user sees the mapping and the rows that would load or be rejected, with
   reasons, and the store is untouched.
3. On confirmation, `ingest.load.ingest` adds the file to the agency's folder
   and loads it in one transaction; if that fails, nothing is kept.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from totalplace.errors import InputError
from totalplace.ingest.load import FileReport, ingest, load_file
from totalplace.ingest.sources import SPEND_SUFFIXES, sha256_of
from totalplace.store.connection import connect
from totalplace.web.auth import Principal, check_csrf, current_principal, require
from totalplace.web.db import Role, audit
from totalplace.web.figures import Store
from totalplace.web.pages import NavItem
from totalplace.web.render import page

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Upload", "/upload", lambda p: p.role in (Role.analyst, Role.administrator))]
UPLOAD_ROLES = (Role.analyst, Role.administrator)
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.()-]{0,150}$")
PREVIEW_REJECTIONS = 50
PENDING_HOURS = 2


@dataclass
class Pending:
    """An uploaded file waiting for its uploader to confirm it."""

    username: str
    agency_id: str
    path: Path
    created: float


class Staging:
    """Uploaded files awaiting confirmation, in a private temporary folder outside the workspace."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="totalplace-uploads-"))
        self.pending: dict[str, Pending] = {}
        self.lock = threading.Lock()

    def add(self, username: str, agency_id: str, name: str, upload: UploadFile) -> tuple[str, Pending]:
        self.expire()
        upload_id = secrets.token_urlsafe(16)
        folder = self.root / upload_id
        folder.mkdir()
        path = folder / name
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target, 1024 * 1024)
        pending = Pending(username, agency_id, path, time.time())
        with self.lock:
            self.pending[upload_id] = pending
        return upload_id, pending

    def take(self, upload_id: str, username: str) -> Pending:
        with self.lock:
            pending = self.pending.get(upload_id)
            if pending is None or pending.username != username:
                raise HTTPException(404, "no such upload waiting for you (it may have expired): upload it again")
            return self.pending.pop(upload_id)

    def discard(self, pending: Pending) -> None:
        shutil.rmtree(pending.path.parent, ignore_errors=True)

    def expire(self) -> None:
        cutoff = time.time() - PENDING_HOURS * 3600
        with self.lock:
            old = [key for key, p in self.pending.items() if p.created < cutoff]
            for key in old:
                self.discard(self.pending.pop(key))


def staging(request: Request) -> Staging:
    if not hasattr(request.app.state, "staging"):
        request.app.state.staging = Staging()
    return request.app.state.staging


def checked_name(name: str | None) -> str:
    """The uploaded file's own name, refused if it could reach outside its folder or is not a spend file."""
    if not name:
        raise HTTPException(400, "the upload has no file name")
    if "/" in name or "\\" in name or ".." in name or "\x00" in name or not SAFE_NAME.match(name):
        raise HTTPException(400, f"file name {name!r} refused: use letters, digits, spaces, '-', '_', '.' "
                                 f"and '()' only, with no folder in it")
    if not name.lower().endswith(SPEND_SUFFIXES):
        raise HTTPException(400, f"file name {name!r} refused: a spend file ends in {', '.join(SPEND_SUFFIXES)}")
    return name


def upload_agency(principal: Principal, store: Store, chosen: str | None) -> str:
    """An analyst uploads for their own agency; an administrator for the one chosen."""
    agency_id = principal.agency_id if principal.role == Role.analyst else chosen
    if not agency_id:
        raise HTTPException(400, "choose the agency the file belongs to")
    store.workspace.agency(agency_id)
    return agency_id


def preview(store: Store, agency_id: str, path: Path) -> tuple[FileReport, list[tuple]]:
    """What loading the file would do, from the loader itself, in a transaction rolled back."""
    agency = store.workspace.agency(agency_id)
    with store.writing():
        cur = connect(store.workspace)
        cur.execute("BEGIN TRANSACTION")
        try:
            report = load_file(cur, store.workspace, agency, path, sha256_of(path))
            rejected = cur.execute(
                """SELECT row_number, column_name, reason, raw_text FROM rejected_row
                   WHERE file_id = (SELECT max(file_id) FROM source_file) ORDER BY row_number LIMIT ?""",
                [PREVIEW_REJECTIONS],
            ).fetchall() if report.outcome == "loaded" else []
        finally:
            cur.execute("ROLLBACK")
            cur.close()
    return report, rejected


@router.get("/upload")
def upload_form(request: Request) -> Response:
    require(current_principal(request), *UPLOAD_ROLES)
    return page(request, "upload.html", agencies=request.app.state.store.workspace.settings.agencies)


@router.post("/upload")
def upload(request: Request, file: Annotated[UploadFile, File()], csrf: Annotated[str | None, Form()] = None,
           agency: Annotated[str | None, Form()] = None) -> Response:
    principal = current_principal(request)
    require(principal, *UPLOAD_ROLES)
    check_csrf(request, csrf)
    store: Store = request.app.state.store
    agency_id = upload_agency(principal, store, agency)
    name = checked_name(file.filename)
    upload_id, pending = staging(request).add(principal.username, agency_id, name, file)
    try:
        report, rejected = preview(store, agency_id, pending.path)
    except InputError as error:
        staging(request).take(upload_id, principal.username)
        staging(request).discard(pending)
        return page(request, "upload.html", status=400, agencies=store.workspace.settings.agencies,
                    error=str(error).replace(str(pending.path.parent) + "/", ""))
    if report.outcome != "loaded":
        staging(request).discard(staging(request).take(upload_id, principal.username))
    return page(request, "upload_preview.html", report=report, rejected=rejected, upload_id=upload_id,
                name=name, agency_id=agency_id)


@router.post("/upload/confirm")
def confirm(request: Request, upload_id: Annotated[str, Form()], csrf: Annotated[str | None, Form()] = None,
            ) -> Response:
    principal = current_principal(request)
    require(principal, *UPLOAD_ROLES)
    check_csrf(request, csrf)
    store: Store = request.app.state.store
    pending = staging(request).take(upload_id, principal.username)
    try:
        with store.writing():
            result = ingest(store.workspace, pending.agency_id, [pending.path])
    except InputError as error:
        return page(request, "upload.html", status=400, agencies=store.workspace.settings.agencies,
                    error=str(error).replace(str(pending.path.parent) + "/", ""))
    finally:
        staging(request).discard(pending)
    report = next(r for r in result.files if r.path.endswith("/" + pending.path.name))
    with request.app.state.db.session() as session:
        audit(session, principal.username, "upload",
              f"{report.path} for {pending.agency_id}: {report.outcome}, read {report.rows_read} rows "
              f"£{report.money_read:.2f} = loaded {report.rows_loaded} £{report.money_loaded:.2f} + "
              f"rejected {report.rows_rejected} £{report.money_rejected:.2f}")
    return page(request, "upload_done.html", report=report, removed=result.removed)


@router.post("/upload/cancel")
def cancel(request: Request, upload_id: Annotated[str, Form()], csrf: Annotated[str | None, Form()] = None,
           ) -> Response:
    principal = current_principal(request)
    require(principal, *UPLOAD_ROLES)
    check_csrf(request, csrf)
    staging(request).discard(staging(request).take(upload_id, principal.username))
    return page(request, "upload.html", agencies=request.app.state.store.workspace.settings.agencies,
                notice="The upload was cancelled; nothing was kept.")
