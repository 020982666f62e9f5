"""A cold desk's first pages: the queue's first screen, then every queue's first page and the
agent's own cases, then the full snapshot (ARCHITECTURE.md, thin links)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from csm_tui.domain.models import REPLICATED, Agent, Case
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import issue_token
from csm_tui.server.changes import FIRST_SCREEN_CASES, QUEUE_FIRST_PAGE
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.seed import seed_database

NOW = datetime(2026, 11, 20, 9, 0)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    init_db(eng)
    seed_database(eng, 400, seed=3, now=NOW)
    yield eng
    eng.dispose()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    token = issue_token(engine, "demo")
    with TestClient(make_server_app(engine=engine)) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def _page(client: TestClient, **params: Any) -> dict[str, Any]:
    reply = client.get("/api/v1/changes", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_first_page_is_the_first_screen_and_nothing_more(
    engine: Engine, client: TestClient
) -> None:
    page = _page(client, first_screen="true")
    assert page["snapshot"] and page["more"] and page["cursor"].startswith("f.")
    by_entity: dict[str, list[dict[str, Any]]] = {}
    for row in page["rows"]:
        by_entity.setdefault(row["entity"], []).append(row)
    with Session(engine) as session:
        newest = session.exec(
            select(Case).order_by(Case.updated_at.desc(), Case.id.desc()).limit(FIRST_SCREEN_CASES)  # type: ignore[attr-defined]
        ).all()
    assert [r["id"] for r in by_entity["case"]] == [c.id for c in newest]
    assert "message" not in by_entity and "account" not in by_entity
    # Everything a queue line shows is there: customer, queue, assignee.
    contact_ids = {r["id"] for r in by_entity["contact"]}
    queue_ids = {r["id"] for r in by_entity["queue"]}
    agent_ids = {r["id"] for r in by_entity.get("agent", [])}
    for case in newest:
        assert case.contact_id in contact_ids and case.queue_id in queue_ids
        assert case.assignee_id is None or case.assignee_id in agent_ids


def test_second_page_has_every_queue_first_page_and_my_open_cases(
    engine: Engine, client: TestClient
) -> None:
    first = _page(client, first_screen="true")
    second = _page(client, cursor=first["cursor"])
    assert second["cursor"].startswith("s.") and second["cursor"].endswith(".0.")
    cases = {r["id"] for r in second["rows"] if r["entity"] == "case"}
    with Session(engine) as session:
        demo = session.exec(select(Agent).where(Agent.handle == "demo")).one()
        mine = session.exec(
            select(Case).where(
                Case.assignee_id == demo.id, Case.status.not_in(("solved", "closed"))
            )  # type: ignore[attr-defined]
        ).all()
        queue_ids = {c.queue_id for c in session.exec(select(Case)).all()}
        for queue_id in queue_ids:
            top = session.exec(
                select(Case)
                .where(Case.queue_id == queue_id)
                .order_by(Case.updated_at.desc())  # type: ignore[attr-defined]
                .limit(QUEUE_FIRST_PAGE)
            ).all()
            assert {c.id for c in top} <= cases
    assert {c.id for c in mine[:QUEUE_FIRST_PAGE]} <= cases


def test_the_snapshot_after_the_prelude_still_sends_every_row(
    engine: Engine, client: TestClient
) -> None:
    seen: dict[str, set[str]] = {}
    page = _page(client, first_screen="true", limit=300)
    while True:
        for row in page["rows"]:
            seen.setdefault(row["entity"], set()).add(row["id"])
        if not page["more"]:
            break
        page = _page(client, cursor=page["cursor"], limit=300)
    with Session(engine) as session:
        for model in REPLICATED:
            ids = {row.id for row in session.exec(select(model)).all()}  # type: ignore[attr-defined]
            assert seen.get(model.entity, set()) == ids, model.entity  # type: ignore[attr-defined]
