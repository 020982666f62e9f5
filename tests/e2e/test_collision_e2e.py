"""Collision awareness on real case screens: two agents' desks (two real apps, two stores) on
one real case server. B sees A on the case, then writing; when B's public reply reaches A
while A writes, A's send first shows B's reply and asks (the traffic cop); both replies end
on the server once each."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.screens import case as case_screen
from csm_tui.screens.case import CaseScreen
from csm_tui.screens.traffic_cop import TrafficCopModal
from csm_tui.widgets.composer import Composer, ComposerArea
from csm_tui.widgets.message_view import MessageView
from csm_tui.widgets.presence_bar import PresenceBar
from tests.sync_support import SyncServer, open_case, start_server

pytestmark = pytest.mark.e2e

SIZE = (120, 36)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SyncServer]:
    srv = start_server(tmp_path, cases=10)
    yield srv
    srv.close()


async def until(pilot: Pilot[None], condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def _live(app: CsmApp) -> bool:
    live = app.desk.live
    return live is not None and live.connected.is_set()


async def test_presence_and_the_traffic_cop_between_two_desks(
    server: SyncServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_screen, "PRESENCE_INTERVAL", 0.2)
    desk_a = server.desk("a", "demo")
    desk_b = server.desk("b", "anna.schmidt")
    desk_a.sync()
    desk_b.sync()
    case_id = open_case(desk_a)
    settings = Settings(server=server.url, sync_interval=3600)
    app_a = make_app(settings, desk_a)
    app_b = make_app(settings, desk_b)
    async with app_a.run_test(size=SIZE) as pilot_a, app_b.run_test(size=SIZE) as pilot_b:
        await until(pilot_a, lambda: _live(app_a) and _live(app_b), "both live streams")
        screen_a, screen_b = CaseScreen(case_id), CaseScreen(case_id)
        # Each app opens its screen on its own message loop: screens find their app (and
        # so their desk) through the context they were started in.
        app_a.call_later(app_a.push_screen, screen_a)
        app_b.call_later(app_b.push_screen, screen_b)
        await until(pilot_a, lambda: screen_a.is_mounted and screen_b.is_mounted, "screens")
        bar_a, bar_b = screen_a.query_one(PresenceBar), screen_b.query_one(PresenceBar)
        assert bar_a.desk is desk_a and bar_b.desk is desk_b

        # Presence: each sees the other, then B sees A writing.
        await until(pilot_b, lambda: "Demo Agent is viewing" in bar_b.summary, "B sees A")
        await until(pilot_a, lambda: "Anna Schmidt is viewing" in bar_a.summary, "A sees B")
        await pilot_a.press("r", *"We are sending a replacement.")
        await until(pilot_b, lambda: "Demo Agent is writing" in bar_b.summary, "A writing")

        # B answers first; the live stream brings it into A's timeline while A writes.
        await pilot_b.press("r", *"Anna here: the replacement left today.", "ctrl+s")
        await until(
            pilot_a,
            lambda: any(
                "replacement left today" in v.body_text for v in screen_a.query(MessageView)
            ),
            "B's reply on A's screen",
        )
        assert screen_a.query_one(Composer).text == "We are sending a replacement."
        assert isinstance(app_a.focused, ComposerArea)

        # A sends: the traffic cop shows B's reply and asks.
        await pilot_a.press("ctrl+s")
        await until(pilot_a, lambda: isinstance(app_a.screen, TrafficCopModal), "traffic cop")
        shown = [v.body_text for v in app_a.screen.query(MessageView)]
        assert shown == ["Anna here: the replacement left today."]
        await pilot_a.press("escape")
        await until(pilot_a, lambda: app_a.screen is screen_a, "back to the draft")
        await pilot_a.press("ctrl+a", "ctrl+k", *"Anna already wrote; I add the tracking link.")
        await pilot_a.press("ctrl+s")
        await until(pilot_a, lambda: isinstance(app_a.screen, TrafficCopModal), "asked again")
        await pilot_a.press("ctrl+s")

        def on_server() -> list[tuple[str, str]]:
            return server.query(
                "SELECT author_name, body FROM message WHERE case_id = ? AND kind = 'public' "
                "AND created_at >= (SELECT max(created_at) FROM message WHERE case_id = ?"
                " AND kind = 'customer') ORDER BY created_at, id",
                case_id,
                case_id,
            )

        await until(pilot_a, lambda: len(on_server()) >= 2 and desk_a.pending_count() == 0, "push")
        bodies = sorted(body for _, body in on_server())
        assert bodies == [
            "Anna already wrote; I add the tracking link.",
            "Anna here: the replacement left today.",
        ]
        # Leaving the case: B no longer sees A.
        await pilot_a.press("escape", "escape")
        await until(pilot_b, lambda: bar_b.summary == "", "A gone from B's bar")
