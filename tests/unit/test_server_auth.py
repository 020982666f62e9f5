"""Agents and tokens on the case server: every API route needs a valid bearer token, and the
database never holds a token in plain text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from csm_tui.domain.models import Agent
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import (
    UNAUTHORIZED_DETAIL,
    AgentExists,
    UnknownAgent,
    add_agent,
    issue_token,
)
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.tables import AgentToken, ChangeLog


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "auth.db"


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{db_path}")
    init_db(eng)
    add_agent(eng, "anna.schmidt", "Anna Schmidt", team="Frontline", email="anna@example.com")
    yield eng
    eng.dispose()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(make_server_app(engine=engine)) as c:
        yield c


#: Routes that take no token by design: signing in with a password is how one gets one
#: (tests/unit/test_passwords.py).
PUBLIC_CALLS = {("POST", "/api/v1/login")}


def _api_calls(client: TestClient) -> list[tuple[str, str]]:
    calls = [
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path.startswith("/api/")
        for method in sorted(route.methods)
        if (method, route.path) not in PUBLIC_CALLS
    ]
    assert calls, "no API routes found"
    return calls


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YW5uYTpzZWNyZXQ="},
        {"Authorization": "not-even-a-scheme"},
    ],
    ids=["missing", "wrong", "empty", "basic", "garbage"],
)
def test_every_api_route_refuses_without_a_valid_token(client: TestClient, headers):
    for method, path in _api_calls(client):
        reply = client.request(method, path, headers=headers)
        assert reply.status_code == 401, (method, path)
        assert reply.json() == {"detail": UNAUTHORIZED_DETAIL}
        assert reply.headers.get("www-authenticate") == "Bearer"


def test_a_hash_of_a_real_token_is_not_a_token(client: TestClient, engine: Engine):
    token = issue_token(engine, "anna.schmidt")
    digest = hashlib.sha256(token.encode()).hexdigest()
    reply = client.get("/api/v1/me", headers={"Authorization": f"Bearer {digest}"})
    assert reply.status_code == 401


def test_me_answers_who_the_token_belongs_to(client: TestClient, engine: Engine):
    token = issue_token(engine, "anna.schmidt", label="laptop")
    reply = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200
    assert reply.json() == {
        "id": reply.json()["id"],
        "handle": "anna.schmidt",
        "name": "Anna Schmidt",
        "role": "agent",
        "team": "Frontline",
    }
    with Session(engine) as session:
        stored = session.exec(select(AgentToken)).one()
    assert stored.label == "laptop"
    assert stored.last_used_at is not None


def test_tokens_are_stored_only_as_hashes(engine: Engine, db_path: Path):
    tokens = [issue_token(engine, "anna.schmidt", label=f"device {i}") for i in range(3)]
    assert len(set(tokens)) == 3
    assert all(len(t) >= 40 for t in tokens)
    with Session(engine) as session:
        stored = session.exec(select(AgentToken)).all()
    assert sorted(s.token_hash for s in stored) == sorted(
        hashlib.sha256(t.encode()).hexdigest() for t in tokens
    )
    for row in stored:
        values = " ".join(str(v) for v in row.model_dump().values())
        assert not any(t in values for t in tokens)
    engine.dispose()  # flush the WAL so the raw file check sees everything
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert not any(t.encode() in raw for t in tokens)


def test_add_agent_records_a_change_and_refuses_duplicates(engine: Engine):
    lead = add_agent(engine, "katrin.hoffmann", "Katrin Hoffmann", role="lead", team="Frontline")
    assert lead.role == "lead" and lead.id
    with Session(engine) as session:
        entry = session.exec(select(ChangeLog).where(ChangeLog.entity_id == lead.id)).one()
    assert entry.entity == "agent" and entry.op == "upsert"
    assert entry.fields["handle"] == "katrin.hoffmann"
    with pytest.raises(AgentExists, match="already exists"):
        add_agent(engine, "katrin.hoffmann", "Someone Else")
    with pytest.raises(ValueError, match="Unknown role"):
        add_agent(engine, "x.y", "X Y", role="boss")


def test_issue_token_for_unknown_agent_says_so(engine: Engine):
    with pytest.raises(UnknownAgent, match="no agent with the handle nobody"):
        issue_token(engine, "nobody")
    with Session(engine) as session:
        assert session.exec(select(AgentToken)).all() == []


def test_token_of_a_removed_agent_stops_working(client: TestClient, engine: Engine):
    token = issue_token(engine, "anna.schmidt")
    with Session(engine) as session:
        session.delete(session.exec(select(Agent)).one())
        session.commit()
    reply = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 401
