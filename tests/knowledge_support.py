"""Knowledge articles in a test desk's store: the seeded library (``seed_knowledge``), loaded
the way a sync loads it (one snapshot page through ``apply_page``, so the FTS index is built
by its triggers), and a signed-in agent or lead."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from csm_tui.desk import Desk
from csm_tui.domain.models import Agent, Article, to_wire
from csm_tui.server import seed_knowledge
from csm_tui.store.apply import apply_page
from csm_tui.sync.wire import ChangeRow, ChangesPage

NOW = datetime(2026, 11, 20, 9, 0)


def article_id(theme: str, lang: str, kind: str = "guide", device: str = "") -> str:
    return seed_knowledge.article_id(theme, lang, kind, device)


def load_articles(desk: Desk, articles: list[Article] | None = None) -> int:
    """Put ``articles`` (default: the seeded library) into the desk's store as a pulled page."""
    rows = articles if articles is not None else seed_knowledge.articles(NOW)
    page = ChangesPage(
        rows=[ChangeRow(seq=0, entity="article", id=a.id, fields=to_wire(a)) for a in rows],
        cursor="d.1",
        more=False,
        snapshot=True,
    )
    apply_page(desk.store, page, synced_at=NOW)
    return len(rows)


def sign_in_as(desk: Desk, agent_id: str, handle: str, name: str, role: str = "agent") -> None:
    """Make ``agent_id`` the desk's signed-in agent, with that role in the agent table."""
    page = ChangesPage(
        rows=[
            ChangeRow(
                seq=0,
                entity="agent",
                id=agent_id,
                fields=to_wire(Agent(id=agent_id, handle=handle, name=name, role=role)),
            )
        ],
        cursor="d.1",
        more=False,
        snapshot=True,
    )
    apply_page(desk.store, page, synced_at=NOW)
    with sqlite3.connect(Path(desk.store_path)) as conn:
        for key, value in (("agent_id", agent_id), ("agent_handle", handle), ("agent_name", name)):
            conn.execute(
                "INSERT INTO sync_state (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
