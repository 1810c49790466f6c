"""Pseudonymisation: the keyed hash itself, the key's rules, and the proof that raw identifiers never reach the store."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st
from support.properties import examples
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.deepdive import cohorts
from totalplace.deepdive.pseudonym import KEY_ENV, Pseudonymiser, load_key, show
from totalplace.errors import InputError

KEY = b"0123456789abcdef-test-key-0123456789"


# The documented rule: spaces and dashes (any Unicode dash, the minus sign) removed, then upper-cased.
SEPARATORS = r"[\s\-\u2010-\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d]+"


def expected(domain: str, identifier: str, key: bytes = KEY) -> int:
    """The pseudonym computed independently with the standard library, from the documented rule."""
    normal = re.sub(SEPARATORS, "", identifier).upper()
    digest = hmac.new(key, f"{domain}:{normal}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def test_pseudonyms_are_hmac_sha256_of_the_normalised_identifier():
    hashed = Pseudonymiser(KEY).column("person", pa.array(["943 476 5919", "9434765919", " ab12 ", "", None]))
    values = hashed.to_pylist()
    assert values[0] == values[1] == expected("person", "9434765919")
    assert values[2] == expected("person", "AB12")
    assert values[3] is None and values[4] is None  # blank ids are not hashed: the row is rejected
    assert show(values[0]) == expected("person", "9434765919").to_bytes(8, "big", signed=True).hex()


def test_domains_and_keys_give_different_pseudonyms():
    ids = pa.array(["P1"])
    person = Pseudonymiser(KEY).column("person", ids)[0].as_py()
    household = Pseudonymiser(KEY).column("household", ids)[0].as_py()
    other_key = Pseudonymiser(KEY + b"x").column("person", ids)[0].as_py()
    assert len({person, household, other_key}) == 3


@settings(max_examples=examples(100), deadline=None)
@given(st.binary(min_size=16, max_size=200), st.text(max_size=40))
def test_keys_of_any_length_give_the_standard_hmac(key, identifier):
    """The key's HMAC states are set up once; keys shorter and longer than SHA-256's block hash as hmac does."""
    if re.sub(SEPARATORS, "", identifier):  # blank once spaces and dashes go: no pseudonym
        hashed = Pseudonymiser(key).column("household", pa.array([identifier])).to_pylist()
        assert hashed == [expected("household", identifier, key)]


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.text(alphabet="ABCdef0123456789 -", max_size=12), max_size=30))
def test_column_matches_one_by_one_hashing(identifiers):
    hashed = Pseudonymiser(KEY).column("person", pa.array(identifiers, pa.string())).to_pylist()
    for raw, value in zip(identifiers, hashed):
        blank = not re.sub(SEPARATORS, "", raw)
        assert value == (None if blank else expected("person", raw))


def test_no_key_is_refused(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(InputError, match=f"no pseudonymisation key: set {KEY_ENV} or give --key-file"):
        load_key(None)


def test_short_key_and_key_inside_the_workspace_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(InputError, match="at least 16"):
        load_key(None)
    inside = tmp_path / "ws" / "key.txt"
    inside.parent.mkdir()
    inside.write_bytes(KEY)
    with pytest.raises(InputError, match="outside the workspace"):
        load_key(inside, tmp_path / "ws")
    outside = tmp_path / "key.txt"
    outside.write_bytes(KEY + b"\n")
    assert load_key(outside, tmp_path / "ws") == KEY


# ---- the proof: load known identifiers, then search everything written for them ----------------

PEOPLE = [f"QX{n:04d}ZK{n * 7919 % 10000:04d}" for n in range(40)]  # distinctive, so a byte search cannot miss them
HOUSEHOLDS = [f"HHQ{n:03d}WV{n * 31:05d}" for n in range(10)]
NAMES = [f"Zebedee{n:02d} Quarterman" for n in range(40)]
CONTROLS = [f"svcCTRL{n:02d}MARK{n * 13:04d}" for n in range(40)]  # stored values, to show the search can find text


def _write_events(root: Path) -> None:
    folder = root / "cohort" / "council-social-care"
    folder.mkdir(parents=True)
    lines = ["person id,household id,name,date,service,cost"]
    for n, (person, name, control) in enumerate(zip(PEOPLE, NAMES, CONTROLS)):
        lines.append(f"{person},{HOUSEHOLDS[n % 10]},{name},2023-05-{n % 28 + 1:02d},{control},{100 + n}.50")
    lines.append(f"{PEOPLE[0]},{HOUSEHOLDS[0]},{NAMES[0]},not a date,{CONTROLS[0]},12.00")  # rejected: bad date
    lines.append(f"{PEOPLE[1]},{HOUSEHOLDS[1]},{NAMES[1]},2023-06-01,{CONTROLS[1]},12.00,{PEOPLE[2]}")  # too many cells
    (folder / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    nhs = root / "cohort" / "nhs"
    nhs.mkdir()
    (nhs / "events.csv").write_text("person,date,service,cost\n" + "".join(
        f"{p[:4]} {p[4:]},2023-07-01,GP appointment,42.00\n" for p in PEOPLE[:20]), encoding="utf-8")


def _written_files(root: Path) -> list[Path]:
    """Every file the software wrote: everything in the workspace but the input event files."""
    return [p for p in root.rglob("*") if p.is_file() and "cohort" not in p.relative_to(root).parts]


def test_raw_identifiers_never_reach_the_store_or_any_file_written(make_workspace, monkeypatch):
    ws = make_workspace()
    _write_events(ws.root)
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    result = cohorts.load(ws, KEY)
    assert sum(f.rows_rejected for f in result.files) == 2 and result.people == 40
    runner = CliRunner()
    output = ws.output_dir
    for command in (["summary"], ["rejects", "-f", "csv", "-o", f"{output}/rejects.csv"],
                    ["status", "-f", "json", "-o", f"{output}/status.json"],
                    ["concentration", "--chart", f"{output}/curve.svg", "-f", "xlsx", "-o", f"{output}/curve.xlsx"],
                    ["top", "-f", "csv", "-o", f"{output}/top.csv"]):
        assert runner.invoke(app, ["cohort", *command, "-w", str(ws.root)]).exit_code == 0

    secrets = PEOPLE + HOUSEHOLDS + NAMES + [p[:4] + " " + p[4:] for p in PEOPLE[:20]]
    # 1. every text cell of every table of the store
    con = duckdb.connect(str(ws.store_path), read_only=True)
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    dump = "\n".join(str(row) for t in tables for row in con.execute(f"SELECT * FROM {t}").fetchall())
    con.close()
    assert "cohort_event" in tables and "cohort_rejected_row" in tables
    assert [s for s in secrets if s in dump] == []
    assert CONTROLS[5] in dump and "pseudonym:" in dump  # the dump holds the rows: the search can succeed
    # 2. the raw bytes of the database and every other file written in the workspace
    written = _written_files(ws.root)
    assert ws.store_path in written and any(p.suffix == ".svg" for p in written)
    blob = b"".join(p.read_bytes() for p in written)
    assert [s for s in secrets if s.encode() in blob] == []
    assert sum(c.encode() in blob for c in CONTROLS) >= 30  # stored text is findable in the bytes


def test_rejected_rows_keep_pseudonyms_not_identifiers(make_workspace):
    ws = make_workspace()
    _write_events(ws.root)
    cohorts.load(ws, KEY)
    con = duckdb.connect(str(ws.store_path), read_only=True)
    rejected = cohorts.rejections(con)
    con.close()
    by_reason = {r[3]: r for r in rejected}
    bad_date = by_reason["'not a date' is not a date in a form this tool reads"]
    assert bad_date[1] == 42 and bad_date[2] == "date"  # header is row 1; the 41st data row
    assert bad_date[4] == (f"pseudonym:{show(expected('person', PEOPLE[0]))},"
                           f"pseudonym:{show(expected('household', HOUSEHOLDS[0]))},(not read),not a date,"
                           f"{CONTROLS[0]},12.00")
    overflow = by_reason["the row has more values than the file has columns"]
    assert overflow[1] == 43 and overflow[4].startswith("(withheld")


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("aZ09-\t\n\x0b\x0c\r\x1c\x1f \xa0\u2003ßéÿ\u0130\u2013\u2212"), max_size=8),
                max_size=20), st.booleans())
def test_any_text_is_normalised_by_python_rules(identifiers, ascii_only):
    """Arrow normalises ASCII columns; any other column goes through Python: both give the documented pseudonym."""
    if ascii_only:
        identifiers = [i for i in identifiers if i.isascii()]
    pseudonymiser = Pseudonymiser(KEY)
    hashed = pseudonymiser.column("household", pa.array(identifiers, pa.string())).to_pylist()
    for raw, value in zip(identifiers, hashed):
        assert value == (None if not re.sub(SEPARATORS, "", raw) else expected("household", raw))
    assert all(pseudonymiser.pseudonym("household", re.sub(SEPARATORS, "", raw).upper()) == value
               for raw, value in zip(identifiers, hashed) if value is not None)


def test_a_chunked_column_and_repeated_calls_give_the_same_pseudonyms():
    pseudonymiser = Pseudonymiser(KEY)
    chunked = pa.chunked_array([["P1", "p 2"], ["P2", "", "P1"]])
    first = pseudonymiser.column("person", chunked).to_pylist()
    again = pseudonymiser.column("person", pa.array(["P2", "P1"])).to_pylist()
    assert first == [expected("person", "P1"), expected("person", "P2"), expected("person", "P2"), None,
                     expected("person", "P1")]
    assert again == [first[1], first[0]]
