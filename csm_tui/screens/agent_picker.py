"""Pick an agent to assign cases to: a search box over a list of agents, plus "nobody".

Typing filters the list (handle, name or team, any word, case-insensitive); up/down move in
the list while the box keeps focus; enter picks. Returns the agent id, :data:`NOBODY` to
unassign, or ``None`` on escape. Names come from the server, so they are cleaned and drawn as
``Text``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from csm_tui.domain.text import clean_line

#: What the picker returns for "nobody" (unassign).
NOBODY = ""
_NOBODY_OPTION = "__nobody__"


def agent_matches(agent: Any, words: list[str]) -> bool:
    haystack = " ".join(
        clean_line(str(getattr(agent, name, "") or "")).casefold()
        for name in ("handle", "name", "team")
    )
    return all(word in haystack for word in words)


class AgentPicker(ModalScreen[str | None]):
    """``agents`` are rows with ``id``, ``handle``, ``name`` and ``team``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Next agent", show=False, priority=True),
        Binding("up", "move(-1)", "Previous agent", show=False, priority=True),
    ]

    DEFAULT_CSS = """
    AgentPicker { align: center middle; }
    AgentPicker > Vertical {
        width: 56;
        height: auto;
        max-height: 80%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    AgentPicker Label { width: 1fr; padding: 0 0 1 0; text-style: bold; }
    AgentPicker Input { margin: 0 0 1 0; }
    AgentPicker OptionList { height: auto; max-height: 16; border: none; }
    AgentPicker #picker-empty { color: $foreground-muted; text-style: italic; height: auto; }
    """

    def __init__(
        self,
        title: str,
        agents: Sequence[Any],
        *,
        current: str | None = None,
        me: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.agents = list(agents)
        self.current = current
        self.me = me

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text))
            yield Input(placeholder="type to filter agents", id="picker-search", compact=True)
            yield OptionList(id="picker-options")
            yield Label(Text("No agent matches; escape cancels."), id="picker-empty")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, text: str) -> None:
        words = [w for w in clean_line(text).casefold().split() if w]
        options: list[Option] = []
        if not words or all(w in "nobody unassign" for w in words):
            options.append(Option(Text("— nobody (unassign)", style="italic"), id=_NOBODY_OPTION))
        for agent in self.agents:
            if not agent_matches(agent, words):
                continue
            line = Text(no_wrap=True, overflow="ellipsis", end="")
            line.append(f"@{clean_line(agent.handle)}", style="bold")
            line.append(f"  {clean_line(agent.name)}")
            if getattr(agent, "team", None):
                line.append(f"  · {clean_line(agent.team)}", style="dim")
            if agent.id == self.me:
                line.append("  (me)", style="dim")
            if agent.id == self.current:
                line.append("  ✓", style="bold")
            options.append(Option(line, id=agent.id))
        option_list = self.query_one(OptionList)
        option_list.set_options(options)
        self.query_one("#picker-empty").display = not options
        if options:
            # the current assignee first when nothing is typed, else the best (first) match
            index = 0
            ids = [o.id for o in options]
            if not words and self.current in ids:
                index = ids.index(self.current)
            elif words and len(options) > 1 and options[0].id == _NOBODY_OPTION:
                index = 1
            option_list.highlighted = index

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.query_one(OptionList).highlighted_option
        if option is not None:
            self._pick(option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option.id)

    def _pick(self, option_id: str | None) -> None:
        if option_id is None:
            return
        self.dismiss(NOBODY if option_id == _NOBODY_OPTION else option_id)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
