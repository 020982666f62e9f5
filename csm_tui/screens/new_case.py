"""A new case from the desk for a phone call (``c`` in the queue), offline too.

The agent finds the caller (a search box over the store's contacts: name, customer number,
e-mail or phone, as they type) or picks "+ New contact…" and types the new caller's name,
phone, e-mail and language; then a subject, optionally a queue and a priority, and a first
internal note. ``ctrl+s`` checks the form (one sentence under it when something is missing)
and returns a :class:`NewCaseDraft`; escape cancels, asking first when typed text would be
lost. :func:`open_new_case` runs the whole flow: the modal, then
:meth:`~csm_tui.desk.Desk.open_phone_case` in a thread worker (contact, case and note in one
store transaction), then the new case on the case screen. When the desk refuses, the modal
comes back with everything typed and the reason.

Contact names, numbers and queue names are customer or server data: shown as ``Text``
through :func:`~csm_tui.domain.text.clean_line`, never as markup.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from csm_tui.desk import ContactRow, check_new_contact, check_phone_case
from csm_tui.domain.enums import Priority
from csm_tui.domain.text import clean_line
from csm_tui.errors import CsmError
from csm_tui.screens.desk_access import DeskAccess

if TYPE_CHECKING:
    from csm_tui.app import CsmApp

#: The option that reveals the new-contact fields.
NEW_CONTACT_OPTION = "__new_contact__"
#: How many callers the list shows.
CALLER_RESULTS = 8
#: Keystrokes closer together than this make one search.
SEARCH_PAUSE = 0.08
NOTE_TITLE = "■ INTERNAL NOTE — only colleagues see this"
LANGUAGES: tuple[tuple[str, str], ...] = (("Deutsch (de)", "de"), ("English (en)", "en"))
_CONTACT_INPUTS = ("first_name", "last_name", "phone", "email")
_PLACEHOLDERS = {
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Phone",
    "email": "E-mail",
}


@dataclass(frozen=True)
class NewCaseDraft:
    """What the agent typed: the caller (``contact`` found, or ``new_contact`` fields), the
    case and its first note. ``search`` is the caller search text (to show it again)."""

    subject: str
    note: str = ""
    contact: ContactRow | None = None
    new_contact: dict[str, str] | None = None
    queue_id: str | None = None
    priority: str = Priority.NORMAL.value
    search: str = ""

    @property
    def contact_id(self) -> str | None:
        return self.contact.id if self.contact is not None else None

    def command(self) -> dict[str, Any]:
        """Keyword arguments of :meth:`~csm_tui.desk.Desk.open_phone_case`."""
        return {
            "subject": self.subject,
            "contact_id": self.contact_id,
            "new_contact": dict(self.new_contact) if self.new_contact is not None else None,
            "queue_id": self.queue_id,
            "priority": self.priority,
            "note": self.note,
        }


def contact_line(contact: ContactRow) -> Text:
    """``Jürgen Müller  K-20001 · e-mail · phone · account`` (cleaned, never markup)."""
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(clean_line(contact.name) or "(no name)", style="bold")
    if contact.customer_number:
        line.append(f"  {clean_line(contact.customer_number)}")
    extras = [clean_line(v) for v in (contact.email, contact.phone, contact.account) if v]
    if extras:
        line.append("  · " + " · ".join(extras), style="dim")
    return line


class NewCaseModal(DeskAccess, ModalScreen[NewCaseDraft | None]):
    """The new phone case form; ``draft`` fills it again (after the desk refused it, with
    ``error`` as the reason)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "create", "Create case", id="new_case.create", priority=True),
        Binding("escape", "cancel", "Cancel", id="new_case.cancel"),
        Binding("down", "caller_move(1)", "Next caller", id="new_case.caller_next", show=False),
        Binding("up", "caller_move(-1)", "Previous caller", id="new_case.caller_prev", show=False),
    ]

    DEFAULT_CSS = """
    NewCaseModal { align: center middle; }
    NewCaseModal > Vertical {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 100%;
        overflow-y: auto;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    NewCaseModal #new-case-title { width: 1fr; text-style: bold; padding: 0 0 1 0; }
    NewCaseModal .field-label { color: $foreground-muted; height: 1; }
    NewCaseModal Input { margin: 0 0 1 0; }
    NewCaseModal #caller-search { margin: 0; }
    NewCaseModal #caller-options {
        height: auto;
        max-height: 8;
        border: none;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    NewCaseModal #caller-chosen { height: 1; margin: 0 0 1 0; }
    NewCaseModal #new-contact { height: auto; display: none; }
    NewCaseModal #new-contact.-shown { display: block; }
    NewCaseModal Horizontal { height: auto; }
    NewCaseModal Horizontal > Input { width: 1fr; margin: 0 1 1 0; }
    NewCaseModal Horizontal > Select { width: 1fr; margin: 0 1 1 0; }
    NewCaseModal #note-title { color: $note-internal; text-style: bold; height: 1; }
    NewCaseModal #note { height: 5; }
    NewCaseModal #new-case-error { color: $error; height: auto; display: none; }
    NewCaseModal #new-case-error.-shown { display: block; }
    NewCaseModal #new-case-help { color: $foreground-muted; height: 1; }
    """

    def __init__(self, draft: NewCaseDraft | None = None, *, error: str = "") -> None:
        super().__init__()
        self.initial = draft
        self.initial_error = error
        self.contact: ContactRow | None = draft.contact if draft else None
        self.adding_contact = bool(draft and draft.new_contact is not None)
        self._results: dict[str, ContactRow] = {}
        self._generation = 0
        self._searched = ""

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        draft = self.initial or NewCaseDraft(subject="")
        new = draft.new_contact or {}
        queues: Sequence[Any] = self.desk.queues()
        queue_ids = {q.id for q in queues}
        with Vertical():
            yield Label(Text("New phone case"), id="new-case-title")
            yield Label(Text("Caller"), classes="field-label")
            yield Input(
                draft.search,
                placeholder="find the caller: name, customer number, e-mail or phone",
                id="caller-search",
                compact=True,
            )
            yield OptionList(id="caller-options", compact=True)
            yield Static(id="caller-chosen")
            with Vertical(id="new-contact"):
                with Horizontal():
                    for name in ("first_name", "last_name"):
                        yield self._contact_input(name, new)
                with Horizontal():
                    for name in ("phone", "email"):
                        yield self._contact_input(name, new)
                    yield Select(
                        LANGUAGES,
                        allow_blank=False,
                        value=new.get("language") or "de",
                        id="language",
                        compact=True,
                    )
            yield Label(Text("Subject"), classes="field-label")
            yield Input(
                draft.subject,
                placeholder="what is the call about?",
                id="subject",
                compact=True,
                max_length=500,
            )
            with Horizontal():
                yield Select(
                    [(Text(clean_line(q.name) or clean_line(q.slug)), q.id) for q in queues],
                    prompt="No queue",
                    value=draft.queue_id if draft.queue_id in queue_ids else Select.NULL,
                    id="queue",
                    compact=True,
                )
                yield Select(
                    [(p.value.capitalize(), p.value) for p in Priority][::-1],
                    allow_blank=False,
                    value=draft.priority,
                    id="priority",
                    compact=True,
                )
            yield Label(Text(NOTE_TITLE), id="note-title")
            yield TextArea(draft.note, id="note", soft_wrap=True, show_line_numbers=False)
            yield Static(id="new-case-error")
            yield Label(
                Text("ctrl+s create · esc cancel · ↑↓ enter pick the caller · tab next field"),
                id="new-case-help",
            )

    def _contact_input(self, name: str, values: dict[str, str]) -> Input:
        return Input(
            values.get(name, ""),
            placeholder=_PLACEHOLDERS[name],
            id=name.replace("_", "-"),
            compact=True,
        )

    def on_mount(self) -> None:
        self._show_caller()
        self._fill([])
        search = self.query_one("#caller-search", Input).value
        if search.strip():
            self._search(search)
        if self.initial_error:
            self.show_error(self.initial_error)
        self.query_one("#caller-search", Input).focus()

    # -- the caller --------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "caller-search":
            return
        event.stop()
        self._search(event.value)

    def _search(self, text: str) -> None:
        self._generation += 1
        if not text.strip():
            self._searched = ""
            self._fill([])
            return
        self._find(text, self._generation)

    @work(thread=True, exclusive=True, group="caller-search", exit_on_error=False)
    def _find(self, text: str, generation: int) -> None:
        time.sleep(SEARCH_PAUSE)  # a few more keystrokes make one search, not several
        if generation != self._generation:
            return
        try:
            found = self.desk.find_contacts(text, CALLER_RESULTS)
        except CsmError as err:
            with contextlib.suppress(RuntimeError):
                self.app.call_from_thread(self.show_error, str(err))
            return
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(self._found, generation, text, found)

    def _found(self, generation: int, text: str, found: list[ContactRow]) -> None:
        if generation == self._generation and self.is_attached:
            self._searched = text
            self._fill(found)

    def _fill(self, found: list[ContactRow]) -> None:
        self._results = {c.id: c for c in found}
        options = [Option(contact_line(c), id=c.id) for c in found]
        hint = "+ New contact…" if found or not self._searched else "+ New contact… (none found)"
        options.append(Option(Text(hint, style="italic"), id=NEW_CONTACT_OPTION))
        option_list = self.query_one("#caller-options", OptionList)
        option_list.set_options(options)
        option_list.highlighted = 0

    def action_caller_move(self, step: int) -> None:
        if self.focused is None or self.focused.id != "caller-search":
            return
        options = self.query_one("#caller-options", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "caller-search":
            option = self.query_one("#caller-options", OptionList).highlighted_option
            if option is not None and option.id is not None:
                self.pick(option.id)
        else:
            self.focus_next()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.pick(event.option.id)

    def pick(self, option_id: str) -> None:
        """Take a found contact as the caller, or open the new-contact fields."""
        if option_id == NEW_CONTACT_OPTION:
            self.contact = None
            self.adding_contact = True
            self._prefill_contact(self.query_one("#caller-search", Input).value)
            self._show_caller()
            first_empty = next(
                (
                    self.query_one(f"#{name.replace('_', '-')}", Input)
                    for name in ("first_name", "last_name", "phone")
                    if not self.query_one(f"#{name.replace('_', '-')}", Input).value
                ),
                self.query_one("#first-name", Input),
            )
            first_empty.focus()
            return
        contact = self._results.get(option_id)
        if contact is None:
            return
        self.contact = contact
        self.adding_contact = False
        self._show_caller()
        self.show_error("")
        self.query_one("#subject", Input).focus()

    def _prefill_contact(self, text: str) -> None:
        """What was searched for goes where it belongs: an e-mail, a phone number, or a name
        (the last word as last name). Fields already typed in stay as they are."""
        words = clean_line(text).split()
        if not words:
            return
        values: dict[str, str] = {}
        if len(words) == 1 and "@" in words[0]:
            values["email"] = words[0]
        elif sum(c.isdigit() for c in text) >= 3 and not any(c.isalpha() for c in text):
            values["phone"] = " ".join(words)
        else:
            values["last_name"] = words[-1]
            if len(words) > 1:
                values["first_name"] = " ".join(words[:-1])
        for name, value in values.items():
            box = self.query_one(f"#{name.replace('_', '-')}", Input)
            if not box.value:
                box.value = value

    def _show_caller(self) -> None:
        self.query_one("#new-contact").set_class(self.adding_contact, "-shown")
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        if self.contact is not None:
            line.append("✓ Caller: ", style="bold")
            line.append_text(contact_line(self.contact))
        elif self.adding_contact:
            line.append("✓ Caller: a new contact", style="bold")
            line.append(" (the server gives the customer number)", style="dim")
        else:
            line.append("No caller chosen yet", style="dim italic")
        self.query_one("#caller-chosen", Static).update(line)

    # -- create or cancel --------------------------------------------------------------------

    def draft(self) -> NewCaseDraft:
        """The form as it stands."""
        new_contact: dict[str, str] | None = None
        if self.adding_contact:
            new_contact = {
                name: self.query_one(f"#{name.replace('_', '-')}", Input).value
                for name in _CONTACT_INPUTS
            }
            new_contact["language"] = str(self.query_one("#language", Select).value)
        queue = self.query_one("#queue", Select).value
        return NewCaseDraft(
            subject=self.query_one("#subject", Input).value,
            note=self.query_one("#note", TextArea).text,
            contact=self.contact if not self.adding_contact else None,
            new_contact=new_contact,
            queue_id=queue if isinstance(queue, str) else None,
            priority=str(self.query_one("#priority", Select).value),
            search=self.query_one("#caller-search", Input).value,
        )

    def show_error(self, sentence: str) -> None:
        box = self.query_one("#new-case-error", Static)
        box.set_class(bool(sentence), "-shown")
        box.update(Text("⚠ " + clean_line(sentence)) if sentence else Text(""))

    def action_create(self) -> None:
        draft = self.draft()
        try:
            check_phone_case(**{k: v for k, v in draft.command().items() if k != "queue_id"})
        except CsmError as err:
            self.show_error(str(err))
            self._focus_problem(draft)
            return
        self.dismiss(draft)

    def _focus_problem(self, draft: NewCaseDraft) -> None:
        target = "#subject"
        if draft.contact is None and draft.new_contact is None:
            target = "#caller-search"
        elif draft.new_contact is not None:
            try:
                check_new_contact(draft.new_contact)
            except CsmError as err:
                sentence = str(err)
                target = (
                    "#email"
                    if "e-mail" in sentence
                    else "#phone"
                    if "phone" in sentence
                    else "#first-name"
                )
        self.query_one(target).focus()

    def _typed(self) -> bool:
        draft = self.draft()
        texts = [draft.subject, draft.note, draft.search]
        texts += [v for k, v in (draft.new_contact or {}).items() if k != "language"]
        return draft.contact is not None or any(t.strip() for t in texts)

    def action_cancel(self) -> None:
        if not self._typed():
            self.dismiss(None)
            return
        from csm_tui.screens.confirm import ConfirmModal

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmModal("Throw this new case away?", confirm="Discard"), answered)


