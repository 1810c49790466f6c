"""Recognise the columns of a spend file: which column holds each field, from its header and its content.

A header names a field exactly (after normalising case, spaces and
punctuation) or by the words it contains. With the columns' profiles
(ingest/profile.py), content settles what headers cannot: a column named
like the amount that holds no numbers is not the amount; a column the
headers do not name is the amount or the date if its cells say so; Gross,
VAT and Net side by side give the net amount (or the gross, as the workspace's
amount_basis says); a sign column (-1/1, Dr/Cr, a credit flag) is read with
its values. Two columns with the same evidence for the amount or the date
stop the load with one message naming them (AmbiguousColumns). A mapping in
totalplace.toml (per agency, or per layout) overrides the detector for any field.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from totalplace.errors import InputError
from totalplace.ingest.profile import (
    BARE_PERIOD, DATE, MONTH, NUMBER, PENCE, PERIOD, SERIAL, ColumnProfile,
)

# field -> (exact names, most specific first; (words that must all appear) as a fallback).
# Among exact names an earlier one wins: 'Payment Date' beats a plain 'Date'.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {
    "body": (
        ("body", "bodycode", "organisationcode", "organizationcode", "orgcode", "bodyuri",
         "organisationuri", "publisheruri", "publisherid", "organisationid"),
        (),
    ),
    "body_name": (
        ("bodyname", "organisationname", "organizationname", "organisation", "organization",
         "authority", "authorityname", "council", "localauthority", "publishername", "publisher",
         "entity", "departmentfamily", "body name", "deptfamily", "entityname", "trust", "trustname"),
        (("body", "name"), ("organisation", "name")),
    ),
    "service_label": (
        ("servicelabel", "service", "servicearea", "serviceareaname", "directorate",
         "directoratename", "department", "departmentname", "portfolio", "servicename",
         "servicedescription", "expensearea", "expensesarea", "expenditurearea"),
        (("directorate",), ("service", "area"), ("service", "label"), ("department",), ("expense", "area"),
         ("expenditure", "area")),
    ),
    "service_division": (
        ("servicedivisionlabel", "servicedivisonlabel", "servicedivision", "division",
         "costcentre", "costcenter", "costcentrename", "costcentredescription",
         "costcentrelabel", "responsibleunit", "subservice", "servicesubdivision", "team",
         "section", "businessunit", "unit"),
        (("cost", "centre", "name"), ("cost", "centre", "description"), ("division", "label")),
    ),
    "service_code": (
        ("servicecode", "costcentrecode", "costcentre code", "costcentreno", "servicedivisioncode",
         "servicecategorycode", "servicecodenumber"),
        (("service", "code"), ("cost", "centre", "code")),
    ),
    "expense_category": (
        ("expenditurecategory", "expensecategory", "expenditurecategorylabel", "category",
         "subjectivegroup", "accountgroup", "expensegroup", "expendituregroup", "purchasecategory",
         "proclasslevel1", "serviceexpenditurecategory", "merchantcategory"),
        (("expenditure", "category"), ("expense", "category"), ("subjective", "group")),
    ),
    "expense_type": (
        ("detailedexpendituretype", "detailedexpensestype", "detailedexpensetype",
         "expensetype", "expendituretype", "expensedescription", "expendituredescription",
         "subjective", "subjectivedescription", "subjectivename", "accountdescription",
         "accountname", "account", "expensesdescription", "purpose", "purposeofexpenditure",
         "description", "narrative", "natureofexpenditure", "expensestype", "costelement"),
        (("expense", "type"), ("expenditure", "type"), ("subjective", "description"),
         ("account", "description")),
    ),
    "expense_code": (
        ("detailedexpenditurecode", "detailedexpensecode", "expenditurecode", "expensecode",
         "subjectivecode", "accountcode", "ledgercode", "nominalcode", "glcode", "expensetypecode"),
        (("expenditure", "code"), ("expense", "code"), ("subjective", "code"), ("account", "code")),
    ),
    "payment_date": (
        ("datepaid", "paymentdate", "paiddate", "dateofpayment", "paymentdatepaid", "invoicepaiddate",
         "datepayment", "transactiondate", "date", "effectivedate", "postingdate",
         # month precision: the month, or a period code, of the payment
         "paymentmonth", "monthpaid", "month", "period", "paymentperiod", "accountingperiod",
         "financialperiod", "postingperiod", "periodname", "yearmonth"),
        (("date", "paid"), ("payment", "date"), ("date",), ("month",), ("period",)),
    ),
    "transaction_ref": (
        ("transactionnumber", "transactionno", "transactionref", "transactionreference",
         "transactionid", "reference", "paymentreference", "paymentref", "paymentnumber",
         "documentnumber", "documentno", "voucher", "vouchernumber", "invoicenumber", "invoiceno",
         "ref", "transno", "transref", "transnumber", "transactionreferencenumber"),
        (("transaction",), ("reference",)),
    ),
    "amount": (
        ("netamount", "amount", "value", "netvalue", "amountgbp", "amountexclvat", "totalamount",
         "paymentamount", "amountpaid", "amountexcludingvat", "netamountgbp", "amountex vat",
         "valuegbp", "sum", "totalvalue", "paymentvalue", "netpayment", "amountinsterling", "spend",
         "net", "gross", "total", "grossamount", "grossvalue", "invoicevalue", "invoiceamount",
         "transactionamount", "transactionvalue", "lineamount", "linevalue", "netcost", "totalcost",
         "cost", "expenditure", "sterling", "gbp", "paidamount"),
        (("net", "amount"), ("amount",), ("value",), ("spend",), ("total",), ("gross",), ("sterling",)),
    ),
    "supplier_name": (
        ("suppliername", "supplier", "beneficiary", "beneficiaryname", "payee", "payeename",
         "vendorname", "vendor", "merchantname", "merchant", "recipient", "recipientname",
         "creditorname", "creditor", "suppliername"),
        (("supplier", "name"), ("payee",), ("beneficiary",), ("vendor", "name"), ("creditor", "name")),
    ),
    "supplier_id": (
        ("suppliernumber", "supplierid", "supplierref", "suppliercode", "supplierreference",
         "vendorid", "vendornumber", "vendorcode", "payeeid", "creditorid", "creditornumber",
         "supplierno", "companynumber"),
        (("supplier", "number"), ("supplier", "id"), ("supplier", "code"), ("vendor", "number")),
    ),
    "capital_revenue": (
        ("capitalorrevenue", "capitalrevenue", "caprev", "revenueorcapital", "capitalrevenueflag",
         "capitalrevenueindicator", "revenuecapital", "caporrev", "capitalorrevenueexpenditure"),
        (("capital", "revenue"),),
    ),
    # the sign of the amount, in a column of its own: -1/1, Dr/Cr, or a credit flag
    "sign": (
        ("negative", "sign", "drcr", "crdr", "debitcredit", "creditdebit", "debitorcredit",
         "creditordebit", "dc", "credit", "iscredit", "creditnote", "creditflag", "negativeflag"),
        (("debit", "credit"),),
    ),
    # the financial year a bare period code (P05, 5) belongs to
    "period_year": (
        ("financialyear", "fiscalyear", "accountingyear", "finyear", "fy", "year"),
        (("financial", "year"), ("fiscal", "year"), ("accounting", "year")),
    ),
}

REQUIRED = ("payment_date", "amount")
EXACT, WORDS, CONTENT = 2, 1, 0  # how a column was found; an exact name scores EXACT * 1000 less its rank
MIN_EVIDENCE = 5  # filled-in cells a column needs before its content can overrule its header

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise(header: str) -> str:
    """Header text with case, spaces and punctuation removed: 'Date paid' -> 'datepaid'."""
    return _NOT_ALNUM.sub("", header.lower())


def _words(header: str) -> str:
    return _NOT_ALNUM.sub(" ", header.lower())


_EXACT_KEYS: dict[str, dict[str, int]] = {
    field: {key: rank for rank, key in reversed(list(enumerate(normalise(n) for n in names)))}
    for field, (names, _) in FIELDS.items()
}


@functools.lru_cache(maxsize=4096)  # files of one layout repeat the same headers, and header_score calls detect
def _field_score(header: str, field: str) -> tuple[int, str]:
    """How well a header names a field, and the reason."""
    word_sets = FIELDS[field][1]
    key = normalise(header)
    if not key:
        return 0, ""
    if key in _EXACT_KEYS[field]:
        return EXACT * 1000 - _EXACT_KEYS[field][key], f"header {header!r} is a known name for {field}"
    words = _words(header).split()
    for needed in word_sets:
        if all(any(word.startswith(w) for word in words) for w in needed):
            return WORDS, f"header {header!r} contains {' + '.join(needed)!r}"
    return 0, ""


@functools.lru_cache(maxsize=4096)
def _exact_fields(header: str) -> frozenset[str]:
    """The fields a header is an exact name for."""
    key = normalise(header)
    return frozenset(f for f in FIELDS if key and key in _EXACT_KEYS[f])


# Date headers by what they say about the payment, for words matches: a paid date beats an invoice date.
_DATE_TIERS = (
    (5, {"paid", "payment", "pay", "clearing", "cleared", "posted", "posting", "transaction", "cheque",
         "bacs", "remittance", "settlement", "settled"}),
    (0, {"created", "updated", "modified", "extract", "extracted", "report", "run", "print", "printed",
         "published", "publication", "upload", "uploaded", "due", "entered", "input"}),
    (3, {"invoice", "voucher"}),
    (2, {"document", "order", "goods", "receipt", "received"}),
    (1, {"month", "period"}),
)


def _date_tier(header: str) -> int:
    words = set(_words(header).split())
    return next((tier for tier, names in _DATE_TIERS if words & names), 4)


# ----------------------------------------------------------------------------- what was chosen


@dataclass(frozen=True)
class SignReading:
    """How a sign column's values read: which mean a negative amount, which a positive one."""

    negative: frozenset[str]
    positive: frozenset[str]
    kind: str  # '-1/1', 'Dr/Cr' or 'credit flag'


