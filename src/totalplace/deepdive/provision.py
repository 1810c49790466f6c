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

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import duckdb
from rapidfuzz import fuzz

from totalplace import display
from totalplace.classify import names
from totalplace.count.bottomup import LINES, choose_year, fiscal_years
from totalplace.count.reconcile import nearest_year
from totalplace.count.funding_streams import FundingStream, read_register
from totalplace.deepdive.contracts import ContractRow, read_contracts
from totalplace.errors import InputError
from totalplace.present.section import PROVISION, Chart, Finding, Section, year_line
from totalplace.present.tables import Table
from totalplace.workspace import Workspace, slug

NOT_STATED = "(not stated in the spend)"
NO_SUPPLIER = "(no supplier named)"
CUT_SHORT_AT = 15  # a name cut short to this many letters or more is still sure to be the body
HEADING = "concat_ws(' / ', s.service_label, s.expense_category)"  # a ledger's programme: 'service / expense'
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
        bodies = SameBodies()
        for c in self.commissions:
            bodies.key(c.provider)
        return len(bodies.shown)

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
    return len(shorter) >= CUT_SHORT_AT and longer.startswith(shorter)


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
                   [c for c in read_contracts(workspace)
                    if c.contract.theme == theme and c.contract.runs_in(fiscal_year)])

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
    """Money by agency, programme and provider. Payments to the count's own agencies stay in:
    an NHS trust the council pays is a provider of the theme, even though the count shows it once."""
    return con.execute(
        f"""SELECT s.agency_id, {HEADING} AS programme,
                   coalesce(s.supplier_name, '{NO_SUPPLIER}') AS provider,
                   coalesce(s.transfer_kind, '') AS public_body, sum(s.amount), count(*)
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
    agency_id, heading, supplier, public_body, amount, lines = row
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
    bodies = SameBodies()
    for c in commissions:
        key = bodies.key(c.provider)
        for group in c.client_groups:
            funders[(key, group)].update(c.funders)
            amount[(key, group)] += c.amount
            programmes[(key, group)].add(c.programme)
    found = [ProviderOverlap(bodies.shown[key], group, sorted(funders[(key, group)]), amount[(key, group)],
                             sorted(programmes[(key, group)]))
             for key, group in funders if len(funders[(key, group)]) >= 2]
    return sorted(found, key=lambda o: (-len(o.funders), -o.amount, o.provider, o.client_group))


class SameBodies:
    """Provider names met one by one, grouped when same_body says two are one body; each group is shown by its
    fullest name. Indexed by each name's key and the prefixes a cut-short name could be, so a map of thousands
    of providers is grouped in one pass."""

    def __init__(self) -> None:
        self.shown: dict[str, str] = {}          # group key -> the fullest name met
        self._exact: dict[str, str] = {}         # a member's key -> its group key
        self._prefixes: dict[str, str] = {}      # a cut-short form a member's key starts with -> its group key

    def key(self, name: str) -> str:
        """The group of a provider already met under this name, a longer or a shorter form of it; else a new one."""
        own = provider_key(name)
        group = self._exact.get(own) or (self._prefixes.get(own) if len(own) >= CUT_SHORT_AT else None) or next(
            (self._exact[own[:n]] for n in range(CUT_SHORT_AT, len(own)) if own[:n] in self._exact), None)
        group = group or own
        if len(name) > len(self.shown.get(group, "")):  # show the fuller name
            self.shown[group] = name
        self._exact.setdefault(own, group)
        for n in range(CUT_SHORT_AT, len(own)):
            self._prefixes.setdefault(own[:n], group)
        return group


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
PROGRAMME_SUGGEST_AT = 60.0  # token-set ratio of two headings handed over (one part kept, the other renamed)
CANDIDATES = 10  # headings a renamed heading may have become, weighed by when they began and what they carry
ALTERNATIVES = 2  # of those, said beside the one suggested


def programme_merges(con: duckdb.DuckDBPyConnection, workspace: Workspace, theme: str,
                     year: str | None = None) -> list[names.Suggestion]:
    """Ledger headings of one agency that may be one programme renamed mid-year.

    A heading is 'service / expense'. Two headings are a candidate when they keep one part and the other part
    was handed over: the old label is last paid in the agency's year before the new one is first paid (Bradford
    relabelled its services in September 2018: 'Health & Wellbeing / PH1 DrugsAlco misuse' became 'Public
    Health / PH1 DrugsAlco misuse'). A service may be renamed outright in a reorganisation ('Place' became
    'Highways Asset Management'), so the headings need only be loosely alike (the count's name matcher,
    token-set ratio, from PROGRAMME_SUGGEST_AT) and carry the same codes (PH1 is never PH4); expense categories
    come and go with single payments, so a changed expense category must itself be alike. Of the candidates, the
    heading whose label began soonest after the old one stopped, then the one paid most, is suggested; the others
    are named in the evidence (a directorate split into several services)."""
    fiscal_year = _year(con, year)
    headings = _Headings.of(con, workspace, theme, fiscal_year)
    found = []
    for agency_id in sorted({a for a, _ in headings.paid}):
        own = sorted((h for a, h in headings.paid if a == agency_id), key=lambda h: (-headings.paid[(agency_id, h)], h))
        merges = names.merges([names.Target(h, h, agency_id) for h in own], headings.aliases.rejected,
                              headings.joins(agency_id), limit=CANDIDATES, suggest_at=PROGRAMME_SUGGEST_AT,
                              codes_agree=True)
        for heading in dict.fromkeys(m.name for m in merges):
            found.append(headings.best(agency_id, [m for m in merges if m.name == heading]))
    return found


@dataclass
class _Headings:
    """A theme's ledger headings in a year: their parts, the money under each (by the name it is counted under),
    and when each service label and expense category was first and last paid in its agency's year."""

    aliases: names.Decisions
    parts: dict[tuple[str, str], tuple[str, str]]      # (agency, heading) -> (service, expense)
    paid: dict[tuple[str, str], Decimal]               # (agency, heading as counted) -> money
    spans: dict[tuple[str, int, str], tuple]           # see _label_spans

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection, workspace: Workspace, theme: str, fiscal_year: str) -> _Headings:
        found = cls(PROGRAMME_ALIASES.read(workspace.root / "rules"), {}, defaultdict(Decimal),
                    _label_spans(con, fiscal_year))
        for agency_id, heading, service, expense, amount in con.execute(
                f"""SELECT s.agency_id, {HEADING}, coalesce(s.service_label, ''), coalesce(s.expense_category, ''),
                           sum(s.amount) FROM {LINES} WHERE s.theme = ? AND s.fiscal_year = ? GROUP BY 1, 2, 3, 4""",
                [theme, fiscal_year]).fetchall():
            found.parts[(agency_id, heading)] = (service, expense)
            found.paid[(agency_id, found.aliases.canonical(heading))] += amount
        return found

    def handover(self, agency_id: str, name: str, other: str) -> tuple[int, str] | None:
        """(days between, how) when the old heading's changed part was handed over to the other's, else None."""
        old, new = self.parts.get((agency_id, name)), self.parts.get((agency_id, other))
        if old is None or new is None:
            return None
        for kept, changed in ((1, 0), (0, 1)):
            if names.normalised_name(old[kept]) != names.normalised_name(new[kept]) or old[changed] == new[changed]:
                continue
            if not (old[changed] and new[changed]) or (changed == 1 and not _alike(old[changed], new[changed])):
                continue
            before = self.spans.get((agency_id, changed, old[changed]))
            after = self.spans.get((agency_id, changed, new[changed]))
            if before and after and before[1] < after[0]:
                return ((after[0] - before[1]).days,
                        f"{agency_id}: {old[changed]!r} last paid {before[1]}, {new[changed]!r} first paid "
                        f"{after[0]}; {old[kept] or '(blank)'!r} kept")
        return None

    def joins(self, agency_id: str) -> Callable[[names.Target, names.Target], bool]:
        """Whether a heading of the agency may join another: its changed part was handed over to the other's."""
        return lambda name, other: self.handover(agency_id, name.id, other.id) is not None

    def best(self, agency_id: str, candidates: list[names.Suggestion]) -> names.Suggestion:
        """The candidate whose label began soonest after the old one stopped, then the one paid most."""
        handed = sorted(((h, m) for m in candidates if (h := self.handover(agency_id, m.name, m.target))),
                        key=lambda hm: (hm[0][0], -self.paid[(agency_id, hm[1].target)], -hm[1].score))
        (_, how), best = handed[0]
        said = (f"{how}; £{self.paid[(agency_id, best.name)]:,.2f} under the old heading, "
                f"£{self.paid[(agency_id, best.target)]:,.2f} under the new")
        if len(handed) > 1:  # a service split in a reorganisation: say what else the heading may have become
            said += "; it may instead have become " + " or ".join(repr(m.target) for _, m in handed[1:1 + ALTERNATIVES])
        return _said(best, said)


