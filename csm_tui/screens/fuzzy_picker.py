"""Pick one item by typing a few letters of it: macros, snippets (and, through a subclass,
agents: :mod:`csm_tui.screens.agent_picker`).

The items come in the caller's order (the suggested ones first); typing keeps the items whose
label (or detail) the letters appear in, in order, best match first (the subsequence score of
:func:`csm_tui.domain.snippets.fuzzy_score`). Up/down move while the box keeps focus; enter
picks; escape cancels. Labels and details may come from other agents: cleaned, drawn as Text.
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
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from csm_tui.domain.snippets import fuzzy_score
from csm_tui.domain.text import clean_line


@dataclass(frozen=True)
class PickItem:
    id: str
    label: str
    detail: str = ""
    #: Why the item is offered first (a suggestion's reasons), shown dim.
    hint: str = ""


def ranked(items: Sequence[PickItem], typed: str) -> list[PickItem]:
    """The items matching ``typed`` (all of them for no text), best first."""
    query = typed.strip()
    if not query:
        return list(items)
    scored: list[tuple[int, int, PickItem]] = []
    for order, item in enumerate(items):
        scores = [s for s in (fuzzy_score(query, item.label), fuzzy_score(query, item.detail)) if s]
        if scores:
            scored.append((-max(scores), order, item))
    return [item for *_, item in sorted(scored, key=lambda t: (t[0], t[1]))]


class FuzzyPicker(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Next", show=False, priority=True, id="picker.next"),
        Binding("up", "move(-1)", "Previous", show=False, priority=True, id="picker.previous"),
    ]

    DEFAULT_CSS = """
    FuzzyPicker { align: center middle; }
    FuzzyPicker > Vertical {
        width: 80; height: auto; max-height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    FuzzyPicker #picker-title { width: 1fr; padding: 0 0 1 0; text-style: bold; }
    FuzzyPicker Input { margin: 0 0 1 0; }
    FuzzyPicker OptionList { height: auto; max-height: 18; border: none; }
    FuzzyPicker #picker-empty { color: $foreground-muted; text-style: italic; height: auto; }
    """

    def __init__(self, title: str, items: Sequence[PickItem] = (), *, empty: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.items = list(items)
        self.empty_text = empty or "Nothing matches; escape cancels."

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), id="picker-title")
            yield Input(placeholder="type to filter", id="picker-search", compact=True)
            yield OptionList(id="picker-options")
            yield Label(Text(self.empty_text), id="picker-empty")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def options(self, typed: str) -> tuple[list[Option], int]:
        """The options for the typed text, and which one to highlight (subclasses differ)."""
        options = []
        for item in ranked(self.items, typed):
            line = Text(no_wrap=True, overflow="ellipsis", end="")
            line.append(clean_line(item.label), style="bold")
            if item.detail:
                line.append(f"  {clean_line(item.detail)}")
            if item.hint:
                line.append(f"  · {clean_line(item.hint)}", style="dim italic")
            options.append(Option(line, id=item.id))
        return options, 0

    def picked(self, option_id: str) -> str | None:
        """What the picker answers for the chosen option."""
        return option_id

    def _fill(self, typed: str) -> None:
        options, highlight = self.options(typed)
        option_list = self.query_one(OptionList)
        option_list.set_options(options)
        self.query_one("#picker-empty").display = not options
        if options:
            option_list.highlighted = highlight

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.query_one(OptionList).highlighted_option
        if option is not None and option.id is not None:
            self.dismiss(self.picked(option.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(self.picked(event.option.id))

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
