"""The case screen: header and timeline on the left, the customer on the right.

The detail is one indexed read of a few milliseconds, so it is read while composing: the
screen's first frame already shows the case, with the newest message in view. A sync that
touched this case recomposes it.

``]`` goes on to the next case of the queue's view without going back (the queue screen hands
over ``next_case``, which also moves its cursor, so escape lands on the case last shown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from csm_tui.desk import CaseDetail
from csm_tui.domain.enums import CaseStatus, Priority
from csm_tui.domain.status import can_transition
from csm_tui.screens.desk_access import DeskAccess
from csm_tui.widgets.case_header import CaseHeader
from csm_tui.widgets.customer_panel import CustomerPanel
from csm_tui.widgets.sync_status import SyncStatusBar
from csm_tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    pass


class CaseScreen(DeskAccess, Screen[None]):
    """One case with every message, oldest to newest."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to queue", id="case.back"),
        Binding("r", "write('public')", "Reply", id="case.reply"),
        Binding("n", "write('internal')", "Note", id="case.note"),
        Binding("s", "set_status", "Status", id="case.status"),
        Binding("p", "set_priority", "Priority", id="case.priority"),
        Binding("right_square_bracket", "next_case", "Next case", id="case.next", key_display="]"),
    ]

    PALETTE_HELP: ClassVar[dict[str, str]] = {
        "case.back": "Back to the queue",
        "case.reply": "Write a public reply the customer will see",
        "case.note": "Write an internal note only colleagues see",
        "case.status": "Change the status of this case",
        "case.priority": "Change the priority of this case",
        "case.next": "Open the next case of the queue's view",
    }

    AUTO_FOCUS = "Timeline"

    def __init__(
        self, case_id: str, *, next_case: Callable[[str], str | None] | None = None
    ) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail: CaseDetail | None = None
        self._next_case = next_case

    def compose(self) -> ComposeResult:
        self.detail = self.desk.case_detail(self.case_id)
        detail = self.detail
        if detail is None:
            yield Static(
                Text("This case is no longer in the local store; press escape to go back."),
                id="case-missing",
            )
        else:
            with Horizontal(id="case-body"):
                with Vertical(id="case-main"):
                    yield CaseHeader(detail.case, id="case-header")
                    yield Timeline(detail.messages, id="timeline")
                yield CustomerPanel(detail.customer, id="customer-panel")
        yield SyncStatusBar(self.desk, id="sync-status")
        yield Footer()

    def on_mount(self) -> None:
        self.csm_app.cases_changed_signal.subscribe(self, self._on_cases_changed)
        self.csm_app.sync_status_signal.subscribe(self, self._on_sync_status)

    async def _on_cases_changed(self, case_ids: set[str]) -> None:
        if self.case_id in case_ids:
            await self.recompose()
            # recompose replaced the focused timeline; give the keys back to the new one
            for timeline in self.query(Timeline):
                timeline.focus()

    def _on_sync_status(self, syncing: bool) -> None:
        self.query_one(SyncStatusBar).refresh_status(syncing)

    def action_back(self) -> None:
        self.dismiss()

    async def action_next_case(self) -> None:
        following = self._next_case(self.case_id) if self._next_case is not None else None
        if following is None:
            self.notify("That was the last case of this view.", markup=False, timeout=2)
            return
        self.case_id = following
        await self.recompose()
        for timeline in self.query(Timeline):
            timeline.focus()

    def palette_commands(self) -> Iterator[SystemCommand]:
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.id in self.PALETTE_HELP:
                yield SystemCommand(
                    binding.description,
                    self.PALETTE_HELP[binding.id],
                    partial(self.run_action, binding.action),
                )

    # -- edits: each one is a desk command (local row + outbox row), pushed by the app --------

    def action_write(self, kind: str) -> None:
        if self.detail is None:
            return
        from csm_tui.screens.message_modal import Draft, MessageModal

        case_id = self.case_id

        def send(draft: Draft | None) -> None:
            if draft is None:
                return
            word = "Reply" if draft.kind == "public" else "Note"
            self.csm_app.edit(
                lambda: self.desk.add_message(case_id, draft.kind, draft.body),
                {case_id},
                f"{word} saved; it goes to the server with the next sync.",
            )

        self.app.push_screen(MessageModal(kind, self.detail.case.number), send)

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