@dataclass(frozen=True)
class ColumnMapping:
    """Which column holds each field, and why it was chosen."""

    columns: dict[str, int]  # field -> column index
    reasons: dict[str, str]
    headers: tuple[str, ...]
    runners_up: dict[str, str] = field(default_factory=dict)  # field -> the next best column and its evidence
    amount_basis: str = "unstated"  # net | gross | unstated (the file does not say)
    sign: SignReading | None = None
    vat_columns: tuple[str, ...] = ()  # the headers of a Gross/VAT/Net group the amount was chosen from

    def header_of(self, field: str) -> str:
        return self.headers[self.columns[field]]

    def unused_headers(self) -> list[str]:
        used = set(self.columns.values())
        return [h for i, h in enumerate(self.headers) if i not in used and h.strip()]

    def as_dict(self) -> dict[str, str]:
        return {field: self.header_of(field) for field in self.columns}


class AmbiguousColumns(InputError):
    """Two or more columns have the same evidence for one field: the user must say which."""

    def __init__(self, field: str, candidates: list[tuple[str, str]]) -> None:
        self.field = field
        self.candidates = candidates  # (header, evidence)
        super().__init__(self.describe())

    def describe(self) -> str:
        named = " or ".join(f"{header!r} ({evidence})" for header, evidence in self.candidates)
        return f"cannot tell which column is the {self.field}: {named}"


