"""Bulk and single edits from the queue, and undo, on a real store file
(tests/triage_support.py has the cases)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from csm_tui.desk import UNDO_DEPTH, Desk
from csm_tui.errors import CsmError
from tests.triage_support import build, clock, outbox_rows

CLOSED = "A closed case takes no more updates; a reply creates a follow-up case instead."


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return build(tmp_path / "store.sqlite3")


@pytest.fixture
def desk(store: Path) -> Iterator[Desk]:
    desk = Desk(store, clock=clock)
    yield desk
    desk.close()


def field(desk: Desk, case_id: str, name: str) -> object:
    detail = desk.case_detail(case_id)
    assert detail is not None
    return getattr(detail.case, name)


def test_n_cases_become_n_outbox_mutations(desk: Desk, store: Path) -> None:
    result = desk.set_priority(["c2", "c3", "c6"], "urgent")
    assert result.changed == ["c2", "c3"] and result.unchanged == ["c6"] and result.skipped == []
    rows = outbox_rows(store)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (1, "update", "case", "c2"),
        (2, "update", "case", "c3"),
    ]
    assert [json.loads(r[4]) for r in rows] == [{"priority": "urgent"}] * 2
    assert [json.loads(r[5]) for r in rows] == [{"priority": "high"}, {"priority": "normal"}]
    assert field(desk, "c2", "priority") == "urgent"


def test_skipped_cases_say_why_and_do_not_stop_the_others(desk: Desk, store: Path) -> None:
    result = desk.set_status(["c1", "c5", "c2", "nope"], "pending")
    assert result.changed == ["c1", "c2"]
    assert result.skipped == [
        ("c5", CLOSED),
        ("nope", "That case is not in the local store; sync and try again."),
    ]
    back = desk.set_status(["c1", "c4"], "new")
    assert back.changed == []
    assert [reason for _, reason in back.skipped] == [
        "A case cannot go back to new once it has been worked on.",
    ] * 2
    moved = desk.set_status(["c4"], "pending")
    assert moved.skipped == [
        ("c4", "A solved case cannot move to pending directly; allowed: closed, open.")
    ]
    assert len(outbox_rows(store)) == 2


def test_a_bad_value_writes_nothing(desk: Desk, store: Path) -> None:
    with pytest.raises(CsmError, match="'soon' is not a priority"):
        desk.set_priority(["c1", "c2"], "soon")
    with pytest.raises(CsmError, match="There is no agent with id ghost"):
        desk.assign(["c1", "c2"], "ghost")
    with pytest.raises(CsmError, match="A case has no editable field"):
        desk.update_cases(["c1"], colour="red")
    assert outbox_rows(store) == []
    assert desk.undo_last() is None


def test_update_cases_takes_several_fields(desk: Desk, store: Path) -> None:
    result = desk.update_cases(["c2", "c6"], queue_id="q-billing", priority="high")
    assert result.changed == ["c2", "c6"]
    fields = [json.loads(r[4]) for r in outbox_rows(store)]
    assert fields == [{"queue_id": "q-billing"}, {"queue_id": "q-billing", "priority": "high"}]
    assert desk.update_cases([], priority="low").changed == []


def test_assign_and_unassign(desk: Desk) -> None:
    assert desk.assign(["c2", "c3"], "a-anna").changed == ["c2", "c3"]
    assert field(desk, "c2", "assignee") == "Anna Schmidt"
    assert desk.assign(["c2"], None).changed == ["c2"]
    assert field(desk, "c2", "assignee") == ""


def test_tags_are_a_set_and_each_case_carries_its_own_list(desk: Desk, store: Path) -> None:
    result = desk.add_tags(["c1", "c2", "c3"], ["VIP", "#callback"])
    assert result.changed == ["c1", "c2", "c3"]
    rows = outbox_rows(store)
    assert [(r[3], json.loads(r[4]), json.loads(r[5])) for r in rows] == [
        ("c1", {"tags": ["vip", "refund", "callback"]}, {"tags": ["vip", "refund"]}),
        ("c2", {"tags": ["VIP", "callback"]}, {"tags": []}),
        ("c3", {"tags": ["refund", "VIP", "callback"]}, {"tags": ["refund"]}),
    ]
    again = desk.add_tags(["c1"], ["callback"])
    assert again.changed == [] and again.unchanged == ["c1"]
    removed = desk.remove_tags(["c1", "c2", "c4"], ["vip"])
    assert removed.changed == ["c1", "c2"] and removed.unchanged == ["c4"]
    assert field(desk, "c1", "tags") == ("refund", "callback")
    assert field(desk, "c2", "tags") == ("callback",)
    assert desk.add_tags(["c5"], ["x"]).skipped == [("c5", CLOSED)]


def test_take_needs_to_know_who_i_am(tmp_path: Path) -> None:
    store = build(tmp_path / "cold.sqlite3", signed_in=False)
    desk = Desk(store, clock=clock)
    try:
        with pytest.raises(CsmError) as err:
            desk.take(["c2"])
        assert str(err.value) == "Sync once so the desk knows who you are."
        assert outbox_rows(store) == []
    finally:
        desk.close()


def test_take_assigns_to_me(desk: Desk, store: Path) -> None:
    result = desk.take(["c2", "c3", "c1"])
    assert result.changed == ["c2", "c3"] and result.unchanged == ["c1"]
    assert [json.loads(r[4]) for r in outbox_rows(store)] == [{"assignee_id": "a-anna"}] * 2
    assert desk.undo_last() == "Undid: assigned to you on 2 cases."
    assert field(desk, "c2", "assignee") == "" and field(desk, "c3", "assignee") == "Ben Okafor"


def test_undo_a_single_edit(desk: Desk, store: Path) -> None:
    desk.update_case("c2", priority="urgent")
    assert desk.undo_last() == "Undid: priority urgent on 1 case."
    assert field(desk, "c2", "priority") == "high"
    rows = outbox_rows(store)
    assert [(json.loads(r[4]), json.loads(r[5])) for r in rows] == [
        ({"priority": "urgent"}, {"priority": "high"}),
        ({"priority": "high"}, {"priority": "urgent"}),
    ]
    assert desk.undo_last() is None  # an undo is not itself undone


def test_undo_a_bulk_edit(desk: Desk, store: Path) -> None:
    desk.set_status(["c1", "c3", "c6"], "solved")
    desk.set_priority(["c1", "c2", "c3"], "low")
    assert desk.undo_depth() == 2
    assert desk.undo_last() == "Undid: priority low on 3 cases."
    assert [field(desk, c, "priority") for c in ("c1", "c2", "c3")] == ["urgent", "high", "normal"]
    assert desk.undo_last() == "Undid: status solved on 3 cases."
    assert [field(desk, c, "status") for c in ("c1", "c3", "c6")] == ["open", "pending", "on_hold"]
    # 6 edits, 6 reverting ones, and solved -> pending / on hold go through open (the rules
    # allow no direct way back), so c3 and c6 take two mutations each.
    rows = outbox_rows(store)
    assert len(rows) == 14
    assert [json.loads(r[4]) for r in rows if r[3] == "c6"][-2:] == [
        {"status": "open"},
        {"status": "on_hold"},
    ]
    assert desk.undo_last() is None


def test_undo_leaves_fields_someone_changed_since(desk: Desk, store: Path) -> None:
    desk.set_priority(["c1", "c2", "c3"], "low")
    # Another writer (a pulled change, a colleague on this desk) sets c2 since.
    with sqlite3.connect(store) as conn:
        conn.execute("""UPDATE "case" SET priority = 'high' WHERE id = 'c2'""")
    assert desk.undo_last() == (
        "Undid: priority low on 2 of 3 cases "
        "(1 changed since or unable to go back were left alone)."
    )
    assert [field(desk, c, "priority") for c in ("c1", "c2", "c3")] == ["urgent", "high", "normal"]


def test_undo_that_cannot_go_back_says_so(desk: Desk) -> None:
    desk.set_status(["c2"], "open")  # c2 was new: it can never be new again
    assert desk.undo_last() == (
        "Nothing undone for status open on 1 case: each was changed since or cannot go back."
    )
    assert field(desk, "c2", "status") == "open"


def test_undo_of_tags_takes_back_only_what_it_added(desk: Desk) -> None:
    desk.add_tags(["c2"], ["callback"])
    desk.update_case("c2", tags=["callback", "fraud"])  # a later edit adds another
    desk.undo_last()  # takes back "fraud"
    desk.update_case("c2", tags=["callback", "vip"])
    desk.undo_last()
    assert field(desk, "c2", "tags") == ("callback",)
    desk.remove_tags(["c1"], ["vip"])
    desk.undo_last()
    assert set(field(desk, "c1", "tags")) == {"vip", "refund"}  # type: ignore[arg-type]


def test_the_undo_stack_survives_a_restart_and_keeps_the_last_20(store: Path) -> None:
    desk = Desk(store, clock=clock)
    for i in range(UNDO_DEPTH + 5):
        desk.set_priority(["c2"], "low" if i % 2 == 0 else "high")
    assert desk.undo_depth() == UNDO_DEPTH
    desk.close()
    desk = Desk(store, clock=clock)
    try:
        assert desk.undo_depth() == UNDO_DEPTH
        last = desk.undo_last()
        assert last == "Undid: priority low on 1 case."
        assert field(desk, "c2", "priority") == "high"
    finally:
        desk.close()
