"""The case table at scale: drawing never reads the store, pages are read ahead in a worker,
a new query shows its first screen before the rest of its page, the number column fits the
longest number, and the fast line drawing draws what rich's Text drew."""

from __future__ import annotations

import gc
import threading
from dataclasses import replace
from typing import Any

import pytest
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widgets._footer import FooterKey

from csm_tui import collector
from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import CaseQuery, CaseRow, Desk
from csm_tui.screens.queue import QueueScreen
from csm_tui.widgets.case_table import (
    GAP,
    MARK_WIDTH,
    SELECTED_MARK,
    CaseTable,
    _fit,
    format_age,
    layout_columns,
    priority_label,
    sla_cell,
    status_label,
)
from csm_tui.widgets.view_list import ViewList

SIZE = (120, 36)


def start(desk: Desk) -> CsmApp:
    app = make_app(Settings(), desk, sync_on_start=False)
    app.animation_level = "none"
    return app


async def settle(app: CsmApp, pilot: Any) -> None:
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


def table_of(app: CsmApp) -> CaseTable:
    return app.screen.query_one(CaseTable)


def record_reads(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, bool]]:
    """Every ``case_window`` from now on: (offset, limit, on the UI thread?)."""
    reads: list[tuple[int, int, bool]] = []
    window = desk.case_window

    def recorded(offset: int, limit: int, query: CaseQuery | None = None) -> list[CaseRow]:
        reads.append((offset, limit, threading.current_thread() is threading.main_thread()))
        return window(offset, limit, query)

    monkeypatch.setattr(desk, "case_window", recorded)
    return reads


