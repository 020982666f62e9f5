"""The queue's case table: a virtual, line-API table that never loads every case.

It knows only ``desk.case_count(query)`` and asks ``desk.case_window(offset, limit, query)``
for whole pages of rows as the visible window needs them, keeping a few pages in a small LRU
cache that a refresh (or a new :class:`~csm_tui.desk.CaseQuery`) throws away. Rendering is
Textual's line API (``ScrollView`` + ``render_line``), like Textual's own ``DataTable`` and
``Log``: a fixed header line, then one ``Strip`` per case.

Selection is a set of case ids, never row numbers, so it survives refreshes that move rows:
``space`` toggles the row under the cursor, ``shift+up/down`` extend, ``v`` starts a range that
follows the cursor. Selected rows carry a ``✓`` in the mark column (text, not only colour).

Customer and server text (subject, customer, queue, assignee) goes through ``clean_line`` and is
drawn as ``rich.text.Text``: it is never parsed as markup.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from csm_tui.desk import CaseQuery, CaseRow, Desk
from csm_tui.domain.text import clean_line

#: Shown by the table when the store holds no case yet.
EMPTY_HINT = "No cases yet — run `csm sync` or press ctrl+r"
#: Shown when a search or a view matches nothing (while the store does hold cases).
NO_MATCH_HINT = "No case matches — escape clears the search"
EMPTY_VIEW_HINT = "No case in this view"

#: The mark column at the left: a selected row shows SELECTED_MARK.
SELECTED_MARK = "✓"
MARK_WIDTH = 2

#: Priority markers: the text says what the colour says, so colour is never the only signal.
PRIORITY_MARKS: dict[str, str] = {"urgent": "!!", "high": "! ", "normal": "  ", "low": "  "}


def priority_label(priority: str) -> str:
    """``"!! urgent"``, ``"!  high"``, ``"   normal"``: marker, then the name."""
    name = clean_line(priority)
    return f"{PRIORITY_MARKS.get(name, '  ')} {name}"


def status_label(status: str) -> str:
    """The status as people say it (``on_hold`` -> ``on hold``)."""
    return clean_line(status).replace("_", " ")


def format_age(now: datetime, then: datetime) -> str:
    """A short age: ``12m``, ``5h``, ``3d``, ``8w``, ``2y`` (never negative)."""
    seconds = max(0, int((now - then).total_seconds()))
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days = hours // 24
    if days < 100:
        return f"{days}d"
    if days < 730:
        return f"{days // 7}w"
    return f"{days // 365}y"


class PageCache:
    """Pages of queue rows fetched from the desk, least recently used dropped first.

    ``fetched_rows`` and ``fetches`` count what was asked of the desk, so tests (and the
    curious) can see that the table only ever reads windows.
    """

    def __init__(
        self,
        desk: Desk,
        page_size: int = 200,
        max_pages: int = 6,
        query: CaseQuery | None = None,
    ) -> None:
        self.desk = desk
        self.page_size = page_size
        self.max_pages = max_pages
        self.query = query
        self._pages: OrderedDict[int, list[CaseRow]] = OrderedDict()
        self.fetches = 0
        self.fetched_rows = 0

    def clear(self) -> None:
        self._pages.clear()

    def seed(self, number: int, rows: list[CaseRow]) -> None:
        """Put a page read elsewhere (a worker thread) into the cache."""
        self._pages[number] = rows
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)

    def page(self, number: int) -> list[CaseRow]:
        rows = self._pages.get(number)
        if rows is not None:
            self._pages.move_to_end(number)
            return rows
        rows = self.desk.case_window(number * self.page_size, self.page_size, query=self.query)
        self.fetches += 1
        self.fetched_rows += len(rows)
        self._pages[number] = rows
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)
        return rows

    def row(self, index: int) -> CaseRow | None:
        if index < 0:
            return None
        number, at = divmod(index, self.page_size)
        rows = self.page(number)
        return rows[at] if at < len(rows) else None

    def find(self, case_id: str, start: int, stop: int) -> int | None:
        """The index of ``case_id`` among rows ``start .. stop``, or None."""
        start = max(0, start)
        for number in range(start // self.page_size, (max(start, stop - 1)) // self.page_size + 1):
            for at, row in enumerate(self.page(number)):
                index = number * self.page_size + at
                if start <= index < stop and row.id == case_id:
                    return index
        return None


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int


#: (key, title, preferred width, comfortable width, smallest width); subject takes what is
#: left. Flexible columns shrink to their comfortable width before any column is dropped.
_COLUMNS: tuple[tuple[str, str, int, int, int], ...] = (
    ("number", "Number", 8, 8, 7),
    ("subject", "Subject", 0, 26, 12),
    ("customer", "Customer", 16, 12, 8),
    ("status", "Status", 7, 7, 7),
    ("priority", "Priority", 9, 9, 9),
    ("queue", "Queue", 12, 10, 6),
    ("assignee", "Assignee", 14, 10, 6),
    ("age", "Age", 4, 4, 4),
)
#: Blank cells between columns.
GAP = 2
#: Columns given up, in this order, when the subject would get too narrow.
_DROP_ORDER = ("queue", "assignee", "customer")
_FLEXIBLE = ("customer", "queue", "assignee")


def layout_columns(width: int) -> list[Column]:
    """Fit the columns to ``width`` cells. The subject should get its comfortable width: the
    flexible columns shrink to theirs first, then columns are dropped (queue, assignee,
    customer); only when even that is not enough does everything shrink to its smallest."""
    spec = {key: (title, pref, comfy, low) for key, title, pref, comfy, low in _COLUMNS}
    all_keys = [key for key, *_ in _COLUMNS]
    candidates = [
        [k for k in all_keys if k not in _DROP_ORDER[:dropped]]
        for dropped in range(len(_DROP_ORDER) + 1)
    ]

    def room(keys: list[str], widths: dict[str, int]) -> int:
        """Cells left for the subject."""
        used = sum(widths[k] for k in keys if k != "subject")
        return width - used - MARK_WIDTH - GAP * (len(keys) - 1)

    def fit(keys: list[str], floor: int, target: int) -> dict[str, int]:
        """Shrink flexible columns (widest first, not below ``floor``) until the subject
        gets ``target`` cells or nothing more can shrink."""
        widths = {key: spec[key][1] for key in keys}
        while room(keys, widths) < target:
            shrinkable = [k for k in _FLEXIBLE if k in keys and widths[k] > spec[k][floor]]
            if not shrinkable:
                break
            widths[max(shrinkable, key=lambda k: widths[k])] -= 1
        return widths

    comfortable, smallest = spec["subject"][2], spec["subject"][3]
    keys, widths = candidates[-1], fit(candidates[-1], 3, smallest)
    for floor, target in ((2, comfortable), (3, smallest)):
        fitting = [(k, w) for k in candidates if room(k, w := fit(k, floor, target)) >= target]
        if fitting:
            keys, widths = fitting[0]
            break
    widths["subject"] = max(smallest, room(keys, widths))
    return [Column(key, spec[key][0], widths[key]) for key in keys]


class CaseTable(ScrollView, can_focus=True, inherit_bindings=False):
    """The virtual case list of the queue screen."""

    PAGE_SIZE: ClassVar[int] = 200

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Next case", id="queue.cursor_down", show=False),
        Binding("up,k", "cursor_up", "Previous case", id="queue.cursor_up", show=False),
        Binding("pagedown", "page_down", "Page down", id="queue.page_down", show=False),
        Binding("pageup", "page_up", "Page up", id="queue.page_up", show=False),
        Binding("home,g", "first", "First case", id="queue.first", show=False),
        Binding("end,G", "last", "Last case", id="queue.last", show=False),
        Binding("enter", "open_case", "Open case", id="queue.open", show=False),
        Binding("space", "toggle_selection", "Select", id="queue.select", key_display="space"),
        Binding(
            "shift+down", "extend_selection(1)", "Select down", id="queue.select_down", show=False
        ),
        Binding("shift+up", "extend_selection(-1)", "Select up", id="queue.select_up", show=False),
        Binding("v", "toggle_range", "Select a range", id="queue.select_range", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "case-table--header",
        "case-table--cursor",
        "case-table--cursor-blurred",
        "case-table--odd",
        "case-table--selected",
        "case-table--mark",
        "case-table--empty",
        "case-table--number",
        "case-table--age",
        "case-table--priority-urgent",
        "case-table--priority-high",
        "case-table--priority-normal",
        "case-table--priority-low",
        "case-table--status-new",
        "case-table--status-open",
        "case-table--status-pending",
        "case-table--status-on-hold",
        "case-table--status-solved",
        "case-table--status-closed",
    }

    DEFAULT_CSS = """
    CaseTable {
        overflow-x: hidden;
        overflow-y: auto;
        height: 1fr;
        background: $surface;
        & > .case-table--header { color: $foreground-muted; text-style: bold; background: $panel; }
        & > .case-table--cursor {
            background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
        }
        & > .case-table--cursor-blurred { background: $block-cursor-background 50%; }
        & > .case-table--odd { background: $foreground 4%; }
        & > .case-table--selected { background: $primary 22%; }
        & > .case-table--mark { color: $primary; text-style: bold; }
        & > .case-table--empty { color: $foreground-muted; text-style: italic; }
        & > .case-table--number { color: $foreground-muted; }
        & > .case-table--age { color: $foreground-muted; }
        & > .case-table--priority-urgent { color: $priority-urgent; text-style: bold; }
        & > .case-table--priority-high { color: $priority-high; }
        & > .case-table--priority-normal { color: $priority-normal; }
        & > .case-table--priority-low { color: $priority-low; }
        & > .case-table--status-new { color: $status-new; text-style: bold; }
        & > .case-table--status-open { color: $status-open; }
        & > .case-table--status-pending { color: $status-pending; }
        & > .case-table--status-on-hold { color: $status-on-hold; }
        & > .case-table--status-solved { color: $status-solved; }
        & > .case-table--status-closed { color: $status-closed; }
    }
    """

    @dataclass
    class CaseSelected(Message):
        """Enter was pressed on a case."""

        case_id: str

    @dataclass
    class SelectionChanged(Message):
        """The set of selected cases changed; ``count`` is how many are selected now."""

        table: CaseTable
        count: int

    cursor_row: reactive[int] = reactive(0, always_update=True)
    """Index of the highlighted case in the queue order."""

    def __init__(
        self,
        desk: Desk,
        *,
        query: CaseQuery | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.desk = desk
        self.cache = PageCache(desk, page_size=self.PAGE_SIZE, query=query)
        self.row_count = 0
        self._columns: list[Column] = layout_columns(80)
        #: What the empty table says (the queue screen sets it for views and searches).
        self.empty_hint = EMPTY_HINT
        #: Ids of the selected cases (kept across refreshes and new queries).
        self.selected: set[str] = set()
        #: Range mode (``v``): where the range started, and what was selected before it.
        self._anchor: int | None = None
        self._range_base: set[str] = set()

    # -- data ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.row_count = self.desk.case_count(query=self.case_query)
        self._update_virtual_size()

    @property
    def case_query(self) -> CaseQuery | None:
        """What the table shows (None: every case, most recently updated first)."""
        return self.cache.query

    def set_query(
        self,
        query: CaseQuery | None,
        *,
        count: int | None = None,
        first_page: list[CaseRow] | None = None,
    ) -> None:
        """Show ``query`` from its first row. ``count`` and ``first_page`` may come from a
        worker thread that already read them; otherwise they are read now."""
        self.cache.query = query
        self.cache.clear()
        self._anchor = None
        self.row_count = self.desk.case_count(query=query) if count is None else count
        if first_page is not None:
            self.cache.seed(0, first_page)
        self._update_virtual_size()
        self.cursor_row = 0
        self.scroll_to(y=0, animate=False)
        self.refresh()

    @property
    def cursor_case(self) -> CaseRow | None:
        """The case under the cursor (None when the queue is empty)."""
        if not self.row_count:
            return None
        return self.cache.row(self.cursor_row)

    @property
    def cursor_case_id(self) -> str | None:
        row = self.cursor_case
        return row.id if row is not None else None

    def refresh_rows(self) -> None:
        """Re-read the count and drop cached pages; keep the cursor on the same case.

        The case is looked for near where it was (one page either side of the cursor), and
        the scroll offset moves with it, so the highlighted case stays on the same screen line.
        """
        old_id = self.cursor_case_id
        old_cursor = self.cursor_row
        screen_line = old_cursor - round(self.scroll_y)
        self.cache.clear()
        self.row_count = self.desk.case_count(query=self.case_query)
        self._update_virtual_size()
        new_cursor = old_cursor
        if old_id is not None and self.row_count:
            found = self.cache.find(
                old_id, old_cursor - self.PAGE_SIZE // 2, old_cursor + self.PAGE_SIZE // 2
            )
            if found is not None:
                new_cursor = found
        self.cursor_row = self._clamp(new_cursor)
        self.scroll_to(y=max(0, self.cursor_row - screen_line), animate=False)
        self._scroll_cursor_into_view()
        self.refresh()

    def _clamp(self, index: int) -> int:
        return max(0, min(index, self.row_count - 1)) if self.row_count else 0

    def _update_virtual_size(self) -> None:
        # one line for the header; width follows the widget so there is never a
        # horizontal scrollbar
        self.virtual_size = Size(self.scrollable_content_region.width, self.row_count + 1)

    @property
    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def index_of(self, case_id: str, near: int | None = None) -> int | None:
        """The row of ``case_id`` within a page either side of ``near`` (default: the cursor)."""
        if not self.row_count:
            return None
        centre = self.cursor_row if near is None else near
        return self.cache.find(case_id, centre - self.PAGE_SIZE, centre + self.PAGE_SIZE)

    def case_id_at(self, index: int) -> str | None:
        if not 0 <= index < self.row_count:
            return None
        row = self.cache.row(index)
        return row.id if row is not None else None

    def move_to_case(self, case_id: str) -> bool:
        """Put the cursor on ``case_id`` if it is near the cursor; True if it was found."""
        found = self.index_of(case_id)
        if found is None:
            return False
        self._move_to(found)
        return True

    # -- selection -------------------------------------------------------------------------

    def set_selection(self, case_ids: set[str]) -> None:
        self._anchor = None
        self._apply_selection(set(case_ids))

    def clear_selection(self) -> None:
        self.set_selection(set())

    @property
    def range_mode(self) -> bool:
        return self._anchor is not None

    def _apply_selection(self, selected: set[str]) -> None:
        changed = selected != self.selected
        self.selected = selected
        if changed:
            self.refresh()
            self.post_message(self.SelectionChanged(self, len(selected)))

    def action_toggle_selection(self) -> None:
        case_id = self.cursor_case_id
        if case_id is None:
            return
        self._anchor = None
        self._apply_selection(self.selected ^ {case_id})

    def action_extend_selection(self, step: int) -> None:
        """shift+down/up: select the row under the cursor and the one the cursor moves to."""
        first = self.cursor_case_id
        if first is None:
            return
        self._anchor = None
        self._move_to(self.cursor_row + step)
        added = {first}
        if (second := self.cursor_case_id) is not None:
            added.add(second)
        self._apply_selection(self.selected | added)

    def action_toggle_range(self) -> None:
        """``v``: start a range at the cursor (it follows the cursor); ``v`` again ends it."""
        if self._anchor is not None:
            self._anchor = None
            self.post_message(self.SelectionChanged(self, len(self.selected)))
            return
        if self.cursor_case_id is None:
            return
        self._anchor = self.cursor_row
        self._range_base = set(self.selected)
        self._extend_range()

    def _extend_range(self) -> None:
        if self._anchor is None:
            return
        low, high = sorted((self._anchor, self.cursor_row))
        ids = {row_id for i in range(low, high + 1) if (row_id := self.case_id_at(i)) is not None}
        self._apply_selection(self._range_base | ids)

    # -- cursor ----------------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        if self._anchor is not None:
            self._extend_range()

    def _refresh_row(self, index: int) -> None:
        line = index - round(self.scroll_y) + 1
        if 1 <= line < self.scrollable_content_region.height:
            self.refresh_line(line + round(self.scroll_y))

    def _move_to(self, index: int) -> None:
        self.cursor_row = self._clamp(index)
        self._scroll_cursor_into_view()

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + self._body_height:
            self.scroll_to(y=self.cursor_row - self._body_height + 1, animate=False)

    def action_cursor_down(self) -> None:
        self._move_to(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self._move_to(self.cursor_row - 1)

    def action_page_down(self) -> None:
        step = self._body_height
        self.scroll_to(y=round(self.scroll_y) + step, animate=False)
        self._move_to(self.cursor_row + step)

    def action_page_up(self) -> None:
        step = self._body_height
        self.scroll_to(y=max(0, round(self.scroll_y) - step), animate=False)
        self._move_to(self.cursor_row - step)

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(self.row_count - 1)

    def action_open_case(self) -> None:
        case_id = self.cursor_case_id
        if case_id is not None:
            self.post_message(self.CaseSelected(case_id))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1 or not self.row_count:
            return
        index = round(self.scroll_y) + event.y - 1
        if index >= self.row_count:
            return
        if index == self.cursor_row and event.chain >= 2:
            self.action_open_case()
        else:
            self._move_to(index)

    # -- rendering -------------------------------------------------------------------------

    def on_resize(self, _event: events.Resize) -> None:
        self._columns = layout_columns(self.scrollable_content_region.width)
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    def on_focus(self) -> None:
        self._refresh_row(self.cursor_row)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor_row)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._render_header(width, base)
        if not self.row_count:
            if y == 2:
                style = base + self.get_component_rich_style("case-table--empty")
                return self._strip(Text(" " + self.empty_hint, style=style), width, style)
            return Strip.blank(width, base)
        index = round(self.scroll_y) + y - 1
        if index >= self.row_count:
            return Strip.blank(width, base)
        row = self.cache.row(index)
        if row is None:  # the store shrank under us; the next refresh fixes the count
            return Strip.blank(width, base)
        return self._render_case(index, row, width, base)

    def _render_header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("case-table--header")
        return self._strip(_header_line(self._columns, style), width, style)

    def _render_case(self, index: int, row: CaseRow, width: int, base: Style) -> Strip:
        selected = row.id in self.selected
        if index == self.cursor_row:
            row_style = self.get_component_rich_style(
                "case-table--cursor" if self.has_focus else "case-table--cursor-blurred"
            )
        elif selected:
            row_style = self.get_component_rich_style("case-table--selected")
        elif index % 2:
            row_style = self.get_component_rich_style("case-table--odd")
        else:
            row_style = Style()
        style = base + row_style
        line = Text(style=style, end="")
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
            "age": (format_age(self.desk.now(), row.created_at), "case-table--age"),
        }
        if selected:
            line.append_text(_cell(SELECTED_MARK, MARK_WIDTH, self._cell_style("case-table--mark")))
        else:
            line.append(" " * MARK_WIDTH)
        for i, column in enumerate(self._columns):
            value, component = values[column.key]
            if i:
                line.append(" " * GAP)
            line.append_text(_cell(value, column.width, self._cell_style(component)))
        return self._strip(line, width, style)

    def _cell_style(self, component: str | None) -> Style:
        """Only the foreground and weight of a cell's component: the row keeps its background
        (so the cursor highlight stays whole while priority colours show through)."""
        if component is None or component not in self.COMPONENT_CLASSES:
            return Style()
        full = self.get_component_rich_style(component)
        return Style(color=full.color, bold=full.bold, italic=full.italic)

    def _strip(self, line: Text, width: int, style: Style) -> Strip:
        # Text.render ignores the Text's own style when it has no spans, so the line style
        # is applied to the segments explicitly.
        segments = list(line.render(self.app.console))
        return Strip(segments).apply_style(style).adjust_cell_length(width, style).simplify()


def _cell(value: str, width: int, style: Style | None = None) -> Text:
    cell = Text(value, style=style or "", no_wrap=True, overflow="ellipsis", end="")
    cell.truncate(width, overflow="ellipsis", pad=True)
    return cell


def _header_line(columns: list[Column], style: Style) -> Text:
    line = Text(" " * MARK_WIDTH, style=style, end="")
    for i, column in enumerate(columns):
        if i:
            line.append(" " * GAP)
        line.append_text(_cell(column.title.upper(), column.width))
    return line


__all__ = [
    "EMPTY_HINT",
    "EMPTY_VIEW_HINT",
    "MARK_WIDTH",
    "NO_MATCH_HINT",
    "SELECTED_MARK",
    "CaseTable",
    "Column",
    "PageCache",
    "format_age",
    "layout_columns",
    "priority_label",
    "status_label",
]
