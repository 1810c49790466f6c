"""Map provision for a theme: programmes x providers x funding streams.

Two inputs meet here. The classified spend lines say which programme (an
agency's service and expense heading) paid which provider (the supplier), and
how much. The funding-stream register, when the workspace has one, says which
funder's stream pays for a programme (a stream's `service_pattern` names the
programmes it pays for, among its recipient agency's lines) or pays a provider
directly (a stream whose recipient is not an agency of the place).

From these come the counts the pilots quoted ("over 120 projects, 50
providers, 15 funding streams" in one borough's worklessness provision) and
the overlaps: several funders paying the same provider for the same client
group.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from totalplace import display
from totalplace.count.bottomup import LINES, choose_year, fiscal_years
from totalplace.count.reconcile import nearest_year
from totalplace.count.funding_streams import FundingStream, read_register
from totalplace.errors import InputError
from totalplace.report.section import PROVISION, Chart, Finding, Section, year_line
from totalplace.report.tables import Table
from totalplace.workspace import Workspace, slug

NOT_STATED = "(not stated in the spend)"
NO_SUPPLIER = "(no supplier named)"


@dataclass(frozen=True)
class Commission:
    """One programme paying one provider for the theme: from the ledger, or a stream paid to a provider."""
    payer: str                 # the agency (ledger) or the funder (a stream paid straight to a provider)
    programme: str
    provider: str
    amount: Decimal
    lines: int                 # ledger lines behind it; 0 for a stream from the register
    public_body: str           # kind of public body the provider is, if it is one
    streams: tuple[str, ...]   # the register streams that pay for this programme
    funders: tuple[str, ...]
    client_groups: tuple[str, ...]
    source: str                # 'spend' or the register row


@dataclass(frozen=True)
class ProviderOverlap:
    provider: str
    client_group: str
    funders: list[str]
    amount: Decimal
    programmes: list[str]


@dataclass(frozen=True)
class ProvisionMap:
    theme: str
    fiscal_year: str
    commissions: list[Commission]
    streams: list[FundingStream]
    overlaps: list[ProviderOverlap]

    @property
    def programmes(self) -> int:
        return len({(c.payer, c.programme) for c in self.commissions})

    @property
    def providers(self) -> int:
        names: dict[str, str] = {}
        for c in self.commissions:
            _matching_provider(c.provider, names)
        return len(names)

    @property
    def funders(self) -> int:
        return len({s.funder for s in self.streams})

    @property
    def amount(self) -> Decimal:
        return sum((c.amount for c in self.commissions), Decimal(0))

    @property
    def headline(self) -> str:
        return (f"{self.programmes} programmes, {self.providers} providers, {len(self.streams)} funding streams "
                f"from {self.funders} funders; {len(self.overlaps)} provider(s) paid by several funders for the "
                "same client group")


def provider_key(name: str) -> str:
    """A provider's name for matching: case, punctuation and spacing differ between ledgers and registers."""
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", name.upper()).split())


def same_body(ledger_name: str, register_name: str) -> bool:
    """Whether two names are one body; ledgers often cut supplier names short (35 characters in Bradford's)."""
    a, b = provider_key(ledger_name), provider_key(register_name)
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 15 and longer.startswith(shorter)


def provision(con: duckdb.DuckDBPyConnection, workspace: Workspace, theme: str, year: str | None = None,
              streams: list[FundingStream] | None = None) -> ProvisionMap:
    """The provision map of one theme for one fiscal year (default: the latest loaded)."""
    fiscal_year = choose_year(con, year)
    if fiscal_year is None:
        raise InputError("a provision map is for one year: give --year like 2018-19")
    register = read_register(workspace) if streams is None else streams
    theme_streams = [s for s in register if s.theme == theme and s.fiscal_year in (None, fiscal_year)]
    ledger = _ledger(con, theme, fiscal_year)
    if not ledger and not theme_streams:
        raise InputError(f"nothing to map for theme {theme!r} in {fiscal_year}: no classified spending "
                         "and no funding stream (see `totalplace count --by theme`)")
    agencies = _agency_names(workspace)
    commissions = [_link(row, theme_streams, agencies) for row in ledger]
    commissions += [_direct(s) for s in theme_streams if not _agency_of(s.recipient, agencies)]
    commissions.sort(key=lambda c: (-c.amount, c.payer, c.programme, c.provider))
    return ProvisionMap(theme, fiscal_year, commissions, theme_streams, overlaps(commissions))


