"""The queue's case table: a virtual, line-API table that never loads every case.

It knows only ``desk.case_count(query)`` and asks ``desk.case_window(offset, limit, query)``
for whole pages of rows, keeping a few pages in a small LRU cache that a refresh (or a new
:class:`~csm_tui.desk.CaseQuery`) throws away. Pages are read in a thread worker, ahead of the
visible window (a screen above, two below), so drawing never waits for SQLite; a new query
shows its first screen as soon as that is read, and the rest of its page comes after.
Rendering is Textual's line API (``ScrollView`` + ``render_line``), like Textual's own
``DataTable`` and ``Log``: a fixed header line, then one ``Strip`` per case, built straight
from segments with the styles worked out once per repaint (at 100,000 cases a repaint must
stay within a few milliseconds).

Selection is a set of case ids, never row numbers, so it survives refreshes that move rows:
``space`` toggles the row under the cursor, ``shift+up/down`` extend, ``v`` starts a range that
follows the cursor. Selected rows carry a ``✓`` in the mark column (text, not only colour).

Customer and server text (subject, customer, queue, assignee) goes through ``clean_line`` and is
drawn as plain segments: it is never parsed as markup.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from csm_tui.desk import CaseQuery, CaseRow, Desk
from csm_tui.domain.text import clean_line
from csm_tui.errors import CsmError

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


#: The SLA column's symbols: the text says what the colour says (never colour alone).
SLA_MARKS: dict[str, str] = {"breached": "✖", "at-risk": "⚠", "ok": "●", "none": ""}
#: Under this many seconds left (or over), the countdown shows seconds too.
SLA_SECONDS_UNDER = 600


def format_countdown(seconds: float) -> str:
    """Time to a breach, short: ``4m12s`` under 10 minutes, ``25m``, ``3h10``, ``2d04h``;
    negative (``-1h05``) once it is past."""
    sign = "-" if seconds < 0 else ""
    left = int(abs(seconds))
    minutes, secs = divmod(left, 60)
    if left < SLA_SECONDS_UNDER:
        return f"{sign}{minutes}m{secs:02d}s"
    if minutes < 60:
        return f"{sign}{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{sign}{hours}h{minutes:02d}"
    days, hours = divmod(hours, 24)
    if days > 99:
        return f"{sign}99d+"
    return f"{sign}{days}d{hours:02d}h"


def sla_cell(now: datetime, due: datetime | None, at_risk: datetime | None) -> tuple[str, str]:
    """The SLA column of a case: (text, state) with state ``breached``, ``at-risk``, ``ok``
    or ``none``: ``—`` for nothing to breach (solved, closed, paused; ``datetime.max``), ``…``
    while not computed yet (None)."""
    if due is None:
        return "…", "none"
    if due == datetime.max:
        return "—", "none"
    left = (due - now).total_seconds()
    if left < 0:
        state = "breached"
    elif at_risk is not None and now >= at_risk:
        state = "at-risk"
    else:
        state = "ok"
    return f"{SLA_MARKS[state]} {format_countdown(left)}", state


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

    The UI thread only ever *peeks* (:meth:`peek`): the table reads pages it will soon show
    in a thread worker (:meth:`read`, then :meth:`loaded` back on the UI thread), so drawing
    never waits for SQLite. :meth:`page` and :meth:`row` still read on the spot, for actions
    that need one case now (open, take, find after a refresh).

    A page may be *partial*: its first rows only (a new query shows its first screen as soon
    as it is read; the rest of the page comes after). ``generation`` changes whenever the
    cache is emptied, so pages read for an older query or an older store are dropped.

    ``fetched_rows`` and ``fetches`` count what was asked of the desk, so tests (and the
    curious) can see that the table only ever reads windows.
    """

    def __init__(
        self,
        desk: Desk,
        page_size: int = 200,
        max_pages: int = 8,
        query: CaseQuery | None = None,
    ) -> None:
        self.desk = desk
        self.page_size = page_size
        self.max_pages = max_pages
        self.query = query
        self._pages: OrderedDict[int, list[CaseRow]] = OrderedDict()
        self._partial: set[int] = set()
        self.generation = 0
        self.fetches = 0
        self.fetched_rows = 0
        #: Cells of the longest case number stored so far (it only grows: the number column
        #: keeps its width from view to view).
        self.longest_number = 0

    def clear(self) -> None:
        self._pages.clear()
        self._partial.clear()
        self.generation += 1

    def _store(self, number: int, rows: list[CaseRow], complete: bool) -> None:
        self._pages[number] = rows
        self._pages.move_to_end(number)
        if complete:
            self._partial.discard(number)
        else:
            self._partial.add(number)
        for row in rows:
            raw = row.number
            # clean_line never makes an ASCII number longer: most rows are skipped at once
            if len(raw) > self.longest_number or not raw.isascii():
                self.longest_number = max(self.longest_number, cell_len(clean_line(raw)))
        while len(self._pages) > self.max_pages:
            dropped, _ = self._pages.popitem(last=False)
            self._partial.discard(dropped)

    def seed(self, number: int, rows: list[CaseRow], *, complete: bool = True) -> None:
        """Put a page read elsewhere (a worker thread) into the cache; ``complete=False``:
        only its first rows."""
        self._store(number, rows, complete)

    def read(self, number: int, query: CaseQuery | None) -> list[CaseRow]:
        """Read page ``number`` of ``query`` from the desk (any thread; the cache is left
        alone: hand the rows to :meth:`loaded` on the UI thread)."""
        return self.desk.case_window(number * self.page_size, self.page_size, query=query)

    def loaded(self, number: int, rows: list[CaseRow]) -> None:
        """A page read by :meth:`read` in a worker."""
        self.fetches += 1
        self.fetched_rows += len(rows)
        self._store(number, rows, True)

    def has(self, number: int) -> bool:
        """Is page ``number`` here in full?"""
        return number in self._pages and number not in self._partial

    def page(self, number: int) -> list[CaseRow]:
        rows = self._pages.get(number)
        if rows is not None and number not in self._partial:
            self._pages.move_to_end(number)
            return rows
        rows = self.read(number, self.query)
        self.loaded(number, rows)
        return rows

    def row(self, index: int) -> CaseRow | None:
        """Row ``index``, read now if its page is not here."""
        if index < 0:
            return None
        number, at = divmod(index, self.page_size)
        rows = self._pages.get(number)
        if rows is None or (at >= len(rows) and number in self._partial):
            rows = self.page(number)
        else:
            self._pages.move_to_end(number)
        return rows[at] if at < len(rows) else None

    def peek(self, index: int) -> CaseRow | None:
        """Row ``index`` if it is here (None if it is not, or is past the end). Never reads."""
        if index < 0:
            return None
        number, at = divmod(index, self.page_size)
        rows = self._pages.get(number)
        return rows[at] if rows is not None and at < len(rows) else None

    def covers(self, index: int) -> bool:
        """Has the page of row ``index`` been read far enough to say what row it is (a row
        past the end of a whole page: there is none)?"""
        number, at = divmod(max(0, index), self.page_size)
        rows = self._pages.get(number)
        return rows is not None and (at < len(rows) or number not in self._partial)

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
#: The number column widens to the longest case number the table has read (``CS-100000``).
_COLUMNS: tuple[tuple[str, str, int, int, int], ...] = (
    ("number", "Number", 8, 8, 7),
    ("subject", "Subject", 0, 26, 12),
    ("customer", "Customer", 16, 12, 8),
    ("status", "Status", 7, 7, 7),
    ("priority", "Priority", 9, 9, 9),
    ("sla", "SLA", 9, 9, 9),
    ("queue", "Queue", 12, 10, 6),
    ("assignee", "Assignee", 14, 10, 6),
    ("age", "Age", 4, 4, 4),
)
#: Blank cells between columns.
GAP = 2
#: Columns given up, in this order, when the subject would get too narrow.
_DROP_ORDER = ("queue", "assignee", "customer")
_FLEXIBLE = ("customer", "queue", "assignee")


