"""The preview of a macro before it applies: every field change (old → new), the tags, the
tasks, the rendered message, and every reason a case cannot take it.

On one case the message is in a text area the agent may edit first (the cursor where the
template put its mark). On a selection it says how many cases change and shows one sample.
``ctrl+s`` applies (the one confirmation), escape cancels. Answers a :class:`MacroApproval`
(the edited text for one case) or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from csm_tui.domain.macros import BulkPlan, MacroPlan
from csm_tui.domain.text import clean, clean_line
from csm_tui.widgets.composer import KIND_TITLES

#: How many skipped cases the bulk preview names (with their reason).
SHOW_SKIPPED = 5


@dataclass(frozen=True)
class MacroApproval:
    """Apply; ``text`` is the agent's version of the single case's message (None: as is)."""

    text: str | None = None


def plan_text(plan: MacroPlan) -> Text:
    """The plan's changes as lines, then its problems."""
    text = Text(end="")
    for line in plan.lines():
        text.append("• ")
        text.append(clean_line(line))
        text.append("\n")
    for problem in plan.problems:
        text.append("✗ ", style="bold")
        text.append(clean_line(problem), style="bold")
        text.append("\n")
    text.rstrip()
    return text


class MacroPreview(ModalScreen[MacroApproval | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Apply", id="macro.apply", priority=True),
        Binding("escape", "cancel", "Cancel", id="macro.cancel"),
    ]

    DEFAULT_CSS = """
    MacroPreview { align: center middle; }
    MacroPreview > Vertical {
        width: 90%; max-width: 110; height: 85%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    MacroPreview #macro-title { width: 1fr; text-style: bold; }
    MacroPreview #macro-summary { width: 1fr; padding: 0 0 1 0; }
    MacroPreview #macro-changes { height: auto; max-height: 12; }
    MacroPreview .macro-kind { text-style: bold; margin: 1 0 0 0; }
    MacroPreview .macro-kind.-public { color: $reply-public; }
    MacroPreview .macro-kind.-internal { color: $note-internal; }
    MacroPreview TextArea { height: 1fr; min-height: 5; }
    MacroPreview #macro-sample-text { height: auto; }
    MacroPreview #macro-help { color: $foreground-muted; height: 1; }
    """

    def __init__(self, bulk: BulkPlan, *, numbers: dict[str, str] | None = None) -> None:
        """``numbers`` maps case ids to the case numbers shown."""
        super().__init__()
        self.bulk = bulk
        self.numbers = numbers or {}

    @property
    def single(self) -> bool:
        return self.bulk.count == 1

    def compose(self) -> ComposeResult:
        bulk = self.bulk
        sample = bulk.sample
        with Vertical():
            title = f"Macro: {clean_line(bulk.macro_name)}"
            if self.single and sample is not None:
                title += f"  ·  {clean_line(self._number(sample.case_id))}"
            yield Label(Text(title), id="macro-title")
            yield Label(Text(clean_line(bulk.summary())), id="macro-summary")
            with VerticalScroll(id="macro-changes"):
                if sample is not None and not self.single:
                    yield Static(Text("One of them, as a sample:", style="dim"))
                if sample is not None:
                    yield Static(plan_text(sample), id="macro-plan")
                skipped = bulk.skipped if not self.single else []
                if skipped:
                    lines = Text(end="")
                    for case_id, reason in skipped[:SHOW_SKIPPED]:
                        lines.append(f"✗ {clean_line(self._number(case_id))}: ", style="bold")
                        lines.append(clean_line(reason) + "\n")
                    if len(skipped) > SHOW_SKIPPED:
                        lines.append(f"… and {len(skipped) - SHOW_SKIPPED} more", style="dim")
                    lines.rstrip()
                    yield Static(lines, id="macro-skipped")
            if sample is not None and sample.message is not None:
                kind = sample.message.kind
                yield Label(Text(KIND_TITLES.get(kind, kind)), classes=f"macro-kind -{kind}")
                body = sample.message.rendered.text
                if self.single:
                    yield TextArea(body, id="macro-text", soft_wrap=True)
                else:
                    yield Static(Text(clean(body)), id="macro-sample-text")
            yield Label(Text("ctrl+s apply · esc cancel"), id="macro-help")

    def _number(self, case_id: str) -> str:
        return self.numbers.get(case_id, case_id)

    def on_mount(self) -> None:
        areas = self.query(TextArea)
        sample = self.bulk.sample
        if areas and sample is not None and sample.message is not None:
            area = areas.first()
            area.focus()
            location = sample.message.rendered.location()
            area.move_cursor(location if location is not None else area.document.end)

    def action_apply(self) -> None:
        if not self.bulk.ready:
            self.notify("This macro changes none of these cases.", severity="warning")
            return
        areas = self.query(TextArea)
        text = areas.first().text if areas and self.single else None
        sample = self.bulk.sample
        message = sample.message if sample is not None else None
        if message is not None and text == message.rendered.text:
            text = None  # unchanged: the plan's own text
        self.dismiss(MacroApproval(text))

    def action_cancel(self) -> None:
        self.dismiss(None)