def _alike(a: str, b: str) -> bool:
    return fuzz.token_set_ratio(names.normalised_name(a), names.normalised_name(b)) >= names.SUGGEST_AT


def _label_spans(con: duckdb.DuckDBPyConnection, fiscal_year: str) -> dict[tuple[str, int, str], tuple]:
    """(agency, 0 for a service label or 1 for an expense category, label) -> its first and last payment in the
    agency's year, over every theme: a label handed over stops everywhere."""
    rows = con.execute(
        """SELECT agency_id, 0, coalesce(service_label, ''), min(payment_date), max(payment_date) FROM spend_line
           WHERE fiscal_year = ? GROUP BY 1, 3
           UNION ALL
           SELECT agency_id, 1, coalesce(expense_category, ''), min(payment_date), max(payment_date) FROM spend_line
           WHERE fiscal_year = ? GROUP BY 1, 3""", [fiscal_year, fiscal_year]).fetchall()
    return {(agency, part, label): (first, last) for agency, part, label, first, last in rows}


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
    rejected = PROVIDER_ALIASES.read(workspace.root / "rules").rejected
    merges = names.merges([names.Target(p, p) for p in ranked], rejected,
                          lambda name, other: name.id not in contracted and place[other.id] < place[name.id],
                          scorer=names.kept_ends_ratio, block=names.kept_ends_block, suggest_at=PROVIDER_SUGGEST_AT,
                          generic=GENERIC, exclusive=ROLES)
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

