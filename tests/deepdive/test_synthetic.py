"""The synthetic cohort generator: reproducible, heavy-tailed, real households, several agencies, labelled."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

import pytest

from totalplace.deepdive import cohort_report as figures
from totalplace.deepdive import cohorts, synthetic
from totalplace.errors import InputError

KEY = b"synthetic-test-key-0123456789abcdef"


def _plain(identifier: str) -> str:
    """An identifier as it links: spaces and dashes set aside, upper case."""
    return identifier.replace(" ", "").replace("-", "").upper()


def _person(row: dict) -> str:
    return _plain(row.get("NHS number") or row["person id"])


def _rows(folder):
    for path in sorted(folder.rglob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                yield path.parent.name, row


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth") / "cohort"
    result = synthetic.generate(folder, 2000, ["2023-24"], seed=7)
    return folder, result, list(_rows(folder))


def test_same_seed_same_files_other_seed_other_files(tmp_path, cohort):
    folder, result, _ = cohort
    again = synthetic.generate(tmp_path / "again", 2000, ["2023-24"], seed=7)
    synthetic.generate(tmp_path / "other", 2000, ["2023-24"], seed=8)
    for path in result.files:
        relative = path.relative_to(folder)
        assert (tmp_path / "again" / relative).read_bytes() == path.read_bytes()
    assert (tmp_path / "other" / "nhs" / "events-2023-24.csv").read_bytes() != (folder / "nhs" / "events-2023-24.csv").read_bytes()
    assert again.events == result.events


def test_several_agencies_and_events_per_person_as_asked(cohort):
    folder, result, rows = cohort
    assert {agency for agency, _ in rows} == {a.id for a in synthetic.AGENCIES}
    assert len(rows) == result.events
    assert 0.85 * 20 * 2000 < result.events < 1.15 * 20 * 2000  # the mean asked for, 20 per person
    assert all(row["date"].startswith(("2023-", "2024-0")) for _, row in rows)


def test_households_are_real_groupings(cohort):
    _folder, _result, rows = cohort
    homes = defaultdict(set)
    members = defaultdict(set)
    for _agency, row in rows:
        if row.get("household id"):
            homes[_person(row)].add(_plain(row["household id"]))
            members[_plain(row["household id"])].add(_person(row))
    assert all(len(h) == 1 for h in homes.values())  # a person is in one household in every file
    sizes = [len(m) for m in members.values()]
    assert max(sizes) <= 6 and sum(s >= 2 for s in sizes) > len(sizes) / 3


def test_costs_are_heavy_tailed(cohort):
    _folder, _result, rows = cohort
    per_person = defaultdict(Decimal)
    for _agency, row in rows:
        per_person[_person(row)] += Decimal(row["cost"])
    costs = sorted(per_person.values(), reverse=True)
    top = sum(costs[: len(costs) // 20])
    assert top / sum(costs) > Decimal("0.3")  # the top 5% of people cost over 30% (a normal spread: about 10%)
    assert costs[0] > 10 * costs[len(costs) // 2]


def test_loaded_synthetic_cohort_links_spaced_nhs_numbers_and_is_labelled(make_workspace):
    ws = make_workspace()
    synthetic.generate(ws.root / "cohort", 500, ["2023-24"], seed=3)
    distinct = {_person(row) for _a, row in _rows(ws.root / "cohort")}
    result = cohorts.load(ws, KEY)
    assert result.people == len(distinct)  # NHS '900 000 0009', police '900-000-0009', others' '9000000009': one
    assert sum(f.rows_rejected for f in result.files) == 0
    con = figures.open_cohort(ws)
    table = figures.summary(con, ws, "all")
    con.close()
    assert table.title.startswith("SYNTHETIC cohort: ")
    assert "SYNTHETIC" in (ws.root / "cohort" / synthetic.MARKER).read_text()


def test_bad_requests_are_refused(tmp_path):
    with pytest.raises(InputError, match="at least one person"):
        synthetic.generate(tmp_path, 0, ["2023-24"])
    with pytest.raises(InputError, match="2023-24"):
        synthetic.generate(tmp_path, 10, ["twenty"])
