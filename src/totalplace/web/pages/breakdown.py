"""Breakdowns of the count by agency, theme, COFOG function, month, supplier...: chart, table, CSV, API."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from totalplace import display
from totalplace.count.disclosure import Shown, SuppressedCount
from totalplace.present.tables import Table, plain_value
from totalplace.web import figures
from totalplace.web.auth import Principal, current_principal
from totalplace.web.charts import bar_chart
from totalplace.web.db import published
from totalplace.web.inline import answered_inline
from totalplace.web.pages import NavItem
from totalplace.web.render import cached_page, csv_response, table_json

router = APIRouter()
PAGE_ROWS = 300
# The public finds what is published on its landing page, not a menu item it may not open.
NAV = [NavItem("Breakdowns", "/breakdown/theme", lambda p: p.sees_unpublished, within=("/breakdown", "/trace"))]
# mypy reads an Enum's members only from literals; these are the breakdowns figures.py offers
Dimension = StrEnum("Dimension", {name: name for name in figures.BREAKDOWNS})  # type: ignore[misc]
YearQuery = Annotated[str | None, Query(description="Fiscal year like 2018-19, or 'all' (default: latest loaded)",
                                        pattern=r"^(\d{4}-\d{2}|all)$")]
AgencyQuery = Annotated[str | None, Query(description="Only the lines of this agency (its id)",
                                          pattern=r"^[a-z0-9-]{1,80}$")]


def public_may_see(request: Request, by: str, fiscal_year: str | None) -> bool:
    with request.app.state.db.session() as session:
        return (by, fiscal_year or "all") in published(session)


def figure(request: Request, principal: Principal, by: str, year: str | None, agency: str | None) -> Shown:
    """A breakdown as this user may see it: the public only a published one; small groups suppressed
    for the public and for an analyst looking beyond their own agency (`figures.as_seen_by`)."""
    store = request.app.state.store
    fiscal_year = figures.choose_year(store, year)
    if not principal.sees_unpublished and (agency or not public_may_see(request, by, fiscal_year)):
        raise HTTPException(403 if principal.signed_in else 401,
                            f"spending by {by} for {fiscal_year or 'all years'} is not published")
    return figures.as_seen_by(store, principal, figures.breakdown(store, by, fiscal_year, agency), agency)


def table_of(request: Request, result: Shown) -> Table:
    return figures.breakdown_table(result, request.app.state.store.workspace)


def chart_svg(request: Request, result: Shown, agency: str | None) -> str:
    store = request.app.state.store
    workspace = store.workspace
    title = (f"Spending by {display.column_title(result.by).lower()}, {result.fiscal_year or 'all years'}"
             + (f", {display.agency_name(workspace, agency)}" if agency else ""))
    suppressed = isinstance(result, SuppressedCount)
    names = [r.key if suppressed and r is result.rows[-1] else display.key_name(workspace, result.by, r.key)
             for r in result.rows]
    return store.cached(("chart", result.by, result.fiscal_year, agency, suppressed),
                        lambda: bar_chart(title, names, [r.amount for r in result.rows]))


def shown(table: Table, merged_last: bool) -> Table:
    """A page lists the largest groups (and the merged "other" row); the CSV and the API have every one."""
    if len(table.rows) <= PAGE_ROWS + merged_last:
        return table
    rows = table.rows[:PAGE_ROWS] + (table.rows[-1:] if merged_last else [])
    return Table(table.title, table.columns, rows,
                 [*table.notes, f"Showing the largest {PAGE_ROWS} of {len(table.rows) - merged_last:,} groups: "
                                f"the CSV download has them all."])


@router.get("/breakdown/{by}.csv", include_in_schema=False)
@answered_inline
def breakdown_csv(request: Request, by: Dimension, year: YearQuery = None, agency: AgencyQuery = None) -> Response:
    result = figure(request, current_principal(request), by.value, year, agency)
    return csv_response(table_of(request, result), f"spending-by-{by.value}-{result.fiscal_year or 'all'}.csv")


@router.get("/breakdown/{by}", include_in_schema=False)
@answered_inline
def breakdown_page(request: Request, by: Dimension, year: YearQuery = None, agency: AgencyQuery = None) -> Response:
    principal = current_principal(request)
    result = figure(request, principal, by.value, year, agency)
    store = request.app.state.store
    return cached_page(request, "breakdown.html", (by.value, result.fiscal_year, agency), lambda: dict(
        result=result, table=shown(table_of(request, result), isinstance(result, SuppressedCount)),
        chart=chart_svg(request, result, agency),
        by=by.value, agency=agency, dimensions=figures.BREAKDOWNS, years=figures.years(store),
        agencies=store.workspace.settings.agencies, year=result.fiscal_year or "all",
        drill=principal.sees_rows and not agency and not isinstance(result, SuppressedCount)))


@router.get("/api/breakdown/{by}", tags=["count"], summary="Spending by a dimension, counted once")
@answered_inline
def breakdown_api(request: Request, by: Dimension, year: YearQuery = None, agency: AgencyQuery = None) -> dict:
    result = figure(request, current_principal(request), by.value, year, agency)
    return {"by": by.value, "fiscal_year": result.fiscal_year, "total": plain_value(result.total),
            "lines": result.lines, "per_head": None if result.per_head is None else f"{result.per_head:.2f}",
            "population": result.population.value if result.population else None,
            "table": table_json(table_of(request, result))}
