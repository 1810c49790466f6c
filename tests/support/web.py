"""Shared by the web tests: a small two-agency place, a signed-in client, and a police spend file.

The place holds one real Bradford council month (shipped example) and a small
police file written here, so that what one agency's analyst may see can be
told apart from the other's. `add_capability_inputs` gives it the Bradford
example's inputs for the capability pages.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal

from fastapi.testclient import TestClient

from support.data import EXAMPLES
from totalplace.count import topdown
from totalplace.deepdive import cohorts
from totalplace.store.connection import writable
from totalplace.web.app import WebSettings, create_app
from totalplace.web.auth import sample_users
from totalplace.workspace import Agency, AgencyKind

EXAMPLE = EXAMPLES / "bradford"
BRADFORD_MONTH = EXAMPLE / "agencies" / "bradford-council" / "2018-04.csv.gz"
POLICE = "west-yorkshire-police"
POLICE_HEADER = "Service Label,Expense Type,Date Paid,Amount,Supplier Name,Transaction Number\n"
# Twelve payments (one supplier paid 7 times, five paid once) and one row whose amount is not money.
POLICE_ROWS = (
    [f"Neighbourhood policing,Vehicle fuel,2018-05-{d:02d},{100 + d}.50,FUEL CARDS LTD,P{d}\n" for d in range(1, 8)]
    + [f"Custody,Medical services,2018-05-{d:02d},{1000 * d}.00,DOCTOR {d},C{d}\n" for d in range(8, 13)]
    + ["Custody,Medical services,2018-05-20,twelve pounds,DOCTOR X,C99\n"]
)
POLICE_LOADED_MONEY = sum((Decimal(f"{100 + d}.50") for d in range(1, 8)), Decimal(0)) + sum(
    (Decimal(1000 * d) for d in range(8, 13)), Decimal(0))


def police_csv(month: str = "05") -> str:
    return POLICE_HEADER + "".join(row.replace("2018-05-", f"2018-{month}-") for row in POLICE_ROWS)


# The web tests' place, as parts for `make_workspace(**WEB_PLACE)` (conftest's `web_workspace(root)` copies one
# built once a worker): one real Bradford council month and the police file.
WEB_PLACE = {
    "agencies": [Agency(id=POLICE, name="West Yorkshire Police", kind=AgencyKind.police)],
    "files": {f"agencies/bradford-council/{BRADFORD_MONTH.name}": BRADFORD_MONTH,
              f"agencies/{POLICE}/2018-05.csv": police_csv()},
    "load": True,
}

COHORT_KEY = b"web-cohort-test-key-0123456789ab"
# 12 people seen by the council, 3 of them also by the NHS: a count under the default threshold of 5.
COUNCIL_EVENTS = "person id,household id,date,service,kind,cost\n" + "".join(
    f"P{n:02d},H{n:02d},2023-05-{n:02d},Home care visit,appointment,{100 * n}.00\n" for n in range(1, 13))
NHS_EVENTS = "person,date,service,cost\n" + "".join(
    f"P{n:02d},2023-06-{n:02d},GP appointment,40.00\n" for n in range(1, 4))


def add_capability_inputs(workspace) -> None:
    """The Bradford example's funding streams, journeys, appraisals, deal and estate, a small cohort, and the
    CRA releases the workspace ships with."""
    for folder in ("interventions", "journeys", "deal", "estate"):
        shutil.copytree(EXAMPLE / folder, workspace.root / folder, dirs_exist_ok=True)
    shutil.copyfile(EXAMPLE / "funding_streams.csv", workspace.root / "funding_streams.csv")
    for agency, text in (("council", COUNCIL_EVENTS), ("nhs", NHS_EVENTS)):
        folder = workspace.root / "cohort" / agency
        folder.mkdir(parents=True)
        (folder / "events.csv").write_text(text, encoding="utf-8")
    cohorts.load(workspace, COHORT_KEY)
    with writable(workspace) as con:
        topdown.load(con, workspace)


def make_app(workspace, db_url: str, **settings):
    """The app on a new user database, with the sample users (one per role, each password argon2-hashed)."""
    app = open_app(workspace, db_url, **settings)
    passwords = {name: password for name, _role, password in sample_users(app.state.db, agency_ids(workspace))}
    return app, passwords


def open_app(workspace, db_url: str, **settings):
    """The app on a user database as it is."""
    return create_app(workspace, WebSettings(db_url=db_url, secret_key="test-secret-key", **settings))


def agency_ids(workspace) -> tuple[str, ...]:
    """The agencies the sample users are made for (an analyst each)."""
    return tuple(a.id for a in workspace.settings.agencies)


def close_app(app) -> None:
    """The app's store and user database closed, as at shutdown (SQLite folds its write-ahead log back in)."""
    app.state.store.close()
    app.state.db.close()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def signed_in(app, username: str, password: str) -> TestClient:
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client
