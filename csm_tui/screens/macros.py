"""The macro screen: browse, search, create, edit, duplicate and delete macros and snippets.

The list holds the agent's macros and snippets (the shared ones and their own): kind, name
(``;shortcut`` for a snippet), scope ("shared" or "mine") and a 🔒 where the agent may not
change the item (shared ones are for leads and admins, personal ones for their owner). Typing
in the search box keeps the items whose name or description (shortcut or title) hold the
letters in order, best first. The pane on the right shows the highlighted item: a macro's
description, each action as a line and its reply template; a snippet's body. Everything
shown may come from other agents: cleaned and drawn as ``Text``, never markup.

Creating and editing go through ``$VISUAL``/``$EDITOR`` on a TOML document of the one item
(the format of ``csm macros export``); the edited text is read back with
:func:`~csm_tui.domain.macros.macros_from_toml`. A mistake shows its sentence and offers to
edit again with the agent's text (and the sentence as a comment on top), so nothing typed is
lost. The item keeps its id, scope and owner whatever the document says. Saving, duplicating
and deleting are desk commands run off the UI thread (:meth:`CsmApp.edit`), one store
transaction and outbox row each.

:func:`run_editor` is the one place that hands the terminal to the editor; tests replace it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, Static

from csm_tui.domain.enums import CaseStatus, MessageKind, Priority, TaskTeam
from csm_tui.domain.macros import (
    MAX_NAME,
    ME,
    PERSONAL_REFUSAL,
    SHARED_REFUSAL,
    AddTags,
    CreateTask,
    Macro,
    MacroAction,
    RemoveTags,
    Reply,
    SetAssignee,
    SetPriority,
    SetQueue,
    SetStatus,
    macros_from_toml,
    macros_to_toml,
)
from csm_tui.domain.snippets import MAX_SHORTCUT, SHORTCUT_PREFIX, Snippet
from csm_tui.domain.text import clean, clean_line
from csm_tui.errors import CsmError
from csm_tui.screens.desk_access import DeskAccess
from csm_tui.screens.fuzzy_picker import PickItem, ranked

if TYPE_CHECKING:
    from textual.app import App

Kind = Literal["macro", "snippet"]

LOCK = "🔒"
#: The comment put on top of a document that could not be saved (replaced on each try).
NOT_SAVED = "# csm: not saved: "
NO_AGENT = "Sync once so the desk knows who you are."


# -- the editor ----------------------------------------------------------------------------


def run_editor(app: App[object], path: Path) -> None:
    """Open ``path`` in ``$VISUAL`` / ``$EDITOR`` (vi when neither is set) with the desk
    suspended, and wait for it. Raises CsmError with one sentence when no editor could run or
    it failed. Tests replace this function (a headless app cannot suspend)."""
    from textual.app import SuspendNotSupported

    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = [*shlex.split(command), str(path)]
    except ValueError:
        raise CsmError(f"The editor command {command!r} cannot be read; fix $EDITOR.") from None
    try:
        with app.suspend():
            result = subprocess.run(argv, check=False)
    except SuspendNotSupported:
        raise CsmError("This terminal cannot hand over to an editor; nothing changed.") from None
    except OSError as err:
        raise CsmError(
            f"Could not start the editor {command!r} ({err.strerror}); set $EDITOR."
        ) from None
    if result.returncode != 0:
        raise CsmError(f"The editor ended with status {result.returncode}; nothing was saved.")


# -- the documents -------------------------------------------------------------------------


@dataclass(frozen=True)
class EditTarget:
    """What an editor document is for: the item's kind, and the id, scope and owner it
    keeps whatever the document says."""

    kind: Kind
    id: str
    scope: str
    owner_id: str | None
    new: bool = False


def _choices(values: Iterable[object]) -> str:
    return ", ".join(str(v) for v in values)


def edit_header(kind: Kind) -> str:
    """The comment on top of an existing item's document."""
    return (
        f"# Edit the {kind}, then save and quit the editor to save it in the desk;\n"
        "# quit without saving to leave it as it was. Lines starting with # are comments.\n"
        f"# The {kind} keeps its id, scope and owner whatever is written below.\n"
    )