@dataclass(frozen=True)
class _Candidate:
    field: str
    index: int
    rank: tuple  # higher is better
    reason: str


class _Choice:
    """The columns chosen so far for a file's headers (and, when known, their profiles)."""

    def __init__(self, headers: list[str], profiles: list[ColumnProfile] | None) -> None:
        self.headers = headers
        self.profiles = profiles
        self.columns: dict[str, int] = {}
        self.reasons: dict[str, str] = {}
        self.runners_up: dict[str, str] = {}
        self.amount_basis = "unstated"
        self.sign: SignReading | None = None
        self.vat_columns: tuple[str, ...] = ()

    def take(self, field: str, index: int, reason: str, runner_up: _Candidate | None = None) -> None:
        self.columns[field] = index
        self.reasons[field] = reason + self.evidence(index)
        if runner_up is not None:
            self.runners_up[field] = (f"{self.headers[runner_up.index]!r}: {runner_up.reason}"
                                      f"{self.evidence(runner_up.index)}")

    def evidence(self, index: int) -> str:
        return f"; content: {self.profiles[index].summary()}" if self.profiles else ""

    def free(self, index: int) -> bool:
        return index not in self.columns.values()

    def profile(self, index: int) -> ColumnProfile | None:
        return self.profiles[index] if self.profiles else None

    def mapping(self) -> ColumnMapping:
        return ColumnMapping(dict(self.columns), dict(self.reasons), tuple(self.headers), dict(self.runners_up),
                             self.amount_basis, self.sign, self.vat_columns)


