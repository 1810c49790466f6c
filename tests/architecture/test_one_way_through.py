"""Imports point one way, and the CLI, the report and the web format figures rather than compute them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from support.data import PROJECT

SRC = PROJECT / "src" / "totalplace"
# The analytic store's tables and views (store/schema.py and the modules that make their own).
STORE_TABLES = sorted({match.group(2) for path in SRC.rglob("*.py") for match in re.finditer(
    r"CREATE (OR REPLACE )?(?:TABLE|VIEW)(?: IF NOT EXISTS)? (\w+)", path.read_text(encoding="utf-8"))})
QUERY = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(" + "|".join(STORE_TABLES) + r")\b", re.IGNORECASE)
PRESENTERS = [SRC / "cli.py", SRC / "commands", SRC / "report", SRC / "web"]


def test_each_layer_imports_only_those_below_it():
    """The import-linter contract in pyproject.toml: store below ingest below the analyses, the analyses
    below the capabilities list, the report, the web and the CLI."""
    lint = Path(sys.executable).parent / "lint-imports"  # import-linter's command, beside this Python
    checked = subprocess.run([str(lint), "--no-cache", "--config", str(PROJECT / "pyproject.toml")],
                             cwd=PROJECT, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 kept, 0 broken" in checked.stdout


def test_the_cli_the_report_and_the_web_query_no_store_table():
    """A figure is made by a service function of count/ or a capability's package; the layers that show it
    ask for it rather than query the store themselves."""
    assert len(STORE_TABLES) > 10 and "spend_line" in STORE_TABLES
    found = []
    for place in PRESENTERS:
        for path in [place] if place.is_file() else sorted(place.rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if QUERY.search(line):
                    found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert found == []
