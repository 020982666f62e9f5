"""A new phone case from the desk: the caller search (``find_contacts``), ``create_contact``
and ``open_phone_case`` on a real store file (tests/triage_support.py, plus the contacts
below), offline; and the server assigning customer numbers to contacts a desk created."""

from __future__ import annotations

import json
import socket
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from csm_tui.desk import Desk, check_new_contact, check_phone_case
from csm_tui.domain.models import Account, Agent, Contact
from csm_tui.errors import CsmError
from csm_tui.server import push as server_push
from csm_tui.server.auth import add_agent
from csm_tui.server.db import init_db, make_engine
from csm_tui.sync.client import CaseServerClient
from csm_tui.sync.wire import PushRequest
from tests.triage_support import build, clock, outbox_rows, pull, rows_of

MORE = [
    Account(id="acc1", name="Nordlicht GmbH"),
    Contact(
        id="p3",
        customer_number="K-0003",
        first_name="Fatma",
        last_name="Yılmaz",
        email="fatma.yilmaz@example.de",
        phone="+49 40 5550123",
        language="de",
        account_id="acc1",
    ),
    Contact(
        id="p4",
        customer_number="K-0004",
        first_name="Ann",
        last_name="O'Brien",
        email="ann_obrien@example.com",
        phone="+44 20 7946 0018",
        language="en",
    ),
    Contact(id="p5", customer_number="K-0005", first_name="Percy", last_name="100% Sure"),
]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = build(tmp_path / "store.sqlite3")
    desk = Desk(path, clock=clock)
    try:
        pull(desk, rows_of(*MORE), cursor="d.11")
    finally:
        desk.close()
    return path


@pytest.fixture
def desk(store: Path) -> Iterator[Desk]:
    desk = Desk(store, clock=clock)
    yield desk
    desk.close()


def found(desk: Desk, text: Any, limit: int = 20) -> list[str]:
    return [c.id for c in desk.find_contacts(text, limit)]


def counts(path: Path) -> tuple[int, int, int, int, str]:
    """(contacts, cases, messages, outbox rows, next mid): what a failed command must leave."""
    with sqlite3.connect(path) as conn:
        one = [
            conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in ("contact", "case", "message", "outbox")
        ]
        mid = conn.execute("SELECT value FROM sync_state WHERE key = 'next_mid'").fetchone()
    return (*one, mid[0] if mid else "")  # type: ignore[return-value]


def outbox(path: Path) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [(op, entity, eid, json.loads(f)) for _, op, entity, eid, f, _ in outbox_rows(path)]


# -- find_contacts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("muller", ["p1"]),  # no umlaut typed
        ("MÜLLER", ["p1"]),
        ("mueller", ["p1"]),  # the German spelling without umlauts
        ("jurgen", ["p1"]),
        ("Jürgen Müller", ["p1"]),
        ("müller jürgen", ["p1"]),  # any order
        ("zoe", ["p2"]),
        ("yilmaz", ["p3"]),  # dotless i
        ("Yılmaz", ["p3"]),
        ("k-0003", ["p3"]),  # customer number
        ("FATMA.YILMAZ@example", ["p3"]),  # e-mail
        ("5550123", ["p3"]),  # phone, as written
        ("+49405550123", ["p3"]),  # phone, without spaces
        ("7946 0018", ["p4"]),
        ("ann o'brien", ["p4"]),
        ("ann müller", []),  # every word must match
        ("nordlicht", []),  # accounts are shown, not searched
    ],
)
def test_find_contacts_by_name_number_email_or_phone(desk: Desk, text: str, expected: list[str]):
    assert found(desk, text) == expected


def test_an_exact_customer_number_comes_first_then_names(desk: Desk) -> None:
    # by last name, diacritics folded: 100% Sure, Müller, O'Brien, Smith, Yilmaz
    assert found(desk, "k-000") == ["p5", "p1", "p4", "p2", "p3"]
    assert found(desk, "K-0003")[0] == "p3"
    assert found(desk, "fatma.yilmaz@example.de") == ["p3"]
    assert found(desk, "k-000", limit=2) == ["p5", "p1"]
    assert found(desk, "k-000", limit=0) == []


