"""One page per capability (top-down, funding streams, provision, journeys, cohorts, appraisals, deal, estate).

Each page renders the capability's own report sections: text, charts each with
its table and CSV download, tables, provenance; `/api/<capability>` gives the
same figures as JSON. Signed-in roles other than the public see every
capability page (the sections hold aggregates only: cohort counts under the
threshold are suppressed by the capability itself, and nothing person-level is
in a section); the public sees a page only when an administrator has published it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response

from totalplace import display
from totalplace.present.section import Section
from totalplace.web import capabilities
from totalplace.web.auth import current_principal, require
from totalplace.web.capabilities import Capability
from totalplace.web.db import Role, published
from totalplace.web.inline import answered_inline
from totalplace.web.pages import NavItem
from totalplace.web.render import cached_page, csv_response, page

router = APIRouter()
PAGES = capabilities.pages()
# One menu item for them all (a menu of a dozen items wraps onto two rows): the analyses page lists them.
NAV = [NavItem("Analyses", "/analyses", lambda p: p.sees_unpublished, within=tuple(f"/{c.key}" for c in PAGES))]
SectionId = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,120}$")]


@router.get("/analyses", include_in_schema=False)
def analyses(request: Request) -> Response:
    """The capability pages, each with what it shows (the public finds the published ones on its landing page)."""
    require(current_principal(request), Role.administrator, Role.partner, Role.analyst)
    return page(request, "analyses.html", capabilities=PAGES)


def is_published(request: Request, capability: Capability) -> bool:
    with request.app.state.db.session() as session:
        return (capability.key, capabilities.ALL_YEARS) in published(session)


def visible_sections(request: Request, capability: Capability) -> list[Section]:
    """The capability's sections, if this user may see them: the public only once published."""
    principal = current_principal(request)
    if not principal.sees_unpublished and not is_published(request, capability):
        raise HTTPException(403 if principal.signed_in else 401, f"{capability.title} is not published")
    return capabilities.sections(request.app.state.store, capability)


def _views(capability: Capability, found: list[Section]) -> list[dict]:
    """Each section with the CSV address of every chart's table and every table."""
    views = []
    for section in found:
        paths = [capabilities.csv_path(capability, section, n) for n in range(len(capabilities.tables_of(section)))]
        views.append({"section": section, "charts": list(zip(section.charts, paths)),
                      "tables": list(zip(section.tables + section.appendix, paths[len(section.charts):]))})
    return views


def _routes(capability: Capability) -> None:
    def capability_page(request: Request) -> Response:
        found = visible_sections(request, capability)
        return cached_page(request, "capability.html", (capability.key,),
                           lambda: dict(capability=capability, views=_views(capability, found),
                                        names=display.code_names(request.app.state.store.workspace)))

    def capability_csv(request: Request, section_id: SectionId, number: int) -> Response:
        visible_sections(request, capability)
        table = capabilities.table(request.app.state.store, capability, section_id, number)
        return csv_response(table, f"{section_id}-{number}.csv")

    def capability_api(request: Request) -> dict:
        return capabilities.sections_json(capability, visible_sections(request, capability))

    router.add_api_route(f"/{capability.key}", answered_inline(capability_page), include_in_schema=False)
    router.add_api_route(f"/{capability.key}/{{section_id}}/{{number}}.csv", answered_inline(capability_csv),
                         include_in_schema=False)
    router.add_api_route(f"/api/{capability.key}", answered_inline(capability_api), tags=[capability.key],
                         summary=f"{capability.title}: the report sections' text and tables")


for _capability in PAGES:
    _routes(_capability)
