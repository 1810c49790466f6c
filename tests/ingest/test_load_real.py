"""The real shipped files: every row and every penny accounted for."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from decimal import Decimal

import pytest
from support.data import SPEND, write_csv

from totalplace.errors import InputError
from totalplace.ingest import load
from totalplace.ingest.sources import decode
from totalplace.store.connection import connect


def independent_file_sum(path) -> tuple[int, Decimal]:
    """Rows with any value, and the sum of their amounts, read with the csv module alone."""
    text, _ = decode(path.read_bytes())
    records = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower().replace(" ", "") for h in records[0]]
    amount_at = header.index("netamount")
    rows, total = 0, Decimal(0)
    for record in records[1:]:
        if not any(cell.strip() for cell in record):
            continue
        rows += 1
        cell = record[amount_at].strip().replace(",", "").replace("£", "")
        if cell:
            total += Decimal(cell)
    return rows, total


def test_every_file_balances_against_an_independent_sum(real_place, real_con):
    _, result = real_place
    files = {r[0]: r[1:] for r in real_con.execute(
        "SELECT path, rows_read, rows_loaded, rows_rejected, money_read, money_loaded, money_rejected "
        "FROM source_file").fetchall()}
    raw_files = sorted(SPEND.glob("*/*.csv"))
    assert len(files) == len(raw_files) == 35
    for path in raw_files:
        agency = "leeds-council" if path.parent.name == "leeds" else "bradford-council"
        rows_read, rows_loaded, rows_rejected, money_read, money_loaded, money_rejected = files[
            f"agencies/{agency}/{path.name}"]
        raw_rows, raw_money = independent_file_sum(path)
        assert rows_read == rows_loaded + rows_rejected == raw_rows, path.name
        assert money_read == money_loaded + money_rejected == raw_money, path.name


def test_store_tables_agree_with_the_file_accounts(real_con):
    mismatches = real_con.execute(
        """SELECT f.path FROM source_file f
           LEFT JOIN (SELECT file_id, count(*) n, sum(amount) m FROM spend_line GROUP BY 1) s USING (file_id)
           LEFT JOIN (SELECT file_id, count(*) n, coalesce(sum(amount), 0) m FROM rejected_row GROUP BY 1) r
             USING (file_id)
           WHERE s.n <> f.rows_loaded OR s.m <> f.money_loaded
              OR coalesce(r.n, 0) <> f.rows_rejected OR coalesce(r.m, 0) <> f.money_rejected"""
    ).fetchall()
    assert mismatches == []


def test_leeds_total_rows_are_rejected_with_their_text(real_con):
    rows = real_con.execute(
        """SELECT f.path, r.column_name, r.reason, r.raw_text, r.amount FROM rejected_row r
           JOIN source_file f USING (file_id) ORDER BY f.path"""
    ).fetchall()
    assert {r[0].split("/")[-1] for r in rows} == {
        "2011-12.csv", "2012-05.csv", "2012-08.csv", "2012-12.csv", "2013-01.csv", "2013-02.csv"}
    for path, column, reason, raw_text, amount in rows:
        assert column in ("Date paid", "DatePaid")
        assert "total row" in reason
        assert f"{amount:.2f}" in raw_text
    # a total row repeats its file's payments: its amount is their sum
    check = real_con.execute(
        """SELECT r.amount, (SELECT sum(amount) FROM spend_line s WHERE s.file_id = r.file_id)
           FROM rejected_row r"""
    ).fetchall()
    assert all(total == lines for total, lines in check)


def test_leeds_rows_with_a_stray_trailing_comma_load(real_con):
    # 2012-04 ends 2,912 of its lines with an extra empty cell
    loaded, rejected = real_con.execute(
        "SELECT rows_loaded, rows_rejected FROM source_file WHERE path LIKE '%leeds-council/2012-04.csv'"
    ).fetchall()[0]
    assert (loaded, rejected) == (10177, 0)


def test_row_numbers_point_at_the_source_line(real_con):
    path, row_number, supplier, amount = real_con.execute(
        """SELECT f.path, s.row_number, s.supplier_name, s.amount FROM spend_line s JOIN source_file f USING (file_id)
           WHERE f.path LIKE '%bradford-council/2018-04.csv' ORDER BY s.row_number LIMIT 1 OFFSET 500"""
    ).fetchall()[0]
    text, _ = decode((SPEND / "bradford" / "2018-04.csv").read_bytes())
    line = text.splitlines()[row_number - 1]
    assert supplier in line and f"{amount:.2f}" in line


def test_encodings_are_read_right(real_con):
    # Bradford's files are Windows-1252: the apostrophe in Children's must survive
    labels = {r[0] for r in real_con.execute(
        "SELECT DISTINCT service_label FROM spend_line WHERE agency_id = 'bradford-council'").fetchall()}
    assert "Children's Services" in labels
    encodings = dict(real_con.execute(
        "SELECT encoding, count(*) FROM source_file GROUP BY 1").fetchall())
    assert encodings == {"utf-8": 20, "windows-1252": 15}


def test_reloading_the_same_files_changes_nothing(real_place, real_con):
    from totalplace.ingest.load import ingest

    workspace, _ = real_place
    before = real_con.execute("SELECT count(*), sum(amount) FROM spend_line").fetchall()
    real_con.close()
    again = ingest(workspace)
    assert all(r.outcome.startswith("unchanged") for r in again.files)
    from totalplace.store.connection import connect

    con = connect(workspace, read_only=True)
    assert con.execute("SELECT count(*), sum(amount) FROM spend_line").fetchall() == before
    con.close()


# Ingest in pieces: files are committed into a pending file as they load, and
# published in one transaction. These use small files in a temp workspace.

SMALL_HEADER = "Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name\n"


def _store_state(workspace):
    con = connect(workspace, read_only=True)
    try:
        return (
            con.execute("SELECT file_id, path, sha256 FROM source_file ORDER BY 1").fetchall(),
            con.execute("SELECT count(*), coalesce(sum(amount), 0) FROM spend_line").fetchall(),
            con.execute("SELECT count(*) FROM classification").fetchall(),
        )
    finally:
        con.close()


def test_a_failure_after_pending_commits_leaves_the_store_as_it_was(small_place, monkeypatch):
    folder = small_place.agency_dir("bradford-council")
    write_csv(folder / "a.csv", SMALL_HEADER + "Adult Services,Residential Care,2018-04-12,1,10.00,A LTD\n")
    load.ingest(small_place)
    before = _store_state(small_place)
    monkeypatch.setattr(load, "COMMIT_ROWS", 1)  # commit the pending work after every file
    write_csv(folder / "a.csv", SMALL_HEADER + "Adult Services,Residential Care,2018-04-12,1,11.00,A LTD\n")
    write_csv(folder / "b.csv", SMALL_HEADER + "Adult Services,Residential Care,2018-05-12,2,99.00,B LTD\n")
    write_csv(folder / "c.csv", "Colour,Shape\nred,square\n")
    with pytest.raises(InputError, match=r"c\.csv: cannot find"):
        load.ingest(small_place)
    # the edited a.csv was not dropped, b.csv not added, and no pending file is left behind
    assert _store_state(small_place) == before
    assert sorted(p.name for p in small_place.store_path.parent.iterdir()) == [small_place.store_path.name]


def test_an_ingest_in_many_commits_publishes_every_file_once(small_place, monkeypatch):
    folder = small_place.agency_dir("bradford-council")
    monkeypatch.setattr(load, "COMMIT_ROWS", 2)
    for month in range(4, 10):
        write_csv(folder / f"{month:02d}.csv", SMALL_HEADER + "".join(
            f"Adult Services,Residential Care,2018-{month:02d}-{day:02d},{month}{day},{day}.50,S{day} LTD\n"
            for day in range(1, 4)))
    write_csv(folder / "copy.csv", (folder / "05.csv").read_text())  # same content: loaded once
    result = load.ingest(small_place)
    assert [r.outcome for r in result.files][-1] == "unchanged (same content as agencies/bradford-council/05.csv)"
    files, totals, classified = _store_state(small_place)
    assert [f[0] for f in files] == [1, 2, 3, 4, 5, 6]
    assert totals == [(18, Decimal("6") * (Decimal("1.50") + Decimal("2.50") + Decimal("3.50")))]
    assert classified == [(18,)]


def test_a_pending_file_left_by_a_crash_is_cleared(small_place):
    folder = small_place.agency_dir("bradford-council")
    write_csv(folder / "a.csv", SMALL_HEADER + "Adult Services,Residential Care,2018-04-12,1,10.00,A LTD\n")
    leftover = small_place.store_path.with_name(small_place.store_path.name + ".pending")
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half-written by a run that was killed")
    load.ingest(small_place)
    assert not leftover.exists()
    assert _store_state(small_place)[1] == [(1, Decimal("10.00"))]


def _every_row(workspace) -> dict[str, list]:
    """All that an ingest stores, but the time each file was loaded."""
    con = connect(workspace, read_only=True)
    try:
        return {
            "source_file": con.execute("SELECT * EXCLUDE (loaded_at) FROM source_file ORDER BY file_id").fetchall(),
            "spend_line": con.execute("SELECT * FROM spend_line ORDER BY line_id").fetchall(),
            "rejected_row": con.execute("SELECT * FROM rejected_row ORDER BY file_id, row_number").fetchall(),
        }
    finally:
        con.close()


def test_pending_tables_are_in_memory_only_for_an_ingest_of_one_commit_and_the_store_is_the_same(
        make_workspace, monkeypatch):
    files = {
        "agencies/bradford-council/a.csv":
            SMALL_HEADER + "Adult Services,Residential Care,2018-04-12,1,10.00,A LTD\n"
                           ",,,,,\nAdult Services,Residential Care,2018-04-13,2,ten pounds,B LTD\n",
        "agencies/bradford-council/b.csv":
            SMALL_HEADER + "Highways,Repairs,12/05/2018,3,\"1,250.50\",LEEDS CITY COUNCIL\n",
    }
    records = 4  # the blank row is read as a record too
    choices: list[tuple[bool, bool]] = []  # (in memory, a pending file beside the store) of each ingest
    real_pending_tables = load.pending_tables

    @contextmanager
    def watched(con, workspace, tables, in_memory=False):
        with real_pending_tables(con, workspace, tables, in_memory) as prefix:
            pending_file = workspace.store_path.with_name(workspace.store_path.name + ".pending")
            choices.append((in_memory, pending_file.exists()))
            yield prefix

    monkeypatch.setattr(load, "pending_tables", watched)
    stores = []
    for commit_rows in (records + 1, records):  # one batch either way; only the second reaches COMMIT_ROWS
        monkeypatch.setattr(load, "COMMIT_ROWS", commit_rows)
        workspace = make_workspace(files=files, load=True)
        stores.append(_every_row(workspace))
    assert choices == [(True, False), (False, True)]
    assert stores[0] == stores[1]
    assert [len(rows) for rows in stores[0].values()] == [2, 2, 1]


def test_files_of_one_layout_written_with_different_date_forms_are_parsed_together_each_in_its_form(
        small_place, monkeypatch):
    folder = small_place.agency_dir("bradford-council")
    write_csv(folder / "a.csv", SMALL_HEADER + "Adult Services,Residential Care,12/04/2018,1,10.00,A LTD\n"
                                               "Adult Services,Residential Care,2018-04-13,2,11.00,A LTD\n"
                                               "Adult Services,Residential Care,16/04/2018,5,14.00,A LTD\n")
    write_csv(folder / "b.csv", SMALL_HEADER + "Adult Services,Residential Care,14-May-18,3,12.00,B LTD\n")
    write_csv(folder / "c.csv", SMALL_HEADER + "Adult Services,Residential Care,,4,13.00,C LTD\n")
    forms_tried: list[str | None] = []
    real_date_sql = load.parse.date_sql

    def watched(column: str, likely_form: str | None, month_first: bool = False) -> str:
        forms_tried.append(likely_form)
        return real_date_sql(column, likely_form, month_first)

    monkeypatch.setattr(load.parse, "date_sql", watched)
    staged: list[int] = []
    real_stage_rows = load._stage_rows
    monkeypatch.setattr(load, "_stage_rows", lambda con, reads, *sql: staged.append(len(reads))
                        or real_stage_rows(con, reads, *sql))
    load.ingest(small_place)
    assert staged == [3]  # one staging query for the three files
    assert sorted(forms_tried, key=str) == ["%d-%b-%y", "%d/%m/%Y", None]  # c.csv has no date to go by
    con = connect(small_place, read_only=True)
    try:
        dates = con.execute("SELECT transaction_ref, payment_date::VARCHAR FROM spend_line ORDER BY 1").fetchall()
        rejected = con.execute("SELECT reason FROM rejected_row").fetchall()
    finally:
        con.close()
    assert dates == [("1", "2018-04-12"), ("2", "2018-04-13"), ("3", "2018-05-14"), ("5", "2018-04-16")]
    assert rejected == [("the date is blank",)]
