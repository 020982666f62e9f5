"""Desk commands and the outbox, on real store files (no server): one transaction per command
with the local row and its outbox row, consecutive mids, durability across reopening, the
rules checked before anything is written, and pending edits replayed over pulled pages."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from csm_tui.desk import Desk
from csm_tui.domain.models import Agent, Case, Message, Queue, to_wire
from csm_tui.errors import CsmError
from csm_tui.store import outbox
from csm_tui.store.apply import apply_page
from csm_tui.sync.wire import ChangeRow, ChangesPage, FieldConflict, MutationResult

NOW = datetime(2026, 11, 20, 9, 0)


def clock() -> datetime:
    return NOW


def _case(i: int, **kw) -> Case:  # type: ignore[no-untyped-def]
    values = {
        "id": f"c{i}",
        "number": f"CS-{10000 + i}",
        "subject": f"Subject {i}",
        "status": "open",
        "tags": ["billing"],
        "created_at": NOW,
        "updated_at": NOW,
        "version": 3,
        **kw,
    }
    return Case(**values)


def _seed(path: Path) -> None:
    rows = [ChangeRow(seq=0, entity="case", id=c.id, fields=to_wire(c)) for c in _cases()]
    rows.append(
        ChangeRow(
            seq=0, entity="queue", id="q1", fields=to_wire(Queue(id="q1", slug="b", name="B"))
        )
    )
    rows.append(
        ChangeRow(
            seq=0,
            entity="agent",
            id="a1",
            fields=to_wire(Agent(id="a1", handle="anna", name="Anna Berger")),
        )
    )
    desk = Desk.open(path, clock=clock)
    try:
        apply_page(
            desk.store,
            ChangesPage(rows=rows, cursor="d.10", more=False, snapshot=True),
            synced_at=NOW,
        )
    finally:
        desk.close()


def _cases() -> list[Case]:
    return [
        _case(1),
        _case(2, status="solved"),
        _case(3, status="closed"),
        _case(4, status="new"),
    ]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite3"
    _seed(path)
    return path


@pytest.fixture
def desk(store: Path):  # type: ignore[no-untyped-def]
    desk = Desk.open(store, agent_handle="anna", clock=clock)
    yield desk
    desk.close()


def _outbox(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT mid, op, entity, entity_id, base_version, fields, base FROM outbox ORDER BY mid"
        ).fetchall()


def _state(path: Path, key: str) -> str | None:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def test_each_command_writes_the_row_and_one_outbox_row_with_consecutive_mids(
    desk: Desk, store: Path
) -> None:
    desk.update_case("c1", priority="high", tags=["billing", "vip"])
    case = desk.case_detail("c1").case  # type: ignore[union-attr]
    assert (case.priority, case.tags) == ("high", ("billing", "vip"))
    rows = _outbox(store)
    assert len(rows) == 1
    mid, op, entity, entity_id, base_version, fields, base = rows[0]
    assert (mid, op, entity, entity_id, base_version) == (1, "update", "case", "c1", 3)
    assert json.loads(fields) == {"priority": "high", "tags": ["billing", "vip"]}
    assert json.loads(base) == {"priority": "normal", "tags": ["billing"]}

    message_id = desk.add_message("c1", "internal", "Checked the ledger.")
    messages = desk.case_detail("c1").messages  # type: ignore[union-attr]
    assert [(m.id, m.kind, m.author, m.body) for m in messages] == [
        (message_id, "internal", "anna", "Checked the ledger.")
    ]
    new_id = desk.create_case(subject="Lost card", contact_id=None, queue_id="q1", note="Called.")
    created = desk.case_detail(new_id)
    assert created is not None
    assert created.case.number == f"NEW-{new_id[:8]}" and created.case.status == "new"
    assert [m.body for m in created.messages] == ["Called."]

    rows = _outbox(store)
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert [(r[1], r[2]) for r in rows] == [
        ("update", "case"),
        ("create", "message"),
        ("create", "case"),
        ("create", "message"),
    ]
    assert "number" not in json.loads(rows[2][5])  # the server assigns the number
    assert _state(store, "next_mid") == "5"
    assert desk.pending_count() == 4 and desk.status.pending == 4


def test_the_outbox_survives_closing_and_reopening_the_store(desk: Desk, store: Path) -> None:
    desk.update_case("c1", subject="Refund for order 4711")
    client_id = _state(store, "client_id")
    desk.close()

    again = Desk.open(store, clock=clock)
    try:
        assert again.pending_count() == 1
        assert again.case_detail("c1").case.subject == "Refund for order 4711"  # type: ignore[union-attr]
        again.update_case("c1", priority="low")
        assert [r[0] for r in _outbox(store)] == [1, 2]
        assert _state(store, "client_id") == client_id
    finally:
        again.close()


@pytest.mark.parametrize(
    ("case_id", "fields", "sentence"),
    [
        ("c4", {"status": "closed"}, "A new case cannot move to closed directly"),
        ("c1", {"status": "new"}, "A case cannot go back to new once it has been worked on."),
        ("c3", {"status": "open"}, "A closed case takes no more updates"),
        ("c3", {"priority": "high"}, "A closed case takes no more updates"),
        ("c1", {"priority": "asap"}, "'asap' is not a priority; use one of low, normal"),
        ("c1", {"number": "CS-1"}, "A case has no editable field number"),
        ("c1", {"subject": "  "}, "A case needs a subject"),
        ("c1", {"queue_id": "nope"}, "There is no queue with id nope"),
        ("c9", {"priority": "high"}, "That case is not in the local store"),
    ],
)
def test_a_refused_edit_writes_nothing_and_says_why(
    desk: Desk, store: Path, case_id: str, fields: dict, sentence: str
) -> None:
    before = desk.case_detail(case_id)
    with pytest.raises(CsmError) as raised:
        desk.update_case(case_id, **fields)
    assert sentence in str(raised.value)
    assert desk.case_detail(case_id) == before
    assert _outbox(store) == []
    assert _state(store, "next_mid") in (None, "1")


def test_a_message_needs_a_kind_a_body_and_an_open_case(desk: Desk, store: Path) -> None:
    with pytest.raises(CsmError, match="public reply or an internal note"):
        desk.add_message("c1", "customer", "Hi")
    with pytest.raises(CsmError, match="empty message"):
        desk.add_message("c1", "public", " \n ")
    with pytest.raises(CsmError, match="closed case"):
        desk.add_message("c3", "public", "Hello")
    assert _outbox(store) == []


def test_an_unchanged_value_queues_nothing(desk: Desk, store: Path) -> None:
    desk.update_case("c1", priority="normal", subject="Subject 1")
    assert _outbox(store) == []


def test_replay_keeps_pending_values_over_a_pulled_page(desk: Desk, store: Path) -> None:
    desk.update_case("c1", priority="urgent")
    message_id = desk.add_message("c1", "public", "On its way.")
    # Someone else changed the case; the page brings their priority and subject, and our
    # own message as the server stored it (same id).
    page = ChangesPage(
        rows=[
            ChangeRow(
                seq=11,
                entity="case",
                id="c1",
                fields={"priority": "low", "subject": "Changed elsewhere", "version": 4},
            ),
            ChangeRow(
                seq=12,
                entity="message",
                id=message_id,
                fields=to_wire(
                    Message(
                        id=message_id,
                        case_id="c1",
                        kind="public",
                        author_name="Anna Berger",
                        body="On its way.",
                        created_at=NOW,
                    )
                ),
            ),
        ],
        cursor="d.12",
        more=False,
    )
    applied = apply_page(desk.store, page, synced_at=NOW)
    assert applied.replayed == 2
    case = desk.case_detail("c1")
    assert case is not None
    assert case.case.priority == "urgent"  # mine, still pending
    assert case.case.subject == "Changed elsewhere"  # theirs, not edited here
    assert case.case.version == 4
    assert [m.id for m in case.messages] == [message_id]  # never a duplicate
    # The pulled value is kept: it is what shows if the server refuses the edit.
    (entry,) = [e for e in outbox.pending(desk._outbox().read()) if e.entity == "case"]
    # (Besides the server's updated_at from before the edit: see test_push_engine.)
    assert {k: v for k, v in entry.server.items() if k != "updated_at"} == {"priority": "low"}


def _settle(desk: Desk, results: list[MutationResult]) -> outbox.Settled:
    with desk._outbox().transaction() as conn:
        entries = outbox.pending(conn)
        return outbox.settle(conn, entries, results, last_mid=max(r.mid for r in results), now=NOW)


def test_results_settle_the_outbox(desk: Desk, store: Path) -> None:
    desk.update_case("c1", priority="high")  # 1: ok
    desk.update_case("c2", subject="Mine")  # 2: conflict
    desk.update_case("c4", priority="urgent")  # 3: error
    message_id = desk.add_message("c4", "public", "Hello")  # 4: error
    desk.update_case("c4", priority="low")  # 5: still pending after the error of 3
    settled = _settle(
        desk,
        [
            MutationResult(mid=1, status="ok", version=4),
            MutationResult(
                mid=2,
                status="conflict",
                conflicts=[
                    FieldConflict(
                        field="subject",
                        mine="Mine",
                        theirs="Theirs",
                        by="Ben",
                        at="2026-11-20T08:00:00",
                    )
                ],
            ),
            MutationResult(mid=3, status="error", reason="No, not like that."),
            MutationResult(mid=4, status="error", reason="That case is closed."),
        ],
    )
    assert (settled.ok, settled.conflicts, settled.rejected) == (1, 1, 2)
    assert [r[0] for r in _outbox(store)] == [5]
    assert desk.case_detail("c2").case.subject == "Theirs"  # type: ignore[union-attr]
    (conflict,) = desk.conflicts()
    assert (conflict.case_number, conflict.field, conflict.mine, conflict.theirs, conflict.by) == (
        "CS-10002",
        "subject",
        "Mine",
        "Theirs",
        "Ben",
    )
    # The refused priority went back to the base, then the later pending edit shows again.
    assert desk.case_detail("c4").case.priority == "low"  # type: ignore[union-attr]
    assert [m.id for m in desk.case_detail("c4").messages] == []  # type: ignore[union-attr]
    assert message_id not in str(desk.case_detail("c4"))
    rejected = desk.rejected()
    assert [(r.case_number, r.reason) for r in rejected] == [
        ("CS-10004", "No, not like that."),
        ("CS-10004", "That case is closed."),
    ]
    assert desk.status.conflicts == 1 and desk.status.rejected == 2 and desk.status.pending == 1
    desk.dismiss_rejected(rejected[0].id)
    assert len(desk.rejected()) == 1

    # Keep theirs: no mutation; keep mine: a new update based on theirs.
    desk.resolve_conflict(conflict.id, "mine")
    assert desk.conflicts() == []
    assert desk.case_detail("c2").case.subject == "Mine"  # type: ignore[union-attr]
    last = _outbox(store)[-1]
    assert (last[0], last[3], json.loads(last[5]), json.loads(last[6])) == (
        6,
        "c2",
        {"subject": "Mine"},
        {"subject": "Theirs"},
    )
    with pytest.raises(CsmError, match="already resolved"):
        desk.resolve_conflict(conflict.id, "theirs")


def test_an_error_restores_the_newest_server_value_seen(desk: Desk) -> None:
    desk.update_case("c1", priority="urgent")
    page = ChangesPage(
        rows=[ChangeRow(seq=11, entity="case", id="c1", fields={"priority": "high", "version": 4})],
        cursor="d.11",
        more=False,
    )
    apply_page(desk.store, page, synced_at=NOW)
    assert desk.case_detail("c1").case.priority == "urgent"  # type: ignore[union-attr]
    _settle(desk, [MutationResult(mid=1, status="error", reason="Refused.")])
    # Not the stale base ("normal"): the server holds "high", and no pull will repeat it.
    assert desk.case_detail("c1").case.priority == "high"  # type: ignore[union-attr]


def test_keep_theirs_and_resolve_all(desk: Desk, store: Path) -> None:
    desk.update_case("c1", priority="high")
    desk.update_case("c4", status="open")
    _settle(
        desk,
        [
            MutationResult(
                mid=1,
                status="conflict",
                conflicts=[FieldConflict(field="priority", mine="high", theirs="low")],
            ),
            MutationResult(
                mid=2,
                status="conflict",
                conflicts=[FieldConflict(field="status", mine="open", theirs="solved")],
            ),
        ],
    )
    assert desk.case_detail("c1").case.priority == "low"  # type: ignore[union-attr]
    first = desk.conflicts()[0]
    desk.resolve_conflict(first.id, "theirs")
    assert _outbox(store) == []
    assert desk.case_detail("c1").case.priority == "low"  # type: ignore[union-attr]
    # "open" from "solved" is allowed (reopen), so keep mine queues it.
    desk.resolve_all("mine")
    assert desk.conflicts() == []
    assert [json.loads(r[5]) for r in _outbox(store)] == [{"status": "open"}]


def test_keep_mine_that_the_rules_forbid_now_is_refused(desk: Desk, store: Path) -> None:
    desk.update_case("c4", status="open")
    _settle(
        desk,
        [
            MutationResult(
                mid=1,
                status="conflict",
                conflicts=[FieldConflict(field="status", mine="open", theirs="closed")],
            )
        ],
    )
    with pytest.raises(CsmError, match="1 conflict could not be kept as yours"):
        desk.resolve_all("mine")
    assert len(desk.conflicts()) == 1 and _outbox(store) == []


def test_counts_on_a_store_that_does_not_exist_yet(tmp_path: Path) -> None:
    desk = Desk(tmp_path / "none.sqlite3")
    try:
        assert (desk.status.pending, desk.status.conflicts, desk.status.rejected) == (0, 0, 0)
        assert desk.conflicts() == [] and desk.rejected() == [] and desk.agent is None
        # A first edit creates the store's tables; a case made offline is one transaction.
        case_id = desk.create_case(subject="Walk-in", contact_id=None)
        assert desk.pending_count() == 1 and desk.case_detail(case_id) is not None
    finally:
        desk.close()


def test_a_refused_phone_case_takes_back_its_new_contact_too(desk: Desk) -> None:
    case_id = desk.open_phone_case(
        subject="Card swallowed",
        new_contact={"first_name": "Ida", "last_name": "Kraus", "phone": "+49 30 1"},
        note="Called from Berlin",
    )
    (contact,) = desk.find_contacts("Kraus")
    assert contact.customer_number.startswith("NEW-")
    refused = "The case server refused this caller."
    _settle(
        desk,
        [
            MutationResult(mid=1, status="error", reason=refused),
            MutationResult(mid=2, status="error", reason="There is no such contact."),
            MutationResult(mid=3, status="error", reason="There is no such case."),
        ],
    )
    assert desk.find_contacts("Kraus") == [] and desk.case_detail(case_id) is None
    assert desk.rejected()[0].reason == refused


def test_replayed_creates_keep_their_provisional_numbers(desk: Desk) -> None:
    case_id = desk.open_phone_case(
        subject="Card swallowed", new_contact={"first_name": "Ida", "last_name": "Kraus"}
    )
    contact_id = desk.find_contacts("Kraus")[0].id
    # A resync from scratch empties the tables; the pending creates come back on replay.
    with desk._outbox().transaction() as conn:
        conn.execute('DELETE FROM "case"')
        conn.execute("DELETE FROM contact")
        outbox.replay(conn, {("contact", contact_id), ("case", case_id)})
    assert desk.find_contacts("Kraus")[0].customer_number == f"NEW-{contact_id[:8]}"
    assert desk.case_detail(case_id).case.number == f"NEW-{case_id[:8]}"  # type: ignore[union-attr]
