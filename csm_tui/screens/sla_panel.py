"""The SLA panel (mode "sla", key ``L``): what a team lead watches all day.

Layout: a header line (who, open cases, at risk, breached, how old the data is); per queue
open / unassigned / at risk / breached, and per agent open against capacity / at risk /
breached; the next cases to breach counting down live, and the service KPIs of today and the
last 7 days with a 14-day trend; the SLA escalations of the last 24 hours.

Keys: ``enter`` drills down (a queue or an agent: the queue mode on that view or search; a
case or an escalation: the case screen over the panel), ``a`` reassigns the case under the
cursor (the agent picker, one outbox mutation), ``r`` reads everything again, ``escape`` goes
back to the queue, ``tab`` moves between the tables.

Two speeds: a reload reads the store and runs every open case through the SLA engine
(``Desk.sla_panel``) in a thread worker, when the panel opens and, debounced, whenever the
store changes (``cases_changed_signal``); the tick (every ``app.tick_seconds``: 1 s, 15 s in
low-bandwidth mode) reads nothing and only asks the board where each count and countdown
stands now (``SlaBoard.at``), then updates the cells that changed. Agents who are no leads
or admins get one sentence instead of the figures.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from csm_tui.domain.kpi import format_minutes
from csm_tui.domain.sla import data_age_text
from csm_tui.domain.sla_board import BoardNow
from csm_tui.domain.text import clean_line
from csm_tui.errors import CsmError
from csm_tui.screens.desk_access import DeskAccess
from csm_tui.sla_panel_data import SlaPanelData, panel_refusal
from csm_tui.widgets.kpi_board import KpiBoard
from csm_tui.widgets.sla_table import AT_RISK, BREACHED, EMPTY_KEY, ON_TRACK, Cell, SlaTable
from csm_tui.widgets.sync_status import SyncStatusBar

#: Seconds of quiet after a store change before the panel reads it again (a long sync
#: changes the store page after page).
RELOAD_DEBOUNCE = 1.0

# (key, title, width: None for the content's)
QUEUE_COLUMNS = (
    ("queue", "Queue", 18),
    ("open", "Open", None),
    ("unassigned", "Unassigned", None),
    ("at_risk", f"{AT_RISK} At risk", None),
    ("breached", f"{BREACHED} Breached", None),
)
AGENT_COLUMNS = (
    ("agent", "Agent", 16),
    ("team", "Team", 10),
    ("load", "Open/cap", None),
    ("at_risk", f"{AT_RISK} Risk", None),
    ("breached", f"{BREACHED} Breach", None),
)
NEXT_COLUMNS = (
    ("left", "Left", 8),
    ("state", "SLA", 10),
    ("metric", "Metric", 15),
    ("case", "Case", None),
    ("priority", "Prio", 6),
    ("queue", "Queue", 14),
    ("assignee", "Assignee", 14),
    ("subject", "Subject", 40),
)
ESCALATION_COLUMNS = (("at", "When", 9), ("case", "Case", None), ("what", "Escalation", 60))


def left_text(minutes: float) -> str:
    """Time left on a countdown: seconds under an hour, so that it moves every tick."""
    if minutes >= 60:
        return format_minutes(minutes)
    seconds = max(0, int(minutes * 60))
    return f"{seconds // 60}m {seconds % 60:02d}s"


def when_text(at: datetime, now: datetime) -> str:
    """A time of the last day in the desk's local time: ``14:05`` today, ``Tue 14:05`` before."""
    local = at.replace(tzinfo=UTC).astimezone()
    today = now.replace(tzinfo=UTC).astimezone().date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%a %H:%M")


def _count(table: SlaTable, n: int, symbol: str, state: str) -> Text:
    return table.styled(f"{symbol} {n:,}", state) if n else table.styled("0", "muted")


