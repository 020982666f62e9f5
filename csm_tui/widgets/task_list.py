"""The tasks a case handed to other teams (fraud, billing, field service), one line each.

Each line reads without colour: a state symbol (``○`` open, ``✓`` done, ``✗`` cancelled),
the team, the title, the due date and, for an open task past it, the word "overdue". The
title is untrusted text (anyone on the server may have written it): it is cleaned with
``clean_line`` and drawn as ``Text``, never as markup. ``x`` asks to flip the highlighted
task between open and done; the screen listens for :class:`TaskList.ToggleRequested` and
calls the desk. The border title counts the open tasks: "Tasks (1/3)".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar, Protocol

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from csm_tui.domain.due import format_due, is_overdue
from csm_tui.domain.enums import TaskState, TaskTeam
from csm_tui.domain.text import clean_line


class TaskLike(Protocol):
    """What a line needs of a task (the desk's ``TaskRow`` fits)."""

    @property
    def id(self) -> str: ...
    @property
    def team(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def state(self) -> str: ...


#: The symbol each state wears; the line never relies on its colour alone.
STATE_SYMBOLS: dict[str, str] = {
    TaskState.OPEN: "○",
    TaskState.DONE: "✓",
    TaskState.CANCELLED: "✗",
}
EMPTY_ID = "task-list-empty"


def team_label(team: str) -> str:
    """ "Billing" for ``billing``; a team this desk does not know (newer server) as sent."""
    try:
        return TaskTeam(team).label
    except ValueError:
        return clean_line(team)


def task_line(task: TaskLike, now: datetime) -> Text:
    """One task as two lines of ``Text`` (title cleaned; no markup anywhere): state, team,
    "overdue" or the closed state, and the due time; then the title, which the ellipsis
    takes when the panel is narrow."""
    open_ = task.state == TaskState.OPEN
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(STATE_SYMBOLS.get(task.state, "?") + " ", style="bold" if open_ else "")
    line.append(team_label(task.team), style="bold")
    if open_ and is_overdue(task.due_at, now):
        line.append(" OVERDUE", style="bold red")
    elif not open_:
        line.append(f" {clean_line(str(task.state))}", style="dim")
    due = f"due {format_due(task.due_at)}" if task.due_at is not None else "no due date"
    line.append(f" · {due}", style="" if open_ else "dim")
    line.append("\n  ")
    line.append(clean_line(task.title), style="" if open_ else "dim strike")
    return line


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class TaskList(OptionList):
    """The case's tasks, open ones first (the order the desk reads them in)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "toggle_task", "Task done/open", id="case.task_done"),
    ]

    DEFAULT_CSS = """
    TaskList {
        height: auto;
        max-height: 12;
        border: round $panel;
        border-title-color: $foreground;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        &:focus { border: round $primary; }
    }
    """

    @dataclass
    class ToggleRequested(Message):
        """The agent pressed ``x`` on a task: flip it to ``state`` (done for an open task,
        open again for a done or cancelled one)."""

        task_id: str
        state: str = TaskState.DONE.value

    def __init__(
        self,
        tasks: Sequence[TaskLike] = (),
        *,
        now: Callable[[], datetime] = _utcnow,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """``now`` is the clock that decides "overdue" (naive UTC; the desk's ``now``)."""
        super().__init__(id=id, classes=classes)
        self._now = now
        self.tasks: list[TaskLike] = []
        self.show_tasks(tasks)

    def show_tasks(self, tasks: Sequence[TaskLike]) -> None:
        """Show ``tasks`` instead, keeping the highlight on the same task if it is there."""
        keep = self._highlighted_id()
        self.tasks = list(tasks)
        self.clear_options()
        now = self._now()
        if self.tasks:
            self.add_options([Option(task_line(t, now), id=t.id) for t in self.tasks])
            ids = [t.id for t in self.tasks]
            self.highlighted = ids.index(keep) if keep in ids else 0
        else:
            self.add_option(
                Option(Text("No tasks for other teams yet."), id=EMPTY_ID, disabled=True)
            )
        open_count = sum(1 for t in self.tasks if t.state == TaskState.OPEN)
        self.border_title = Text(f"Tasks ({open_count}/{len(self.tasks)})")

    def _highlighted_id(self) -> str | None:
        if self.highlighted is None or not self.tasks:
            return None
        option = self.get_option_at_index(self.highlighted)
        return option.id

    @property
    def highlighted_task(self) -> TaskLike | None:
        task_id = self._highlighted_id()
        return next((t for t in self.tasks if t.id == task_id), None)

    def action_toggle_task(self) -> None:
        task = self.highlighted_task
        if task is None:
            return
        target = TaskState.DONE if task.state == TaskState.OPEN else TaskState.OPEN
        self.post_message(self.ToggleRequested(task.id, target.value))
