"""The register of funding streams: who funds whom, for what, with which strings attached.

The register is a file in the workspace an analyst keeps (`funding_streams.csv`
or `funding_streams.xlsx`): one row a stream, from a funder to a recipient, for
a theme and a client group. From it come, per theme, the number of streams,
funders and recipients, the ring-fenced share of the money, the reporting
returns the streams demand, and how fragmented the money is; and flags where
several funders pay several recipients for the same theme and client group
(the pilots found 47 housing streams in one place, 18 from one funder).

A funder is counted once whatever it is called: names that differ only in case,
spacing or punctuation are one funder, and so are the names the workspace's
`rules/funder_aliases.csv` accepts as another's ('DWP' as 'Department for Work
and Pensions'). Other names that may be one funder are suggested for review by
the count's name matcher (`funder_merges`), never merged on trust.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import duckdb

from totalplace.classify import names
from totalplace.classify.rules import themes
from totalplace.count.reconcile import nearest_year
from totalplace.errors import InputError
from totalplace.ingest import parse
from totalplace import display
from totalplace.present.section import FUNDING_STREAMS, Chart, Finding, Section, year_line
from totalplace.present.tables import Table
from totalplace.tabular import Number, Ratio
from totalplace.store.connection import transaction
from totalplace.workspace import FISCAL_YEAR, Workspace

REGISTER_NAMES = ("funding_streams.csv", "funding_streams.xlsx")
REQUIRED = ("name", "funder", "recipient", "theme", "client_group", "amount", "ring_fenced", "reporting_returns")
OPTIONAL = ("fiscal_year", "reporting_duties", "service_pattern", "basis", "source", "notes")
BASES = ("published", "spend-file", "estimate", "illustrative")
YES = {"yes", "y", "true", "1", "ring-fenced", "ringfenced"}
NO = {"no", "n", "false", "0"}
FUNDER_ALIASES = names.AliasTable("funder_aliases.csv", "funder")
# Words of funders' names that alone never make two funders one ("Department for" is every department,
# and NHS England is not Homes England).
FUNDER_GENERIC = names.GENERIC_WORDS | frozenset({
    "DEPARTMENT", "DEPT", "MINISTRY", "OFFICE", "AGENCY", "EXECUTIVE", "HM", "UK", "NATIONAL", "COUNCIL", "NHS",
    "AUTHORITY", "COMMISSIONER", "FUND", "GRANT", "TRUST", "BOARD", "SERVICE", "SERVICES", "ENGLAND", "WALES",
    "SCOTLAND", "BRITAIN", "GREAT", "BRITISH", "ROYAL", "CITY", "COUNTY"})
TABLE = """
CREATE TABLE IF NOT EXISTS funding_stream (
    stream_id INTEGER PRIMARY KEY,    -- the register row number
    source_path VARCHAR NOT NULL, row_number INTEGER NOT NULL,
    name VARCHAR NOT NULL, funder VARCHAR NOT NULL, recipient VARCHAR NOT NULL,
    theme VARCHAR NOT NULL, client_group VARCHAR NOT NULL, fiscal_year VARCHAR,
    amount DECIMAL(18,2) NOT NULL, ring_fenced BOOLEAN NOT NULL,
    reporting_returns INTEGER NOT NULL, reporting_duties VARCHAR,
    service_pattern VARCHAR, basis VARCHAR NOT NULL, source VARCHAR, notes VARCHAR
)"""


@dataclass(frozen=True)
class FundingStream:
    """One row of the register: a named flow of money from a funder to a recipient."""
    path: str
    row_number: int
    name: str
    funder: str
    recipient: str
    theme: str
    client_group: str
    fiscal_year: str | None
    amount: Decimal
    ring_fenced: bool
    reporting_returns: int
    reporting_duties: str
    service_pattern: str
    basis: str
    source: str
    notes: str
    funder_as_written: str = ""  # when the funder is known by another name (rules/funder_aliases.csv)


def register_path(workspace: Workspace) -> Path | None:
    """The workspace's register file, if it has one (never two: which would be the truth?)."""
    found = [workspace.root / name for name in REGISTER_NAMES if (workspace.root / name).exists()]
    if len(found) > 1:
        raise InputError(f"{workspace.root}: both {found[0].name} and {found[1].name} exist; keep one register")
    return found[0] if found else None


