"""A new phone case from the queue (``c``): find the caller or add a new contact, subject,
first note, ``ctrl+s``; the case opens on the case screen and waits in the outbox. A real
store (tests/functional/conftest.py: six contacts, Jürgen Müller is K-20001); no server."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Input, Label, OptionList, Static, TextArea

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.errors import CsmError
from csm_tui.screens.case import CaseScreen
from csm_tui.screens.confirm import ConfirmModal
from csm_tui.screens.new_case import NEW_CONTACT_OPTION, NewCaseModal
from csm_tui.screens.queue import QueueScreen
from tests.functional.conftest import _id

SIZE = (120, 40)


AGENT = ("agent_id", "agent_handle", "agent_name")


def start(desk: Desk) -> CsmApp:
    """The queue of a desk that knows who it is (as after the first sync): agent 0, @anna."""
    with sqlite3.connect(desk.store_path) as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
            zip(AGENT, (_id("agent", 0), "anna", "Anna B"), strict=True),
        )
    app = make_app(Settings(), desk, sync_on_start=False)
    app.animation_level = "none"
    return app


async def settle(app: CsmApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def outbox(desk: Desk) -> list[tuple[str, str, str, dict[str, Any]]]:
    with sqlite3.connect(desk.store_path) as conn:
        rows = conn.execute("SELECT op, entity, entity_id, fields FROM outbox ORDER BY mid")
        return [(op, entity, eid, json.loads(fields)) for op, entity, eid, fields in rows]


def modal(app: CsmApp) -> NewCaseModal:
    assert isinstance(app.screen, NewCaseModal), type(app.screen)
    return app.screen


def options(app: CsmApp) -> list[tuple[str | None, str]]:
    option_list = modal(app).query_one("#caller-options", OptionList)
    return [(o.id, str(o.prompt)) for o in option_list.options]


def error_text(app: CsmApp) -> str:
    box = modal(app).query_one("#new-case-error", Static)
    return str(box.render()) if box.display else ""


async def type_note(app: CsmApp, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    modal(app).query_one("#note", TextArea).focus()
    await pilot.press(*text)


async def test_c_opens_a_phone_case_for_a_customer_found_by_search(
    desk: Desk, ids: Callable[[str, int], str]
) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        assert modal(app).focused is modal(app).query_one("#caller-search", Input)
        await pilot.press(*"muller")  # no umlaut typed: Müller is found
        await settle(app, pilot)
        found = options(app)
        assert found[0][0] == ids("contact", 0) and "Jürgen Müller" in found[0][1]
        assert "K-20001" in found[0][1]
        assert found[-1][0] == NEW_CONTACT_OPTION
        await pilot.press("enter")
        assert "Jürgen Müller" in str(modal(app).query_one("#caller-chosen", Static).render())
        assert modal(app).focused is modal(app).query_one("#subject", Input)
        await pilot.press(*"Card stolen in Lisbon")
        await type_note(app, pilot, "Caller verified; card frozen.")
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        assert isinstance(app.screen, CaseScreen)
        case_id = app.screen.case_id
        detail = desk.case_detail(case_id)
        assert detail is not None
        assert (detail.case.subject, detail.case.channel, detail.case.status) == (
            "Card stolen in Lisbon",
            "phone",
            "new",
        )
        assert detail.case.number == f"NEW-{case_id[:8]}"
        assert detail.case.assignee == "Anna Berger"
        assert detail.customer is not None and detail.customer.customer_number == "K-20001"
        assert [(m.kind, m.body) for m in detail.messages] == [
            ("internal", "Caller verified; card frozen.")
        ]
        title = str(app.screen.query_one("#case-title", Label).render())
        assert "Card stolen in Lisbon" in title and detail.case.number in title
        rows = outbox(desk)
        assert [(op, entity) for op, entity, _, _ in rows] == [
            ("create", "case"),
            ("create", "message"),
        ]
        assert rows[0][3]["contact_id"] == ids("contact", 0)
        assert rows[0][3]["channel"] == "phone"
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_a_new_caller_becomes_a_new_contact_with_the_case(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", *"Ola Nordmann")
        await settle(app, pilot)
        assert options(app) == [(NEW_CONTACT_OPTION, "+ New contact… (none found)")]
        await pilot.press("enter")
        form = modal(app)
        assert form.query_one("#new-contact").display
        assert form.query_one("#first-name", Input).value == "Ola"
        assert form.query_one("#last-name", Input).value == "Nordmann"
        assert form.focused is form.query_one("#phone", Input)  # the first empty field
        await pilot.press(*"+47 22 123456")
        form.query_one("#subject", Input).focus()
        await pilot.press(*"Parcel to Oslo lost")
        await type_note(app, pilot, "Called from Norway.")
        await pilot.press("ctrl+s")
        await settle(app, pilot)

        assert isinstance(app.screen, CaseScreen)
        detail = desk.case_detail(app.screen.case_id)
        assert detail is not None and detail.customer is not None
        assert detail.customer.name == "Ola Nordmann"
        assert detail.customer.phone == "+47 22 123456"
        assert detail.customer.customer_number.startswith("NEW-")
        panel = str(app.screen.query_one("#customer-panel").render())
        assert "Ola Nordmann" in panel and detail.customer.customer_number in panel
        rows = outbox(desk)
        assert [(op, entity) for op, entity, _, _ in rows] == [
            ("create", "contact"),
            ("create", "case"),
            ("create", "message"),
        ]
        contact_id = rows[0][2]
        assert rows[1][3]["contact_id"] == contact_id
        assert "customer_number" not in rows[0][3]  # the server gives it
        assert [c.id for c in desk.find_contacts("nordmann")] == [contact_id]


async def test_a_missing_subject_is_said_in_the_form(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", *"K-20002")
        await settle(app, pilot)
        await pilot.press("enter")
        await type_note(app, pilot, "notes first")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "A case needs a subject" in error_text(app)
        assert modal(app).focused is modal(app).query_one("#subject", Input)
        assert outbox(desk) == []
        await pilot.press(*"Login fails")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CaseScreen)
        assert len(outbox(desk)) == 2


async def test_a_missing_caller_or_new_contact_name_is_said_in_the_form(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        modal(app).query_one("#subject", Input).focus()
        await pilot.press(*"Something")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Who is calling?" in error_text(app)
        assert modal(app).focused is modal(app).query_one("#caller-search", Input)
        # "+ New contact…" with nothing typed: the name is missing
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "A new contact needs a name" in error_text(app)
        assert modal(app).focused is modal(app).query_one("#first-name", Input)
        modal(app).query_one("#email", Input).value = "not-an-address"
        await pilot.press(*"Eva")
        await pilot.press("ctrl+s")
        assert "is not an e-mail address" in error_text(app)
        assert modal(app).focused is modal(app).query_one("#email", Input)
        assert outbox(desk) == []


async def test_escape_asks_before_throwing_typed_text_away(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", "escape")  # nothing typed: closes at once
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("c", *"Jür")
        await settle(app, pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        assert modal(app).query_one("#caller-search", Input).value == "Jür"
        await pilot.press("escape", "y")
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        assert outbox(desk) == []


async def test_a_refused_case_brings_the_form_back_with_the_text(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**_: Any) -> str:
        raise CsmError("The store is read-only right now.")

    monkeypatch.setattr(desk, "open_phone_case", refuse)
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", *"clarke")
        await settle(app, pilot)
        await pilot.press("enter", *"Invoice twice")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        form = modal(app)
        assert "read-only" in error_text(app)
        assert form.query_one("#subject", Input).value == "Invoice twice"
        assert form.contact is not None and form.contact.name == "Emily Clarke"
        assert any("read-only" in n.message for n in app._notifications)


async def test_customer_text_in_the_caller_list_is_never_markup(
    hostile_desk: Desk, ids: Callable[[str, int], str]
) -> None:
    app = start(hostile_desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", *"mallory")
        await settle(app, pilot)
        option_list = modal(app).query_one("#caller-options", OptionList)
        prompt = option_list.get_option_at_index(0).prompt
        assert option_list.get_option_at_index(0).id == ids("contact", 99)
        assert "[i]Mallory[/i]" in str(prompt) and "\x1b" not in str(prompt)
        await pilot.press("enter")
        chosen = str(modal(app).query_one("#caller-chosen", Static).render())
        assert "[i]Mallory[/i]" in chosen and "\x1b" not in chosen


async def test_hostile_search_text_finds_nothing_and_breaks_nothing(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", *"%_' OR 1=1 --\\")
        await settle(app, pilot)
        assert options(app) == [(NEW_CONTACT_OPTION, "+ New contact… (none found)")]


async def test_new_case_is_a_palette_command_and_a_remappable_key(desk: Desk) -> None:
    app = start(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        titles = {c.title: c.help for c in screen.palette_commands()}
        assert "New case" in titles and "(c)" in titles["New case"]
        assert "queue.new_case" in QueueScreen.PALETTE_HELP
        for binding in NewCaseModal.BINDINGS:
            assert binding.id and binding.description  # type: ignore[union-attr]
