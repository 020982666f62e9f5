"""The traffic cop: before a reply goes out, show what arrived on the case since the agent
opened it (a new customer message, another agent's reply) and ask to confirm.

Answers True to send anyway, False to go back to the draft (which is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from csm_tui.widgets.message_view import MessageLike, MessageView


class TrafficCopModal(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "answer(True)", "Send anyway", id="traffic_cop.send"),
        Binding("escape", "answer(False)", "Back to my draft", id="traffic_cop.back"),
    ]

    DEFAULT_CSS = """
    TrafficCopModal { align: center middle; }
    TrafficCopModal > Vertical {
        width: 90%; max-width: 110; height: 80%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    TrafficCopModal #traffic-cop-title { width: 1fr; text-style: bold; color: $warning; }
    TrafficCopModal VerticalScroll { height: 1fr; }
    TrafficCopModal Horizontal { height: auto; align-horizontal: right; }
    TrafficCopModal Button { margin: 0 0 0 2; }
    """

    def __init__(self, arrived: Sequence[MessageLike], *, kind: str = "public") -> None:
        super().__init__()
        self.arrived = list(arrived)
        self.kind = kind

    def compose(self) -> ComposeResult:
        n = len(self.arrived)
        what = "message has" if n == 1 else "messages have"
        word = "reply" if self.kind == "public" else "note"
        with Vertical():
            yield Label(
                Text(
                    f"⚠ {n} new {what} arrived on this case since you opened it. Send your {word}?"
                ),
                id="traffic-cop-title",
            )
            with VerticalScroll():
                for message in self.arrived:
                    yield MessageView(message)
            with Horizontal():
                yield Button("Back to my draft (esc)", id="back")
                yield Button("Send anyway (ctrl+s)", id="send", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#back", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "send")

    def action_answer(self, send: bool) -> None:
        self.dismiss(send)
