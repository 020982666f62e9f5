"""Snapshots of the queue and of a case, with fixed data and a fixed clock.

Regenerate with ``--snapshot-update`` and look at the SVGs before committing them.
"""

from __future__ import annotations

from textual.pilot import Pilot

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk

SIZE = (120, 36)


def still_app(settings: Settings, desk: Desk) -> CsmApp:
    app = make_app(settings, desk, sync_on_start=False)
    app.animation_level = "none"
    return app


async def counted(pilot: Pilot) -> None:
    """Wait for the sidebar's view counts (a worker started after the first paint)."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_queue_screen(snap_compare, desk: Desk, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    async def settle(pilot: Pilot) -> None:
        await counted(pilot)
        await pilot.press("j", "j")
        await pilot.pause()

    assert snap_compare(still_app(settings, desk), terminal_size=SIZE, run_before=settle)


def test_queue_with_a_selection(snap_compare, desk: Desk, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Three selected rows (✓ and the selection colour; the cursor on the third), the views
    sidebar with counts, "3 selected" in the header."""

    async def select(pilot: Pilot) -> None:
        await counted(pilot)
        await pilot.press("space", "j", "space", "j", "j", "space")
        await pilot.pause()

    assert snap_compare(still_app(settings, desk), terminal_size=SIZE, run_before=select)


def test_case_screen(snap_compare, desk: Desk, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    async def open_case(pilot: Pilot) -> None:
        await counted(pilot)
        await pilot.press("j", "j", "j", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(still_app(settings, desk), terminal_size=SIZE, run_before=open_case)


def test_case_with_notes_replies_tasks_and_a_draft_note(  # type: ignore[no-untyped-def]
    snap_compare, desk: Desk, settings: Settings, ids
) -> None:
    """A case with a customer message, an internal note, a public reply, two tasks for other
    teams (one open and overdue, one done) and a restored internal-note draft in the
    composer, with a mention under way."""
    from datetime import timedelta

    from tests.functional.conftest import NOW

    case_id = ids("case", 3)
    desk.create_task(case_id, "billing", "Refund the double charge", NOW - timedelta(days=1))
    done = desk.create_task(case_id, "fraud", "Check the card block", NOW + timedelta(days=2))
    desk.set_task_state(done, "done")
    desk.save_draft(case_id, "internal", "Billing confirmed the refund, @")

    async def open_case(pilot: Pilot) -> None:
        from csm_tui.screens.case import CaseScreen

        await counted(pilot)
        await pilot.app.push_screen(CaseScreen(case_id))
        await pilot.pause()
        await pilot.press("n", "end", "d")
        await pilot.pause()

    assert snap_compare(still_app(settings, desk), terminal_size=(120, 44), run_before=open_case)


def test_empty_queue_light_theme(snap_compare, empty_desk: Desk) -> None:  # type: ignore[no-untyped-def]
    app = still_app(Settings(theme="csm-light"), empty_desk)
    assert snap_compare(app, terminal_size=(100, 12), run_before=counted)