def new_macro_document() -> str:
    """The commented example a new personal macro starts from."""
    return (
        "# A new personal macro: give it a name, a description and at least one action,\n"
        "# then save and quit the editor. Quit without saving to create nothing.\n"
        "# Lines starting with # are comments: remove the # of the actions you need.\n"
        "version = 1\n"
        "\n"
        "[[macro]]\n"
        'name = ""\n'
        'description = ""\n'
        "\n"
        "# [[macro.action]]\n"
        f'# type = "set_status"          # {_choices(CaseStatus)}\n'
        '# status = "pending"\n'
        "\n"
        "# [[macro.action]]\n"
        f'# type = "set_priority"        # {_choices(Priority)}\n'
        '# priority = "low"\n'
        "\n"
        "# [[macro.action]]\n"
        '# type = "set_assignee"        # a handle, "me" (who applies it) or "none"\n'
        f'# assignee = "{ME}"\n'
        "\n"
        "# [[macro.action]]\n"
        '# type = "set_queue"           # a queue\'s slug\n'
        '# queue = "billing"\n'
        "\n"
        "# [[macro.action]]\n"
        '# type = "add_tags"            # or "remove_tags"\n'
        '# tags = ["waiting"]\n'
        "\n"
        "# [[macro.action]]\n"
        f'# type = "reply"               # kind: {MessageKind.PUBLIC} or {MessageKind.INTERNAL}\n'
        f'# kind = "{MessageKind.PUBLIC}"\n'
        '# template = """Hello {{ customer.first_name }},\n'
        "# {{ cursor }}\n"
        '# {{ agent.name }}"""\n'
        "\n"
        "# [[macro.action]]\n"
        f'# type = "create_task"         # team: {_choices(TaskTeam)}\n'
        f'# team = "{TaskTeam.BILLING}"\n'
        '# title = "Refund case {{ case.number }}"\n'
        '# due = "+2d"                  # a span after it is applied: +4h, +2d, +1w\n'
    )


def new_snippet_document() -> str:
    """The commented example a new personal snippet starts from."""
    return (
        "# A new personal snippet: a shortcut (typed as ;word, then tab, in the composer),\n"
        "# a title for the picker and the text, which may hold merge fields such as\n"
        "# {{ customer.first_name }} and {{ cursor }}. Save and quit the editor;\n"
        "# quit without saving to create nothing.\n"
        "version = 1\n"
        "\n"
        "[[snippet]]\n"
        'shortcut = ""\n'
        'title = ""\n'
        'body = """"""\n'
    )


def with_note(text: str, sentence: str) -> str:
    """``text`` with why it was not saved as a comment on top (an older one replaced)."""
    lines = text.split("\n")
    while lines and lines[0].startswith(NOT_SAVED):
        lines.pop(0)
    return f"{NOT_SAVED}{clean_line(sentence)}\n" + "\n".join(lines)


def read_item(text: str, target: EditTarget) -> Macro | Snippet:
    """The one macro or snippet of an edited document, with the target's id, scope and
    owner. Raises ValueError with one sentence for anything wrong."""
    import tomllib

    import tomlkit

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        macros_from_toml(text)  # raises the sentence the import gives
        raise ValueError("The file is not valid TOML.") from None
    kind = target.kind
    other = "snippet" if kind == "macro" else "macro"
    if data.get(other):
        raise ValueError(f"This file is for one {kind}; leave out the [[{other}]] table.")
    tables = data.get(kind)
    if not isinstance(tables, list) or len(tables) != 1 or not isinstance(tables[0], dict):
        raise ValueError(f"Keep exactly one [[{kind}]] table in the file.")
    table = tables[0]
    table["id"] = target.id
    table["scope"] = target.scope
    table.pop("owner", None)
    if target.owner_id:
        table["owner"] = target.owner_id
    library = macros_from_toml(tomlkit.dumps(data))
    return library.macros[0] if kind == "macro" else library.snippets[0]


