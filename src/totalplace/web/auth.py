"""Who is asking: passwords (argon2), sessions, CSRF tokens, API bearer tokens and roles."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from totalplace.web.db import ApiToken, Database, Role, User, audit, user_by_name

_hasher = PasswordHasher()
# Verified when a username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


@dataclass(frozen=True)
class Principal:
    """The signed-in user (or the anonymous public) and what their role allows."""

    username: str
    role: Role
    agency_id: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.username != ""

    @property
    def sees_unpublished(self) -> bool:
        return self.role != Role.public

    @property
    def row_agency(self) -> str | None:
        """The one agency whose rows this user may see, or None for every agency."""
        return self.agency_id if self.role == Role.analyst else None

    @property
    def sees_rows(self) -> bool:
        return self.role in (Role.administrator, Role.partner, Role.analyst)

    def may_see_agency_rows(self, agency_id: str) -> bool:
        return self.sees_rows and self.row_agency in (None, agency_id)


PUBLIC = Principal("", Role.public)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    user = user_by_name(session, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if user and user.active else None


def token_digest(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough to make a stolen table useless.
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_DAYS = 90  # an API token works this long; a user issues a new one (and may revoke the old)


def issue_token(session: Session, user: User, actor: str, replace: bool = False) -> str:
    """A new API token for the user; with `replace`, the user's other tokens stop working."""
    if replace:
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), created_at=_now(),
                         expires_at=_now() + timedelta(days=TOKEN_DAYS)))
    audit(session, actor, "token issued", f"API token for {user.username}, expires in {TOKEN_DAYS} days"
                                          + (", replacing the others" if replace else ""))
    return token


def token_expiry(token: ApiToken) -> datetime:
    """When a token stops working (one made before tokens expired: TOKEN_DAYS after it was made)."""
    return token.expires_at or token.created_at + timedelta(days=TOKEN_DAYS)


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_token(session: Session, user: User, token_id: int, actor: str) -> None:
    found = session.get(ApiToken, token_id)
    if found is None or found.user_id != user.id:
        raise HTTPException(404, "you have no such token")
    session.delete(found)
    audit(session, actor, "token revoked", f"API token {token_id} of {user.username}")


def end_sessions(session: Session, user: User) -> None:
    """Every session of the user ends now: their cookies carry the old version (see current_principal)."""
    user.session_version = (user.session_version or 1) + 1


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def principal_of(user: User) -> Principal:
    return Principal(user.username, Role(user.role), user.agency_id)


def current_principal(request: Request) -> Principal:
    """From a bearer token if one is given, else from the session cookie; else the public."""
    if not hasattr(request.state, "principal"):
        request.state.principal = _principal(request)
    return request.state.principal


# A signed-in user's row is read again after this many seconds, so a deactivation takes
# effect within it; meanwhile pages under load skip a database round trip per request.
PRINCIPAL_SECONDS = 5.0


def _session_principal(db: Database, user_id: int, version: object) -> Principal | None:
    """The session's user if it is active and the session was signed in under its current version."""
    now = time.monotonic()
    seen = db.recent_users.get(user_id)
    if not (seen and now - seen[0] < PRINCIPAL_SECONDS and seen[1] is not None):
        with db.session() as session:
            user = session.get(User, user_id)
            principal = principal_of(user) if user is not None and user.active else None
            seen = (now, principal, user.session_version if user is not None else None)
        db.recent_users[user_id] = seen
    return seen[1] if version == seen[2] else None


def start_session(request: Request, user: User) -> None:
    """A new session for the user (a new cookie: no fixation), under the user's current session version."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["version"] = user.session_version


def forget_principals(db: Database) -> None:
    """After a change to users (in this process): every session's user is read afresh at once."""
    db.recent_users.clear()


def _principal(request: Request) -> Principal:
    db: Database = request.app.state.db
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with db.session() as session:
            found = session.execute(
                select(User, ApiToken).join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == token_digest(header[7:].strip()))
            ).first()
            if found is None or not found[0].active or token_expiry(found[1]) <= _now():
                raise HTTPException(401, "unknown, expired or revoked API token",
                                    headers={"WWW-Authenticate": "Bearer"})
            return principal_of(found[0])
    user_id = request.session.get("user_id")
    return (_session_principal(db, user_id, request.session.get("version"))
            if isinstance(user_id, int) else None) or PUBLIC


def require(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        if not principal.signed_in:
            raise HTTPException(401, "sign in to see this page")
        raise HTTPException(403, f"the {principal.role} role may not do this")


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; every form carries it."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "the form's security token is missing or out of date: reload the page and try again")


def create_user(session: Session, actor: str, username: str, role: Role, agency_id: str | None,
                password: str) -> User:
    if user_by_name(session, username):
        raise HTTPException(400, f"there is already a user called {username!r}")
    if role == Role.analyst and not agency_id:
        raise HTTPException(400, "an agency analyst needs an agency")
    user = User(username=username, password_hash=hash_password(password), role=role.value,
                agency_id=agency_id if role == Role.analyst else None)
    session.add(user)
    session.flush()
    audit(session, actor, "user created", f"{username} ({role.value}{', ' + user.agency_id if user.agency_id else ''})")
    return user


def sample_users(db: Database, agency_ids: list[str]) -> list[tuple[str, str, str]]:
    """On first start (no users yet): one user per role, each with a new random password.

    Returns (username, role, password) to print once; only argon2 hashes are kept.
    """
    with db.session() as session:
        if session.scalars(select(User).limit(1)).first():
            return []
        wanted: list[tuple[str, Role, str | None]] = [
            ("admin", Role.administrator, None), ("partner", Role.partner, None), ("public", Role.public, None)]
        wanted += [(f"analyst-{agency}", Role.analyst, agency) for agency in agency_ids]
        made = []
        for username, role, agency in wanted:
            password = secrets.token_urlsafe(12)
            create_user(session, "totalplace serve", username, role, agency, password)
            made.append((username, role.value, password))
        return made
