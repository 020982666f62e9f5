"""The lead's SLA panel (mode "sla", key L): who sees it, the live countdown on an injected
clock, drill-downs, reassigning, escalations, and SVG snapshots with a fixed clock.

The fixture desk (``conftest.py``) holds 3 queues, 4 agents and 40 cases; here Anna (agent 0)
is signed in as a team lead of "Frontline", two customers answered the survey and the server
escalated two cases (one more escalation is older than a day).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session
from textual.pilot import Pilot
from textual.widgets import OptionList

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.domain.escalation import ESCALATION_PREFIX
from csm_tui.domain.models import Message, SurveyAnswer
from csm_tui.screens.agent_picker import AgentPicker
from csm_tui.screens.case import CaseScreen
from csm_tui.screens.queue import QueueScreen
from csm_tui.screens.sla_panel import SlaPanelScreen, left_text, when_text
from csm_tui.sla_panel_data import NOT_A_LEAD, NOT_SIGNED_IN
from csm_tui.widgets.sla_table import SlaTable
from tests.functional.conftest import NOW
from tests.triage_support import sign_in

SIZE = (120, 36)
Ids = Callable[[str, int], str]


@pytest.fixture(autouse=True)
def utc_days() -> Iterator[None]:
    """Local days (the KPIs) and local times (escalations) in UTC, whatever the machine's
    zone: the snapshots must not depend on it."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def make_lead(desk: Desk, ids: Ids, role: str = "lead") -> None:
    sign_in(desk.store_path, (ids("agent", 0), "anna", "Anna Berger"))
    with sqlite3.connect(desk.store_path) as conn:
        conn.execute(
            "UPDATE agent SET role = ?, team = 'Frontline' WHERE id = ?", (role, ids("agent", 0))
        )
        conn.execute("UPDATE agent SET team = 'Frontline' WHERE id = ?", (ids("agent", 2),))
        conn.execute("UPDATE agent SET team = 'Billing' WHERE id = ?", (ids("agent", 1),))


ESCALATIONS = [
    (1, "first reply breached; priority normal → high", timedelta(minutes=25)),
    (7, "resolution at risk; lead notified", timedelta(hours=3)),
    (13, "next reply breached; moved to DE Billing", timedelta(hours=30)),  # too old
]


@pytest.fixture
def lead(desk: Desk, ids: Ids) -> Desk:
    make_lead(desk, ids)
    with Session(desk.store) as session:
        for n, (case_n, text, ago) in enumerate(ESCALATIONS):
            session.add(
                Message(
                    id=ids("escalation", n),
                    case_id=ids("case", case_n),
                    kind="event",
                    author_name="System",
                    body=ESCALATION_PREFIX + text,
                    created_at=NOW - ago,
                )
            )
        for n, (case_n, rating, ago) in enumerate(
            [(4, 5, timedelta(hours=1)), (10, 4, timedelta(days=2)), (16, 2, timedelta(days=3))]
        ):
            session.add(
                SurveyAnswer(
                    id=ids("survey", n),
                    case_id=ids("case", case_n),
                    rating=rating,
                    answered_at=NOW - ago,
                )
            )
        session.commit()
    return desk


def start(desk: Desk, settings: Settings | None = None) -> CsmApp:
    app = make_app(settings or Settings(), desk, sync_on_start=False)
    app.animation_level = "none"
    return app


async def settle(app: CsmApp, pilot: Pilot[None]) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_panel(app: CsmApp, pilot: Pilot[None]) -> SlaPanelScreen:
    await settle(app, pilot)
    await pilot.press("L")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, SlaPanelScreen)
    assert screen.data is not None
    return screen


def table(screen: SlaPanelScreen, name: str) -> SlaTable:
    return screen.query_one(f"#sla-{name}", SlaTable)


def cells(t: SlaTable, column: str) -> list[str]:
    return [str(t.get_cell(key, column)) for key in t.row_keys]


def outbox(desk: Desk) -> list[tuple[str, str, str]]:
    with sqlite3.connect(desk.store_path) as conn:
        return conn.execute("SELECT entity, entity_id, fields FROM outbox ORDER BY mid").fetchall()


def notes(app: CsmApp) -> list[str]:
    return [n.message for n in app._notifications]  # private: no public accessor


# -- who sees it -----------------------------------------------------------------------------


