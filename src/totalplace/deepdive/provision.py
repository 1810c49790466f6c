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

Names are resolved before anything is counted. A heading renamed mid-year is
one programme, and a supplier spelt two ways is one provider, once the
workspace's `rules/programme_aliases.csv` and `rules/provider_aliases.csv` say
so; the merges are suggested by the count's name matcher and reviewed
(`programme_merges`, `provider_merges`). Where the workspace keeps a contracts
register, a programme's providers come from it (deepdive.contracts).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from totalplace.classify import names
from totalplace.count.bottomup import LINES, choose_year
from totalplace.count.funding_streams import FundingStream, read_register
from totalplace.deepdive.contracts import ContractRow, read_contracts
from totalplace.errors import InputError
from totalplace.report.section import Chart, Section
from totalplace.report.tables import Table
from totalplace.workspace import Workspace, slug

NOT_STATED = "(not stated in the spend)"
NO_SUPPLIER = "(no supplier named)"
PROGRAMME_ALIASES = names.AliasTable("programme_aliases.csv", "programme")
PROVIDER_ALIASES = names.AliasTable("provider_aliases.csv", "provider")


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
    contracts: tuple[str, ...] = ()         # the contracts it is paid under (contracts register)
    contract_value: Decimal | None = None   # their value a year: beside the money paid, never added to it


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


@dataclass(frozen=True)
class Resolver:
    """The names of a workspace's registers: agencies, heading and supplier aliases, contracted providers."""

    agencies: dict[str, str]          # provider_key of an agency's id, name or alias -> its id
    headings: names.Decisions         # rules/programme_aliases.csv
    suppliers: names.Decisions        # rules/provider_aliases.csv
    contracts: list[ContractRow]      # of the theme, running in the year

    @classmethod
    def of(cls, workspace: Workspace, theme: str, fiscal_year: str) -> Resolver:
        rules = workspace.root / "rules"
        return cls(_agency_names(workspace), PROGRAMME_ALIASES.read(rules), PROVIDER_ALIASES.read(rules),
                   [c for c in read_contracts(workspace) if c.contract.theme == theme and c.contract.runs_in(fiscal_year)])

    def provider(self, supplier: str) -> str:
        """A supplier by the name it is counted under: its accepted alias, then the contract that names it."""
        name = self.suppliers.canonical(supplier)
        return next((c.contract.provider for c in self.contracts if same_body(name, c.contract.provider)), name)

    def contracts_of(self, agency_id: str, provider: str) -> list[ContractRow]:
        return [c for c in self.contracts if _agency_of(c.contract.commissioner, self.agencies) == agency_id
                and same_body(provider, c.contract.provider)]


def provision(con: duckdb.DuckDBPyConnection, workspace: Workspace, theme: str, year: str | None = None,
              streams: list[FundingStream] | None = None) -> ProvisionMap:
    """The provision map of one theme for one fiscal year (default: the latest loaded)."""
    fiscal_year = _year(con, year)
    register = read_register(workspace) if streams is None else streams
    theme_streams = [s for s in register if s.theme == theme and s.fiscal_year in (None, fiscal_year)]
    ledger = _ledger(con, theme, fiscal_year)
    if not ledger and not theme_streams:
        raise InputError(f"nothing to map for theme {theme!r} in {fiscal_year}: no classified spending "
                         "and no funding stream (see `totalplace count --by theme`)")
    resolver = Resolver.of(workspace, theme, fiscal_year)
    commissions = _merged([_link(row, theme_streams, resolver) for row in ledger])
    commissions += [_direct(s) for s in theme_streams if not _agency_of(s.recipient, resolver.agencies)]
    paid = {ref for c in commissions for ref in c.contracts}
    commissions += [_contracted(c, resolver, theme_streams) for c in resolver.contracts
                    if c.contract.contract not in paid]
    commissions.sort(key=lambda c: (-c.amount, c.payer, c.programme, c.provider))
    return ProvisionMap(theme, fiscal_year, commissions, theme_streams, overlaps(commissions))


