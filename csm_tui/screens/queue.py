"""The queue screen: where an agent triages all day, from the keyboard.

Layout: a header line (agent, view, count, selection, sort); the views sidebar with live
counts; the search box (``/``) with one line for search problems; the virtual case table; the
sync status bar; the footer.

Keys (each a Binding with an id, remappable through ``Settings.keymap``, and in the command
palette): ``t`` take, ``a`` assign (agent picker), ``1``-``4`` priority urgent/high/normal/low,
``s`` status, ``#`` tags, ``c`` new phone case, ``enter`` open, ``n`` next case, ``u`` undo,
``o`` sort, ``[``/``]`` previous/next view, ``space``/``shift+up/down``/``v``/``ctrl+a`` select,
``escape`` clear.
An action applies to the selection when there is one (after one confirmation saying how many
cases change), else to the case under the cursor. Each case becomes its own outbox mutation
(the desk's bulk commands); the notification says how many changed and why any were skipped.

Reads that may be slow at 100,000 cases (a new query's count and first page, the view counts)
run in thread workers, so a keystroke never waits for SQLite; the table applies what they read
when they finish, if nothing newer was asked for meanwhile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from csm_tui import collector
from csm_tui.desk import CaseQuery, CaseRow
from csm_tui.domain.enums import CaseStatus
from csm_tui.domain.status import can_transition
from csm_tui.domain.text import clean_line
from csm_tui.errors import CsmError
from csm_tui.screens.desk_access import DeskAccess
from csm_tui.widgets.case_table import EMPTY_HINT, EMPTY_VIEW_HINT, NO_MATCH_HINT, CaseTable
from csm_tui.widgets.footer import DeskFooter
from csm_tui.widgets.sync_status import SyncStatusBar
from csm_tui.widgets.view_list import ViewList

if TYPE_CHECKING:
    pass

#: The sort orders ``o`` cycles through, and how the header names them.
SORTS: tuple[str, ...] = ("updated", "created", "priority", "sla")
SORT_LABELS: dict[str, str] = {
    "updated": "updated",
    "created": "created",
    "priority": "priority",
    "sla": "next SLA",
}
#: Keys 1-4, most pressing first.
PRIORITY_KEYS: tuple[tuple[str, str], ...] = (
    ("1", "urgent"),
    ("2", "high"),
    ("3", "normal"),
    ("4", "low"),
)
DEFAULT_VIEW = "all"
#: Seconds after which the sidebar shows a newly picked view even if its rows are not read yet.
LATE_HIGHLIGHT = 0.1
#: Seconds the garbage collector waits at most for a query to reach the screen.
COLLECTOR_HOLD_LIMIT = 0.5
SEARCH_PLACEHOLDER = "/ search · words  status:open  prio:urgent  queue:billing  @me  #tag  -#tag"

_PRIORITY_GROUP = Binding.Group("Prio", compact=True)  # the help panel: 1 urgent … 4 low
_VIEW_GROUP = Binding.Group("View", compact=True)


def plural(n: int, word: str = "case") -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def result_sentence(what: str, result: Any) -> tuple[str, str]:
    """("Priority urgent: 12 changed, 2 skipped (first: …)", severity) for a BulkResult."""
    changed = len(result.changed)
    skipped = list(result.skipped)
    unchanged = len(getattr(result, "unchanged", ()))
    sentence = f"{what}: {plural(changed)} changed"
    if unchanged:
        sentence += f", {unchanged:,} already so"
    if skipped:
        reason = clean_line(skipped[0][1]).rstrip(".")
        sentence += f", {len(skipped)} skipped (first: {reason})"
    sentence += "."
    return sentence, "warning" if skipped else "information"


_COUNTER: ThreadPoolExecutor | None = None


def _counter() -> ThreadPoolExecutor:
    """The thread that counts a query's matches while the query worker reads its rows."""
    global _COUNTER
    if _COUNTER is None:
        _COUNTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csm-count")
    return _COUNTER