async def test_a_lead_sees_queues_agents_countdowns_kpis_and_escalations(lead: Desk) -> None:
    app = start(lead)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(app, pilot)
        assert app.current_mode == "sla"
        assert cells(table(screen, "queues"), "queue") == [
            "DE Billing",
            "DE Delivery",
            "EN Support",
        ]
        board = screen.board_now
        assert board is not None
        # open: new, open, pending, on hold = 4 of every 6 cases
        assert board.open == sum(1 for n in range(40) if n % 6 < 4) == 28
        assert sum(line.open for line in board.queues) == 28
        # the lead's team first
        assert cells(table(screen, "agents"), "agent")[:2] == ["Anna Berger", "Chloé Martin"]
        next_rows = table(screen, "next")
        assert 0 < len(next_rows.row_keys) <= 20
        assert all(not cd.now.breached for cd in board.next)
        dues = [cd.now.due_at for cd in board.next]
        assert dues == sorted(dues)
        # the escalations of the last 24 hours, newest first, without the prefix
        escalations = table(screen, "escalations")
        assert cells(escalations, "case") == ["CS-10002", "CS-10008"]
        assert cells(escalations, "what")[0] == "first reply breached; priority normal → high"
        header = str(screen.query_one("#sla-header").render())
        assert "28 open" in header and "breached" in header
        assert "SLA from local data only" in header
        assert screen.data is not None and screen.data.kpis.week.answers == 3


async def test_an_agent_gets_one_sentence_instead(desk: Desk, ids: Ids) -> None:
    make_lead(desk, ids, role="agent")
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("L")
        await settle(app, pilot)
        assert app.current_mode == "queue"
        assert NOT_A_LEAD in notes(app)


