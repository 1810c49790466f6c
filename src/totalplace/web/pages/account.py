"""Signing in and out (with limits on guessing), a user's own password and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from totalplace import display
from totalplace.web import throttle
from totalplace.web.auth import (
    Principal, check_csrf, check_password, current_principal, end_sessions, forget_principals, hash_password,
    issue_token, revoke_token, start_session, token_expiry, tokens_of,
)
from totalplace.web.db import User, audit, user_by_name
from totalplace.web.pages import NavItem
from totalplace.web.render import page

router = APIRouter(include_in_schema=False)
NAV: list[NavItem] = []  # the account pages are linked from the banner that says who is signed in
MIN_PASSWORD = 12


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_form(request: Request) -> Response:
    return page(request, "login.html")


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=200)], password: Annotated[str, Form()],
          csrf: Annotated[str | None, Form()] = None) -> Response:
    check_csrf(request, csrf)
    address = _client_address(request)
    with request.app.state.db.session() as session:
        refused = throttle.wait_seconds(session, username, address) > 0  # then the password is not even checked
        user = None if refused else check_password(session, username, password)
        if user is None:
            wait = throttle.record_failure(session, username, address)
            audit(session, username[:80], "sign-in failed",
                  f"from {address}: " + ("refused, too many recent failures" if refused else
                                         "wrong username or password"))
        else:
            throttle.signed_in(session, username)
            audit(session, user.username, "signed in", f"from {address}")
            start_session(request, user)
    if user is not None:
        return RedirectResponse("/", status_code=303)
    if refused:
        response = page(request, "login.html", status=429, username=username,
                        error=f"Too many failed sign-ins for this account or from this address. "
                              f"Try again in {_duration(wait)}, or ask an administrator to lift the lock.")
        response.headers["retry-after"] = str(wait)
        return response
    return page(request, "login.html", status=401, username=username, error="The username or password is not right."
                + (f" Wait {_duration(wait)} before trying again." if wait else ""))


def _duration(seconds: int) -> str:
    return display.plural(seconds, "second") if seconds < 120 else display.plural(round(seconds / 60), "minute")


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
    """Signing out ends every session of the user, not only this browser's."""
    check_csrf(request, csrf)
    principal = current_principal(request)
    if principal.signed_in:
        with request.app.state.db.session() as session:
            user = _own_user(session, principal)
            end_sessions(session, user)
            audit(session, user.username, "signed out", "every session ended")
        forget_principals(request.app.state.db)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def _own_user(session: Session, principal: Principal) -> User:
    """The signed-in principal's own row: it was read moments ago, and users are deactivated, never deleted."""
    user = user_by_name(session, principal.username)
    assert user is not None, f"signed in as {principal.username!r}, a user the database does not hold"
    return user


def _signed_in(request: Request) -> Principal | None:
    principal = current_principal(request)
    return principal if principal.signed_in else None


def _to_sign_in() -> Response:
    return RedirectResponse("/login", status_code=303)


def _token_page(request: Request, principal: Principal, **context) -> Response:
    with request.app.state.db.session() as session:
        user = _own_user(session, principal)
        tokens = [(t.id, t.created_at, token_expiry(t)) for t in tokens_of(session, user.id)]
    tokens = [token for token in tokens if token[2] > throttle.now()]  # an expired token is no longer listed
    return page(request, "token.html", tokens=tokens, **context)


@router.get("/account/token")
def token_page(request: Request) -> Response:
    principal = _signed_in(request)
    return _token_page(request, principal) if principal else _to_sign_in()


@router.post("/account/token")
def new_token(request: Request, csrf: Annotated[str | None, Form()] = None,
              replace: Annotated[str | None, Form()] = None) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return _to_sign_in()
    check_csrf(request, csrf)
    with request.app.state.db.session() as session:
        token = issue_token(session, _own_user(session, principal), principal.username,
                            replace=replace == "yes")
    return _token_page(request, principal, token=token)


@router.post("/account/token/revoke")
def revoke(request: Request, token_id: Annotated[int, Form()], csrf: Annotated[str | None, Form()] = None,
           ) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return _to_sign_in()
    check_csrf(request, csrf)
    with request.app.state.db.session() as session:
        revoke_token(session, _own_user(session, principal), token_id, principal.username)
    return _token_page(request, principal, notice="The token was revoked: it no longer works.")


@router.get("/account/password")
def password_form(request: Request) -> Response:
    return page(request, "password.html") if _signed_in(request) else _to_sign_in()


@router.post("/account/password")
def change_password(request: Request, current: Annotated[str, Form()], new: Annotated[str, Form()],
                    confirm: Annotated[str, Form()], csrf: Annotated[str | None, Form()] = None) -> Response:
    """A new password ends the user's other sessions; this one goes on under the new session version."""
    principal = _signed_in(request)
    if principal is None:
        return _to_sign_in()
    check_csrf(request, csrf)
    problem = _password_problem(new, confirm)
    with request.app.state.db.session() as session:
        user: User | None = check_password(session, principal.username, current)
        if user is None:
            return page(request, "password.html", status=400, error="Your current password is not right.")
        if problem:
            return page(request, "password.html", status=400, error=problem)
        user.password_hash = hash_password(new)
        end_sessions(session, user)
        audit(session, user.username, "password changed", "every other session ended")
        start_session(request, user)
    forget_principals(request.app.state.db)
    return page(request, "password.html", notice="Your password is changed; any other session of yours has ended.")


def _password_problem(new: str, confirm: str) -> str | None:
    if len(new) < MIN_PASSWORD:
        return f"The new password must be at least {MIN_PASSWORD} characters long."
    if new != confirm:
        return "The new password and its confirmation are not the same."
    return None