def layout_columns(width: int, number_width: int = 0) -> list[Column]:
    """Fit the columns to ``width`` cells. The subject should get its comfortable width: the
    flexible columns shrink to theirs first, then columns are dropped (queue, assignee,
    customer); only when even that is not enough does everything shrink to its smallest.
    The number column is at least ``number_width`` cells (the longest number to show)."""
    spec = {key: (title, pref, comfy, low) for key, title, pref, comfy, low in _COLUMNS}
    title, pref, comfy, low = spec["number"]
    spec["number"] = (title, max(pref, number_width), max(comfy, number_width), low)
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
        "case-table--sla-breached",
        "case-table--sla-at-risk",
        "case-table--sla-ok",
        "case-table--sla-none",
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
        & > .case-table--sla-breached { color: $sla-breach; text-style: bold; }
        & > .case-table--sla-at-risk { color: $sla-at-risk; text-style: bold; }
        & > .case-table--sla-ok { color: $sla-ok; }
        & > .case-table--sla-none { color: $foreground-muted; }
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
        #: The number column's width, as the columns were last laid out.
        self._number_width = 0
        #: Pages being read by a worker (of the cache's current generation).
        self._loading: set[int] = set()
        #: Styles of this render pass (None: work them out again).
        self._palette: _Palette | None = None
        #: Cell texts of the rows drawn lately, by case id (with the row they came from).
        self._cells: dict[str, tuple[CaseRow, tuple[str, ...]]] = {}
        self._header: tuple[tuple[object, ...], Strip] | None = None
        #: The instant of the repaint in progress (None between repaints).
        self._now: datetime | None = None
        #: The SLA text each case was last drawn with (the countdown tick compares).
        self._sla_shown: dict[str, str] = {}
        self._reads_due = False
        self._palette_checked = False
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
        if self.row_count:
            self.cache.page(0)  # the first screen: drawing never reads, so read it now
            self._check_number_width()

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
        worker thread that already read them; otherwise they are read now. ``first_page``
        may be the first screen only: the rest of its page is read after the repaint."""
        self.cache.query = query
        self.cache.clear()
        self._loading.clear()
        self._anchor = None
        self.row_count = self.desk.case_count(query=query) if count is None else count
        if first_page is not None:
            whole = len(first_page) >= min(self.row_count, self.PAGE_SIZE)
            self.cache.seed(0, first_page, complete=whole)
            self._check_number_width()
        self._update_virtual_size()
        self.cursor_row = 0
        self.scroll_to(y=0, animate=False)
        self.refresh()
        self._read_ahead()  # the rest of the first page, after the repaint

    @property
    def first_screen_rows(self) -> int:
        """How many rows a new query should read before its first repaint: a screenful and
        a few more (the rest of the page comes in the background)."""
        return min(self.PAGE_SIZE, max(self._body_height, 32) + 8)

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
        self._loading.clear()
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
        self._check_number_width()
        self.refresh()
        self._read_ahead()

    # -- reading ahead -----------------------------------------------------------------------

    def _read_ahead(self) -> None:
        """After the next repaint, have a worker read the pages of the rows on screen, a
        screen above and two below that are not here yet: scrolling finds its rows already
        read, and drawing (which never reads) rarely has to show a row as still loading.
        After the repaint, so that the worker never competes with drawing what is here."""
        if not self._reads_due:
            self._reads_due = True
            self.call_after_refresh(self._start_reads)

    def _start_reads(self) -> None:
        self._reads_due = False
        if not self.row_count or not self.is_attached:
            return
        top, body = round(self.scroll_y), self._body_height
        first = max(0, top - body)
        last = min(self.row_count, top + 3 * body) - 1
        if last < first:
            return
        size = self.PAGE_SIZE
        near = range(top // size, (min(self.row_count, top + body) - 1) // size + 1)
        wanted = [
            n
            for n in range(first // size, last // size + 1)
            if not self.cache.has(n) and n not in self._loading
        ]
        if not wanted:
            return
        wanted.sort(key=lambda n: n not in near)  # the pages on screen first
        self._loading.update(wanted)
        self._read_pages(self.cache.generation, self.cache.query, wanted)

    @work(thread=True, group="case-table-pages", exit_on_error=False)
    def _read_pages(self, generation: int, query: CaseQuery | None, numbers: list[int]) -> None:
        for number in numbers:
            if generation != self.cache.generation:
                return  # a new query or a refresh: these pages are of no use now
            problem = None
            try:
                rows = self.cache.read(number, query)
            except CsmError as err:
                rows, problem = [], str(err)  # blank rows until the next refresh reads again
            with contextlib.suppress(RuntimeError):  # the app is closing
                self.app.call_from_thread(self._page_read, generation, number, rows, problem)

    def _page_read(
        self, generation: int, number: int, rows: list[CaseRow], problem: str | None = None
    ) -> None:
        if generation != self.cache.generation or not self.is_attached:
            return
        self._loading.discard(number)
        if problem is not None:
            self.notify(problem, title="Cases not read", severity="error", markup=False)
        # the rows on screen that were drawn as still loading (a page that completes a first
        # screen brings the same rows again: those lines need no repaint)
        top = round(self.scroll_y)
        on_screen = range(
            max(top, number * self.PAGE_SIZE),
            min(top + self._body_height, (number + 1) * self.PAGE_SIZE, self.row_count),
        )
        pending = [index for index in on_screen if self.cache.peek(index) is None]
        self.cache.loaded(number, rows)
        if self._check_number_width():
            return  # a wider number column: every line is repainted
        if pending:
            y = pending[0] - top + 1
            self.refresh(Region(0, y, self.size.width, pending[-1] - pending[0] + 1))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self._read_ahead()

    def _check_number_width(self) -> bool:
        """Widen the number column if a longer case number was read; True if it grew."""
        if self.cache.longest_number <= self._number_width:
            return False
        self._number_width = self.cache.longest_number
        self._columns = layout_columns(self.scrollable_content_region.width, self._number_width)
        self._header = None
        self.refresh()
        return True

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
        self._columns = layout_columns(self.scrollable_content_region.width, self._number_width)
        self._header = None
        self._update_virtual_size()
        self._scroll_cursor_into_view()
        self._read_ahead()

    def on_focus(self) -> None:
        self._refresh_row(self.cursor_row)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor_row)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._palette = None
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        # the styles are checked once per repaint: a theme or a parent may have changed them
        self._palette_checked = False
        # one instant for every row of a repaint (the SLA column and the age)
        self._now = self.desk.now()
        try:
            return super().render_lines(crop)
        finally:
            self._now = None

    # -- the SLA countdown ---------------------------------------------------------------

    def tick_sla(self) -> None:
        """Repaint the rows on screen whose SLA countdown reads differently now (the queue
        calls this every ``app.tick_seconds``): a second's tick repaints a row only when its
        text moves, which far from a breach is once a minute or less."""
        if not self.row_count or not self.is_attached:
            return
        now = self.desk.now()
        top = round(self.scroll_y)
        lines = []
        for index in range(top, min(top + self._body_height, self.row_count)):
            row = self.cache.peek(index)
            if row is None:
                continue
            text, _state = sla_cell(now, row.sla_due, row.sla_risk)
            if self._sla_shown.get(row.id) != text:
                lines.append(index - top + 1)
        if lines:
            first, last = lines[0], lines[-1]
            self.refresh(Region(0, first, self.size.width, last - first + 1))

    def _styles(self) -> _Palette:
        palette = self._palette
        focus = self.has_focus
        if palette is not None and not self._palette_checked:
            # the widget's own style is cheap to work out, its components' are not (Textual
            # forgets them on every refresh): they are kept while the widget's is the same
            self._palette_checked = True
            if palette.base != self.rich_style:
                palette = None
        if palette is None or palette.focus != focus:
            self._palette_checked = True
            base = self.rich_style
            get = self.get_component_rich_style
            rows = {
                "plain": base,
                "odd": base + get("case-table--odd"),
                "selected": base + get("case-table--selected"),
                "cursor": base
                + get("case-table--cursor" if focus else "case-table--cursor-blurred"),
                "header": base + get("case-table--header"),
                "empty": base + get("case-table--empty"),
            }
            palette = self._palette = _Palette(focus, base, rows, {})
        return palette

    def _styled(self, palette: _Palette, kind: str, component: str | None) -> Style:
        """The style of a cell of ``component`` on a row of ``kind`` (cursor, odd, ...)."""
        if component is None:
            return palette.rows[kind]
        key = (kind, component)
        style = palette.cells.get(key)
        if style is None:
            style = palette.cells[key] = palette.rows[kind] + self._cell_style(component)
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        palette = self._styles()
        if y == 0:
            return self._render_header(width, palette)
        if not self.row_count:
            if y == 2:
                style = palette.rows["empty"]
                return _line([(" " + self.empty_hint, style)], width, style)
            return Strip.blank(width, palette.base)
        index = round(self.scroll_y) + y - 1
        if index >= self.row_count:
            return Strip.blank(width, palette.base)
        row = self.cache.peek(index)  # drawing never reads: a worker does, ahead of time
        if row is None:
            if self.cache.covers(index):  # the store shrank; the next refresh fixes the count
                return Strip.blank(width, palette.base)
            self._read_ahead()
            return self._render_pending(index, width, palette)
        return self._render_case(index, row, width, palette)

    def _render_header(self, width: int, palette: _Palette) -> Strip:
        style = palette.rows["header"]
        key = (tuple(self._columns), width, style)
        if self._header is None or self._header[0] != key:
            titles = (" " * GAP).join(_fit(c.title.upper(), c.width) for c in self._columns)
            self._header = (key, _line([(" " * MARK_WIDTH + titles, style)], width, style))
        return self._header[1]

    def _row_kind(self, index: int, selected: bool) -> str:
        if index == self.cursor_row:
            return "cursor"
        if selected:
            return "selected"
        return "odd" if index % 2 else "plain"

    def _render_pending(self, index: int, width: int, palette: _Palette) -> Strip:
        """A row whose page is still being read: ``…`` in its number cell."""
        kind = self._row_kind(index, False)
        style = palette.rows[kind]
        number = next((c.width for c in self._columns if c.key == "number"), 1)
        parts = [
            (" " * MARK_WIDTH, style),
            (_fit("…", number), self._styled(palette, kind, "case-table--number")),
        ]
        return _line(parts, width, style)

    def _texts(self, row: CaseRow) -> tuple[str, ...]:
        """The cleaned cell texts of ``row`` (remembered while the same row is drawn again)."""
        cached = self._cells.get(row.id)
        if cached is not None and cached[0] is row:
            return cached[1]
        status = clean_line(row.status)
        texts = (
            clean_line(row.number),
            clean_line(row.subject),
            clean_line(row.customer),
            status.replace("_", " "),
            f"case-table--status-{status.replace('_', '-')}",
            priority_label(row.priority),
            f"case-table--priority-{row.priority}",
            clean_line(row.queue),
            clean_line(row.assignee) or "—",
        )
        if len(self._cells) >= 4 * self.PAGE_SIZE:
            self._cells.clear()
            self._sla_shown.clear()
        self._cells[row.id] = (row, texts)
        return texts

    def _render_case(self, index: int, row: CaseRow, width: int, palette: _Palette) -> Strip:
        selected = row.id in self.selected
        kind = self._row_kind(index, selected)
        style = palette.rows[kind]
        number, subject, customer, status, status_class, priority, priority_class, queue, who = (
            self._texts(row)
        )
        now = self._now or self.desk.now()
        sla_text, sla_state = sla_cell(now, row.sla_due, row.sla_risk)
        self._sla_shown[row.id] = sla_text
        values: dict[str, tuple[str, str | None]] = {
            "number": (number, "case-table--number"),
            "subject": (subject, None),
            "customer": (customer, None),
            "status": (status, status_class),
            "priority": (priority, priority_class),
            "queue": (queue, None),
            "assignee": (who, None),
            "age": (format_age(now, row.created_at), "case-table--age"),
            "sla": (sla_text, f"case-table--sla-{sla_state}"),
        }
        if selected:
            mark = (
                _fit(SELECTED_MARK, MARK_WIDTH),
                self._styled(palette, kind, "case-table--mark"),
            )
        else:
            mark = (" " * MARK_WIDTH, style)
        parts = [mark]
        gap = " " * GAP
        for i, column in enumerate(self._columns):
            value, component = values[column.key]
            if i:
                parts.append((gap, style))
            parts.append((_fit(value, column.width), self._styled(palette, kind, component)))
        return _line(parts, width, style)

    def _cell_style(self, component: str | None) -> Style:
        """Only the foreground and weight of a cell's component: the row keeps its background
        (so the cursor highlight stays whole while priority colours show through)."""
        if component is None or component not in self.COMPONENT_CLASSES:
            return Style()
        full = self.get_component_rich_style(component)
        return Style(color=full.color, bold=full.bold, italic=full.italic)


@dataclass
class _Palette:
    """The styles of one repaint: working them out for each line was most of its cost."""

    focus: bool
    base: Style
    #: The style of each kind of line: plain, odd, selected, cursor, header, empty.
    rows: dict[str, Style]
    #: (kind of line, component) -> the style of such a cell on such a line.
    cells: dict[tuple[str, str], Style]


def _fit(value: str, width: int) -> str:
    """``value`` in exactly ``width`` cells: cut with ``…`` or padded with spaces (what
    ``Text.truncate(width, overflow="ellipsis", pad=True)`` does, without a Text)."""
    if value.isascii():  # one cell a character (clean_line has removed control characters)
        length = len(value)
        if length > width:
            return value[: max(0, width - 1)] + "…"
        return value + " " * (width - length)
    length = cell_len(value)
    if length > width:
        return set_cell_size(value, max(0, width - 1)) + "…"
    return value + " " * (width - length)


def _line(parts: list[tuple[str, Style]], width: int, style: Style) -> Strip:
    """One line of ``width`` cells from (text, style) parts: neighbours of one style become
    one segment; the line is padded (in ``style``) or cut to ``width``."""
    segments: list[Segment] = []
    texts: list[str] = []
    current: Style | None = None
    cells = 0
    for text, part_style in parts:
        cells += len(text) if text.isascii() else cell_len(text)
        if part_style is current or part_style == current:
            texts.append(text)
            continue
        if texts:
            segments.append(Segment("".join(texts), current))
        texts, current = [text], part_style
    if cells < width:
        pad = " " * (width - cells)
        if style is current or style == current:
            texts.append(pad)
        else:
            segments.append(Segment("".join(texts), current))
            texts, current = [pad], style
        cells = width
    if texts:
        segments.append(Segment("".join(texts), current))
    if cells == width:
        return Strip(segments, width)
    return Strip(segments, cells).adjust_cell_length(width, style).simplify()


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
