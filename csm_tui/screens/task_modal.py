"""Giving a task on a case to another team: the team, what to do, and by when.

The team is picked from a short list (fraud, billing, field service), the title is one line,
and the due field takes ``2026-12-01``, ``2026-12-01 14:30``, ``+2d``, ``+4h`` or nothing
(:func:`csm_tui.domain.due.parse_due`). ``ctrl+s`` creates (so does enter in the due field),
escape cancels. A title or due time the desk cannot use shows one sentence in the modal and
keeps it open. The modal returns a :class:`TaskDraft`; the screen hands it to
``Desk.create_task``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from csm_tui.domain.due import DueError, parse_due
from csm_tui.domain.enums import TaskTeam

#: The longest title (the desk's and the server's limit).
MAX_TITLE = 200
NO_TITLE = "Write what the team should do first, or press escape to cancel."


@dataclass(frozen=True)
class TaskDraft:
    team: str  # a TaskTeam value
    title: str
    due_at: datetime | None  # naive UTC; midnight is a due date


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class TaskModal(ModalScreen[TaskDraft | None]):
    """Ask for a new task's team, title and due time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "create", "Create task", id="task.create", priority=True),
        Binding("escape", "cancel", "Cancel", id="task.cancel"),
    ]

    DEFAULT_CSS = """
    TaskModal {
        align: center middle;
    }
    TaskModal > Vertical {
        width: 72;
        max-width: 95%;
        height: auto;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    TaskModal #task-heading { width: 1fr; text-style: bold; padding: 0 0 1 0; }
    TaskModal .task-field { width: 1fr; color: $foreground-muted; }
    TaskModal OptionList { height: auto; max-height: 5; border: none; margin: 0 0 1 0; }
    TaskModal Input { margin: 0 0 1 0; }
    TaskModal #task-error { width: 1fr; color: $error; text-style: bold; }
    TaskModal #task-help { width: 1fr; color: $foreground-muted; padding: 1 0 0 0; }
    """

    def __init__(
        self,
        case_number: str = "",
        *,
        team: str | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        """``team`` is highlighted first (default fraud); ``now`` is the clock ``+2d`` and
        "already past" are measured from (naive UTC: pass the desk's ``now``)."""
        super().__init__()
        self.case_number = case_number
        self.team = TaskTeam(team) if team in TaskTeam.__members__.values() else TaskTeam.FRAUD
        self._now = now

    def compose(self) -> ComposeResult:
        heading = "New task for another team"
        if self.case_number:
            heading += f"  ·  {self.case_number}"
        with Vertical():
            yield Label(Text(heading), id="task-heading")
            yield Label(Text("Team"), classes="task-field")
            yield OptionList(
                *(Option(Text(team.label), id=team.value) for team in TaskTeam), id="task-team"
            )
            yield Label(Text("What should they do?"), classes="task-field")
            yield Input(
                placeholder="Refund the double charge", max_length=MAX_TITLE, id="task-title"
            )
            yield Label(Text("Due (2026-12-01, +2d, +4h or empty)"), classes="task-field")
            yield Input(placeholder="+2d", id="task-due")
            yield Label(Text(""), id="task-error")
            yield Label(
                Text("ctrl+s create · enter next field · esc cancel"),
                id="task-help",
            )

    def on_mount(self) -> None:
        teams = self.query_one("#task-team", OptionList)
        teams.highlighted = list(TaskTeam).index(self.team)
        teams.focus()

    @property
    def chosen_team(self) -> TaskTeam:
        teams = self.query_one("#task-team", OptionList)
        index = teams.highlighted if teams.highlighted is not None else 0
        return list(TaskTeam)[index]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#task-title", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "task-title":
            self.query_one("#task-due", Input).focus()
        else:
            self.action_create()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show_error("")

    def _show_error(self, sentence: str) -> None:
        self.query_one("#task-error", Label).update(Text(sentence))

    def draft(self) -> TaskDraft:
        """What the fields say, or DueError / ValueError with the sentence to show."""
        title = " ".join(self.query_one("#task-title", Input).value.split())
        if not title:
            raise ValueError(NO_TITLE)
        due = parse_due(self.query_one("#task-due", Input).value, self._now())
        return TaskDraft(self.chosen_team.value, title, due)

    def action_create(self) -> None:
        try:
            draft = self.draft()
        except (DueError, ValueError) as err:
            self._show_error(str(err))
            field = "#task-title" if str(err) == NO_TITLE else "#task-due"
            self.query_one(field, Input).focus()
            return
        self.dismiss(draft)

    def action_cancel(self) -> None:
        self.dismiss(None)
