"""Signing in and out, and a user's own API token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from totalplace.web.auth import check_csrf, check_password, current_principal, issue_token, require
from totalplace.web.db import Role, user_by_name
from totalplace.web.pages import NavItem
from totalplace.web.render import page

router = APIRouter(include_in_schema=False)
NAV = [NavItem("API token", "/account/token", lambda p: p.signed_in)]
SIGNED_IN_ROLES = (Role.administrator, Role.analyst, Role.partner, Role.public)


@router.get("/login")
def login_form(request: Request) -> Response:
    return page(request, "login.html")


@router.post("/login")
def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
          csrf: Annotated[str | None, Form()] = None) -> Response:
    check_csrf(request, csrf)
    with request.app.state.db.session() as session:
        user = check_password(session, username, password)
        user_id = user.id if user else None
    if user_id is None:
        return page(request, "login.html", status=401, error="The username or password is not right.",
                    username=username)
    request.session.clear()  # a new session on sign-in: no fixation
    request.session["user_id"] = user_id
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/account/token")
def token_page(request: Request) -> Response:
    require(current_principal(request), *SIGNED_IN_ROLES)
    return page(request, "token.html")


@router.post("/account/token")
def new_token(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
    principal = current_principal(request)
    require(principal, *SIGNED_IN_ROLES)
    check_csrf(request, csrf)
    with request.app.state.db.session() as session:
        token = issue_token(session, user_by_name(session, principal.username), principal.username)
    return page(request, "token.html", token=token)