class SlaPanelHeader(Static):
    """``SLA panel · @lead · 412 open · ▲ 23 at risk · ✖ 57 breached · SLA from data …``."""

    DEFAULT_CSS = """
    SlaPanelHeader {
        width: 1fr;
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    SlaPanelHeader > .sla-header--breach { color: $sla-breach; text-style: bold; }
    SlaPanelHeader > .sla-header--at-risk { color: $sla-at-risk; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"sla-header--breach", "sla-header--at-risk"}

    #: The line last shown (a tick that would show the same one repaints nothing).
    _shown: Text = Text()

    def show(self, handle: str | None, board: BoardNow | None, age: str) -> None:
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append("SLA panel", style="bold")
        line.append("  ·  ", style="dim")
        line.append(f"@{clean_line(handle)}" if handle else "not signed in")
        if board is None:
            line.append("  ·  ", style="dim")
            line.append("reading the cases…")
        else:
            line.append("  ·  ", style="dim")
            line.append(f"{board.open:,} open")
            line.append("  ·  ", style="dim")
            line.append(
                f"{AT_RISK} {board.at_risk:,} at risk",
                style=self.get_component_rich_style("sla-header--at-risk") if board.at_risk else "",
            )
            line.append("  ·  ", style="dim")
            line.append(
                f"{BREACHED} {board.breached:,} breached",
                style=self.get_component_rich_style("sla-header--breach") if board.breached else "",
            )
        if age:
            line.append("  ·  ", style="dim")
            line.append(age)
        if line == self._shown and line.spans == self._shown.spans:
            return  # the same words: no repaint (each tick's repaint is bytes on the wire)
        self._shown = line
        self.update(line, layout=False)


class SlaPanelScreen(DeskAccess, Screen[None]):
    """The lead's live SLA board with KPIs."""

    AUTO_FOCUS = "#sla-queues"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to queue", id="sla.back"),
        Binding("a", "assign", "Reassign", id="sla.assign"),
        Binding("r", "reload", "Reload", id="sla.reload"),
    ]

    PALETTE_HELP: ClassVar[dict[str, str]] = {
        "sla.back": "Leave the SLA panel for the queue",
        "sla.assign": "Reassign the case under the cursor to another agent",
        "sla.reload": "Read the SLA figures from the store again",
    }

    DEFAULT_CSS = """
    SlaPanelScreen #sla-body { height: 1fr; }
    SlaPanelScreen .sla-row { height: 1fr; max-height: 14; }
    SlaPanelScreen SlaTable, SlaPanelScreen #sla-kpi-box {
        border: round $foreground 25%;
        border-title-color: $text-muted;
    }
    SlaPanelScreen SlaTable:focus { border: round $primary; border-title-color: $text; }
    SlaPanelScreen SlaTable { overflow-x: hidden; }
    SlaPanelScreen #sla-queues { width: 1fr; }
    SlaPanelScreen #sla-agents { width: 1fr; }
    SlaPanelScreen #sla-next { width: 1fr; height: 1fr; }
    SlaPanelScreen #sla-bottom { height: 9; }
    SlaPanelScreen #sla-kpi-box { width: 62; height: 9; }
    SlaPanelScreen #sla-escalations { width: 1fr; height: 9; }
    SlaPanelScreen #sla-notice {
        height: 1fr;
        content-align: center middle;
        color: $text-muted;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.data: SlaPanelData | None = None
        self.board_now: BoardNow | None = None
        self.refusal: str | None = None
        self._loading = False
        self._load_again = False
        self._stale = False
        self._generation = 0
        self._reload_timer: Timer | None = None
        self._last_took = 0.0  # seconds the last read took
        self._tick_timer: Timer | None = None
        #: Seconds of quiet after a store change before reading again.
        self.reload_debounce = RELOAD_DEBOUNCE
        #: Seconds between ticks (the app's: slower in low-bandwidth mode).
        self.tick_interval = 0.0

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.refusal = panel_refusal(self.desk)
        yield SlaPanelHeader(id="sla-header")
        if self.refusal is not None:
            yield Static(Text(self.refusal), id="sla-notice")
        else:
            with Vertical(id="sla-body"):
                with Horizontal(classes="sla-row"):
                    yield SlaTable(QUEUE_COLUMNS, empty="No queues.", id="sla-queues")
                    yield SlaTable(AGENT_COLUMNS, empty="No agents.", id="sla-agents")
                yield SlaTable(NEXT_COLUMNS, empty="No running SLA clock is due.", id="sla-next")
                with Horizontal(id="sla-bottom"):
                    with Vertical(id="sla-kpi-box"):
                        yield KpiBoard(id="sla-kpis")
                    yield SlaTable(
                        ESCALATION_COLUMNS,
                        empty="No SLA escalations in the last 24 hours.",
                        id="sla-escalations",
                    )
        yield SyncStatusBar(self.desk, id="sync-status")
        yield Footer()

    def on_mount(self) -> None:
        titles = {
            "#sla-queues": "Queues",
            "#sla-agents": "Agents",
            "#sla-next": "Next to breach",
            "#sla-kpi-box": "Service KPIs (↑ ↓: which way is better)",
            "#sla-escalations": "Escalations, last 24 h",
        }
        for selector, title in titles.items():
            for widget in self.query(selector):
                widget.border_title = title
        self._show_header()
        self.csm_app.sync_status_signal.subscribe(self, self._on_sync_status)
        if self.refusal is not None:
            return
        self.csm_app.cases_changed_signal.subscribe(self, self._on_cases_changed)
        self.tick_interval = self.csm_app.tick_seconds
        self._tick_timer = self.set_interval(self.tick_interval, self._timed_tick)
        self.reload()

    def on_screen_resume(self) -> None:
        if self.refusal is not None:
            return
        if self._stale:
            self.reload()
        self.tick()

    def _on_sync_status(self, syncing: bool) -> None:
        self.query_one(SyncStatusBar).refresh_status(syncing)

    # -- reading (worker) ------------------------------------------------------------------

    def _on_cases_changed(self, _case_ids: set[str]) -> None:
        self._stale = True
        if self.is_current and self._reload_timer is None:
            self._reload_timer = self.set_timer(self.reload_debounce, self._debounced)

    def _reload_soon(self) -> None:
        """Read again after a rest at least as long as the last read took, so that a big
        store never keeps a core busy with reloads."""
        if self._reload_timer is None:
            delay = max(self.reload_debounce, self._last_took)
            self._reload_timer = self.set_timer(delay, self._debounced)

    def _debounced(self) -> None:
        self._reload_timer = None
        self.reload()

    def reload(self) -> None:
        """Read everything again in a thread worker; while one read runs, one more follows
        it (a change may have landed after it started)."""
        if self.refusal is not None:
            return
        if self._loading:
            self._load_again = True
            return
        self._loading = True
        self._load_again = False
        self._stale = False
        self._generation += 1
        self._load(self._generation)

    @work(thread=True, group="sla-panel", exit_on_error=False)
    def _load(self, generation: int) -> None:
        data: SlaPanelData | None = None
        error: CsmError | None = None
        started = time.monotonic()
        try:
            data = self.desk.sla_panel()
        except CsmError as err:
            error = err
        took = time.monotonic() - started
        with contextlib.suppress(RuntimeError):  # the app is closing
            self.app.call_from_thread(self._loaded, generation, data, error, took)

    def _loaded(
        self, generation: int, data: SlaPanelData | None, error: CsmError | None, took: float
    ) -> None:
        self._loading = False
        self._last_took = took
        if error is not None:
            self.csm_app.route_error(error, "SLA panel")
        if data is not None and generation == self._generation and self.is_attached:
            self.data = data
            self._show_escalations(data)
            self.query_one(KpiBoard).show(data.kpis)
            self.tick()
        if self._load_again:  # changes came in meanwhile (a long sync)
            self._load_again = False
            self._reload_soon()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # CsmErrors come back through _loaded; anything else is a bug: log it, say so
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self._loading = False
            self.csm_app.route_error(event.worker.error)

    def action_reload(self) -> None:
        self.reload()
        self.notify("Reading the SLA figures again.", markup=False, timeout=1.5)

    # -- the tick --------------------------------------------------------------------------

    def _timed_tick(self) -> None:
        # Out of sight (the queue mode, a case over the panel) nothing needs repainting; the
        # screen ticks at once when it is shown again.
        if self.is_current:
            self.tick()

    def tick(self) -> None:
        """Move every count and countdown to now: no store read, only the cells that
        changed are repainted."""
        if self.data is None or not self.is_attached:
            self._show_header()
            return
        now = self.desk.now()
        board = self.data.board.at(now)
        self.board_now = board
        self._show_header(board, now)
        self._show_queues(board)
        self._show_agents(board)
        self._show_next(board)
        if board.short and not self._loading:
            self._reload_soon()  # the countdown needs the watches of the next cases

    def _show_header(self, board: BoardNow | None = None, now: datetime | None = None) -> None:
        age = ""
        if self.data is not None:
            age = data_age_text(self.data.synced_at, now or self.desk.now())
        self.query_one(SlaPanelHeader).show(self.desk.handle, board, age)

    def _show_queues(self, board: BoardNow) -> None:
        table = self.query_one("#sla-queues", SlaTable)
        rows: list[tuple[str, list[Cell]]] = []
        for line in board.queues:
            rows.append(
                (
                    _key(line.queue.id),
                    [
                        Text(clean_line(line.queue.name), no_wrap=True, overflow="ellipsis"),
                        Text(f"{line.open:,}"),
                        Text(f"{line.unassigned:,}"),
                        _count(table, line.at_risk, AT_RISK, "at-risk"),
                        _count(table, line.breached, BREACHED, "breach"),
                    ],
                )
            )
        table.show_rows(rows)

    def _show_agents(self, board: BoardNow) -> None:
        table = self.query_one("#sla-agents", SlaTable)
        rows: list[tuple[str, list[Cell]]] = []
        for line in board.agents:
            agent = line.agent
            if agent.capacity > 0:
                load = f"{line.open:,}/{agent.capacity}"
                load_cell = (
                    table.styled(f"{load} ⚠ over", "at-risk") if line.over_capacity else Text(load)
                )
            else:
                load_cell = Text(f"{line.open:,}")
            rows.append(
                (
                    agent.id,
                    [
                        Text(clean_line(agent.name), no_wrap=True, overflow="ellipsis"),
                        Text(clean_line(agent.team), no_wrap=True, overflow="ellipsis"),
                        load_cell,
                        _count(table, line.at_risk, AT_RISK, "at-risk"),
                        _count(table, line.breached, BREACHED, "breach"),
                    ],
                )
            )
        table.show_rows(rows)

    def _show_next(self, board: BoardNow) -> None:
        table = self.query_one("#sla-next", SlaTable)
        assert self.data is not None
        queues, agents = self.data.board.queues, self.data.board.agents
        rows: list[tuple[str, list[Cell]]] = []
        for countdown in board.next:
            case, now = countdown.case, countdown.now
            queue = queues.get(case.queue_id)
            agent = agents.get(case.assignee_id) if case.assignee_id else None
            state = (
                table.styled(f"{AT_RISK} at risk", "at-risk")
                if now.at_risk
                else table.styled(f"{ON_TRACK} on track", "ok")
            )
            rows.append(
                (
                    case.id,
                    [
                        Text(left_text(now.left_minutes), justify="right"),
                        state,
                        Text(str(now.metric).replace("_", " ")),
                        Text(clean_line(case.number)),
                        Text(clean_line(case.priority)),
                        Text(clean_line(queue.name) if queue else "", no_wrap=True),
                        Text(
                            clean_line(agent.name) if agent else "—",
                            no_wrap=True,
                            overflow="ellipsis",
                        ),
                        Text(clean_line(case.subject), no_wrap=True, overflow="ellipsis"),
                    ],
                )
            )
        table.show_rows(rows)

    def _show_escalations(self, data: SlaPanelData) -> None:
        table = self.query_one("#sla-escalations", SlaTable)
        rows: list[tuple[str, list[Cell]]] = []
        for row in data.escalations:
            when = when_text(row.at, data.loaded_at)
            rows.append(
                (
                    row.id,
                    [
                        Text(when),
                        Text(clean_line(row.number)),
                        Text(clean_line(row.text), no_wrap=True, overflow="ellipsis"),
                    ],
                )
            )
        table.show_rows(rows)

    # -- drill-downs and reassigning -------------------------------------------------------

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        table = event.data_table
        key = event.row_key.value
        if not isinstance(table, SlaTable) or key is None or key == EMPTY_KEY:
            return
        if table.id == "sla-queues":
            await self._drill_to_queue(key)
        elif table.id == "sla-agents":
            await self._drill_to_agent(key)
        elif table.id == "sla-next":
            self._open_case(key)
        elif table.id == "sla-escalations" and self.data is not None:
            found = next((e for e in self.data.escalations if e.id == key), None)
            if found is not None:
                self._open_case(found.case_id)

    async def _drill_to_queue(self, key: str) -> None:
        queue = self.data.board.queues.get(_queue_id(key)) if self.data else None
        if queue is None:
            return
        if queue.id is None or not queue.slug:
            # the search has no "no queue" filter: every open case, then
            self.notify("Cases without a queue have no view of their own.", timeout=3)
            await self._show_in_queue("all", "-status:solved,closed")
            return
        await self._show_in_queue(f"queue-{queue.slug}")

    async def _drill_to_agent(self, agent_id: str) -> None:
        agent = self.data.board.agents.get(agent_id) if self.data else None
        if agent is None:
            return
        await self._show_in_queue("all", f"assignee:{agent.handle} -status:solved,closed")

    async def _show_in_queue(self, view_id: str, search: str = "") -> None:
        from csm_tui.screens.queue import QueueScreen

        app = self.app
        await app.switch_mode("queue")
        # the queue itself, not a case (or a dialog) left open on it
        while len(app.screen_stack) > 1 and not isinstance(app.screen, QueueScreen):
            await app.pop_screen()
        queue = app.screen
        if isinstance(queue, QueueScreen):
            known = {v.id for v in self.desk.views()}
            queue.show_query(view_id if view_id in known else "all", search)

    def _open_case(self, case_id: str) -> None:
        from csm_tui.screens.case import CaseScreen

        self.app.push_screen(CaseScreen(case_id))

    def action_assign(self) -> None:
        table = self.focused
        if not isinstance(table, SlaTable) or table.id not in ("sla-next", "sla-escalations"):
            self.notify(
                "Reassign works on a case: move to Next to breach or Escalations first.",
                markup=False,
                timeout=3,
            )
            return
        key = table.cursor_key
        case_id = key
        if table.id == "sla-escalations" and self.data is not None:
            found = next((e for e in self.data.escalations if e.id == key), None)
            case_id = found.case_id if found is not None else None
        if case_id is None:
            self.notify("No case here to reassign.", markup=False, timeout=2)
            return
        from csm_tui.screens.agent_picker import AgentPicker

        agents = list(self.desk.agents())
        board_case = (
            next((c for c in self.data.board.cases if c.id == case_id), None) if self.data else None
        )
        current = board_case.assignee_id if board_case is not None else None
        me = self.desk.me_id

        def picked(agent_id: str | None) -> None:
            if agent_id is None:
                return
            if agent_id:
                handle = next((a.handle for a in agents if a.id == agent_id), agent_id)
                done = f"Reassigned to @{clean_line(handle)}."
            else:
                done = "Unassigned."
            self.csm_app.edit(
                partial(self.desk.assign, [case_id], agent_id or None),
                {case_id},
                then=partial(self._assigned, done),
            )

        self.app.push_screen(AgentPicker("Reassign to", agents, current=current, me=me), picked)

    def _assigned(self, done: str, result: object) -> None:
        skipped = list(getattr(result, "skipped", ()))
        if skipped:
            self.notify(f"Not changed: {clean_line(skipped[0][1])}", severity="warning")
        elif getattr(result, "changed", None):
            self.notify(done, markup=False, timeout=2)

    def action_back(self) -> None:
        self.app.switch_mode("queue")

    # -- command palette ---------------------------------------------------------------------

    def palette_commands(self) -> Iterator[SystemCommand]:
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.id in self.PALETTE_HELP:
                yield SystemCommand(
                    binding.description,
                    self.PALETTE_HELP[binding.id],
                    partial(self.run_action, binding.action),
                )


def _key(queue_id: str | None) -> str:
    """A queue's row key (the cases without a queue have one too)."""
    return queue_id if queue_id is not None else "__no_queue__"


def _queue_id(key: str) -> str | None:
    return None if key == "__no_queue__" else key


__all__ = ["RELOAD_DEBOUNCE", "SlaPanelHeader", "SlaPanelScreen", "left_text", "when_text"]
