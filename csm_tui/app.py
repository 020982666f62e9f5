"""The Textual App: modes, app-wide bindings, the command palette, themes, keymap and sync.

:func:`make_app` is the only way in (the CLI and the tests both call it): it takes settings
and a :class:`~csm_tui.desk.Desk`, and nothing here opens a store or a client itself. Sync runs
``desk.sync()`` in a thread worker; its outcome comes back as a message, errors go through
:meth:`CsmApp.route_error`, and screens hear about changed cases through a signal.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from csm_tui import collector
from csm_tui.app_setup import (
    apply_low_bandwidth,
    register_user_themes,
    stop_blinking,
    watch_settings,
)
from csm_tui.desk import Desk
from csm_tui.errors import CsmError
from csm_tui.low_bandwidth import STATUS_TICK_SECONDS as LOW_BANDWIDTH_STATUS_TICK_SECONDS
from csm_tui.low_bandwidth import sync_interval
from csm_tui.screens.queue import QueueScreen
from csm_tui.sync.report import SyncReport
from csm_tui.themes import BUILTIN_THEMES, DEFAULT_THEME, DESK_TCSS, DOMAIN_VARIABLE_DEFAULTS

if TYPE_CHECKING:
    # Only a type here: ``csm`` starts from cached settings without importing pydantic
    # (csm_tui/settings_cache.py).
    from csm_tui.config import Settings
    from csm_tui.settings_cache import SettingsSnapshot

_log = logging.getLogger(__name__)

#: Seconds between repaints of the sync status bar ("synced 2 min ago" must keep moving).
STATUS_TICK_SECONDS = 5.0

#: First retry after a failed sync waits up to this long; each further failure doubles it,
#: up to the sync interval.
RETRY_BASE_SECONDS = 1.0

#: Least time between repaints while a long sync is downloading.
PROGRESS_REPAINT_SECONDS = 0.5

#: Seconds between repaints of live countdowns (SLA column and panel), normally and in
#: low-bandwidth mode, where each repaint costs bytes on a slow link.
TICK_SECONDS = 1.0
LOW_BANDWIDTH_TICK_SECONDS = 15.0

#: Shown for failures that are not a CsmError (a bug): the details go to the log.
UNEXPECTED_ERROR = "Something went wrong inside csm; the details are in the log file."


def _sla_panel_screen() -> Screen:
    # Imported on first use: the SLA panel is not on the way to the first paint.
    from csm_tui.screens.sla_panel import SlaPanelScreen

    return SlaPanelScreen()


def _knowledge_screen() -> Screen:
    # Imported on first use: the knowledge screen (and Markdown) is not on the way to the
    # first paint.
    from csm_tui.screens.knowledge import KnowledgeScreen

    return KnowledgeScreen()


class CsmApp(App[None]):
    """The contact-center desk."""

    TITLE = "csm desk"
    CSS_PATH = DESK_TCSS
    MODES: ClassVar[dict[str, str | type[Screen]]] = {  # type: ignore[assignment]
        "queue": QueueScreen,
        "sla": _sla_panel_screen,
        "knowledge": _knowledge_screen,
    }
    DEFAULT_MODE: ClassVar[str] = "queue"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "toggle_help", "Keys", id="app.help", key_display="?"),
        Binding("ctrl+r", "sync_now", "Sync", id="app.sync"),
        Binding("C", "conflicts", "Conflicts", id="app.conflicts"),
        Binding("M", "macros", "Macros", id="app.macros"),
        # Not in the footer: most of the desk's users are agents, for whom it is no key.
        Binding("L", "sla_panel", "SLA panel", id="app.sla_panel", show=False),
        Binding("K", "knowledge", "Knowledge", id="app.knowledge"),
    ]

    @dataclass
    class SyncFinished(Message):
        """A sync pulled everything there was."""

        report: SyncReport

    @dataclass
    class SyncProgress(Message):
        """A page of a running sync landed in the store."""

        case_ids: set[str]

    @dataclass
    class SyncFailed(Message):
        """A sync stopped; ``error`` is the one sentence to show."""

        error: str

    def __init__(
        self, settings: Settings | SettingsSnapshot, desk: Desk, *, sync_on_start: bool = True
    ) -> None:
        super().__init__()
        self.settings = settings
        self.desk = desk
        self.sync_on_start = sync_on_start
        #: Published with the ids of changed cases after a sync that changed any.
        self.cases_changed_signal: Signal[set[str]] = Signal(self, "cases-changed")
        #: Published with "is a sync running?" whenever the status bar should repaint.
        self.sync_status_signal: Signal[bool] = Signal(self, "sync-status")
        for theme in BUILTIN_THEMES:
            self.register_theme(theme)
        #: Sentences shown once mounted (user theme files that could not be used).
        self._notices = register_user_themes(self, settings)
        self._theme_problem: str | None = None
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        else:
            self.theme = DEFAULT_THEME
            self._theme_problem = (
                f"The theme {settings.theme!r} is unknown, so {DEFAULT_THEME!r} is used; "
                "pick one with ctrl+p → Theme."
            )
        self.set_keymap(settings.keymap)
        apply_low_bandwidth(self)
        self._sync_again = False
        # SLA escalations from now on are news for a lead (escalation_notice.py)
        from csm_tui.escalation_notice import EscalationWatch

        self._escalations = EscalationWatch(desk.now().replace(microsecond=0))
        self._failures = 0
        self._asked = False  # the running sync was asked for (ctrl+r), not scheduled
        self._retry: Timer | None = None
        self._jitter = random.Random()

    # -- set-up ----------------------------------------------------------------------------

    @property
    def tick_seconds(self) -> float:
        """How often live countdowns repaint (slower in low-bandwidth mode)."""
        return LOW_BANDWIDTH_TICK_SECONDS if self.settings.low_bandwidth else TICK_SECONDS

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # Textual's own themes lack our domain variables; without these defaults picking
        # one from the palette would fail to parse the stylesheet.
        return {**super().get_theme_variable_defaults(), **DOMAIN_VARIABLE_DEFAULTS}

    def on_mount(self) -> None:
        # garbage is collected while nobody types (collector.py; from the first paint on)
        self.set_interval(collector.TICK_SECONDS, collector.tick)
        if self._theme_problem is not None:
            self.notify(self._theme_problem, title="Theme", severity="warning")
        low = self.settings.low_bandwidth
        status_tick = LOW_BANDWIDTH_STATUS_TICK_SECONDS if low else STATUS_TICK_SECONDS
        self.set_interval(status_tick, self._tick_status)
        watch_settings(self, self._notices)
        if self.desk.can_sync and self.sync_on_start:
            # After the first paint: the worker imports the ORM and httpx, which would
            # otherwise compete with painting the queue.
            self.call_after_refresh(self._start_syncing)
            interval = sync_interval(self.settings.sync_interval, low)
            self.set_interval(interval, self.sync_now)

    def _start_syncing(self) -> None:
        self.sync_now()
        # Pokes from the server's live stream arrive on the listener's thread.
        self.desk.start_live(self._on_live_change)

    def _on_live_change(self) -> None:
        # RuntimeError: the app is shutting down; the next start catches up.
        with contextlib.suppress(RuntimeError):
            self.call_from_thread(self.sync_now)

    def on_unmount(self) -> None:
        self.desk.stop_live()
        collector.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            collector.touch()  # busy: the idle-time collector waits (collector.py)
        await super().on_event(event)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        stop_blinking(self, event.widget)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # the screen's own actions first (the queue's triage keys, the case screen's edits)
        palette_commands = getattr(screen, "palette_commands", None)
        if palette_commands is not None:
            yield from palette_commands()
        yield SystemCommand(
            "Macros",
            "Browse, search, create and edit macros and snippets",
            self.action_macros,
        )
        yield SystemCommand(
            "SLA panel",
            "Team leads: queues and agents at risk, the next breaches, KPIs and escalations",
            self.action_sla_panel,
        )
        yield SystemCommand(
            "Knowledge",
            "Search the knowledge articles (offline too); leads publish proposals",
            self.action_knowledge,
        )
        yield SystemCommand("Sync now", "Pull the latest cases from the case server", self.sync_now)
        yield SystemCommand(
            "Resolve conflicts",
            "Edits that clash with someone else's, and refused edits",
            self.action_conflicts,
        )
        yield SystemCommand("Keys", "Show or hide the key help", self.action_toggle_help)
        yield SystemCommand("Theme", "Switch the colour theme", self.action_change_theme)
        yield SystemCommand("Quit", "Quit csm desk", self.action_quit)

    # -- actions ---------------------------------------------------------------------------

    def action_toggle_help(self) -> None:
        # By CSS type name: importing HelpPanel (and Markdown with it) costs ~30 ms at start.
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_sync_now(self) -> None:
        if not self.desk.can_sync:
            self.notify(
                "This desk has no case server; sign in with `csm login --server URL`.",
                title="Sync",
                severity="warning",
            )
            return
        if self.is_syncing:
            self.notify("A sync is already running.", title="Sync")
            return
        self._asked = True
        self.sync_now()

    # -- sync ------------------------------------------------------------------------------

    @property
    def is_syncing(self) -> bool:
        return any(w.group == "sync" and not w.is_finished for w in self.workers)

    def sync_now(self) -> None:
        """Start a sync; if one is running, run one more right after it, so that a change
        announced while it ran is not left for the next timer tick."""
        if not self.desk.can_sync:
            return
        if self.is_syncing:
            self._sync_again = True
            return
        self._sync_again = False
        self._sync_worker()

    def _sync_finished(self) -> None:
        self.sync_status_signal.publish(False)
        if self._sync_again:
            self.sync_now()

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _sync_worker(self) -> None:
        repainted = [0.0]

        def progress(report: SyncReport, page: object) -> None:
            # Repaint as pages land (the first one at once: on a cold desk it is the first
            # screen), but not more than twice a second during a long download.
            now = time.monotonic()
            if report.pages == 1 or now - repainted[0] >= PROGRESS_REPAINT_SECONDS:
                repainted[0] = now
                self.post_message(self.SyncProgress(set(report.case_ids)))

        try:
            report = self.desk.sync(progress)
        except CsmError as err:
            self.post_message(self.SyncFailed(str(err)))
            return
        self.post_message(self.SyncFinished(report))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "sync":
            # an edit that failed with something other than a CsmError: a bug, never silent
            if event.state is WorkerState.ERROR and event.worker.error is not None:
                self.route_error(event.worker.error)
            return
        if event.state is WorkerState.RUNNING:
            self.sync_status_signal.publish(True)
        elif event.state is WorkerState.ERROR and event.worker.error is not None:
            # Not a CsmError (those come back as SyncFailed): a bug, so log it.
            self.route_error(event.worker.error)
            self._sync_finished()

    def on_csm_app_sync_finished(self, message: SyncFinished) -> None:
        self._sync_finished()
        self._asked = False
        if message.report.rows:
            self._check_escalations()
        if self._failures:
            self._failures = 0
            self.notify("Back in touch with the case server.", title="Sync", markup=False)
        report = message.report
        if report.conflicts:
            self.notify(
                f"{report.conflicts} of your edits clash with someone else's; "
                "press C to choose which to keep.",
                title="Conflicts",
                severity="warning",
                markup=False,
            )
        if report.rejected:
            self.notify(
                f"The server refused {report.rejected} of your edits; press C to see why.",
                title="Edits refused",
                severity="error",
                markup=False,
            )
        # Any applied row may show in the queue (a renamed contact or agent, not only cases).
        if report.rows or report.case_ids:
            self.cases_changed_signal.publish(set(report.case_ids))

    @work(thread=True, group="escalations", exclusive=True, exit_on_error=False)
    def _check_escalations(self) -> None:
        """Tell a lead about the SLA escalations the last sync brought (a toast)."""
        from csm_tui.escalation_notice import notice

        try:
            rows = self._escalations.check(self.desk)
        except CsmError:
            return  # the panel lists them; the next sync tries again
        if rows:
            self.call_from_thread(
                self.notify,
                notice(rows),
                title="SLA escalation",
                severity="warning",
                markup=False,
                timeout=10,
            )

    def on_csm_app_sync_progress(self, message: SyncProgress) -> None:
        self.cases_changed_signal.publish(message.case_ids)
        self.sync_status_signal.publish(True)

    def on_csm_app_sync_failed(self, message: SyncFailed) -> None:
        self._sync_finished()
        # Retry sooner than the next tick, backing off with full jitter so that a room of
        # desks coming back after an outage does not hit the server in step.
        self._failures += 1
        ceiling = min(self.settings.sync_interval, RETRY_BASE_SECONDS * 2 ** (self._failures - 1))
        if self._retry is not None:
            self._retry.stop()
        self._retry = self.set_timer(self._jitter.uniform(0, ceiling), self.sync_now)
        # Failures in a row say the same thing: say it once (the bar keeps it), unless the
        # agent asked for this sync.
        if self._failures == 1 or self._asked:
            self.route_error(CsmError(message.error))
        self._asked = False

    # -- local edits -----------------------------------------------------------------------

    def edit(
        self,
        command: Callable[[], object],
        case_ids: set[str],
        done: str = "",
        *,
        then: Callable[[Any], object] | None = None,
    ) -> None:
        """Run a desk command (one store transaction + outbox row per case) off the UI thread;
        the screens repaint from the store when it is written, and a push follows. ``then``
        gets the command's result (a bulk command's ``BulkResult``) on the UI thread."""
        self._edit_worker(command, case_ids, done, then)

    @work(thread=True, group="edit", exit_on_error=False)
    def _edit_worker(
        self,
        command: Callable[[], object],
        case_ids: set[str],
        done: str,
        then: Callable[[Any], object] | None,
    ) -> None:
        try:
            result = command()
        except CsmError as err:
            self.call_from_thread(self.route_error, err, "Not saved")
            return
        self.call_from_thread(self.local_edit_done, case_ids, done)
        if then is not None:
            self.call_from_thread(then, result)

    def local_edit_done(self, case_ids: set[str], done: str = "") -> None:
        if case_ids:
            self.cases_changed_signal.publish(case_ids)
        self.sync_status_signal.publish(self.is_syncing)
        if done:
            self.notify(done, markup=False, timeout=2)
        self.sync_now()

    def action_conflicts(self) -> None:
        from csm_tui.screens.conflicts import ConflictsScreen

        self.push_screen(ConflictsScreen())

    def action_macros(self) -> None:
        from csm_tui.screens.macros import MacroScreen

        if not isinstance(self.screen, MacroScreen):
            self.push_screen(MacroScreen())

    def action_sla_panel(self) -> None:
        """The lead's SLA panel (mode "sla"); ``L`` again goes back to the queue. Agents who
        are no leads get one sentence instead."""
        from csm_tui.sla_panel_data import panel_refusal

        if self.current_mode == "sla":
            self.switch_mode("queue")
            return
        refusal = panel_refusal(self.desk)
        if refusal is not None:
            self.notify(refusal, title="SLA panel", severity="warning", markup=False)
            return
        self.switch_mode("sla")

    def action_knowledge(self) -> None:
        """The knowledge screen (mode "knowledge"); ``K`` again goes back to the queue."""
        self.switch_mode("queue" if self.current_mode == "knowledge" else "knowledge")

    def route_error(self, error: BaseException, title: str = "Sync failed") -> None:
        """The one place failures become visible: a CsmError's sentence is shown as it is,
        anything else is a bug, logged with its traceback behind a generic sentence."""
        if isinstance(error, CsmError):
            self.notify(str(error), title=title, severity="error", markup=False)
            return
        _log.error("unexpected failure in the desk", exc_info=error)
        self.log.error(f"unexpected failure: {error!r}")
        self.notify(UNEXPECTED_ERROR, title="Error", severity="error", markup=False)

    def _tick_status(self) -> None:
        self.sync_status_signal.publish(self.is_syncing)


def make_app(
    settings: Settings | SettingsSnapshot, desk: Desk, *, sync_on_start: bool = True
) -> CsmApp:
    """Build the app around ``desk``; ``sync_on_start=False`` keeps tests off the network."""
    return CsmApp(settings, desk, sync_on_start=sync_on_start)
