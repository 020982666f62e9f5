"""Steps the case-screen Pilot tests share: open a case on top of the queue, wait until the
keys pressed have been handled and the workers they started have finished, and give the
desk a signed-in agent with macros and snippets of her own."""

from __future__ import annotations

from textual.pilot import Pilot

from csm_tui.app import CsmApp
from csm_tui.desk import Desk
from csm_tui.domain.macros import AddTags, Macro, Reply, SetPriority, SetStatus
from csm_tui.domain.snippets import Snippet
from csm_tui.screens.case import CaseScreen
from tests.triage_support import sign_in


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


def give_anna_her_macros(desk: Desk, me: str) -> None:
    """Sign the desk in as Anna (an agent, agent id ``me``) with two macros and two snippets
    of her own."""
    sign_in(desk.store_path, (me, "anna", "Anna Berger"))
    desk.save_macro(
        Macro(
            id="m-wait",
            name="Waiting for the customer",
            description="ask for the order number, set pending",
            scope="personal",
            owner_id=me,
            actions=(
                SetStatus("pending"),
                SetPriority("low"),
                AddTags(("waiting",)),
                Reply("public", "Hello {{ customer.first_name }},\n{{ cursor }}\n{{ agent.name }}"),
            ),
        )
    )
    desk.save_macro(
        Macro(
            id="m-vip", name="Mark VIP", scope="personal", owner_id=me, actions=(AddTags(("vip",)),)
        )
    )
    desk.save_snippet(
        Snippet("s-greet", "greet", "Greeting", "Hello {{ customer.first_name }}, ", "personal", me)
    )
    desk.save_snippet(
        Snippet("s-sig", "sig", "Signature", "\nKind regards\n{{ agent.name }}", "personal", me)
    )
