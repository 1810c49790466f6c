"""The capabilities' own report sections as pages: top-down, funding streams, deep dives (with the unit cost
library), appraisals, deal, estate.

Each capability hands the place report `report_sections(workspace) -> list[Section]`
(`present.section`): paragraphs, charts with their tables, tables and provenance.
The web shows exactly those sections, so a page never computes a figure the
capability does not return. They are made once per store generation.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from fastapi import HTTPException

from totalplace.capabilities import Capability, by_key, pages
from totalplace.count import headline, topdown
from totalplace.errors import InputError
from totalplace.present.section import Section
from totalplace.present.tables import Table
from totalplace.store.connection import connect
from totalplace.web.charts import drawn
from totalplace.web.figures import Store
from totalplace.web.render import table_json

ALL_YEARS = "all"  # a capability page is published as a whole: its publication's year is 'all'
TOPDOWN_HEADLINE = "topdown-headline"


# One capability's sections are made at a time: a second request for them waits and
# then finds them cached, instead of taking the store alone a second time.
_making = threading.Lock()


def sections(store: Store, capability: Capability) -> list[Section]:
    """The capability's report sections for the store as it is (made once per store generation)."""
    def compute() -> list[Section]:
        with store.alone():  # a capability may open the store read-write (see Store.alone)
            return drawn(capability.sections, store.workspace)
    return store.cached(("sections", capability.key), compute, one_at_a_time=_making)


def tables_of(section: Section) -> list[Table]:
    """A section's tables in reading order: each chart's table, then the others (the report's detail ones last)."""
    return section.all_tables()


def table(store: Store, capability: Capability, section_id: str, number: int) -> Table:
    for section in sections(store, capability):
        if section.id == section_id:
            tables = tables_of(section)
            if 0 <= number < len(tables):
                return tables[number]
    raise HTTPException(404, f"{capability.title} has no table {section_id}/{number}")


def csv_path(capability: Capability, section: Section, number: int) -> str:
    return f"/{capability.key}/{section.id}/{number}.csv"


def sections_json(capability: Capability, found: list[Section]) -> dict:
    """The sections' figures as JSON: text, and every chart's table and table (the SVGs are on the page)."""
    return {"capability": capability.key, "title": capability.title, "sections": [
        {"id": s.id, "title": s.title, "paragraphs": s.paragraphs,
         "charts": [{"title": c.title, "table": table_json(c.table)} for c in s.charts],
         "tables": [table_json(t) for t in s.tables + s.appendix], "provenance": s.provenance} for s in found]}


@dataclass(frozen=True)
class TopdownHeadline:
    """The top-down count for the overview: its figures, and its report section's two charts."""
    count: topdown.TopdownCount   # by level of control: total, £ per head, share at each level
    section: Section              # the sliding scale and the flow from funder to who decides to function


def place_headline(store: Store) -> headline.Headline | None:
    """The place's one headline (count.headline, as the CLI and the report give it), or None with no CRA loaded."""
    def compute() -> headline.Headline | None:
        with store.alone():  # the best estimate keeps its apportionment in temporary tables: read-write
            con = connect(store.workspace)
            try:
                return headline.headline(con, store.workspace)
            except InputError:
                return None
            finally:
                con.close()
    return store.cached(("headline",), compute, one_at_a_time=_making)


def topdown_headline(store: Store) -> TopdownHeadline | None:
    """The latest CRA year's top-down count of the place, or None when no CRA is loaded."""
    capability = by_key("topdown")

    def count() -> topdown.TopdownCount | None:
        with store.alone():  # the count keeps its apportionment in temporary tables: read-write
            con = connect(store.workspace)
            try:
                return topdown.count(con, store.workspace, store.workspace.settings.place.areas, None, "control")
            except InputError:
                return None  # no CRA loaded
            finally:
                con.close()
    result = store.cached(("topdown-count",), count, one_at_a_time=_making)
    headline = next((s for s in sections(store, capability) if s.id == TOPDOWN_HEADLINE), None)
    return TopdownHeadline(result, headline) if result is not None and headline is not None else None
