"""A case's timeline: every message, oldest first, scrolled so the newest is in view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from csm_tui.widgets.message_view import MessageLike, MessageView


class Timeline(VerticalScroll):
    """Scrollable list of :class:`MessageView`, with vi keys besides the arrows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll down", id="case.scroll_down", show=False),
        Binding("k", "scroll_up", "Scroll up", id="case.scroll_up", show=False),
        Binding("g", "scroll_home", "Oldest message", id="case.oldest", show=False),
        Binding("G", "scroll_end", "Newest message", id="case.newest", show=False),
    ]

    DEFAULT_CSS = """
    Timeline {
        height: 1fr;
        padding: 1 1 0 1;
        background: $surface;
        & > .timeline-empty { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(self, messages: Sequence[MessageLike], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.messages = messages

    def compose(self) -> ComposeResult:
        if not self.messages:
            yield Static("No messages on this case yet.", classes="timeline-empty")
        for message in self.messages:
            yield MessageView(message)

    def on_mount(self) -> None:
        # The newest message is what the agent answers: show it first.
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
