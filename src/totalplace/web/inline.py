"""Answering a page on the event loop when everything it needs is already cached.

FastAPI runs a plain `def` endpoint in a worker thread, so every request pays a
thread hop and the GIL hand-over, even when the page is a cached body. Pages
under load are nearly always cached, so `answered_inline` first runs the
endpoint on the event loop in *cache-only* mode: any step that would compute a
figure or wait on a database (`Store.cursor`, `Store.alone`, a cache miss,
`Database.session`) raises `NotCached` instead of blocking the loop, and the
endpoint is then run again, in full, in a worker thread. A page endpoint
therefore must not change anything before its first store or database access
(reading pages don't; forms and uploads are never answered inline).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from starlette.concurrency import run_in_threadpool

_cache_only: ContextVar[bool] = ContextVar("cache_only", default=False)


class NotCached(Exception):
    """A cache-only run reached work that could block: the endpoint goes to a worker thread."""


def may_block(what: str) -> None:
    """Call before anything that computes or waits: refused while answering inline."""
    if _cache_only.get():
        raise NotCached(what)


def answered_inline(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A reading endpoint as an async one: inline when all it needs is cached, else in a thread."""
    @functools.wraps(endpoint)
    async def endpoint_inline(*args: Any, **kwargs: Any) -> Any:
        token = _cache_only.set(True)
        try:
            return endpoint(*args, **kwargs)
        except NotCached:
            pass
        finally:
            _cache_only.reset(token)
        return await run_in_threadpool(endpoint, *args, **kwargs)
    return endpoint_inline