def test_a_found_contact_carries_what_the_picker_shows(desk: Desk) -> None:
    (row,) = desk.find_contacts("fatma")
    assert (row.id, row.name, row.customer_number, row.account, row.language) == (
        "p3",
        "Fatma Yılmaz",
        "K-0003",
        "Nordlicht GmbH",
        "de",
    )
    assert (row.email, row.phone) == ("fatma.yilmaz@example.de", "+49 40 5550123")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%", ["p5"]),  # a literal percent sign: only "100% Sure"
        ("_", ["p4"]),  # a literal underscore: only ann_obrien@
        ("'", ["p4"]),  # O'Brien
        ("%%", []),
        ("\\", []),
        ('"', []),
        ("' OR 1=1 --", []),
        ("'; DROP TABLE contact; --", []),
        ("*", []),
        ("[bold]", []),
        ("\x00", []),
        ("\x1b[2J", []),
        ("", []),
        ("   ", []),
        ("x" * 100_000, []),
        (" ".join(["a"] * 50), ["p4", "p3"]),  # the same word once
        ("f a t m y i l z qqq", ["p3"]),  # many words: the first eight count
    ],
)
def test_hostile_search_text_is_only_data(desk: Desk, text: str, expected: list[str]) -> None:
    assert found(desk, text) == expected
    assert len(found(desk, "k-000")) == 5  # nothing was dropped


def test_search_text_of_the_wrong_type_finds_nothing(desk: Desk) -> None:
    assert found(desk, None) == []
    assert found(desk, 42) == []


# -- create_contact ---------------------------------------------------------------------------


def test_create_contact_writes_the_row_and_its_outbox_create(desk: Desk, store: Path) -> None:
    contact_id = desk.create_contact(
        " Jana ", "Novák", email="jana@example.com", phone="+420 601 123 456", language="EN"
    )
    (row,) = desk.find_contacts("novak")
    assert row.id == contact_id
    assert (row.name, row.email, row.phone, row.language) == (
        "Jana Novák",
        "jana@example.com",
        "+420 601 123 456",
        "en",
    )
    assert row.customer_number == f"NEW-{contact_id[:8]}"  # until the server's arrives
    assert found(desk, row.customer_number) == [contact_id]
    assert outbox(store) == [
        (
            "create",
            "contact",
            contact_id,
            {
                "first_name": "Jana",
                "last_name": "Novák",
                "email": "jana@example.com",
                "phone": "+420 601 123 456",
                "language": "en",
                "account_id": None,
            },
        )
    ]


def test_create_contact_in_an_account(desk: Desk) -> None:
    contact_id = desk.create_contact("Ole", "Hansen", account_id="acc1")
    (row,) = desk.find_contacts("hansen")
    assert (row.id, row.account) == (contact_id, "Nordlicht GmbH")


@pytest.mark.parametrize(
    ("kwargs", "sentence"),
    [
        ({"first_name": "", "last_name": "  "}, "A new contact needs a name"),
        ({"email": "no-at.example"}, "is not an e-mail address"),
        ({"email": "a b@example.com"}, "is not an e-mail address"),
        ({"email": "@example.com"}, "is not an e-mail address"),
        ({"phone": "call me"}, "is not a phone number"),
        ({"phone": "1" * 65}, "at most 64 characters"),
        ({"last_name": "x" * 201}, "at most 200 characters"),
        ({"language": "fr"}, "is not a contact language"),
        ({"account_id": "acc-missing"}, "There is no account with id acc-missing"),
        ({"first_name": 7}, "must be text"),
    ],
)
def test_create_contact_refuses_bad_fields_and_writes_nothing(
    desk: Desk, store: Path, kwargs: dict[str, Any], sentence: str
) -> None:
    before = counts(store)
    values = {"first_name": "Eva", "last_name": "Berg", **kwargs}
    with pytest.raises(CsmError, match=sentence):
        desk.create_contact(**values)
    assert counts(store) == before


def test_check_new_contact_names_unknown_fields() -> None:
    with pytest.raises(CsmError, match="A new contact has no field customer_number"):
        check_new_contact({"last_name": "Berg", "customer_number": "K-1"})
    with pytest.raises(CsmError, match="is given as its fields"):
        check_new_contact(["Berg"])  # type: ignore[arg-type]


# -- open_phone_case --------------------------------------------------------------------------


