"""Knowledge articles on the case server: the seed, the change feed, and pushed proposals,
publishing and deletes with their roles; on SQLite and PostgreSQL (``server_db_url``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from csm_tui.domain import knowledge as kb
from csm_tui.domain.models import Agent, Article
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.seed import seed_database
from csm_tui.server.seed_knowledge import article_id
from csm_tui.sync import wire

NOW = datetime(2025, 3, 14, 12, 0, 0)


@pytest.fixture
def engine(server_db_url: str) -> Iterator[Engine]:
    eng = make_engine(server_db_url)
    init_db(eng)
    seed_database(eng, 20, seed=5, now=NOW)
    yield eng
    eng.dispose()


@pytest.fixture
def http(engine: Engine) -> Iterator[TestClient]:
    with TestClient(make_server_app(engine=engine)) as client:
        yield client


class Pusher:
    """One desk of one agent pushing numbered mutations."""

    def __init__(self, http: TestClient, engine: Engine, handle: str) -> None:
        self.http = http
        self.token = issue_token(engine, handle, label="tests")
        self.client_id = f"desk-{uuid.uuid4()}"
        self.mid = 0

    def push(self, op: str, id: str, fields: dict[str, Any] | None = None, **extra: Any) -> Any:
        self.mid += 1
        mutation = {"mid": self.mid, "op": op, "entity": "article", "id": id,
                    "fields": fields or {}, **extra}  # fmt: skip
        reply = self.http.post(
            "/api/v1/push",
            json={"client_id": self.client_id, "mutations": [mutation]},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert reply.status_code == 200, reply.text
        (result,) = wire.PushReply.model_validate(reply.json()).results
        return result


@pytest.fixture
def agent(http: TestClient, engine: Engine) -> Pusher:
    return Pusher(http, engine, "demo")


@pytest.fixture
def lead(http: TestClient, engine: Engine) -> Pusher:
    return Pusher(http, engine, "katrin.hoffmann")


def proposal(**fields: Any) -> dict[str, Any]:
    return {"title": "Lost card abroad", "body": "Call the hotline.", "language": "en",
            "tags": ["card"], "state": "proposed", **fields}  # fmt: skip


def get(engine: Engine, article: str) -> Article | None:
    with Session(engine) as session:
        return session.get(Article, article)


def test_the_seed_has_the_library_and_desks_pull_it(engine: Engine, http: TestClient) -> None:
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Article)).one()
        german = session.exec(
            select(func.count()).select_from(Article).where(Article.language == "de")
        ).one()
    assert count >= 300 and german >= 150
    token = issue_token(engine, "demo", label="tests")
    reply = http.get(
        "/api/v1/changes",
        params={"limit": 2000, "max_bytes": 4_000_000},
        headers={"Authorization": f"Bearer {token}"},
    )
    rows = wire.ChangesPage.model_validate(reply.json()).rows
    pulled = {r.id for r in rows if r.entity == "article"}
    assert article_id("double-charge", "de", "guide") in pulled


def test_an_agent_proposes_and_becomes_the_author(agent: Pusher, engine: Engine) -> None:
    new = str(uuid.uuid4())
    result = agent.push("create", new, proposal(author_agent_id="someone-else"))
    assert result.status == "ok", result.reason
    row = get(engine, new)
    assert row is not None and row.state == "proposed"
    with Session(engine) as session:
        demo = session.exec(select(Agent).where(Agent.handle == "demo")).one()
    assert row.author_agent_id == demo.id
    assert kb.SLUG_PATTERN.match(row.slug)


def test_an_agent_cannot_create_a_published_article(agent: Pusher, engine: Engine) -> None:
    new = str(uuid.uuid4())
    result = agent.push("create", new, proposal(state="published"))
    assert (result.status, result.reason) == ("error", kb.PUBLISH_REFUSAL)
    assert get(engine, new) is None


def test_only_a_lead_publishes_a_proposal(agent: Pusher, lead: Pusher, engine: Engine) -> None:
    new = str(uuid.uuid4())
    assert agent.push("create", new, proposal()).status == "ok"
    refused = agent.push("update", new, {"state": "published"}, base={"state": "proposed"})
    assert (refused.status, refused.reason) == ("error", kb.PUBLISH_REFUSAL)
    assert get(engine, new).state == "proposed"  # type: ignore[union-attr]
    done = lead.push("update", new, {"state": "published"}, base={"state": "proposed"})
    assert done.status == "ok", done.reason
    assert get(engine, new).state == "published"  # type: ignore[union-attr]


def test_agents_change_only_their_own_proposals(
    agent: Pusher, lead: Pusher, engine: Engine
) -> None:
    leads_own = str(uuid.uuid4())
    assert lead.push("create", leads_own, proposal()).status == "ok"
    other = agent.push(
        "update", leads_own, {"title": "Mine now"}, base={"title": "Lost card abroad"}
    )
    assert (other.status, other.reason) == ("error", kb.OTHERS_REFUSAL)
    published = article_id("double-charge", "en", "guide")
    change = agent.push("update", published, {"title": "Changed"})
    assert (change.status, change.reason) == ("error", kb.CHANGE_REFUSAL)
    mine = str(uuid.uuid4())
    assert agent.push("create", mine, proposal()).status == "ok"
    fixed = agent.push(
        "update", mine, {"body": "Call 116 116."}, base={"body": "Call the hotline."}
    )
    assert fixed.status == "ok"


def test_deletes_follow_the_same_roles(agent: Pusher, lead: Pusher, engine: Engine) -> None:
    published = article_id("card-lost", "de", "guide")
    refused = agent.push("delete", published)
    assert (refused.status, refused.reason) == ("error", kb.DELETE_REFUSAL)
    mine = str(uuid.uuid4())
    agent.push("create", mine, proposal())
    assert agent.push("delete", mine).status == "ok"
    assert get(engine, mine) is None
    assert lead.push("delete", published).status == "ok"
    assert get(engine, published) is None


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"slug": "Not a slug!"}, "lower-case letters"),
        ({"title": "x" * 201}, "longer than 200"),
        ({"body": ""}, "must not be empty"),
        ({"language": "german"}, "language code"),
        ({"state": "draft"}, "proposed or published"),
        ({"source_case_id": "no-such-case"}, "names no known case"),
        ({"tags": ["t"] * 0 + [f"t{n}" for n in range(30)]}, "at most 20 tags"),
    ],
)
def test_bad_values_are_refused_with_a_sentence(agent: Pusher, fields: dict, words: str) -> None:
    result = agent.push("create", str(uuid.uuid4()), proposal(**fields))
    assert result.status == "error" and words in (result.reason or ""), result.reason
