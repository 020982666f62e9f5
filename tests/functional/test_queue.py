"""Pilot tests of the queue and case screens: keys, navigation, help, keymap, paging."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session
from textual.widgets import HelpPanel

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.domain.models import Case
from csm_tui.screens.case import CaseScreen
from csm_tui.screens.queue import QueueScreen
from csm_tui.sync.report import SyncReport
from csm_tui.widgets.case_table import EMPTY_HINT, CaseTable, format_age, layout_columns
from csm_tui.widgets.message_view import MessageView
from csm_tui.widgets.timeline import Timeline

SIZE = (120, 36)


def table_of(app: CsmApp) -> CaseTable:
    return app.screen.query_one(CaseTable)


def table_lines(table: CaseTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


async def test_queue_shows_rows_newest_first(desk: Desk, settings: Settings) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE):
        assert isinstance(app.screen, QueueScreen)
        assert app.current_mode == "queue"
        table = table_of(app)
        assert table.row_count == 40
        lines = table_lines(table)
        assert "NUMBER" in lines[0] and "SUBJECT" in lines[0] and "AGE" in lines[0]
        assert lines[1].split()[0] == "CS-10001"
        assert "Rechnung doppelt abgebucht" in lines[1]
        assert "Jürgen Müller" in lines[1]
        assert lines[1].rstrip().endswith("3h")  # created 3 h before the fixed NOW
        assert "!! urgent" in lines[4]  # colour is never the only signal
        header = str(app.screen.query_one("#queue-header").render())
        assert "csm desk" in header and "@anna" in header and "40 cases" in header


async def test_cursor_keys(desk: Desk, settings: Settings) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        await pilot.press("j", "down")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("up", "up")
        assert table.cursor_row == 0
        await pilot.press("pagedown")
        assert table.cursor_row == table.scrollable_content_region.height - 1
        await pilot.press("end")
        assert table.cursor_row == 39
        assert table.render_line(table.scrollable_content_region.height - 1).text.split()[0] == (
            "CS-10040"
        )
        await pilot.press("home")
        assert (table.cursor_row, round(table.scroll_y)) == (0, 0)
        await pilot.press("G")
        assert table.cursor_row == 39
        await pilot.press("g", "pageup")
        assert table.cursor_row == 0


async def test_enter_opens_case_and_escape_returns(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "j", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        assert screen.case_id == ids("case", 3)
        views = list(screen.query(MessageView))
        # case 3 has five messages, oldest first, one of each kind
        assert [v.message.kind for v in views] == [
            "customer",
            "event",
            "internal",
            "public",
            "customer",
        ]
        assert views[0].has_class("-customer") and views[2].has_class("-internal")
        labels = [str(label.render()) for label in views[2].query(".message-kind")]
        assert labels == ["■ INTERNAL NOTE"]
        assert "Checked the ledger for case 4" in views[2].body_text
        assert "Any news?" in views[-1].body_text
        title = str(screen.query_one("#case-title").render())
        assert "CS-10004" in title and "Cannot log in after password reset" in title
        customer = str(screen.query_one("#customer-panel").render())
        assert "Oliver Hughes" in customer and "K-20004" in customer and "standard" in customer

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        table = table_of(app)
        assert table.cursor_row == 3
        assert table.cursor_case_id == ids("case", 3)
        assert app.focused is table


async def test_case_opens_with_newest_message_in_view(desk: Desk, settings: Settings) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.press("j", "j", "j", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        assert timeline.max_scroll_y > 0
        assert timeline.scroll_y == timeline.max_scroll_y
        newest = list(timeline.query(MessageView))[-1]
        assert newest.region.bottom <= timeline.region.bottom


async def test_question_mark_toggles_key_help(desk: Desk, settings: Settings) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query(HelpPanel)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query(HelpPanel)


async def test_q_quits(desk: Desk, settings: Settings) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app._exit  # private: no public "exit requested" flag
    assert app.return_code == 0


async def test_keymap_remaps_by_binding_id(desk: Desk) -> None:
    app = make_app(Settings(keymap={"queue.cursor_down": "n"}), desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        await pilot.press("n", "n")
        assert table.cursor_row == 2
        await pilot.press("j")  # the old key is gone
        assert table.cursor_row == 2


async def test_empty_store_shows_hint(empty_desk: Desk, settings: Settings) -> None:
    app = make_app(settings, empty_desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        assert table.row_count == 0
        assert any(EMPTY_HINT in line for line in table_lines(table))
        await pilot.press("j", "end", "enter")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        assert "0 cases" in str(app.screen.query_one("#queue-header").render())


async def test_table_reads_windows_only(big_desk: Desk, settings: Settings) -> None:
    app = make_app(settings, big_desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        assert table.row_count == 5000
        assert table.cache.fetched_rows <= CaseTable.PAGE_SIZE
        await pilot.press("pagedown", "pagedown", "pagedown")
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 4999
        lines = table_lines(table)
        assert "Bulk case 4999" in lines[-1]
        await pilot.press("pageup", "k", "home")
        await pilot.pause()
        assert table.cursor_row == 0
        # the first page, then the last page: never the whole store
        assert table.cache.fetched_rows <= 3 * CaseTable.PAGE_SIZE
        assert table.cache.fetches <= 4


async def test_refresh_after_sync_keeps_cursor_on_same_case(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        table = table_of(app)
        await pilot.press(*["j"] * 5)
        line_before = table.cursor_row - round(table.scroll_y)
        assert table.cursor_case_id == ids("case", 5)
        # a sync brings in a case newer than all others: it lands on top of the queue
        with Session(desk.store) as session:
            session.add(
                Case(
                    id="new-case",
                    number="CS-99999",
                    subject="Brand new",
                    created_at=app.desk.now(),
                    updated_at=app.desk.now(),
                )
            )
            session.commit()
        app.post_message(CsmApp.SyncFinished(SyncReport(case_ids={"new-case"})))
        await pilot.pause()
        await pilot.pause()
        assert table.row_count == 41
        assert table.cursor_case_id == ids("case", 5)
        assert table.cursor_row == 6
        assert table.cursor_row - round(table.scroll_y) == line_before
        assert "41 cases" in str(app.screen.query_one("#queue-header").render())


async def test_unknown_theme_falls_back_with_a_notice(desk: Desk) -> None:
    app = make_app(Settings(theme="no-such-theme"), desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "csm-dark"
        messages = [n.message for n in app._notifications]  # private: no public accessor
        assert any("no-such-theme" in m for m in messages)


async def test_themes_registered_and_switchable(desk: Desk, settings: Settings) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        for name in ("csm-light", "csm-high-contrast", "textual-dark", "csm-dark"):
            app.theme = name
            await pilot.pause()
            assert "!! urgent" in table_lines(table_of(app))[4]


def test_layout_and_age_helpers() -> None:
    from datetime import datetime, timedelta

    now = datetime(2026, 11, 20, 9, 0)
    assert [
        format_age(now, now - d)
        for d in (
            timedelta(minutes=12),
            timedelta(hours=5),
            timedelta(days=3),
            timedelta(days=200),
            timedelta(days=800),
            timedelta(minutes=-5),
        )
    ] == ["12m", "5h", "3d", "28w", "2y", "0m"]
    wide = {c.key: c.width for c in layout_columns(120)}
    assert wide["subject"] > wide["customer"]
    narrow = [c.key for c in layout_columns(50)]
    assert "subject" in narrow and "number" in narrow and "queue" not in narrow


async def test_open_case_refreshes_when_sync_touches_it(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    from csm_tui.domain.models import Message

    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # case 0: two messages
        await pilot.pause()
        assert len(app.screen.query(MessageView)) == 2
        with Session(desk.store) as session:
            session.add(
                Message(
                    case_id=ids("case", 0),
                    kind="customer",
                    author_name="Jürgen Müller",
                    body="Hallo? Noch jemand da?",
                    created_at=app.desk.now(),
                )
            )
            session.commit()
        report = SyncReport(rows=1, case_ids={ids("case", 0)})
        app.post_message(CsmApp.SyncFinished(report))
        await pilot.pause()
        await pilot.pause()
        views = list(app.screen.query(MessageView))
        assert len(views) == 3
        assert views[-1].body_text == "Hallo? Noch jemand da?"
        assert isinstance(app.focused, Timeline)
