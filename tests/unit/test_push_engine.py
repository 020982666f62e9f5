"""Push against the real case server (a child process on loopback): results settle the
outbox, faults of the network or the server never lose, reorder or double an edit, conflicts
and refusals reach the agent, pending edits survive pulls and a full resync."""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csm_tui.desk import Desk
from csm_tui.errors import CsmError
from csm_tui.server.push import CLOSED_DETAIL
from csm_tui.store.apply import CURSOR_KEY, get_state, set_state
from csm_tui.sync.engine import ServerBehind
from csm_tui.sync.wire import MAX_PUSH_MUTATIONS, Mutation, PushRequest
from tests.sync_support import (
    FaultyTransport,
    SyncServer,
    local_case,
    open_case,
    other_than,
    server_case,
    start_server,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    srv = start_server(tmp_path_factory.mktemp("push"))
    yield srv
    srv.close()


_names = iter(range(10_000))


def _fresh(server: SyncServer, handle: str = "demo", transport=None):  # type: ignore[no-untyped-def]
    desk = server.desk(f"desk-{handle}-{next(_names)}", handle, transport)
    desk.sync()
    return desk


def _pending(desk) -> list[int]:  # type: ignore[no-untyped-def]
    return [r[0] for r in desk.reader._all("SELECT mid FROM outbox ORDER BY mid")]


def test_first_sync_learns_the_agent_and_push_ok_clears_the_outbox(server: SyncServer) -> None:
    desk = server.desk("first")
    assert desk.agent is None
    desk.sync()
    (agent_id,) = server.query("SELECT id FROM agent WHERE handle = 'demo'")[0]
    assert desk.agent == (agent_id, "demo", "Demo Agent")

    case_id = open_case(desk)
    desk.update_case(case_id, priority="urgent", tags=["refund", "vip"])
    message_id = desk.add_message(case_id, "public", "We refunded you today.")
    new_id = desk.create_case(subject="Card lost on holiday", contact_id=None, note="Called in.")
    assert desk.pending_count() == 4

    report = desk.sync()
    assert (report.pushed, report.conflicts, report.rejected) == (4, 0, 0)
    assert desk.pending_count() == 0
    assert local_case(desk, case_id) == server_case(server, case_id)
    assert server_case(server, case_id)["priority"] == "urgent"
    # The server wrote the message as this agent; the pull upserted the same id.
    assert server.query("SELECT author_agent_id, body FROM message WHERE id = ?", message_id) == [
        (agent_id, "We refunded you today.")
    ]
    assert desk.reader._all("SELECT count(*) FROM message WHERE id = ?", (message_id,)) == [(1,)]
    # The new case now has the server's number and its note, once.
    created = local_case(desk, new_id)
    assert created["number"].startswith("CS-") and created == server_case(server, new_id)
    assert len(desk.case_detail(new_id).messages) == 1  # type: ignore[union-attr]


@pytest.mark.parametrize("fault", ["drop_reply", "error_500", "drop_request", "duplicate"])
def test_a_fault_on_the_way_never_loses_or_doubles_an_edit(server: SyncServer, fault: str) -> None:
    transport = FaultyTransport()
    desk = _fresh(server, transport=transport)
    case_id = open_case(desk)
    version = server_case(server, case_id)["version"]
    desk.update_case(case_id, subject=f"After {fault}")
    message_id = desk.add_message(case_id, "internal", f"Note through {fault}")
    transport.plan = [fault]

    if fault == "duplicate":
        report = desk.sync()  # the server answers the second copy from its stored results
        assert report.pushed == 2
    else:
        with pytest.raises(CsmError) as raised:
            desk.sync()
        assert "\n" not in str(raised.value)
        assert _pending(desk) == [1, 2]  # nothing lost, nothing reordered
        assert local_case(desk, case_id)["subject"] == f"After {fault}"
        desk.sync()  # the same mids again

    assert _pending(desk) == []
    assert server_case(server, case_id)["subject"] == f"After {fault}"
    assert server_case(server, case_id)["version"] == version + 1  # applied once
    assert server.query("SELECT count(*) FROM message WHERE id = ?", message_id) == [(1,)]
    assert local_case(desk, case_id) == server_case(server, case_id)


def test_edits_made_while_a_push_is_in_flight_stay_queued(server: SyncServer) -> None:
    transport = FaultyTransport(plan=["hold"])
    desk = _fresh(server, transport=transport)
    case_id = open_case(desk)
    first = other_than(local_case(desk, case_id)["priority"])
    second = other_than(local_case(desk, case_id)["priority"], first)
    desk.update_case(case_id, priority=first)
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            desk.sync()
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    worker = threading.Thread(target=sync)
    worker.start()
    assert transport.holding.wait(30)
    desk.update_case(case_id, priority=second)  # while mid 1 is on the wire
    transport.release.set()
    worker.join(30)
    assert errors == []
    # Mid 1 settled without touching mid 2, which the same sync then sent on its own.
    sent = [[m["mid"] for m in json.loads(r.content)["mutations"]] for r in transport.pushes]
    assert sent == [[1], [2]]
    assert _pending(desk) == []
    assert local_case(desk, case_id)["priority"] == second
    assert server_case(server, case_id)["priority"] == second


def test_large_outboxes_go_in_gzip_batches_in_mid_order(server: SyncServer) -> None:
    transport = FaultyTransport()
    desk = _fresh(server, transport=transport)
    case_id = open_case(desk)
    for i in range(MAX_PUSH_MUTATIONS + 5):
        desk.add_message(case_id, "internal", f"Batch note {i:03d} " + "x" * 20)
    report = desk.sync()
    assert report.pushed == MAX_PUSH_MUTATIONS + 5
    bodies = []
    for request in transport.pushes:
        assert request.headers["content-encoding"] == "gzip"
        bodies.append(json.loads(gzip.decompress(request.content)))
    mids = [[m["mid"] for m in body["mutations"]] for body in bodies]
    assert [len(m) for m in mids] == [MAX_PUSH_MUTATIONS, 5]
    assert [mid for batch in mids for mid in batch] == list(range(1, MAX_PUSH_MUTATIONS + 6))
    notes = server.query(
        "SELECT body FROM message WHERE case_id = ? AND body LIKE 'Batch note %'", case_id
    )
    assert len(notes) == MAX_PUSH_MUTATIONS + 5


def test_long_messages_go_in_batches_the_server_accepts(server: SyncServer) -> None:
    transport = FaultyTransport()
    desk = _fresh(server, transport=transport)
    case_id = open_case(desk)
    # 40 notes of 90,000 characters: 3.6 MB of JSON, more than one push may carry.
    for i in range(40):
        desk.add_message(case_id, "internal", f"Long note {i:02d} " + "abcdefghij" * 9_000)
    report = desk.sync()
    assert report.pushed == 40 and desk.pending_count() == 0
    assert len(transport.pushes) >= 2
    assert all(len(r.content) < 4 * 1024 * 1024 for r in transport.pushes)
    assert server.query(
        "SELECT count(*) FROM message WHERE case_id = ? AND body LIKE 'Long note %'", case_id
    ) == [(40,)]


def test_conflicts_show_theirs_and_resolve_both_ways(server: SyncServer) -> None:
    mine = _fresh(server)
    theirs = _fresh(server, "anna.schmidt")
    case_id = open_case(mine)
    other_id = open_case(mine, status="pending")
    start = server_case(server, case_id)
    their_p = other_than(start["priority"])
    my_p = other_than(start["priority"], their_p)
    other_start = server_case(server, other_id)["priority"]
    their_other = other_than(other_start)
    my_other = other_than(other_start, their_other)

    theirs.update_case(case_id, priority=their_p, subject="Their subject", tags=["theirs"])
    theirs.update_case(other_id, priority=their_other)
    theirs.sync()
    mine.update_case(case_id, priority=my_p, tags=["mine"])  # priority clashes, tags merge
    mine.update_case(other_id, priority=my_other)
    report = mine.sync()

    assert (report.pushed, report.conflicts, report.rejected) == (2, 2, 0)
    conflicts = {c.entity_id: c for c in mine.conflicts()}
    assert set(conflicts) == {case_id, other_id}
    c = conflicts[case_id]
    assert (c.field, c.mine, c.theirs, c.by) == ("priority", my_p, their_p, "Anna Schmidt")
    assert c.case_number == start["number"]
    local = local_case(mine, case_id)
    assert local["priority"] == their_p  # theirs shows until resolved
    # Tags merged three-way: both removed the old ones, each added one.
    assert sorted(local["tags"]) == ["mine", "theirs"]
    assert local == server_case(server, case_id)
    assert mine.status.conflicts == 2

    mine.resolve_conflict(c.id, "mine")
    mine.resolve_conflict(conflicts[other_id].id, "theirs")
    assert mine.conflicts() == [] and mine.pending_count() == 1
    report = mine.sync()
    assert (report.pushed, report.conflicts) == (1, 0)
    assert server_case(server, case_id)["priority"] == my_p
    assert server_case(server, other_id)["priority"] == their_other
    assert local_case(mine, other_id) == server_case(server, other_id)
    theirs.sync()
    assert local_case(theirs, case_id)["priority"] == my_p


def test_keeping_theirs_after_a_newer_pull_shows_the_newer_value(server: SyncServer) -> None:
    # Found by tests/e2e/test_jepsen.py: the conflict row's "theirs" is the server's value
    # when the push was answered; a later pull may have brought a newer one.
    mine = _fresh(server)
    theirs = _fresh(server, "anna.schmidt")
    case_id = open_case(mine)
    start = local_case(mine, case_id)["priority"]
    their_first = other_than(start)
    my_value = other_than(start, their_first)
    their_second = other_than(start, their_first, my_value)
    theirs.update_case(case_id, priority=their_first)
    theirs.sync()
    mine.update_case(case_id, priority=my_value)
    mine.sync()
    (conflict,) = mine.conflicts()
    assert conflict.theirs == their_first
    theirs.update_case(case_id, priority=their_second)
    theirs.sync()
    mine.sync()
    assert local_case(mine, case_id)["priority"] == their_second

    mine.resolve_conflict(conflict.id, "theirs")
    assert mine.pending_count() == 0
    assert local_case(mine, case_id) == server_case(server, case_id)
    assert local_case(mine, case_id)["priority"] == their_second


def _updated_at(desk, case_id: str) -> str:  # type: ignore[no-untyped-def]
    ((value,),) = desk.reader._all('SELECT updated_at FROM "case" WHERE id = ?', (case_id,))
    return str(value)


def _server_updated_at(server: SyncServer, case_id: str) -> str:
    ((value,),) = server.query("SELECT updated_at FROM 'case' WHERE id = ?", case_id)
    return str(value)


def _skewed_desk(server: SyncServer, hours: int = 3):  # type: ignore[no-untyped-def]
    """A desk whose clock is off, so that its local times differ from the server's."""
    desk = Desk.open(
        server.tmp / f"skewed-{next(_names)}.sqlite3",
        client=server.client(),
        agent_handle="demo",
        clock=lambda: datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=hours),
    )
    server.opened.append(desk)
    desk.sync()
    return desk


