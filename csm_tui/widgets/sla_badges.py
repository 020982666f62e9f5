"""The case header's SLA line: each metric of the case's policy with its state and a live
countdown, and how old the data behind it is.

``✖ First reply -1h05  ⚠ Resolution 25m  ● Next reply 3h10  ✓ Periodic update met  ⏸ paused``:
a symbol and a word for every state, colour on top (never colour alone). The states come from
``Desk.sla_states`` (the shared SLA engine over the store: it works offline) in a thread
worker, again whenever a sync or an edit changes the case; between those, every
``app.tick_seconds`` only the countdowns move, against each metric's due time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import work
from textual.widgets import Static

from csm_tui.domain.sla import Clock, MetricState
from csm_tui.errors import CsmError
from csm_tui.widgets.case_table import SLA_MARKS, format_countdown

#: Symbols of the states a countdown does not show.
MET, MISSED, PAUSED = "✓", "✖", "⏸"


def badge(state: MetricState, now: datetime) -> tuple[str, str]:
    """(text, component state) of one metric at ``now``: ``breached``, ``at-risk``, ``ok``
    or ``none`` (paused, or fulfilled)."""
    label = state.metric.label
    due = state.due_at
    if state.state is Clock.FULFILLED:
        if state.breached:
            return f"{MISSED} {label} missed", "breached"
        return f"{MET} {label} met", "none"
    if state.state is Clock.PAUSED or due is None:
        return f"{PAUSED} {label} paused", "none"
    left = (due - now).total_seconds()
    risk = state.at_risk_at
    if state.breached or left < 0:
        kind = "breached"
    elif state.at_risk or (risk is not None and now >= risk):
        kind = "at-risk"
    else:
        kind = "ok"
    return f"{SLA_MARKS[kind]} {label} {format_countdown(left)}", kind


class SlaBadges(Static):
    """One line of SLA badges for the case ``case_id``."""

    DEFAULT_CSS = """
    SlaBadges {
        height: auto;
        width: 1fr;
        & > .sla-badges--breached { color: $sla-breach; text-style: bold; }
        & > .sla-badges--at-risk { color: $sla-at-risk; text-style: bold; }
        & > .sla-badges--ok { color: $sla-ok; }
        & > .sla-badges--none { color: $foreground-muted; }
        & > .sla-badges--dim { color: $foreground-muted; }
    }
    """

    COMPONENT_CLASSES = {
        "sla-badges--breached",
        "sla-badges--at-risk",
        "sla-badges--ok",
        "sla-badges--none",
        "sla-badges--dim",
    }

    def __init__(self, case_id: str, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.case_id = case_id
        #: The metric states as last read (None: not read yet).
        self.states: list[MetricState] | None = None
        self.data_age = ""

    def on_mount(self) -> None:
        app: Any = self.app
        self.set_interval(getattr(app, "tick_seconds", 1.0), self.refresh)
        signal = getattr(app, "cases_changed_signal", None)
        if signal is not None:
            signal.subscribe(self, self._on_cases_changed)
        self.reload()

    def _on_cases_changed(self, case_ids: set[str]) -> None:
        if not case_ids or self.case_id in case_ids:
            self.reload()

    def reload(self) -> None:
        """Read the case's SLA again (in a thread: it reads the store)."""
        self._load()

    @work(thread=True, exclusive=True, group="sla-badges", exit_on_error=False)
    def _load(self) -> None:
        desk = self.app.desk  # type: ignore[attr-defined]
        try:
            states = desk.sla_states(self.case_id)
            age = desk.sla_data_age()
        except CsmError:
            return  # the header keeps what it showed; the next change tries again
        self.app.call_from_thread(self._loaded, states, age)

    def _loaded(self, states: list[MetricState], age: str) -> None:
        self.states, self.data_age = states, age
        self.refresh()

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        dim = self.get_component_rich_style("sla-badges--dim", partial=True)
        line.append("SLA ", style=dim)
        if self.states is None:
            line.append("…", style=dim)
            return line
        if not self.states:
            line.append("no policy applies to this case", style=dim)
            return line
        now = self.app.desk.now()  # type: ignore[attr-defined]
        for i, state in enumerate(self.states):
            if i:
                line.append("  ")
            text, kind = badge(state, now)
            line.append(text, style=self.get_component_rich_style(f"sla-badges--{kind}"))
        if self.data_age:
            # "SLA from data 12 min old" -> "(data 12 min old)": the line starts with SLA
            line.append(f"  ({self.data_age.removeprefix('SLA from ')})", style=dim)
        return line


__all__ = ["MET", "MISSED", "PAUSED", "SlaBadges", "badge"]
