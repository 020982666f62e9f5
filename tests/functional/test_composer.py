"""The case screen's composer: reply vs note, send variants, drafts, mentions, the traffic
cop, the customer's other cases and folded messages. A real store; no server (e2e pushes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session
from textual.widgets import OptionList

from csm_tui.app import make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.domain.enums import MessageKind
from csm_tui.domain.models import Message
from csm_tui.screens import case as case_screen
from csm_tui.screens.case import CaseScreen
from csm_tui.screens.traffic_cop import TrafficCopModal
from csm_tui.widgets.composer import Composer, ComposerArea
from csm_tui.widgets.message_view import MessageView
from csm_tui.widgets.other_cases import OtherCases
from csm_tui.widgets.timeline import Timeline
from tests.functional.conftest import HOSTILE_BODY, NOW
from tests.functional.pilot_support import open_case, settle

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def _instant_drafts(monkeypatch: pytest.MonkeyPatch) -> None:
    # Drafts are written after a pause in typing; the tests wait for the worker instead.
    monkeypatch.setattr(case_screen, "DRAFT_DEBOUNCE", 0.0)


def _outbox(desk: Desk) -> list[tuple]:
    with desk.store.connect() as conn:
        return list(conn.exec_driver_sql("SELECT op, entity, fields FROM outbox ORDER BY mid"))


def _status(desk: Desk, case_id: str) -> str:
    detail = desk.case_detail(case_id)
    assert detail is not None
    return detail.case.status


async def test_reply_and_note_look_different_and_send(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    case_id = ids("case", 1)  # open
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, case_id)
        composer = screen.query_one(Composer)
        assert not composer.display or composer.has_class("-hidden")
        before = len(screen.query(MessageView))
        await pilot.press("r")
        assert composer.has_class("-public") and not composer.has_class("-hidden")
        assert "PUBLIC REPLY" in str(composer.query_one("#composer-kind").render())
        assert isinstance(app.focused, ComposerArea)
        await pilot.press("ctrl+t")
        assert composer.has_class("-internal") and not composer.has_class("-public")
        assert "INTERNAL NOTE" in str(composer.query_one("#composer-kind").render())
        composer.area.insert(HOSTILE_BODY)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        views = list(screen.query(MessageView))
        assert len(views) == before + 1
        assert views[-1].message.kind == "internal" and "\x1b" not in views[-1].body_text
        assert composer.has_class("-hidden") and composer.text == ""
        assert isinstance(app.focused, Timeline)
        assert [row[:2] for row in _outbox(desk)] == [("create", "message")]
        assert desk.draft(case_id) is None


@pytest.mark.parametrize(("key", "status"), [("ctrl+g", "pending"), ("ctrl+l", "solved")])
async def test_send_and_set_the_status_in_one_go(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str], key: str, status: str
) -> None:
    case_id = ids("case", 1)
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, case_id)
        await pilot.press("r", *"We refunded it.")
        await pilot.press(key)
        await settle(app, pilot)
        assert _status(desk, case_id) == status
        assert [row[:2] for row in _outbox(desk)] == [("update", "case"), ("create", "message")]


async def test_a_public_reply_opens_a_new_case(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    case_id = ids("case", 0)  # new
    assert _status(desk, case_id) == "new"
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, case_id)
        await pilot.press("r", *"Hello", "ctrl+s")
        await settle(app, pilot)
        assert _status(desk, case_id) == "open"


async def test_a_refused_send_keeps_the_text_and_the_draft(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    case_id = ids("case", 5)  # closed
    assert _status(desk, case_id) == "closed"
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, case_id)
        await pilot.press("r", *"Still there?")
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        composer = screen.query_one(Composer)
        assert composer.text == "Still there?" and not composer.has_class("-hidden")
        assert _outbox(desk) == []
        draft = desk.draft(case_id)
        assert draft is not None and draft.body == "Still there?"
        assert any("closed" in n.message for n in app._notifications)


async def test_drafts_are_kept_as_you_type_and_come_back(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    case_id = ids("case", 2)
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, case_id)
        await pilot.press("n", *"half a thought")
        await settle(app, pilot)
        draft = desk.draft(case_id)
        assert draft is not None and (draft.kind, draft.body) == ("internal", "half a thought")
        await pilot.press("escape")  # leaves the composer; the draft stays
        assert isinstance(app.focused, Timeline)
        await pilot.press("escape")  # back to the queue
        await pilot.pause()
        assert not isinstance(app.screen, CaseScreen)
    # A new desk process on the same store: the draft is back, composer shown, same kind.
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, case_id)
        composer = screen.query_one(Composer)
        assert not composer.has_class("-hidden")
        assert (composer.kind, composer.text) == ("internal", "half a thought")
        assert any("draft" in n.message for n in app._notifications)
        await pilot.press("n", "end", *" and the rest")
        await settle(app, pilot)
        assert desk.draft(case_id).body == "half a thought and the rest"  # type: ignore[union-attr]
        # Emptying the composer drops the draft.
        composer.clear()
        await settle(app, pilot)
        assert desk.draft(case_id) is None


async def test_mentions_complete_handles_in_notes_only(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, ids("case", 1))
        composer = screen.query_one(Composer)
        mentions = composer.query_one("#mentions", OptionList)
        await pilot.press("n", *"Please check @ch")
        assert composer.mentioning and mentions.has_class("-open")
        offered = [mentions.get_option_at_index(i).id for i in range(mentions.option_count)]
        assert offered == ["chloe"]
        await pilot.press("tab")
        assert composer.text == "Please check @chloe "
        assert not composer.mentioning
        # Handles first, then a word of a name (Anna Berger); up/down steer, enter inserts.
        await pilot.press(*"and @b")
        offered = [mentions.get_option_at_index(i).id for i in range(mentions.option_count)]
        assert offered == ["ben", "anna"]
        await pilot.press("down", "up", "enter")
        assert composer.text == "Please check @chloe and @ben "
        # Escape closes the list without leaving the composer.
        await pilot.press(*"@d", "escape")
        assert not composer.mentioning and isinstance(app.focused, ComposerArea)
        # No completion in a public reply.
        await pilot.press("ctrl+t", "space", *"@a")
        assert composer.kind == "public" and not composer.mentioning


def _customer_writes(desk: Desk, case_id: str, body: str) -> str:
    message = Message(
        case_id=case_id,
        kind=MessageKind.CUSTOMER,
        author_name="Jürgen Müller",
        body=body,
        created_at=NOW + timedelta(minutes=5),
    )
    with Session(desk.store) as session:
        session.add(message)
        session.commit()
        return message.id


async def test_the_traffic_cop_shows_what_arrived_before_a_reply_goes(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    case_id = ids("case", 1)
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, case_id)
        await pilot.press("r", *"Your refund is on its way.")
        # A pull brings a new customer message while the agent writes.
        _customer_writes(desk, case_id, "Actually, I found the parcel [b]today[/b].")
        app.cases_changed_signal.publish({case_id})
        await pilot.pause()
        assert screen.query_one(Composer).text == "Your refund is on its way."
        await pilot.press("ctrl+s")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, TrafficCopModal)
        shown = [v.body_text for v in modal.query(MessageView)]
        assert shown == ["Actually, I found the parcel [b]today[/b]."]
        await pilot.press("escape")  # back to the draft: nothing sent
        await pilot.pause()
        assert app.screen is screen and isinstance(app.focused, ComposerArea)
        assert _outbox(desk) == []
        await pilot.press("ctrl+a", "ctrl+k", *"Glad you found it!", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, TrafficCopModal)
        await pilot.press("ctrl+s")  # send anyway
        await settle(app, pilot)
        assert [row[:2] for row in _outbox(desk)] == [("create", "message")]
        assert '"Glad you found it!"' in _outbox(desk)[0][2]
        # Seen now: the next reply goes without asking.
        await pilot.press("r", *"PS", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen and len(_outbox(desk)) == 2


async def test_notes_and_own_replies_do_not_stop_a_reply(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    case_id = ids("case", 1)
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, case_id)
        await pilot.press("n", *"internal first", "ctrl+s")
        await settle(app, pilot)
        await pilot.press("r", *"then the reply", "ctrl+s")
        await settle(app, pilot)
        await pilot.press("r", *"and one more", "ctrl+s")
        await settle(app, pilot)
        assert len(_outbox(desk)) == 3


async def test_the_customers_other_cases_are_one_key_away(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    # Contact 0 has cases 0, 6, 12, ... (every sixth).
    case_id = ids("case", 0)
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, case_id)
        others = screen.query_one(OtherCases)
        expected = {ids("case", n) for n in range(6, 40, 6)}
        assert {c.id for c in others.cases} == expected
        open_first = [c.status not in ("solved", "closed") for c in others.cases]
        assert open_first == sorted(open_first, reverse=True)
        assert others.border_title == f"Other cases ({len(expected)})"
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen) and app.screen.case_id == others.cases[1].id
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("9")
        assert any("no other case 9" in n.message for n in app._notifications)


async def test_long_messages_fold_but_the_newest_does_not(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    case_id = ids("case", 3)
    long_body = "\n".join(f"line {i}" for i in range(40))
    _customer_writes(desk, case_id, long_body)  # the newest: shown whole
    with Session(desk.store) as session:
        session.add(
            Message(
                case_id=case_id,
                kind=MessageKind.CUSTOMER,
                author_name="x",
                body=long_body,
                created_at=NOW - timedelta(days=30),
            )
        )
        session.commit()
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, case_id)
        views = list(screen.query(MessageView))
        assert views[0].folded and not views[-1].folded
        assert "32 more lines" in str(views[0].query_one(".message-body").render())
        await pilot.press("z")
        await pilot.pause()
        assert not any(v.folded for v in screen.query(MessageView))


async def test_tasks_for_other_teams_from_the_case_screen(
    desk: Desk, settings: Settings, ids: Callable[[str, int], str]
) -> None:
    from csm_tui.screens.task_modal import TaskModal
    from csm_tui.widgets.task_list import TaskList

    case_id = ids("case", 1)
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(app, pilot, case_id)
        tasks = screen.query_one(TaskList)
        assert tasks.border_title == "Tasks (0/0)"
        await pilot.press("t")
        assert isinstance(app.screen, TaskModal)
        await pilot.press("down", "enter", *"Refund the double charge", "enter", *"+2d", "enter")
        await settle(app, pilot)
        assert app.screen is screen
        (task,) = desk.case_detail(case_id).tasks  # type: ignore[union-attr]
        assert (task.team, task.title) == ("billing", "Refund the double charge")
        assert task.state == "open"
        assert tasks.border_title == "Tasks (1/1)"
        tasks.focus()
        await pilot.press("x")
        await settle(app, pilot)
        assert desk.case_detail(case_id).tasks[0].state == "done"  # type: ignore[union-attr]
        assert [row[:2] for row in _outbox(desk)] == [("create", "task"), ("update", "task")]
