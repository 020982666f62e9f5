"""Sync from the app: a failing server becomes one notification, never a crash."""

from __future__ import annotations

from collections.abc import Callable

from csm_tui.app import UNEXPECTED_ERROR, CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.sync.client import CaseServerClient
from csm_tui.widgets.sync_status import SyncStatusBar

SIZE = (120, 36)


def notifications(app: CsmApp) -> list[str]:
    return [n.message for n in app._notifications]  # private: no public accessor


async def test_failed_sync_notifies_one_sentence(
    make_desk: Callable[..., Desk], settings: Settings, unused_port: int
) -> None:
    client = CaseServerClient(f"http://127.0.0.1:{unused_port}", "test-token", timeout=5)
    desk = make_desk(client=client)
    app = make_app(settings, desk, sync_on_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert app.is_running
        messages = notifications(app)
        assert len(messages) == 1
        assert messages[0].startswith("Cannot reach the case server at http://127.0.0.1:")
        assert "test-token" not in messages[0]
        assert desk.status.state == "offline"
        bar = str(app.screen.query_one(SyncStatusBar).render())
        assert "offline" in bar and "error: Cannot reach" in bar
        # ctrl+r tries again, and fails the same calm way
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert len(notifications(app)) == 2
        assert not app.is_syncing


async def test_sync_without_server_explains(desk: Desk, settings: Settings) -> None:
    app = make_app(settings, desk, sync_on_start=True)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.is_syncing  # a local-only desk never starts a sync worker
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert any("no case server" in m for m in notifications(app))
        bar = str(app.screen.query_one(SyncStatusBar).render())
        assert "local only" in bar and "never synced" in bar


async def test_unexpected_error_is_logged_not_shown(desk: Desk, settings: Settings) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        app.route_error(RuntimeError("internal detail [b]x[/b]"))
        await pilot.pause()
        assert notifications(app) == [UNEXPECTED_ERROR]
        assert app.is_running


async def test_command_palette_offers_desk_commands(desk: Desk, settings: Settings) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        # the app's own commands come after the queue screen's (see test_triage)
        assert titles[-5:] == ["Sync now", "Resolve conflicts", "Keys", "Theme", "Quit"]


async def test_failed_syncs_retry_with_growing_jittered_delays_and_say_it_once(
    make_desk: Callable[..., Desk], settings: Settings, unused_port: int
) -> None:
    client = CaseServerClient(f"http://127.0.0.1:{unused_port}", "test-token", timeout=5)
    desk = make_desk(client=client)
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        delays = []
        for _ in range(5):
            app.sync_now()  # what the retry timer calls
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app._retry is not None
            # Timer keeps its delay only privately. A short retry may already have fired
            # while the test waited, so each delay is checked against its own failure count.
            delays.append((app._retry._interval, app._failures))
            app._retry.stop()  # this test plays the timer itself
        assert app._failures >= 5
        assert all(0 <= d <= min(settings.sync_interval, 2 ** (n - 1)) for d, n in delays)
        assert len({d for d, _ in delays}) > 1  # jittered, not in step
        assert len(notifications(app)) == 1
