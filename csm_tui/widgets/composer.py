"""The reply composer on the case screen: a public reply or an internal note, never mixed up.

A reply is framed in the reply colour and titled "PUBLIC REPLY — the customer will see this";
a note is framed in amber with a tinted background and titled "INTERNAL NOTE — only colleagues
see this" (symbol and words too, so it holds without colour). ``ctrl+t`` switches.

Sending is the screen's business: the composer posts :class:`Composer.Send` (with the status to
set: none, pending or solved) and :class:`Composer.Changed` on every edit (the screen keeps
the draft and tells the server the agent is writing). ``ctrl+o`` hands the text to
``$VISUAL``/``$EDITOR``: the desk suspends, the editor owns the terminal, and the edited file
comes back into the composer.

Snippets: ``;shortcut`` then tab puts the snippet there (merge fields filled from the
case); ``ctrl+n`` picks one by fuzzy search and inserts it at the cursor. Several snippets
can go into one text.

In a note, ``@`` starts a mention: the agents whose handle or name starts with what follows
are offered below the text; up/down pick, tab or enter inserts ``@handle``, escape closes.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, OptionList, TextArea
from textual.widgets.option_list import Option

from csm_tui.domain.snippets import Expansion, Snippet
from csm_tui.domain.templates import MergeContext
from csm_tui.domain.text import clean_line

KIND_TITLES = {
    "public": "▶ PUBLIC REPLY — the customer will see this",
    "internal": "■ INTERNAL NOTE — only colleagues see this",
}
#: How many agents the mention list offers at once.
MENTION_CHOICES = 6
_MENTION = re.compile(r"(?:^|(?<=[\s(]))@([\w.\-]*)$")


class AgentLike(Protocol):
    """What a mention needs of an agent (the desk's ``AgentRow`` fits)."""

    @property
    def handle(self) -> str: ...
    @property
    def name(self) -> str: ...


def mention_matches(agents: Sequence[AgentLike], typed: str) -> list[AgentLike]:
    """Agents whose handle, or a word of whose name, starts with ``typed`` (any case);
    handle matches first."""
    prefix = typed.casefold()
    by_handle = [a for a in agents if a.handle.casefold().startswith(prefix)]
    by_name = [
        a
        for a in agents
        if a not in by_handle and any(w.startswith(prefix) for w in a.name.casefold().split())
    ]
    return [*by_handle, *by_name][:MENTION_CHOICES]


class ComposerArea(TextArea):
    """The composer's text area: while the mention list is open, the keys that steer it
    (up, down, tab, enter, escape) go to the list instead of the text."""

    STEERING: ClassVar[frozenset[str]] = frozenset({"up", "down", "tab", "enter", "escape"})

    async def _on_key(self, event: events.Key) -> None:
        composer = next((a for a in self.ancestors if isinstance(a, Composer)), None)
        if composer is not None and event.key in self.STEERING and composer.steer(event.key):
            event.stop()
            event.prevent_default()
            return
        if composer is not None and event.key == "tab" and composer.expand_snippet():
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)