# ----------------------------------------------------------------------------- choosing


def detect(headers: list[str], overrides: dict[str, str] | None = None) -> ColumnMapping:
    """Choose a column for each field from the header names alone (the agency's overrides first)."""
    return choose(headers, None, overrides)


def choose(headers: list[str], profiles: list[ColumnProfile] | None, overrides: dict[str, str] | None = None,
           basis: str = "net") -> ColumnMapping:
    """Choose a column for each field from the headers and, when given, the columns' profiles.

    The amount and the payment date are chosen first, with their content
    checked, then the sign column; every other field takes the best-named
    column left. `basis` says which of Gross and Net to count when a file has both.
    """
    choice = _Choice(list(headers), profiles)
    _apply_overrides(choice, overrides or {})
    if "amount" not in choice.columns:
        _choose_amount(choice, basis)
    if "payment_date" not in choice.columns:
        _choose_date(choice)
    if "sign" not in choice.columns:
        _choose_sign(choice)
    elif profiles:
        choice.sign = _set_sign_reading(choice)
    _choose_the_rest(choice)
    return choice.mapping()


def _apply_overrides(choice: _Choice, overrides: dict[str, str]) -> None:
    for field_name, header in overrides.items():
        if field_name not in FIELDS:
            raise InputError(f"column mapping names unknown field {field_name!r}; fields are {', '.join(FIELDS)}")
        matches = [i for i, h in enumerate(choice.headers) if normalise(h) == normalise(header)]
        if matches:
            choice.take(field_name, matches[0], f"set in totalplace.toml: {field_name} = {header!r}")


def _header_candidates(choice: _Choice, field_name: str) -> list[_Candidate]:
    """Free columns whose header names the field, best first; a column another field has an exact name
    for is left to it, and a column whose content contradicts the field is left out."""
    found = []
    for index, header in enumerate(choice.headers):
        score, reason = _field_score(header, field_name)
        if not score or not choice.free(index):
            continue
        exact = _exact_fields(header)
        if exact and field_name not in exact:
            continue
        if _fits(field_name, choice.profile(index), header) is False:
            continue
        tier = _date_tier(header) if field_name == "payment_date" and score == WORDS else 0
        found.append(_Candidate(field_name, index, (score, tier, _fit_share(field_name, choice.profile(index))),
                                reason))
    return sorted(found, key=lambda c: tuple(-part for part in c.rank) + (c.index,))


