"""The queue's case table: a virtual, line-API table that never loads every case.

It knows only ``desk.case_count()`` and asks ``desk.case_window(offset, limit)`` for whole
pages of rows as the visible window needs them, keeping a few pages in a small LRU cache that a
refresh throws away. Rendering is Textual's line API (``ScrollView`` + ``render_line``), like
Textual's own ``DataTable`` and ``Log``: a fixed header line, then one ``Strip`` per case.

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

from csm_tui.desk import CaseRow, Desk
from csm_tui.domain.text import clean_line

#: Shown by the table when the store holds no case yet.
EMPTY_HINT = "No cases yet — run `csm sync` or press ctrl+r"

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

    def __init__(self, desk: Desk, page_size: int = 200, max_pages: int = 6) -> None:
        self.desk = desk
        self.page_size = page_size
        self.max_pages = max_pages
        self._pages: OrderedDict[int, list[CaseRow]] = OrderedDict()
        self.fetches = 0
        self.fetched_rows = 0

    def clear(self) -> None:
        self._pages.clear()

    def page(self, number: int) -> list[CaseRow]:
        rows = self._pages.get(number)
        if rows is not None:
            self._pages.move_to_end(number)
            return rows
        rows = self.desk.case_window(number * self.page_size, self.page_size)
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


#: (key, title, preferred width, smallest width); subject takes what is left.
_COLUMNS: tuple[tuple[str, str, int, int], ...] = (
    ("number", "Number", 8, 7),
    ("subject", "Subject", 0, 12),
    ("customer", "Customer", 16, 8),
    ("status", "Status", 7, 7),
    ("priority", "Priority", 9, 9),
    ("queue", "Queue", 12, 6),
    ("assignee", "Assignee", 14, 6),
    ("age", "Age", 4, 4),
)
#: Blank cells between columns.
GAP = 2
#: Columns given up, in this order, when even the smallest widths do not fit.
_DROP_ORDER = ("queue", "assignee", "customer")


def layout_columns(width: int) -> list[Column]:
    """Fit the columns to ``width`` cells: shrink the flexible ones, then drop some."""
    keys = [key for key, *_ in _COLUMNS]
    spec = {key: (title, pref, low) for key, title, pref, low in _COLUMNS}
    widths = {key: pref for key, (_title, pref, _low) in spec.items()}
    flexible = ["customer", "queue", "assignee"]

    def slack() -> int:
        # a one-cell left margin, then GAP cells between columns
        used = sum(widths[k] for k in keys if k != "subject") + 1 + GAP * (len(keys) - 1)
        return width - used

    while slack() < spec["subject"][2]:
        shrinkable = [k for k in flexible if k in keys and widths[k] > spec[k][2]]
        if shrinkable:
            widest = max(shrinkable, key=lambda k: widths[k])
            widths[widest] -= 1
            continue
        droppable = [k for k in _DROP_ORDER if k in keys]
        if not droppable:
            break
        keys.remove(droppable[0])
    widths["subject"] = max(spec["subject"][2], slack())
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
        Binding("enter", "open_case", "Open case", id="queue.open"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "case-table--header",
        "case-table--cursor",
        "case-table--cursor-blurred",
        "case-table--odd",
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

    cursor_row: reactive[int] = reactive(0, always_update=True)
    """Index of the highlighted case in the queue order."""

    def __init__(
        self,
        desk: Desk,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.desk = desk
        self.cache = PageCache(desk, page_size=self.PAGE_SIZE)
        self.row_count = 0
        self._columns: list[Column] = layout_columns(80)

    # -- data ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.row_count = self.desk.case_count()
        self._update_virtual_size()

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
        self.row_count = self.desk.case_count()
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

    # -- cursor ----------------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)

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
                return self._strip(Text(" " + EMPTY_HINT, style=style), width, style)
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
        if index == self.cursor_row:
            row_style = self.get_component_rich_style(
                "case-table--cursor" if self.has_focus else "case-table--cursor-blurred"
            )
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
        for i, column in enumerate(self._columns):
            value, component = values[column.key]
            line.append(" " * GAP if i else " ")
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
    line = Text(style=style, end="")
    for i, column in enumerate(columns):
        line.append(" " * GAP if i else " ")
        line.append_text(_cell(column.title.upper(), column.width))
    return line


__all__ = [
    "EMPTY_HINT",
    "CaseTable",
    "Column",
    "PageCache",
    "format_age",
    "layout_columns",
    "priority_label",
    "status_label",
]
