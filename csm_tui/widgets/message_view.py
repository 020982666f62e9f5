"""One entry of a case's timeline: a customer message, a public reply, an internal note, or a
system event.

The kind must be unmistakable at a glance and without colour: each kind has its own label
("CUSTOMER", "PUBLIC REPLY", "INTERNAL NOTE"), its own left border and, for internal notes, a
tinted background; a system event is one dim line. Author and body are untrusted text: they
are cleaned and shown as ``rich.text.Text``. A long message can be shown folded (its first
lines and how many more there are).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from csm_tui.domain.enums import MessageKind
from csm_tui.domain.text import clean, clean_line


class MessageLike(Protocol):
    """What a timeline entry needs of a message (the desk's ``MessageRow`` fits).

    Widgets name the shape rather than the store's class: they reach data only through the
    desk (ARCHITECTURE.md), and this keeps them from importing the store layer.
    """

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


#: The label each kind wears; the glyph helps when colours are off.
KIND_LABELS: dict[MessageKind, str] = {
    MessageKind.CUSTOMER: "◀ CUSTOMER",
    MessageKind.PUBLIC: "▶ PUBLIC REPLY",
    MessageKind.INTERNAL: "■ INTERNAL NOTE",
    MessageKind.EVENT: "·",
}


#: A message longer than this many lines shows only its first FOLD_KEEP lines when folded.
FOLD_OVER = 15
FOLD_KEEP = 8


def format_time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def message_kind(kind: str) -> MessageKind | None:
    """The known kind, or None for one this desk does not know (newer server)."""
    try:
        return MessageKind(kind)
    except ValueError:
        return None


class MessageView(Vertical):
    """A timeline entry; CSS classes ``-customer``, ``-public``, ``-internal``, ``-event``."""

    DEFAULT_CSS = """
    MessageView {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        border-left: thick $message-customer;
        & > .message-meta { height: 1; width: 1fr; }
        & .message-kind { text-style: bold; margin-right: 2; color: $message-customer; }
        & .message-author { text-style: bold; margin-right: 2; }
        & .message-time { color: $text-muted; }
        & > .message-body { height: auto; padding: 0 0 0 1; }
        &.-public {
            border-left: thick $reply-public;
            & .message-kind { color: $reply-public; }
        }
        &.-internal {
            border-left: outer $note-internal;
            background: $note-internal 12%;
            & .message-kind { color: $note-internal; }
        }
        &.-event {
            border-left: none;
            margin: 0 0 1 0;
            padding: 0 2;
            color: $text-muted;
            & > .message-event { height: 1; color: $text-muted; text-style: italic; }
        }
    }
    """

    def __init__(self, message: MessageLike, *, folded: bool = False) -> None:
        self.message = message
        self.folded = folded and len(self.body_text.splitlines()) > FOLD_OVER
        self.kind = message_kind(message.kind)
        css_kind = self.kind.value if self.kind is not None else "customer"
        super().__init__(classes=f"-{css_kind}")

    def compose(self) -> ComposeResult:
        message = self.message
        author = clean_line(message.author) or "unknown"
        when = format_time(message.created_at)
        if self.kind is MessageKind.EVENT:
            line = Text(no_wrap=True, overflow="ellipsis", end="")
            line.append("· ")
            line.append(clean_line(message.body))
            line.append(f"  — {author}, {when}")
            yield Label(line, classes="message-event")
            return
        if self.kind is not None:
            label = KIND_LABELS[self.kind]
        else:
            label = clean_line(message.kind).upper() or "MESSAGE"
        with Horizontal(classes="message-meta"):
            yield Label(Text(label), classes="message-kind")
            yield Label(Text(author), classes="message-author")
            yield Label(Text(when), classes="message-time")
        body = self.body_text
        if self.folded:
            lines = body.splitlines()
            shown = Text("\n".join(lines[:FOLD_KEEP]) + "\n", end="")
            shown.append(f"… {len(lines) - FOLD_KEEP} more lines (z unfolds)", style="dim italic")
            yield Static(shown, classes="message-body -folded")
            return
        yield Static(Text(body or "(empty)"), classes="message-body")

    @property
    def body_text(self) -> str:
        """The cleaned body as shown (for tests and copy)."""
        return clean(self.message.body).rstrip()