def _pick(choice: _Choice, candidates: list[_Candidate], extra: str = "") -> bool:
    """Take the best candidate, unless the next one has the same evidence (then ask the user)."""
    if not candidates:
        return False
    best, *rest = candidates
    # Columns of one header name are twins, not a choice: the loader refuses twins holding different values.
    tied = [c for c in rest if c.rank == best.rank
            and normalise(choice.headers[c.index]) != normalise(choice.headers[best.index])]
    if tied and choice.profiles is not None:
        raise AmbiguousColumns(best.field, [(choice.headers[c.index], c.reason + choice.evidence(c.index))
                                            for c in [best, *tied]])
    choice.take(best.field, best.index, best.reason + extra, rest[0] if rest else None)
    return True


# ----------------------------------------------------------------------------- content


def _fits(field_name: str, profile: ColumnProfile | None, header: str) -> bool | None:
    """Whether a column's content fits a field: True, False, or None when it cannot tell."""
    if profile is None or profile.filled < MIN_EVIDENCE:
        return None
    if field_name == "amount":
        share = profile.share(NUMBER)
    elif field_name == "payment_date":
        share = _date_share(profile, header_says_date=True)
    elif field_name == "sign":
        return sign_reading(header, profile) is not None
    else:
        return True
    return True if share >= 0.8 else False if share < 0.3 else None


def _fit_share(field_name: str, profile: ColumnProfile | None) -> float:
    """How much of a column fits the amount or the date, in twentieths: between two columns named
    alike, the one more of whose cells fit is taken."""
    if profile is None or not profile.filled or field_name not in REQUIRED:
        return 0.0
    share = profile.share(NUMBER) if field_name == "amount" else _date_share(profile, header_says_date=True)
    return round(share * 20) / 20


def _date_share(profile: ColumnProfile, header_says_date: bool) -> float:
    """The share of cells that read as a date, a month or a period code (serials and bare
    period numbers only where the header names a date or period)."""
    cells = profile.count(DATE) + profile.count(MONTH) + profile.count(PERIOD)
    if header_says_date:
        cells += max(profile.count(SERIAL), profile.count(BARE_PERIOD))
    return min(cells, profile.filled) / profile.filled if profile.filled else 0.0


def _content_candidates(choice: _Choice, field_name: str, fits) -> list[_Candidate]:
    """Free columns no header rule claims for any field, whose content fits: used when no header names the field."""
    found = []
    for index, header in enumerate(choice.headers):
        profile = choice.profile(index)
        if profile is None or profile.filled < MIN_EVIDENCE or not choice.free(index) or _named(header):
            continue
        strength = fits(profile)
        if strength:
            found.append(_Candidate(field_name, index, (CONTENT, strength),
                                    f"no header names the {field_name}; its cells read as one"))
    return sorted(found, key=lambda c: (-c.rank[1], c.index))


@functools.lru_cache(maxsize=4096)
def _named(header: str) -> bool:
    """Whether a header names any field, or is a VAT column."""
    return any(_field_score(header, f)[0] for f in FIELDS) or _basis_of(header) == "vat"


# ----------------------------------------------------------------------------- the amount

_VAT_WORDS = {"vat", "tax"}
_INCLUDING = {"inc", "incl", "including", "inclusive", "gross"}
_EXCLUDING = {"ex", "exc", "excl", "excluding", "exclusive", "before", "pre", "net", "less", "without"}
_NOT_MONEY = {"registration", "reg", "number", "no", "code", "rate", "id", "percent", "percentage"}


@functools.lru_cache(maxsize=4096)
def _basis_of(header: str) -> str | None:
    """What a money header says of VAT: 'net', 'gross', 'vat' (the VAT itself), 'total', or None."""
    words = set(_words(header).split())
    if words & _NOT_MONEY:
        return None
    if words & _VAT_WORDS:
        return "gross" if words & _INCLUDING else "net" if words & _EXCLUDING else "vat"
    if "gross" in words:
        return "gross"
    if "net" in words:
        return "net"
    return "total" if "total" in words else None