def read_register(workspace: Workspace) -> list[FundingStream]:
    """Every stream in the workspace's register, checked, each funder by the one name it is counted under;
    an empty list when there is no register."""
    path = register_path(workspace)
    if path is None:
        return []
    streams = read_streams(path, workspace.root)
    aliases = FUNDER_ALIASES.read(workspace.root / "rules")
    named = names.one_spelling([aliases.canonical(s.funder) for s in streams])
    return [replace(s, funder=named[aliases.canonical(s.funder)], funder_as_written=s.funder) for s in streams]


def funder_merges(workspace: Workspace) -> list[names.Suggestion]:
    """Funders of the register that may be one funder under two names, with the evidence, left for review.

    The funder with more streams (then more money) is the name the other would merge into; a name
    that is the initials of another (DWP) is suggested for it."""
    streams = read_register(workspace)
    per_funder: Counter[str] = Counter(s.funder for s in streams)
    money: dict[str, Decimal] = defaultdict(Decimal)
    for s in streams:
        money[s.funder] += s.amount
    ranked = sorted(per_funder, key=lambda f: (-per_funder[f], -money[f], f))
    rejected = FUNDER_ALIASES.read(workspace.root / "rules").rejected
    found = names.merges([names.Target(f, f) for f in ranked], rejected, generic=FUNDER_GENERIC, by_initials=True)
    return [names.Suggestion(s.name, s.target, s.target_name, s.score,
                             s.evidence + (f"{s.name!r} funds {per_funder[s.name]} stream(s), £{money[s.name]:,.2f}; "
                                           f"{s.target!r} {per_funder[s.target]}, £{money[s.target]:,.2f}",))
            for s in found]


def read_streams(path: Path, root: Path | None = None) -> list[FundingStream]:
    """Read and check a register file (CSV or XLSX); a bad cell stops with its file, row and column."""
    shown = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
    header, rows = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else _read_csv(path)
    columns = _check_header(shown, header)
    con = duckdb.connect()
    parse.install(con)
    try:
        streams = [_stream(con, shown, number, dict(zip(columns, cells)))
                   for number, cells in rows if any(c.strip() for c in cells)]
    finally:
        con.close()
    _check_unique(streams)
    return streams


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            table = list(csv.reader(handle))
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text ({error}); save it as 'CSV UTF-8'") from None
    if not table:
        raise InputError(f"{path}: row 1: the file is empty; it needs a header row")
    return table[0], [(n, row) for n, row in enumerate(table[1:], start=2)]


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a file that is not a workbook
        raise InputError(f"{path}: not a readable XLSX workbook ({error})") from None
    sheet = book["funding_streams"] if "funding_streams" in book.sheetnames else book.worksheets[0]
    table = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    if not table:
        raise InputError(f"{path}: sheet {sheet.title}: row 1: the sheet is empty; it needs a header row")
    return table[0], [(n, row) for n, row in enumerate(table[1:], start=2)]


