"""The place proposition as a document fit to send: self-contained HTML (no scripts, no links out)
and the same as PDF, each ask with its evidence, its flags and the three conditions inline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from totalplace.deal.asks import CONDITIONS, load_register
from totalplace.deal.review import review
from totalplace.errors import InputError
from totalplace.money import format_money
from totalplace.workspace import Workspace


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("totalplace.deal", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["money"] = format_money
    return env


def render_html(workspace: Workspace, today: dt.date | None = None) -> str:
    register = load_register(workspace)
    today = today or dt.date.today()
    return _environment().get_template("proposition.html.j2").render(
        place=workspace.settings.place, proposition=register.proposition,
        reviews=review(workspace, today, register), conditions=CONDITIONS, today=today,
    )


def export(workspace: Workspace, output: Path, today: dt.date | None = None) -> Path:
    """Write the proposition as .html or .pdf, by the output's suffix."""
    html = render_html(workspace, today)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".html":
        output.write_text(html, encoding="utf-8")
    elif output.suffix.lower() == ".pdf":
        from weasyprint import HTML

        # No base URL: the document refers to nothing outside itself, so nothing is fetched.
        HTML(string=html).write_pdf(output)
    else:
        raise InputError(f"{output}: export writes .html or .pdf")
    return output
