"""Writing a public reply or an internal note (the full composer comes with issue #5).

The two kinds look unmistakably different: a reply is framed in the reply colour and titled
"PUBLIC REPLY — the customer will see this"; a note is framed in amber and titled
"INTERNAL NOTE — only colleagues see this". ``ctrl+t`` switches, ``ctrl+s`` sends, escape
cancels (asking first when text would be lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

KIND_TITLES = {
    "public": "▶ PUBLIC REPLY — the customer will see this",
    "internal": "■ INTERNAL NOTE — only colleagues see this",
}


@dataclass(frozen=True)
class Draft:
    kind: str  # "public" | "internal"
    body: str


class MessageModal(ModalScreen[Draft | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", id="message.send", priority=True),
        Binding("ctrl+t", "switch_kind", "Reply ⇄ note", id="message.switch_kind", priority=True),
        Binding("escape", "cancel", "Cancel", id="message.cancel"),
    ]

    DEFAULT_CSS = """
    MessageModal {
        align: center middle;
    }
    MessageModal > Vertical {
        width: 90%;
        max-width: 110;
        height: 70%;
        background: $surface;
        padding: 0 1;
    }
    MessageModal.-public > Vertical { border: thick $reply-public; }
    MessageModal.-internal > Vertical { border: thick $note-internal; }
    MessageModal #message-kind { width: 1fr; text-style: bold; padding: 0 0 1 0; }
    MessageModal.-public #message-kind { color: $reply-public; }
    MessageModal.-internal #message-kind { color: $note-internal; }
    MessageModal TextArea { height: 1fr; }
    MessageModal #message-help { color: $foreground-muted; padding: 1 0 0 0; }
    """

    def __init__(self, kind: str = "public", case_number: str = "") -> None:
        super().__init__()
        self.kind = kind if kind in KIND_TITLES else "public"
        self.case_number = case_number

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(id="message-kind")
            yield TextArea(id="message-body", soft_wrap=True, show_line_numbers=False)
            yield Label(
                Text("ctrl+s send · ctrl+t reply ⇄ internal note · esc cancel"),
                id="message-help",
            )

    def on_mount(self) -> None:
        self._show_kind()
        self.query_one(TextArea).focus()

    def _show_kind(self) -> None:
        self.set_class(self.kind == "public", "-public")
        self.set_class(self.kind == "internal", "-internal")
        title = KIND_TITLES[self.kind]
        if self.case_number:
            title += f"  ·  {self.case_number}"
        self.query_one("#message-kind", Label).update(Text(title))

    def action_switch_kind(self) -> None:
        self.kind = "internal" if self.kind == "public" else "public"
        self._show_kind()

    def action_send(self) -> None:
        body = self.query_one(TextArea).text.strip()
        if not body:
            self.notify("Write something first, or press escape to cancel.", severity="warning")
            return
        self.dismiss(Draft(self.kind, body))

    def action_cancel(self) -> None:
        if not self.query_one(TextArea).text.strip():
            self.dismiss(None)
            return
        from csm_tui.screens.confirm import ConfirmModal

        def done(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmModal("Throw this text away?", confirm="Discard"), done)