def _cell_text(value) -> str:
    """A workbook cell as the text an analyst sees; numbers keep their shortest exact form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_header(path: str, header: list[str]) -> list[str]:
    columns = [h.strip().lower().replace(" ", "_") for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InputError(f"{path}: row 1: missing column(s) {', '.join(missing)}")
    unknown = [h for h, c in zip(header, columns) if c and c not in REQUIRED + OPTIONAL]
    if unknown:
        raise InputError(f"{path}: row 1, column {unknown[0]!r}: not a register column "
                         f"(known: {', '.join(REQUIRED + OPTIONAL)}); rename it 'notes' to keep it")
    return columns


def _stream(con: duckdb.DuckDBPyConnection, path: str, number: int, row: dict[str, str]) -> FundingStream:
    where = f"{path}: row {number}"
    cell = {k: (v or "").strip() for k, v in row.items() if k}
    for column in ("name", "funder", "recipient", "client_group"):
        if not cell.get(column):
            raise InputError(f"{where}, column {column}: is empty; every stream needs one")
    return FundingStream(
        path=path, row_number=number, name=cell["name"], funder=cell["funder"], recipient=cell["recipient"],
        theme=_theme(where, cell.get("theme", "")), client_group=cell["client_group"],
        fiscal_year=_fiscal_year(where, cell.get("fiscal_year", "")),
        amount=_amount(con, where, cell.get("amount", "")),
        ring_fenced=_yes_no(where, cell.get("ring_fenced", "")),
        reporting_returns=_returns(where, cell.get("reporting_returns", "")),
        reporting_duties=cell.get("reporting_duties", ""),
        service_pattern=_pattern(where, cell.get("service_pattern", "")),
        basis=_basis(where, cell.get("basis", "")), source=cell.get("source", ""), notes=cell.get("notes", ""),
    )


def _theme(where: str, value: str) -> str:
    if value not in themes():
        raise InputError(f"{where}, column theme: {value!r} is not a Total Place theme "
                         f"(one of: {', '.join(sorted(themes()))})")
    return value


def _fiscal_year(where: str, value: str) -> str | None:
    if value and not FISCAL_YEAR.match(value):
        raise InputError(f"{where}, column fiscal_year: {value!r} is not a fiscal year like 2018-19")
    return value or None


def _amount(con: duckdb.DuckDBPyConnection, where: str, value: str) -> Decimal:
    """Money read by the same parser as the spend files: £, commas, brackets; exact to the penny."""
    amount = con.execute("SELECT tp_amount(?)", [value]).fetchall()[0][0]
    if amount is None:
        raise InputError(f"{where}, column amount: {value!r} is not an amount in pounds (at most 2 decimals)")
    if amount < 0:
        raise InputError(f"{where}, column amount: {value!r} is negative; a stream's amount is money paid")
    return amount


def _yes_no(where: str, value: str) -> bool:
    if value.lower() in YES:
        return True
    if value.lower() in NO:
        return False
    raise InputError(f"{where}, column ring_fenced: {value!r} is not yes or no")


def _returns(where: str, value: str) -> int:
    if not re.fullmatch(r"\d+", value):
        raise InputError(f"{where}, column reporting_returns: {value!r} is not a whole number of returns a year "
                         "(write 0 for none)")
    return int(value)


def _pattern(where: str, value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise InputError(f"{where}, column service_pattern: {value!r} is not a valid pattern: {error}") from None
    return value


def _basis(where: str, value: str) -> str:
    basis = value.lower() or "unstated"
    if basis not in BASES + ("unstated",):
        raise InputError(f"{where}, column basis: {value!r} is not one of {', '.join(BASES)}")
    return basis


def _check_unique(streams: list[FundingStream]) -> None:
    """The same stream twice would be counted twice."""
    seen: dict[tuple, int] = {}
    for s in streams:
        key = (s.name.lower(), s.funder.lower(), s.recipient.lower(), s.client_group.lower(), s.fiscal_year)
        if key in seen:
            raise InputError(f"{s.path}: row {s.row_number}, column name: stream {s.name!r} from {s.funder} to "
                             f"{s.recipient} for {s.client_group} repeats row {seen[key]}; it would count twice")
        seen[key] = s.row_number


def load(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> list[FundingStream]:
    """Replace the store's funding_stream table with the register, in one transaction."""
    streams = read_register(workspace)
    con.execute(TABLE)
    with transaction(con):
        con.execute("DELETE FROM funding_stream")
        con.executemany(
            "INSERT INTO funding_stream VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[s.row_number, s.path, s.row_number, s.name, s.funder, s.recipient, s.theme, s.client_group,
              s.fiscal_year, s.amount, s.ring_fenced, s.reporting_returns, s.reporting_duties,
              s.service_pattern or None, s.basis, s.source, s.notes] for s in streams],
        )
    return streams


# --- measures ---------------------------------------------------------------------------------

HHI_MEANING = (
    "Fragmentation index: the Herfindahl index of the theme's money by stream, the sum of each stream's "
    "squared share. 1 means one stream carries all the money; 1/n means n streams of equal size; the "
    "lower it is, the more the money is split into small pots, each with its own bidding, conditions and "
    "returns. 'Equivalent streams' is 1/index: the number of equal streams that would be as fragmented."
)


@dataclass(frozen=True)
class ThemeMeasures:
    theme: str
    streams: int
    funders: int
    recipients: int
    client_groups: int
    amount: Decimal
    ring_fenced_amount: Decimal
    reporting_returns: int
    herfindahl: Decimal | None  # None when the theme's streams carry no money
    top_funder: str
    top_funder_streams: int

    @property
    def ring_fenced_share(self) -> float | None:
        return float(self.ring_fenced_amount / self.amount) if self.amount else None

    @property
    def equivalent_streams(self) -> Decimal | None:
        return (1 / self.herfindahl).quantize(Decimal("0.1")) if self.herfindahl else None