def test_open_phone_case_for_a_known_caller(desk: Desk, store: Path) -> None:
    case_id = desk.open_phone_case(
        subject="  Card   blocked abroad ",
        contact_id="p3",
        queue_id="q-cards",
        priority="high",
        note="Called from Madrid.",
    )
    detail = desk.case_detail(case_id)
    assert detail is not None
    case = detail.case
    assert (case.subject, case.channel, case.status, case.priority, case.queue) == (
        "Card blocked abroad",
        "phone",
        "new",
        "high",
        "Cards & Fraud",
    )
    assert case.number == f"NEW-{case_id[:8]}"
    assert case.assignee == "Anna Schmidt"  # the signed-in agent takes the call
    assert detail.customer is not None and detail.customer.name == "Fatma Yılmaz"
    assert [(m.kind, m.body) for m in detail.messages] == [("internal", "Called from Madrid.")]
    rows = outbox(store)
    assert [(op, entity) for op, entity, _, _ in rows] == [
        ("create", "case"),
        ("create", "message"),
    ]
    assert rows[0][2] == case_id and rows[0][3]["contact_id"] == "p3"
    assert rows[0][3]["channel"] == "phone" and rows[0][3]["assignee_id"] == "a-anna"
    assert rows[1][3]["case_id"] == case_id and rows[1][3]["kind"] == "internal"


def test_open_phone_case_with_a_new_contact_in_one_transaction(desk: Desk, store: Path) -> None:
    writer = desk._outbox().read()
    statements: list[str] = []
    writer.set_trace_callback(statements.append)
    try:
        case_id = desk.open_phone_case(
            subject="Parcel lost",
            new_contact={"first_name": "Ola", "last_name": "Nordmann", "phone": "+47 22 1234"},
            note="First call.",
        )
    finally:
        writer.set_trace_callback(None)
    assert [s for s in statements if s.split()[0] in ("BEGIN", "COMMIT", "ROLLBACK")] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    rows = outbox(store)
    assert [(op, entity) for op, entity, _, _ in rows] == [
        ("create", "contact"),
        ("create", "case"),
        ("create", "message"),
    ]
    contact_id = rows[0][2]
    assert rows[0][3]["last_name"] == "Nordmann" and "customer_number" not in rows[0][3]
    assert rows[1][2] == case_id and rows[1][3]["contact_id"] == contact_id
    assert rows[2][3]["case_id"] == case_id
    with sqlite3.connect(store) as conn:
        mids = [r[0] for r in conn.execute("SELECT mid FROM outbox ORDER BY mid")]
    assert mids == [1, 2, 3]
    detail = desk.case_detail(case_id)
    assert detail is not None and detail.customer is not None
    assert (detail.customer.name, detail.customer.customer_number) == (
        "Ola Nordmann",
        f"NEW-{contact_id[:8]}",
    )
    assert detail.case.customer == "Ola Nordmann"


def test_a_new_case_is_found_by_its_new_callers_name(desk: Desk) -> None:
    from csm_tui.desk import CaseQuery

    case_id = desk.open_phone_case(
        subject="Parcel lost", new_contact={"first_name": "Ingrid", "last_name": "Solberg"}
    )
    assert [c.id for c in desk.case_window(0, 10, CaseQuery(search="solberg"))] == [case_id]


@pytest.mark.parametrize(
    ("kwargs", "sentence"),
    [
        ({"subject": "  "}, "A case needs a subject"),
        ({"subject": "x" * 501}, "at most 500 characters"),
        ({"contact_id": None, "new_contact": None}, "Who is calling"),
        (
            {"contact_id": "p1", "new_contact": {"last_name": "Berg"}},
            "one caller: pick a contact or add a new one, not both",
        ),
        ({"new_contact": {"first_name": ""}, "contact_id": None}, "A new contact needs a name"),
        ({"new_contact": {"last_name": "B", "tier": "gold"}, "contact_id": None}, "no field tier"),
        ({"priority": "asap"}, "'asap' is not a priority"),
        ({"contact_id": "p-missing"}, "There is no contact with id p-missing"),
        ({"queue_id": "q-missing"}, "There is no queue with id q-missing"),
        ({"note": "x" * 100_001}, "A message is at most"),
        ({"note": 5}, "An empty message is not saved"),
    ],
)
def test_open_phone_case_refuses_and_writes_nothing(
    desk: Desk, store: Path, kwargs: dict[str, Any], sentence: str
) -> None:
    before = counts(store)
    values: dict[str, Any] = {"subject": "Parcel lost", "contact_id": "p1", **kwargs}
    with pytest.raises(CsmError, match=sentence):
        desk.open_phone_case(**values)
    assert counts(store) == before