# -- what the screen shows -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One row of the list."""

    kind: Kind
    item: Macro | Snippet
    changeable: bool

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.item.id}"

    @property
    def label(self) -> str:
        item = self.item
        if isinstance(item, Macro):
            return clean_line(item.name)
        return SHORTCUT_PREFIX + clean_line(item.shortcut)

    @property
    def detail(self) -> str:
        item = self.item
        if isinstance(item, Macro):
            return clean_line(item.description)
        return clean_line(item.title)

    @property
    def refusal(self) -> str:
        """Why the agent may not change it (a sentence; meaningful when not changeable)."""
        template = SHARED_REFUSAL if self.item.scope == "shared" else PERSONAL_REFUSAL
        return template.format(kind=self.kind)


def _words(value: str) -> str:
    return value.replace("_", " ")


def action_line(action: MacroAction) -> str:
    """One action as a line a person reads (values cleaned)."""
    if isinstance(action, SetStatus):
        return f"set status to {_words(clean_line(action.status))}"
    if isinstance(action, SetPriority):
        return f"set priority to {clean_line(action.priority)}"
    if isinstance(action, SetAssignee):
        if action.assignee is None:
            return "unassign"
        if action.assignee == ME:
            return "assign to whoever applies it"
        return f"assign to @{clean_line(action.assignee)}"
    if isinstance(action, SetQueue):
        return f"move to queue {clean_line(action.queue)}"
    if isinstance(action, AddTags):
        return "add tags: " + ", ".join(clean_line(t) for t in action.tags)
    if isinstance(action, RemoveTags):
        return "remove tags: " + ", ".join(clean_line(t) for t in action.tags)
    if isinstance(action, Reply):
        if action.kind == MessageKind.PUBLIC:
            return "write a public reply"
        return "write an internal note"
    if isinstance(action, CreateTask):
        try:
            team = TaskTeam(action.team).label
        except ValueError:
            team = clean_line(action.team)
        due = f", due {clean_line(action.due)} after it is applied" if action.due else ""
        return f"create a task for {team}: {clean_line(action.title)}{due}"
    return clean_line(type(action).__name__)  # pragma: no cover


def detail_text(entry: Entry) -> Text:
    """The detail pane for one item: plain Text built piece by piece, never markup."""
    item = entry.item
    out = Text()
    if isinstance(item, Macro):
        out.append(clean_line(item.name), style="bold")
    else:
        out.append(SHORTCUT_PREFIX + clean_line(item.shortcut), style="bold")
        out.append(f"  {clean_line(item.title)}")
    scope = "shared" if item.scope == "shared" else "mine"
    out.append(f"\n{entry.kind} · {scope}", style="dim")
    if entry.changeable:
        out.append(" · e edits, x deletes, d duplicates", style="dim")
    else:
        out.append(f"\n{LOCK} {entry.refusal} d makes a personal copy.", style="italic")
    if isinstance(item, Macro):
        if item.description:
            out.append("\n\n")
            out.append(clean(item.description))
        out.append("\n\nActions", style="bold underline")
        for n, action in enumerate(item.actions, 1):
            out.append(f"\n{n:>2}. ")
            out.append(action_line(action))
        for action in item.actions:
            if isinstance(action, Reply):
                what = "Reply" if action.kind == MessageKind.PUBLIC else "Note"
                out.append(f"\n\n{what} template", style="bold underline")
                out.append("\n")
                out.append(clean(action.template))
    else:
        out.append("\n\nText", style="bold underline")
        out.append("\n")
        out.append(clean(item.body))
    return out


# -- the screen ----------------------------------------------------------------------------