def test_keep_mine_that_conflicts_again_leaves_the_server_time(server: SyncServer) -> None:
    # Found by tests/e2e/test_jepsen.py: an edit the server answers with a conflict writes
    # nothing there and no change comes back by pull, so the desk's own edit time must not
    # stay on the row (the queue sorts by it).
    mine = _skewed_desk(server)
    theirs = _fresh(server, "anna.schmidt")
    case_id = open_case(mine)
    start = local_case(mine, case_id)["priority"]
    first = other_than(start)
    my_value = other_than(start, first)
    second = other_than(start, first, my_value)
    theirs.update_case(case_id, priority=first)
    theirs.sync()
    mine.update_case(case_id, priority=my_value)
    mine.sync()
    theirs.update_case(case_id, priority=second)
    theirs.sync()
    mine.sync()  # pulls "second"
    (conflict,) = mine.conflicts()
    mine.resolve_conflict(conflict.id, "mine")  # based on "first": conflicts again
    report = mine.sync()
    assert report.conflicts == 1
    assert local_case(mine, case_id) == server_case(server, case_id)
    assert _updated_at(mine, case_id) == _server_updated_at(server, case_id)


def test_edits_conflicting_with_an_already_pulled_change_leave_the_server_time(
    server: SyncServer,
) -> None:
    # A pull while edits wait (a sync running as the agent types) brings the other change;
    # the edits then conflict, nothing is written on the server and nothing comes back.
    mine = _skewed_desk(server)
    theirs = _fresh(server, "anna.schmidt")
    case_id = open_case(mine)
    start = local_case(mine, case_id)["priority"]
    first = other_than(start)
    their_value = other_than(start, first)
    second = other_than(start, first, their_value)
    mine.update_case(case_id, priority=first)
    theirs.update_case(case_id, priority=their_value)
    theirs.sync()
    mine._sync_engine().pull()
    assert _updated_at(mine, case_id) == _server_updated_at(server, case_id)
    mine.update_case(case_id, priority=second)
    report = mine.sync()
    assert (report.pushed, report.conflicts) == (2, 2)
    assert local_case(mine, case_id) == server_case(server, case_id)
    assert _updated_at(mine, case_id) == _server_updated_at(server, case_id)


