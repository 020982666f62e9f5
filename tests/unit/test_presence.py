"""``PUT``/``DELETE /api/v1/cases/{case_id}/presence``: who else has a case open.

Server routes through the real app (SQLite and PostgreSQL, ``server_db_url``) with a clock the
test moves; the client's error mapping through a transport standing in for a broken server;
the desk's own presence client.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from csm_tui.desk import Desk
from csm_tui.domain.models import Agent, Case
from csm_tui.errors import CsmError
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import UNAUTHORIZED_DETAIL, add_agent, issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.presence import UNKNOWN_CASE_DETAIL, PresenceBook
from csm_tui.server.seed import seed_database
from csm_tui.server.tables import ChangeLog, Presence
from csm_tui.sync import wire
from csm_tui.sync.client import CaseServerClient, ServerError, Unauthorized, Unreachable

NOW = datetime(2025, 3, 14, 12, 0, 0)
TTL = wire.PRESENCE_TTL_SECONDS


class Clock:
    """Naive UTC that only moves when the test says so."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def engine(server_db_url: str) -> Iterator[Engine]:
    eng = make_engine(server_db_url)
    init_db(eng)
    seed_database(eng, 5, seed=5, now=NOW)
    add_agent(eng, "tom.berger", "Tom Berger", team="Frontline")
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def http(engine: Engine, clock: Clock) -> Iterator[TestClient]:
    with TestClient(make_server_app(engine=engine, clock=clock)) as c:
        yield c


@pytest.fixture
def case_id(engine: Engine) -> str:
    with Session(engine) as session:
        return str(session.exec(select(Case.id).order_by(Case.number)).first())


class Agent_:
    """One signed-in agent talking to the presence routes."""

    def __init__(self, http: TestClient, engine: Engine, handle: str) -> None:
        self.http = http
        self.token = issue_token(engine, handle, label="tests")
        with Session(engine) as session:
            agent = session.exec(select(Agent).where(Agent.handle == handle)).one()
        self.id, self.handle, self.name = agent.id, agent.handle, agent.name

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def put(self, case_id: str, composing: bool = False) -> list[wire.Viewer]:
        reply = self.http.put(_path(case_id), json={"composing": composing}, headers=self.auth)
        assert reply.status_code == 200, reply.text
        return wire.PresenceReply.model_validate(reply.json()).viewers

    def delete(self, case_id: str) -> httpx.Response:
        return self.http.delete(_path(case_id), headers=self.auth)


def _path(case_id: str) -> str:
    return f"/api/v1/cases/{case_id}/presence"


@pytest.fixture
def anna(http: TestClient, engine: Engine) -> Agent_:
    return Agent_(http, engine, "anna.schmidt")


@pytest.fixture
def tom(http: TestClient, engine: Engine) -> Agent_:
    return Agent_(http, engine, "tom.berger")


@pytest.fixture
def demo(http: TestClient, engine: Engine) -> Agent_:
    return Agent_(http, engine, "demo")


def _rows(engine: Engine) -> list[Presence]:
    with Session(engine) as session:
        return list(session.exec(select(Presence)).all())


def _log_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(ChangeLog)).one())


# -- the routes ------------------------------------------------------------------------------


def test_two_agents_see_each_other_and_never_themselves(anna: Agent_, tom: Agent_, case_id: str):
    assert anna.put(case_id) == []
    [seen] = tom.put(case_id)
    assert (seen.agent_id, seen.handle, seen.name) == (anna.id, "anna.schmidt", "Anna Schmidt")
    assert seen.composing is False
    assert seen.since == NOW
    assert [v.agent_id for v in anna.put(case_id)] == [tom.id]


def test_presence_is_per_case(anna: Agent_, tom: Agent_, engine: Engine):
    with Session(engine) as session:
        first, second = session.exec(select(Case.id).order_by(Case.number).limit(2)).all()
    anna.put(first)
    assert tom.put(second) == []
    assert [v.handle for v in tom.put(first)] == ["anna.schmidt"]


def test_the_composing_flag_reaches_the_others(
    anna: Agent_, tom: Agent_, case_id: str, clock: Clock
):
    anna.put(case_id)
    clock.advance(5)
    anna.put(case_id, composing=True)
    [seen] = tom.put(case_id)
    assert seen.composing is True
    assert seen.since == NOW, "a heartbeat keeps the time the agent opened the case"
    anna.put(case_id, composing=False)
    assert tom.put(case_id)[0].composing is False


def test_several_viewers_come_in_the_order_they_opened_the_case(
    anna: Agent_, tom: Agent_, demo: Agent_, case_id: str, clock: Clock
):
    tom.put(case_id)
    clock.advance(1)
    anna.put(case_id, composing=True)
    clock.advance(1)
    tom.put(case_id)  # a heartbeat does not move tom behind anna
    viewers = demo.put(case_id)
    assert [(v.handle, v.composing) for v in viewers] == [
        ("tom.berger", False),
        ("anna.schmidt", True),
    ]


