"""Property tests for the amount and date parsers, run through the real DuckDB SQL macros."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.properties import examples

from totalplace.ingest import parse
from totalplace.ingest.sources import excel_cell_text
from totalplace.store import macros

CON = duckdb.connect()
macros.install(CON)

FAST = settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parsed(macro: str, texts: list) -> dict:
    """Each text mapped to what a macro makes of it, all in one query (a query costs ms)."""
    if macro == "tp_amount":
        # The loader's way: parts once per row, then the value (tp_amount(s) inlines the
        # parts once per use, which is several times slower; see test_amount_parts_...).
        sql = ("SELECT s, tp_amount_value(p) FROM "
               "(SELECT s, tp_amount_parts(s) AS p FROM unnest(?::VARCHAR[]) u(s))")
    else:
        sql = f"SELECT s, {macro}(s) FROM unnest(?::VARCHAR[]) u(s)"
    rows = CON.execute(sql, [texts]).fetchall()
    assert len(rows) == len(texts)
    return dict(rows)


def check(macro: str, expected: list[tuple[str, object]]) -> None:
    """Assert that a macro turns each text into its expected value."""
    got = parsed(macro, [text for text, _ in expected])
    wrong = {text: (got[text], want) for text, want in expected if got[text] != want or
             (want is None) != (got[text] is None)}
    assert not wrong, f"text: (parsed, expected): {wrong}"


def amount(text):
    return CON.execute("SELECT tp_amount(?::VARCHAR)", [text]).fetchone()[0]


def tp_date(text):
    return CON.execute("SELECT tp_date(?::VARCHAR)", [text]).fetchone()[0]


def fiscal_year(d: date) -> str:
    return CON.execute("SELECT tp_fiscal_year(?::DATE)", [d]).fetchone()[0]


# --------------------------------------------------------------------------- amounts

@st.composite
def money(draw) -> Decimal:
    """A Decimal with 0, 1 or 2 decimal places, up to about 10^13 pounds."""
    places = draw(st.integers(0, 2))
    units = draw(st.integers(-(10 ** (13 + places)), 10 ** (13 + places)))
    return Decimal(units).scaleb(-places)


def plain(value: Decimal, commas: bool) -> str:
    """The absolute value as a file would show it, keeping its decimal places."""
    return format(abs(value), ",f" if commas else "f")


def renderings(value: Decimal, commas: bool) -> list[str]:
    """Every form the published files use for this value."""
    body = plain(value, commas)
    if value >= 0:
        return [body, f"£{body}", f" {body} ", f"  £{body}  ", f"+{body}", f"£ {body}", f"{body}\t"]
    return [
        f"-{body}", f"({body})", f"{body}-", f"-£{body}", f"£-{body}", f"(£{body})",
        f" ({body}) ", f" -{body} ", f"£{body}-",
    ]


@FAST
@given(st.lists(st.tuples(money(), st.booleans()), min_size=1, max_size=6))
def test_amount_round_trips_every_rendering(values):
    check("tp_amount", [(form, value) for value, commas in values for form in renderings(value, commas)])


@FAST
@given(st.lists(money(), min_size=1, max_size=6))
def test_amount_result_is_exact_decimal_in_pence(values):
    texts = [f"£{plain(v, True)}" if v >= 0 else f"({plain(v, True)})" for v in values]
    got = parsed("tp_amount", texts)
    for text, value in zip(texts, values):
        assert isinstance(got[text], Decimal)
        assert got[text] == value
        assert got[text].as_tuple().exponent == -2  # held in pence, exactly


@pytest.mark.parametrize(
    "text, expected",
    [
        ("£1,234.56", Decimal("1234.56")),
        ("1234.56", Decimal("1234.56")),
        (" 1,234.56 ", Decimal("1234.56")),
        ("(1,234.56)", Decimal("-1234.56")),
        ("1,234.56-", Decimal("-1234.56")),
        ("-£12", Decimal("-12")),
        ("£-12", Decimal("-12")),
        ("0.5", Decimal("0.50")),
        (".5", Decimal("0.50")),
        ("£0", Decimal("0")),
        ("9,999,999,999,999.99", Decimal("9999999999999.99")),
    ],
)
def test_amount_examples(text, expected):
    assert amount(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None, "", " ", "   \t", "£", "-", "()", "(£)",
        "abc", "12a", "a12", "1o0", "N/A", "nil", "1e5", "£12.5O", "TBC",
        "1.234", "12.345", "0.001", "1,234.567",
        "(12", "12)", "(12.00", "£12.00)", ")12(",
        "--12", "-12-", "(-12)", "(12)-", "-(12)", "- -12", "£--12", "12--",
        "1.2.3", "12..5", "1-2", "12 34-5",
    ],
)
def test_amount_garbage_is_null(text):
    assert amount(text) is None


letters = st.sampled_from("acdefhijklmnoqrstuvwxyzACDEFHIJKLMNOQRSTUVWXYZ")


@FAST
@given(money(), st.booleans(), letters, st.data())
def test_amount_with_a_letter_is_rejected(value, commas, letter, data):
    text = plain(value, commas)
    at = data.draw(st.integers(0, len(text)))
    bad = text[:at] + letter + text[at:]
    check("tp_amount", [(bad, None), (f"£{bad}", None), (f"({bad})", None)])


THREE_PLACES = ["{}", "£{}", "({})", "-{}", "{}-", " £{} "]
TWO_MINUSES = ["({})-", "-({})", "--{}", "-{}-", "(-{})", "{}--", "£--{}", "-£-{}"]
UNBALANCED = ["({}", "{})", "(£{}", "£{})", "(({})", "({}))", ")({}"]


@FAST
@given(money(), st.booleans(), st.integers(0, 9))
def test_amount_with_three_decimal_places_is_rejected(value, commas, extra_digit):
    text = format(abs(value).quantize(Decimal("0.01")), ",f" if commas else "f") + str(extra_digit)
    check("tp_amount", [(form.format(text), None) for form in THREE_PLACES])


@FAST
@given(money(), st.booleans(), st.integers(1, 99))
def test_excel_float_noise_within_a_tenth_of_a_penny_rounds_to_the_penny(value, commas, noise):
    """1234.5600000000002 is 1234.56 as Excel stores it; 1234.561 is not a whole penny, and a third
    decimal place alone is never noise (in a decimal-comma file '1,000' must not read as £1.00)."""
    pence = abs(value).quantize(Decimal("0.01"))
    above = format(pence, ",f" if commas else "f") + "0" * 10 + str(noise)
    below = format(pence - Decimal("0.01"), ",f" if commas else "f") + "9" * 10 + str(noise) if pence else above
    check("tp_amount", [(above, pence), (f"-{above}", -pence), (below, pence), (f"£({above})", -pence),
                        (format(pence, "f") + "1", None), (format(pence, "f") + "0", None),
                        (format(pence, "f") + "0009", pence), (format(pence, "f") + "0090", pence)])


@pytest.mark.parametrize("text", ["234,56", "1,23", "12,5", "1,2,3,4", "12,34.56", "1,0000", "1234,567"])
def test_a_comma_not_between_groups_of_three_digits_is_no_amount(text):
    assert amount(text) is None


@FAST
@given(money(), st.booleans())
def test_a_decimal_comma_file_reads_every_rendering_with_its_marks_swapped(value, commas):
    """'1.234,56' in a decimal-comma file is what '1,234.56' is in a decimal-point file; text in the
    other convention is never read there as a different amount (no text is a valid amount both ways)."""
    points = renderings(value, commas)
    swapped = [text.translate(str.maketrans(",.", ".,")) for text in points]
    rows = CON.execute(f"SELECT s, {parse.amount_sql('s', True)}, {parse.amount_sql('s', False)} "
                       "FROM unnest(?::VARCHAR[]) u(s)", [points + swapped]).fetchall()
    read = {text: (with_commas, with_points) for text, with_commas, with_points in rows}
    for point, comma in zip(points, swapped):
        assert read[comma][0] == value and read[point][1] == value
        assert read[comma][1] in (None, value) and read[point][0] in (None, value)


@FAST
@given(money(), st.booleans())
def test_amount_with_two_negative_marks_or_unbalanced_brackets_is_rejected(value, commas):
    text = plain(value, commas)
    check("tp_amount", [(form.format(text), None) for form in TWO_MINUSES + UNBALANCED])


@settings(FAST, max_examples=examples(50))
@given(st.lists(st.tuples(money(), st.booleans()), min_size=1, max_size=5))
def test_amount_parts_then_value_agrees_with_amount(values):
    texts = [f for v, c in values for f in renderings(v, c)] + ["x", None, "1.234", "(12", "--1"]
    rows = CON.execute(
        "SELECT s, tp_amount(s), tp_amount_value(p) FROM "
        "(SELECT s, tp_amount_parts(s) AS p FROM unnest(?::VARCHAR[]) u(s))", [texts]
    ).fetchall()
    assert len(rows) == len(texts)
    assert [r[1] for r in rows] == [r[2] for r in rows]
    assert sum(r[1] is None for r in rows) == 5


# --------------------------------------------------------------------------- dates

DAY_ONE, LAST_DAY = date(1990, 1, 1), date(2099, 12, 31)
dates = st.dates(min_value=DAY_ONE, max_value=LAST_DAY)
# A two-digit year cannot say which century it means: DuckDB reads 00-68 as 20xx and
# 69-99 as 19xx, so only years 1990-2068 are unambiguous when written as 'yy'.
dates_two_digit_year = st.dates(min_value=DAY_ONE, max_value=date(2068, 12, 31))

EXCEL_DAY_ZERO = date(1899, 12, 30)
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def four_digit_forms(d: date) -> list[str]:
    mon = MONTHS[d.month - 1]
    serial = (d - EXCEL_DAY_ZERO).days
    return [
        d.isoformat(),
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.day}/{d.month}/{d.year}",
        f"{d.day:02d}-{mon[:3]}-{d.year}",
        f"{d.day:02d}-{mon[:3].upper()}-{d.year}",
        f"{d.day} {mon} {d.year}",
        f"{d.day:02d} {mon} {d.year}",
        f"{d.day} {mon[:3]} {d.year}",
        f"{d.isoformat()} 00:00:00",
        f"{d.isoformat()} 13:45:59",
        f"{d.isoformat()}T08:05:00",
        f"{d.day:02d}/{d.month:02d}/{d.year} 00:00:00",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        str(serial),
        f"{serial}.0",
        f" {d.isoformat()} ",
    ]


def two_digit_forms(d: date) -> list[str]:
    yy = f"{d.year % 100:02d}"
    return [
        f"{d.day:02d}/{d.month:02d}/{yy}",
        f"{d.day:02d}-{MONTHS[d.month - 1][:3]}-{yy}",
        f"{d.day:02d}-{d.month:02d}-{yy}",
    ]


@FAST
@given(st.lists(dates, min_size=1, max_size=6))
def test_date_round_trips_every_four_digit_form(days):
    check("tp_date", [(form, d) for d in days for form in four_digit_forms(d)])


@FAST
@given(st.lists(dates_two_digit_year, min_size=1, max_size=6))
def test_date_round_trips_two_digit_year_forms(days):
    check("tp_date", [(form, d) for d in days for form in two_digit_forms(d)])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2018-04-12", date(2018, 4, 12)),
        ("12/04/2018", date(2018, 4, 12)),
        ("12/04/18", date(2018, 4, 12)),  # not the year 18
        ("06-Apr-2011", date(2011, 4, 6)),
        ("30-May-12", date(2012, 5, 30)),
        ("6 April 2011", date(2011, 4, 6)),
        ("2018-04-12 10:30:00", date(2018, 4, 12)),
        ("2018-04-12T10:30:00", date(2018, 4, 12)),
        ("43202", date(2018, 4, 12)),
        ("32874", date(1990, 1, 1)),
        ("01/02/2018", date(2018, 2, 1)),  # day first, as in England
    ],
)
def test_date_examples(text, expected):
    assert tp_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2018", "29/02/2019", "2018-13-01", "2018-02-30", "32/01/2018", "00/01/2018",
        "12/13/2018", "31-Apr-2011", "2018-04-31", "30 Febtember 2018",
        "", " ", None, "not a date", "12/04", "2018", "1234", "123456",
        "01/01/1900", "01/01/1989", "20118",  # typing errors: outside 1990-2100
    ],
)
def test_invalid_dates_are_null(text):
    assert tp_date(text) is None


@FAST
@given(st.lists(st.integers(32874, 73415), min_size=1, max_size=12))  # 1990-01-01 .. 2099-12-31
def test_excel_serial_is_days_since_30_december_1899(serials):
    check("tp_date", [(str(n), EXCEL_DAY_ZERO + timedelta(days=n)) for n in serials])


@FAST
@given(st.lists(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)).filter(
    lambda d: not (1990 <= d.year <= 2100)), min_size=1, max_size=6))
def test_dates_outside_the_plausible_years_are_null(days):
    texts = [d.isoformat() for d in days]
    check("tp_date", [(t, None) for t in texts])
    check("tp_date_any", [(t, d) for t, d in zip(texts, days)])


@FAST
@given(st.lists(dates, min_size=1, max_size=6))
def test_xlsx_cell_text_of_a_date_parses_back(days):
    cells = [v for d in days for v in (d, datetime(d.year, d.month, d.day),
                                       datetime(d.year, d.month, d.day, 14, 30, 5))]
    check("tp_date", [(excel_cell_text(v), v if type(v) is date else v.date()) for v in cells])


# --------------------------------------------------------------------------- fiscal years

@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2018, 3, 31), "2017-18"),
        (date(2018, 4, 1), "2018-19"),
        (date(2019, 3, 31), "2018-19"),
        (date(2019, 4, 1), "2019-20"),
        (date(1999, 4, 1), "1999-00"),
        (date(2000, 3, 31), "1999-00"),
        (date(2000, 4, 1), "2000-01"),
        (date(2009, 4, 1), "2009-10"),
        (date(2011, 1, 1), "2010-11"),
        (date(2011, 12, 31), "2011-12"),
    ],
)
def test_fiscal_year_boundaries(d, expected):
    assert fiscal_year(d) == expected


def fiscal_years(days: list[date]) -> dict:
    rows = CON.execute("SELECT d, tp_fiscal_year(d) FROM unnest(?::DATE[]) u(d)", [days]).fetchall()
    return dict(rows)


@FAST
@given(st.lists(dates, min_size=1, max_size=12))
def test_fiscal_year_property(days):
    got = fiscal_years(days)
    for d in days:
        start = d.year if d.month >= 4 else d.year - 1
        assert got[d] == f"{start}-{(start + 1) % 100:02d}", d


def test_fiscal_year_changes_exactly_between_31_march_and_1_april():
    years = range(1990, 2100)
    got = fiscal_years([date(y, 3, 31) for y in years] + [date(y, 4, 1) for y in years])
    for year in years:
        assert got[date(year, 3, 31)] == f"{year - 1}-{year % 100:02d}"
        assert got[date(year, 4, 1)] == f"{year}-{(year + 1) % 100:02d}"


def test_fiscal_year_of_null_is_null():
    assert CON.execute("SELECT tp_fiscal_year(NULL::DATE)").fetchone()[0] is None


# --------------------------------------------------------------------------- likely format

def _column(con, values: list[str | None]) -> str:
    con.execute("CREATE OR REPLACE TEMP TABLE t (i INTEGER, d VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    return "t"


@pytest.fixture
def con():
    connection = duckdb.connect()
    macros.install(connection)
    yield connection
    connection.close()


@pytest.mark.parametrize(
    "render, expected_form",
    [
        (lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}", "%d/%m/%Y"),
        (lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}", "%d/%m/%y"),
        (lambda d: d.isoformat(), "%Y-%m-%d"),
        (lambda d: f"{d.day:02d}-{MONTHS[d.month - 1][:3]}-{d.year}", "%d-%b-%Y"),
        (lambda d: f"{d.day:02d}-{MONTHS[d.month - 1][:3]}-{d.year % 100:02d}", "%d-%b-%y"),
        (lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}", "%d %B %Y"),
        (lambda d: f"{d.isoformat()} 10:11:12", "%Y-%m-%d %H:%M:%S"),
    ],
)
def test_likely_date_format_picks_the_form_and_others_still_parse(con, render, expected_form):
    days = [date(2011, 4, 1) + timedelta(days=7 * i) for i in range(60)]
    # The last five rows are written in other forms, or are not dates at all.
    odd = {
        55: ("2012-06-01", date(2012, 6, 1)),
        56: ("30-May-12", date(2012, 5, 30)),
        57: ("41061", date(2012, 6, 1)),
        58: ("not a date", None),
        59: (None, None),
    }
    values = [odd[i][0] if i in odd else render(d) for i, d in enumerate(days)]
    expected = [odd[i][1] if i in odd else d for i, d in enumerate(days)]
    table = _column(con, values)
    form = parse.likely_date_format(con, table, "d")
    assert form == expected_form
    got = [r[0] for r in con.execute(f"SELECT {parse.date_sql('d', form)} FROM {table} ORDER BY i").fetchall()]
    assert got == expected


def test_likely_date_format_is_none_when_nothing_is_a_date(con):
    table = _column(con, ["n/a", "", None, "12345678", "soon"])
    assert parse.likely_date_format(con, table, "d") is None
    assert "tp_date_any" in parse.date_sql("d", None)
    got = [r[0] for r in con.execute(f"SELECT {parse.date_sql('d', None)} FROM {table} ORDER BY i").fetchall()]
    assert got == [None] * 5


def test_date_sql_without_a_likely_form_still_parses_every_form(con):
    values = ["2018-04-12", "12/04/2018", "12/04/18", "06-Apr-2011", "30-May-12", "6 April 2011", "43202"]
    table = _column(con, values)
    got = [r[0] for r in con.execute(f"SELECT {parse.date_sql('d', None)} FROM {table} ORDER BY i").fetchall()]
    assert got == [date(2018, 4, 12), date(2018, 4, 12), date(2018, 4, 12), date(2011, 4, 6),
                   date(2012, 5, 30), date(2011, 4, 6), date(2018, 4, 12)]


@FAST
@given(st.lists(dates_two_digit_year, min_size=1, max_size=12), st.sampled_from(macros.DATE_FORMATS))
def test_date_sql_with_any_likely_form_still_parses_every_form(days, form):
    # Whatever form is guessed, a row written in another form must still give its own date.
    expected = {t: d for d in days for t in four_digit_forms(d) + two_digit_forms(d)}
    rows = CON.execute(
        f"SELECT s, {parse.date_sql('s', form)} FROM unnest(?::VARCHAR[]) u(s)", [list(expected)]
    ).fetchall()
    wrong = {s: (got, expected[s]) for s, got in rows if got != expected[s]}
    assert not wrong, f"likely form {form!r}; text: (parsed, expected): {wrong}"