def test_a_refused_edit_is_rejected_and_taken_back(server: SyncServer) -> None:
    mine = _fresh(server)
    lead = _fresh(server, "anna.schmidt")
    case_id = open_case(mine, status="solved")
    before = local_case(mine, case_id)
    lead.update_case(case_id, status="closed")
    lead.sync()

    mine.update_case(case_id, subject="Edited too late")
    message_id = mine.add_message(case_id, "public", "One more thing")
    report = mine.sync()
    assert (report.pushed, report.rejected) == (2, 2)
    assert mine.pending_count() == 0
    rejected = mine.rejected()
    assert [(r.case_number, r.reason) for r in rejected] == [(before["number"], CLOSED_DETAIL)] * 2
    after = local_case(mine, case_id)
    assert after["subject"] == before["subject"] and after["status"] == "closed"
    assert mine.reader._all("SELECT count(*) FROM message WHERE id = ?", (message_id,)) == [(0,)]
    assert server.query("SELECT count(*) FROM message WHERE id = ?", message_id) == [(0,)]
    mine.dismiss_rejected(rejected[0].id)
    assert mine.status.rejected == 1


def test_chained_edits_refused_together_show_what_the_server_holds(server: SyncServer) -> None:
    # Found by tests/e2e/test_jepsen.py: the second edit's base is the first edit's value,
    # which the server never accepted; taking both back must end on the server's value.
    mine = _fresh(server)
    lead = _fresh(server, "anna.schmidt")
    case_id = open_case(mine, status="solved")
    start = local_case(mine, case_id)["priority"]
    first = other_than(start)
    second = other_than(start, first)
    lead.update_case(case_id, status="closed")
    lead.sync()

    mine.update_case(case_id, priority=first)
    mine.update_case(case_id, priority=second)
    mine.update_case(case_id, tags=["chained"])
    report = mine.sync()
    assert (report.pushed, report.rejected) == (3, 3)
    assert local_case(mine, case_id) == server_case(server, case_id)
    assert local_case(mine, case_id)["priority"] == start