class QueueHeader(Static):
    """``csm desk · @handle · view · 40 cases · 3 selected · sort: updated ↓`` on one line."""

    DEFAULT_CSS = """
    QueueHeader {
        width: 1fr;
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    """

    def show(
        self,
        handle: str | None,
        count: int,
        *,
        view: str = "",
        selected: int = 0,
        sort: str = "",
        descending: bool = True,
        searching: bool = False,
    ) -> None:
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append("csm desk", style="bold")
        line.append("  ·  ", style="dim")
        line.append(f"@{clean_line(handle)}" if handle else "not signed in")
        if view:
            line.append("  ·  ", style="dim")
            line.append(clean_line(view), style="bold")
        line.append("  ·  ", style="dim")
        line.append(plural(count) + (" found" if searching else ""))
        if selected:
            line.append("  ·  ", style="dim")
            line.append(f"{selected:,} selected", style="bold reverse")
        if sort:
            line.append("  ·  ", style="dim")
            line.append(f"sort: {SORT_LABELS.get(sort, sort)} {'↓' if descending else '↑'}")
        # one line of a fixed size: a new text never needs a new layout, only a repaint
        self.update(line, layout=False)


@dataclass
class _AfterAct:
    """The case last acted on (or opened), and the case that came after it then."""

    case_id: str
    next_id: str | None
    index: int