def _ledger(con: duckdb.DuckDBPyConnection, theme: str, fiscal_year: str) -> list[tuple]:
    """Money by agency, programme and provider, with the first and last payment. Payments to the count's own
    agencies stay in: an NHS trust the council pays is a provider of the theme, even though the count shows it once."""
    return con.execute(
        f"""SELECT s.agency_id, concat_ws(' / ', s.service_label, s.expense_category) AS programme,
                   coalesce(s.supplier_name, '{NO_SUPPLIER}') AS provider,
                   coalesce(s.transfer_kind, '') AS public_body, sum(s.amount), count(*),
                   min(s.payment_date), max(s.payment_date)
            FROM {LINES} WHERE s.theme = ? AND s.fiscal_year = ?
            GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC""",
        [theme, fiscal_year],
    ).fetchall()


def _agency_names(workspace: Workspace) -> dict[str, str]:
    """Agency id by every name a register may use for it (its id, name and aliases)."""
    found = {}
    for agency in workspace.settings.agencies:
        for name in [agency.id, agency.name, *agency.aliases]:
            found[provider_key(name)] = agency.id
    return found


def _agency_of(recipient: str, agencies: dict[str, str]) -> str | None:
    return agencies.get(provider_key(recipient))


def _link(row: tuple, streams: list[FundingStream], resolver: Resolver) -> Commission:
    """A ledger commission by the names it is counted under, with the streams whose recipient is its agency and
    whose pattern names its heading (as written or as renamed), and the contracts it is paid under."""
    agency_id, heading, supplier, public_body, amount, lines = row[:6]
    programme = resolver.headings.canonical(heading)
    provider = resolver.provider(supplier)
    contracted = resolver.contracts_of(agency_id, provider)
    paying = [s for s in streams if s.service_pattern and _agency_of(s.recipient, resolver.agencies) == agency_id
              and any(re.search(s.service_pattern, h, re.IGNORECASE) for h in {heading, programme})]
    paying += [s for s in _contract_streams(contracted, streams) if s not in paying]
    groups = {s.client_group for s in paying} | {c.contract.client_group for c in contracted if c.contract.client_group}
    return Commission(
        payer=agency_id, programme=" + ".join(sorted({c.contract.programme for c in contracted})) or programme,
        provider=provider, amount=amount, lines=lines, public_body=public_body,
        streams=tuple(s.name for s in paying), funders=tuple(sorted({s.funder for s in paying})) or (agency_id,),
        client_groups=tuple(sorted(groups)) or (NOT_STATED,), source="spend",
        contracts=tuple(c.contract.contract for c in contracted), contract_value=_value(contracted),
    )


def _contract_streams(contracted: list[ContractRow], streams: list[FundingStream]) -> list[FundingStream]:
    named = {c.contract.funding_stream for c in contracted if c.contract.funding_stream}
    return [s for s in streams if s.name in named]


def _value(contracted: list[ContractRow]) -> Decimal | None:
    values = [c.contract.value for c in contracted if c.contract.value is not None]
    return sum(values, Decimal(0)) if values else None


def _merged(commissions: list[Commission]) -> list[Commission]:
    """Ledger rows that the names now make one commission (a renamed heading, a respelt supplier), added up."""
    merged: dict[tuple, Commission] = {}
    for c in commissions:
        key = (c.payer, c.programme, c.provider, c.streams, c.contracts)
        before = merged.get(key)
        merged[key] = c if before is None else Commission(
            c.payer, c.programme, c.provider, before.amount + c.amount, before.lines + c.lines,
            before.public_body or c.public_body, c.streams, c.funders, c.client_groups, c.source, c.contracts,
            c.contract_value)
    return list(merged.values())


