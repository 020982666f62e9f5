"""Steps the case-screen Pilot tests share: open a case on top of the queue, and wait until
the keys pressed have been handled and the workers they started have finished."""

from __future__ import annotations

from textual.pilot import Pilot

from csm_tui.app import CsmApp
from csm_tui.screens.case import CaseScreen


async def open_case(app: CsmApp, pilot: Pilot[None], case_id: str) -> CaseScreen:
    await pilot.pause()
    screen = CaseScreen(case_id)
    await app.push_screen(screen)
    await pilot.pause()
    return screen


async def settle(app: CsmApp, pilot: Pilot[None]) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
