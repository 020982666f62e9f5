"""The queue's SLA column and its sort by next breach, on the hand-countable store of
tests/triage_support.py (NOW 2026-11-20 09:00 UTC, default policies): c3 (pending) is at risk
with its resolution due 11-24 09:00; c1, c2 and c6 have breached; c4 and c5 have nothing to
breach."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from csm_tui.desk import Desk
from csm_tui.widgets.case_table import CaseTable
from tests.functional.test_queue_paging import settle, start
from tests.triage_support import NOW, build


class Clock:
    """The desk's clock, moved by the test (the countdown reads it on every tick)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(tmp_path: Path, clock: Clock) -> Iterator[Desk]:
    desk = Desk(build(tmp_path / "store.sqlite3"), clock=clock)
    yield desk
    desk.close()


def line_of(table: CaseTable, case_id: str) -> str:
    index = table.index_of(case_id)
    assert index is not None
    return table.render_line(index - round(table.scroll_y) + 1).text


async def test_the_column_counts_down_on_every_tick(desk: Desk, clock: Clock) -> None:
    app = start(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(CaseTable)
        assert "SLA" in table.render_line(0).text
        assert "⚠ 4d00h" in line_of(table, "c3")  # at risk, with the symbol
        assert "✖ -" in line_of(table, "c1")  # breached
        assert "—" in line_of(table, "c4")  # solved: nothing to breach
        clock.now = NOW + timedelta(days=3, hours=23, minutes=55)
        table.tick_sla()
        await pilot.pause()
        assert table._sla_shown["c3"] == "⚠ 5m00s"
        assert "⚠ 5m00s" in line_of(table, "c3")
        clock.now += timedelta(minutes=6)
        table.tick_sla()
        await pilot.pause()
        assert table._sla_shown["c3"] == "✖ -1m00s"


async def test_a_tick_repaints_only_rows_whose_countdown_moved(desk: Desk, clock: Clock) -> None:
    app = start(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(CaseTable)
        refreshed: list[object] = []
        original = table.refresh

        def spy(*regions: object, **kw: object) -> object:
            refreshed.append(regions)
            return original(*regions, **kw)  # type: ignore[arg-type]

        table.refresh = spy  # type: ignore[method-assign]
        table.tick_sla()  # same instant: nothing moved
        assert refreshed == []
        clock.now += timedelta(minutes=2)
        table.tick_sla()
        assert len(refreshed) == 1


async def test_o_sorts_by_next_breach(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(CaseTable)
        for _ in range(3):  # updated -> created -> priority -> next SLA
            await pilot.press("o")
            await settle(app, pilot)
        assert "next SLA" in str(app.screen.query_one("QueueHeader").render())
        order = [table.case_id_at(i) for i in range(table.row_count)]
        assert order == ["c1", "c2", "c6", "c3", "c4", "c5"]


async def test_an_offline_reply_updates_the_column_without_a_sync(desk: Desk, clock: Clock) -> None:
    app = start(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(CaseTable)
        assert "✖" in line_of(table, "c2")
        # the first reply fulfils c2's breached first-reply clock; resolution (business
        # hours, due later) leads now
        app.edit(lambda: desk.reply("c2", "public", "Unblocked."), {"c2"})
        await settle(app, pilot)
        await settle(app, pilot)
        assert table.cache.peek(table.index_of("c2") or 0) is not None
        assert "✖" not in line_of(table, "c2")


async def test_the_case_header_shows_each_metric_counting_down(desk: Desk, clock: Clock) -> None:
    from csm_tui.widgets.sla_badges import SlaBadges
    from tests.functional.pilot_support import open_case

    app = start(desk)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        screen = await open_case(app, pilot, "c3")
        await settle(app, pilot)
        badges = screen.query_one(SlaBadges)
        text = badges.render().plain
        # c3 is pending: the resolution clock runs (at risk), the reply clocks wait
        assert "⚠ Resolution 4d00h" in text, text
        clock.now += timedelta(days=4, minutes=1)
        assert "✖ Resolution -1m00s" in badges.render().plain
