"""ASGI middleware: a cap on request bodies, and the headers every response carries (errors too).

Both answer some requests themselves (a 413, a 500), before or after the app's
own error handlers can: such an answer is a GOV.UK page for a person and JSON
for the API, and never shows a server path or a traceback.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Refuse a request body over the limit before it is parsed or written anywhere.

    A declared Content-Length over the limit is refused at once; a body sent
    without one (chunked) is counted as it arrives and cut off at the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send)
            return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            # Over the limit: answer 413 now and tell the app the client has gone, so it stops reading.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                refused = True
                if not started:
                    await self._refuse(scope, send)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app says after it is dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, send: Send) -> None:
        limit_mb = self.max_bytes // (1024 * 1024)
        await send_error(scope, send, 413, f"The upload is larger than the limit of {limit_mb} MB. "
                                           f"Split the file, or send it compressed as .csv.gz.")


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/openapi.json"


def _wants_page(scope: Scope) -> bool:
    accept = dict(scope.get("headers", [])).get(b"accept", b"")
    return not is_api(scope.get("path", "")) and b"text/html" in accept


async def send_error(scope: Scope, send: Send, status: int, message: str) -> None:
    """An error answered before the app's handlers: a plain GOV.UK page for a browser, else JSON."""
    if _wants_page(scope):
        from totalplace.web.render import plain_error_page  # the templates load only when a page is wanted

        body, kind = plain_error_page(status, message).encode(), b"text/html; charset=utf-8"
    else:
        body, kind = json.dumps({"detail": message}).encode(), b"application/json"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


# Request validation in words a person reads: which field, and what was wrong with it.
FIELD_NAMES = {"year": "Fiscal year", "agency": "Agency", "by": "Breakdown", "key": "Figure", "limit": "Rows",
               "name": "Table", "username": "Username", "password": "Password", "file": "File", "role": "Role",
               "kind": "Kind", "action": "Action", "dimension": "Breakdown", "fiscal_year": "Fiscal year",
               "section_id": "Section", "number": "Table number", "token_id": "Token", "upload_id": "Upload"}
_WHAT = {"year": "a fiscal year like 2018-19, or 'all'", "fiscal_year": "a fiscal year like 2018-19, or 'all'",
         "agency": "an agency's id like bradford-council", "username": "lower-case letters, digits, '.', '_' or '-'"}


def in_words(error: dict) -> str:
    """'Fiscal year: "last year" is not a fiscal year like 2018-19, or 'all'.' from a pydantic error."""
    field = str(error["loc"][-1]) if error.get("loc") else ""
    label = FIELD_NAMES.get(field, field.replace("_", " ").capitalize() or "The request")
    given = error.get("input")
    kind = error.get("type", "")
    if kind == "missing":
        return f"{label}: this is needed and was not given."
    if kind in ("string_pattern_mismatch", "enum", "literal_error"):
        expected = _WHAT.get(field) or ("one of " + error["ctx"]["expected"] if kind == "enum" else "in the right form")
        return f"{label}: {given!r} is not {expected}."
    if kind.startswith("int_"):
        return f"{label}: {given!r} is not a whole number."
    if kind in ("greater_than_equal", "less_than_equal", "too_long", "too_short", "string_too_long",
                "string_too_short"):
        return f"{label}: {given!r} is out of range ({error.get('msg', '').lower()})."
    return f"{label}: {given!r} is not accepted ({error.get('msg', '').lower()})."


SECURITY_HEADERS = [
    # Scripts only from the app itself; matplotlib's SVG carries a <style> element, hence inline styles.
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
     b"frame-ancestors 'none'; form-action 'self'; base-uri 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


NO_STORE = [(b"cache-control", b"no-store")]
_SHARED_FILES = ("/static/", "/assets/")  # the same for everyone, with no rows in them


class SecurityHeaders:
    """The security headers on every answer, and `Cache-Control: no-store` on all but the static files
    (pages, CSVs and JSON hold rows a role may see). An error that escapes the app is answered here,
    as a page without a traceback, so that it carries the headers too, and is then raised for the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = SECURITY_HEADERS + ([] if scope["path"].startswith(_SHARED_FILES) else NO_STORE)
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            if started:
                raise
            logging.getLogger("totalplace.web").exception("error answering %s", scope["path"])
            await send_error(scope, with_headers, 500, "Something went wrong on our side and the page could not "
                                                       "be shown. Try again later; if it goes on, tell an administrator.")
            raise
