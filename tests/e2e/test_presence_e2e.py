"""Who else has the case open, end to end: two desks of two agents on one real case server,
each running a Textual app with a presence bar on the same case. Desk B sees A viewing, then
writing, then gone when A's bar goes; and "unknown (offline)" when the server stops."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from csm_tui.desk import Desk
from csm_tui.widgets.presence_bar import PresenceBar
from tests.sync_support import SyncServer, start_server

pytestmark = pytest.mark.e2e

#: Short in tests; the desk's default is 10 s.
INTERVAL = 0.2


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SyncServer]:
    srv = start_server(tmp_path, cases=5)
    yield srv
    srv.close()


class CaseApp(App[None]):
    """Stands in for the case screen: a presence bar on one case."""

    def __init__(self, desk: Desk, case_id: str) -> None:
        super().__init__()
        self.desk = desk
        self.case_id = case_id

    def compose(self) -> ComposeResult:
        yield PresenceBar(self.desk, self.case_id, interval=INTERVAL, id="presence")


async def until(pilot: Pilot[None], condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def test_another_agent_viewing_writing_and_leaving(server: SyncServer) -> None:
    (case_id,) = server.query("SELECT id FROM 'case' ORDER BY number LIMIT 1")[0]
    (demo_id,) = server.query("SELECT id FROM agent WHERE handle = 'demo'")[0]
    desk_a = server.desk("a", "demo")
    desk_b = server.desk("b", "anna.schmidt")
    app_a, app_b = CaseApp(desk_a, case_id), CaseApp(desk_b, case_id)
    async with app_a.run_test() as pilot_a, app_b.run_test() as pilot_b:
        bar_a, bar_b = app_a.query_one(PresenceBar), app_b.query_one(PresenceBar)

        await until(
            pilot_b,
            lambda: bar_b.summary == "👁 Demo Agent is viewing this case",
            "B to see A viewing",
        )
        [viewer] = bar_b.viewers
        assert (viewer.agent_id, viewer.handle, viewer.composing) == (demo_id, "demo", False)
        assert bar_b.display
        await until(
            pilot_a,
            lambda: bar_a.summary == "👁 Anna Schmidt is viewing this case",
            "A to see B viewing",
        )

        bar_a.set_composing(True)
        await until(
            pilot_b,
            lambda: bar_b.summary == "✎ Demo Agent is writing a reply",
            "B to see A writing",
        )
        assert bar_b.viewers[0].composing

        await bar_a.remove()
        await until(pilot_b, lambda: bar_b.updates and not bar_b.viewers, "A to be gone for B")
        await pilot_b.pause()
        assert bar_b.summary == "" and not bar_b.display
        # Gone from the server's table too, not only expired from the reply.
        assert server.query("SELECT agent_id FROM presence WHERE case_id = ?", case_id) == [
            (server.query("SELECT id FROM agent WHERE handle = 'anna.schmidt'")[0][0],)
        ]

        server.process.stop()
        await until(pilot_b, lambda: bar_b.offline, "B to notice the server is gone")
        await pilot_b.pause()
        assert bar_b.summary == "◌ presence unknown (offline)"
        assert bar_b.display
