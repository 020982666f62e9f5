"""Pick an agent to assign cases to: a search box over a list of agents, plus "nobody".

Typing filters the list (handle, name or team, any word, case-insensitive); up/down move in
the list while the box keeps focus; enter picks. Returns the agent id, :data:`NOBODY` to
unassign, or ``None`` on escape. Names come from the server, so they are cleaned and drawn as
``Text``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets.option_list import Option

from csm_tui.domain.text import clean_line
from csm_tui.screens.fuzzy_picker import FuzzyPicker

#: What the picker returns for "nobody" (unassign).
NOBODY = ""
_NOBODY_OPTION = "__nobody__"


def agent_matches(agent: Any, words: list[str]) -> bool:
    haystack = " ".join(
        clean_line(str(getattr(agent, name, "") or "")).casefold()
        for name in ("handle", "name", "team")
    )
    return all(word in haystack for word in words)


class AgentPicker(FuzzyPicker):
    """``agents`` are rows with ``id``, ``handle``, ``name`` and ``team``."""

    DEFAULT_CSS = """
    AgentPicker > Vertical { width: 56; }
    """

    def __init__(
        self,
        title: str,
        agents: Sequence[Any],
        *,
        current: str | None = None,
        me: str | None = None,
    ) -> None:
        super().__init__(title, empty="No agent matches; escape cancels.")
        self.agents = list(agents)
        self.current = current
        self.me = me

    def options(self, typed: str) -> tuple[list[Option], int]:
        words = [w for w in clean_line(typed).casefold().split() if w]
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
        # the current assignee first when nothing is typed, else the best (first) match
        index = 0
        ids = [o.id for o in options]
        if not words and self.current in ids:
            index = ids.index(self.current)
        elif words and len(options) > 1 and options[0].id == _NOBODY_OPTION:
            index = 1
        return options, index

    def picked(self, option_id: str) -> str | None:
        return NOBODY if option_id == _NOBODY_OPTION else option_id