# -- the flow from the queue -----------------------------------------------------------------


def open_new_case(screen: Screen[Any], draft: NewCaseDraft | None = None, error: str = "") -> None:
    """Ask for a new phone case, create it off the UI thread and open it on the case screen.
    When the desk refuses it, the form comes back with what was typed and the reason."""

    def drafted(result: NewCaseDraft | None) -> None:
        if result is not None:
            screen.run_worker(
                partial(_create, screen, result),
                name="new phone case",
                group="new-case",
                thread=True,
                exit_on_error=False,
            )

    screen.app.push_screen(NewCaseModal(draft, error=error), drafted)


def _create(screen: Screen[Any], draft: NewCaseDraft) -> None:
    app: CsmApp = screen.app  # type: ignore[assignment]
    try:
        case_id = app.desk.open_phone_case(**draft.command())
    except Exception as err:  # a CsmError's sentence, or a bug routed as one
        with contextlib.suppress(RuntimeError):
            app.call_from_thread(_refused, screen, draft, err)
        return
    with contextlib.suppress(RuntimeError):
        app.call_from_thread(_created, screen, case_id)


def _refused(screen: Screen[Any], draft: NewCaseDraft, error: Exception) -> None:
    app: CsmApp = screen.app  # type: ignore[assignment]
    app.route_error(error, "Case not created")
    sentence = str(error) if isinstance(error, CsmError) else "The case could not be created."
    open_new_case(screen, draft, sentence)


def _created(screen: Screen[Any], case_id: str) -> None:
    from csm_tui.screens.case import CaseScreen

    app: CsmApp = screen.app  # type: ignore[assignment]
    app.local_edit_done({case_id}, "Case created; it goes to the server with the next sync.")
    app.push_screen(CaseScreen(case_id))
