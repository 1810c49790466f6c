"""The tables of the derived analytic store. Money is DECIMAL, never a float."""

from totalplace.ingest.parse import MONEY

TOTAL = "DECIMAL(38,2)"
CLASSIFICATION_COLUMNS = ("theme", "cofog", "rule_id", "transfer_kind", "transfer_rule", "counterpart_agency")
PASS_THROUGH_COLUMNS = ("pass_through", "pass_through_rule")  # set after the others, from the payee and the labels

TABLES = f"""
CREATE TABLE IF NOT EXISTS place (
    name VARCHAR, areas VARCHAR[], region VARCHAR
);
CREATE TABLE IF NOT EXISTS agency (
    agency_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    area VARCHAR, aliases VARCHAR[]
);
CREATE TABLE IF NOT EXISTS source_file (  -- one row per file, or per sheet of a workbook
    file_id INTEGER PRIMARY KEY,
    agency_id VARCHAR NOT NULL,
    path VARCHAR NOT NULL,            -- relative to the workspace
    sha256 VARCHAR NOT NULL,          -- of the file's content: the sheets of a workbook share it
    format VARCHAR, encoding VARCHAR, sheet VARCHAR, header_row INTEGER,
    mapping JSON,                     -- field -> header used
    mapping_reasons JSON,             -- field -> why that header
    unused_headers VARCHAR[],
    rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, blank_rows BIGINT,
    money_read {TOTAL}, money_loaded {TOTAL}, money_rejected {TOTAL},
    period_start DATE, period_end DATE,  -- the months the file reports on
    loaded_at TIMESTAMP,
    reading_notes VARCHAR[],          -- how it was read, where a user should know: decimal commas, encodings,
                                      -- net or gross, date order and precision
    layout VARCHAR,                   -- the header fingerprint (a layout's mapping is remembered by it)
    reading JSON,                     -- how it was read: net or gross, date order, runners-up
    settings_key VARCHAR              -- what totalplace.toml said of its columns; a change reloads it
);
CREATE TABLE IF NOT EXISTS spend_line (
    line_id BIGINT NOT NULL,          -- file_id * 100000000 + row_number
    file_id INTEGER NOT NULL,
    row_number BIGINT NOT NULL,
    agency_id VARCHAR NOT NULL,
    body_name VARCHAR,
    service_code VARCHAR, service_label VARCHAR, service_division VARCHAR,
    expense_code VARCHAR, expense_category VARCHAR, expense_type VARCHAR,
    payment_date DATE NOT NULL,
    fiscal_year VARCHAR NOT NULL,
    amount {MONEY} NOT NULL,
    supplier_name VARCHAR, supplier_id VARCHAR,
    transaction_ref VARCHAR, capital_revenue VARCHAR,
    date_precision VARCHAR NOT NULL DEFAULT 'day',  -- 'day', or 'month' (a month or period code, no day)
    supplier_redacted BOOLEAN NOT NULL DEFAULT FALSE,  -- the publisher withheld the supplier's name
    -- its classification, set by the rules as the line is published and by `totalplace classify`
    theme VARCHAR, cofog VARCHAR, rule_id VARCHAR,
    transfer_kind VARCHAR,            -- kind of public body paid, when it is one
    transfer_rule VARCHAR,            -- the reference row or pattern that said so
    counterpart_agency VARCHAR,       -- the agency of this count that was paid, if any
    pass_through VARCHAR,             -- money passed through to the body paid: precept_or_levy, paid_over_to_government, pension_fund
    pass_through_rule VARCHAR         -- the pass-through rule that said so
);
CREATE TABLE IF NOT EXISTS rejected_row (
    file_id INTEGER NOT NULL,
    row_number BIGINT NOT NULL,
    column_name VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    raw_text VARCHAR NOT NULL,
    amount_text VARCHAR,
    amount {MONEY}                    -- when the amount itself could be read
);
-- Each line's classification, as a table of its own: the columns live on
-- spend_line, as a count joining 10 million lines to 10 million
-- classifications took four times as long as reading them from the line.
CREATE VIEW IF NOT EXISTS classification AS
SELECT line_id, {", ".join(CLASSIFICATION_COLUMNS + PASS_THROUGH_COLUMNS)} FROM spend_line;
"""

# Columns added since stores were first made: (table, column, type and default), added to an older store.
ADDED_COLUMNS = (
    ("spend_line", "pass_through", "VARCHAR"),
    ("spend_line", "pass_through_rule", "VARCHAR"),
    ("source_file", "reading_notes", "VARCHAR[]"),
    ("source_file", "layout", "VARCHAR"),
    ("source_file", "reading", "JSON"),
    ("source_file", "settings_key", "VARCHAR"),
    ("spend_line", "date_precision", "VARCHAR DEFAULT 'day'"),
    ("spend_line", "supplier_redacted", "BOOLEAN DEFAULT FALSE"),
)

LINE_ID_FACTOR = 100_000_000

# A payment known by its content, to find the same payment in two files: its agency, date, amount,
# supplier and reference, or (with no reference) everything else the line says. Columns of spend_line.
PAYMENT_KEY = """hash(agency_id, payment_date, amount, supplier_name, coalesce(transaction_ref, hash(
    body_name, service_code, service_label, service_division, expense_code, expense_category, expense_type,
    supplier_id, capital_revenue)::VARCHAR))"""