def _ledger(con: duckdb.DuckDBPyConnection, theme: str, fiscal_year: str) -> list[tuple]:
    """Money by agency, programme and provider. Payments to the count's own agencies stay in:
    an NHS trust the council pays is a provider of the theme, even though the count shows it once."""
    return con.execute(
        f"""SELECT s.agency_id, concat_ws(' / ', s.service_label, s.expense_category) AS programme,
                   coalesce(s.supplier_name, '{NO_SUPPLIER}') AS provider,
                   coalesce(s.transfer_kind, '') AS public_body, sum(s.amount), count(*)
            FROM {LINES} WHERE s.theme = ? AND s.fiscal_year = ?
            GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC""",
        [theme, fiscal_year],
    ).fetchall()


def _agency_names(workspace: Workspace) -> dict[str, str]:
    """Agency id by every name a register may use for it (its id, name and aliases)."""
    names = {}
    for agency in workspace.settings.agencies:
        for name in [agency.id, agency.name, *agency.aliases]:
            names[provider_key(name)] = agency.id
    return names


def _agency_of(recipient: str, agencies: dict[str, str]) -> str | None:
    return agencies.get(provider_key(recipient))


def _link(row: tuple, streams: list[FundingStream], agencies: dict[str, str]) -> Commission:
    """A ledger commission with the streams whose recipient is its agency and whose pattern names it."""
    agency_id, programme, provider, public_body, amount, lines = row
    paying = [s for s in streams if s.service_pattern and _agency_of(s.recipient, agencies) == agency_id
              and re.search(s.service_pattern, programme, re.IGNORECASE)]
    return Commission(
        payer=agency_id, programme=programme, provider=provider, amount=amount, lines=lines,
        public_body=public_body, streams=tuple(s.name for s in paying),
        funders=tuple(sorted({s.funder for s in paying})) or (agency_id,),
        client_groups=tuple(sorted({s.client_group for s in paying})) or (NOT_STATED,), source="spend",
    )


def _direct(stream: FundingStream) -> Commission:
    """A stream paid straight to a provider that is not an agency of the place: the register is the source."""
    return Commission(
        payer=stream.funder, programme=stream.name, provider=stream.recipient, amount=stream.amount, lines=0,
        public_body="", streams=(stream.name,), funders=(stream.funder,), client_groups=(stream.client_group,),
        source=f"{stream.path} row {stream.row_number}",
    )


