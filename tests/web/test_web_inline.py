"""Pages under load: answered on the event loop from the cache, in a worker thread when anything must be computed.

`inline.answered_inline` first runs a page in cache-only mode; a store cursor,
a cache miss or a database session sends it to a worker thread instead. These
tests count the trips to the thread pool, and check that the cached bodies and
per-session frames never mix up users or outlive a change to the store.
"""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from support.web import POLICE, POLICE_LOADED_MONEY, csrf_of, police_csv, signed_in
from totalplace.web import inline


@pytest.fixture()
def place(tmp_path, web_workspace, web_app):
    workspace = web_workspace(tmp_path / "bradford")
    app, passwords = web_app(workspace, tmp_path / "web.sqlite")
    with TestClient(app):
        yield workspace, app, passwords


@pytest.fixture()
def thread_trips(monkeypatch) -> list[str]:
    """The endpoints sent to a worker thread, by name."""
    trips: list[str] = []
    real = inline.run_in_threadpool

    async def counted(endpoint, *args, **kwargs):
        trips.append(endpoint.__name__)
        return await real(endpoint, *args, **kwargs)
    monkeypatch.setattr(inline, "run_in_threadpool", counted)
    return trips


def test_a_cached_page_is_answered_without_a_thread_until_the_store_changes(place, thread_trips):
    _, app, passwords = place
    partner = signed_in(app, "partner", passwords["partner"])
    first = partner.get("/breakdown/agency", params={"year": "2018-19"})
    assert first.status_code == 200 and thread_trips == ["breakdown_page"]  # computed in a thread
    again = [partner.get("/breakdown/agency", params={"year": "2018-19"}) for _ in range(3)]
    assert thread_trips == ["breakdown_page"]  # then from the cache, on the event loop
    assert all(r.text == first.text for r in again)

    analyst = signed_in(app, f"analyst-{POLICE}", passwords[f"analyst-{POLICE}"])
    preview = analyst.post("/upload", data={"csrf": csrf_of(analyst.get("/upload").text)},
                           files={"file": ("2018-07.csv", police_csv("07").encode(), "text/csv")})
    upload_id = preview.text.split('name="upload_id" value="')[1].split('"')[0]
    assert analyst.post("/upload/confirm", data={"csrf": csrf_of(preview.text),
                                                 "upload_id": upload_id}).status_code == 200
    thread_trips.clear()
    after = partner.get("/api/breakdown/agency", params={"year": "2018-19"}).json()
    assert thread_trips == ["breakdown_api"]  # the upload dropped the cache: computed afresh
    police = next(r for r in after["table"]["rows"] if r["agency"] == POLICE)
    assert Decimal(police["amount"]) == 2 * POLICE_LOADED_MONEY
    page = partner.get("/breakdown/agency", params={"year": "2018-19"}).text
    assert f"{2 * POLICE_LOADED_MONEY:,.2f}" in page and page != first.text


def test_each_session_gets_its_own_frame_around_the_shared_body(place):
    _, app, passwords = place
    partner = signed_in(app, "partner", passwords["partner"])
    admin = signed_in(app, "admin", passwords["admin"])
    partner_page, admin_page = partner.get("/breakdown/theme").text, admin.get("/breakdown/theme").text
    assert 'id="signed-in-as">partner<' in partner_page and 'id="signed-in-as">admin<' in admin_page
    assert "Admin" not in _menu(partner_page) and "Admin" in _menu(admin_page)
    assert csrf_of(partner_page) != csrf_of(admin_page)
    # The kept frame carries the session's own token: signing out with it works.
    partner_page = partner.get("/breakdown/theme").text
    out = partner.post("/logout", data={"csrf": csrf_of(partner_page)}, follow_redirects=False)
    assert out.status_code == 303
    assert 'id="signed-in-as"' not in partner.get("/").text


def _menu(html: str) -> str:
    return html.split('id="navigation"')[1].split("</ul>")[0]


def test_work_that_could_block_goes_to_a_worker_thread():
    loop_thread: list[threading.Thread] = []

    def cached_answer() -> str:
        return threading.current_thread().name

    def needs_the_store() -> str:
        inline.may_block("a store cursor")
        return threading.current_thread().name

    async def run() -> tuple[str, str]:
        loop_thread.append(threading.current_thread())
        return (await inline.answered_inline(cached_answer)(),
                await inline.answered_inline(needs_the_store)())
    on_loop, in_thread = asyncio.run(run())
    assert on_loop == loop_thread[0].name
    assert in_thread != loop_thread[0].name
    inline.may_block("outside a page")  # outside cache-only mode nothing is refused