class Composer(Vertical):
    """Writes one message for one case; CSS classes ``-public`` and ``-internal``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send(None)", "Send", id="composer.send"),
        Binding("ctrl+g", "send('pending')", "Send + pending", id="composer.send_pending"),
        Binding("ctrl+l", "send('solved')", "Send + solved", id="composer.send_solved"),
        Binding("ctrl+t", "switch_kind", "Reply ⇄ note", id="composer.switch_kind"),
        Binding("ctrl+o", "editor", "$EDITOR", id="composer.editor"),
        Binding("ctrl+n", "pick_snippet", "Snippet", id="composer.snippet"),
        Binding("escape", "leave", "Leave (keeps draft)", id="composer.leave"),
    ]

    DEFAULT_CSS = """
    Composer {
        height: 12;
        padding: 0 1;
        background: $surface;
        &.-public { border: thick $reply-public; }
        &.-internal { border: thick $note-internal; background: $note-internal 10%; }
        & > #composer-kind { width: 1fr; text-style: bold; }
        &.-public > #composer-kind { color: $reply-public; }
        &.-internal > #composer-kind { color: $note-internal; }
        & > ComposerArea { height: 1fr; border: none; padding: 0; }
        & > ComposerArea:focus { border: none; }
        & > #mentions { height: auto; max-height: 8; display: none; }
        & > #mentions.-open { display: block; }
        & > #composer-help { color: $foreground-muted; height: 1; }
    }
    """

    @dataclass
    class Send(Message):
        """The agent sends the text; ``status`` is the case status to set with it."""

        composer: Composer
        kind: str
        body: str
        status: str | None

    @dataclass
    class Changed(Message):
        """The text or its kind changed (the screen keeps the draft)."""

        composer: Composer
        kind: str
        body: str

    @dataclass
    class Left(Message):
        """The agent left the composer (escape); the text stays as a draft."""

        composer: Composer

    def __init__(
        self,
        *,
        kind: str = "public",
        text: str = "",
        case_number: str = "",
        agents: Sequence[AgentLike] = (),
        snippets: Sequence[Snippet] = (),
        merge: Callable[[], MergeContext] | None = None,
        agent_id: str | None = None,
        id: str | None = None,
    ) -> None:
        """``snippets`` are the ones this agent may use; ``merge`` gives the case's merge
        fields when a snippet goes in (``agent_id``: whose personal snippets win)."""
        super().__init__(id=id)
        self.snippets = list(snippets)
        self._merge = merge
        self.agent_id = agent_id
        self.kind = kind if kind in KIND_TITLES else "public"
        self._initial = text
        self.case_number = case_number
        self.agents = list(agents)
        self._mention_span: tuple[int, int] | None = None  # (row, column of "@")

    def compose(self) -> ComposeResult:
        yield Label(id="composer-kind")
        yield ComposerArea(self._initial, id="composer-text", soft_wrap=True)
        yield OptionList(id="mentions")
        yield Label(
            Text(
                "ctrl+s send · ctrl+g +pending · ctrl+l +solved · ctrl+t reply⇄note · "
                ";word tab / ctrl+n snippet · ctrl+o $EDITOR · esc leave"
            ),
            id="composer-help",
        )

    def on_mount(self) -> None:
        self._show_kind()

    @property
    def area(self) -> ComposerArea:
        return self.query_one(ComposerArea)

    @property
    def text(self) -> str:
        return self.area.text

    def set_kind(self, kind: str) -> None:
        if kind in KIND_TITLES and kind != self.kind:
            self.kind = kind
            self._show_kind()
            self._close_mentions()
            self.post_message(self.Changed(self, self.kind, self.text))

    def _show_kind(self) -> None:
        self.set_class(self.kind == "public", "-public")
        self.set_class(self.kind == "internal", "-internal")
        title = KIND_TITLES[self.kind]
        if self.case_number:
            title += f"  ·  {clean_line(self.case_number)}"
        self.query_one("#composer-kind", Label).update(Text(title))

    def focus_text(self) -> None:
        area = self.area
        area.focus()
        area.move_cursor(area.document.end)

    # -- actions ---------------------------------------------------------------------------

    def action_switch_kind(self) -> None:
        self.set_kind("internal" if self.kind == "public" else "public")

    def action_send(self, status: str | None) -> None:
        body = self.text.strip()
        if not body:
            self.notify("Write something first, or press escape.", severity="warning")
            return
        self.post_message(self.Send(self, self.kind, body, status))

    def action_leave(self) -> None:
        self._close_mentions()
        self.post_message(self.Left(self))

    def clear(self) -> None:
        self.area.load_text("")
        self._close_mentions()

    def action_editor(self) -> None:
        """Edit the text in ``$VISUAL`` / ``$EDITOR`` (vi when neither is set)."""
        from textual.app import SuspendNotSupported

        command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.TemporaryDirectory(prefix="csm-draft-") as tmp:
            path = Path(tmp) / "reply.md"
            path.write_text(self.text, encoding="utf-8")
            try:
                with self.app.suspend():
                    result = subprocess.run([*shlex.split(command), str(path)], check=False)
            except SuspendNotSupported:
                self.notify(
                    "This terminal cannot hand over to an editor; write here instead.",
                    severity="warning",
                )
                return
            except OSError as err:
                self.notify(
                    f"Could not start the editor {command!r} ({err.strerror}); set $EDITOR.",
                    severity="error",
                    markup=False,
                )
                return
            if result.returncode != 0:
                self.notify(
                    f"The editor ended with status {result.returncode}; the text is unchanged.",
                    severity="warning",
                )
                return
            edited = path.read_text(encoding="utf-8", errors="replace")
        self.area.load_text(edited.rstrip("\n"))
        self.focus_text()

    # -- snippets --------------------------------------------------------------------------

    def _offset(self) -> int:
        area = self.area
        row, column = area.cursor_location
        lines = area.text.split("\n")
        return sum(len(line) + 1 for line in lines[:row]) + column

    def _place(self, expansion: Expansion | None) -> bool:
        if expansion is None:
            return False
        if expansion.rendered.errors:
            problem = expansion.rendered.problems[0]
            self.notify(
                f"Snippet {expansion.snippet.shortcut!r}: {problem}", severity="error", markup=False
            )
            return True
        area = self.area
        area.load_text(expansion.text)
        before = expansion.text[: expansion.cursor]
        area.move_cursor((before.count("\n"), len(before) - (before.rfind("\n") + 1)))
        if expansion.rendered.unknown:
            self.notify(
                f"The snippet has an unknown field ({expansion.rendered.unknown[0]}); "
                "it is marked in the text.",
                severity="warning",
                markup=False,
            )
        return True

    def expand_snippet(self) -> bool:
        """Tab after ``;shortcut``: put the snippet there. False when there is none."""
        if not self.snippets or self._merge is None:
            return False
        from csm_tui.domain.snippets import expand

        found = expand(
            self.text, self._offset(), self.snippets, self._merge(), agent_id=self.agent_id
        )
        return self._place(found)

    def action_pick_snippet(self) -> None:
        if not self.snippets or self._merge is None:
            self.notify("There are no snippets yet; a sync brings the shared ones.", timeout=3)
            return
        from csm_tui.domain.snippets import insert
        from csm_tui.screens.fuzzy_picker import FuzzyPicker, PickItem

        by_id = {s.id: s for s in self.snippets}
        items = [PickItem(s.id, f";{s.shortcut}", s.title) for s in self.snippets]
        offset = self._offset()
        merge = self._merge

        def picked(snippet_id: str | None) -> None:
            if snippet_id is not None:
                self._place(insert(self.text, offset, by_id[snippet_id], merge()))
            self.area.focus()

        self.app.push_screen(FuzzyPicker("Insert a snippet", items), picked)

    # -- text changes and mentions ---------------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._update_mentions()
        self.post_message(self.Changed(self, self.kind, self.text))

    def on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        event.stop()
        self._update_mentions()

    def _update_mentions(self) -> None:
        if self.kind != "internal" or not self.agents:
            self._close_mentions()
            return
        area = self.area
        row, column = area.cursor_location
        before = area.document.get_line(row)[:column]
        match = _MENTION.search(before)
        if match is None:
            self._close_mentions()
            return
        hits = mention_matches(self.agents, match.group(1))
        if not hits:
            self._close_mentions()
            return
        self._mention_span = (row, match.start(1) - 1)
        options = self.query_one("#mentions", OptionList)
        options.clear_options()
        options.add_options(
            Option(
                Text.assemble(("@" + clean_line(a.handle), "bold"), "  ", clean_line(a.name)),
                id=a.handle,
            )
            for a in hits
        )
        options.highlighted = 0
        options.add_class("-open")

    def _close_mentions(self) -> None:
        self._mention_span = None
        for options in self.query("#mentions"):
            options.remove_class("-open")

    @property
    def mentioning(self) -> bool:
        return self._mention_span is not None

    def steer(self, key: str) -> bool:
        """Handle a steering key while the mention list is open; False leaves it to the text."""
        if self._mention_span is None:
            return False
        options = self.query_one("#mentions", OptionList)
        if key == "escape":
            self._close_mentions()
        elif key == "up":
            options.action_cursor_up()
        elif key == "down":
            options.action_cursor_down()
        else:  # tab, enter: insert the highlighted handle
            index = options.highlighted
            if index is None:
                return False
            handle = options.get_option_at_index(index).id or ""
            self._insert_mention(handle)
        return True

    def _insert_mention(self, handle: str) -> None:
        assert self._mention_span is not None
        row, start = self._mention_span
        area = self.area
        area.replace(f"@{handle} ", (row, start), area.cursor_location)
        self._close_mentions()
