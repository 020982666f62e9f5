"""A case's timeline: every message, oldest first, scrolled so the newest is in view; long
messages fold (``z`` unfolds them all), the newest never does."""

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
        Binding("z", "toggle_fold", "Fold/unfold long messages", id="case.fold", show=False),
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
        #: Long messages show folded, except the newest (the one being answered).
        self.fold = True

    def compose(self) -> ComposeResult:
        if not self.messages:
            yield Static("No messages on this case yet.", classes="timeline-empty")
        last = len(self.messages) - 1
        for i, message in enumerate(self.messages):
            yield MessageView(message, folded=self.fold and i != last)

    async def show(self, messages: Sequence[MessageLike]) -> None:
        """Show a newer list of messages; stay at the end if the agent was there."""
        at_end = self.scroll_y >= self.max_scroll_y
        self.messages = messages
        await self.recompose()
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    async def action_toggle_fold(self) -> None:
        self.fold = not self.fold
        y = self.scroll_y
        await self.recompose()
        self.call_after_refresh(self.scroll_to, y=y, animate=False, immediate=True)

    def on_mount(self) -> None:
        # The newest message is what the agent answers: show it first.
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