async def test_a_desk_that_never_synced_is_told_to_sync(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("L")
        await settle(app, pilot)
        assert app.current_mode == "queue"
        assert NOT_SIGNED_IN in notes(app)
        # the mode itself (say, from a stale palette entry) shows the sentence, not figures
        await app.switch_mode("sla")
        await settle(app, pilot)
        assert isinstance(app.screen, SlaPanelScreen)
        assert str(app.screen.query_one("#sla-notice").render()) == NOT_SIGNED_IN
        assert not app.screen.query(SlaTable)


async def test_the_palette_offers_the_panel_and_l_goes_back(lead: Desk) -> None:
    app = start(lead)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "SLA panel" in titles
        await open_panel(app, pilot)
        await pilot.press("L")
        await settle(app, pilot)
        assert app.current_mode == "queue"
        await pilot.press("L")
        await settle(app, pilot)
        assert app.current_mode == "sla"
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.current_mode == "queue"


# -- live --------------------------------------------------------------------------------------


async def test_the_countdown_moves_on_each_tick_without_reading_the_store(lead: Desk) -> None:
    moment = [NOW]
    lead.clock = lambda: moment[0]
    app = start(lead)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(app, pilot)
        assert screen.board_now is not None
        first = screen.board_now.next[0]
        next_table = table(screen, "next")
        key = next_table.row_keys[0]
        assert str(next_table.get_cell(key, "left")) == left_text(first.now.left_minutes)
        loads = screen.data
        moment[0] = NOW + timedelta(minutes=10)
        screen.tick()
        await pilot.pause()
        assert screen.data is loads  # a tick reads nothing
        moved = screen.board_now.next[0]
        assert moved.case.id == first.case.id
        assert moved.now.left_minutes == pytest.approx(first.now.left_minutes - 10)
        assert str(next_table.get_cell(key, "left")) == left_text(moved.now.left_minutes)
        assert str(next_table.get_cell(key, "left")) != left_text(first.now.left_minutes)
        # far ahead every clock has run out: the counts move, the countdown list empties
        moment[0] = NOW + timedelta(days=30)
        screen.tick()
        await pilot.pause()
        assert screen.board_now.breached > 0 and screen.board_now.next == ()
        assert screen.board_now.breached == screen.board_now.open - sum(
            1 for c in screen.data.board.cases if c.due is None
        )


async def test_the_tick_follows_the_apps_pace_slower_on_a_thin_link(lead: Desk) -> None:
    app = start(lead, Settings(low_bandwidth=True))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(app, pilot)
        assert screen.tick_interval == app.tick_seconds == 15.0


def test_escalation_times_name_the_day_when_it_is_not_today() -> None:
    assert when_text(NOW - timedelta(minutes=25), NOW) == "08:35"
    assert when_text(NOW - timedelta(hours=23), NOW) == "Thu 10:00"


async def test_a_store_change_reloads_the_panel(lead: Desk, ids: Ids) -> None:
    app = start(lead)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(app, pilot)
        screen.reload_debounce = 0.01
        before = screen.data
        lead.set_status([ids("case", 1)], "solved")
        app.cases_changed_signal.publish({ids("case", 1)})
        for _ in range(200):  # the debounce, then the worker
            await pilot.pause(0.01)
            await app.workers.wait_for_complete()
            if screen.data is not before:
                break
        assert screen.data is not before
        assert screen.board_now is not None and screen.board_now.open == 27


# -- drill-downs -------------------------------------------------------------------------------


async def test_enter_on_a_queue_shows_its_view(lead: Desk) -> None:
    app = start(lead)
    async with app.run_test(size=SIZE) as pilot:
        await open_panel(app, pilot)
        await pilot.press("down", "enter")  # DE Delivery
        await settle(app, pilot)
        assert app.current_mode == "queue"
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        assert queue.view_id == "queue-de-delivery"
        assert queue.table.row_count == 7


async def test_enter_on_an_agent_shows_their_open_cases(lead: Desk, ids: Ids) -> None:
    app = start(lead)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(app, pilot)
        await pilot.press("tab")
        assert app.focused is table(screen, "agents")
        await pilot.press("down", "enter")  # Chloé, second (the lead's team)
        await settle(app, pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        assert (queue.view_id, queue.search_text) == ("all", "assignee:chloe -status:solved,closed")
        chloe_open = sum(1 for n in range(40) if n % 5 and n % 4 == 2 and n % 6 < 4)
        assert queue.table.row_count == chloe_open


async def test_enter_on_a_case_opens_it_over_the_panel(lead: Desk) -> None:
    app = start(lead)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(app, pilot)
        await pilot.press("tab", "tab")
        next_table = table(screen, "next")
        assert app.focused is next_table
        first = next_table.row_keys[0]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.case_id == first
        assert app.current_mode == "sla"
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen


async def test_enter_on_an_escalation_opens_its_case(lead: Desk, ids: Ids) -> None:
    app = start(lead)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(app, pilot)
        table(screen, "escalations").focus()
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.case_id == ids("case", 7)


# -- reassigning ------------------------------------------------------------------------------


async def test_a_reassigns_the_case_under_the_cursor_in_one_outbox_mutation(
    lead: Desk, ids: Ids
) -> None:
    app = start(lead)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(app, pilot)
        next_table = table(screen, "next")
        next_table.focus()
        case_id = next_table.row_keys[0]
        await pilot.press("a")
        assert isinstance(app.screen, AgentPicker)
        await pilot.press(*"dirk")
        assert app.screen.query_one(OptionList).option_count == 1
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen
        [(entity, entity_id, fields)] = outbox(lead)
        assert (entity, entity_id) == ("case", case_id)
        assert ids("agent", 3) in fields
        detail = lead.case_detail(case_id)
        assert detail is not None and detail.case.assignee == "Dirk Hansen"
        assert "Reassigned to @dirk." in notes(app)


async def test_a_outside_the_case_lists_explains_itself(lead: Desk) -> None:
    app = start(lead)
    async with app.run_test(size=SIZE) as pilot:
        await open_panel(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert not isinstance(app.screen, AgentPicker)
        assert outbox(lead) == []
        assert any("Reassign works on a case" in n for n in notes(app))


# -- snapshots ----------------------------------------------------------------------------------


def test_snapshot_the_panel(snap_compare, lead: Desk) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        await open_panel(pilot.app, pilot)  # type: ignore[arg-type]

    assert snap_compare(start(lead), terminal_size=SIZE, run_before=run_before)


def test_snapshot_the_panel_light_with_the_cursor_on_a_countdown(snap_compare, lead: Desk) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[None]) -> None:
        screen = await open_panel(pilot.app, pilot)  # type: ignore[arg-type]
        table(screen, "next").focus()
        await pilot.press("down")
        # the cursor's repaint, and any reload the move started, before the picture
        await settle(pilot.app, pilot)  # type: ignore[arg-type]
        await pilot.pause()

    app = start(lead, Settings(theme="csm-light"))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
