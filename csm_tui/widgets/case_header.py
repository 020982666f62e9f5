"""The case header: number and subject, then status, priority, channel, queue, assignee,
tags and times, and the SLA badges (``sla_badges``). Subject, queue, assignee and tags are
untrusted and drawn as cleaned ``Text``."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label

from csm_tui.desk import CaseRow
from csm_tui.domain.text import clean_line
from csm_tui.widgets.case_table import priority_label, status_label
from csm_tui.widgets.message_view import format_time
from csm_tui.widgets.sla_badges import SlaBadges

_KNOWN_STATUSES = {"new", "open", "pending", "on_hold", "solved", "closed"}
_KNOWN_PRIORITIES = {"low", "normal", "high", "urgent"}


def _field(name: str, value: str) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(f"{name} ", style="dim")
    text.append(value)
    return text


class CaseHeader(Vertical):
    """Everything about the case but its messages and its customer."""

    DEFAULT_CSS = """
    CaseHeader {
        height: auto;
        padding: 0 1;
        border: round $primary 60%;
        border-title-color: $primary;
        background: $surface;
        & > #case-title { text-style: bold; width: 1fr; }
        & > .case-badges { height: 1; margin-top: 1; }
        & .badge { margin-right: 3; }
        & .status { text-style: bold; }
        & .status.-new { color: $status-new; }
        & .status.-open { color: $status-open; }
        & .status.-pending { color: $status-pending; }
        & .status.-on_hold { color: $status-on-hold; }
        & .status.-solved { color: $status-solved; }
        & .status.-closed { color: $status-closed; }
        & .priority.-urgent { color: $priority-urgent; text-style: bold; }
        & .priority.-high { color: $priority-high; }
        & .priority.-normal { color: $priority-normal; }
        & .priority.-low { color: $priority-low; }
        & > .case-meta { width: 1fr; }
    }
    """

    def __init__(self, case: CaseRow, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.case = case
        self.border_title = "Case"

    def compose(self) -> ComposeResult:
        case = self.case
        title = Text(no_wrap=True, overflow="ellipsis", end="")
        title.append(clean_line(case.number), style="dim")
        title.append("  ")
        title.append(clean_line(case.subject) or "(no subject)")
        yield Label(title, id="case-title")
        status = case.status if case.status in _KNOWN_STATUSES else "unknown"
        priority = case.priority if case.priority in _KNOWN_PRIORITIES else "unknown"
        with Horizontal(classes="case-badges"):
            yield Label(
                _field("status", status_label(case.status)),
                classes=f"badge status -{status}",
            )
            yield Label(
                _field("priority", priority_label(case.priority).strip()),
                classes=f"badge priority -{priority}",
            )
            yield Label(_field("channel", clean_line(case.channel)), classes="badge")
        yield Label(
            _field("queue", clean_line(case.queue) or "—")
            + Text("   ")
            + _field("assignee", clean_line(case.assignee) or "unassigned"),
            classes="case-meta",
        )
        tags = ", ".join(clean_line(tag) for tag in case.tags) or "—"
        yield Label(_field("tags", tags), classes="case-meta")
        yield Label(
            _field("created", format_time(case.created_at))
            + Text("   ")
            + _field("updated", format_time(case.updated_at)),
            classes="case-meta",
        )
        yield SlaBadges(case.id, id="sla-badges")
