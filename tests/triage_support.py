"""A small real store for the queue triage tests, filled the way a sync fills it: one
snapshot page through ``apply_page`` (so the search index is built by its triggers).

Hand-countable cases (NOW is 2026-11-20 09:00 UTC; "me" is Anna when signed in)::

    id  subject                 status   prio    chan   queue    assignee  tags          contact
    c1  Refund for order 4711   open     urgent  email  billing  anna      vip, refund   p1
    c2  Card blocked abroad     new      high    phone  cards    -         -             p2
    c3  Überweisung fehlt       pending  normal  email  billing  ben       refund        p1
    c4  Invoice copy            solved   low     web    billing  anna      -             p2
    c5  Password reset          closed   normal  chat   cards    anna      vip           p2
    c6  App crashes             on_hold  urgent  sms    -        anna      -             -
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from csm_tui.desk import Desk
from csm_tui.domain.models import Agent, Case, Contact, Message, Queue, to_wire
from csm_tui.store.apply import apply_page
from csm_tui.sync.wire import ChangeRow, ChangesPage

NOW = datetime(2026, 11, 20, 9, 0)


def clock() -> datetime:
    return NOW


def _case(i: int, **kw: Any) -> Case:
    values: dict[str, Any] = {
        "id": f"c{i}",
        "number": f"CS-{10000 + i}",
        "version": 1,
        **kw,
    }
    return Case(**values)


CASES = [
    _case(
        1,
        subject="Refund for order 4711",
        status="open",
        priority="urgent",
        channel="email",
        queue_id="q-billing",
        assignee_id="a-anna",
        tags=["vip", "refund"],
        contact_id="p1",
        created_at=NOW - timedelta(days=5),
        updated_at=NOW - timedelta(hours=1),
    ),
    _case(
        2,
        subject="Card blocked abroad",
        status="new",
        priority="high",
        channel="phone",
        queue_id="q-cards",
        assignee_id=None,
        tags=[],
        contact_id="p2",
        created_at=NOW - timedelta(days=2),
        updated_at=NOW - timedelta(hours=3),
    ),
    _case(
        3,
        subject="Überweisung fehlt",
        status="pending",
        priority="normal",
        channel="email",
        queue_id="q-billing",
        assignee_id="a-ben",
        tags=["refund"],
        contact_id="p1",
        created_at=NOW - timedelta(days=10),
        updated_at=NOW - timedelta(days=2),
    ),
    _case(
        4,
        subject="Invoice copy",
        status="solved",
        priority="low",
        channel="web",
        queue_id="q-billing",
        assignee_id="a-anna",
        tags=[],
        contact_id="p2",
        created_at=NOW - timedelta(days=1, hours=2),
        updated_at=NOW - timedelta(minutes=30),
    ),
    _case(
        5,
        subject="Password reset",
        status="closed",
        priority="normal",
        channel="chat",
        queue_id="q-cards",
        assignee_id="a-anna",
        tags=["vip"],
        contact_id="p2",
        created_at=NOW - timedelta(days=20),
        updated_at=NOW - timedelta(days=15),
    ),
    _case(
        6,
        subject="App crashes",
        status="on_hold",
        priority="urgent",
        channel="sms",
        queue_id=None,
        assignee_id="a-anna",
        tags=[],
        contact_id=None,
        created_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(hours=6),
    ),
]

MESSAGES = [
    Message(
        id="m1",
        case_id="c2",
        kind="customer",
        body="My card was blocked in Spain, please help.",
        created_at=NOW - timedelta(days=2),
    ),
    Message(
        id="m2",
        case_id="c3",
        kind="customer",
        body="Die Überweisung von letzter Woche ist nicht angekommen.",
        created_at=NOW - timedelta(days=10),
    ),
    Message(
        id="m3",
        case_id="c3",
        kind="public",
        body="We are checking with the bank.",
        created_at=NOW - timedelta(days=9),
    ),
]

OTHERS = [
    Queue(id="q-billing", slug="billing", name="Billing"),
    Queue(id="q-cards", slug="cards", name="Cards & Fraud"),
    Agent(id="a-anna", handle="anna.schmidt", name="Anna Schmidt", team="DE-1"),
    Agent(id="a-ben", handle="ben", name="Ben Okafor", team="DE-2"),
    Contact(id="p1", customer_number="K-0001", first_name="Jürgen", last_name="Müller"),
    Contact(id="p2", customer_number="K-0002", first_name="Zoë", last_name="Smith"),
]


def rows_of(*models: Any) -> list[ChangeRow]:
    return [ChangeRow(seq=0, entity=m.entity, id=m.id, fields=to_wire(m)) for m in models]


def pull(
    desk: Desk, rows: list[ChangeRow], *, snapshot: bool = False, cursor: str = "d.20"
) -> None:
    """Apply a pulled page to the desk's store, as the sync engine does."""
    apply_page(
        desk.store,
        ChangesPage(rows=rows, cursor=cursor, more=False, snapshot=snapshot),
        synced_at=NOW,
    )


def build(path: Path, *, signed_in: bool = True) -> Path:
    desk = Desk.open(path, clock=clock)
    try:
        pull(desk, rows_of(*OTHERS, *CASES, *MESSAGES), snapshot=True, cursor="d.10")
    finally:
        desk.close()
    if signed_in:
        sign_in(path)
    return path


def sign_in(path: Path, agent: tuple[str, str, str] = ("a-anna", "anna.schmidt", "Anna")) -> None:
    """What the first sync records about the agent the token belongs to."""
    with sqlite3.connect(path) as conn:
        for key, value in zip(("agent_id", "agent_handle", "agent_name"), agent, strict=True):
            conn.execute(
                "INSERT INTO sync_state (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def outbox_rows(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT mid, op, entity, entity_id, fields, base FROM outbox ORDER BY mid"
        ).fetchall()