def commissions_table(found: ProvisionMap, limit: int | None, workspace: Workspace | None = None) -> Table:
    """The map's commissions; the contract columns only where the workspace has contracts (and values) to show."""
    name = _namer(workspace)
    shown = found.commissions[:limit] if limit else found.commissions
    contracts = any(c.contracts for c in found.commissions)
    values = any(c.contract_value is not None for c in found.commissions)
    rows = [[name(c.payer), c.programme, c.provider, c.amount, c.lines,
             display.code_name(c.public_body) if c.public_body else "", "; ".join(c.streams),
             "; ".join(map(name, c.funders)), "; ".join(c.client_groups)]
            + (["; ".join(c.contracts)] if contracts else []) + ([c.contract_value] if values else []) for c in shown]
    notes = [f"Showing {len(shown)} of {len(found.commissions)}." if len(shown) < len(found.commissions) else "",
             "A programme is an agency's service / expense heading in its ledger (by the name it is counted under: "
             "rules/programme_aliases.csv), a stream paid straight to a provider, or a commissioned contract "
             "(contracts register). A ledger row's funder is the agency itself unless a register stream names the "
             "programme." + (" A contract's value is shown beside the money paid, never added to it." if values else "")]
    return Table(f"Provision map: {found.theme}, {found.fiscal_year}",
                 ["payer", "programme", "provider", "amount", "lines", "public body", "funding streams", "funders",
                  "client groups"] + (["contracts"] if contracts else []) + (["contract value"] if values else []),
                 rows, [n for n in notes if n])


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
    from totalplace.present.charts import bar_chart
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
    bodies = SameBodies()
    for c in found.commissions:
        totals[bodies.key(c.provider)] += c.amount
    return [[bodies.shown[k], v] for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
