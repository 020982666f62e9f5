"""Fixtures for the Pilot tests: real SQLite stores under ``tmp_path`` with fixed data and a
fixed clock, so what the screens show (and the snapshots) never depends on today's date."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlmodel import Session

from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.domain.enums import CaseStatus, Channel, MessageKind, Priority, SupportTier
from csm_tui.domain.models import Account, Agent, Case, Contact, Message, Queue
from csm_tui.sync.client import CaseServerClient

NOW = datetime(2026, 11, 20, 9, 0)

HOSTILE_SUBJECT = "[bold red]x[/] \x1b[2J pay now [link=http://evil.example]click[/link]"
HOSTILE_BODY = (
    "Copy this: \x1b]52;c;SGVsbG8=\x07 then \x1b[31mred\x1b[0m and [b]bold?[/b] "
    "\x1b]8;;http://evil.example\x07link\x1b]8;;\x07 ring\x07 \x9b31m end"
)
HOSTILE_NAME = "[i]Mallory[/i]\x1b[5m"


def fixed_clock() -> datetime:
    return NOW


def _id(kind: str, n: int) -> str:
    """Stable UUIDs, so every run (and every snapshot) sees the same rows."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"csm-test/{kind}/{n}"))


QUEUES = [
    ("de-billing", "DE Billing", "DE"),
    ("en-support", "EN Support", "GB"),
    ("de-delivery", "DE Delivery", "DE"),
]
AGENTS = [
    ("anna", "Anna Berger"),
    ("ben", "Ben Okafor"),
    ("chloe", "Chloé Martin"),
    ("dirk", "Dirk Hansen"),
]
CONTACTS = [
    ("Jürgen", "Müller", "de", "juergen.mueller@example.de", "+49 30 1234567"),
    ("Sabine", "Schmidt", "de", "s.schmidt@example.de", "+49 89 7654321"),
    ("Emily", "Clarke", "en", "emily.clarke@example.co.uk", "+44 20 7946 0018"),
    ("Oliver", "Hughes", "en", "o.hughes@example.com", "+44 161 496 0753"),
    ("Fatma", "Yılmaz", "de", "fatma.yilmaz@example.de", "+49 40 5550123"),
    ("Grace", "Turner", "en", "grace@turner.example", "+1 555 0100"),
]
ACCOUNTS = [
    ("Müller Haushalt", SupportTier.STANDARD),
    ("Nordlicht GmbH", SupportTier.GOLD),
    ("Clarke & Sons Ltd", SupportTier.PLATINUM),
]
SUBJECTS = [
    "Rechnung doppelt abgebucht",
    "Parcel never arrived",
    "Kündigung zum Monatsende",
    "Cannot log in after password reset",
    "Lieferung beschädigt angekommen",
    "Refund for cancelled order still missing",
    "Adresse ändern für nächste Lieferung",
    "Invoice shows the wrong VAT number",
]
STATUSES = list(CaseStatus)
PRIORITIES = [Priority.NORMAL, Priority.HIGH, Priority.LOW, Priority.URGENT, Priority.NORMAL]
CHANNELS = list(Channel)


def _add_people(session: Session) -> None:
    for i, (slug, name, country) in enumerate(QUEUES):
        session.add(
            Queue(
                id=_id("queue", i),
                slug=slug,
                name=name,
                country=country,
                updated_at=NOW - timedelta(days=90),
            )
        )
    for i, (handle, name) in enumerate(AGENTS):
        session.add(
            Agent(
                id=_id("agent", i),
                handle=handle,
                name=name,
                email=f"{handle}@desk.example",
                updated_at=NOW - timedelta(days=90),
            )
        )
    for i, (name, tier) in enumerate(ACCOUNTS):
        session.add(
            Account(id=_id("account", i), name=name, tier=tier, updated_at=NOW - timedelta(days=90))
        )
    for i, (first, last, lang, email, phone) in enumerate(CONTACTS):
        session.add(
            Contact(
                id=_id("contact", i),
                account_id=_id("account", i % len(ACCOUNTS)),
                customer_number=f"K-{20001 + i}",
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                language=lang,
                updated_at=NOW - timedelta(days=90),
            )
        )


def _messages_for(n: int, case_id: str, created: datetime, contact: int) -> list[Message]:
    """2-5 messages per case, cycling through every kind."""
    customer = f"{CONTACTS[contact][0]} {CONTACTS[contact][1]}"
    agent = AGENTS[n % len(AGENTS)][1]
    plan: list[tuple[MessageKind, str, str]] = [
        (
            MessageKind.CUSTOMER,
            customer,
            f"Hello,\nthis is about case number {n + 1}. {SUBJECTS[n % len(SUBJECTS)]}.\nThanks",
        ),
        (MessageKind.EVENT, "system", "Status changed from new to open"),
        (
            MessageKind.INTERNAL,
            agent,
            f"Checked the ledger for case {n + 1}; billing must confirm.",
        ),
        (MessageKind.PUBLIC, agent, f"Dear {customer},\nwe are looking into it.\nKind regards"),
        (MessageKind.CUSTOMER, customer, "Any news? It has been a while."),
    ]
    count = 2 + n % 4
    return [
        Message(
            id=_id(f"message-{n}", k),
            case_id=case_id,
            kind=kind,
            author_name=author,
            body=body,
            created_at=created + timedelta(minutes=37 * (k + 1)),
        )
        for k, (kind, author, body) in enumerate(plan[:count])
    ]