def herfindahl(amounts: list[Decimal]) -> Decimal | None:
    """Sum of squared shares of the total, to 4 places; None for no money."""
    total = sum(amounts, Decimal(0))
    if total <= 0:
        return None
    return sum(((a / total) ** 2 for a in amounts), Decimal(0)).quantize(Decimal("0.0001"))


def by_theme(streams: list[FundingStream]) -> list[ThemeMeasures]:
    """The measures for each theme, largest money first."""
    groups: dict[str, list[FundingStream]] = defaultdict(list)
    for s in streams:
        groups[s.theme].append(s)
    measures = [_theme_measures(theme, members) for theme, members in groups.items()]
    return sorted(measures, key=lambda m: (-m.amount, m.theme))


def _theme_measures(theme: str, members: list[FundingStream]) -> ThemeMeasures:
    per_funder: dict[str, int] = defaultdict(int)
    for s in members:
        per_funder[s.funder] += 1
    top = min(per_funder, key=lambda f: (-per_funder[f], f))
    return ThemeMeasures(
        theme=theme, streams=len(members), funders=len(per_funder),
        recipients=len({s.recipient for s in members}), client_groups=len({s.client_group for s in members}),
        amount=sum((s.amount for s in members), Decimal(0)),
        ring_fenced_amount=sum((s.amount for s in members if s.ring_fenced), Decimal(0)),
        reporting_returns=sum(s.reporting_returns for s in members),
        herfindahl=herfindahl([s.amount for s in members]), top_funder=top, top_funder_streams=per_funder[top],
    )


@dataclass(frozen=True)
class OverlapFlag:
    """Several funders paying several recipients for the same theme and client group."""
    theme: str
    client_group: str
    streams: int
    funders: list[str]
    recipients: list[str]
    amount: Decimal
    reporting_returns: int
    rows: list[int]


def flags(streams: list[FundingStream], min_funders: int = 2, min_recipients: int = 2) -> list[OverlapFlag]:
    """Theme and client-group pairs where money comes from several funders to several recipients."""
    groups: dict[tuple[str, str], list[FundingStream]] = defaultdict(list)
    for s in streams:
        groups[(s.theme, s.client_group)].append(s)
    found = []
    for (theme, client_group), members in groups.items():
        funders = sorted({s.funder for s in members})
        recipients = sorted({s.recipient for s in members})
        if len(funders) >= min_funders and len(recipients) >= min_recipients:
            found.append(OverlapFlag(theme, client_group, len(members), funders, recipients,
                                     sum((s.amount for s in members), Decimal(0)),
                                     sum(s.reporting_returns for s in members), [s.row_number for s in members]))
    return sorted(found, key=lambda f: (-len(f.funders) * len(f.recipients), -f.amount, f.theme, f.client_group))


# --- tables for the CLI and the report -----------------------------------------------------------

def measures_table(measures: list[ThemeMeasures]) -> Table:
    rows = [[m.theme, m.streams, m.funders, m.recipients, m.amount, m.ring_fenced_share, m.reporting_returns,
             Ratio(m.herfindahl) if m.herfindahl is not None else "n/a",
             Number(m.equivalent_streams) if m.equivalent_streams is not None else "n/a",
             f"{m.top_funder} ({m.top_funder_streams})"] for m in measures]
    return Table("Funding streams by theme",
                 ["theme", "streams", "funders", "recipients", "amount", "ring-fenced share", "reporting returns",
                  "fragmentation (HHI)", "equivalent streams", "most streams from"], rows,
                 [HHI_MEANING])


def streams_table(streams: list[FundingStream], theme: str) -> Table:
    chosen = [s for s in streams if s.theme == theme]
    if not chosen:
        raise InputError(f"no funding streams for theme {theme!r} in the register")
    rows = [[s.row_number, s.name, _funder_said(s), s.recipient, s.client_group, s.amount,
             "yes" if s.ring_fenced else "no", s.reporting_returns, s.basis] for s in chosen]
    return Table(f"Funding streams: {theme}", ["row", "stream", "funder", "recipient", "client group", "amount",
                                               "ring-fenced", "returns", "basis"], rows,
                 [f"From {chosen[0].path}; 'basis' says whether a figure is published, from the spend files, "
                  "an estimate or illustrative."])


