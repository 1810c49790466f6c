"""The web app's own state: users, roles, API tokens, publications and the audit log.

This is state, not derived data: unlike the analytic store it cannot be rebuilt
from the workspace's inputs, so back it up. It lives in a transactional database
through SQLAlchemy: SQLite in the workspace by default (`state/web.sqlite`),
or PostgreSQL for a shared server (a `postgresql+psycopg://...` URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import DefaultClause, ForeignKey, String, UniqueConstraint, create_engine, event, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from totalplace.web.inline import may_block


class Role(StrEnum):
    """What a user may see and do (see docs/web.md)."""

    administrator = "administrator"
    analyst = "analyst"      # uploads, and sees row-level data of their own agency only
    partner = "partner"      # aggregates and every agency's row-level spend
    public = "public"        # only published figures, small counts suppressed


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "web_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[str | None] = mapped_column(String(80), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # Every session cookie carries the version it was signed in under; raising it (sign-out,
    # a password changed or reset, deactivation) ends every session of the user at once.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")


class ApiToken(Base):
    """A bearer token for the API. Only its SHA-256 is kept; the token is shown once. It expires."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_user.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)  # None: made before tokens expired


class SignInFailures(Base):
    """Failed sign-ins counted for one account ("account:NAME") or one client address ("address:IP")."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure: Mapped[datetime] = mapped_column(default=_now)
    blocked_until: Mapped[datetime] = mapped_column(default=_now)


class Publication(Base):
    """A breakdown an administrator has published: the public may see it."""

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("dimension", "fiscal_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(40))
    fiscal_year: Mapped[str] = mapped_column(String(10))
    published_by: Mapped[str] = mapped_column(String(80))
    published_at: Mapped[datetime] = mapped_column(default=_now)


class AuditEvent(Base):
    """Who did what, when: uploads, publications, user and agency changes."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=_now)
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(2000))


def default_url(workspace_root: Path) -> str:
    return f"sqlite:///{(workspace_root / 'state' / 'web.sqlite').resolve()}"


def make_engine(url: str) -> Engine:
    """An engine with the tables created; SQLite made safe for the app's threads."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    Base.metadata.create_all(engine)
    _add_new_columns(engine)
    return engine


def _add_new_columns(engine: Engine) -> None:
    """A state database made by an earlier version gets the columns added since (create_all adds only tables)."""
    inspector = inspect(engine)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=engine.dialect)
                    server_default = column.server_default
                    default = f" DEFAULT {server_default.arg}" if isinstance(server_default, DefaultClause) else ""
                    connection.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}{default}"))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers go on while a writer commits; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """The sessions of one engine, each a transaction: all of it commits or none of it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.recent_users: dict = {}  # user id -> (when read, principal): see auth._session_principal

    @contextmanager
    def session(self) -> Iterator[Session]:
        may_block("a web database session")
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def audit(session: Session, username: str, action: str, detail: str) -> None:
    """Record an event in the same transaction as the change it describes."""
    session.add(AuditEvent(username=username, action=action, detail=detail[:2000]))


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def published(session: Session) -> set[tuple[str, str]]:
    """The (dimension, fiscal year or 'all') breakdowns the public may see."""
    return {(p.dimension, p.fiscal_year) for p in session.scalars(select(Publication))}