def build_cases(session: Session, count: int = 40) -> None:
    for n in range(count):
        created = NOW - timedelta(hours=3 + 7 * n, minutes=(n * 13) % 60)
        contact = n % len(CONTACTS)
        case_id = _id("case", n)
        session.add(
            Case(
                id=case_id,
                number=f"CS-{10001 + n}",
                subject=SUBJECTS[n % len(SUBJECTS)],
                status=STATUSES[n % len(STATUSES)],
                priority=PRIORITIES[n % len(PRIORITIES)],
                channel=CHANNELS[n % len(CHANNELS)],
                queue_id=_id("queue", n % len(QUEUES)),
                assignee_id=_id("agent", n % len(AGENTS)) if n % 5 else None,
                contact_id=_id("contact", contact),
                tags=["billing", "vip"] if n % 3 == 0 else ["delivery"],
                created_at=created,
                updated_at=created + timedelta(hours=2),
                version=1,
            )
        )
        for message in _messages_for(n, case_id, created, contact):
            session.add(message)


def open_desk(path: Path, client: CaseServerClient | None = None) -> Desk:
    return Desk.open(path, client=client, agent_handle="anna", clock=fixed_clock)


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def make_desk(tmp_path: Path) -> Iterator[Callable[..., Desk]]:
    """Open desks under ``tmp_path`` and close them all at the end."""
    opened: list[Desk] = []

    def _make(name: str = "store.sqlite3", client: CaseServerClient | None = None) -> Desk:
        desk = open_desk(tmp_path / name, client)
        opened.append(desk)
        return desk

    yield _make
    for desk in opened:
        desk.close()


@pytest.fixture
def desk(make_desk: Callable[..., Desk]) -> Desk:
    """A store with 3 queues, 4 agents, 6 contacts and 40 cases of 2-5 messages each."""
    desk = make_desk()
    with Session(desk.store) as session:
        _add_people(session)
        build_cases(session)
        session.commit()
    return desk


@pytest.fixture
def empty_desk(make_desk: Callable[..., Desk]) -> Desk:
    return make_desk()


@pytest.fixture
def hostile_desk(make_desk: Callable[..., Desk]) -> Desk:
    """One case whose subject, customer and messages try markup and terminal escapes."""
    desk = make_desk()
    with Session(desk.store) as session:
        _add_people(session)
        session.add(
            Contact(
                id=_id("contact", 99),
                customer_number="K-\x1b[7m666",
                first_name=HOSTILE_NAME,
                last_name="[/]",
                email="m@evil.example",
                language="en",
            )
        )
        session.add(
            Case(
                id=_id("case", 666),
                number="CS-66666",
                subject=HOSTILE_SUBJECT,
                status=CaseStatus.OPEN,
                priority=Priority.URGENT,
                queue_id=_id("queue", 1),
                contact_id=_id("contact", 99),
                tags=["[blink]tag[/blink]"],
                created_at=NOW - timedelta(hours=5),
                updated_at=NOW - timedelta(hours=1),
            )
        )
        session.add(
            Message(
                id=_id("message-666", 0),
                case_id=_id("case", 666),
                kind=MessageKind.CUSTOMER,
                author_name=HOSTILE_NAME,
                body=HOSTILE_BODY,
                created_at=NOW - timedelta(hours=5),
            )
        )
        session.add(
            Message(
                id=_id("message-666", 1),
                case_id=_id("case", 666),
                kind=MessageKind.INTERNAL,
                author_name="Anna Berger",
                body="[red]not red[/red] \x1b]0;pwned title\x07 note",
                created_at=NOW - timedelta(hours=1),
            )
        )
        session.commit()
    return desk


@pytest.fixture
def big_desk(make_desk: Callable[..., Desk]) -> Desk:
    """5,000 cases (no messages), bulk-inserted in one statement."""
    desk = make_desk("big.sqlite3")
    with Session(desk.store) as session:
        _add_people(session)
        session.commit()
    rows = [
        {
            "id": _id("bulk", n),
            "number": f"CS-{100001 + n}",
            "subject": f"Bulk case {n}",
            "status": "open",
            "priority": "normal",
            "channel": "email",
            "queue_id": _id("queue", n % 3),
            "assignee_id": None,
            "contact_id": _id("contact", n % 6),
            "tags": [],
            "created_at": NOW - timedelta(minutes=n),
            "updated_at": NOW - timedelta(minutes=n),
            "version": 1,
        }
        for n in range(5000)
    ]
    with desk.store.begin() as conn:
        conn.execute(insert(Case.__table__), rows)  # type: ignore[attr-defined]
    return desk


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def ids() -> Callable[[str, int], str]:
    """The stable id of the n-th row of a kind (``ids("case", 3)``)."""
    return _id


@pytest.fixture
def hostile_text() -> dict[str, str]:
    return {"subject": HOSTILE_SUBJECT, "body": HOSTILE_BODY, "name": HOSTILE_NAME}