async def test_scrolling_reads_pages_ahead_in_a_worker(
    big_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(big_desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        reads = record_reads(big_desk, monkeypatch)
        body = table.scrollable_content_region.height - 1
        for _ in range(30):  # ~1,000 rows: five pages of 200
            before = round(table.scroll_y)
            # the page this keypress scrolls to is already here
            for index in range(before + body, min(before + 2 * body, table.row_count)):
                assert table.cache.peek(index) is not None, index
            await pilot.press("pagedown")
            await settle(app, pilot)
        assert round(table.scroll_y) > 4 * CaseTable.PAGE_SIZE
        assert reads, "pages were read as the table scrolled"
        assert not [r for r in reads if r[2]], "the UI thread read the store"
        assert all(limit == CaseTable.PAGE_SIZE for _, limit, _ in reads)
        lines = [table.render_line(y).text for y in range(1, body + 1)]
        assert f"Bulk case {round(table.scroll_y)} " in lines[0]


async def test_a_row_not_read_yet_is_drawn_as_loading_and_read_in_a_worker(
    big_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(big_desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        reads = record_reads(big_desk, monkeypatch)
        table.action_last()  # far past anything read ahead (and drawn before any await)
        line = table.render_line(table.scrollable_content_region.height - 1).text
        assert "…" in line and "Bulk case" not in line
        assert not reads  # drawing asked a worker; it did not read
        await settle(app, pilot)
        line = table.render_line(table.scrollable_content_region.height - 1).text
        assert "Bulk case 4999" in line
        assert reads and not [r for r in reads if r[2]]


async def test_a_new_query_reads_its_first_screen_then_the_rest_of_the_page(
    big_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(big_desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        reads = record_reads(big_desk, monkeypatch)
        await pilot.press("o")  # sort by created: a new query
        await settle(app, pilot)
        body = table.scrollable_content_region.height - 1
        first, *rest = reads
        assert first[0] == 0 and body <= first[1] < CaseTable.PAGE_SIZE  # one screen (and a few)
        assert rest and rest[0][:2] == (0, CaseTable.PAGE_SIZE)  # then the whole first page
        assert not [r for r in reads if r[2]]
        assert table.cache.has(0)


async def test_the_number_column_fits_the_longest_number(big_desk: Desk) -> None:
    # big_desk numbers are CS-100001 ... CS-105000: nine cells
    app = start(big_desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        number = next(c for c in table._columns if c.key == "number")
        assert number.width == len("CS-100000")
        line = table.render_line(1).text
        assert line.split()[0] == "CS-100001" and "…" not in line.split()[0]
        assert "NUMBER     SUBJECT" in table.render_line(0).text  # the header moved along
    assert {c.key: c.width for c in layout_columns(120, 9)}["number"] == 9
    assert {c.key: c.width for c in layout_columns(120)}["number"] == 8  # CS-10001 and alike


async def test_a_view_change_moves_the_sidebar_with_the_table(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        sidebar = screen.query_one(ViewList)
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert sidebar.highlighted_view == screen.view_id != "all"
        assert table_of(app).row_count == desk.case_count(CaseQuery(view=screen.view_id))
        # nothing held past the repaint; from the first paint on, collections wait for the
        # desk to be idle (collector.py) rather than run on their own
        assert not collector.held() and collector._idle.active and not gc.isenabled()
    assert gc.isenabled()  # the app gave the automatic collector back when it closed


async def test_focus_changes_do_not_keep_old_footer_keys(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)

        def detached_keys() -> int:
            gc.collect()
            return sum(
                1 for o in gc.get_objects() if isinstance(o, FooterKey) and not o.is_attached
            )

        await pilot.press("slash", "escape")
        await settle(app, pilot)
        before = detached_keys()
        for _ in range(5):  # each focus change recomposes the footer
            await pilot.press("slash")
            await settle(app, pilot)
            await pilot.press("escape")
            await settle(app, pilot)
        assert detached_keys() <= before + 5  # not 5 x 2 x (a footer's worth of keys)


# -- the line drawing draws what rich's Text drew ------------------------------------------


def reference_line(table: CaseTable, index: int, row: CaseRow) -> Strip:
    """A case line as the table drew it with rich's Text before it built segments itself."""
    from csm_tui.domain.text import clean_line

    width = table.scrollable_content_region.width
    base = table.rich_style
    selected = row.id in table.selected
    if index == table.cursor_row:
        row_style = table.get_component_rich_style(
            "case-table--cursor" if table.has_focus else "case-table--cursor-blurred"
        )
    elif selected:
        row_style = table.get_component_rich_style("case-table--selected")
    elif index % 2:
        row_style = table.get_component_rich_style("case-table--odd")
    else:
        row_style = Style()
    style = base + row_style

    def cell(value: str, cells: int, cell_style: Style | None = None) -> Text:
        text = Text(value, style=cell_style or "", no_wrap=True, overflow="ellipsis", end="")
        text.truncate(cells, overflow="ellipsis", pad=True)
        return text

    values = {
        "number": (clean_line(row.number), "case-table--number"),
        "subject": (clean_line(row.subject), None),
        "customer": (clean_line(row.customer), None),
        "status": (
            status_label(row.status),
            f"case-table--status-{clean_line(row.status).replace('_', '-')}",
        ),
        "priority": (priority_label(row.priority), f"case-table--priority-{row.priority}"),
        "queue": (clean_line(row.queue), None),
        "assignee": (clean_line(row.assignee) or "—", None),
        "age": (format_age(table.desk.now(), row.created_at), "case-table--age"),
        "sla": (
            sla_cell(table.desk.now(), row.sla_due, row.sla_risk)[0],
            f"case-table--sla-{sla_cell(table.desk.now(), row.sla_due, row.sla_risk)[1]}",
        ),
    }
    line = Text(style=style, end="")
    if selected:
        line.append_text(cell(SELECTED_MARK, MARK_WIDTH, table._cell_style("case-table--mark")))
    else:
        line.append(" " * MARK_WIDTH)
    for i, column in enumerate(table._columns):
        value, component = values[column.key]
        if i:
            line.append(" " * GAP)
        line.append_text(cell(value, column.width, table._cell_style(component)))
    segments = list(line.render(table.app.console))
    return Strip(segments).apply_style(style).adjust_cell_length(width, style).simplify()


HOSTILE: list[dict[str, str]] = [
    {"subject": "Überweisung nicht angekommen – bitte prüfen, dringend!!!"},
    {"subject": "請求書の金額が間違っています、確認してください", "customer": "山田 太郎"},
    {"subject": "emoji 🎉🎉 party 🎉", "customer": "Zoë Ångström"},
    {"subject": "e\u0301e\u0301 combining", "customer": "x" * 40},
    {"subject": "tab\there \x1b[31mred\x1b[0m", "customer": ""},
    {"subject": "", "status": "on_hold", "priority": "urgent"},
]


@pytest.mark.parametrize("width", [120, 80, 50])
async def test_case_lines_are_drawn_as_rich_text_drew_them(desk: Desk, width: int) -> None:
    app = start(desk)
    async with app.run_test(size=(width, 30)) as pilot:
        await settle(app, pilot)
        table = table_of(app)
        rows = [table.cache.row(i) for i in range(12)]
        table.set_selection({rows[3].id, rows[4].id})  # type: ignore[union-attr]
        await pilot.press("j", "j")
        await settle(app, pilot)
        for index, row in enumerate(rows):
            assert row is not None
            if index < len(HOSTILE):
                row = replace(row, **HOSTILE[index])  # type: ignore[arg-type]
            drawn = table._render_case(
                index, row, table.scrollable_content_region.width, table._styles()
            )
            expected = reference_line(table, index, row)
            assert drawn.text == expected.text, index
            assert (
                drawn.cell_length == expected.cell_length == table.scrollable_content_region.width
            )
            assert list(drawn) == list(expected), index


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a",
        "abcdefgh",
        "abcdefghi",
        "Müller",
        "山田太郎です",
        "🎉🎉🎉🎉🎉",
        "e\u0301e\u0301e\u0301e\u0301e\u0301",
    ],
)
@pytest.mark.parametrize("width", [1, 2, 3, 5, 8, 9])
def test_fit_is_rich_truncate(value: str, width: int) -> None:
    text = Text(value, no_wrap=True, overflow="ellipsis", end="")
    text.truncate(width, overflow="ellipsis", pad=True)
    assert _fit(value, width) == text.plain
