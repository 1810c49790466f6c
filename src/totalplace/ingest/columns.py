"""Recognise the columns of a "spending over £500" file from its header names.

Each field has exact names (after normalising case, spaces and punctuation)
and, failing those, words a header must contain. A per-agency mapping in
totalplace.toml overrides the detector for any field.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from totalplace.errors import InputError

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
         "entity", "departmentfamily", "body name"),
        (("body", "name"), ("organisation", "name")),
    ),
    "service_label": (
        ("servicelabel", "service", "servicearea", "serviceareaname", "directorate",
         "directoratename", "department", "departmentname", "portfolio", "servicename",
         "servicedescription", "expensearea"),
        (("directorate",), ("service", "area"), ("service", "label"), ("department",)),
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
         "proclasslevel1", "serviceexpenditurecategory"),
        (("expenditure", "category"), ("expense", "category"), ("subjective", "group")),
    ),
    "expense_type": (
        ("detailedexpendituretype", "detailedexpensestype", "detailedexpensetype",
         "expensetype", "expendituretype", "expensedescription", "expendituredescription",
         "subjective", "subjectivedescription", "subjectivename", "accountdescription",
         "accountname", "account", "expensesdescription", "purpose", "purposeofexpenditure",
         "description", "narrative", "natureofexpenditure"),
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
         "datepayment", "transactiondate", "date", "effectivedate", "postingdate"),
        (("date", "paid"), ("payment", "date"), ("date",)),
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
         "valuegbp", "sum", "totalvalue", "paymentvalue", "netpayment"),
        (("net", "amount"), ("amount",), ("value",)),
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
}

REQUIRED = ("payment_date", "amount")
EXACT, WORDS = 2, 1  # an exact name scores EXACT * 1000 less its rank


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


@dataclass(frozen=True)
class ColumnMapping:
    """Which column holds each field, and why it was chosen."""

    columns: dict[str, int]  # field -> column index
    reasons: dict[str, str]
    headers: tuple[str, ...]

    def header_of(self, field: str) -> str:
        return self.headers[self.columns[field]]

    def unused_headers(self) -> list[str]:
        used = set(self.columns.values())
        return [h for i, h in enumerate(self.headers) if i not in used and h.strip()]

    def as_dict(self) -> dict[str, str]:
        return {field: self.header_of(field) for field in self.columns}


def detect(headers: list[str], overrides: dict[str, str] | None = None) -> ColumnMapping:
    """Choose a column for each field: the agency's overrides first, then the best-named header."""
    overrides = overrides or {}
    columns: dict[str, int] = {}
    reasons: dict[str, str] = {}
    for field, header in overrides.items():
        if field not in FIELDS:
            raise InputError(f"column mapping names unknown field {field!r}; fields are {', '.join(FIELDS)}")
        matches = [i for i, h in enumerate(headers) if normalise(h) == normalise(header)]
        if matches:
            columns[field] = matches[0]
            reasons[field] = f"set in totalplace.toml: {field} = {header!r}"
    candidates = sorted(
        (
            (score, field_order, index, field, reason)
            for field_order, field in enumerate(FIELDS)
            if field not in columns
            for index, header in enumerate(headers)
            for score, reason in [_field_score(header, field)]
            if score
        ),
        key=lambda c: (-c[0], c[2], c[1]),
    )
    taken = set(columns.values())
    for _score, _order, index, field, reason in candidates:
        if field in columns or index in taken:
            continue
        columns[field] = index
        reasons[field] = reason
        taken.add(index)
    return ColumnMapping(columns=columns, reasons=reasons, headers=tuple(headers))


def header_score(record: list[str]) -> int:
    """How many fields a record's cells name: rates a row as the header row."""
    return len(detect([str(cell) for cell in record]).columns) if record else 0


def require(mapping: ColumnMapping, path: str) -> None:
    """Stop with one clear error when a file lacks a column the count cannot do without."""
    missing = [field for field in REQUIRED if field not in mapping.columns]
    if missing:
        headers = ", ".join(repr(h) for h in mapping.headers if h.strip())
        raise InputError(
            f"{path}: cannot find the {' and '.join(missing)} column among the headers {headers}; "
            f"set it for this agency in totalplace.toml, e.g. columns = {{ {missing[0]} = \"<header>\" }}"
        )
