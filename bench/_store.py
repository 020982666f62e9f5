"""Build a desk store with N cases quickly (Core bulk inserts), for the benchmarks."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from csm_tui.domain.enums import CaseStatus, Channel, Priority
from csm_tui.domain.models import Agent, Case, Contact, Message, Queue
from csm_tui.store import search_index
from csm_tui.store.engine import make_store_engine

NOW = datetime(2026, 11, 20, 9, 0)
WORDS = (
    "Refund",
    "Card blocked",
    "Lieferung verspätet",
    "Passwort zurücksetzen",
    "Invoice",
    "Rechnung falsch",
    "App crashes",
    "Chargeback",
    "Address change",
    "Kündigung",
)


BODY_WORDS = (
    "Hallo",
    "hello",
    "my",
    "card",
    "was",
    "blocked",
    "after",
    "the",
    "Überweisung",
    "refund",
    "please",
    "invoice",
    "payment",
    "Rechnung",
    "Lieferung",
    "parcel",
    "thanks",
    "password",
    "login",
    "error",
    "Kündigung",
    "contract",
    "address",
    "moved",
    "chargeback",
    "merchant",
    "order",
    "number",
    "urgent",
    "still",
    "waiting",
    "answer",
    "Grüße",
    "danke",
)
FIRST_NAMES = (
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Finn",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Karim",
    "Lena",
    "Mehmet",
    "Nina",
    "Oskar",
    "Paula",
    "Quentin",
    "Rosa",
    "Sven",
    "Tanja",
    "Uwe",
    "Vera",
    "Wiebke",
    "Xaver",
    "Yusuf",
    "Zoë",
    "Jürgen",
    "Björn",
    "Søren",
    "Renée",
)
LAST_NAMES = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Yılmaz",
    "Kaya",
    "Öztürk",
    "Nowak",
    "Kowalski",
    "García",
    "Rossi",
    "Dubois",
    "Andersen",
    "O'Brien",
)
TAGS = ("vip", "refund", "fraud", "billing", "callback", "escalated")


def build_store(
    path: Path,
    cases: int,
    *,
    seed: int = 1,
    messages_per_case: int = 0,
    tags: bool = False,
    me: str | None = None,
) -> Path:
    """A store with ``cases`` cases (and, if asked, ~``messages_per_case`` messages each,
    a few random tags per case, and ``me`` as the signed-in agent's id)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(seed)
    engine = make_store_engine(path)
    queues = [
        dict(id=f"q{i}", slug=f"q{i}", name=f"Queue {i}", version=1, updated_at=NOW)
        for i in range(10)
    ]
    agents = [
        dict(
            id=f"a{i}",
            handle=f"agent{i}",
            name=f"Agent {i}",
            email="",
            role="agent",
            team="T",
            capacity=20,
            version=1,
            updated_at=NOW,
        )
        for i in range(25)
    ]
    contacts = [
        dict(
            id=f"p{i}",
            account_id=None,
            customer_number=f"K-{i:07d}",
            first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
            last_name=LAST_NAMES[(i * 7) % len(LAST_NAMES)],
            email="",
            phone="",
            language="en",
            version=1,
            updated_at=NOW,
        )
        for i in range(5000)
    ]
    statuses, prios, chans = list(CaseStatus), list(Priority), list(Channel)
    with engine.begin() as conn:
        conn.execute(insert(Queue.__table__), queues)  # type: ignore[attr-defined]
        conn.execute(insert(Agent.__table__), agents)  # type: ignore[attr-defined]
        conn.execute(insert(Contact.__table__), contacts)  # type: ignore[attr-defined]
        batch: list[dict[str, object]] = []
        messages: list[dict[str, object]] = []
        for i in range(cases):
            created = NOW - timedelta(minutes=rng.randrange(60 * 24 * 30))
            batch.append(
                dict(
                    id=f"c{i:07d}",
                    number=f"CS-{10001 + i}",
                    subject=f"{rng.choice(WORDS)} #{rng.randrange(10**6)}",
                    status=rng.choice(statuses).value,
                    priority=rng.choice(prios).value,
                    channel=rng.choice(chans).value,
                    queue_id=f"q{rng.randrange(10)}",
                    assignee_id=f"a{rng.randrange(25)}" if rng.random() < 0.7 else None,
                    contact_id=f"p{rng.randrange(5000)}",
                    tags=(rng.sample(TAGS, k=rng.choice((0, 0, 0, 1, 1, 2))) if tags else []),
                    created_at=created,
                    updated_at=created + timedelta(minutes=rng.randrange(600)),
                    version=1,
                )
            )
            for k in range(rng.randint(max(0, messages_per_case - 1), messages_per_case + 1)):
                messages.append(
                    dict(
                        id=f"m{i:07d}-{k}",
                        case_id=f"c{i:07d}",
                        kind="customer" if k % 2 == 0 else "public",
                        author_agent_id=None,
                        author_contact_id=None,
                        author_name="",
                        body=" ".join(rng.choices(BODY_WORDS, k=rng.randint(8, 40))),
                        created_at=created + timedelta(minutes=k),
                        version=1,
                    )
                )
            if len(batch) == 10_000:
                conn.execute(insert(Case.__table__), batch)  # type: ignore[attr-defined]
                batch = []
                if messages:
                    conn.execute(insert(Message.__table__), messages)  # type: ignore[attr-defined]
                    messages = []
        if batch:
            conn.execute(insert(Case.__table__), batch)  # type: ignore[attr-defined]
        if messages:
            conn.execute(insert(Message.__table__), messages)  # type: ignore[attr-defined]
        # As at the end of a pulled page: index the cases whose messages just arrived.
        search_index.flush(conn)
        if me is not None:
            conn.exec_driver_sql(
                "INSERT INTO sync_state (key, value) VALUES ('agent_id', ?), "
                "('agent_handle', ?), ('agent_name', ?)",
                (me, f"agent{me[1:]}", f"Agent {me[1:]}"),
            )
    engine.dispose()
    return path
