"""Counting, classifying, coverage and tracing on the real shipped files."""

from __future__ import annotations

from decimal import Decimal

from totalplace.classify import summary
from totalplace.count import bottomup, coverage


def test_the_missing_leeds_month_is_a_gap_not_zero(real_con):
    months = {(m.agency_id, m.month): m for m in coverage.month_coverage(real_con)}
    gap = months[("leeds-council", "2011-08")]
    assert gap.gap and gap.files == 0
    assert [k for k, m in months.items() if m.gap] == [("leeds-council", "2011-08")]
    assert not months[("leeds-council", "2011-09")].gap
    bradford = [m for (a, _), m in months.items() if a == "bradford-council"]
    assert [m.month for m in bradford] == [f"2018-{n:02d}" for n in range(4, 13)] + ["2019-01", "2019-02", "2019-03"]


def test_payments_sharing_only_a_reference_and_an_amount_are_not_duplicates(real_con):
    """Leeds reuses transaction numbers across its files: 1112-06124 for £450 is an insurance claim paid on
    3 November 2011 and a training course from Ohs Ltd paid on 23 December, two payments. A duplicate is the
    same payment in two files: the same date and supplier too (see tests/ingest/test_load_faults.py for real ones)."""
    same_reference = real_con.execute(
        """SELECT transaction_ref, amount, count(DISTINCT payment_date), count(DISTINCT supplier_name)
           FROM spend_line WHERE transaction_ref IN ('1112-06124', '1112-03597') GROUP BY 1, 2 ORDER BY 1""").fetchall()
    assert same_reference == [("1112-03597", Decimal("450.00"), 2, 2), ("1112-06124", Decimal("450.00"), 2, 2)]
    assert coverage.likely_duplicates(real_con) == []


def test_default_rules_classify_at_least_95_percent_of_each_council(real_con):
    shares = {s.agency_id: s.share for s in summary.classified_shares(real_con)}
    assert set(shares) == {"leeds-council", "bradford-council"}
    assert all(share >= 0.95 for share in shares.values()), shares


def test_unclassified_labels_are_listed_largest_first(real_con):
    labels = summary.unclassified_labels(real_con, limit=20)
    amounts = [abs(u.amount) for u in labels]
    assert amounts == sorted(amounts, reverse=True)
    total = real_con.execute(
        "SELECT sum(amount) FROM spend_line WHERE theme IS NULL").fetchall()[0][0]
    everything = summary.unclassified_labels(real_con, limit=100000)
    assert sum((u.amount for u in everything), Decimal(0)) == total


def test_count_by_every_dimension_adds_up_to_the_same_total(real_place, real_con):
    workspace, _ = real_place
    totals = {by: bottomup.count(real_con, workspace, by, "2012-13").total for by in bottomup.DIMENSIONS}
    assert len(set(totals.values())) == 1
    raw = real_con.execute(
        "SELECT sum(amount) FROM spend_line WHERE fiscal_year = '2012-13'").fetchall()[0][0]
    theme = bottomup.count(real_con, workspace, "theme", "2012-13")
    passing = real_con.execute("SELECT sum(amount) FROM spend_line WHERE fiscal_year = '2012-13' AND pass_through "
                               "IS NOT NULL AND (counterpart_agency IS NULL OR counterpart_agency = agency_id)"
                               ).fetchall()[0][0]
    assert theme.pass_through == passing > 0
    assert totals["theme"] + theme.within_count_transfers + passing == raw


def test_per_head_uses_the_interpolated_census(real_place, real_con):
    workspace, _ = real_place
    result = bottomup.count(real_con, workspace, "agency", "2018-19")
    # both councils' areas make the place; Bradford's money only in 2018-19
    assert result.population.value == round(
        751485 + (811200 - 751485) * 2745 / 3647 + 522452 + (545300 - 522452) * 2745 / 3647)
    assert result.per_head == (result.total / result.population.value).quantize(Decimal("0.01"))


