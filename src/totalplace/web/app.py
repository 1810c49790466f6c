"""The FastAPI app: one workspace, its store, the web state database, and the pages."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from totalplace.errors import InputError
from totalplace.web import pages
from totalplace.web.db import Database, default_url
from totalplace.web.figures import Store
from totalplace.web.render import STATIC, Frames, render_error
from totalplace.web.limits import BodySizeLimit, SecurityHeaders, in_words, is_api
from totalplace.workspace import Workspace

SESSION_HOURS = 8


@dataclass(frozen=True)
class WebSettings:
    """How the app runs; `totalplace serve` fills these from its options and the environment."""

    db_url: str | None = None            # default: SQLite at <workspace>/state/web.sqlite
    secret_key: str | None = None        # default: <workspace>/state/web-secret.key, made on first start
    max_upload_mb: int = 25
    max_inflated_mb: int = 100           # an upload's size once uncompressed (a .csv.gz, an .xlsx)
    secure_cookies: bool = False         # set when served over HTTPS (behind a proxy)


def secret_key(workspace: Workspace, settings: WebSettings) -> str:
    """The key that signs session cookies: given, or kept in the workspace's state folder."""
    if settings.secret_key or os.environ.get("TOTALPLACE_WEB_SECRET"):
        return settings.secret_key or os.environ["TOTALPLACE_WEB_SECRET"]
    path = workspace.root / "state" / "web-secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def create_app(workspace: Workspace, settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    # No browsable docs page: Swagger UI would come from a CDN, which nothing here may load; /openapi.json stays.
    app = FastAPI(title="totalplace", summary="All the public money in a place: the partnership's shared view.",
                  description="Figures of the count as JSON. Send `Authorization: Bearer TOKEN` "
                              "(each user issues their own at /account/token); without one you see the published "
                              "figures.",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.store = Store(workspace)
    app.state.db = Database(settings.db_url or os.environ.get("TOTALPLACE_WEB_DB") or default_url(workspace.root))
    app.state.settings = settings
    app.state.frames = Frames()
    app.add_middleware(SessionMiddleware, secret_key=secret_key(workspace, settings),
                       session_cookie="totalplace_session", max_age=SESSION_HOURS * 3600,
                       same_site="strict", https_only=settings.secure_cookies)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_mb * 1024 * 1024)
    app.add_middleware(SecurityHeaders)  # outermost of ours: on every answer, a 413 or a 500 too
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # The compiled GOV.UK Frontend CSS refers to its fonts and images at /assets.
    app.mount("/assets", StaticFiles(directory=STATIC / "govuk" / "assets"), name="assets")
    for module in pages.page_modules():
        app.include_router(module.router)
    app.state.nav = pages.navigation()
    _error_handlers(app)
    app.router.add_event_handler("shutdown", lambda: (app.state.store.close(), app.state.db.close()))
    return app


def _wants_json(request: Request) -> bool:
    return is_api(request.url.path)


def _without_paths(request: Request, message: str) -> str:
    """A message with the server's own folders taken out (the workspace, the temporary folder)."""
    for folder in (str(request.app.state.store.workspace.root), tempfile.gettempdir()):
        message = re.sub(re.escape(folder) + r"[^\s'\"]*/", "", message).replace(folder, "the workspace")
    return message


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        detail = str(error.detail)
        if error.status_code == 404 and detail == "Not Found":
            detail = "There is no page at this address. Check it, or start again from the overview."
        if _wants_json(request):
            return JSONResponse({"detail": detail}, error.status_code, headers=error.headers)
        return render_error(request, error.status_code, detail, headers=error.headers)

    @app.exception_handler(InputError)
    async def input_error(request: Request, error: InputError) -> Response:
        message = _without_paths(request, str(error))
        if _wants_json(request):
            return JSONResponse({"detail": message}, 400)
        return render_error(request, 400, message)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        message = in_words(error.errors()[0])
        if _wants_json(request):
            return JSONResponse({"detail": message}, 422)
        return render_error(request, 422, message)
