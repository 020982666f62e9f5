"""Triage from the queue screen: single keys, bulk actions on a selection, undo, next case,
the views sidebar and its counts, live refreshes, keymap and palette. A real store; no server.

The fixture desk holds 40 cases; in the "All" view (updated, newest first) row ``n`` is case
``n``: status ``STATUSES[n % 6]`` (new, open, pending, on_hold, solved, closed), priority
``PRIORITIES[n % 5]`` (normal, high, low, urgent, normal), assignee agent ``n % 4`` (none when
``n % 5 == 0``), tags billing+vip when ``n % 3 == 0`` else delivery.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from textual.widgets import OptionList

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import CaseQuery, Desk
from csm_tui.screens.agent_picker import AgentPicker
from csm_tui.screens.case import CaseScreen
from csm_tui.screens.choice import ChoiceModal
from csm_tui.screens.confirm import ConfirmModal
from csm_tui.screens.queue import QueueScreen
from csm_tui.screens.tags_modal import TagsModal, parse_tag_edit
from csm_tui.widgets.case_table import SELECTED_MARK, CaseTable
from csm_tui.widgets.view_list import ViewList, count_label

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def signed_in(desk: Desk, ids: Callable[[str, int], str]) -> Desk:
    """The desk knows who it is (as after the first sync): agent 0, @anna."""
    with sqlite3.connect(desk.store_path) as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
            [
                ("agent_id", ids("agent", 0)),
                ("agent_handle", "anna"),
                ("agent_name", "Anna Berger"),
            ],
        )
    return desk


def outbox_count(desk: Desk) -> int:
    with sqlite3.connect(desk.store_path) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def case(desk: Desk, case_id: str):  # type: ignore[no-untyped-def]
    detail = desk.case_detail(case_id)
    assert detail is not None
    return detail.case


def table_of(app: CsmApp) -> CaseTable:
    return app.screen.query_one(CaseTable)


def header_text(app: CsmApp) -> str:
    return str(app.screen.query_one("#queue-header").render())


def notes(app: CsmApp) -> list[str]:
    return [n.message for n in app._notifications]


async def settle(app: CsmApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def start(desk: Desk, settings: Settings | None = None) -> CsmApp:
    app = make_app(settings or Settings(), desk, sync_on_start=False)
    app.animation_level = "none"
    return app


# -- single keys ---------------------------------------------------------------------------


async def test_take_assigns_the_case_to_me(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert case(desk, ids("case", 0)).assignee == ""  # case 0 is unassigned
        await pilot.press("t")
        await settle(app, pilot)
        assert case(desk, ids("case", 0)).assignee == "Anna Berger"
        assert outbox_count(desk) == 1
        assert any("Taken" in n for n in notes(app))


async def test_assign_picks_an_agent_by_typing(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "a")
        assert isinstance(app.screen, AgentPicker)
        options = app.screen.query_one(OptionList)
        assert options.option_count == 5  # nobody + four agents
        await pilot.press(*"chl")
        assert options.option_count == 1
        assert options.highlighted_option is not None
        assert "Chlo" in str(options.highlighted_option.prompt)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        assert case(desk, ids("case", 1)).assignee == "Chloé Martin"
        assert outbox_count(desk) == 1


async def test_assign_nobody_unassigns(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "a")
        await pilot.press(*"nobody", "enter")
        await settle(app, pilot)
        assert case(desk, ids("case", 1)).assignee == ""


async def test_escape_in_the_picker_changes_nothing(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "escape")
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        assert outbox_count(desk) == 0


async def test_keys_1_to_4_set_the_priority(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        for key, priority in (("1", "urgent"), ("2", "high"), ("3", "normal"), ("4", "low")):
            # the edited case moves to the top (newest update first): put the cursor back
            assert table.move_to_case(ids("case", 1))
            await pilot.press(key)
            await settle(app, pilot)
            assert case(desk, ids("case", 1)).priority == priority
        # case 1 was high: high -> urgent, -> high, -> normal, -> low are four edits
        assert outbox_count(desk) == 4


async def test_status_offers_what_the_rules_allow(
    desk: Desk, ids: Callable[[str, int], str]
) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "s")  # case 1 is open
        assert isinstance(app.screen, ChoiceModal)
        options = app.screen.query_one(OptionList)
        offered = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert offered == ["open", "pending", "on_hold", "solved"]
        options.highlighted = offered.index("pending")
        await pilot.press("enter")
        await settle(app, pilot)
        assert case(desk, ids("case", 1)).status == "pending"
        assert outbox_count(desk) == 1


async def test_tags_add_and_remove_in_one_line(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("number_sign")  # case 0: billing, vip
        assert isinstance(app.screen, TagsModal)
        assert "#billing #vip" in str(app.screen.query_one("#tags-current").render())
        await pilot.press(*"+callback -vip", "enter")
        await settle(app, pilot)
        assert set(case(desk, ids("case", 0)).tags) == {"billing", "callback"}
        assert outbox_count(desk) >= 1


def test_parse_tag_edit() -> None:
    edit = parse_tag_edit("+vip -refund billing #x -#y +vip")
    assert edit.add == ["vip", "billing", "x"]
    assert edit.remove == ["refund", "y"]
    assert edit.sentence == "add #vip, #billing, #x and remove #refund, #y"
    assert parse_tag_edit("  + - ").add == []


async def test_undo_restores_the_last_edit(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "1")
        await settle(app, pilot)
        assert case(desk, ids("case", 1)).priority == "urgent"
        await pilot.press("u")
        await settle(app, pilot)
        assert case(desk, ids("case", 1)).priority == "high"
        assert any(n.title == "Undone" for n in app._notifications)


async def test_undo_with_nothing_to_undo_says_so(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("u")
        await settle(app, pilot)
        assert "Nothing to undo." in notes(app)


async def test_n_goes_to_the_case_after_the_one_acted_on(
    desk: Desk, ids: Callable[[str, int], str]
) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        await pilot.press("j", "j", "3")  # case 2: low -> normal; it moves to the top
        await settle(app, pilot)
        await pilot.press("n")
        assert table.cursor_case_id == ids("case", 3)
        await pilot.press("n")
        assert table.cursor_case_id == ids("case", 4)


async def test_next_case_from_the_case_screen(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.case_id == ids("case", 2)
        # act on the case (priority), then go straight on to the next one
        await pilot.press("p")
        options = app.screen.query_one(OptionList)
        options.highlighted = 0  # urgent
        await pilot.press("enter")
        await settle(app, pilot)
        assert case(desk, ids("case", 2)).priority == "urgent"
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert isinstance(app.screen, CaseScreen)
        assert app.screen.case_id == ids("case", 3)
        assert "CS-10004" in str(app.screen.query_one("#case-title").render())
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert app.screen.case_id == ids("case", 4)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        assert table_of(app).cursor_case_id == ids("case", 4)


# -- bulk ----------------------------------------------------------------------------------


async def test_space_selects_three_rows_and_one_key_changes_them_all(
    desk: Desk, ids: Callable[[str, int], str]
) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        await pilot.press("space", "j", "space", "j", "space")
        assert table.selected == {ids("case", n) for n in range(3)}
        assert "3 selected" in header_text(app)
        lines = [table.render_line(y).text for y in range(1, 5)]
        assert [line.startswith(SELECTED_MARK) for line in lines] == [True, True, True, False]
        await pilot.press("1")
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question == "Set priority urgent on 3 cases?"
        await pilot.press("y")
        await settle(app, pilot)
        # cases 0, 1, 2 were normal, high, low: three edits, each its own outbox mutation
        assert outbox_count(desk) == 3
        assert {case(desk, ids("case", n)).priority for n in range(3)} == {"urgent"}
        assert "Priority urgent: 3 cases changed." in notes(app)
        assert table.selected == set()
        assert "selected" not in header_text(app)


async def test_declining_the_confirmation_changes_nothing(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("space", "j", "space", "t")
        assert isinstance(app.screen, ConfirmModal)
        assert "2 cases" in app.screen.question
        await pilot.press("n")
        await settle(app, pilot)
        assert outbox_count(desk) == 0
        assert len(table_of(app).selected) == 2  # the selection stays for another try


async def test_shift_down_and_v_extend_a_range(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        await pilot.press("shift+down", "shift+down")
        assert table.selected == {ids("case", n) for n in range(3)}
        await pilot.press("escape")
        assert table.selected == set()
        await pilot.press("j", "j", "j", "v", "j", "j", "j")
        assert table.selected == {ids("case", n) for n in range(5, 9)}
        await pilot.press("v", "j")  # the range ended: moving on adds nothing
        assert len(table.selected) == 4
        assert "4 selected" in header_text(app)


async def test_ctrl_a_selects_the_view_and_bulk_status_reports_skips(
    desk: Desk, ids: Callable[[str, int], str]
) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        await pilot.press("ctrl+a")
        await settle(app, pilot)
        assert len(table.selected) == 40
        assert "40 selected" in header_text(app)
        await pilot.press("s")
        assert isinstance(app.screen, ChoiceModal)
        options = app.screen.query_one(OptionList)
        offered = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert offered == ["open", "pending", "on_hold", "solved", "closed"]
        options.highlighted = offered.index("pending")
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question == "Set status pending on 40 cases?"
        await pilot.press("y")
        await settle(app, pilot)
        statuses = [case(desk, ids("case", n)).status for n in range(40)]
        # new, open, on_hold move to pending; solved cannot; closed takes no updates
        moved = sum(1 for n in range(40) if n % 6 in (0, 1, 3))
        assert outbox_count(desk) == moved
        assert statuses.count("pending") == moved + sum(1 for n in range(40) if n % 6 == 2)
        bulk = [n for n in app._notifications if n.title == "Bulk edit"]
        assert len(bulk) == 1
        assert f"{moved} cases changed" in bulk[0].message
        assert "skipped (first: " in bulk[0].message
        assert bulk[0].severity == "warning"


async def test_undo_after_a_bulk_action(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("space", "j", "space", "j", "space", "4", "y")
        await settle(app, pilot)
        assert [case(desk, ids("case", n)).priority for n in range(3)] == ["low"] * 3
        await pilot.press("u")
        await settle(app, pilot)
        restored = [case(desk, ids("case", n)).priority for n in range(3)]
        assert restored == ["normal", "high", "low"]
        assert any(n.title == "Undone" for n in app._notifications)


async def test_bulk_take_in_the_unassigned_view(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        screen.show_view("unassigned")
        await settle(app, pilot)
        table = table_of(app)
        unassigned = desk.case_count(CaseQuery(view="unassigned"))
        assert table.row_count == unassigned > 0
        await pilot.press("ctrl+a")
        await settle(app, pilot)
        await pilot.press("t")
        assert isinstance(app.screen, ConfirmModal)
        assert f"Take {unassigned} cases" in app.screen.question
        await pilot.press("y")
        await settle(app, pilot)
        assert outbox_count(desk) == unassigned
        assert table.row_count == 0


# -- live ----------------------------------------------------------------------------------


async def test_selection_and_cursor_survive_a_live_refresh(
    desk: Desk, ids: Callable[[str, int], str]
) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        await pilot.press("j", "space", "j", "j", "space")
        assert table.selected == {ids("case", 1), ids("case", 3)}
        assert table.cursor_case_id == ids("case", 3)
        # a change arrives (as a sync would write it) and moves case 3 up by one row
        with sqlite3.connect(desk.store_path) as conn:
            conn.execute(
                'UPDATE "case" SET subject = ?, updated_at = ? WHERE id = ?',
                ("Renamed by a colleague", "2026-11-20 08:59:00.000000", ids("case", 3)),
            )
        app.cases_changed_signal.publish({ids("case", 3)})
        await settle(app, pilot)
        assert table.cursor_case_id == ids("case", 3)
        assert table.selected == {ids("case", 1), ids("case", 3)}
        assert "Renamed by a colleague" in table.render_line(1 + table.cursor_row).text
        assert "2 selected" in header_text(app)


# -- views ---------------------------------------------------------------------------------


async def test_sidebar_counts_match_the_desk_and_follow_edits(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        sidebar = app.screen.query_one(ViewList)
        counts = desk.view_counts()
        views = desk.views()
        assert sidebar.view_ids == [v.id for v in views]
        for i, view in enumerate(views):
            assert sidebar.count_of(view.id) == counts[view.id]
            line = sidebar.line_text(i)
            assert line.startswith(view.title[:10])
            assert line.rstrip().endswith(count_label(counts[view.id]))
        before = counts["unassigned"]
        await pilot.press("t")  # case 0 is unassigned and new
        await settle(app, pilot)
        assert sidebar.count_of("unassigned") == before - 1 == desk.view_counts()["unassigned"]


async def test_a_synced_new_queue_adds_its_view(desk: Desk) -> None:
    from sqlmodel import Session

    from csm_tui.domain.models import Queue

    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        sidebar = app.screen.query_one(ViewList)
        with Session(desk.store) as session:  # as a pull would write it
            session.add(Queue(id="q-new", slug="fr-returns", name="FR Returns", country="FR"))
            session.commit()
        app.cases_changed_signal.publish(set())
        await settle(app, pilot)
        assert sidebar.view_ids == [v.id for v in desk.views()]
        assert any("FR Returns" in sidebar.line_text(i) for i in range(len(sidebar.view_ids)))
        assert sidebar.highlighted_view == "all"


async def test_brackets_move_between_views(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        ids_ = [v.id for v in desk.views()]
        assert screen.view_id == "all"
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert screen.view_id == ids_[(ids_.index("all") + 1) % len(ids_)]
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(app, pilot)
        view = ids_[(ids_.index("all") - 1) % len(ids_)]
        assert screen.view_id == view
        table = table_of(app)
        assert table.row_count == desk.case_count(CaseQuery(view=view))
        assert screen.view_title(view) in header_text(app)


async def test_the_sidebar_picks_a_view_with_the_cursor(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        sidebar = app.screen.query_one(ViewList)
        sidebar.focus()
        sidebar.highlighted = sidebar.view_ids.index("pending")
        await settle(app, pilot)
        table = table_of(app)
        assert table.row_count == desk.case_count(CaseQuery(view="pending"))
        assert all(
            table.cache.row(i).status == "pending"  # type: ignore[union-attr]
            for i in range(table.row_count)
        )
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is table


async def test_changing_view_clears_the_selection(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("space", "right_square_bracket")
        await settle(app, pilot)
        assert table_of(app).selected == set()


# -- keymap, palette, help -------------------------------------------------------------------


async def test_new_bindings_remap_by_id(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk, Settings(keymap={"queue.take": "T", "queue.priority_urgent": "!"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        assert outbox_count(desk) == 0
        await pilot.press("T")
        await settle(app, pilot)
        assert case(desk, ids("case", 0)).assignee == "Anna Berger"
        assert table_of(app).move_to_case(ids("case", 1))
        await pilot.press("exclamation_mark")
        await settle(app, pilot)
        assert case(desk, ids("case", 1)).priority == "urgent"


async def test_every_queue_action_is_in_the_command_palette(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title in (
            "Take",
            "Assign",
            "Priority urgent",
            "Priority low",
            "Status",
            "Tags",
            "Next case",
            "Undo",
            "Sort",
            "Search",
            "Select",
            "Select all in view",
            "Next view",
            "Open case",
            "Sync now",
        ):
            assert title in titles, title
        for view in desk.views():
            assert f"View: {view.title}" in titles
        take = next(c for c in app.get_system_commands(app.screen) if c.title == "Take")
        assert "(t)" in take.help
        await take.callback()  # type: ignore[misc]
        await settle(app, pilot)
        assert outbox_count(desk) == 1


async def test_palette_runs_a_command_by_name(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Priority low")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert case(desk, ids("case", 0)).priority == "low"


async def test_palette_switches_views(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "View: Pending")
        assert command.help == f"Show Pending ({desk.view_counts()['pending']} cases)"
        command.callback()
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        assert screen.view_id == "pending"
        assert table_of(app).row_count == desk.case_count(CaseQuery(view="pending"))


async def test_sort_key_cycles_and_the_header_says_it(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "sort: updated ↓" in header_text(app)
        table = table_of(app)
        for expected in ("created", "priority", "next SLA", "updated"):
            await pilot.press("o")
            await settle(app, pilot)
            assert f"sort: {expected}" in header_text(app)
        await pilot.press("o", "o")  # priority
        await settle(app, pilot)
        priorities = [table.cache.row(i).priority for i in range(40)]  # type: ignore[union-attr]
        assert priorities[0] == "urgent" and priorities[-1] == "low"


def test_result_sentence_and_merged_tag_results() -> None:
    from csm_tui.desk import BulkResult
    from csm_tui.screens.queue import _merge_results, result_sentence

    result = BulkResult(
        changed=["a", "b"],
        skipped=[("c", "A closed case takes no more updates."), ("e", "Other.")],
        unchanged=["d"],
    )
    assert result_sentence("Status open", result) == (
        "Status open: 2 cases changed, 1 already so, 2 skipped "
        "(first: A closed case takes no more updates).",
        "warning",
    )
    assert result_sentence("Taken", BulkResult(changed=["a"])) == (
        "Taken: 1 case changed.",
        "information",
    )
    added = BulkResult(changed=["a"], skipped=[("c", "closed")], unchanged=["b"])
    removed = BulkResult(changed=["b"], skipped=[("c", "closed")], unchanged=["a"])
    merged = _merge_results(added, removed)
    assert merged.changed == ["a", "b"]
    assert merged.skipped == [("c", "closed")]
    assert merged.unchanged == []
