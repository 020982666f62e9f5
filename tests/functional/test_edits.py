"""Edits from the keyboard go through the outbox: case screen keys (the composer has
tests/functional/test_composer.py), the conflicts screen and the status bar. A real store;
no server (pushes come in e2e)."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import DataTable, OptionList

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.screens.case import CaseScreen
from csm_tui.screens.choice import ChoiceModal
from csm_tui.screens.conflicts import ConflictsScreen
from csm_tui.widgets.sync_status import SyncStatusBar

SIZE = (120, 36)


async def _open_case(app: CsmApp, pilot, row: int) -> CaseScreen:  # type: ignore[no-untyped-def]
    await pilot.press(*(["j"] * row), "enter")
    await pilot.pause()
    assert isinstance(app.screen, CaseScreen)
    return app.screen


async def _edits_done(app: CsmApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


def _outbox(desk: Desk) -> list[tuple]:
    with desk.store.connect() as conn:
        return list(conn.exec_driver_sql("SELECT mid, op, entity, entity_id FROM outbox"))


async def test_priority_key_changes_the_case_and_queues_one_edit(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_case(app, pilot, 1)
        assert desk.case_detail(ids("case", 1)).case.priority != "low"  # type: ignore[union-attr]
        await pilot.press("p")
        assert isinstance(app.screen, ChoiceModal)
        options = app.screen.query_one(OptionList)
        values = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert values == ["urgent", "high", "normal", "low"]
        options.highlighted = values.index("low")
        await pilot.press("enter")
        await _edits_done(app, pilot)
        assert app.screen is screen
        assert desk.case_detail(ids("case", 1)).case.priority == "low"  # type: ignore[union-attr]
        assert _outbox(desk) == [(1, "update", "case", ids("case", 1))]
        badges = " ".join(str(b.render()) for b in screen.query("#case-header .badge"))
        assert "priority" in badges and "low" in badges
        bar = screen.query_one(SyncStatusBar)
        assert "1 pending" in bar.render().plain


async def test_status_picker_offers_only_allowed_moves(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await _open_case(app, pilot, 0)
        status = desk.case_detail(ids("case", 0)).case.status  # type: ignore[union-attr]
        await pilot.press("s")
        options = app.screen.query_one(OptionList)
        offered = {options.get_option_at_index(i).id for i in range(options.option_count)}
        assert "new" not in offered or status == "new"
        assert status in offered
        await pilot.press("escape")
        assert isinstance(app.screen, CaseScreen)
        assert _outbox(desk) == []


def _add_conflict(desk: Desk, case_id: str) -> None:
    with desk.store.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO conflict (entity, entity_id, field, mine, theirs, by, at, created_at) "
            "VALUES ('case', ?, 'priority', '\"urgent\"', '\"low\"', 'Anna [b]Schmidt[/b]', "
            "'2026-11-20T08:00:00', '2026-11-20 08:00:00')",
            (case_id,),
        )


async def test_conflicts_stay_in_the_status_bar_until_resolved(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    case_id = next(r.id for r in desk.case_window(0, 40) if r.status not in ("closed", "solved"))
    _add_conflict(desk, case_id)
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        bar = app.screen.query_one(SyncStatusBar)
        assert "⚠ 1 conflicts (C)" in bar.render().plain
        await pilot.press("C")
        screen = app.screen
        assert isinstance(screen, ConflictsScreen)
        table = screen.query_one("#conflicts-table", DataTable)
        assert table.row_count == 1
        cells = [str(c) for c in table.get_row_at(0)]
        assert cells[1:5] == ["priority", "urgent", "low", "Anna [b]Schmidt[/b]"]
        await pilot.press("m")  # keep mine: a new edit of that field
        await _edits_done(app, pilot)
        assert table.row_count == 0
        assert desk.case_detail(case_id).case.priority == "urgent"  # type: ignore[union-attr]
        assert [row[1:] for row in _outbox(desk)] == [("update", "case", case_id)]
        await pilot.press("escape")
        await pilot.pause()
        assert "0 conflicts" in app.screen.query_one(SyncStatusBar).render().plain
