"""Limits on sign-in attempts, per account and per client address: a growing delay, then a lockout.

After a few failures, each further attempt must wait twice as long as the one
before (2 s, 4 s, 8 s... up to a minute); at the lockout count the account or
address waits LOCK_MINUTES. An attempt made while waiting is refused unseen
(429 with Retry-After, the password not even checked) and counts as a failure,
so guessing faster only locks sooner. Failures are forgotten FORGET_MINUTES
after the last one, and a successful sign-in clears its account's. The counts
live in the web database, where an administrator sees and lifts them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from totalplace.web.db import SignInFailures

LOCK_MINUTES = 15
FORGET_MINUTES = 15
LONGEST_DELAY_SECONDS = 60


@dataclass(frozen=True)
class Limit:
    prefix: str
    free: int  # failures allowed before any delay
    lock: int  # failures that lock for LOCK_MINUTES


# An address may be shared (an office behind one gateway), so it is allowed more.
ACCOUNT = Limit("account:", free=3, lock=10)
ADDRESS = Limit("address:", free=10, lock=30)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def keys(username: str, address: str) -> list[tuple[Limit, str]]:
    return [(ACCOUNT, ACCOUNT.prefix + username[:150]), (ADDRESS, ADDRESS.prefix + address[:150])]


def wait_seconds(session: Session, username: str, address: str) -> int:
    """How long this account or address must wait before it may try again (0: it may now)."""
    moment = now()
    waits = [math.ceil((row.blocked_until - moment).total_seconds())
             for row in session.scalars(select(SignInFailures).where(
                 SignInFailures.key.in_([key for _, key in keys(username, address)])))]
    return max([0, *waits])


def record_failure(session: Session, username: str, address: str) -> int:
    """Count a failed (or refused) attempt; returns the wait it now brings."""
    moment = now()
    for limit, key in keys(username, address):
        row = session.get(SignInFailures, key)
        if row is None or moment - row.last_failure > timedelta(minutes=FORGET_MINUTES):
            row = row or SignInFailures(key=key)
            row.failures = 0
            session.add(row)
        row.failures += 1
        row.last_failure = moment
        row.blocked_until = moment + _delay(limit, row.failures)
    return wait_seconds(session, username, address)


def _delay(limit: Limit, failures: int) -> timedelta:
    if failures >= limit.lock:
        return timedelta(minutes=LOCK_MINUTES)
    if failures <= limit.free:
        return timedelta(0)
    return timedelta(seconds=min(2 ** (failures - limit.free), LONGEST_DELAY_SECONDS))


def signed_in(session: Session, username: str) -> None:
    """A successful sign-in clears its account's failures (its address's run out on their own)."""
    session.execute(delete(SignInFailures).where(SignInFailures.key == ACCOUNT.prefix + username[:150]))


def current(session: Session) -> list[SignInFailures]:
    """Accounts and addresses with failures not yet forgotten, the latest first (for administrators)."""
    since = now() - timedelta(minutes=FORGET_MINUTES)
    return list(session.scalars(select(SignInFailures).where(
        (SignInFailures.last_failure > since) | (SignInFailures.blocked_until > now()))
        .order_by(SignInFailures.last_failure.desc())))


def lift(session: Session, key: str) -> bool:
    deleted = session.execute(delete(SignInFailures).where(SignInFailures.key == key))
    # SQLAlchemy types Session.execute as Result; a DELETE's is a CursorResult, which counts the rows
    return deleted.rowcount > 0  # type: ignore[attr-defined]
