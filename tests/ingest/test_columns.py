"""The column detector: real headers from Leeds and Bradford, and the usual variants elsewhere."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from support.data import SPEND
from support.properties import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from totalplace.errors import InputError
from totalplace.ingest import columns
from totalplace.ingest.columns import REQUIRED, detect, header_score, normalise, require
from totalplace.ingest.sources import GOOD_HEADER, decode

DATA = SPEND
LEEDS_FILES = sorted((DATA / "leeds").glob("*.csv"))
BRADFORD_FILES = sorted((DATA / "bradford").glob("*.csv"))


def first_record(path: Path) -> list[str]:
    """The header record of a real file, decoded as the reader decodes it (some are Windows-1252)."""
    with path.open("rb") as handle:
        line = handle.readline()
    text, _encoding = decode(line)
    return next(csv.reader([text]))


# Every header spelling in the Leeds files (normalised) -> its field.
LEEDS_FIELDS = {
    "body": "body",
    "bodyname": "body_name",
    "servicelabel": "service_label",
    "servicedivisonlabel": "service_division",  # sic
    "servicedivisionlabel": "service_division",
    "expenditurecategory": "expense_category",
    "detailedexpendituretype": "expense_type",
    "detailedexpensestype": "expense_type",
    "detailedexpenditurecode": "expense_code",
    "detailedexpensecode": "expense_code",
    "datepaid": "payment_date",
    "transactionnumber": "transaction_ref",
    "netamount": "amount",
    "capitalorrevenue": "capital_revenue",
    "suppliername": "supplier_name",
}

BRADFORD_FIELDS = {
    "Service Code": "service_code",
    "Service Label": "service_label",
    "Expenditure code": "expense_code",
    "Expenditure category": "expense_category",
    "Payment date": "payment_date",
    "Transaction Number": "transaction_ref",
    "Net Amount": "amount",
    "Supplier Number": "supplier_id",
    "Supplier Name": "supplier_name",
}


def test_the_real_files_are_there():
    assert len(LEEDS_FILES) >= 20 and len(BRADFORD_FILES) >= 12


def test_the_leeds_files_use_every_spelling_this_test_expects():
    # Guards the test itself: the variants named in the brief really are in the files.
    seen = {cell for path in LEEDS_FILES for cell in first_record(path) if cell.strip()}
    for header in ["Body name", "BodyName", "Service label", "ServiceLabel", "Service divison label",
                   "ServiceDivisionLabel", "Expenditure category", "Detailed expenditure type",
                   "Detailed expenses type", "Date paid", "DatePaid", "Net amount", " NetAmount ",
                   "Supplier name ", "Transaction number", "Capital or revenue"]:
        assert header in seen, header
    assert {normalise(h) for h in seen} == set(LEEDS_FIELDS)


@pytest.mark.parametrize("path", LEEDS_FILES, ids=lambda p: f"leeds-{p.stem}")
def test_every_leeds_header_maps_to_its_field(path):
    headers = first_record(path)
    mapping = detect(headers)
    expected = {LEEDS_FIELDS[normalise(h)]: h for h in headers if h.strip()}
    assert mapping.as_dict() == expected
    assert mapping.unused_headers() == []
    require(mapping, str(path))  # no error
    assert header_score(headers) == len(expected) >= GOOD_HEADER


@pytest.mark.parametrize("path", BRADFORD_FILES, ids=lambda p: f"bradford-{p.stem}")
def test_every_bradford_header_maps_to_its_field(path):
    headers = first_record(path)
    assert [h.strip() for h in headers] == list(BRADFORD_FIELDS)
    mapping = detect(headers)
    assert mapping.as_dict() == {field: header for header, field in BRADFORD_FIELDS.items()}
    assert mapping.columns["amount"] == 6 and mapping.columns["payment_date"] == 4
    require(mapping, str(path))


@pytest.mark.parametrize(
    "headers",
    [
        ["Body", "Body name", "Service label", "Service divison label", "Expenditure category",
         "Detailed expenses type", "Detailed expense code", "Date paid", "Transaction number",
         "Net amount", "Capital or revenue", "Supplier name "],
        ["Body", "BodyName", "ServiceLabel", "ServiceDivisionLabel", "ExpenditureCategory",
         "DetailedExpenditureType", "DetailedExpenditureCode", "DatePaid", "TransactionNumber",
         " NetAmount ", "CapitalOrRevenue", "SupplierName"],
    ],
)
@settings(max_examples=examples(100), deadline=None)
@given(order=st.randoms(use_true_random=False))
def test_leeds_mapping_does_not_depend_on_column_order(headers, order):
    shuffled = headers[:]
    order.shuffle(shuffled)
    shuffled.insert(order.randrange(len(shuffled) + 1), "")  # a blank trailing-comma column
    mapping = detect(shuffled)
    assert mapping.as_dict() == {LEEDS_FIELDS[normalise(h)]: h for h in headers}


# Single headers seen in other English bodies' files -> the field they name.
VARIANTS = [
    ("body", "Body"), ("body", "Organisation Code"), ("body", "Organisation URI"),
    ("body_name", "Body Name"), ("body_name", "Organisation Name"), ("body_name", "Organisation"),
    ("body_name", "Organization Name"), ("body_name", "Authority"), ("body_name", "Council"),
    ("body_name", "Local Authority"),
    ("service_label", "Service"), ("service_label", "Service Area"), ("service_label", "Directorate"),
    ("service_label", "Department"), ("service_label", "Expense Area"), ("service_label", "Portfolio"),
    ("service_label", "Directorate Name"), ("service_label", "Service Label"),
    ("service_division", "Cost Centre"), ("service_division", "Cost Center"),
    ("service_division", "Cost Centre Name"), ("service_division", "Cost Centre Description"),
    ("service_division", "Service Division"), ("service_division", "Division"),
    ("service_division", "Team"), ("service_division", "Business Unit"),
    ("service_code", "Service Code"), ("service_code", "Cost Centre Code"),
    ("expense_category", "Expense Category"), ("expense_category", "Expenditure Category"),
    ("expense_category", "Subjective Group"), ("expense_category", "Category"),
    ("expense_type", "Expense Type"), ("expense_type", "Expenses Type"),
    ("expense_type", "Expenditure Type"), ("expense_type", "Subjective Description"),
    ("expense_type", "Subjective"), ("expense_type", "Account Description"),
    ("expense_type", "Account Name"), ("expense_type", "Expense Description"),
    ("expense_type", "Purpose of Expenditure"), ("expense_type", "Description"),
    ("expense_code", "Expense Code"), ("expense_code", "Expenditure Code"),
    ("expense_code", "Subjective Code"), ("expense_code", "Account Code"), ("expense_code", "Nominal Code"),
    ("payment_date", "Payment Date"), ("payment_date", "Date Paid"), ("payment_date", "Date"),
    ("payment_date", "Paid Date"), ("payment_date", "Date of Payment"), ("payment_date", "Transaction Date"),
    ("payment_date", "Posting Date"), ("payment_date", "Payment date (dd/mm/yyyy)"),
    ("amount", "Amount"), ("amount", "Value"), ("amount", "Net Amount"), ("amount", "Amount (£)"),
    ("amount", "Amount £"), ("amount", "Net Amount (£)"), ("amount", "Value (£)"), ("amount", "Net Value"),
    ("amount", "Amount Paid"), ("amount", "Payment Amount"), ("amount", "Amount Excl VAT"),
    ("amount", "Total Amount"), ("amount", "Amount GBP"),
    ("supplier_name", "Supplier"), ("supplier_name", "Supplier Name"), ("supplier_name", "Beneficiary"),
    ("supplier_name", "Beneficiary Name"), ("supplier_name", "Payee"), ("supplier_name", "Payee Name"),
    ("supplier_name", "Vendor Name"), ("supplier_name", "Creditor Name"), ("supplier_name", "Recipient"),
    ("supplier_name", "Merchant Name"),
    ("supplier_id", "Supplier ID"), ("supplier_id", "Supplier Id"), ("supplier_id", "Supplier Number"),
    ("supplier_id", "Supplier No"), ("supplier_id", "Supplier Ref"), ("supplier_id", "Supplier Reference"),
    ("supplier_id", "Supplier Code"), ("supplier_id", "Vendor ID"), ("supplier_id", "Creditor Number"),
    ("transaction_ref", "Transaction Number"), ("transaction_ref", "Transaction No"),
    ("transaction_ref", "Transaction No."), ("transaction_ref", "Transaction Ref"),
    ("transaction_ref", "Transaction Reference"), ("transaction_ref", "Transaction ID"),
    ("transaction_ref", "Payment Reference"), ("transaction_ref", "Reference"),
    ("transaction_ref", "Document Number"), ("transaction_ref", "Trans Ref"),
    ("capital_revenue", "Capital or Revenue"), ("capital_revenue", "Capital/Revenue"),
    ("capital_revenue", "Capital / Revenue"), ("capital_revenue", "Revenue/Capital"),
    ("capital_revenue", "Cap/Rev"), ("capital_revenue", "CapRev"), ("capital_revenue", "Capital Revenue"),
]


@pytest.mark.parametrize("field, header", VARIANTS, ids=[f"{f}:{h}" for f, h in VARIANTS])
def test_header_variant_alone_maps_to_its_field(field, header):
    mapping = detect([header])
    assert mapping.columns == {field: 0}, mapping.reasons
    assert header in mapping.reasons[field]


@pytest.mark.parametrize("field, header", VARIANTS, ids=[f"{f}:{h}" for f, h in VARIANTS])
def test_header_variant_ignores_case_spaces_and_punctuation(field, header):
    for spelling in (header.upper(), header.lower(), f"  {header}  ", header.replace(" ", "_"),
                     f"{header}\t", header.replace(" ", "  ")):
        assert detect(["Notes", spelling]).columns.get(field) == 1, spelling


@pytest.mark.parametrize("header", ["VAT", "Supplier Postcode", "Notes", "Redacted", "", "   ",
                                    "VAT Registration Number", "Procurement Method"])
def test_headers_that_name_no_field_are_left_unused(header):
    assert detect([header]).columns == {}
    assert header_score([header]) == 0


# Whole header rows in the forms other English bodies publish.
OTHER_BODIES = [
    (
        ["Organisation Name", "Directorate", "Cost Centre", "Subjective Description", "Payment Date",
         "Transaction Ref", "Amount (£)", "Supplier Name", "Supplier ID", "Capital/Revenue"],
        {"body_name": "Organisation Name", "service_label": "Directorate",
         "service_division": "Cost Centre", "expense_type": "Subjective Description",
         "payment_date": "Payment Date", "transaction_ref": "Transaction Ref", "amount": "Amount (£)",
         "supplier_name": "Supplier Name", "supplier_id": "Supplier ID",
         "capital_revenue": "Capital/Revenue"},
        [],
    ),
    (
        ["Body Name", "Service Area", "Account Description", "Date", "Value", "Payee Name",
         "Supplier Ref", "Transaction ID", "Capital or Revenue"],
        {"body_name": "Body Name", "service_label": "Service Area", "expense_type": "Account Description",
         "payment_date": "Date", "amount": "Value", "supplier_name": "Payee Name",
         "supplier_id": "Supplier Ref", "transaction_ref": "Transaction ID",
         "capital_revenue": "Capital or Revenue"},
        [],
    ),
    (  # the central-government style used by many NHS bodies and some councils
        ["Department Family", "Entity", "Date", "Expense Type", "Expense Area", "Supplier",
         "Transaction Number", "Amount", "Description", "Supplier Postcode"],
        {"payment_date": "Date", "expense_type": "Expense Type", "service_label": "Expense Area",
         "supplier_name": "Supplier", "transaction_ref": "Transaction Number", "amount": "Amount"},
        ["Supplier Postcode"],
    ),
    (  # gross, VAT and net: the net amount is the one counted; invoice date is not the payment date
        ["Organisation", "Department", "Expense Category", "Expense Type", "Invoice Date",
         "Payment Date", "Beneficiary", "Gross Amount", "VAT Amount", "Net Amount",
         "Transaction Reference"],
        {"body_name": "Organisation", "service_label": "Department", "expense_category": "Expense Category",
         "expense_type": "Expense Type", "payment_date": "Payment Date", "supplier_name": "Beneficiary",
         "amount": "Net Amount", "transaction_ref": "Transaction Reference"},
        ["Invoice Date", "Gross Amount", "VAT Amount"],
    ),
    (
        ["Authority", "Service", "Cost Centre Name", "Account", "Date Paid", "Payee", "Net Value",
         "Document Number", "Supplier Number", "Cap/Rev"],
        {"body_name": "Authority", "service_label": "Service", "service_division": "Cost Centre Name",
         "expense_type": "Account", "payment_date": "Date Paid", "supplier_name": "Payee",
         "amount": "Net Value", "transaction_ref": "Document Number", "supplier_id": "Supplier Number",
         "capital_revenue": "Cap/Rev"},
        [],
    ),
    (
        ["Service Area", "Service Area Code", "Expense Type", "Expense Code", "Payment Date", "Amount",
         "Supplier Name", "Supplier Postcode", "VAT Registration Number"],
        {"service_label": "Service Area", "service_code": "Service Area Code", "expense_type": "Expense Type",
         "expense_code": "Expense Code", "payment_date": "Payment Date", "amount": "Amount",
         "supplier_name": "Supplier Name"},
        ["Supplier Postcode", "VAT Registration Number"],
    ),
]


@pytest.mark.parametrize("headers, expected, unused", OTHER_BODIES, ids=lambda v: None)
def test_other_bodies_header_rows(headers, expected, unused):
    mapping = detect(headers)
    assert {field: mapping.as_dict().get(field) for field in expected} == expected
    for header in unused:
        assert header in mapping.unused_headers()
    # No header is given to two fields.
    assert len(set(mapping.columns.values())) == len(mapping.columns)


def test_mapping_records_indexes_headers_and_reasons():
    headers = ["Date", "", "Amount", "Supplier"]
    mapping = detect(headers)
    assert mapping.columns == {"payment_date": 0, "amount": 2, "supplier_name": 3}
    assert mapping.header_of("amount") == "Amount"
    assert mapping.headers == tuple(headers)
    assert set(mapping.reasons) == set(mapping.columns)
    assert mapping.unused_headers() == []


@pytest.mark.parametrize("other_date", ["Invoice Date", "Date", "Effective Date", "Posting Date"])
def test_a_column_named_payment_date_is_the_payment_date(other_date):
    # When a file has another date before 'Payment Date' (invoice date, the date the
    # record was published or posted), the payment date is the one that says so.
    mapping = detect([other_date, "Supplier", "Payment Date", "Amount"])
    assert mapping.header_of("payment_date") == "Payment Date"


def test_exact_name_beats_a_word_match_anywhere_in_the_row():
    # 'Payment Amount Type' merely contains 'amount'; 'Value' is a known name for the amount.
    mapping = detect(["Payment Amount Type", "Date", "Value"])
    assert mapping.columns["amount"] == 2


# ---------------------------------------------------------------------- overrides

def test_override_wins_over_the_detector():
    headers = ["Payment Date", "Net Amount", "Gross"]
    mapping = detect(headers, {"amount": "Gross"})
    assert mapping.columns["amount"] == 2
    assert "totalplace.toml" in mapping.reasons["amount"]
    assert mapping.columns["payment_date"] == 0
    assert "Net Amount" in mapping.unused_headers()


def test_override_matches_the_header_loosely():
    mapping = detect(["Date", "AMOUNT (GBP)", "Value"], {"amount": " amount gbp "})
    assert mapping.columns["amount"] == 1


def test_overridden_column_is_not_given_to_another_field():
    # 'Service Area' would be the service label; the agency says it is the division.
    mapping = detect(["Service Area", "Department", "Date", "Amount"], {"service_division": "Service Area"})
    assert mapping.columns["service_division"] == 0
    assert mapping.columns["service_label"] == 1


def test_override_can_name_a_header_the_detector_does_not_know():
    mapping = detect(["When", "How Much", "Who"], {"payment_date": "When", "amount": "How Much",
                                                    "supplier_name": "Who"})
    assert mapping.columns == {"payment_date": 0, "amount": 1, "supplier_name": 2}
    require(mapping, "file.csv")


@pytest.mark.parametrize("field", ["amounts", "date", "supplier", "", "Amount"])
def test_override_of_an_unknown_field_is_an_input_error(field):
    with pytest.raises(InputError) as caught:
        detect(["Date", "Amount"], {field: "Amount"})
    message = str(caught.value)
    assert repr(field) in message
    assert "payment_date" in message and "amount" in message  # lists the real fields
    assert "\n" not in message


def test_every_field_can_be_overridden():
    headers = [f"Column {i}" for i in range(len(columns.FIELDS))]
    overrides = {field: headers[i] for i, field in enumerate(columns.FIELDS)}
    mapping = detect(headers, overrides)
    assert mapping.columns == {field: i for i, field in enumerate(columns.FIELDS)}


# ---------------------------------------------------------------------- require

def test_require_passes_when_date_and_amount_are_found():
    require(detect(["Date Paid", "Net Amount"]), "a.csv")
    assert REQUIRED == ("payment_date", "amount")


def test_require_names_the_missing_field_and_the_file():
    mapping = detect(["Supplier Name", "Net Amount", "Notes"])
    with pytest.raises(InputError) as caught:
        require(mapping, "leeds/2011-04.csv")
    message = str(caught.value)
    assert "leeds/2011-04.csv" in message
    assert "payment_date" in message
    assert "amount column" not in message and "and amount" not in message
    assert "'Supplier Name'" in message and "'Notes'" in message  # shows the headers it has
    assert "totalplace.toml" in message
    assert "\n" not in message


def test_require_names_both_missing_fields_in_one_message():
    with pytest.raises(InputError) as caught:
        require(detect(["Supplier Name", "Notes"]), "x.csv")
    message = str(caught.value)
    assert "payment_date" in message and "amount" in message
    assert message.count("x.csv") == 1
    assert "\n" not in message


def test_require_missing_amount_only():
    with pytest.raises(InputError, match="amount") as caught:
        require(detect(["Payment Date", "Supplier"]), "b.csv")
    assert "payment_date" not in str(caught.value).split("among")[0]


# ---------------------------------------------------------------------- header_score

def test_header_score_counts_recognised_fields():
    assert header_score(["Date", "Amount", "Supplier"]) == 3
    assert header_score(["Date", "Amount", "Supplier", "Notes", ""]) == 3
    assert header_score([]) == 0
    assert header_score(["", "", ""]) == 0


def test_header_score_rates_a_header_above_title_and_data_rows():
    leeds = first_record(LEEDS_FILES[0])
    bradford = first_record(BRADFORD_FILES[0])
    title = ["Leeds City Council - spending over £500 - April 2011", "", "", ""]
    leeds_row = ["http://statistics.data.gov.uk/doc/local-authority/00DA", "Leeds City Council",
                 "Central & Corporate Functions", "Commercial Services Trading Services",
                 "Supplies and Services", "Operational Materials", "205", "06-Apr-2011", "1104-00001",
                 "5340.00", "R", "A & A Electrical Distributors Ltd"]
    bradford_row = ["1034", "Place", "21110", "Marketing Services", "2018-04-12", "6101592659",
                    "4478.40", "113427", "COMMUNICORP UK"]
    assert header_score(leeds) >= GOOD_HEADER
    assert header_score(bradford) >= GOOD_HEADER
    for row in (title, leeds_row, bradford_row):
        assert header_score(row) < GOOD_HEADER, row
        assert header_score(row) < header_score(bradford)


def test_header_score_accepts_non_text_cells():
    # xlsx rows hold numbers and dates; the score must not fail on them.
    assert header_score([1034, 12.5, None, "Date", "Amount"]) == 2