class MacroScreen(DeskAccess, Screen[None]):
    """Macros and snippets: the list, a search box and the highlighted item's details."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", id="macros.search", key_display="/", show=False),
        Binding("escape", "back", "Back", id="macros.back"),
        Binding("e", "edit", "Edit", id="macros.edit"),
        Binding("n", "new('macro')", "New macro", id="macros.new_macro"),
        Binding("s", "new('snippet')", "New snippet", id="macros.new_snippet"),
        Binding("d", "duplicate", "Duplicate", id="macros.duplicate"),
        Binding("x", "delete", "Delete", id="macros.delete"),
        Binding("enter", "details", "Details", id="macros.details", show=False),
        Binding("down", "move(1)", "Next item", id="macros.next", show=False),
        Binding("up", "move(-1)", "Previous item", id="macros.previous", show=False),
    ]

    PALETTE_HELP: ClassVar[dict[str, str]] = {
        "macros.search": "Search the macros and snippets",
        "macros.back": "Clear the search, or go back",
        "macros.details": "Move to the highlighted item's details (to scroll them)",
        "macros.edit": "Edit the highlighted macro or snippet in $EDITOR",
        "macros.new_macro": "Create a personal macro in $EDITOR",
        "macros.new_snippet": "Create a personal snippet in $EDITOR",
        "macros.duplicate": "Make a personal copy of the highlighted macro or snippet",
        "macros.delete": "Delete the highlighted macro or snippet",
    }

    DEFAULT_CSS = """
    MacroScreen #macros-title { width: 1fr; padding: 0 1; text-style: bold; }
    MacroScreen #macros-search { margin: 0 1; }
    MacroScreen #macros-body { height: 1fr; }
    MacroScreen #macros-side { width: 64; height: 1fr; }
    MacroScreen #macros-table { height: 1fr; scrollbar-size-vertical: 1; }
    MacroScreen #macros-empty { color: $foreground-muted; text-style: italic; padding: 0 1; }
    MacroScreen #macros-detail {
        width: 1fr; height: 1fr; border: round $primary-darken-2; padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    MacroScreen #macros-detail:focus { border: round $primary; }
    """

    AUTO_FOCUS = "#macros-table"

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.shown: list[Entry] = []

    def compose(self) -> ComposeResult:
        yield Label(Text("Macros and snippets"), id="macros-title")
        yield Input(
            placeholder="/ search: name, description, ;shortcut, title",
            id="macros-search",
            compact=True,
        )
        with Horizontal(id="macros-body"):
            with Vertical(id="macros-side"):
                yield DataTable(id="macros-table", cursor_type="row", show_header=True)
                yield Label(id="macros-empty")
            with VerticalScroll(id="macros-detail"):
                yield Static(id="macros-detail-body")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#macros-table", DataTable)
        table.add_column("kind", width=7, key="kind")
        table.add_column("name", width=38, key="name")
        table.add_column("scope", width=6, key="scope")
        table.add_column("", width=2, key="lock")
        self.csm_app.cases_changed_signal.subscribe(self, self._on_store_changed)
        self.reload()

    def _on_store_changed(self, _case_ids: set[str]) -> None:
        # A sync may bring new or changed shared macros; cheap to read again.
        self.reload()

    # -- the list --------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """Read the macros and snippets again; keep (or move to ``select``) the cursor."""
        if self not in self.app.screen_stack:
            return  # closed while a save was under way
        desk = self.desk
        try:
            macros = desk.macros()
            snippets = desk.snippets()
        except CsmError as err:
            self.csm_app.route_error(err, "Macros")
            macros, snippets = [], []
        self.entries = [Entry("macro", m, desk.can_change(m)) for m in macros] + [
            Entry("snippet", s, desk.can_change(s)) for s in snippets
        ]
        current = self.current
        self._fill(select or (current.key if current else None))

    @property
    def search_text(self) -> str:
        return self.query_one("#macros-search", Input).value

    def _fill(self, select: str | None = None) -> None:
        by_key = {e.key: e for e in self.entries}
        items = [PickItem(e.key, e.label, e.detail) for e in self.entries]
        self.shown = [by_key[i.id] for i in ranked(items, self.search_text)]
        table = self.query_one("#macros-table", DataTable)
        table.clear()
        for entry in self.shown:
            name = Text(entry.label, no_wrap=True, overflow="ellipsis")
            if entry.kind == "snippet" and entry.detail:
                name.append(f"  {entry.detail}", style="dim")
            table.add_row(
                Text(entry.kind, style="dim" if entry.kind == "snippet" else ""),
                name,
                Text("shared" if entry.item.scope == "shared" else "mine"),
                Text("" if entry.changeable else LOCK),
                key=entry.key,
            )
        keys = [e.key for e in self.shown]
        if select in keys:
            table.move_cursor(row=keys.index(select), animate=False)
        elif self.shown:
            table.move_cursor(row=0, animate=False)
        self._show_detail()
        if self.shown:
            empty = ""
        elif self.entries:
            empty = "Nothing matches; escape clears the search."
        else:
            empty = "No macros or snippets yet: n creates a macro, s a snippet."
        label = self.query_one("#macros-empty", Label)
        label.update(Text(empty))
        label.display = bool(empty)

    @property
    def current(self) -> Entry | None:
        """The highlighted item, if any."""
        if not self.is_mounted or not self.shown:
            return None
        row = self.query_one("#macros-table", DataTable).cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def _show_detail(self) -> None:
        entry = self.current
        body = self.query_one("#macros-detail-body", Static)
        body.update(detail_text(entry) if entry is not None else Text(""))
        self.query_one("#macros-detail", VerticalScroll).scroll_home(animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#macros-table", DataTable).focus()

    # -- moving around ---------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#macros-search", Input).focus()

    def action_move(self, step: int) -> None:
        table = self.query_one("#macros-table", DataTable)
        if step > 0:
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def action_details(self) -> None:
        if self.current is not None:
            self.query_one("#macros-detail", VerticalScroll).focus()

    def action_back(self) -> None:
        search = self.query_one("#macros-search", Input)
        table = self.query_one("#macros-table", DataTable)
        if self.focused is self.query_one("#macros-detail"):
            table.focus()
        elif search.value:
            search.value = ""
            table.focus()
        elif self.focused is search:
            table.focus()
        else:
            self.dismiss()

    def palette_commands(self) -> Iterator[SystemCommand]:
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.id in self.PALETTE_HELP:
                yield SystemCommand(
                    binding.description,
                    self.PALETTE_HELP[binding.id],
                    partial(self.run_action, binding.action),
                )

    # -- editing ---------------------------------------------------------------------------

    def edit_text(self, initial: str) -> str | None:
        """The agent's round trip through the editor: ``initial`` in a file, the file's
        text afterwards; None (and a sentence shown) when the editor could not run."""
        with tempfile.TemporaryDirectory(prefix="csm-macro-") as tmp:
            path = Path(tmp) / "item.toml"
            path.write_text(initial, encoding="utf-8")
            try:
                run_editor(self.app, path)
            except CsmError as err:
                self.notify(str(err), title="Editor", severity="warning", markup=False)
                return None
            return path.read_text(encoding="utf-8", errors="replace")

    def _refuse(self, entry: Entry) -> None:
        self.notify(
            f"{entry.refusal.rstrip('.')}; press d for a personal copy you can change.",
            title="Read-only",
            severity="warning",
            markup=False,
        )

    def action_edit(self) -> None:
        entry = self.current
        if entry is None:
            self.notify("Nothing to edit here; n creates a macro, s a snippet.", timeout=2)
            return
        if not entry.changeable:
            self._refuse(entry)
            return
        item = entry.item
        target = EditTarget(entry.kind, item.id, item.scope, item.owner_id)
        if isinstance(item, Macro):
            document = edit_header("macro") + macros_to_toml([item])
        else:
            document = edit_header("snippet") + macros_to_toml([], [item])
        self._edit_round(target, document, document)

    def action_new(self, kind: Kind) -> None:
        me = self.desk.me_id
        if me is None:
            self.notify(NO_AGENT, severity="warning", markup=False)
            return
        target = EditTarget(kind, str(uuid.uuid4()), "personal", me, new=True)
        document = new_macro_document() if kind == "macro" else new_snippet_document()
        self._edit_round(target, document, document)

    def _edit_round(self, target: EditTarget, text: str, original: str) -> None:
        """Hand ``text`` to the editor, then read and save what comes back; a mistake
        offers another round with the agent's text."""
        edited = self.edit_text(text)
        if edited is None:
            return
        if edited.strip() == original.strip():
            self.notify(
                "Nothing changed." if not target.new else f"No {target.kind} was created.",
                timeout=2,
            )
            return
        try:
            item = read_item(edited, target)
        except ValueError as err:
            self._offer_again(target, edited, original, str(err))
            return
        self._save(target, item, edited, original)

    def _offer_again(self, target: EditTarget, text: str, original: str, sentence: str) -> None:
        def answered(again: bool | None) -> None:
            if again:
                self._edit_round(target, with_note(text, sentence), original)
            else:
                self.notify(f"The {target.kind} was not saved.", timeout=2)

        from csm_tui.screens.confirm import ConfirmModal

        self.app.push_screen(
            ConfirmModal(
                f"{clean_line(sentence)} Edit it again (your text is kept)?",
                confirm="Edit again",
                cancel="Discard",
            ),
            answered,
        )

    def _save(self, target: EditTarget, item: Macro | Snippet, text: str, original: str) -> None:
        desk = self.desk

        def command() -> str | CsmError:
            # The desk's refusal comes back as a value, so the agent's text can go round again.
            try:
                if isinstance(item, Macro):
                    return desk.save_macro(item)
                return desk.save_snippet(item)
            except CsmError as err:
                return err

        def saved(result: str | CsmError) -> None:
            if isinstance(result, CsmError):
                self._offer_again(target, text, original, str(result))
                return
            self.reload(select=f"{target.kind}:{result}")
            name = item.name if isinstance(item, Macro) else SHORTCUT_PREFIX + item.shortcut
            verb = "Created" if target.new else "Saved"
            self.notify(f"{verb} the {target.kind} {clean_line(name)}.", markup=False, timeout=2)

        self.csm_app.edit(command, set(), then=saved)

    # -- duplicate and delete --------------------------------------------------------------

    def action_duplicate(self) -> None:
        entry = self.current
        if entry is None:
            return
        desk = self.desk
        if desk.me_id is None:
            self.notify(NO_AGENT, severity="warning", markup=False)
            return
        item = entry.item
        command: Callable[[], object]
        if isinstance(item, Macro):
            suffix = " (copy)"
            name = clean_line(item.name)[: MAX_NAME - len(suffix)] + suffix
            command = partial(desk.duplicate_macro, item.id, name)
            what = f"the macro {name}"
        else:
            shortcut = self._free_shortcut(item.shortcut)
            copy = replace(
                item, id=str(uuid.uuid4()), shortcut=shortcut, scope="personal", owner_id=None
            )
            command = partial(desk.save_snippet, copy)
            what = f"the snippet {SHORTCUT_PREFIX}{shortcut}"

        def copied(new_id: object) -> None:
            self.reload(select=f"{entry.kind}:{new_id}")

        self.csm_app.edit(command, set(), f"Made a personal copy: {what}; e edits it.", then=copied)

    def _free_shortcut(self, shortcut: str) -> str:
        taken = {e.item.shortcut for e in self.entries if isinstance(e.item, Snippet)}
        n = 1
        while True:
            suffix = "-copy" if n == 1 else f"-copy{n}"
            candidate = shortcut[: MAX_SHORTCUT - len(suffix)] + suffix
            if candidate not in taken:
                return candidate
            n += 1

    def action_delete(self) -> None:
        entry = self.current
        if entry is None:
            return
        if not entry.changeable:
            self._refuse(entry)
            return
        desk = self.desk
        item = entry.item
        if isinstance(item, Macro):
            command = partial(desk.delete_macro, item.id)
        else:
            command = partial(desk.delete_snippet, item.id)
        name = entry.label

        def answered(yes: bool | None) -> None:
            if yes:
                self.csm_app.edit(
                    command,
                    set(),
                    f"Deleted the {entry.kind} {name}.",
                    then=lambda _result: self.reload(),
                )

        from csm_tui.screens.confirm import ConfirmModal

        self.app.push_screen(
            ConfirmModal(f"Delete the {entry.kind} “{name}”?", confirm="Delete"), answered
        )
