"""Drill-down: the source rows behind any figure, with file and row number."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from totalplace.present.tables import Table
from totalplace.web import figures
from totalplace.web.auth import current_principal, require
from totalplace.web.db import Role
from totalplace.web.inline import answered_inline
from totalplace.web.pages.breakdown import Dimension, YearQuery
from totalplace.web.render import cached_page, csv_response, table_json

router = APIRouter()
NAV = []
ROW_ROLES = (Role.administrator, Role.partner, Role.analyst)
KeyQuery = Annotated[str, Query(description="The figure's key, as the breakdown shows it", max_length=500)]
LimitQuery = Annotated[int, Query(ge=1, le=100_000, description="At most this many rows, largest first")]


def _table(request: Request, result: figures.Trace, by: Dimension, key: str) -> Table:
    return figures.trace_table(result, by.value, key, request.app.state.store.workspace)


def _trace(request: Request, by: Dimension, key: str, year: str | None, limit: int) -> figures.Trace:
    principal = current_principal(request)
    require(principal, *ROW_ROLES)
    return figures.trace(request.app.state.store, principal, by.value, key, year, limit)


@router.get("/trace", include_in_schema=False)
@answered_inline
def trace_page(request: Request, by: Dimension, key: KeyQuery, year: YearQuery = None,
               limit: LimitQuery = 200) -> Response:
    result = _trace(request, by, key, year, limit)
    return cached_page(request, "trace.html", (by.value, key, year, limit), lambda: dict(
        result=result, table=_table(request, result, by, key), by=by.value, key=key, year=year,
        limit=limit))


@router.get("/trace.csv", include_in_schema=False)
@answered_inline
def trace_csv(request: Request, by: Dimension, key: KeyQuery, year: YearQuery = None,
              limit: LimitQuery = 100_000) -> Response:
    result = _trace(request, by, key, year, limit)
    return csv_response(_table(request, result, by, key), f"rows-{by.value}-{key}.csv")


@router.get("/api/trace", tags=["count"], summary="The source rows behind a figure: file, row, rule")
@answered_inline
def trace_api(request: Request, by: Dimension, key: KeyQuery, year: YearQuery = None,
              limit: LimitQuery = 1000) -> dict:
    result = _trace(request, by, key, year, limit)
    return {"by": by.value, "key": key, "total": f"{result.total:.2f}", "rows": result.count,
            "table": table_json(_table(request, result, by, key))}
