"""Turning figures into responses: GOV.UK pages, CSV downloads and JSON, all from one `Table`."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from totalplace import display
from totalplace.present.tables import Table, cell_text, plain_value
from totalplace.tabular import csv_text, is_number
from totalplace.web.auth import TOKEN_DAYS, csrf_token, current_principal

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


def page_cell(value, column: str = "", precision: str = display.PENNY) -> str:
    """A table cell on a page: money in pounds (at the table's precision), shares in per cent, counts with
    thousands, other numbers as they are (`display.cell`)."""
    if value is None:
        return "suppressed" if column in ("amount", "lines", "share", "£ per head") else ""
    if isinstance(value, int) and not isinstance(value, bool) and column in ("row", "year"):
        return str(value)
    return cell_text(value, precision)


def inline_svg(svg: str) -> Markup:
    """A chart's SVG as an element in the page: any XML prolog or doctype before <svg> is left out."""
    start = svg.find("<svg")
    return Markup(svg[start:] if start >= 0 else svg)


# A table cell as the report and the terminal show it (CSV and JSON keep the exact values).
templates.env.globals.update(kind_name=display.code_name, month_name=display.month_name)
templates.env.filters.update(money=display.money, cell=page_cell, named=display.named, inline_svg=inline_svg, plural=display.plural,
                             column_title=display.column_title)
templates.env.tests["number"] = is_number
templates.env.globals["query"] = lambda **params: urlencode({k: v for k, v in params.items() if v not in (None, "")})


def page(request: Request, template: str, status: int = 200, headers: Mapping[str, str] | None = None,
         **context) -> HTMLResponse:
    principal = current_principal(request)
    nav = [item for item in request.app.state.nav if item.visible(principal)]
    return templates.TemplateResponse(
        request, template, {"principal": principal, "nav": nav, "csrf": csrf_token(request),
                            "place": request.app.state.store.workspace.settings.place, "token_days": TOKEN_DAYS,
                            "agency_name": _agency_names(request), **context},
        status_code=status, headers=headers,
    )


def _agency_names(request: Request) -> Callable[[str], str]:
    workspace = request.app.state.store.workspace
    return lambda agency_id: display.agency_name(workspace, agency_id)


def cached_page(request: Request, template: str, key: tuple, context: Callable[[], dict]) -> HTMLResponse:
    """A page of figures: its body is drawn once per store generation and role scope.

    The body must depend only on the figures and on what the role may see (never
    on the user's name or CSRF token: those are in the frame, kept per session).
    """
    principal = current_principal(request)
    scope = (principal.role, principal.row_agency)
    place = request.app.state.store.workspace.settings.place

    def draw() -> tuple[Markup, bytes]:
        body = templates.env.get_template(template)
        names = body.new_context({"principal": principal, "place": place, "request": request,
                                  "agency_name": _agency_names(request), **context()})
        return Markup("".join(body.blocks["title"](names))), "".join(body.blocks["content"](names)).encode()
    title, content = request.app.state.store.cached(("page", template, key, scope), draw)
    head, tail = request.app.state.frames.around(request, title)
    return HTMLResponse(b"".join((head, content, tail)))


# Where the body goes in a drawn frame (no page contains it: page text is escaped).
_BODY = "\x00tp-body\x00"


class Frames:
    """The page around a body (menu, who is signed in, the sign-out form's CSRF token), before and after it.

    Drawn once per user, session, path and title and kept (least recently used
    dropped first): under load a page is then two kept byte strings around a
    cached body, with no template run per request.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._kept: OrderedDict[tuple, tuple[bytes, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def around(self, request: Request, title: Markup) -> tuple[bytes, bytes]:
        principal = current_principal(request)
        place = request.app.state.store.workspace.settings.place
        key = (place.name, principal, csrf_token(request), request.url.path, title)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        nav = [item for item in request.app.state.nav if item.visible(principal)]
        html = templates.env.get_template("base.html").render(
            request=request, principal=principal, nav=nav, csrf=key[2], place=place, title_text=title,
            agency_name=_agency_names(request), body=Markup(_BODY))
        head, tail = html.split(_BODY)
        parts = head.encode(), tail.encode()
        with self._lock:
            self._kept[key] = parts
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return parts


ERROR_HEADINGS = {400: "There is a problem with what was sent", 401: "Sign in to see this page",
                  403: "You cannot see this page", 404: "Page not found", 413: "The file is too large",
                  422: "There is a problem with the address", 429: "Too many tries",
                  500: "Sorry, there is a problem with the service"}
templates.env.globals["heading"] = lambda status: ERROR_HEADINGS.get(status, "There is a problem")


def plain_error_page(status: int, message: str) -> str:
    """An error page without the menu (for answers made before the app runs: a 413, a 500)."""
    return templates.env.get_template("plain_error.html").render(status_code=status, message=message)


def render_error(request: Request, status: int, message: str, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    return page(request, "error.html", status=status, headers=headers, status_code=status, message=message)


def csv_response(table: Table, filename: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename)
    return Response(csv_text(table.columns, table.rows), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{safe}"'})


def table_json(table: Table) -> dict:
    """The same shape as `totalplace ... --format json`: money as exact text with pence."""
    return {"title": table.title, "columns": table.columns,
            "rows": [dict(zip(table.columns, map(plain_value, row))) for row in table.rows], "notes": table.notes}
