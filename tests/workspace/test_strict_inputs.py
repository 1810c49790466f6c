"""Nothing a user types is ignored: an unknown key in totalplace.toml or a YAML input is an error
that names the key and suggests the nearest known one (issue 18, point 4)."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given, strategies as st

from support.data import PROJECT
from totalplace.appraise.model import load_intervention
from totalplace.deal.asks import load_register
from totalplace.deepdive.journeys import find_journey
from totalplace.errors import InputError
from totalplace.inputs import nearest_name
from totalplace.workspace import open_workspace


def _with_toml(make_workspace, extra: str):
    ws = make_workspace()
    with ws.config_path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + extra + "\n")
    return ws.root


def test_a_mistyped_section_of_totalplace_toml_is_an_error_that_suggests_the_known_one(make_workspace):
    root = _with_toml(make_workspace, "[cohrt]\ntop_percent = 10")
    with pytest.raises(InputError) as error:
        open_workspace(root)
    assert "'cohrt'" in str(error.value) and "did you mean 'cohort'" in str(error.value)


def test_a_mistyped_key_inside_a_section_names_the_section_and_suggests(make_workspace):
    root = _with_toml(make_workspace, "[privacy]\nsupress_below = 10")
    with pytest.raises(InputError) as error:
        open_workspace(root)
    message = str(error.value)
    assert "privacy.supress_below" in message and "did you mean 'suppress_below'" in message


def test_a_mistyped_key_of_an_agency_is_an_error(make_workspace):
    ws = make_workspace()
    # totalplace.toml writes each agency as a [[agencies]] table: the mistyped key is a line of its own
    text = ws.config_path.read_text(encoding="utf-8").replace('kind = "council"', 'kind = "council"\naliasses = ["x"]', 1)
    ws.config_path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        open_workspace(ws.root)
    assert "aliasses" in str(error.value) and "did you mean 'aliases'" in str(error.value)


def _demo_copy(tmp_path):
    root = tmp_path / "bradford"
    shutil.copytree(PROJECT / "examples" / "bradford", root, ignore=shutil.ignore_patterns("agencies"))
    return open_workspace(root)


def test_a_mistyped_key_of_a_journey_version_is_an_error(tmp_path):
    ws = _demo_copy(tmp_path)
    path = ws.root / "journeys" / "prison-leaver.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\n    description:" in text
    path.write_text(text.replace("\n    description:", "\n    descriptoin:", 1), encoding="utf-8")
    with pytest.raises(InputError) as error:
        find_journey(ws, "prison-leaver")
    assert "descriptoin" in str(error.value) and "did you mean 'description'" in str(error.value)


def test_a_mistyped_key_of_an_intervention_suggests_the_known_one(tmp_path):
    ws = _demo_copy(tmp_path)
    path = ws.root / "interventions" / "family-support.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\nhorizon:", "\nhorizn:", 1), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_intervention(path)
    assert "horizn" in str(error.value) and "did you mean 'horizon'" in str(error.value)


def test_a_mistyped_key_of_an_ask_suggests_the_known_one(tmp_path):
    ws = _demo_copy(tmp_path)
    path = ws.root / "deal" / "asks.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    owner:" in text
    path.write_text(text.replace("    owner:", "    ownr:", 1), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_register(ws)
    assert "ownr" in str(error.value) and "did you mean 'owner'" in str(error.value)


@given(st.sampled_from(["cohort", "privacy", "agencies", "population", "engine"]), st.integers(0, 20))
def test_one_typo_of_a_known_name_is_suggested_back(name, position):
    """Dropping any one letter of a known name still suggests that name among the settings' keys."""
    known = ["engine", "place", "agencies", "population", "cohort", "privacy", "spark", "web"]
    position %= len(name)
    typo = name[:position] + name[position + 1:]
    assert nearest_name(typo, known) == name
