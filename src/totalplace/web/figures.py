"""The figures the pages and the API show, from the same service functions the CLI calls.

Nothing here computes a figure of its own: counts come from `count.bottomup`,
what the public may see of them from `count.disclosure`, files, coverage and
rejections from `count.coverage`. This module only opens
the store for the web, caches results until the store changes (an upload bumps
the generation), narrows row-level data to what a role may see, and turns the
results into `present.tables.Table`s so a page, its CSV and its API share one source.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar, cast

from totalplace import display
from totalplace.count import bottomup, coverage
from totalplace.count.bottomup import Count
from totalplace.count.disclosure import Shown, SuppressedCount, suppressed
from totalplace.errors import one_of
from totalplace.money import format_money
from totalplace.present.tables import Table
from totalplace.store.connection import StoreConnection, connect
from totalplace.web.auth import Principal
from totalplace.web.inline import may_block
from totalplace.workspace import Workspace, open_workspace

# Breakdowns the pages offer (a whitelist: a dimension is never taken from the URL as SQL).
BREAKDOWNS = ("agency", "theme", "cofog", "month", "supplier", "transfer", "service")
CACHE_SIZE = 256
_MISSING = object()
T = TypeVar("T")  # what a cached computation returns


class Store:
    """The workspace's analytic store, open read-only for the life of the app.

    DuckDB lets a process hold a database file either read-only or read-write,
    not both. Pages read through one read-only connection (a cursor per request),
    which also lets capability report sections open their own read-only
    connections. A change (an upload, its preview, a new agency) takes the
    store exclusively: readers finish, the connection closes, the change runs
    through the same functions as the CLI, and the store reopens with the
    cached figures dropped.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        connect(workspace).close()  # create the tables of a new store
        self.con = connect(workspace, read_only=True)
        self.generation = 0
        self._readers = 0
        self._writing = False
        self._turn = threading.Condition()
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._cache_lock = threading.Lock()

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._turn:
            self._turn.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._turn:
                self._readers -= 1
                self._turn.notify_all()

    @contextmanager
    def alone(self) -> Iterator[None]:
        """The store file to oneself, the app's connection closed: no reader holds a cursor meanwhile.

        DuckDB will not open a file read-write in a process that holds it
        read-only; some capability sections open it read-write (the top-down
        count keeps its apportionment in temporary tables), so they run alone.
        """
        may_block("the store alone")
        with self._turn:
            self._turn.wait_for(lambda: not self._writing)
            self._writing = True
            self._turn.wait_for(lambda: self._readers == 0)
        self.con.close()
        try:
            yield
        finally:
            self.con = connect(self.workspace, read_only=True)
            with self._turn:
                self._writing = False
                self._turn.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A change to the store: alone while it runs, then every cached figure is dropped."""
        with self.alone():
            try:
                yield
            finally:
                self.workspace = open_workspace(self.workspace.root)
                connect(self.workspace).close()  # a read-write open syncs the agency table with the settings
                with self._cache_lock:
                    self.generation += 1
                    self._cache.clear()

    @contextmanager
    def cursor(self) -> Iterator[StoreConnection]:
        may_block("a store cursor")
        with self.reading():
            cur = self.con.cursor()
            try:
                yield cur
            finally:
                cur.close()

    def cached(self, key: tuple, compute: Callable[[], T], one_at_a_time: threading.Lock | None = None) -> T:
        """A result computed once per store generation (many users ask for the same page).

        With `one_at_a_time`, a computation waits for another one under that lock and
        looks again, so a slow result is made once rather than by every waiting request.
        """
        full_key = (self.generation, *key)
        found = self._lookup(full_key)
        if found is not _MISSING:
            return cast(T, found)  # one key, one computation: what it kept is what `compute` returns
        may_block(f"computing {key[0]}")
        if one_at_a_time is None:
            return self._keep(full_key, compute())
        with one_at_a_time:
            found = self._lookup(full_key)
            return cast(T, found) if found is not _MISSING else self._keep(full_key, compute())

    def _lookup(self, full_key: tuple) -> object:
        with self._cache_lock:
            if full_key in self._cache:
                self._cache.move_to_end(full_key)
                return self._cache[full_key]
        return _MISSING

    def _keep(self, full_key: tuple, value: T) -> T:
        with self._cache_lock:
            self._cache[full_key] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def close(self) -> None:
        self.con.close()


def years(store: Store) -> list[str]:
    def compute() -> list[str]:
        with store.cursor() as cur:
            return bottomup.fiscal_years(cur)
    return store.cached(("years",), compute)


def choose_year(store: Store, year: str | None) -> str | None:
    def compute() -> str | None:
        with store.cursor() as cur:
            return bottomup.choose_year(cur, year or None)
    return store.cached(("year", year or None), compute)


def check_dimension(by: str) -> str:
    return one_of(by, BREAKDOWNS, "break spending down by")


def breakdown(store: Store, by: str, year: str | None, agency: str | None = None) -> Count:
    """The count by one dimension; with an agency, the lines behind that agency's figure."""
    check_dimension(by)
    if agency:
        store.workspace.agency(agency)  # an unknown agency is an error, not an empty page

    def compute() -> Count:
        with store.cursor() as cur:
            return bottomup.count(cur, store.workspace, by, year, cuts={"agency": agency} if agency else None)
    return store.cached(("breakdown", by, year, agency), compute)


def as_seen_by(store: Store, principal: Principal, result: Count, agency: str | None) -> Shown:
    """A breakdown narrowed to what the role may see: every agency's groups in full only for
    those who see every agency's rows (administrators, partners), and an analyst's own agency's."""
    if principal.row_agency is None and principal.sees_rows:
        return result
    if principal.sees_rows and agency == principal.row_agency:
        return result
    return suppressed(result, store.workspace.suppress_below)


