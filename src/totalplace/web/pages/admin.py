"""Administration: users and roles, agencies, what is published, and the audit log."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import delete, select

from totalplace.errors import InputError
from totalplace.web import capabilities, figures, throttle
from totalplace.web.auth import (
    Principal, check_csrf, create_user, current_principal, end_sessions, forget_principals, hash_password, require,
)
from totalplace.web.db import ApiToken, AuditEvent, Publication, Role, User, audit
from totalplace.web.pages import NavItem
from totalplace.web.render import page
from totalplace.workspace import Agency, AgencyKind, slug

router = APIRouter(include_in_schema=False)
# One menu item; the administration pages have their own tabs (templates/admin_tabs.html).
NAV = [NavItem("Admin", "/admin/users", lambda p: p.role == Role.administrator, within=("/admin",))]
AUDIT_PAGE = 500


def _admin(request: Request, csrf: str | None = None, form: bool = False) -> Principal:
    principal = current_principal(request)
    require(principal, Role.administrator)
    if form:
        check_csrf(request, csrf)
    return principal


def _users_page(request: Request, status: int = 200, **context) -> Response:
    with request.app.state.db.session() as session:
        users = list(session.scalars(select(User).order_by(User.username)))
    return page(request, "admin_users.html", status=status, users=users, roles=list(Role),
                agencies=request.app.state.store.workspace.settings.agencies, kinds=list(AgencyKind), **context)


@router.get("/admin/users")
def users(request: Request) -> Response:
    _admin(request)
    return _users_page(request)


@router.post("/admin/users")
def add_user(request: Request, username: Annotated[str, Form(pattern=r"^[a-z0-9][a-z0-9._-]{1,79}$")],
             role: Annotated[Role, Form()], agency: Annotated[str | None, Form()] = None,
             csrf: Annotated[str | None, Form()] = None) -> Response:
    admin = _admin(request, csrf, form=True)
    if role == Role.analyst:
        request.app.state.store.workspace.agency(agency or "")
    password = secrets.token_urlsafe(12)
    with request.app.state.db.session() as session:
        create_user(session, admin.username, username, role, agency, password)
    return _users_page(request, notice=f"Created {username} ({role.value}). Their password, shown once: {password}")


@router.post("/admin/users/{user_id}")
def change_user(request: Request, user_id: int, action: Annotated[str, Form(pattern="^(deactivate|activate|reset)$")],
                csrf: Annotated[str | None, Form()] = None) -> Response:
    admin = _admin(request, csrf, form=True)
    notice = ""
    with request.app.state.db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise HTTPException(404, "no such user")
        if user.username == admin.username and action == "deactivate":
            raise HTTPException(400, "you cannot deactivate yourself")
        if action == "reset":
            password = secrets.token_urlsafe(12)
            user.password_hash = hash_password(password)
            notice = f"New password for {user.username}, shown once: {password}. Their sessions and API tokens have ended."
        else:
            user.active = action == "activate"
            notice = f"{user.username} {action}d."
        if action != "activate":  # a reset or a deactivation ends every session and API token of the user
            end_sessions(session, user)
            session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        audit(session, admin.username, f"user {action}", user.username)
    forget_principals(request.app.state.db)
    return _users_page(request, notice=notice)


@router.post("/admin/agencies")
def add_agency(request: Request, name: Annotated[str, Form(min_length=2, max_length=120)],
               kind: Annotated[AgencyKind, Form()], csrf: Annotated[str | None, Form()] = None) -> Response:
    admin = _admin(request, csrf, form=True)
    store = request.app.state.store
    agency = Agency(id=slug(name), name=name, kind=kind)
    try:
        with store.writing():  # totalplace.toml is the truth: the agency is written there, the store follows
            store.workspace.add_agency(agency)
    except InputError as error:
        return _users_page(request, status=400, error=str(error))
    with request.app.state.db.session() as session:
        audit(session, admin.username, "agency added", f"{agency.id} ({kind.value}): {name}")
    return _users_page(request, notice=f"Added agency {agency.id}; its files go in agencies/{agency.id}/.")


def _publish_page(request: Request, **context) -> Response:
    with request.app.state.db.session() as session:
        done = list(session.scalars(select(Publication).order_by(Publication.dimension, Publication.fiscal_year)))
    return page(request, "admin_publish.html", publications=done, dimensions=figures.BREAKDOWNS,
                threshold=request.app.state.store.workspace.suppress_below,
                years=figures.years(request.app.state.store) + ["all"], pages=capabilities.pages(), **context)


def _check_publishable(store: figures.Store, dimension: str, fiscal_year: str) -> None:
    """A breakdown for a year loaded (or all years), or a capability's page as a whole."""
    if dimension in {c.key for c in capabilities.pages()}:
        if fiscal_year != capabilities.ALL_YEARS:
            raise HTTPException(400, f"the {dimension} page is published as a whole: its year is 'all'")
        return
    figures.check_dimension(dimension)
    if fiscal_year not in figures.years(store) + ["all"]:
        raise HTTPException(400, f"no spending loaded for {fiscal_year!r}")


@router.get("/admin/publish")
def publish_form(request: Request) -> Response:
    _admin(request)
    return _publish_page(request)


@router.post("/admin/publish")
def publish(request: Request, dimension: Annotated[str, Form()], fiscal_year: Annotated[str, Form()],
            action: Annotated[str, Form(pattern="^(publish|withdraw)$")],
            csrf: Annotated[str | None, Form()] = None) -> Response:
    admin = _admin(request, csrf, form=True)
    _check_publishable(request.app.state.store, dimension, fiscal_year)
    with request.app.state.db.session() as session:
        existing = session.scalars(select(Publication).where(
            Publication.dimension == dimension, Publication.fiscal_year == fiscal_year)).first()
        if action == "publish" and existing is None:
            session.add(Publication(dimension=dimension, fiscal_year=fiscal_year, published_by=admin.username))
        elif action == "withdraw" and existing is not None:
            session.delete(existing)
        what = f"spending by {dimension}, {fiscal_year}" if dimension in figures.BREAKDOWNS else f"the {dimension} page"
        audit(session, admin.username, action, what)
    done_word = "published" if action == "publish" else "withdrawn"
    return _publish_page(request, notice=f"{what[0].upper()}{what[1:]}: {done_word}.")


@router.get("/admin/audit")
def audit_log(request: Request) -> Response:
    _admin(request)
    with request.app.state.db.session() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE)))
    return page(request, "admin_audit.html", events=events)


@router.get("/admin/sign-ins")
def sign_ins(request: Request) -> Response:
    _admin(request)
    return _sign_ins_page(request)


@router.post("/admin/sign-ins")
def lift_lock(request: Request, key: Annotated[str, Form(max_length=200)],
              csrf: Annotated[str | None, Form()] = None) -> Response:
    admin = _admin(request, csrf, form=True)
    with request.app.state.db.session() as session:
        lifted = throttle.lift(session, key)
        if lifted:
            audit(session, admin.username, "sign-in lock lifted", key)
    return _sign_ins_page(request, notice=f"Lifted: {key.split(':', 1)[1]} may sign in again." if lifted else None)


def _sign_ins_page(request: Request, **context) -> Response:
    with request.app.state.db.session() as session:
        rows = throttle.current(session)
    return page(request, "admin_sign_ins.html", rows=rows, now=throttle.now(), **context)
