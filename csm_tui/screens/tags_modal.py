"""Add and remove tags in one line: ``+vip -refund billing`` adds vip and billing, removes refund.

Returns a :class:`TagEdit` (tags to add, tags to remove), or ``None`` on escape or when the
line says nothing. Tag text is shown as ``Text``, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from csm_tui.domain.text import clean_line


@dataclass(frozen=True)
class TagEdit:
    add: list[str]
    remove: list[str]

    @property
    def sentence(self) -> str:
        parts = []
        if self.add:
            parts.append("add " + ", ".join(f"#{t}" for t in self.add))
        if self.remove:
            parts.append("remove " + ", ".join(f"#{t}" for t in self.remove))
        return " and ".join(parts)


def parse_tag_edit(line: str) -> TagEdit:
    """``+vip -refund billing #x`` -> add [vip, billing, x], remove [refund]."""
    add: list[str] = []
    remove: list[str] = []
    for word in clean_line(line).split():
        target = add
        if word[0] in "+-":
            target = remove if word[0] == "-" else add
            word = word[1:]
        word = word.lstrip("#")
        if word and word not in target:
            target.append(word)
    return TagEdit(add, remove)


class TagsModal(ModalScreen[TagEdit | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="tags.cancel"),
    ]

    DEFAULT_CSS = """
    TagsModal { align: center middle; }
    TagsModal > Vertical {
        width: 64; height: auto; border: round $primary; background: $surface; padding: 0 1;
    }
    TagsModal Label { width: 1fr; }
    TagsModal #tags-title { text-style: bold; padding: 0 0 1 0; }
    TagsModal #tags-current, TagsModal #tags-help { color: $foreground-muted; }
    TagsModal Input { margin: 1 0; }
    """

    def __init__(self, title: str, current: Sequence[str] = ()) -> None:
        super().__init__()
        self.title_text = title
        self.current = list(current)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), id="tags-title")
            now = " ".join(f"#{clean_line(t)}" for t in self.current) if self.current else "none"
            yield Label(Text(f"Tags now: {now}"), id="tags-current")
            yield Input(placeholder="+vip -refund", id="tags-input", compact=True)
            yield Label(
                Text("+tag or tag adds · -tag removes · enter applies · esc cancels"),
                id="tags-help",
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        edit = parse_tag_edit(event.value)
        if not edit.add and not edit.remove:
            self.notify("Type +tag to add or -tag to remove, or press escape.", markup=False)
            return
        self.dismiss(edit)

    def action_cancel(self) -> None:
        self.dismiss(None)