def test_trace_returns_the_rows_behind_a_figure(real_place, real_con):
    workspace, _ = real_place
    result = bottomup.count(real_con, workspace, "theme", "2018-19")
    figure = next(r for r in result.rows if r.key == "Drugs and alcohol")
    lines, total, n = bottomup.trace(real_con, "theme", "Drugs and alcohol", "2018-19")
    assert total == figure.amount and n == figure.lines == len(lines)
    assert sum((t.amount for t in lines), Decimal(0)) == figure.amount
    assert all(t.path.startswith("agencies/") and t.row_number >= 2 and t.rule_id for t in lines)


def test_payments_to_public_bodies_are_flagged_by_kind(real_con):
    kinds = dict(real_con.execute(
        """SELECT c.transfer_kind, count(*) FROM spend_line s JOIN classification c USING (line_id)
           WHERE c.transfer_kind IS NOT NULL GROUP BY 1""").fetchall())
    assert {"nhs", "police", "council", "school", "central_government"} <= set(kinds)
    flagged = dict(real_con.execute(
        """SELECT s.supplier_name, c.transfer_kind FROM spend_line s JOIN classification c USING (line_id)
           WHERE s.supplier_name IN ('BRADFORD DISTRICT CARE NHS FOUNDATI', 'WEST YORKSHIRE POLICE AUTHORITY')
           GROUP BY ALL""").fetchall())
    assert flagged == {"BRADFORD DISTRICT CARE NHS FOUNDATI": "nhs", "WEST YORKSHIRE POLICE AUTHORITY": "police"}


def test_money_between_two_agencies_of_the_count_is_counted_once(real_place, real_con):
    workspace, _ = real_place
    paid_between = real_con.execute(
        """SELECT coalesce(sum(s.amount), 0) FROM spend_line s JOIN classification c USING (line_id)
           WHERE c.counterpart_agency IS NOT NULL AND c.counterpart_agency <> s.agency_id""").fetchall()[0][0]
    assert paid_between > 0, "Leeds and Bradford pay each other"
    result = bottomup.count(real_con, workspace, "agency", "all")
    everything = real_con.execute("SELECT sum(amount) FROM spend_line").fetchall()[0][0]
    passing = real_con.execute("SELECT sum(amount) FROM spend_line WHERE pass_through IS NOT NULL AND "
                               "(counterpart_agency IS NULL OR counterpart_agency = agency_id)").fetchall()[0][0]
    assert result.within_count_transfers == paid_between
    assert result.total == everything - paid_between - passing


def test_a_count_cut_by_agency_is_that_agencys_part_of_the_whole(real_place, real_con):
    """Cuts narrow a count and a trace by another dimension (the web's drill-down and an analyst's view):
    the cut counts of the two councils add up, key by key, to the whole count, each trace stays in its agency,
    and its sum is the cut count's figure."""
    workspace, _ = real_place
    whole = bottomup.count(real_con, workspace, "theme", "all")
    parts = {agency: bottomup.count(real_con, workspace, "theme", "all", cuts={"agency": agency})
             for agency in ("leeds-council", "bradford-council")}
    assert parts["leeds-council"].total + parts["bradford-council"].total == whole.total
    assert 0 < parts["bradford-council"].total < whole.total
    both = {}
    for part in parts.values():
        for row in part.rows:
            both[row.key] = both.get(row.key, Decimal(0)) + row.amount
    assert both == {row.key: row.amount for row in whole.rows}
    figure = parts["leeds-council"].rows[0]
    lines, total, n = bottomup.trace(real_con, "theme", figure.key, "2018-19", cuts={"agency": "leeds-council"})
    assert (lines, total, n) == ([], 0, 0)
    lines, total, n = bottomup.trace(real_con, "theme", figure.key, "all", limit=3, cuts={"agency": "leeds-council"})
    assert total == figure.amount and n == figure.lines and len(lines) == 3
    assert {line.agency_id for line in lines} == {"leeds-council"}
    # A cut is never overridden by the figure asked for: another agency's figure under an agency's cut is empty.
    assert bottomup.trace(real_con, "agency", "leeds-council", "all", cuts={"agency": "bradford-council"})[2] == 0