def _funder_said(stream: FundingStream) -> str:
    written = stream.funder_as_written
    return stream.funder if written in ("", stream.funder) else f"{stream.funder} (written {written!r})"


def flags_table(found: list[OverlapFlag]) -> Table:
    rows = [[f.theme, f.client_group, f.streams, len(f.funders), len(f.recipients), f.amount,
             f.reporting_returns, "; ".join(f.funders), "; ".join(f.recipients),
             ", ".join(map(str, f.rows))] for f in found]
    return Table(f"Several funders paying several recipients for the same theme and client group: {len(found)}",
                 ["theme", "client group", "streams", "funders", "recipients", "amount", "returns",
                  "who funds", "who receives", "register rows"], rows)


# --- the place report ----------------------------------------------------------------------------

def report_sections(workspace: Workspace, year: str | None = None) -> list[Section]:
    """The funding-streams section: measures per theme, the flow from funder to recipient to theme, flags.
    The register's streams of the report's year, and those that name no year."""
    from totalplace.present.charts import bar_chart, flow_chart

    register = read_register(workspace)
    chosen = _register_year(register, year)
    streams = [s for s in register if chosen is None or s.fiscal_year in (None, chosen)]
    if not streams:
        return []
    measures = by_theme(streams)
    table = measures_table(measures)
    found = flags(streams)
    counts = Table("Funding streams per theme", ["theme", "streams"], [[m.theme, m.streams] for m in measures])
    flow = Table("Money from funder to recipient to theme", ["from", "to", "amount"],
                 [[a, b, amount] for a, b, amount in _flow_links(streams)])
    bases = sorted({s.basis for s in streams})
    findings = [_flag_finding(flag) for flag in found]
    worth = display.money(sum((s.amount for s in streams), Decimal(0)))
    return [Section(
        id="funding-streams", title="Funding streams",
        paragraphs=[
            f"The register holds {len(streams)} funding streams worth {worth} "
            f"from {len({s.funder for s in streams})} funders to {len({s.recipient for s in streams})} recipients.",
            HHI_MEANING,
            *[f.text for f in findings],
        ] + ([] if found else ["No theme and client group has several funders paying several recipients."]),
        charts=[Chart("Funding streams per theme", bar_chart([m.theme for m in measures],
                                                              [m.streams for m in measures], money=False), counts),
                Chart("From funder to recipient to theme", flow_chart(flow.rows, ["funder", "recipient", "theme"]),
                      flow)],
        tables=[flags_table(found)], appendix=[table],
        provenance=[f"Funding streams: {streams[0].path} (basis of the figures: {', '.join(bases)}; rows marked "
                    "illustrative are invented for the example, not published figures)."],
        year=year_line("Funding streams", chosen, year, "the register") if chosen else
        f"The register's streams name no year: they stand for {year or 'every year'}.",
        findings=findings,
    )]


def _register_year(register: list[FundingStream], year: str | None) -> str | None:
    """The register's year for the report: the year asked for, else the nearest year its streams name (None:
    they name none)."""
    dated = sorted({s.fiscal_year for s in register if s.fiscal_year})
    if not dated:
        return None
    if year is None:
        return dated[-1]
    return year if year in dated else nearest_year(year, dated)


def _flag_finding(flag: OverlapFlag) -> Finding:
    return Finding(FUNDING_STREAMS, f"{flag.theme} for {flag.client_group.lower()}: {flag.streams} funding streams "
                                    f"from {len(flag.funders)} funders to {len(flag.recipients)} recipients, "
                                    f"{display.money(flag.amount)}, with {flag.reporting_returns} reporting returns.",
                   flag.amount)


def _flow_links(streams: list[FundingStream]) -> list[tuple[str, str, Decimal]]:
    """Funder -> recipient and recipient -> theme links; a body both funding and receiving is named twice."""
    funders = {s.funder for s in streams}
    receiving = {s.recipient: (f"{s.recipient} (recipient)" if s.recipient in funders else s.recipient)
                 for s in streams}
    money: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for s in streams:
        money[(s.funder, receiving[s.recipient])] += s.amount
        money[(receiving[s.recipient], s.theme)] += s.amount
    return [(a, b, amount) for (a, b), amount in sorted(money.items(), key=lambda kv: -kv[1]) if amount > 0]