def test_a_pull_keeps_pending_edits_visible(server: SyncServer) -> None:
    mine = _fresh(server)
    other = _fresh(server, "anna.schmidt")
    case_id = open_case(mine, status="on_hold")
    my_p = other_than(local_case(mine, case_id)["priority"])
    mine.update_case(case_id, priority=my_p)
    other.update_case(case_id, subject="Renamed by Anna")
    other.sync()

    report = mine._sync_engine().pull()  # a pull alone, the edit still queued
    assert case_id in report.case_ids
    local = local_case(mine, case_id)
    assert (local["priority"], local["subject"]) == (my_p, "Renamed by Anna")
    assert mine.pending_count() == 1
    mine.sync()
    assert server_case(server, case_id)["priority"] == my_p
    assert server_case(server, case_id)["subject"] == "Renamed by Anna"


def test_a_full_resync_after_410_keeps_the_outbox_then_pushes_it(server: SyncServer) -> None:
    desk = _fresh(server)
    case_id = open_case(desk)
    my_p = other_than(local_case(desk, case_id)["priority"])
    desk.update_case(case_id, priority=my_p, tags=["resync"])
    set_state(desk.store, CURSOR_KEY, "d.999999999")  # past the server's log: 410

    report = desk._sync_engine().pull()
    assert report.full_resync
    assert desk.pending_count() == 1
    assert local_case(desk, case_id)["priority"] == my_p  # replayed over the snapshot
    assert get_state(desk.store, CURSOR_KEY) != "d.999999999"

    report = desk.sync()
    assert report.pushed == 1 and desk.pending_count() == 0
    assert server_case(server, case_id)["tags"] == ["resync"]


