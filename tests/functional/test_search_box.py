"""The search box on the queue: ``/`` focuses it, every keystroke re-queries, problems show
on one line under it, escape clears it, and hostile text never raises."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from csm_tui.app import UNEXPECTED_ERROR, CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import CaseQuery, Desk
from csm_tui.screens.queue import QueueScreen
from csm_tui.widgets.case_table import NO_MATCH_HINT, CaseTable

SIZE = (120, 36)


def start(desk: Desk) -> CsmApp:
    app = make_app(Settings(), desk, sync_on_start=False)
    app.animation_level = "none"
    return app


async def settle(app: CsmApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def type_search(app: CsmApp, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    assert app.focused is app.screen.query_one("#search", Input)
    await pilot.press(*text)
    await settle(app, pilot)


def rows(app: CsmApp) -> list:  # type: ignore[type-arg]
    table = app.screen.query_one(CaseTable)
    return [table.cache.row(i) for i in range(table.row_count)]


def problem_line(app: CsmApp) -> str:
    line = app.screen.query_one("#search-problems", Static)
    return str(line.render()) if line.display else ""


def header(app: CsmApp) -> str:
    return str(app.screen.query_one("#queue-header").render())


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ("status:open", lambda r: r.status == "open"),
        ("prio:urgent", lambda r: r.priority == "urgent"),
        ("queue:de-billing", lambda r: r.queue == "DE Billing"),
        ("channel:phone", lambda r: r.channel == "phone"),
        ("#vip", lambda r: "vip" in r.tags),
        ("-#vip", lambda r: "vip" not in r.tags),
        ("assignee:none", lambda r: r.assignee == ""),
        ("@ben", lambda r: r.assignee == "Ben Okafor"),
        ("status:open prio:normal", lambda r: r.status == "open" and r.priority == "normal"),
        ("Parcel", lambda r: "Parcel" in r.subject),
        ('"never arrived"', lambda r: "never arrived" in r.subject),
        ("Rechn", lambda r: "Rechnung" in r.subject),  # the last word is a prefix
    ],
)
async def test_search_syntax_filters_the_table(desk: Desk, text: str, check) -> None:  # type: ignore[no-untyped-def]
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_search(app, pilot, text)
        found = rows(app)
        assert len(found) == desk.case_count(CaseQuery(search=text)) > 0
        assert all(check(r) for r in found), text
        assert "found" in header(app)


async def test_every_keystroke_requeries(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(CaseTable)
        await pilot.press("slash")
        counts = []
        for key in "Parcel":
            await pilot.press(key)
            await settle(app, pilot)
            counts.append(table.row_count)
        typed = "Parcel"
        assert counts == [
            desk.case_count(CaseQuery(search=typed[: i + 1])) for i in range(len(typed))
        ]
        assert counts[-1] == 5  # every 8th subject, of 40


HOSTILE = [
    '"',
    "*",
    "NEAR(",
    "NEAR(a b",
    "(",
    ")",
    "((refund",
    "refund)",
    'a"b',
    "a OR",
    "AND",
    "-",
    "status:",
    ":",
    "#",
    "@",
    "'; DROP TABLE case; --",
    "^",
    "col:val*",
    'subject:"x" NOT *',
]


async def test_hostile_search_never_raises(desk: Desk) -> None:
    """Typed key by key (every prefix is a query too), in one session."""
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(CaseTable)
        box = app.screen.query_one("#search", Input)
        for text in [*HOSTILE, "x" * 1200]:
            if len(text) > 100:
                await pilot.press("slash")
                box.value = text  # a paste: typing 1,200 keys would only slow the test
                await settle(app, pilot)
            else:
                await type_search(app, pilot, text)
            assert isinstance(app.screen, QueueScreen), text
            assert box.value == text
            assert table.row_count == desk.case_count(CaseQuery(search=text)), text
            # results, or a clear sentence; never the "something went wrong" one
            if table.row_count == 0:
                assert NO_MATCH_HINT in table.render_line(2).text, text
            for y in range(table.scrollable_content_region.height):
                table.render_line(y)
            await pilot.press("escape")  # clears the box for the next one
            await settle(app, pilot)
            assert table.row_count == 40
        assert all(n.message != UNEXPECTED_ERROR for n in app._notifications)
        assert all(n.severity != "error" for n in app._notifications)


async def test_problems_show_under_the_box(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_search(app, pilot, "status:bogus")
        problems = desk.search_problems("status:bogus")
        assert problems
        line = problem_line(app)
        assert problems[0][:30] in line
        assert app.screen.query_one(CaseTable).row_count == 0
        await pilot.press("escape")
        await settle(app, pilot)
        assert problem_line(app) == ""


async def test_escape_clears_and_returns_to_the_table(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(CaseTable)
        await type_search(app, pilot, "prio:urgent")
        assert table.row_count < 40
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.query_one("#search", Input).value == ""
        assert app.focused is table
        assert table.row_count == 40
        assert "found" not in header(app)


async def test_enter_keeps_the_search_and_goes_to_the_table(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(CaseTable)
        await type_search(app, pilot, "prio:urgent")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.focused is table
        urgent = table.row_count
        assert urgent == desk.case_count(CaseQuery(search="prio:urgent"))
        # keys act on the filtered table now; escape clears the search from the table too
        await pilot.press("escape")
        await settle(app, pilot)
        assert table.row_count == 40


async def test_typed_keys_do_not_trigger_queue_actions(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_search(app, pilot, "t a 1 s # u o n")
        assert app.screen.query_one("#search", Input).value == "t a 1 s # u o n"
        assert isinstance(app.screen, QueueScreen)
        assert desk.pending_count() == 0


async def test_search_narrows_the_current_view(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        screen.show_view("pending")
        await settle(app, pilot)
        await type_search(app, pilot, "#vip")
        table = screen.query_one(CaseTable)
        assert table.row_count == desk.case_count(CaseQuery(view="pending", search="#vip"))
        assert all(r.status == "pending" and "vip" in r.tags for r in rows(app))