NAMED = ("agency", "cofog", "month", "transfer")  # dimensions whose keys are codes: a name column beside them


def breakdown_table(result: Shown, workspace: Workspace) -> Table:
    """The breakdown's rows: the key (a code the CSV and API keep), its name where it has one, the figures."""
    named = result.by in NAMED
    columns = [result.by] + (["name"] if named else []) + ["amount", "lines", "£ per head", "share"]
    rows = [[r.key] + ([r.key if r.key.startswith("other (") else display.key_name(workspace, result.by, r.key)]
                       if named else []) + [r.amount, r.lines, r.per_head, r.share] for r in result.rows]
    place = workspace.settings.place.name
    notes = [f"Total {format_money(result.total, missing='suppressed')} over {display.plural(result.lines, 'payment')}."
             if result.total is not None else
             "The total is suppressed: with the groups shown it would give away the groups merged into 'other'."]
    if result.population:
        notes.append(f"Population {result.population.value:,} ({result.population.method}).")
    if isinstance(result, SuppressedCount):
        notes.append(f"Groups of fewer than {display.plural(result.threshold, 'payment')} are merged into the "
                     f"last row, whatever its amount; the total includes them.")
    return Table(f"{place}: spending by {display.column_title(result.by).lower()}, "
                 f"{result.fiscal_year or 'all years'}", columns, rows, notes)


@dataclass(frozen=True)
class Trace:
    lines: list[bottomup.TracedLine]
    total: Decimal
    count: int


def trace(store: Store, principal: Principal, by: str, key: str, year: str | None,
          limit: int) -> Trace:
    """The source rows behind a figure, narrowed to the rows the user's role may see."""
    check_dimension(by)
    agency = principal.row_agency

    def compute() -> Trace:
        # An analyst sees their own agency's rows of the figure, and their sum: never the rest.
        with store.cursor() as cur:
            lines, total, n = bottomup.trace(cur, by, key, year, limit, cuts={"agency": agency} if agency else None)
        return Trace(lines, total, n)
    return store.cached(("trace", by, key, year, limit, agency), compute)


def trace_table(result: Trace, by: str, key: str, workspace: Workspace) -> Table:
    rows = [[t.path, t.row_number, t.agency_id, t.payment_date, t.supplier_name, t.service, t.expense,
             t.amount, t.rule_id or "(no rule)", display.rule_note(workspace, t.rule_id), t.transfer_rule or ""]
            for t in result.lines]
    shown = f" (showing the largest {len(result.lines):,})" if len(result.lines) < result.count else ""
    return Table(f"Rows behind {by} = {key!r}",
                 ["file", "row", "agency", "date", "supplier", "service", "expense", "amount", "rule", "rule says",
                  "transfer"],
                 rows, [f"{display.plural(result.count, 'row')}, total {format_money(result.total, missing='suppressed')}{shown}"])


@dataclass(frozen=True)
class DataState:
    files: list[coverage.FileBalance]
    months: list[coverage.MonthCoverage]
    rejections: list[coverage.Rejection]


def data_state(store: Store, principal: Principal) -> DataState:
    """Files and their balance, months covered and gaps, rejected rows: an analyst's own agency's."""
    agency = principal.row_agency

    def compute() -> DataState:
        with store.cursor() as cur:
            files = coverage.file_balances(cur)
            months = coverage.month_coverage(cur)
            rejections = coverage.rejections(cur)
        if agency is not None:
            own_paths = {f.path for f in files if f.agency_id == agency}
            files = [f for f in files if f.agency_id == agency]
            months = [m for m in months if m.agency_id == agency]
            rejections = [r for r in rejections if r.path in own_paths]
        return DataState(files, months, rejections)
    return store.cached(("data", agency), compute)


def file_table(state: DataState) -> Table:
    return Table("Files loaded", ["file", "agency", "period", "rows read", "rows loaded", "rows rejected",
                                  "money read", "money loaded", "money rejected"],
                 [[b.path, b.agency_id, b.period, b.rows_read, b.rows_loaded, b.rows_rejected, b.money_read,
                   b.money_loaded, b.money_rejected] for b in state.files])


def month_table(state: DataState) -> Table:
    return Table("Coverage by agency and month (a gap is unknown spending, not zero)",
                 ["agency", "month", "files", "lines", "amount", "coverage"],
                 [[m.agency_id, m.month, m.files, m.lines, m.amount, "GAP: no file" if m.gap else "covered"]
                  for m in state.months])


def rejection_table(state: DataState) -> Table:
    return Table("Rejected rows", ["file", "row", "column", "reason", "raw text"],
                 [[r.path, r.row_number, r.column_name, r.reason, r.raw_text] for r in state.rejections])


@dataclass(frozen=True)
class Overview:
    fiscal_year: str | None  # None: nothing loaded yet
    by_agency: Count
    by_theme: Count
    gaps: list[tuple[str, str]]  # (agency id, month) without a file
    files: int
    rows_rejected: int


def overview(store: Store, year: str | None) -> Overview:
    fiscal_year = choose_year(store, year) or choose_year(store, None)

    def compute() -> Overview:
        agencies = breakdown(store, "agency", fiscal_year)
        themes = breakdown(store, "theme", fiscal_year)
        with store.cursor() as cur:
            months = coverage.month_coverage(cur)
            balances = coverage.file_balances(cur)
        gaps = [(m.agency_id, m.month) for m in months if m.gap]
        return Overview(fiscal_year, agencies, themes, gaps, len(balances), sum(b.rows_rejected for b in balances))
    return store.cached(("overview", fiscal_year), compute)
