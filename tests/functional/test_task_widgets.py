"""The task pieces of the case screen, driven by Pilot: the task modal reads the team, the
title and the due time and returns a draft (or says in one sentence what is wrong), and the
task list shows each task as one line of plain text and asks to flip it on ``x``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from textual.app import App, ComposeResult
from textual.widgets import Input, Label

from csm_tui.domain import due as due_mod
from csm_tui.screens.task_modal import NO_TITLE, TaskDraft, TaskModal
from csm_tui.widgets.task_list import TaskList

NOW = datetime(2026, 11, 20, 9, 0)
HOSTILE = "[bold red]x[/] \x1b[2J pay \x07now [link=http://evil.example]click[/link]\nline two"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def clock() -> datetime:
    return NOW


@dataclass(frozen=True)
class FakeTask:
    id: str
    team: str
    title: str
    due_at: datetime | None
    state: str


TASKS = [
    FakeTask("t1", "billing", HOSTILE, datetime(2026, 11, 19), "open"),
    FakeTask("t2", "fraud", "Check card block", datetime(2026, 11, 25, 14, 0), "open"),
    FakeTask("t3", "field_service", "Book a technician visit", None, "done"),
    FakeTask("t4", "fraud", "Verify identity", datetime(2026, 11, 1), "cancelled"),
]


class ModalHarness(App[None]):
    def __init__(self, **modal_args: object) -> None:
        super().__init__()
        self.modal_args = modal_args
        self.results: list[TaskDraft | None] = []

    def on_mount(self) -> None:
        self.push_screen(TaskModal("CS-10042", now=clock, **self.modal_args), self.results.append)  # type: ignore[arg-type]


class ListHarness(App[None]):
    def __init__(self, tasks: list[FakeTask]) -> None:
        super().__init__()
        self.tasks = tasks
        self.requests: list[TaskList.ToggleRequested] = []

    def compose(self) -> ComposeResult:
        yield TaskList(self.tasks, now=clock, id="tasks")

    def on_mount(self) -> None:
        self.query_one(TaskList).focus()

    def on_task_list_toggle_requested(self, message: TaskList.ToggleRequested) -> None:
        self.requests.append(message)


async def test_the_modal_returns_a_draft_with_team_title_and_due() -> None:
    app = ModalHarness()
    async with app.run_test() as pilot:
        await pilot.press("down", "enter")  # billing, then on to the title
        await pilot.press(*"Refund the double charge", "enter")
        await pilot.press(*"+2d", "enter")
        await pilot.pause()
    assert app.results == [
        TaskDraft("billing", "Refund the double charge", datetime(2026, 11, 22, 9))
    ]


async def test_ctrl_s_creates_with_a_date_and_escape_cancels() -> None:
    app = ModalHarness(team="field_service")
    async with app.run_test() as pilot:
        modal = app.screen
        modal.query_one("#task-title", Input).value = "  Book a   technician visit "
        modal.query_one("#task-due", Input).value = "2026-12-01"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == [
            TaskDraft("field_service", "Book a technician visit", datetime(2026, 12, 1))
        ]
        app.push_screen(TaskModal(now=clock), app.results.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results[-1] is None


async def test_a_bad_due_or_no_title_shows_one_sentence_and_stays_open() -> None:
    app = ModalHarness()
    async with app.run_test() as pilot:
        modal = app.screen
        error = modal.query_one("#task-error", Label)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert str(error.render()) == NO_TITLE
        assert app.focused is modal.query_one("#task-title", Input)
        modal.query_one("#task-title", Input).value = "Check card block"
        modal.query_one("#task-due", Input).value = "next friday"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert str(error.render()) == due_mod.DUE_FORMAT_HINT
        assert app.focused is modal.query_one("#task-due", Input)
        modal.query_one("#task-due", Input).value = "2026-11-01"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert str(error.render()) == due_mod.PAST_DUE
        assert app.screen is modal and app.results == []
        await pilot.press("ctrl+u")  # clear the field: an empty due is fine
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [TaskDraft("fraud", "Check card block", None)]


async def test_the_list_shows_tasks_as_plain_text_lines_with_state_symbols() -> None:
    app = ListHarness(TASKS)
    async with app.run_test(size=(150, 20)) as pilot:
        await pilot.pause()
        tasks = app.query_one(TaskList)
        assert str(tasks.border_title) == "Tasks (2/4)"
        rendered = [tasks.render_line(y).text for y in range(8)]
        strips = [tasks.render_line(y) for y in range(8)]
    # Two lines a task: state, team, flag and due; then the title.
    lines = [rendered[i] + rendered[i + 1] for i in range(0, 8, 2)]
    first, second, third, fourth = lines
    assert first.lstrip().startswith("○ Billing")
    assert "[bold red]x[/]" in first and "[link=http://evil.example]click[/link]" in first
    assert "line two" in rendered[1]  # the title is one line: the newline became a space
    assert "due 2026-11-19" in first and "OVERDUE" in first
    assert "○ Fraud" in second and "due 2026-11-25 14:00" in second
    assert "OVERDUE" not in second
    assert "✓ Field service" in third and "done" in third
    assert "✗ Fraud" in fourth and "cancelled" in fourth and "OVERDUE" not in fourth
    for strip in strips:
        for segment in strip:
            assert not CONTROL.search(segment.text), repr(segment.text)
            assert segment.style is None or not segment.style.link


async def test_x_asks_to_flip_the_highlighted_task() -> None:
    app = ListHarness(TASKS)
    async with app.run_test() as pilot:
        await pilot.press("x")
        await pilot.press("down", "down", "x")
        await pilot.pause()
        tasks = app.query_one(TaskList)
        tasks.show_tasks([TASKS[2], TASKS[0]])  # the highlight follows its task
        assert tasks.highlighted_task == TASKS[2]
        assert str(tasks.border_title) == "Tasks (1/2)"
    assert [(m.task_id, m.state) for m in app.requests] == [("t1", "done"), ("t3", "open")]


async def test_an_empty_list_says_so_and_x_does_nothing() -> None:
    app = ListHarness([])
    async with app.run_test() as pilot:
        await pilot.press("x")
        await pilot.pause()
        tasks = app.query_one(TaskList)
        assert "No tasks for other teams yet." in tasks.render_line(0).text
        assert str(tasks.border_title) == "Tasks (0/0)"
    assert app.requests == []
