"""The macro screen (``M``): browse and search macros and snippets, edit them in $EDITOR,
create, duplicate and delete personal ones; shared ones are read-only for agents.

A real store signed in as Anna, with her own macros and snippets and a shared macro and
snippet written into the store as a pull writes them. The one stand-in is the terminal:
:func:`csm_tui.screens.macros.run_editor` (a headless app cannot suspend) is replaced by a
function that rewrites the file as an agent in an editor would."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.domain.macros import (
    AddTags,
    CreateTask,
    Macro,
    Reply,
    SetAssignee,
    SetStatus,
    action_to_dict,
)
from csm_tui.domain.models import MacroRow, SnippetRow, to_wire
from csm_tui.errors import CsmError
from csm_tui.screens import macros as macro_screen
from csm_tui.screens.confirm import ConfirmModal
from csm_tui.screens.macros import MacroScreen, run_editor
from csm_tui.screens.queue import QueueScreen
from csm_tui.store.apply import apply_page
from csm_tui.sync.wire import ChangeRow, ChangesPage
from tests.functional.conftest import HOSTILE_BODY, HOSTILE_SUBJECT, NOW
from tests.functional.pilot_support import give_anna_her_macros
from tests.functional.test_hostile_text import assert_clean_strips, rendered_strips

SIZE = (120, 36)
SHARED_NAME = "Close: solved by phone"


def _pulled(desk: Desk, *rows: ChangeRow) -> None:
    apply_page(desk.store, ChangesPage(rows=list(rows), cursor="d.7", more=False), synced_at=NOW)


def _macro_row(macro: Macro) -> ChangeRow:
    row = MacroRow(
        id=macro.id,
        name=macro.name,
        description=macro.description,
        scope=macro.scope,
        owner_agent_id=macro.owner_id,
        actions=[action_to_dict(a) for a in macro.actions],
        updated_at=NOW,
    )
    return ChangeRow(seq=5, entity="macro", id=macro.id, fields=to_wire(row))


@pytest.fixture
def anna(desk: Desk, ids: Callable[[str, int], str]) -> Desk:
    """Signed in as Anna (an agent, no lead): two macros and two snippets of her own, and a
    shared macro and snippet that came with a pull (owned by nobody)."""
    me = ids("agent", 0)
    give_anna_her_macros(desk, me)
    shared = Macro(
        id="m-shared",
        name=SHARED_NAME,
        description="the customer confirmed on the phone",
        scope="shared",
        actions=(
            SetStatus("solved"),
            SetAssignee("me"),
            AddTags(("phone",)),
            CreateTask("billing", "Check the refund for {{ case.number }}", "+2d"),
        ),
    )
    snippet = SnippetRow(
        id="s-hours",
        shortcut="hours",
        title="Opening hours",
        body="We are there Monday to Friday, 8 to 18.",
        scope="shared",
        updated_at=NOW,
    )
    _pulled(
        desk,
        _macro_row(shared),
        ChangeRow(seq=6, entity="snippet", id="s-hours", fields=to_wire(snippet)),
    )
    with sqlite3.connect(desk.store_path) as conn:
        conn.execute("DELETE FROM outbox")
    return desk


def _outbox(desk: Desk) -> list[tuple[str, str, str, dict]]:
    with sqlite3.connect(desk.store_path) as conn:
        rows = conn.execute(
            "SELECT op, entity, entity_id, fields FROM outbox ORDER BY mid"
        ).fetchall()
    return [(op, entity, eid, json.loads(fields)) for op, entity, eid, fields in rows]


class Editor:
    """The agent at the editor: each call gets the file's text (kept in ``seen``) and the
    next edit writes the new text."""

    def __init__(self, *edits: Callable[[str], str]) -> None:
        self.edits = list(edits)
        self.seen: list[str] = []

    def __call__(self, app: object, path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        self.seen.append(text)
        path.write_text(self.edits.pop(0)(text), encoding="utf-8")


def _no_editor(app: object, path: Path) -> None:
    raise AssertionError("the editor must not open")


async def _settle(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _open(app: CsmApp, pilot: Pilot) -> MacroScreen:
    await _settle(pilot)
    await pilot.press("M")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, MacroScreen)
    return screen


def _rows(screen: MacroScreen) -> list[str]:
    table = screen.query_one("#macros-table", DataTable)
    return [
        " | ".join(str(cell) for cell in table.get_row_at(n)).rstrip(" |")
        for n in range(table.row_count)
    ]


def _names(screen: MacroScreen) -> list[str]:
    return [e.label for e in screen.shown]


def _detail(screen: MacroScreen) -> str:
    return str(screen.query_one("#macros-detail-body", Static).render())


async def _highlight(screen: MacroScreen, pilot: Pilot, label: str) -> None:
    table = screen.query_one("#macros-table", DataTable)
    table.move_cursor(row=_names(screen).index(label))
    await pilot.pause()
    assert screen.current is not None and screen.current.label == label


def _notes(app: CsmApp) -> list[str]:
    return [n.message for n in app._notifications]  # private: no public accessor


# -- browsing -------------------------------------------------------------------------------


async def test_m_opens_the_list_and_typing_narrows_it(anna: Desk, settings: Settings) -> None:
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        assert "Macros" in {c.title for c in app.get_system_commands(app.screen)}
        screen = await _open(app, pilot)
        assert _rows(screen) == [
            f"macro | {SHARED_NAME} | shared | 🔒",
            "macro | Mark VIP | mine",
            "macro | Waiting for the customer | mine",
            "snippet | ;greet  Greeting | mine",
            "snippet | ;hours  Opening hours | shared | 🔒",
            "snippet | ;sig  Signature | mine",
        ]
        titles = {c.title for c in app.get_system_commands(screen)}
        assert {"Edit", "New macro", "New snippet", "Duplicate", "Delete", "Search"} <= titles
        await pilot.press("M")  # already here: nothing stacks up
        assert app.screen is screen
        await pilot.press("slash", *"vip")
        assert _names(screen) == ["Mark VIP"]
        await pilot.press("backspace", "backspace", "backspace", *";sg")
        assert _names(screen)[0] == ";sig"
        await pilot.press("ctrl+u", *"zzzz")
        assert _names(screen) == []
        assert "Nothing matches" in str(screen.query_one("#macros-empty").render())
        await pilot.press("escape")  # clears the search
        assert screen.query_one(Input).value == "" and len(_names(screen)) == 6
        await pilot.press("escape")  # back
        assert isinstance(app.screen, QueueScreen)


async def test_the_detail_pane_shows_actions_and_the_template_as_text(
    anna: Desk, settings: Settings
) -> None:
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await _highlight(screen, pilot, "Waiting for the customer")
        detail = _detail(screen)
        for line in (
            "ask for the order number, set pending",
            " 1. set status to pending",
            " 2. set priority to low",
            " 3. add tags: waiting",
            " 4. write a public reply",
            "Reply template\nHello {{ customer.first_name }},\n{{ cursor }}\n{{ agent.name }}",
        ):
            assert line in detail
        await pilot.press("down")
        await pilot.press("down")  # the shared snippet
        assert "We are there Monday to Friday" in _detail(screen)
        await _highlight(screen, pilot, SHARED_NAME)
        detail = _detail(screen)
        assert "assign to whoever applies it" in detail
        assert "create a task for Billing: Check the refund for {{ case.number }}, due +2d" in (
            detail
        )
        assert "🔒 Only a team lead can change shared macros." in detail
        await pilot.press("enter")
        assert app.focused is screen.query_one("#macros-detail")
        await pilot.press("escape")
        assert isinstance(app.focused, DataTable)


async def test_hostile_macro_text_stays_text(anna: Desk, settings: Settings) -> None:
    hostile = Macro(
        id="m-hostile",
        name=HOSTILE_SUBJECT,
        description="[b]bold?[/b] \x1b]0;pwned title\x07 ring\x07",
        scope="shared",
        actions=(AddTags(("[blink]tag[/blink]",)), Reply("internal", HOSTILE_BODY)),
    )
    _pulled(anna, _macro_row(hostile))
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        label = "[bold red]x[/] pay now [link=http://evil.example]click[/link]"
        await _highlight(screen, pilot, label)
        detail = _detail(screen)
        assert detail.startswith(label)
        assert "[b]bold?[/b]  ring" in detail and "add tags: [blink]tag[/blink]" in detail
        assert "Note template\nCopy this:  then red and [b]bold?[/b] link ring  end" in detail
        assert_clean_strips(rendered_strips(app))


# -- editing --------------------------------------------------------------------------------


async def test_editing_a_personal_macro_saves_it_and_the_list_shows_it(
    anna: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = Editor(lambda text: text.replace('name = "Mark VIP"', 'name = "Mark as VIP"'))
    monkeypatch.setattr(macro_screen, "run_editor", editor)
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await _highlight(screen, pilot, "Mark VIP")
        await pilot.press("e")
        await _settle(pilot)
        [document] = editor.seen
        assert document.startswith("# Edit the macro") and 'id = "m-vip"' in document
        assert "Mark as VIP" in _names(screen) and "Mark VIP" not in _names(screen)
        assert screen.current is not None and screen.current.label == "Mark as VIP"
        assert "Saved the macro Mark as VIP." in _notes(app)
    assert _outbox(anna) == [("update", "macro", "m-vip", {"name": "Mark as VIP"})]


async def test_a_bad_edit_says_why_and_goes_round_again_with_the_agents_text(
    anna: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = Editor(
        lambda text: text.replace('status = "pending"', 'status = "later"'),
        lambda text: text.replace('status = "later"', 'status = "on_hold"'),
    )
    monkeypatch.setattr(macro_screen, "run_editor", editor)
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await _highlight(screen, pilot, "Waiting for the customer")
        await pilot.press("e")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        sentence = (
            "Macro 'Waiting for the customer': action 1 (set_status): 'later' is not a "
            "status; use one of new, open, pending, on_hold, solved, closed."
        )
        assert modal.question.startswith(sentence)
        assert _outbox(anna) == []
        await pilot.press("y")  # edit again
        await _settle(pilot)
        first, second = editor.seen
        kept = first.replace('status = "pending"', 'status = "later"')
        assert second == f"# csm: not saved: {sentence}\n{kept}"
        assert app.screen is screen
    [(op, entity, macro_id, fields)] = _outbox(anna)
    assert (op, entity, macro_id) == ("update", "macro", "m-wait")
    assert fields["actions"][0] == {"type": "set_status", "status": "on_hold"}


async def test_a_bad_edit_may_be_given_up_and_nothing_is_written(
    anna: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = Editor(lambda text: text + "\n[[macro]]\nname = 'second'\n")
    monkeypatch.setattr(macro_screen, "run_editor", editor)
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await _highlight(screen, pilot, "Mark VIP")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question.startswith("Keep exactly one [[macro]] table in the file.")
        await pilot.press("n")
        await _settle(pilot)
        assert "The macro was not saved." in _notes(app)
    assert _outbox(anna) == []


async def test_a_new_snippet_from_the_editor(
    anna: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch, ids: Callable[[str, int], str]
) -> None:
    def write(text: str) -> str:
        return (
            text.replace('shortcut = ""', 'shortcut = ";Thanks"')
            .replace('title = ""', 'title = "Thank you"')
            .replace('body = """"""', 'body = """Thank you, {{ customer.first_name }}!"""')
        )

    editor = Editor(write, lambda text: text)  # the second time: quit without saving
    monkeypatch.setattr(macro_screen, "run_editor", editor)
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("s")
        await _settle(pilot)
        assert screen.current is not None and screen.current.label == ";thanks"
        assert "Thank you, {{ customer.first_name }}!" in _detail(screen)
        await pilot.press("n")  # a new macro, left as it came
        await _settle(pilot)
        assert "No macro was created." in _notes(app)
    [(op, entity, snippet_id, fields)] = _outbox(anna)
    assert (op, entity) == ("create", "snippet")
    assert fields == {
        "shortcut": "thanks",
        "title": "Thank you",
        "body": "Thank you, {{ customer.first_name }}!",
        "scope": "personal",
    }
    [mine] = [s for s in anna.snippets() if s.id == snippet_id]
    assert mine.owner_id == ids("agent", 0)


async def test_a_new_macro_from_the_commented_example(
    anna: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def write(text: str) -> str:
        text = text.replace('name = ""', 'name = "Hand to billing"')
        # uncomment the create_task example
        start = text.index('# type = "create_task"') - len("# [[macro.action]]\n")
        head, tail = text[:start], text[start:]
        return head + "\n".join(line.removeprefix("# ") for line in tail.split("\n"))

    monkeypatch.setattr(macro_screen, "run_editor", Editor(write))
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("n")
        await _settle(pilot)
        assert screen.current is not None and screen.current.label == "Hand to billing"
    [(op, entity, _id, fields)] = _outbox(anna)
    assert (op, entity, fields["scope"], fields["name"]) == (
        "create",
        "macro",
        "personal",
        "Hand to billing",
    )
    assert fields["actions"] == [
        {
            "type": "create_task",
            "team": "billing",
            "title": "Refund case {{ case.number }}",
            "due": "+2d",
        }
    ]


# -- duplicate, delete, read-only -----------------------------------------------------------


async def test_duplicating_a_shared_macro_makes_a_personal_copy(
    anna: Desk, settings: Settings
) -> None:
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await _highlight(screen, pilot, SHARED_NAME)
        await pilot.press("d")
        await _settle(pilot)
        copy = screen.current
        assert copy is not None and copy.label == f"{SHARED_NAME} (copy)"
        assert copy.changeable and copy.item.scope == "personal"
        await _highlight(screen, pilot, ";hours")
        await pilot.press("d")
        await _settle(pilot)
        assert screen.current is not None and screen.current.label == ";hours-copy"
    [(op1, entity1, _, macro), (op2, entity2, _, snippet)] = _outbox(anna)
    assert (op1, entity1, macro["scope"], macro["name"]) == (
        "create",
        "macro",
        "personal",
        f"{SHARED_NAME} (copy)",
    )
    assert len(macro["actions"]) == 4
    assert (op2, entity2, snippet["scope"], snippet["shortcut"]) == (
        "create",
        "snippet",
        "personal",
        "hours-copy",
    )


async def test_delete_asks_first_naming_the_item(anna: Desk, settings: Settings) -> None:
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await _highlight(screen, pilot, "Mark VIP")
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question == "Delete the macro “Mark VIP”?"
        await pilot.press("n")
        await _settle(pilot)
        assert _outbox(anna) == [] and "Mark VIP" in _names(screen)
        await pilot.press("x", "y")
        await _settle(pilot)
        assert "Mark VIP" not in _names(screen)
        await _highlight(screen, pilot, ";sig")
        await pilot.press("x", "y")
        await _settle(pilot)
        assert ";sig" not in _names(screen)
    assert [(op, entity, eid) for op, entity, eid, _ in _outbox(anna)] == [
        ("delete", "macro", "m-vip"),
        ("delete", "snippet", "s-sig"),
    ]


async def test_shared_items_are_read_only_for_an_agent(
    anna: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(macro_screen, "run_editor", _no_editor)
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await _highlight(screen, pilot, SHARED_NAME)
        await pilot.press("e")
        await pilot.pause()
        refusal = (
            "Only a team lead can change shared macros; press d for a personal copy you can change."
        )
        assert _notes(app) == [refusal]
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen and _notes(app) == [refusal, refusal]
        await _highlight(screen, pilot, ";hours")
        await pilot.press("e")
        assert "Only a team lead can change shared snippets" in _notes(app)[-1]
    assert _outbox(anna) == []


async def test_a_lead_edits_a_shared_macro(
    anna: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch, ids: Callable[[str, int], str]
) -> None:
    with sqlite3.connect(anna.store_path) as conn:
        conn.execute("UPDATE agent SET role = 'lead' WHERE id = ?", (ids("agent", 0),))
    editor = Editor(lambda text: text.replace("on the phone", "by phone"))
    monkeypatch.setattr(macro_screen, "run_editor", editor)
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        assert "🔒" not in " ".join(_rows(screen))
        await _highlight(screen, pilot, SHARED_NAME)
        await pilot.press("e")
        await _settle(pilot)
        assert 'scope = "shared"' in editor.seen[0]
    assert _outbox(anna) == [
        ("update", "macro", "m-shared", {"description": "the customer confirmed by phone"})
    ]


# -- the editor itself ----------------------------------------------------------------------


class _Suspendable:
    """An app whose terminal can be handed over (what a real terminal does)."""

    def suspend(self) -> object:
        import contextlib

        return contextlib.nullcontext()


def test_run_editor_runs_the_editor_command_on_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[-1])\n"
        "p.write_text(p.read_text().upper())\n"
        "sys.exit(int(sys.argv[1]) if len(sys.argv) > 2 else 0)\n"
    )
    target = tmp_path / "item.toml"
    target.write_text('name = "x"\n')
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    run_editor(_Suspendable(), target)  # type: ignore[arg-type]
    assert target.read_text() == 'NAME = "X"\n'
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script} 3")
    with pytest.raises(CsmError, match="The editor ended with status 3; nothing was saved"):
        run_editor(_Suspendable(), target)  # type: ignore[arg-type]
    monkeypatch.setenv("VISUAL", str(tmp_path / "no-such-editor"))
    with pytest.raises(CsmError, match="Could not start the editor"):
        run_editor(_Suspendable(), target)  # type: ignore[arg-type]


async def test_a_terminal_that_cannot_suspend_says_so(
    anna: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISUAL", "true")
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await _highlight(screen, pilot, "Mark VIP")
        await pilot.press("e")
        await pilot.pause()
        assert _notes(app) == ["This terminal cannot hand over to an editor; nothing changed."]
    assert _outbox(anna) == []


# -- how it looks -----------------------------------------------------------------------------


def test_macro_screen_snapshot(snap_compare, anna: Desk, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """The list (kinds, scopes, locks), the search box and a macro's details."""
    app = make_app(settings, anna, sync_on_start=False)
    app.animation_level = "none"

    async def open_screen(pilot: Pilot) -> None:
        await _settle(pilot)
        await pilot.press("M")
        await pilot.pause()
        await pilot.press("down", "down")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_screen)