def test_an_announcement_counts_for_the_ttl_then_is_ignored_and_swept(
    anna: Agent_, tom: Agent_, case_id: str, clock: Clock, engine: Engine
):
    anna.put(case_id)
    clock.advance(TTL - 1)
    assert [v.handle for v in tom.put(case_id)] == ["anna.schmidt"]
    clock.advance(2)  # anna's last word is now older than the TTL
    assert tom.put(case_id) == []
    # The sweep (at most once per TTL) removed anna's stale row; tom's is fresh.
    assert [r.agent_id for r in _rows(engine)] == [tom.id]
    # Back after a lapse: a new stretch of viewing, with a new ``since``.
    anna.put(case_id)
    [seen] = tom.put(case_id)
    assert seen.since == clock.now


def test_stale_rows_are_ignored_even_before_a_sweep(engine: Engine, case_id: str, clock: Clock):
    book = PresenceBook(engine, ttl=TTL, clock=clock)
    with Session(engine) as session:
        anna = session.exec(select(Agent).where(Agent.handle == "anna.schmidt")).one()
        tom = session.exec(select(Agent).where(Agent.handle == "tom.berger")).one()
    book.announce(anna, case_id, False)
    clock.advance(TTL + 1)
    book._last_sweep = clock.now  # no sweep now: the read alone must leave anna out
    assert book.announce(tom, case_id, False).viewers == []
    assert len(_rows(engine)) == 2
    assert book.sweep() == 1


def test_delete_removes_only_the_callers_row(
    anna: Agent_, tom: Agent_, demo: Agent_, case_id: str, engine: Engine
):
    anna.put(case_id)
    demo.put(case_id)
    reply = anna.delete(case_id)
    assert reply.status_code == 204
    assert reply.content == b""
    assert [v.handle for v in tom.put(case_id)] == ["demo"]
    assert sorted(r.agent_id for r in _rows(engine)) == sorted([demo.id, tom.id])
    assert anna.delete(case_id).status_code == 204, "leaving twice is fine"


@pytest.mark.parametrize("method", ["put", "delete"])
def test_an_unknown_case_is_404_with_a_sentence(
    http: TestClient, anna: Agent_, engine: Engine, method: str
):
    reply = http.request(
        method.upper(),
        _path("no-such-case"),
        json={"composing": False} if method == "put" else None,
        headers=anna.auth,
    )
    assert reply.status_code == 404
    assert reply.json() == {"detail": UNKNOWN_CASE_DETAIL}
    assert _rows(engine) == []


@pytest.mark.parametrize("method", ["put", "delete"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}])
def test_presence_needs_a_valid_token(
    http: TestClient, case_id: str, engine: Engine, method: str, headers: dict[str, str]
):
    reply = http.request(method.upper(), _path(case_id), json={"composing": True}, headers=headers)
    assert reply.status_code == 401
    assert reply.json() == {"detail": UNAUTHORIZED_DETAIL}
    assert _rows(engine) == []


@pytest.mark.parametrize("body", [{"composing": "maybe"}, {"composing": 1}, [], "x"])
def test_a_malformed_body_is_422_with_a_sentence(
    http: TestClient, anna: Agent_, case_id: str, body: Any
):
    reply = http.put(_path(case_id), json=body, headers=anna.auth)
    assert reply.status_code == 422
    assert reply.json()["detail"].endswith(".")


def test_presence_is_never_in_the_change_log(
    anna: Agent_, tom: Agent_, case_id: str, engine: Engine
):
    before = _log_count(engine)
    anna.put(case_id, composing=True)
    tom.put(case_id)
    anna.delete(case_id)
    assert _log_count(engine) == before


def test_two_servers_on_one_database_share_presence(
    server_db_url: str, engine: Engine, case_id: str, clock: Clock
):
    """Two workers are two processes with their own engine: nothing lives in memory."""
    other_engine = make_engine(server_db_url)
    try:
        with (
            TestClient(make_server_app(engine=engine, clock=clock)) as one,
            TestClient(make_server_app(engine=other_engine, clock=clock)) as two,
        ):
            anna, tom = Agent_(one, engine, "anna.schmidt"), Agent_(two, engine, "tom.berger")
            anna.put(case_id, composing=True)
            [seen] = tom.put(case_id)
            assert (seen.handle, seen.composing) == ("anna.schmidt", True)
            assert anna.delete(case_id).status_code == 204
            assert tom.put(case_id) == []
    finally:
        other_engine.dispose()


