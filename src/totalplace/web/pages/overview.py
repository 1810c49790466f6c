"""The place overview: total, £ per head, spending by agency and theme, coverage and gaps."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from totalplace.count import headline
from totalplace.display import agency_name
from totalplace.web import capabilities, figures
from totalplace.web.auth import PUBLIC, current_principal
from totalplace.web.db import published
from totalplace.web.inline import answered_inline
from totalplace.web.pages import NavItem
from totalplace.web.pages.breakdown import YearQuery, chart_svg, table_of
from totalplace.web.render import cached_page, page, table_json

router = APIRouter()
NAV = [NavItem("Overview", "/", lambda p: True)]


def _published_list(request: Request) -> list[tuple[str, str]]:
    with request.app.state.db.session() as session:
        return sorted(published(session))


@router.get("/", include_in_schema=False)
@answered_inline
def overview_page(request: Request, year: YearQuery = None) -> Response:
    principal = current_principal(request)
    store = request.app.state.store
    if not principal.sees_unpublished:
        return _landing_page(request)
    view = figures.overview(store, year)
    top = capabilities.topdown_headline(store)
    return cached_page(request, "overview.html", (view.fiscal_year,), lambda: dict(
        headline=capabilities.place_headline(store),
        ledgers=[f"{agency_name(store.workspace, r.key)}'s ledger" for r in view.by_agency.rows],
        view=view, years=figures.years(store), agency_table=table_of(request, view.by_agency),
        theme_table=table_of(request, view.by_theme), theme_chart=chart_svg(request, view.by_theme, None),
        drill=principal.sees_rows, top=top, top_view=_topdown_view(top)))


def _landing_page(request: Request) -> Response:
    """The public's start page: each published breakdown with its total as the public sees it, each published page."""
    store = request.app.state.store
    done = _published_list(request)
    shown = [(by, year, figures.as_seen_by(store, PUBLIC, figures.breakdown(store, by, None if year == "all" else year),
                                          None)) for by, year in done if by in figures.BREAKDOWNS]
    return page(request, "published.html", publications=shown, threshold=store.workspace.suppress_below,
                pages=[c for c in capabilities.pages() if (c.key, capabilities.ALL_YEARS) in done])


def _topdown_view(top: capabilities.TopdownHeadline | None) -> dict | None:
    """The top-down headline section with the CSV address of each chart's table (as on the top-down page)."""
    if top is None:
        return None
    capability = capabilities.by_key("topdown")
    return {"section": top.section, "tables": [], "charts": [
        (chart, capabilities.csv_path(capability, top.section, n)) for n, chart in enumerate(top.section.charts)]}


def _pounds(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _headline_json(found: headline.Headline | None) -> dict | None:
    if found is None:
        return None
    money = _pounds
    return {"sentence": found.sentence(), "fiscal_year": found.fiscal_year, "top_down_year": found.top_down_year,
            "years_differ": found.years_differ, "amount": money(found.amount), "per_head": money(found.per_head),
            "population": found.population, "region": found.region, "region_per_head": money(found.region_per_head),
            "england_per_head": money(found.england_per_head), "from_ledgers": money(found.from_ledgers),
            "from_top_down": money(found.from_top_down), "ledger_share": found.ledger_share,
            "part_year": found.part_year,
            "ledgers": [{"agency": p.agency, "name": p.name, "amount": money(p.amount),
                         "months_covered": p.months_covered, "coverage": p.coverage} for p in found.ledgers],
            "missing": list(found.missing), "sources": list(found.sources)}


def _topdown_json(top: capabilities.TopdownHeadline | None) -> dict | None:
    if top is None:
        return None
    result = top.count
    return {"fiscal_year": result.fiscal_year, "total": f"{result.total:.2f}",
            "per_head": None if result.per_head is None else f"{result.per_head:.2f}",
            "population": result.population, "population_method": result.population_method,
            "by_control": [{"level": r.label, "amount": f"{r.amount:.2f}",
                            "per_head": None if r.per_head is None else f"{r.per_head:.2f}", "share": r.share}
                           for r in result.rows],
            "charts": [{"title": chart.title, "table": table_json(chart.table)} for chart in top.section.charts]}


@router.get("/api/overview", tags=["count"], summary="The place's total, £ per head, agencies, themes and gaps")
@answered_inline
def overview_api(request: Request, year: YearQuery = None) -> dict:
    principal = current_principal(request)
    if not principal.sees_unpublished:
        raise HTTPException(403 if principal.signed_in else 401,
                            "the overview is not published; see /api/published for what is")
    view = figures.overview(request.app.state.store, year)
    total = view.by_agency
    return {"place": request.app.state.store.workspace.settings.place.name, "fiscal_year": view.fiscal_year,
            "total": f"{total.total:.2f}", "lines": total.lines,
            "per_head": None if total.per_head is None else f"{total.per_head:.2f}",
            "population": total.population.value if total.population else None,
            "population_method": total.population.method if total.population else None,
            "within_count_transfers": f"{total.within_count_transfers:.2f}",
            "files": view.files, "rows_rejected": view.rows_rejected, "gaps": [f"{agency} {month}" for agency, month in view.gaps],
            "by_agency": table_json(table_of(request, view.by_agency)),
            "by_theme": table_json(table_of(request, view.by_theme)),
            "headline": _headline_json(capabilities.place_headline(request.app.state.store)),
            "topdown": _topdown_json(capabilities.topdown_headline(request.app.state.store))}


@router.get("/api/published", tags=["count"], summary="The breakdowns and pages an administrator has published")
def published_api(request: Request) -> list[dict]:
    return [{"by": by, "fiscal_year": year,
             "url": f"/api/breakdown/{by}?year={year}" if by in figures.BREAKDOWNS else f"/api/{by}"}
            for by, year in _published_list(request)]
