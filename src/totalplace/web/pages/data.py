"""The data page: files loaded, rows and money read = loaded + rejected, rejected rows, months missing."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Request
from fastapi.responses import Response

from totalplace.web import figures
from totalplace.web.auth import current_principal, require
from totalplace.web.db import Role
from totalplace.web.inline import answered_inline
from totalplace.web.pages import NavItem
from totalplace.web.render import cached_page, csv_response, table_json

router = APIRouter()
NAV = [NavItem("Data", "/data", lambda p: p.sees_rows)]
ROW_ROLES = (Role.administrator, Role.partner, Role.analyst)
DataTable = StrEnum("DataTable", {"files": "files", "months": "months", "rejected": "rejected"})
TABLES = {"files": figures.file_table, "months": figures.month_table, "rejected": figures.rejection_table}


def _state(request: Request) -> figures.DataState:
    principal = current_principal(request)
    require(principal, *ROW_ROLES)
    return figures.data_state(request.app.state.store, principal)


@router.get("/data", include_in_schema=False)
@answered_inline
def data_page(request: Request) -> Response:
    state = _state(request)
    return cached_page(request, "data.html", (), lambda: dict(
        state=state, files=figures.file_table(state), months=figures.month_table(state),
        rejected=figures.rejection_table(state), gaps=[m for m in state.months if m.gap]))


@router.get("/data/{name}.csv", include_in_schema=False)
@answered_inline
def data_csv(request: Request, name: DataTable) -> Response:
    return csv_response(TABLES[name.value](_state(request)), f"{name.value}.csv")


@router.get("/api/data/{name}", tags=["data"], summary="Files and their balance, months covered, rejected rows")
@answered_inline
def data_api(request: Request, name: DataTable) -> dict:
    return table_json(TABLES[name.value](_state(request)))