class QueueScreen(DeskAccess, Screen[None]):
    """The default mode: the agent's work list."""

    AUTO_FOCUS = "CaseTable"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", id="queue.search", key_display="/"),
        Binding("t", "take", "Take", id="queue.take"),
        Binding("a", "assign", "Assign", id="queue.assign"),
        *(
            Binding(
                key,
                f"priority('{name}')",
                f"Priority {name}",
                id=f"queue.priority_{name}",
                group=_PRIORITY_GROUP,
            )
            for key, name in PRIORITY_KEYS
        ),
        Binding("s", "status", "Status", id="queue.status"),
        Binding("m", "macro", "Macro", id="queue.macro"),
        Binding("number_sign", "tags", "Tags", id="queue.tags", key_display="#"),
        Binding("c", "new_case", "New case", id="queue.new_case", show=False),
        Binding("n", "next_case", "Next case", id="queue.next", show=False),
        Binding("u", "undo", "Undo", id="queue.undo", show=False),
        Binding("o", "cycle_sort", "Sort", id="queue.sort", show=False),
        Binding("O", "reverse_sort", "Reverse sort", id="queue.sort_reverse", show=False),
        Binding(
            "left_square_bracket",
            "cycle_view(-1)",
            "Previous view",
            id="queue.prev_view",
            key_display="[",
            group=_VIEW_GROUP,
            show=False,
        ),
        Binding(
            "right_square_bracket",
            "cycle_view(1)",
            "Next view",
            id="queue.next_view",
            key_display="]",
            group=_VIEW_GROUP,
            show=False,
        ),
        Binding("ctrl+a", "select_all", "Select all in view", id="queue.select_all", show=False),
        Binding("escape", "escape", "Clear search/selection", id="queue.clear", show=False),
    ]

    #: Command palette help for each action (the title is the binding's description).
    PALETTE_HELP: ClassVar[dict[str, str]] = {
        "queue.search": "Search and filter the queue (status:open prio:urgent @me #tag ...)",
        "queue.take": "Assign the case (or the selection) to me",
        "queue.assign": "Assign the case (or the selection) to an agent, or to nobody",
        "queue.priority_urgent": "Set priority urgent",
        "queue.priority_high": "Set priority high",
        "queue.priority_normal": "Set priority normal",
        "queue.priority_low": "Set priority low",
        "queue.status": "Change the status of the case (or the selection)",
        "queue.macro": "Apply a macro to the case (or the selection), with a preview",
        "queue.tags": "Add or remove tags (+vip -refund)",
        "queue.new_case": "Open a new phone case: find or add the caller, subject, first note",
        "queue.next": "Go to the case after the one last acted on",
        "queue.undo": "Undo the last edit",
        "queue.sort": "Sort by updated, created, priority or next SLA breach",
        "queue.sort_reverse": "Reverse the sort order",
        "queue.prev_view": "Show the previous view",
        "queue.next_view": "Show the next view",
        "queue.select_all": "Select every case of the view",
        "queue.clear": "Clear the search box or the selection",
        "queue.open": "Open the case under the cursor",
        "queue.select": "Select or unselect the case under the cursor",
        "queue.select_range": "Start or end a range selection that follows the cursor",
    }

    DEFAULT_CSS = """
    QueueScreen #queue-body { height: 1fr; }
    QueueScreen #queue-main { width: 1fr; height: 1fr; }
    QueueScreen #search {
        height: 1;
        background: $surface;
        border: none;
        padding: 0 1;
    }
    QueueScreen #search:focus { background: $boost; }
    QueueScreen #search-problems {
        height: 1;
        padding: 0 1;
        color: $warning;
        background: $surface;
        display: none;
    }
    QueueScreen #search-problems.-shown { display: block; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.view_id = DEFAULT_VIEW
        self.search_text = ""
        self.sort = SORTS[0]
        self.descending = True
        self._views: list[Any] = []
        self._generation = 0
        self._counts_generation = 0
        self._counting = False
        self._counts_again = False
        self._after: _AfterAct | None = None
        self._problems_shown = ""
        self._collector_timer: Timer | None = None

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self._views = list(self.desk.views())
        ids = [view.id for view in self._views]
        if self.view_id not in ids and ids:
            self.view_id = ids[0]
        yield QueueHeader(id="queue-header")
        with Horizontal(id="queue-body"):
            yield ViewList(id="views")
            with Vertical(id="queue-main"):
                yield Input(placeholder=SEARCH_PLACEHOLDER, id="search", compact=True)
                yield Static(id="search-problems")
                # the default (every case, newest update first) is the desk's plain fast path
                query = self.current_query()
                initial = None if query == CaseQuery() else query
                yield CaseTable(self.desk, query=initial, id="case-table")
        yield SyncStatusBar(self.desk, id="sync-status")

    def on_mount(self) -> None:
        # The footer comes after the first paint: composing its keys (and recomposing them as
        # focus settles) costs more than the rest of the first screen (bench/startup.py).
        self.call_after_refresh(self._mount_footer)
        self.query_one(ViewList).show_views(self._views, self.view_id)
        self._show_header()
        self.csm_app.cases_changed_signal.subscribe(self, self._on_cases_changed)
        self.csm_app.sync_status_signal.subscribe(self, self._on_sync_status)
        # after the first paint: counting every view is not on the way to the first screen
        self.call_after_refresh(self.refresh_counts)
        # after the first paint: what the desk made for it lives as long as the desk
        self.call_after_refresh(collector.settle)
        # the SLA column counts down (every 15 s in low-bandwidth mode)
        self.set_interval(getattr(self.app, "tick_seconds", 1.0), self._tick_sla)

    def _tick_sla(self) -> None:
        if self.is_current:
            self.table.tick_sla()

    async def _mount_footer(self) -> None:
        await self.mount(DeskFooter())
        # The footer missed the bindings signal of the first focus; send it again.
        self.refresh_bindings()

    @property
    def table(self) -> CaseTable:
        return self.query_one(CaseTable)

    @property
    def views(self) -> ViewList:
        return self.query_one(ViewList)

    @property
    def search_box(self) -> Input:
        return self.query_one("#search", Input)

    def current_query(self) -> CaseQuery:
        return CaseQuery(
            view=self.view_id,
            search=self.search_text,
            sort=self.sort,
            descending=self.descending,
        )

    def view_title(self, view_id: str | None = None) -> str:
        wanted = self.view_id if view_id is None else view_id
        for view in self._views:
            if view.id == wanted:
                return str(view.title)
        return wanted

    def _show_header(self) -> None:
        table = self.table
        self.query_one(QueueHeader).show(
            self.desk.handle,
            table.row_count,
            view=self.view_title(),
            selected=len(table.selected),
            sort=self.sort,
            descending=self.descending,
            searching=bool(self.search_text.strip()),
        )

    # -- live refresh ----------------------------------------------------------------------

    def refresh_cases(self) -> None:
        """Re-read the queue in place (same case under the cursor, same scroll line, same
        selection) and recount the views."""
        self.table.refresh_rows()
        self._show_header()
        self.refresh_counts()

    def _on_cases_changed(self, _case_ids: set[str]) -> None:
        self.refresh_cases()

    def _sla_computed(self) -> None:
        if self.is_attached:
            self.table.refresh_rows()

    def _on_sync_status(self, syncing: bool) -> None:
        self.query_one(SyncStatusBar).refresh_status(syncing)

    def refresh_counts(self) -> None:
        """Recount every view in a thread worker; the sidebar updates when it is done. While
        one count runs, further asks (pages of a long sync) make one more run after it."""
        if self._counting:
            self._counts_again = True
            return
        self._counting = True
        self._counts_again = False
        self._counts_generation += 1
        self._count_views(self._counts_generation)

    @work(thread=True, group="view-counts", exit_on_error=False)
    def _count_views(self, generation: int) -> None:
        counts: dict[str, int] | None = None
        views: list[Any] | None = None
        try:
            # the SLA column of cases changed without a sync (offline edits), or of every
            # case on a store this version opens first: computed here, off the UI thread
            if self.desk.refresh_sla():
                self.app.call_from_thread(self._sla_computed)
            # the views too: a sync may bring a new queue (and with it a new view)
            views = list(self.desk.views())
            counts = self.desk.view_counts()
        except CsmError:
            pass  # the table shows the store's problem; the counts keep their last values
        finally:
            with contextlib.suppress(RuntimeError):  # the app is closing
                self.app.call_from_thread(self._show_counts, generation, counts, views)

    def _show_counts(
        self, generation: int, counts: dict[str, int] | None, views: list[Any] | None = None
    ) -> None:
        self._counting = False
        if not self.is_attached:
            return
        if views is not None and [(v.id, v.title) for v in views] != [
            (v.id, v.title) for v in self._views
        ]:
            self._views = views
            self.views.show_views(views, self.view_id)
        if counts is not None and generation == self._counts_generation:
            self.views.show_counts(counts)
        if self._counts_again:
            self.refresh_counts()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # CsmErrors are handled inside the workers; anything else is a bug: log it, say so
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.csm_app.route_error(event.worker.error)

    # -- query: view, search, sort ---------------------------------------------------------

    def requery(self) -> None:
        """Show the current view/search/sort from its first row; the count and the first page
        are read in a thread worker (a slow FTS count never holds up the next keystroke)."""
        self._generation += 1
        query = self.current_query()
        # no garbage collection before the repaint (collector.py); never held for long: a
        # query that fails or is dropped does not release it (the limit counts from the
        # latest keystroke: an earlier one's must not release while this query is read)
        collector.hold()
        if self._collector_timer is not None:
            self._collector_timer.stop()
        self._collector_timer = self.set_timer(COLLECTOR_HOLD_LIMIT, collector.release)
        self._load_query(query, self._generation, self.table.first_screen_rows)

    @work(thread=True, group="query", exclusive=True, exit_on_error=False)
    def _load_query(self, query: CaseQuery, generation: int, first_rows: int) -> None:
        worker = get_current_worker()
        problems: list[str] = []
        try:
            if query.search.strip():
                problems = list(self.desk.search_problems(query.search))
            # The count (the header's number) beside the first screen's rows: each on its
            # own SQLite connection, so the two queries run at once on two cores.
            counting = _counter().submit(self.desk.case_count, query)
            # the first screen only: the table reads the rest of the page after the repaint
            rows = self.desk.case_window(0, first_rows, query=query)
            count = counting.result()
            if worker.is_cancelled:
                return  # the next keystroke is already being read
        except CsmError as err:
            problems, count, rows = [str(err)], 0, []
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(self._show_query, generation, query, count, rows, problems)

    def _show_query(
        self,
        generation: int,
        query: CaseQuery,
        count: int,
        rows: list[CaseRow],
        problems: list[str],
    ) -> None:
        if generation != self._generation or not self.is_attached:
            return  # something newer was asked for meanwhile
        table = self.table
        if query.search.strip():
            table.empty_hint = NO_MATCH_HINT
        elif query.view != DEFAULT_VIEW:
            table.empty_hint = EMPTY_VIEW_HINT
        else:
            table.empty_hint = EMPTY_HINT
        table.set_query(query, count=count, first_page=rows)
        self.views.highlight_view(query.view)
        self._after = None
        self._show_problems(problems)
        self._show_header()
        self.call_after_refresh(collector.release)

    def _show_problems(self, problems: list[str]) -> None:
        line = self.query_one("#search-problems", Static)
        text = "⚠ " + " ".join(clean_line(p) for p in problems) if problems else ""
        if text == self._problems_shown:
            return  # unchanged: no repaint, and above all no new layout
        self._problems_shown = text
        line.set_class(bool(problems), "-shown")
        line.update(Text(text))

    def show_view(self, view_id: str) -> None:
        if view_id == self.view_id:
            return
        self.view_id = view_id
        # The sidebar's highlight moves with the table, in the same repaint, when the view's
        # rows are read (or after LATE_HIGHLIGHT if that takes long): a repaint of the sidebar
        # alone first would hold the table's back by one or two frames.
        self.set_timer(LATE_HIGHLIGHT, self._highlight_view)
        self.table.clear_selection()  # a selection never reaches into a view out of sight
        self.requery()

    def show_query(self, view_id: str, search: str = "") -> None:
        """Show a view with ``search`` typed on top of it (the SLA panel's drill-downs)."""
        if search != self.search_text:
            self.search_text = search
            # its Changed event then finds the text already applied
            self.search_box.value = search
            if view_id == self.view_id:
                self.requery()
        if view_id != self.view_id:
            self.show_view(view_id)
        self.table.focus()

    def _highlight_view(self) -> None:
        if self.is_attached:
            self.views.highlight_view(self.view_id)

    def on_view_list_view_chosen(self, message: ViewList.ViewChosen) -> None:
        message.stop()
        self.show_view(message.view_id)
        if message.go_to_table:
            self.table.focus()

    def action_cycle_view(self, step: int) -> None:
        ids = self.views.view_ids
        if not ids:
            return
        at = ids.index(self.view_id) if self.view_id in ids else 0
        self.show_view(ids[(at + step) % len(ids)])

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.requery()
        self.notify(f"Sorted by {SORT_LABELS[self.sort]}.", markup=False, timeout=1.5)

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending
        self.requery()

    def action_focus_search(self) -> None:
        self.search_box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        event.stop()
        if event.value == self.search_text:
            return
        self.search_text = event.value
        self.requery()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            event.stop()
            self.table.focus()

    def action_escape(self) -> None:
        table = self.table
        if self.search_box.has_focus:
            self.search_box.value = ""  # Input.Changed re-queries
            table.focus()
        elif table.range_mode or table.selected:
            table.clear_selection()
        elif self.search_text:
            self.search_box.value = ""
        elif self.focused is not table:
            table.focus()

    # -- selection -------------------------------------------------------------------------

    def on_case_table_selection_changed(self, message: CaseTable.SelectionChanged) -> None:
        message.stop()
        self._show_header()

    def action_select_all(self) -> None:
        self._select_all(self.table.case_query, self._generation)

    @work(thread=True, group="select-all", exit_on_error=False)
    def _select_all(self, query: CaseQuery | None, generation: int) -> None:
        desk = self.desk
        try:
            ids = set(desk.case_ids(query))
        except CsmError as err:
            with contextlib.suppress(RuntimeError):
                self.app.call_from_thread(self.csm_app.route_error, err, "Not selected")
            return
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(self._selected_all, generation, ids)

    def _selected_all(self, generation: int, ids: set[str]) -> None:
        if generation == self._generation and self.is_attached:
            self.table.set_selection(ids)

    # -- actions on the case under the cursor, or on the selection ---------------------------

    def _targets(self) -> list[str]:
        table = self.table
        if table.selected:
            return sorted(table.selected)
        case_id = table.cursor_case_id
        return [case_id] if case_id is not None else []

    def _act(
        self,
        command: Callable[[list[str]], Any],
        question: str,
        what: str,
        targets: list[str] | None = None,
    ) -> None:
        """Run ``command(case_ids)`` (a desk bulk command) on the targets; ``question`` is
        asked first, with ``{n}`` as the number of cases, when they are a selection."""
        case_ids = self._targets() if targets is None else targets
        if not case_ids:
            self.notify("No case here to act on.", markup=False, timeout=2)
            return
        bulk = bool(self.table.selected)

        def run() -> None:
            if not bulk:
                self._remember_next(case_ids[0])
            self.csm_app.edit(
                lambda: command(case_ids),
                set(case_ids),
                then=partial(self._acted, what, bulk),
            )

        if not bulk:
            run()
            return
        from csm_tui.screens.confirm import ConfirmModal

        def answered(yes: bool | None) -> None:
            if yes:
                run()

        self.app.push_screen(
            ConfirmModal(question.format(n=plural(len(case_ids))), confirm="Apply"), answered
        )

    def _acted(self, what: str, bulk: bool, result: Any) -> None:
        if result is None:
            return
        changed, skipped = len(result.changed), list(result.skipped)
        if bulk:
            sentence, severity = result_sentence(what, result)
            self.notify(sentence, title="Bulk edit", severity=severity, markup=False)  # type: ignore[arg-type]
            if changed:
                self.table.clear_selection()
        elif skipped:
            reason = clean_line(skipped[0][1])
            self.notify(f"Not changed: {reason}", severity="warning", markup=False)
        elif changed:
            self.notify(f"{what}.", markup=False, timeout=2)
        else:
            self.notify(f"{what}: nothing to change.", markup=False, timeout=2)
        self._show_header()

    def _remember_next(self, case_id: str) -> None:
        table = self.table
        index = table.index_of(case_id)
        if index is None:
            self._after = None
            return
        self._after = _AfterAct(case_id, table.case_id_at(index + 1), index)

    def action_macro(self) -> None:
        from csm_tui.screens import macro_flow

        macro_flow.start(self, self._targets())

    def action_take(self) -> None:
        self._act(self.desk.take, "Take {n} (assign them to you)?", "Taken")

    def action_assign(self) -> None:
        targets = self._targets()
        if not targets:
            return
        from csm_tui.screens.agent_picker import AgentPicker

        n = len(targets)
        title = f"Assign {plural(n)} to" if self.table.selected else "Assign to"
        current = None
        row = self.table.cursor_case
        agents = list(self.desk.agents())
        if not self.table.selected and row is not None:
            current = next((a.id for a in agents if a.name == row.assignee), None)
        me = getattr(self.desk, "me_id", None)

        def picked(agent_id: str | None) -> None:
            if agent_id is None:
                return
            if agent_id:
                handle = next((a.handle for a in agents if a.id == agent_id), agent_id)
                question = f"Assign {{n}} to @{clean_line(handle)}?"
                what = f"Assigned to @{clean_line(handle)}"
            else:
                question, what = "Unassign {n}?", "Unassigned"
            self._act(lambda ids: self.desk.assign(ids, agent_id or None), question, what, targets)

        self.app.push_screen(AgentPicker(title, agents, current=current, me=me), picked)

    def action_priority(self, priority: str) -> None:
        self._act(
            lambda ids: self.desk.set_priority(ids, priority),
            f"Set priority {priority} on {{n}}?",
            f"Priority {priority}",
        )

    def action_status(self) -> None:
        targets = self._targets()
        if not targets:
            return
        from csm_tui.screens.choice import ChoiceModal

        row = self.table.cursor_case
        if self.table.selected or row is None:
            # a selection: every status a case can move to; the desk skips (and reports)
            # the cases the rules do not allow it for
            current = None
            choices = [(s.value, s.label) for s in CaseStatus if s != CaseStatus.NEW]
            title = f"Set status of {plural(len(targets))}"
        else:
            current = CaseStatus(row.status)
            choices = [
                (s.value, s.label) for s in CaseStatus if s == current or can_transition(current, s)
            ]
            title = "Set status"

        def chosen(value: str | None) -> None:
            if value is None or (current is not None and value == current.value):
                return
            label = value.replace("_", " ")
            self._act(
                lambda ids: self.desk.set_status(ids, value),
                f"Set status {label} on {{n}}?",
                f"Status {label}",
                targets,
            )

        self.app.push_screen(
            ChoiceModal(title, choices, current.value if current else None), chosen
        )

    def action_tags(self) -> None:
        targets = self._targets()
        if not targets:
            return
        from csm_tui.screens.tags_modal import TagEdit, TagsModal

        row = self.table.cursor_case
        bulk = bool(self.table.selected)
        title = f"Tags of {plural(len(targets))}" if bulk else "Tags"
        current = () if bulk or row is None else row.tags

        def edited(edit: TagEdit | None) -> None:
            if edit is None:
                return

            def command(ids: list[str]) -> Any:
                return _merge_results(
                    self.desk.add_tags(ids, edit.add) if edit.add else None,
                    self.desk.remove_tags(ids, edit.remove) if edit.remove else None,
                )

            self._act(
                command,
                f"Tags on {{n}}: {edit.sentence}?",
                f"Tags: {edit.sentence}",
                targets,
            )

        self.app.push_screen(TagsModal(title, current), edited)

    def action_new_case(self) -> None:
        from csm_tui.screens.new_case import open_new_case

        open_new_case(self)

    def action_undo(self) -> None:
        self._undo()

    @work(thread=True, group="edit", exit_on_error=False)
    def _undo(self) -> None:
        try:
            sentence = self.desk.undo_last()
        except CsmError as err:
            with contextlib.suppress(RuntimeError):
                self.app.call_from_thread(self.csm_app.route_error, err, "Not undone")
            return
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(self._undone, sentence)

    def _undone(self, sentence: str | None) -> None:
        if sentence is None:
            self.notify("Nothing to undo.", markup=False, timeout=2)
            return
        self.notify(clean_line(sentence), title="Undone", markup=False)
        self.csm_app.local_edit_done(set())
        self.refresh_cases()

    # -- next case -------------------------------------------------------------------------

    def next_case_after(self, case_id: str | None = None) -> str | None:
        """The case after the one last acted on or opened (as the view stood then), if it is
        still in the view; else the row that now follows. Moves the cursor there."""
        table = self.table
        after = self._after
        target: str | None = None
        if after is not None and (case_id is None or after.case_id == case_id):
            if after.next_id is not None and table.index_of(after.next_id, after.index) is not None:
                target = after.next_id
            else:
                index = table.index_of(after.case_id, after.index)
                fallback = after.index if index is None else index + 1
                target = table.case_id_at(fallback)
        elif case_id is not None:
            index = table.index_of(case_id)
            target = table.case_id_at(index + 1) if index is not None else None
        else:
            target = table.case_id_at(table.cursor_row + 1)
        if target is None or target == (after.case_id if after else None):
            return None
        table.move_to_case(target)
        self._remember_next(target)
        return target

    def action_next_case(self) -> None:
        if self.next_case_after() is None:
            self.notify("That was the last case of this view.", markup=False, timeout=2)

    # -- opening a case ----------------------------------------------------------------------

    def on_case_table_case_selected(self, message: CaseTable.CaseSelected) -> None:
        message.stop()
        # Imported on first use: the case screen is not on the way to the first paint.
        from csm_tui.screens.case import CaseScreen

        self._remember_next(message.case_id)
        self.app.push_screen(CaseScreen(message.case_id, next_case=self.next_case_after))

    # -- command palette ---------------------------------------------------------------------

    def palette_commands(self) -> Iterator[SystemCommand]:
        """Every queue action, titled by its binding's description, with its current key."""
        keys: dict[str, list[str]] = {}
        for key, active in self.active_bindings.items():
            if active.binding.id:
                keys.setdefault(active.binding.id, []).append(
                    self.app.get_key_display(active.binding.with_key(key))
                )
        seen: set[str] = set()
        for binding in [*CaseTable.BINDINGS, *self.BINDINGS]:
            assert isinstance(binding, Binding)
            if binding.id is None or binding.id not in self.PALETTE_HELP or binding.id in seen:
                continue
            seen.add(binding.id)
            help_text = self.PALETTE_HELP[binding.id]
            if binding.id in keys:
                help_text += f"  ({', '.join(keys[binding.id])})"
            target = self.table if binding in CaseTable.BINDINGS else self
            yield SystemCommand(
                binding.description, help_text, partial(target.run_action, binding.action)
            )
        for view in self._views:
            title = clean_line(view.title)
            count = self.views.count_of(view.id)
            yield SystemCommand(
                f"View: {title}",
                f"Show {title} ({plural(count)})" if count is not None else f"Show {title}",
                partial(self._pick_view, view.id),
            )

    def _pick_view(self, view_id: str) -> None:
        self.show_view(view_id)
        self.table.focus()


def _merge_results(*results: Any) -> Any:
    """One BulkResult out of several (adding and removing tags are two desk commands)."""
    present = [r for r in results if r is not None]
    if len(present) == 1:
        return present[0]
    changed: list[str] = []
    skipped: list[tuple[str, str]] = []
    unchanged: list[str] = []
    for result in present:
        changed += [c for c in result.changed if c not in changed]
        skipped += [(c, why) for c, why in result.skipped if c not in {s for s, _ in skipped}]
        unchanged += [c for c in getattr(result, "unchanged", ()) if c not in unchanged]
    done = set(changed)
    merged = type(present[0])(
        changed=changed, skipped=[(c, why) for c, why in skipped if c not in done]
    )
    if hasattr(merged, "unchanged"):
        merged.unchanged = [c for c in unchanged if c not in done and c not in dict(skipped)]
    return merged
