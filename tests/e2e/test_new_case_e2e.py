"""A phone case with a new caller, made while the case server cannot be reached, reaches the
server with the next sync: contact, case (channel phone, a real CS- number) and note, and
the desk then shows the server's case and customer numbers. Real server, real desks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from csm_tui.desk import Desk
from csm_tui.errors import CsmError
from csm_tui.server.process import ServerProcess, free_port
from csm_tui.sync.client import CaseServerClient
from tests.sync_support import SyncServer, prepare_server_db, start_server

pytestmark = pytest.mark.e2e

NEW_CALLER = {
    "first_name": "Kari",
    "last_name": "Nordmann",
    "phone": "+47 22 12 34 56",
    "email": "kari.nordmann@example.no",
    "language": "en",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SyncServer]:
    srv = start_server(tmp_path)
    yield srv
    srv.close()


def server_records(srv: SyncServer, case_id: str) -> tuple[tuple, tuple, list[tuple]]:  # type: ignore[type-arg]
    """(case, its contact, its messages) as the server's database holds them."""
    (case,) = srv.query(
        "SELECT number, subject, channel, status, priority, queue_id, contact_id, assignee_id "
        "FROM 'case' WHERE id = ?",
        case_id,
    )
    (contact,) = srv.query(
        "SELECT id, first_name, last_name, phone, email, language, customer_number "
        "FROM contact WHERE id = ?",
        case[6],
    )
    messages = srv.query(
        "SELECT kind, body, author_name FROM message WHERE case_id = ? ORDER BY created_at", case_id
    )
    return case, contact, messages


def test_a_phone_case_made_while_the_server_is_down_is_pushed_when_it_is_back(
    server: SyncServer,
) -> None:
    desk = server.desk("phone")
    desk.sync()  # the desk knows its queues and who it is
    queue = desk.queues()[0]
    server.process.stop()  # the port is closed now

    case_id = desk.open_phone_case(
        subject="Card swallowed by an ATM",
        new_contact=NEW_CALLER,
        queue_id=queue.id,
        priority="high",
        note="Caller is at the ATM in Hamburg; card blocked.",
    )
    with pytest.raises(CsmError):
        desk.sync()
    assert desk.status.state == "offline" and desk.status.pending == 3
    local = desk.case_detail(case_id)
    assert local is not None and local.case.number == f"NEW-{case_id[:8]}"
    assert local.customer is not None and local.customer.customer_number.startswith("NEW-")

    server.restart()
    report = desk.sync()
    assert report is not None
    assert desk.status.pending == 0 and desk.status.rejected == 0 and desk.status.conflicts == 0

    case, contact, messages = server_records(server, case_id)
    number, subject, channel, status, priority, queue_id, contact_id, assignee_id = case
    assert re.fullmatch(r"CS-\d{5,}", number)
    assert (subject, channel, status, priority, queue_id) == (
        "Card swallowed by an ATM",
        "phone",
        "new",
        "high",
        queue.id,
    )
    me = desk.agent
    assert me is not None and assignee_id == me[0]
    assert contact[1:6] == (
        "Kari",
        "Nordmann",
        "+47 22 12 34 56",
        "kari.nordmann@example.no",
        "en",
    )
    customer_number = contact[6]
    assert re.fullmatch(r"K-\d{7}", customer_number)
    assert messages == [("internal", "Caller is at the ATM in Hamburg; card blocked.", me[2])]

    # The desk shows the server's numbers now (pulled after the push).
    shown = desk.case_detail(case_id)
    assert shown is not None and shown.case.number == number
    assert shown.customer is not None and shown.customer.customer_number == customer_number
    assert [c.id for c in desk.find_contacts(customer_number)] == [contact_id]

    # Another agent's desk sees the same case and caller.
    other = server.desk("other", "anna.schmidt")
    other.sync()
    seen = other.case_detail(case_id)
    assert seen is not None and seen.case.number == number and seen.case.channel == "phone"
    assert seen.customer is not None and seen.customer.name == "Kari Nordmann"


def test_a_desk_that_never_reached_the_server_can_take_a_call(tmp_path: Path) -> None:
    """No server started yet: a cold desk makes the case; the server starts; a sync
    pushes it and the server fills in the author and the numbers."""
    db_path = tmp_path / "server" / "cases.sqlite3"
    db_path.parent.mkdir(parents=True)
    db_url = f"sqlite:///{db_path}"
    tokens = prepare_server_db(db_url, cases=5, new_agents=("erik.hansen",))
    port = free_port()
    client = CaseServerClient(f"http://127.0.0.1:{port}", tokens["erik.hansen"], timeout=5)
    desk = Desk.open(tmp_path / "cold.sqlite3", client=client, agent_handle="erik.hansen")
    process = ServerProcess(db_url, log_file=tmp_path / "server" / "server.log", port=port)
    try:
        case_id = desk.open_phone_case(subject="Router down", new_contact=NEW_CALLER)
        with pytest.raises(CsmError):
            desk.sync()
        assert desk.pending_count() == 2  # contact and case; no note was written

        process.start()
        desk.sync()
        assert desk.pending_count() == 0 and desk.status.rejected == 0
        srv = SyncServer(tmp_path, db_path, process, tokens)
        case, contact, messages = server_records(srv, case_id)
        assert re.fullmatch(r"CS-\d{5,}", case[0]) and case[2] == "phone"
        assert case[7] is None  # nobody was known to assign it to
        assert re.fullmatch(r"K-\d{7}", contact[6]) and messages == []
        shown = desk.case_detail(case_id)
        assert shown is not None and shown.case.number == case[0]
        assert shown.customer is not None and shown.customer.customer_number == contact[6]
    finally:
        desk.close()
        process.stop()