def overlaps(commissions: list[Commission]) -> list[ProviderOverlap]:
    """Providers paid by two or more funders for the same client group."""
    funders: dict[tuple[str, str], set[str]] = defaultdict(set)
    amount: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    programmes: dict[tuple[str, str], set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for c in commissions:
        key = _matching_provider(c.provider, names)
        for group in c.client_groups:
            funders[(key, group)].update(c.funders)
            amount[(key, group)] += c.amount
            programmes[(key, group)].add(c.programme)
    found = [ProviderOverlap(names[key], group, sorted(funders[(key, group)]), amount[(key, group)],
                             sorted(programmes[(key, group)]))
             for key, group in funders if len(funders[(key, group)]) >= 2]
    return sorted(found, key=lambda o: (-len(o.funders), -o.amount, o.provider, o.client_group))


def _matching_provider(name: str, names: dict[str, str]) -> str:
    """The key of a provider already seen under a longer or shorter form of this name, or a new one."""
    for key, shown in names.items():
        if same_body(shown, name):
            if len(name) > len(shown):  # show the fuller name
                names[key] = name
            return key
    key = provider_key(name)
    names[key] = name
    return key


def stream_spend(con: duckdb.DuckDBPyConnection, workspace: Workspace, stream: FundingStream,
                 fiscal_year: str) -> tuple[Decimal, int]:
    """The ledger money a stream's pattern points at, among its recipient agency's lines of its theme."""
    agency_id = _agency_of(stream.recipient, _agency_names(workspace))
    if agency_id is None or not stream.service_pattern:
        return Decimal(0), 0
    linked = [c for c in _ledger(con, stream.theme, fiscal_year)
              if c[0] == agency_id and re.search(stream.service_pattern, c[1], re.IGNORECASE)]
    return sum((c[4] for c in linked), Decimal(0)), sum(c[5] for c in linked)


# --- tables for the CLI and the report -----------------------------------------------------------

def commissions_table(found: ProvisionMap, limit: int | None, workspace: Workspace | None = None) -> Table:
    name = _namer(workspace)
    shown = found.commissions[:limit] if limit else found.commissions
    rows = [[name(c.payer), c.programme, c.provider, c.amount, c.lines,
             display.code_name(c.public_body) if c.public_body else "", "; ".join(c.streams),
             "; ".join(map(name, c.funders)), "; ".join(c.client_groups)] for c in shown]
    notes = [f"Showing {len(shown)} of {len(found.commissions)}." if len(shown) < len(found.commissions) else "",
             "A programme is an agency's service / expense heading in its ledger, or a stream paid straight to a "
             "provider. A ledger row's funder is the agency itself unless a register stream names the programme."]
    return Table(f"Provision map: {found.theme}, {found.fiscal_year}",
                 ["payer", "programme", "provider", "amount", "lines", "public body", "funding streams", "funders",
                  "client groups"], rows, [n for n in notes if n])


def overlaps_table(found: ProvisionMap, workspace: Workspace | None = None) -> Table:
    name = _namer(workspace)
    rows = [[o.provider, o.client_group, len(o.funders), "; ".join(map(name, o.funders)), o.amount,
             "; ".join(o.programmes)] for o in found.overlaps]
    return Table(f"Providers paid by several funders for the same client group: {len(rows)}",
                 ["provider", "client group", "funders", "who funds", "amount", "programmes"], rows)


def _namer(workspace: Workspace | None):
    """A payer or funder by its name: an agency of the workspace by its name, a funder as the register names it."""
    return (lambda code: code) if workspace is None else (lambda code: display.agency_name(workspace, code))


# --- the place report ----------------------------------------------------------------------------

REPORT_THEMES = 2  # the themes with the most funding streams get a map each
REPORT_ROWS = 30


def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    """A provision map for the register's busiest themes (by number of streams), for the report's year
    (the nearest ledger year standing in)."""
    from totalplace.report.charts import bar_chart
    from totalplace.store.connection import connect

    streams = read_register(workspace)
    if not streams or not workspace.store_path.exists():
        return []
    per_theme: dict[str, int] = defaultdict(int)
    for s in streams:
        per_theme[s.theme] += 1
    themes = sorted(per_theme, key=lambda t: (-per_theme[t], t))[:REPORT_THEMES]
    con = connect(workspace, read_only=True)
    try:
        years = fiscal_years(con)
        used = nearest_year(year, years) if year and years else None
        maps = [provision(con, workspace, theme, used, streams) for theme in themes]
    finally:
        con.close()
    sections = []
    for found in maps:
        providers = _provider_totals(found)[:15]
        chart_table = Table(f"Largest providers: {found.theme}", ["provider", "amount"], providers)
        findings = [_overlap_finding(found, overlap, workspace) for overlap in found.overlaps]
        sections.append(Section(
            id=f"provision-{slug(found.theme)}", title=f"Provision map: {found.theme}, {found.fiscal_year}",
            paragraphs=[found.headline + ".",
                        "Programmes are the agencies' service and expense headings in their ledgers and the "
                        "register's streams paid straight to providers; providers are the suppliers paid.",
                        *[f.text for f in findings[:3]]],
            charts=[Chart(f"Largest providers: {found.theme}",
                          bar_chart([p for p, _ in providers], [a for _, a in providers]), chart_table)],
            tables=[overlaps_table(found, workspace)], appendix=[commissions_table(found, REPORT_ROWS, workspace)],
            provenance=[f"Provision map for {found.theme}: classified spend lines {found.fiscal_year} "
                        "(totalplace trace --by supplier) and the funding-stream register."],
            year=year_line("Ledgers and register", found.fiscal_year, year, "the ledgers"), findings=findings,
        ))
    return sections


def _overlap_finding(found: ProvisionMap, overlap: ProviderOverlap, workspace: Workspace) -> Finding:
    name = _namer(workspace)
    return Finding(PROVISION, f"{overlap.provider} is paid by {len(overlap.funders)} funders "
                              f"({', '.join(map(name, overlap.funders))}) for {overlap.client_group} in "
                              f"{found.theme.lower()}: {display.money(overlap.amount)} in {found.fiscal_year}.",
                   overlap.amount)


def _provider_totals(found: ProvisionMap) -> list[list]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    names: dict[str, str] = {}
    for c in found.commissions:
        totals[_matching_provider(c.provider, names)] += c.amount
    return [[names[k], v] for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