def test_concurrent_heartbeats_of_one_agent_never_fail(engine: Engine, case_id: str):
    """Two desks of one agent (or two workers) upsert the same row at once."""
    book = PresenceBook(engine)
    with Session(engine) as session:
        anna = session.exec(select(Agent).where(Agent.handle == "anna.schmidt")).one()
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def beat() -> None:
        try:
            start.wait(10)
            for n in range(10):
                book.announce(anna, case_id, n % 2 == 0)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=beat) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(_rows(engine)) == 1


# -- the client ------------------------------------------------------------------------------

TOKEN = "secret-token-value"
VIEWER = {
    "agent_id": "a1",
    "handle": "anna.schmidt",
    "name": "Anna Schmidt",
    "composing": True,
    "since": "2025-03-14T12:00:00",
}


def _client(status: int, body: bytes = b"", seen: list[httpx.Request] | None = None):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, stream=httpx.ByteStream(body))

    return CaseServerClient("http://cases.test", TOKEN, transport=httpx.MockTransport(handler))


def test_the_client_announces_and_reads_the_viewers():
    seen: list[httpx.Request] = []
    client = _client(200, json.dumps({"viewers": [VIEWER]}).encode(), seen)
    [viewer] = client.presence("case/1", composing=True)
    assert (viewer.name, viewer.composing, viewer.since) == ("Anna Schmidt", True, NOW)
    (request,) = seen
    assert request.method == "PUT"
    assert request.url.raw_path == b"/api/v1/cases/case%2F1/presence"
    assert json.loads(request.content) == {"composing": True}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_the_client_leaves_on_a_204():
    seen: list[httpx.Request] = []
    assert _client(204, seen=seen).leave("c1") is None
    assert seen[0].method == "DELETE"
    assert seen[0].url.path == "/api/v1/cases/c1/presence"


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, Unauthorized), (500, ServerError), (503, ServerError), (404, CsmError)],
)
@pytest.mark.parametrize("call", ["presence", "leave"])
def test_the_client_maps_errors_to_one_sentence(status: int, error: type[CsmError], call: str):
    client = _client(status, json.dumps({"detail": "Something went wrong."}).encode())
    with pytest.raises(error) as caught:
        client.presence("c1", False) if call == "presence" else client.leave("c1")
    message = str(caught.value)
    assert message.endswith(".") and TOKEN not in message
    assert "\n" not in message


@pytest.mark.parametrize("call", ["presence", "leave"])
def test_an_unreachable_server_is_unreachable(call: str):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = CaseServerClient("http://cases.test", TOKEN, transport=httpx.MockTransport(refuse))
    with pytest.raises(Unreachable, match="Cannot reach the case server"):
        client.presence("c1", False) if call == "presence" else client.leave("c1")


# -- the desk --------------------------------------------------------------------------------


def test_a_desk_without_a_server_has_no_presence(tmp_path: Path):
    desk = Desk.open(tmp_path / "store.sqlite3")
    try:
        assert desk.announce_presence("c1", composing=True) == []
        desk.leave_case("c1")
    finally:
        desk.close()


def test_the_desk_announces_on_its_own_client_and_closes_it(tmp_path: Path):
    calls: list[str] = []

    def sync_handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"presence went through the sync client: {request.url}")

    def presence_handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if request.method == "DELETE":
            return httpx.Response(204, stream=httpx.ByteStream(b""))
        return httpx.Response(200, stream=httpx.ByteStream(b'{"viewers": []}'))

    made: list[CaseServerClient] = []

    def live_client() -> CaseServerClient:
        client = CaseServerClient(
            "http://cases.test", TOKEN, transport=httpx.MockTransport(presence_handler)
        )
        made.append(client)
        return client

    sync = CaseServerClient("http://cases.test", TOKEN, transport=httpx.MockTransport(sync_handler))
    desk = Desk.open(tmp_path / "store.sqlite3", client=sync, live_client=live_client)
    assert desk.announce_presence("c1") == []
    assert desk.announce_presence("c1", composing=True) == []
    desk.leave_case("c1")
    assert calls == ["PUT", "PUT", "DELETE"]
    assert len(made) == 1, "one presence client, kept"
    desk.close()
    assert made[0]._http.is_closed
    with pytest.raises(CsmError):
        desk.announce_presence("c1")


def test_the_desk_raises_csm_errors_when_offline(tmp_path: Path):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def offline() -> CaseServerClient:
        return CaseServerClient("http://cases.test", TOKEN, transport=httpx.MockTransport(refuse))

    desk = Desk.open(tmp_path / "store.sqlite3", client=offline(), live_client=offline)
    try:
        with pytest.raises(Unreachable):
            desk.announce_presence("c1")
        with pytest.raises(Unreachable):
            desk.leave_case("c1")
    finally:
        desk.close()