def _direct(stream: FundingStream) -> Commission:
    """A stream paid straight to a provider that is not an agency of the place: the register is the source."""
    return Commission(
        payer=stream.funder, programme=stream.name, provider=stream.recipient, amount=stream.amount, lines=0,
        public_body="", streams=(stream.name,), funders=(stream.funder,), client_groups=(stream.client_group,),
        source=f"{stream.path} row {stream.row_number}",
    )


def _contracted(row: ContractRow, resolver: Resolver, streams: list[FundingStream]) -> Commission:
    """A contracted provider the ledgers do not pay this year: listed with its contract's value, no money counted."""
    contract = row.contract
    payer = _agency_of(contract.commissioner, resolver.agencies) or contract.commissioner
    paying = _contract_streams([row], streams)
    return Commission(
        payer=payer, programme=contract.programme, provider=contract.provider, amount=Decimal(0), lines=0,
        public_body="", streams=tuple(s.name for s in paying),
        funders=tuple(sorted({s.funder for s in paying})) or (payer,),
        client_groups=(contract.client_group or NOT_STATED,), source=row.where, contracts=(contract.contract,),
        contract_value=contract.value,
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


# --- names that may be one: suggested merges, for review ------------------------------------------------------

PROVIDER_SUGGEST_AT = 90.0  # of the shorter name kept through one edit (names.kept_ends_ratio)


def programme_merges(con: duckdb.DuckDBPyConnection, workspace: Workspace, theme: str,
                     year: str | None = None) -> list[names.Suggestion]:
    """Ledger headings of one agency that may be one programme renamed: the old heading is last paid before the
    new one is first paid, and the names are alike (the count's name matcher, token-set ratio)."""
    fiscal_year = _year(con, year)
    headings = PROGRAMME_ALIASES.read(workspace.root / "rules")
    spans: dict[tuple[str, str], tuple[dt.date, dt.date, Decimal]] = {}
    for agency_id, heading, _, _, amount, _, first, last in _ledger(con, theme, fiscal_year):
        key = (agency_id, headings.canonical(heading))
        before = spans.get(key, (first, last, Decimal(0)))
        spans[key] = (min(before[0], first), max(before[1], last), before[2] + amount)
    found = []
    for agency_id in sorted({a for a, _ in spans}):
        own = {h: span for (a, h), span in spans.items() if a == agency_id}
        ranked = sorted(own, key=lambda h: (own[h][0], h))
        merges = names.merges([names.Target(h, h, agency_id) for h in ranked], headings.rejected,
                              lambda name, other: own[other.id][0] > own[name.id][1], codes_agree=True)
        found += [_said(m, f"{agency_id}: {m.name!r} last paid {own[m.name][1]}, £{own[m.name][2]:,.2f}; "
                           f"{m.target!r} first paid {own[m.target][0]}, £{own[m.target][2]:,.2f}") for m in merges]
    return found


def provider_merges(con: duckdb.DuckDBPyConnection, workspace: Workspace, theme: str,
                    year: str | None = None) -> list[names.Suggestion]:
    """Providers of the theme's map that may be one provider spelt two ways: a name retyped with one slip keeps
    its start and its end. The provider a contract names, then the one paid most, is the name others join."""
    from totalplace.count.transfers import GENERIC, ROLES

    found = provision(con, workspace, theme, year)
    contracted = {c.provider for c in found.commissions if c.contracts}
    paid = {name: amount for name, amount in _provider_totals(found)}
    ranked = sorted(paid, key=lambda p: (p not in contracted, -paid[p], p))
    place = {p: i for i, p in enumerate(ranked)}
    merges = names.merges([names.Target(p, p) for p in ranked], PROVIDER_ALIASES.read(workspace.root / "rules").rejected,
                          lambda name, other: name.id not in contracted and place[other.id] < place[name.id],
                          scorer=names.kept_ends_ratio, suggest_at=PROVIDER_SUGGEST_AT, generic=GENERIC,
                          exclusive=ROLES)
    return [_said(m, f"{m.name!r} paid £{paid[m.name]:,.2f}; {m.target!r} £{paid[m.target]:,.2f}"
                     + (" (a contracted provider)" if m.target in contracted else "")) for m in merges]


def _year(con: duckdb.DuckDBPyConnection, year: str | None) -> str:
    fiscal_year = choose_year(con, year)
    if fiscal_year is None:
        raise InputError("a provision map is for one year: give --year like 2018-19")
    return fiscal_year


def _said(suggestion: names.Suggestion, more: str) -> names.Suggestion:
    return names.Suggestion(suggestion.name, suggestion.target, suggestion.target_name, suggestion.score,
                            suggestion.evidence + (more,))


# --- tables for the CLI and the report -----------------------------------------------------------

def commissions_table(found: ProvisionMap, limit: int | None) -> Table:
    shown = found.commissions[:limit] if limit else found.commissions
    rows = [[c.payer, c.programme, c.provider, c.amount, c.lines, c.public_body, "; ".join(c.streams),
             "; ".join(c.funders), "; ".join(c.client_groups), "; ".join(c.contracts), c.contract_value]
            for c in shown]
    notes = [f"Showing {len(shown)} of {len(found.commissions)}." if len(shown) < len(found.commissions) else "",
             "A programme is an agency's service / expense heading in its ledger (by the name it is counted under: "
             "rules/programme_aliases.csv), a stream paid straight to a provider, or a commissioned contract "
             "(contracts register). A ledger row's funder is the agency itself unless a register stream names the "
             "programme. A contract's value is shown beside the money paid, never added to it."]
    return Table(f"Provision map: {found.theme}, {found.fiscal_year}",
                 ["payer", "programme", "provider", "amount", "lines", "public body", "funding streams", "funders",
                  "client groups", "contracts", "contract value"], rows, [n for n in notes if n])


def overlaps_table(found: ProvisionMap) -> Table:
    rows = [[o.provider, o.client_group, len(o.funders), "; ".join(o.funders), o.amount, "; ".join(o.programmes)]
            for o in found.overlaps]
    return Table(f"Providers paid by several funders for the same client group: {len(rows)}",
                 ["provider", "client group", "funders", "who funds", "amount", "programmes"], rows)


# --- the place report ----------------------------------------------------------------------------

REPORT_THEMES = 2  # the themes with the most funding streams get a map each
REPORT_ROWS = 30


def report_sections(workspace: Workspace) -> list[Section]:
    """A provision map for the register's busiest themes (by number of streams)."""
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
        maps = [provision(con, workspace, theme, None, streams) for theme in themes]
    finally:
        con.close()
    sections = []
    for found in maps:
        providers = _provider_totals(found)[:15]
        chart_table = Table(f"Largest providers: {found.theme}", ["provider", "amount"], providers)
        sections.append(Section(
            id=f"provision-{slug(found.theme)}", title=f"Provision map: {found.theme}, {found.fiscal_year}",
            paragraphs=[found.headline + ".",
                        "Programmes are the agencies' service and expense headings in their ledgers and the "
                        "register's streams paid straight to providers; providers are the suppliers paid."],
            charts=[Chart(f"Largest providers: {found.theme}",
                          bar_chart([p for p, _ in providers], [a for _, a in providers]), chart_table)],
            tables=[overlaps_table(found), commissions_table(found, REPORT_ROWS)],
            provenance=[f"Provision map for {found.theme}: classified spend lines {found.fiscal_year} "
                        "(totalplace trace --by supplier) and the funding-stream register."],
        ))
    return sections


def _provider_totals(found: ProvisionMap) -> list[list]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    names: dict[str, str] = {}
    for c in found.commissions:
        totals[_matching_provider(c.provider, names)] += c.amount
    return [[names[k], v] for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
