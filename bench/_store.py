"""Build a desk store with N cases quickly (Core bulk inserts), for the benchmarks."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from csm_tui.domain.enums import CaseStatus, Channel, Priority
from csm_tui.domain.models import Agent, Case, Contact, Queue
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


def build_store(path: Path, cases: int, *, seed: int = 1) -> Path:
    if path.exists():
        path.unlink()
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
            first_name=f"First{i}",
            last_name=f"Last{i}",
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
        batch = []
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
                    tags=[],
                    created_at=created,
                    updated_at=created + timedelta(minutes=rng.randrange(600)),
                    version=1,
                )
            )
            if len(batch) == 10_000:
                conn.execute(insert(Case.__table__), batch)  # type: ignore[attr-defined]
                batch = []
        if batch:
            conn.execute(insert(Case.__table__), batch)  # type: ignore[attr-defined]
    engine.dispose()
    return path