def test_a_failure_after_the_new_contact_takes_the_contact_back(desk: Desk, store: Path) -> None:
    before = counts(store)
    with pytest.raises(CsmError, match="There is no queue with id q-gone"):
        desk.open_phone_case(
            subject="Parcel lost",
            new_contact={"first_name": "Ola", "last_name": "Nordmann"},
            queue_id="q-gone",  # checked after the contact row is written
        )
    assert counts(store) == before
    assert found(desk, "nordmann") == []


def test_check_phone_case_is_pure_and_returns_what_the_desk_writes() -> None:
    checked, contact, note = check_phone_case(
        subject="Lost card", new_contact={"last_name": "Berg"}, priority="urgent", note=" hi "
    )
    assert checked == {"subject": "Lost card", "channel": "phone", "priority": "urgent"}
    assert contact is not None and contact["last_name"] == "Berg" and contact["language"] == "de"
    assert note == " hi "


def test_create_case_still_works_without_a_contact(desk: Desk, store: Path) -> None:
    case_id = desk.create_case(subject="Walk-in", contact_id=None, channel="web")
    detail = desk.case_detail(case_id)
    assert detail is not None and detail.case.channel == "web" and detail.customer is None
    assert [(op, entity) for op, entity, _, _ in outbox(store)] == [("create", "case")]


# -- offline ----------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_phone_case_is_made_offline_and_waits_in_the_outbox(store: Path) -> None:
    client = CaseServerClient(f"http://127.0.0.1:{closed_port()}", "token", timeout=2)
    desk = Desk.open(store, client=client, clock=clock)
    try:
        case_id = desk.open_phone_case(
            subject="Router down",
            new_contact={"first_name": "Kari", "last_name": "Nord", "email": "kari@example.no"},
            note="No internet since 8 am.",
        )
        with pytest.raises(CsmError):
            desk.sync()
        assert desk.status.state == "offline" and desk.status.pending == 3
        assert [(op, entity) for op, entity, _, _ in outbox(store)] == [
            ("create", "contact"),
            ("create", "case"),
            ("create", "message"),
        ]
        detail = desk.case_detail(case_id)
        assert detail is not None and detail.case.number.startswith("NEW-")
        assert [c.name for c in desk.find_contacts("kari")] == ["Kari Nord"]
    finally:
        desk.close()


# -- the server: customer numbers for contacts a desk created ---------------------------------


@pytest.fixture
def server_engine(server_db_url: str) -> Iterator[Engine]:
    """An empty server database (SQLite and PostgreSQL) with unevenly padded numbers."""
    engine = make_engine(server_db_url)
    init_db(engine)
    with Session(engine) as session:
        session.add(Contact(id=str(uuid.uuid4()), customer_number="K-0099999", last_name="A"))
        session.add(Contact(id=str(uuid.uuid4()), customer_number="K-100000", last_name="B"))
        session.add(Contact(id=str(uuid.uuid4()), customer_number="K-NOTANUMBER", last_name="C"))
        session.add(Contact(id=str(uuid.uuid4()), customer_number="K-" + "9" * 30, last_name="D"))
        session.add(Contact(id=str(uuid.uuid4()), customer_number="X-999999999", last_name="E"))
        session.commit()
    add_agent(engine, "bea", "Bea Berger")
    yield engine
    engine.dispose()


def push_contacts(engine: Engine, *fields: dict[str, Any]) -> list[Any]:
    with Session(engine) as session:
        agent = session.exec(select(Agent).where(Agent.handle == "bea")).one()
    mutations = [
        {"mid": i + 1, "op": "create", "entity": "contact", "id": str(uuid.uuid4()), "fields": f}
        for i, f in enumerate(fields)
    ]
    request = PushRequest.model_validate({"client_id": "desk-0001", "mutations": mutations})
    reply = server_push.push(engine, agent, request)
    return [(m["id"], r) for m, r in zip(mutations, reply.results, strict=True)]


def test_the_server_assigns_customer_numbers_the_desk_did_not_send(server_engine: Engine):
    results = push_contacts(
        server_engine,
        {"first_name": "Ola", "last_name": "Nordmann", "language": "de"},
        {"last_name": "Berg", "customer_number": "  "},
        {"last_name": "Own", "customer_number": "K-7"},
    )
    assert [r.status for _, r in results] == ["ok", "ok", "ok"]
    with Session(server_engine) as session:
        numbers = [session.get(Contact, cid).customer_number for cid, _ in results]  # type: ignore[union-attr]
    # one above the highest by value (K-100000), never twice; a given number is kept
    assert numbers == ["K-0100001", "K-0100002", "K-7"]
