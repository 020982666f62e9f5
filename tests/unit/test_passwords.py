"""Passwords on the case server: scrypt hashes with their own salt, ``POST /api/v1/login``
issuing a token that works, one refusal sentence for every wrong sign-in, the attempt limit,
and no password material where desks could see it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from csm_tui.server import passwords
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import UnknownAgent, add_agent
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.tables import AgentPassword, ChangeLog

PASSWORD = "correct horse battery"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'auth.db'}")
    init_db(eng)
    add_agent(eng, "anna.schmidt", "Anna Schmidt", team="Frontline")
    add_agent(eng, "ben.okafor", "Ben Okafor")
    passwords.set_password(eng, "anna.schmidt", PASSWORD)
    yield eng
    eng.dispose()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(make_server_app(engine=engine)) as c:
        yield c


def login(client: TestClient, handle: str, password: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    reply = client.post("/api/v1/login", json={"handle": handle, "password": password})
    return reply.status_code, reply.json()


def test_hashes_have_their_own_salt_and_verify() -> None:
    one, two = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert one != two and one.startswith("scrypt$16384$8$1$")
    assert PASSWORD not in one
    assert passwords.verify_password(PASSWORD, one) and passwords.verify_password(PASSWORD, two)
    assert not passwords.verify_password(PASSWORD + "!", one)
    assert not passwords.verify_password(PASSWORD, "md5$whatever")
    assert not passwords.verify_password(PASSWORD, "garbage")


def test_login_issues_a_token_that_signs_in(client: TestClient) -> None:
    status, body = login(client, "anna.schmidt", PASSWORD)
    assert status == 200 and body["agent"]["handle"] == "anna.schmidt"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["name"] == "Anna Schmidt"


@pytest.mark.parametrize(
    ("handle", "password"),
    [
        ("anna.schmidt", "wrong password"),
        ("nobody.at.all", PASSWORD),
        ("ben.okafor", PASSWORD),  # an agent without a password signs in with tokens only
    ],
)
def test_every_refusal_is_the_same_sentence(client: TestClient, handle: str, password: str) -> None:
    status, body = login(client, handle, password)
    assert status == 401 and body == {"detail": passwords.REFUSED_DETAIL}


def test_failed_sign_ins_lock_the_handle_for_a_while(client: TestClient) -> None:
    for _ in range(passwords.MAX_FAILURES):
        assert login(client, "anna.schmidt", "guess")[0] == 401
    reply = client.post("/api/v1/login", json={"handle": "anna.schmidt", "password": PASSWORD})
    assert reply.status_code == 429
    assert "Too many failed sign-ins" in reply.json()["detail"]
    assert int(reply.headers["retry-after"]) > 0
    # other handles are not held up
    assert login(client, "ben.okafor", "guess")[0] == 401


def test_the_limiter_forgives_after_the_lock_and_on_success() -> None:
    now = [0.0]
    limiter = passwords.AttemptLimiter(max_failures=2, lock_seconds=60, clock=lambda: now[0])
    limiter.failed("Anna")
    limiter.succeeded("anna")
    limiter.failed("anna")
    limiter.check("anna")  # one failure since the success: not locked
    limiter.failed("anna")
    with pytest.raises(passwords.TooManyAttempts):
        limiter.check("ANNA")
    now[0] = 61.0
    limiter.check("anna")
    limiter.failed("anna")
    limiter.check("anna")  # counting starts afresh after a lock ran out


def test_the_limiter_remembers_a_bounded_number_of_handles() -> None:
    limiter = passwords.AttemptLimiter(max_failures=1, capacity=3)
    for n in range(10):
        limiter.failed(f"made-up-{n}")
    assert len(limiter._failures) == 3  # private: the bound is the point of the test


@pytest.mark.parametrize(
    "body",
    [
        {"handle": "anna.schmidt"},
        {"handle": "", "password": PASSWORD},
        {"handle": "anna.schmidt", "password": "x" * 2000},
        {"handle": "anna.schmidt", "password": PASSWORD, "admin": True},
    ],
)
def test_a_malformed_login_is_one_sentence(client: TestClient, body: dict) -> None:  # type: ignore[type-arg]
    reply = client.post("/api/v1/login", json=body)
    assert reply.status_code == 422 and reply.json()["detail"].endswith(".")


def test_an_oversized_login_body_is_refused_unread(client: TestClient) -> None:
    reply = client.post(
        "/api/v1/login",
        content=b'{"handle": "' + b"a" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 413


def test_set_password_checks_length_and_handle(engine: Engine) -> None:
    with pytest.raises(ValueError, match="at least 8"):
        passwords.set_password(engine, "anna.schmidt", "short")
    with pytest.raises(UnknownAgent):
        passwords.set_password(engine, "nobody", PASSWORD)
    assert passwords.set_passwords(engine, None, "csm-demo-pw") == 2
    with Session(engine) as session:
        rows = session.exec(select(AgentPassword)).all()
        logged = session.exec(select(ChangeLog)).all()
    assert len(rows) == 2 and len({r.password_hash for r in rows}) == 2
    # never in the change log, so no desk ever receives a hash
    assert not any("scrypt$" in str(entry.fields) for entry in logged)
