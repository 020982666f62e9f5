"""Low-bandwidth mode against a real server: the desk pulls in smaller pages and leaves old
cases' message bodies on the server; opening such a case in the app fetches them (and the
queue's search finds them afterwards); offline, one sentence says they come later."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from csm_tui.app import make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.low_bandwidth import PAGE_ROWS, PLACEHOLDER
from csm_tui.screens.case import CaseScreen
from csm_tui.screens.deferred_bodies import OFFLINE
from csm_tui.sync.client import CaseServerClient
from tests.sync_support import SyncServer, start_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SyncServer]:
    srv = start_server(tmp_path, cases=80)
    yield srv
    srv.close()


def age_cases(server: SyncServer, n: int) -> list[str]:
    """Make ``n`` cases with messages closed long ago, on the server."""
    ids = [
        r[0]
        for r in server.query(
            "SELECT id FROM 'case' WHERE id IN (SELECT case_id FROM message) "
            "ORDER BY number LIMIT ?",
            n,
        )
    ]
    with sqlite3.connect(server.db_path) as conn:
        for case_id in ids:
            conn.execute(
                "UPDATE 'case' SET status = 'closed', updated_at = '2020-01-01 00:00:00' "
                "WHERE id = ?",
                (case_id,),
            )
    return ids


def low_bandwidth_desk(server: SyncServer, path: Path) -> Desk:
    client = CaseServerClient(server.url, server.tokens["demo"])
    desk = Desk(
        path,
        server=server.url,
        connect=lambda: client,
        live_connect=client.clone,
        agent_handle="demo",
        low_bandwidth=True,
    )
    server.opened.append(desk)
    return desk


async def until(pilot, condition: Callable[[], object], what: str) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until ``condition`` holds (the case screen's presence worker runs
    as long as the screen does, so waiting for every worker would never end)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def test_opening_an_old_case_fetches_its_messages(server: SyncServer, tmp_path: Path) -> None:
    old, other = age_cases(server, 2)
    desk = low_bandwidth_desk(server, tmp_path / "desk.sqlite3")
    pages: list[int] = []
    desk.sync(lambda _report, page: pages.append(len(page.rows)))
    assert max(pages[2:]) <= PAGE_ROWS  # after the first-screen prelude: small pages
    assert desk.deferred_bodies(old) and desk.deferred_bodies(other)
    word = server.query("SELECT body FROM message WHERE case_id = ? AND kind = 'customer'", old)
    detail = desk.case_detail(old)
    assert detail is not None and {m.body for m in detail.messages} == {PLACEHOLDER}

    app = make_app(Settings(low_bandwidth=True, sync_interval=3600), desk, sync_on_start=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = CaseScreen(old)
        await app.push_screen(screen)

        def shown() -> set[str]:
            return {m.body for m in screen.detail.messages} if screen.detail else set()

        await until(pilot, lambda: shown() and PLACEHOLDER not in shown(), "the fetched bodies")
        assert desk.deferred_bodies(old) == set() and desk.deferred_bodies(other)
        if word:
            assert word[0][0] in shown()

        # The server goes away: the other old case says its messages come later.
        server.process.stop()
        await pilot.press("escape")
        await app.push_screen(CaseScreen(other))
        await until(
            pilot,
            lambda: any(OFFLINE in n.message for n in app._notifications),  # private accessor
            "the sentence about the missing messages",
        )
        assert desk.deferred_bodies(other)