def _money(profile: ColumnProfile | None) -> bool:
    """Whether a column may hold the amount: numbers, or too few cells to tell (but not none at all)."""
    if profile is None:
        return True
    return profile.filled > 0 and (profile.filled < MIN_EVIDENCE or profile.share(NUMBER) >= 0.8)


def _choose_amount(choice: _Choice, basis: str) -> None:
    """The amount: the net or gross of a Gross/VAT/Net group, else the best-named money column,
    else the one column whose cells are money though no header names it."""
    if _choose_from_vat_group(choice, basis):
        return
    if _pick(choice, _header_candidates(choice, "amount")):
        return
    _pick(choice, _content_candidates(choice, "amount", _money_strength))


def _money_strength(profile: ColumnProfile) -> int:
    """How surely a column's cells are money (0: not money): pence and no dates make it surer."""
    if profile.share(NUMBER) < 0.98 or _date_share(profile, header_says_date=False) >= 0.5:
        return 0
    return 2 if profile.share(PENCE) >= 0.2 else 1


def _choose_from_vat_group(choice: _Choice, basis: str) -> bool:
    """Gross, VAT and Net side by side: count the one `basis` names (net by default), and say so."""
    money = {i: _basis_of(h) for i, h in enumerate(choice.headers)
             if choice.free(i) and h.strip() and _money(choice.profile(i))}
    vat = [i for i, b in money.items() if b == "vat"]
    net = [i for i, b in money.items() if b == "net"]
    gross = [i for i, b in money.items() if b == "gross" or (b == "total" and vat)]
    if not (net or gross):
        return False
    if vat and gross and not net:  # Amount, VAT, Total: the amount beside them is the net
        net = [c.index for c in _header_candidates(choice, "amount") if money.get(c.index) is None][:1]
    members = sorted(net + vat + gross)
    wanted, other = (net, gross) if basis == "net" else (gross, net)
    side, note = (basis, "") if wanted else (
        "gross" if basis == "net" else "net",
        f" (the file has no {basis} amount; amount_basis = {basis})")
    chosen = wanted or other
    candidates = sorted((_amount_candidate(choice, i) for i in chosen),
                        key=lambda c: tuple(-part for part in c.rank) + (c.index,))
    choice.amount_basis = side
    choice.vat_columns = tuple(choice.headers[i] for i in members)
    said = ("the header says so" if len(members) == 1 else
            f"counted from the columns {', '.join(repr(choice.headers[i]) for i in members)}")
    _pick(choice, candidates, f"; {side} of VAT, {said}{note}")
    if "amount" not in choice.runners_up and wanted and other:  # the other basis is the runner-up
        runner_up = _amount_candidate(choice, other[0])
        choice.runners_up["amount"] = (f"{choice.headers[runner_up.index]!r}: {runner_up.reason} "
                                       f"(the {'gross' if side == 'net' else 'net'} amount){choice.evidence(runner_up.index)}")
    return True


def _amount_candidate(choice: _Choice, index: int) -> _Candidate:
    score, reason = _field_score(choice.headers[index], "amount")
    return _Candidate("amount", index, (score, 0, _fit_share("amount", choice.profile(index))),
                      reason or f"header {choice.headers[index]!r} names a money column")


# ----------------------------------------------------------------------------- the date


def _choose_date(choice: _Choice) -> None:
    """The payment date: the best-named date column whose cells are dates (or months, or period
    codes), else the one column whose cells are dates though no header names it."""
    if _pick(choice, _header_candidates(choice, "payment_date")):
        return
    _pick(choice, _content_candidates(choice, "payment_date", _date_strength))


def _date_strength(profile: ColumnProfile) -> int:
    if profile.share(DATE) >= 0.9:
        return 2
    return 1 if profile.share(MONTH) >= 0.9 else 0


# ----------------------------------------------------------------------------- the sign

