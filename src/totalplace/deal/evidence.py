"""Evidence links: an ask's live references to figures elsewhere in the workspace.

A link is written ``kind:field=value;field=value``. The kind names a resolver in
the registry; the resolver turns the fields into the figure as it stands now.
Built in: ``count`` (the bottom-up count), e.g.
``count:theme=Drugs and alcohol;year=2018-19`` or ``count:year=2018-19`` for the
whole count. Every other kind of evidence the workspace has (top-down, funding
streams, provision, journeys, cohorts, appraisals, the reporting burden, the
estate) registers its kind with `register` (see `totalplace.deal.links`). A figure that cannot be found raises `EvidenceMissing`:
the ask is then flagged, never quietly dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from totalplace.errors import InputError
from totalplace.workspace import Workspace

if TYPE_CHECKING:
    from totalplace.store.connection import StoreConnection


class EvidenceMissing(Exception):
    """The linked figure does not exist (any more): the reason says why."""


@dataclass(frozen=True)
class Link:
    kind: str
    fields: dict[str, str]
    text: str


ILLUSTRATIVE = "ILLUSTRATIVE"  # made up or not checked against its source
SYNTHETIC = "SYNTHETIC"        # generated data (a synthetic cohort or estate), not real people or buildings


@dataclass(frozen=True)
class Figure:
    """A figure as it stands now, with how it was reached and a few of the rows behind it.

    `marks` (ILLUSTRATIVE, SYNTHETIC) also open the label, so that every output that shows the figure says so.
    """
    link: str
    label: str
    amount: Decimal
    basis: str
    detail: list[str] = field(default_factory=list)
    marks: tuple[str, ...] = ()


def marked(link: Link, label: str, amount: Decimal, basis: str, detail: list[str] | None = None,
           marks: tuple[str, ...] = ()) -> Figure:
    """A figure whose label begins with its marks ('ILLUSTRATIVE: journey ...')."""
    return Figure(link.text, "".join(f"{m}: " for m in marks) + label, amount, basis, detail or [], marks)


class Context:
    """What resolvers share while one output is built: the workspace and one store connection."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @cached_property
    def con(self) -> StoreConnection:
        from totalplace.store.connection import connect

        if not self.workspace.store_path.exists():
            raise EvidenceMissing("the workspace has no store yet (run `totalplace ingest`)")
        return connect(self.workspace, read_only=True)

    def close(self) -> None:
        if "con" in self.__dict__:
            self.__dict__.pop("con").close()

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


Resolver = Callable[[Context, Link], Figure]
_RESOLVERS: dict[str, Resolver] = {}


def register(kind: str) -> Callable[[Resolver], Resolver]:
    """Make `kind:...` links resolvable by the decorated function."""
    def add(resolver: Resolver) -> Resolver:
        _RESOLVERS[kind] = resolver
        return resolver
    return add


def kinds() -> list[str]:
    _load_builtin()
    return sorted(_RESOLVERS)


def parse_link(text: str) -> Link:
    """`kind:field=value;...` split into its parts; a malformed link is bad input."""
    kind, colon, rest = text.strip().partition(":")
    if not colon or not kind.strip():
        raise InputError(f"evidence link {text!r} must look like kind:field=value;field=value")
    fields: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in rest.split(";"))):
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            raise InputError(f"evidence link {text!r}: {part!r} must be field=value")
        fields[name.strip().lower()] = value.strip()
    return Link(kind.strip().lower(), fields, text.strip())


def check_link(text: str) -> Link:
    """A link whose kind is known (so typing errors surface when the register is read)."""
    link = parse_link(text)
    if link.kind not in kinds():
        raise InputError(f"evidence link {text!r}: unknown kind {link.kind!r} (known: {', '.join(kinds())})")
    return link


def resolve(context: Context, text: str) -> Figure:
    """The figure a link points at now, or EvidenceMissing."""
    link = check_link(text)
    return _RESOLVERS[link.kind](context, link)


def _load_builtin() -> None:
    # The resolvers of other capabilities register themselves when their module is imported.
    from totalplace.deal import links  # noqa: F401
