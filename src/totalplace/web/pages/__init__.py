"""The pages of the web app, one module each.

To add a capability's page (funding streams, deep dives, appraisals...):
write `totalplace/web/pages/<capability>.py` with a FastAPI `router` (its
pages, and its figures under `/api/<capability>/...`) and a `NAV` list of
`NavItem`s, then add one line to `PAGES` below. A page whose capability has
not landed yet names the module it needs in `requires`; it is left out (and
its menu item with it) until that module can be imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from totalplace.web.auth import Principal


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str
    visible: Callable[[Principal], bool]
    within: tuple[str, ...] = ()  # the item is the current one on these paths (and their sub-paths) too

    def active(self, path: str) -> bool:
        return path == self.path or any(path == p or path.startswith(p + "/") for p in self.within)


@dataclass(frozen=True)
class PageModule:
    name: str                    # module in totalplace.web.pages
    requires: str | None = None  # the capability's service module, if the page waits for one


PAGES = [
    PageModule("account"),
    PageModule("overview"),
    PageModule("breakdown"),
    PageModule("trace"),
    PageModule("data"),
    PageModule("capability"),  # top-down, funding streams, deep dives, appraisals, deal, estate: their report sections
    PageModule("upload"),
    PageModule("admin"),
]


def _available(page: PageModule) -> bool:
    if page.requires is None:
        return True
    try:
        importlib.import_module(page.requires)
    except ImportError:
        return False
    return True


def page_modules() -> list[ModuleType]:
    return [importlib.import_module(f"totalplace.web.pages.{p.name}") for p in PAGES if _available(p)]


def navigation() -> list[NavItem]:
    return [item for module in page_modules() for item in getattr(module, "NAV", [])]
