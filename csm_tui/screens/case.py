"""The case screen: everything needed to answer one case, from the keyboard.

Left: the header, the timeline (oldest to newest, the newest in view, long messages folded)
and the composer; right: the customer, suggested knowledge articles (``l`` puts a link into
the reply, ``e`` a quoted excerpt, ``a`` proposes the agent's reply as an article) and their
other cases one digit away.

The detail is one indexed read of a few milliseconds, so it is read while composing: the
screen's first frame already shows the case. A sync that touched this case repaints the
header, timeline and side panels in place; the composer and its text are never rebuilt.

The composer's text is kept in the store as a draft while the agent types (debounced, off the
UI thread) and comes back when the case is opened again, after a quit or a crash. Sending is
one desk command (message, optional status, draft cleared: one transaction). A public reply
to a case that received a customer message or another agent's reply since the agent opened it
first shows what arrived and asks (the traffic cop).

``]`` goes on to the next case of the queue's view without going back (the queue screen hands
over ``next_case``, which also moves its cursor, so escape lands on the case last shown).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, OptionList, Static

from csm_tui.desk import CaseDetail, MessageRow
from csm_tui.domain.enums import CaseStatus, MessageKind, Priority
from csm_tui.domain.status import can_transition
from csm_tui.errors import CsmError
from csm_tui.screens.deferred_bodies import fetch_deferred_bodies
from csm_tui.screens.desk_access import DeskAccess
from csm_tui.widgets.case_header import CaseHeader
from csm_tui.widgets.composer import Composer
from csm_tui.widgets.customer_panel import CustomerPanel
from csm_tui.widgets.other_cases import OtherCases
from csm_tui.widgets.presence_bar import PresenceBar
from csm_tui.widgets.suggested_articles import SuggestedArticles
from csm_tui.widgets.sync_status import SyncStatusBar
from csm_tui.widgets.task_list import TaskList
from csm_tui.widgets.timeline import Timeline

#: Seconds of quiet typing before the draft is written to the store.
DRAFT_DEBOUNCE = 0.3
#: Seconds between telling the server "I have this case open" (and hearing who else has).
PRESENCE_INTERVAL = 10.0
#: Message kinds that make the traffic cop stop a public reply.
_ARRIVALS = frozenset({MessageKind.CUSTOMER.value, MessageKind.PUBLIC.value})


class CaseScreen(DeskAccess, Screen[None]):
    """One case with every message, the composer and the customer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to queue", id="case.back"),
        Binding("r", "write('public')", "Reply", id="case.reply"),
        Binding("n", "write('internal')", "Note", id="case.note"),
        Binding("s", "set_status", "Status", id="case.status"),
        Binding("p", "set_priority", "Priority", id="case.priority"),
        Binding("t", "new_task", "Task", id="case.task_new"),
        Binding("m", "macro", "Macro", id="case.macro"),
        # Shown in the suggestions' box (and the palette), not in the footer.
        Binding("l", "insert_article('link')", "Link article", id="case.article_link", show=False),
        Binding(
            "e", "insert_article('quote')", "Quote article", id="case.article_quote", show=False
        ),
        Binding("a", "propose_article", "Propose article", id="case.article_propose", show=False),
        Binding("right_square_bracket", "next_case", "Next case", id="case.next", key_display="]"),
        *(
            Binding(
                str(n),
                f"open_other({n})",
                f"Other case {n}",
                id=f"case.other_{n}",
                show=False,
            )
            for n in range(1, 10)
        ),
    ]

    PALETTE_HELP: ClassVar[dict[str, str]] = {
        "case.back": "Back to the queue",
        "case.reply": "Write a public reply the customer will see",
        "case.note": "Write an internal note only colleagues see",
        "case.status": "Change the status of this case",
        "case.priority": "Change the priority of this case",
        "case.macro": "Apply a macro to this case: preview, edit the text, apply",
        "case.task_new": "Create a task for another team (fraud, billing, field service)",
        "case.next": "Open the next case of the queue's view",
        "case.article_link": "Insert a link to the highlighted suggested article into the reply",
        "case.article_quote": "Insert an excerpt of the highlighted suggested article",
        "case.article_propose": "Propose your latest reply on this case as a knowledge article",
    }

    DEFAULT_CSS = """
    CaseScreen #case-body { height: 1fr; }
    CaseScreen #case-main { width: 1fr; height: 1fr; }
    CaseScreen #case-side { width: 42; height: 1fr; }
    CaseScreen #customer-panel { height: auto; width: 1fr; }
    CaseScreen Composer.-hidden { display: none; }
    """

    AUTO_FOCUS = "Timeline"

    def __init__(
        self, case_id: str, *, next_case: Callable[[str], str | None] | None = None
    ) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail: CaseDetail | None = None
        self._next_case = next_case
        #: Messages the agent has had on screen: the traffic cop's baseline.
        self._seen: set[str] = set()
        self._draft_timer: Timer | None = None
        self._draft_due: tuple[str, str, str] | None = None  # (case id, kind, text)
        # Sends and draft saves run in worker threads: a save that started before a send
        # must not bring the sent text back as a draft (each holds the lock; a send bumps
        # the generation, and older saves are dropped).
        self._draft_lock = threading.Lock()
        self._draft_generation = 0

    # -- composing -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.detail = self.desk.case_detail(self.case_id)
        detail = self.detail
        if detail is None:
            yield Static(
                Text("This case is no longer in the local store; press escape to go back."),
                id="case-missing",
            )
        else:
            self._seen = {m.id for m in detail.messages}
            draft = self.desk.draft(self.case_id)
            with Horizontal(id="case-body"):
                with Vertical(id="case-main"):
                    yield CaseHeader(detail.case, id="case-header")
                    yield PresenceBar(
                        self.desk, self.case_id, interval=PRESENCE_INTERVAL, id="presence"
                    )
                    yield Timeline(detail.messages, id="timeline")
                    composer = Composer(
                        kind=draft.kind if draft else "public",
                        text=draft.body if draft else "",
                        case_number=detail.case.number,
                        agents=self.desk.agents(),
                        snippets=self.desk.snippets(),
                        merge=partial(self.desk.merge_context, self.case_id),
                        agent_id=self.desk.me_id,
                        id="composer",
                    )
                    composer.set_class(draft is None, "-hidden")
                    yield composer
                with Vertical(id="case-side"):
                    yield CustomerPanel(detail.customer, id="customer-panel")
                    yield TaskList(detail.tasks, now=self.desk.now, id="task-list")
                    yield SuggestedArticles(self.desk, self.case_id, id="suggested-articles")
                    yield OtherCases(self.desk.other_cases(self.case_id), id="other-cases")
        yield SyncStatusBar(self.desk, id="sync-status")
        yield Footer()

    def on_mount(self) -> None:
        self.csm_app.cases_changed_signal.subscribe(self, self._on_cases_changed)
        self.csm_app.sync_status_signal.subscribe(self, self._on_sync_status)
        self._announce_draft()
        fetch_deferred_bodies(self)  # low-bandwidth mode left some bodies on the server

    def _announce_draft(self) -> None:
        composer = self._composer
        if composer is not None and composer.text.strip():
            word = "reply" if composer.kind == "public" else "note"
            self.notify(f"Your draft {word} is back; press r or n to go on.", timeout=3)

    def on_unmount(self) -> None:
        self._save_draft_now()

    @property
    def _composer(self) -> Composer | None:
        found = self.query(Composer)
        return found.first() if found else None

    async def _on_cases_changed(self, case_ids: set[str]) -> None:
        if self.case_id in case_ids:
            await self._repaint()

    async def _repaint(self) -> None:
        """Show the case as the store has it now, leaving the composer alone."""
        detail = self.desk.case_detail(self.case_id)
        if detail is None or self.detail is None:
            return
        self.detail = detail
        header = self.query_one(CaseHeader)
        header.case = detail.case
        await header.recompose()
        await self.query_one(Timeline).show(detail.messages)
        self.query_one(CustomerPanel).show(detail.customer)
        self.query_one(TaskList).show_tasks(detail.tasks)
        others = self.query_one(OtherCases)
        await others.remove()
        await self.query_one("#case-side", Vertical).mount(
            OtherCases(self.desk.other_cases(self.case_id), id="other-cases")
        )

    def _on_sync_status(self, syncing: bool) -> None:
        self.query_one(SyncStatusBar).refresh_status(syncing)

    def action_back(self) -> None:
        self.dismiss()

    async def action_next_case(self) -> None:
        following = self._next_case(self.case_id) if self._next_case is not None else None
        if following is None:
            self.notify("That was the last case of this view.", markup=False, timeout=2)
            return
        self._save_draft_now()
        self.case_id = following
        await self.recompose()
        for timeline in self.query(Timeline):
            timeline.focus()
        self._announce_draft()
        fetch_deferred_bodies(self)

    def action_open_other(self, n: int) -> None:
        others = self.query(OtherCases)
        if not others or not 0 < n <= len(others.first().cases):
            self.notify(f"This customer has no other case {n}.", timeout=2)
            return
        self._open_case(others.first().cases[n - 1].id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if isinstance(event.option_list, OtherCases) and event.option.id:
            event.stop()
            self._open_case(event.option.id)

    def _open_case(self, case_id: str) -> None:
        self._save_draft_now()
        self.app.push_screen(CaseScreen(case_id))

    def palette_commands(self) -> Iterator[SystemCommand]:
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.id in self.PALETTE_HELP:
                yield SystemCommand(
                    binding.description,
                    self.PALETTE_HELP[binding.id],
                    partial(self.run_action, binding.action),
                )

    # -- the composer ----------------------------------------------------------------------

    def action_write(self, kind: str) -> None:
        composer = self._composer
        if composer is None:
            return
        if composer.text.strip() and composer.kind != kind:
            word = "a public reply" if kind == "public" else "an internal note"
            self.notify(f"Your draft is now {word}.", timeout=2)
        composer.set_kind(kind)
        composer.remove_class("-hidden")
        composer.focus_text()

    def on_composer_left(self, event: Composer.Left) -> None:
        event.stop()
        self._save_draft_now()
        if not event.composer.text.strip():
            event.composer.add_class("-hidden")
        self.query_one(Timeline).focus()

    def on_composer_changed(self, event: Composer.Changed) -> None:
        event.stop()
        for bar in self.query(PresenceBar):
            bar.set_composing(bool(event.body.strip()))
        self._draft_due = (self.case_id, event.kind, event.body)
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if DRAFT_DEBOUNCE > 0:
            self._draft_timer = self.set_timer(DRAFT_DEBOUNCE, self._flush_draft)
        else:  # no debounce: every change is written
            self.call_later(self._flush_draft)

    def _flush_draft(self) -> None:
        due, self._draft_due = self._draft_due, None
        if due is not None:
            self._write_draft(self._draft_generation, *due)

    def _save_draft_now(self) -> None:
        """Write a waiting draft at once (leaving the case, or the composer)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        due, self._draft_due = self._draft_due, None
        if due is not None:
            self._store_draft(self._draft_generation, *due)

    @work(thread=True, group="draft", exit_on_error=False)
    def _write_draft(self, generation: int, case_id: str, kind: str, body: str) -> None:
        try:
            self._store_draft(generation, case_id, kind, body)
        except CsmError as err:
            self.app.call_from_thread(self.csm_app.route_error, err, "Draft not saved")

    def _store_draft(self, generation: int, case_id: str, kind: str, body: str) -> None:
        with self._draft_lock:
            if generation == self._draft_generation:
                self.desk.save_draft(case_id, kind, body)

    def on_composer_send(self, event: Composer.Send) -> None:
        event.stop()
        if event.kind == "public":
            arrived = self._arrived()
            if arrived:
                from csm_tui.screens.traffic_cop import TrafficCopModal

                def answered(send: bool | None) -> None:
                    if send:
                        self._seen.update(m.id for m in arrived)
                        self._send(event)
                    else:
                        event.composer.focus_text()

                self.app.push_screen(TrafficCopModal(arrived, kind=event.kind), answered)
                return
        self._send(event)

    def _arrived(self) -> list[MessageRow]:
        """Customer messages and public replies that came after the agent opened the case."""
        detail = self.desk.case_detail(self.case_id)
        if detail is None:
            return []
        return [m for m in detail.messages if m.id not in self._seen and m.kind in _ARRIVALS]

    def _send(self, event: Composer.Send) -> None:
        case_id, composer = self.case_id, event.composer
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        self._draft_due = None

        def send() -> str:
            with self._draft_lock:
                self._draft_generation += 1
                return self.desk.reply(case_id, event.kind, event.body, event.status)

        def sent(message_id: object) -> None:
            self._seen.add(str(message_id))
            if self.case_id == case_id and composer.is_attached:
                composer.clear()
                composer.add_class("-hidden")
                self.query_one(Timeline).focus()

        word = "Reply" if event.kind == "public" else "Note"
        then = {None: "", "pending": " The case is pending.", "solved": " The case is solved."}
        self.csm_app.edit(
            send,
            {case_id},
            f"{word} saved; it goes to the server with the next sync." + then.get(event.status, ""),
            then=sent,
        )

    # Knowledge articles (issue #6): the keys' logic lives in screens/propose_article.py.
    def action_insert_article(self, kind: str) -> None:
        from csm_tui.screens.propose_article import insert_article

        insert_article(self, kind)

    def action_propose_article(self) -> None:
        from csm_tui.screens.propose_article import propose_from_case

        propose_from_case(self)

    def action_macro(self) -> None:
        if self.detail is not None:
            from csm_tui.screens import macro_flow

            macro_flow.start(self, [self.case_id])

    # -- tasks for other teams -------------------------------------------------------------

    def action_new_task(self) -> None:
        if self.detail is None:
            return
        from csm_tui.screens.task_modal import TaskDraft, TaskModal

        case_id = self.case_id

        def create(draft: TaskDraft | None) -> None:
            if draft is None:
                return
            self.csm_app.edit(
                lambda: self.desk.create_task(case_id, draft.team, draft.title, draft.due_at),
                {case_id},
                "Task saved; it goes to the server with the next sync.",
            )

        self.app.push_screen(TaskModal(self.detail.case.number, now=self.desk.now), create)

    def on_task_list_toggle_requested(self, message: TaskList.ToggleRequested) -> None:
        message.stop()
        self.csm_app.edit(
            lambda: self.desk.set_task_state(message.task_id, message.state), {self.case_id}
        )

    # -- edits: each one is a desk command (local row + outbox row), pushed by the app --------

    def action_set_status(self) -> None:
        if self.detail is None:
            return
        current = CaseStatus(self.detail.case.status)
        choices = [
            (s.value, s.label) for s in CaseStatus if s == current or can_transition(current, s)
        ]
        self._choose("Set status", choices, current.value, "status")

    def action_set_priority(self) -> None:
        if self.detail is None:
            return
        choices = [(p.value, p.value) for p in sorted(Priority, key=lambda p: -p.rank)]
        self._choose("Set priority", choices, self.detail.case.priority, "priority")

    def _choose(self, title: str, choices: list[tuple[str, str]], current: str, field: str) -> None:
        from csm_tui.screens.choice import ChoiceModal

        case_id = self.case_id

        def chosen(value: str | None) -> None:
            if value is None or value == current:
                return
            self.csm_app.edit(
                lambda: self.desk.update_case(case_id, **{field: value}),
                {case_id},
            )

        self.app.push_screen(ChoiceModal(title, choices, current), chosen)