SIGN_SHARE = 0.8  # the share of a sign column's cells that must be signs of one vocabulary
_SIGN_VOCABULARIES = (  # (kind, negative, positive); the first that holds every value of a column wins
    ("-1/1", {"-1", "-", "-1.0"}, {"1", "+1", "+", "1.0"}),
    ("Dr/Cr", {"cr", "c", "credit", "crd"}, {"dr", "d", "debit", "deb"}),
    ("credit flag", {"y", "yes", "true", "t", "1"}, {"n", "no", "false", "f", "0"}),
)


def sign_reading(header: str, profile: ColumnProfile | None) -> SignReading | None:
    """How a column named like a sign column reads, if all its values are one vocabulary of signs.
    A yes/no flag must be named for credits or negatives ('Credit', 'Negative'), not a plain 'Sign'."""
    kinds = _SIGN_VOCABULARIES if normalise(header) != "sign" else _SIGN_VOCABULARIES[:2]
    if profile is None:
        return SignReading(frozenset(kinds[0][1]), frozenset(kinds[0][2]), kinds[0][0])
    if not profile.few_values:
        return None
    for kind, negative, positive in kinds:
        # a stray value or two (rejected with their rows) does not make the column something else
        known = sum(n for value, n in profile.few_values.items() if value in negative | positive)
        if known >= SIGN_SHARE * profile.filled:
            return SignReading(frozenset(negative), frozenset(positive), kind)
    return None


def _set_sign_reading(choice: _Choice) -> SignReading:
    """The reading of a sign column named in totalplace.toml: its values must be one vocabulary of signs."""
    index = choice.columns["sign"]
    reading = sign_reading(choice.headers[index], choice.profile(index))
    if reading is None:
        profile = choice.profile(index)
        values = ", ".join(sorted(profile.few_values or [])) if profile else ""
        raise InputError(f"the sign column {choice.headers[index]!r} holds values ({values or 'many'}) that are "
                         "not a sign: expected -1/1, Dr/Cr or a credit flag (Y/N)")
    return reading


def _choose_sign(choice: _Choice) -> None:
    candidates = _header_candidates(choice, "sign")
    if candidates:
        best = candidates[0]
        choice.sign = sign_reading(choice.headers[best.index], choice.profile(best.index))
        choice.take("sign", best.index, f"{best.reason}; read as {choice.sign.kind}" if choice.sign else best.reason)


# ----------------------------------------------------------------------------- everything else


def _choose_the_rest(choice: _Choice) -> None:
    """Every other field: the best-named free column, best names first over the whole row."""
    candidates = sorted(
        (c for f in FIELDS if f not in choice.columns and f not in ("amount", "payment_date", "sign")
         for c in _header_candidates(choice, f)),
        key=lambda c: (-c.rank[0], c.index, list(FIELDS).index(c.field)),
    )
    for candidate in candidates:
        if candidate.field in choice.columns or not choice.free(candidate.index):
            continue
        runner_up = next((c for c in candidates if c.field == candidate.field and c.index != candidate.index), None)
        choice.take(candidate.field, candidate.index, candidate.reason, runner_up)


def header_score(record: list[str]) -> int:
    """How many fields a record's cells name: rates a row as the header row."""
    return len(detect([str(cell) for cell in record]).columns) if record else 0


def require(mapping: ColumnMapping, path: str, dated_by_name: bool = False) -> None:
    """Stop with one clear error when a file lacks a column the count cannot do without.

    A file whose name gives its month (`dated_by_name`) needs no date column.
    """
    missing = [f for f in REQUIRED if f not in mapping.columns and not (f == "payment_date" and dated_by_name)]
    if missing:
        headers = ", ".join(repr(h) for h in mapping.headers if h.strip())
        raise InputError(
            f"{path}: cannot find the {' and '.join(missing)} column among the headers {headers}; "
            f"set it for this agency in totalplace.toml, e.g. columns = {{ {missing[0]} = \"<header>\" }}"
        )
