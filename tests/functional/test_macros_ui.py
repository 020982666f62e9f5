"""Macros and snippets from the keyboard: the picker (suggested first), the preview with
its editable text, the bulk preview's count, and snippets in the composer (``;word`` tab and
the fuzzy picker). A real store, signed in as Anna; no server."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import pytest
from textual.widgets import TextArea

from csm_tui.app import make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.screens.case import CaseScreen
from csm_tui.screens.fuzzy_picker import FuzzyPicker
from csm_tui.screens.macro_preview import MacroPreview
from csm_tui.widgets.case_table import CaseTable
from csm_tui.widgets.composer import Composer
from tests.functional.pilot_support import give_anna_her_macros, open_case, settle

SIZE = (120, 36)


@pytest.fixture
def anna(desk: Desk, ids: Callable[[str, int], str]) -> Desk:
    """The desk signed in as Anna, with her own macro and snippets."""
    me = ids("agent", 0)
    give_anna_her_macros(desk, me)
    with sqlite3.connect(desk.store_path) as conn:
        conn.execute("DELETE FROM outbox")
    return desk


def _outbox(desk: Desk) -> list[tuple[str, str, dict]]:
    with sqlite3.connect(desk.store_path) as conn:
        rows = conn.execute("SELECT op, entity, fields FROM outbox ORDER BY mid").fetchall()
    return [(op, entity, json.loads(fields)) for op, entity, fields in rows]


async def test_a_macro_on_the_open_case_with_an_edited_text(
    anna: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    case_id = ids("case", 1)  # open, Sabine Schmidt
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, case_id)
        await pilot.press("m")
        picker = app.screen
        assert isinstance(picker, FuzzyPicker)
        await pilot.press(*"wait", "enter")
        await settle(app, pilot)
        preview = app.screen
        assert isinstance(preview, MacroPreview)
        changes = str(preview.query_one("#macro-plan").render())
        assert "status: open -> pending" in changes and "priority" in changes
        area = preview.query_one(TextArea)
        assert area.text == "Hello Sabine,\n\nAnna Berger"
        assert area.cursor_location == (1, 0)  # where the template put its mark
        await pilot.press(*"Could you send us the order number?")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, CaseScreen)
    detail = anna.case_detail(case_id)
    assert detail is not None and (detail.case.status, detail.case.priority) == ("pending", "low")
    assert "waiting" in detail.case.tags
    outbox = _outbox(anna)
    assert [(op, entity) for op, entity, _ in outbox] == [
        ("update", "case"),
        ("create", "message"),
        ("create", "macro_use"),
    ]
    assert outbox[1][2]["body"] == (
        "Hello Sabine,\nCould you send us the order number?\nAnna Berger"
    )


async def test_a_macro_on_a_selection_says_how_many_and_applies_once(
    anna: Desk, settings: Settings
) -> None:
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(CaseTable)
        await pilot.press("space", "j", "space", "j", "space")
        selected = sorted(table.selected)
        assert len(selected) == 3
        await pilot.press("m", *"vip", "enter")
        await settle(app, pilot)
        preview = app.screen
        assert isinstance(preview, MacroPreview)
        summary = str(preview.query_one("#macro-summary").render())
        assert summary.startswith("Mark VIP changes ") and "of 3 cases" in summary
        assert not preview.query(TextArea)  # a selection shows a sample, not an editor
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    changed = {
        fields.get("case_id") for op, entity, fields in _outbox(anna) if entity == "macro_use"
    }
    already = {c for c in selected if "vip" in anna.case_detail(c).case.tags}  # type: ignore[union-attr]
    assert changed <= set(selected) and already == set(selected)


async def test_escape_in_the_preview_writes_nothing(
    anna: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, ids("case", 1))
        await pilot.press("m", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MacroPreview)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
    assert _outbox(anna) == []


async def test_snippets_expand_on_tab_and_from_the_picker(
    anna: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    app = make_app(settings, anna, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, ids("case", 1))
        composer = screen.query_one(Composer)
        await pilot.press("r", *";greet", "tab")
        assert composer.text == "Hello Sabine, "
        await pilot.press(*"your parcel is on its way.")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, FuzzyPicker)
        await pilot.press(*"sig", "enter")
        await pilot.pause()
        assert (
            composer.text == "Hello Sabine, your parcel is on its way.\nKind regards\nAnna Berger"
        )
        # An unknown shortcut leaves tab to the text area (focus moves on).
        await pilot.press("ctrl+a", "ctrl+k", *";nope", "tab")
        assert composer.text.endswith(";nope")