def test_a_server_that_lost_our_edits_stops_with_a_sentence_and_keeps_them(
    server: SyncServer,
) -> None:
    desk = _fresh(server)
    case_id = open_case(desk)
    desk.update_case(case_id, subject="Behind 1")
    desk.update_case(case_id, subject="Behind 2")
    desk.sync()
    desk.update_case(case_id, subject="Behind 3")
    client_id = desk.reader.state("client_id")
    # The server was restored from a backup taken before this desk's first push.
    with sqlite3.connect(server.db_path) as conn:
        conn.execute("DELETE FROM client_state WHERE client_id = ?", (client_id,))
        conn.execute("DELETE FROM push_result WHERE client_id = ?", (client_id,))

    with pytest.raises(ServerBehind) as raised:
        desk.sync()
    assert "reset or restored" in str(raised.value) and "1 pending edit" in str(raised.value)
    assert _pending(desk) == [3]
    assert local_case(desk, case_id)["subject"] == "Behind 3"


def test_mids_the_server_already_holds_are_dropped_and_the_rest_sent(
    server: SyncServer, tmp_path: Path
) -> None:
    desk = _fresh(server)
    case_id = open_case(desk)
    for n in (1, 2, 3):
        desk.update_case(case_id, subject=f"Held {n}")
    entries = desk.reader._all("SELECT mid, fields, base, base_version FROM outbox ORDER BY mid")
    # Mids 1 and 2 reached the server on another path (the desk never saw the reply), and
    # the desk's outbox lost mid 2 (settled separately): the batch [1, 3] has a gap.
    client = server.client()
    client.push(
        PushRequest(
            client_id=desk.reader.state("client_id"),
            mutations=[
                Mutation(
                    mid=mid,
                    op="update",
                    entity="case",
                    id=case_id,
                    base_version=bv,
                    fields=json.loads(f),
                    base=json.loads(b),
                )
                for mid, f, b, bv in entries[:2]
            ],
        )
    )
    client.close()
    with desk._outbox().transaction() as conn:
        conn.execute("DELETE FROM outbox WHERE mid = 2")

    report = desk.sync()
    assert _pending(desk) == []
    assert report.pushed == 2  # mid 1 dropped as held, mid 3 applied
    assert server_case(server, case_id)["subject"] == "Held 3"
