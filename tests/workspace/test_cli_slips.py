"""Slips a user makes at the command line: each gets exit code 2 and one clear line, or does what was meant."""

from __future__ import annotations

import tomllib

import pytest
from support.data import write_csv
from typer.testing import CliRunner

from totalplace.cli import app
from totalplace.ingest.load import ingest

runner = CliRunner()
HEADER = "Service Label,Expenditure category,Payment date,Transaction Number,Net Amount,Supplier Name\n"


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def loaded_place(small_place):
    write_csv(small_place.agency_dir("bradford-council") / "m.csv", HEADER
              + "Public Health,DrugsAlco misuse,12/06/2018,1,100.00,CARE TRUST\n"
              "Public Health,DrugsAlco misuse,02/04/2018,2,50.00,CARE TRUST\n"
              "Adult Services,Residential Care,15/05/2018,3,10.00,A LTD\n"
              "Adult Services,Residential Care,15/03/2019,4,1000.00,A LTD\n")
    ingest(small_place)
    return str(small_place.root)


def one_error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_an_output_file_with_the_table_format_is_a_slip(loaded_place, tmp_path):
    target = tmp_path / "theme.txt"
    line = one_error_line(run("count", "-w", loaded_place, "-o", str(target)))
    assert "theme.txt" in line and "--format" in line
    assert not target.exists()


@pytest.mark.parametrize("name, fmt, suggested", [("theme.csv", "json", "theme.json"), ("theme.json", "csv", "theme.csv"),
                                                   ("theme.xlsx", "csv", "theme.csv"), ("theme.csv", "xlsx", "theme.xlsx")])
def test_an_output_name_that_contradicts_the_format_is_a_slip(loaded_place, tmp_path, name, fmt, suggested):
    target = tmp_path / name
    line = one_error_line(run("count", "-w", loaded_place, "--format", fmt, "-o", str(target)))
    assert f"--format is {fmt}" in line and suggested in line
    assert not target.exists()


def test_the_same_slip_is_caught_on_every_command_with_an_output(loaded_place, tmp_path):
    for command in (["status"], ["rejects"], ["trace", "--key", "x"], ["classify"]):
        line = one_error_line(run(*command, "-w", loaded_place, "-o", str(tmp_path / "out.txt")))
        assert "out.txt" in line


def test_a_matching_output_name_is_written(loaded_place, tmp_path):
    target = tmp_path / "theme.csv"
    assert run("count", "-w", loaded_place, "--format", "csv", "-o", str(target)).exit_code == 0
    assert target.read_text().startswith("theme,amount")


def test_trace_keys_match_ignoring_case(loaded_place):
    result = run("trace", "-w", loaded_place, "--key", "drugs and alcohol", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.count("agencies/bradford-council/m.csv") == 2


def test_a_near_miss_of_a_key_says_what_was_meant(loaded_place):
    line = one_error_line(run("trace", "-w", loaded_place, "--key", "drugs and alcohl"))
    assert "did you mean 'Drugs and alcohol'?" in line


def test_a_key_far_from_any_lists_the_keys(loaded_place):
    line = one_error_line(run("trace", "-w", loaded_place, "--key", "zzzz"))
    assert "the keys are: Drugs and alcohol, Unclassified" in line


def test_count_by_month_is_in_date_order(loaded_place):
    result = run("count", "-w", loaded_place, "--by", "month", "--format", "csv")
    assert [line.split(",")[0] for line in result.output.strip().splitlines()[1:]] == [
        "2018-04", "2018-05", "2018-06", "2019-03"]


def test_agency_add_keeps_the_users_comments(small_place):
    config = small_place.config_path
    config.write_text(
        "# Bradford Total Place: owned by the finance team\n"
        'engine = "duckdb"\n\n'
        "[place]\n"
        'name = "Bradford"  # as the board papers say it\n'
        'areas = ["E08000032"]\n'
        'region = "Yorkshire and The Humber"\n\n'
        "# the council's ledger comes from Finance each month\n"
        "[[agencies]]\n"
        'id = "bradford-council"\n'
        'name = "Bradford council"\n'
        'kind = "council"  # the district council\n'
        'area = "E08000032"\n')
    before = config.read_text()
    result = run("agency", "add", "West Yorkshire Police", "--kind", "police", "-w", str(small_place.root))
    assert result.exit_code == 0, result.output
    text = config.read_text()
    assert text.startswith(before)  # every line the user wrote, comments and all, as it was
    assert text[len(before):].split() == ["[[agencies]]", "id", "=", '"west-yorkshire-police"', "name", "=", '"West',
                                          "Yorkshire", 'Police"', "kind", "=", '"police"']


def test_agency_add_to_a_settings_file_an_earlier_version_wrote(small_place):
    # earlier versions wrote the agencies as one inline array
    small_place.config_path.write_text(
        'engine = "duckdb"\nagencies = [\n    { id = "bradford-council", name = "Bradford council", kind = "council", '
        'area = "E08000032" },\n]\n\n[place]\nname = "Bradford"\nareas = [\n    "E08000032",\n]\n'
        'region = "Yorkshire and The Humber"\n')
    result = run("agency", "add", "West Yorkshire Police", "--kind", "police", "-w", str(small_place.root))
    assert result.exit_code == 0, result.output
    settings = tomllib.loads(small_place.config_path.read_text())
    assert [a["id"] for a in settings["agencies"]] == ["bradford-council", "west-yorkshire-police"]
    assert settings["place"]["name"] == "Bradford"
