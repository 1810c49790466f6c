"""Upload a spend file: the same detection, validation and accounting as `totalplace ingest`.

1. The file is saved in a staging folder outside the workspace (never under its
   given name's path: names with folders in them are refused).
2. It is checked before anything parses it (`upload_checks`): its size once
   uncompressed, counted while inflating, and that a CSV is text.
3. Preview: `count.coverage.preview_load` runs the loader into an empty in-memory
   database beside the store (told which files the store holds already), so the user
   sees the mapping and the rows that would load or be rejected, with reasons.
   The store is neither changed nor held: other users' pages go on, their
   caches kept. The parsing runs in a worker thread, off the event loop.
4. On confirmation, `ingest.load.ingest` adds the file to the agency's folder
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

from totalplace.count import coverage
from totalplace.errors import InputError
from totalplace.ingest.load import Destination, FileReport, ingest
from totalplace.ingest.sources import SPEND_SUFFIXES
from totalplace.web.auth import Principal, check_csrf, current_principal, require
from totalplace.web.db import Role, audit
from totalplace.web.figures import Store
from totalplace.web.pages import NavItem
from totalplace.web.render import page
from totalplace.web.upload_checks import check_upload

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
        pending = Pending(username, agency_id, folder / name, time.time())
        with self.lock:  # registered first, so that forget() removes the folder whatever happens next
            self.pending[upload_id] = pending
        try:
            with pending.path.open("wb") as target:
                shutil.copyfileobj(upload.file, target, 1024 * 1024)
        except BaseException:
            self.forget(upload_id)
            raise
        return upload_id, pending

    def take(self, upload_id: str, username: str) -> Pending:
        with self.lock:
            pending = self.pending.get(upload_id)
            if pending is None or pending.username != username:
                raise HTTPException(404, "no such upload waiting for you (it may have expired): upload it again")
            return self.pending.pop(upload_id)

    def forget(self, upload_id: str) -> None:
        with self.lock:
            pending = self.pending.pop(upload_id, None)
        if pending is not None:
            self.discard(pending)

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


def preview(store: Store, agency_id: str, path: Path) -> tuple[FileReport, list[coverage.Rejection]]:
    """What loading the file would do (`coverage.preview_load`): the store untouched."""
    agency = store.workspace.agency(agency_id)
    with store.cursor() as cur:
        loaded = Destination.of(cur)  # which contents the store holds already: the store is free while the file is read
    return coverage.preview_load(loaded, store.workspace, agency, path, PREVIEW_REJECTIONS)


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
    kept = False
    try:
        check_upload(pending.path, name, request.app.state.settings.max_inflated_mb * 1024 * 1024)
        report, rejected = preview(store, agency_id, pending.path)
        kept = report.outcome == "loaded"  # an unchanged file waits for nothing
    except InputError as error:
        return page(request, "upload.html", status=400, agencies=store.workspace.settings.agencies,
                    error=str(error).replace(str(pending.path.parent) + "/", ""))
    finally:
        if not kept:  # whatever went wrong, nothing of the upload stays behind
            staging(request).forget(upload_id)
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
