"""``POST /api/v1/push``: exactly-once mids, field-by-field conflicts, domain rules, compressed
bodies; every test runs on SQLite and on PostgreSQL (``server_db_url``)."""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import zstandard
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from csm_tui.domain.enums import CaseStatus
from csm_tui.domain.models import Agent, Case, Contact, Message, Queue
from csm_tui.domain.status import TransitionError, check_transition
from csm_tui.server import push as server_push
from csm_tui.server.app import (
    INFLATED_TOO_LARGE_DETAIL,
    MAX_BODY_BYTES,
    MAX_PUSH_BODY_BYTES,
    make_server_app,
)
from csm_tui.server.auth import add_agent, issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.seed import seed_database
from csm_tui.server.tables import ChangeLog, ClientState, PushResult
from csm_tui.sync import wire

NOW = datetime(2025, 3, 14, 12, 0, 0)
PUSH = "/api/v1/push"


@pytest.fixture
def engine(server_db_url: str) -> Iterator[Engine]:
    eng = make_engine(server_db_url)
    init_db(eng)
    seed_database(eng, 20, seed=5, now=NOW)
    add_agent(eng, "bea.berger", "Bea Berger", team="Frontline")
    yield eng
    eng.dispose()


@pytest.fixture
def app(engine: Engine) -> Any:
    return make_server_app(engine=engine)


@dataclass
class Desk:
    """One desk of one agent: its client id and mid counter, pushing through a TestClient."""

    http: TestClient
    token: str
    client_id: str
    next_mid: int = 1

    def post(self, mutations: list[dict[str, Any]], **kwargs: Any) -> Any:
        body = {"client_id": self.client_id, "mutations": mutations}
        return self.http.post(
            PUSH, json=body, headers={"Authorization": f"Bearer {self.token}"}, **kwargs
        )

    def push(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        """Number the mutations with the next mids, push, and return the results."""
        numbered = []
        for m in mutations:
            numbered.append({**m, "mid": self.next_mid})
            self.next_mid += 1
        reply = self.post(numbered)
        assert reply.status_code == 200, reply.text
        data = wire.PushReply.model_validate(reply.json())
        assert data.last_mid == self.next_mid - 1
        return [r.model_dump() for r in data.results]


@pytest.fixture
def http(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def anna(http: TestClient, engine: Engine) -> Desk:
    return Desk(http, issue_token(engine, "demo", label="tests"), f"desk-{uuid.uuid4()}")


@pytest.fixture
def bea(http: TestClient, engine: Engine) -> Desk:
    return Desk(http, issue_token(engine, "bea.berger", label="tests"), f"desk-{uuid.uuid4()}")


def new_case(case_id: str | None = None, **fields: Any) -> dict[str, Any]:
    values = {"subject": "Card lost abroad", "priority": "normal", "channel": "phone"}
    values.update(fields)
    return {"op": "create", "entity": "case", "id": case_id or str(uuid.uuid4()), "fields": values}


def update(
    entity: str, id: str, fields: dict[str, Any], base: dict[str, Any], version: int | None = None
) -> dict[str, Any]:
    return {
        "op": "update",
        "entity": entity,
        "id": id,
        "fields": fields,
        "base": base,
        "base_version": version,
    }


def new_message(case_id: str, kind: str = "public", body: str = "Hello", **extra: Any) -> dict:
    return {
        "op": "create",
        "entity": "message",
        "id": str(uuid.uuid4()),
        "fields": {"case_id": case_id, "kind": kind, "body": body, **extra},
    }


def get(engine: Engine, model: type, id: str) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(model, id)


def log_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(ChangeLog)).one())


def messages_of(engine: Engine, case_id: str) -> list[Message]:
    with Session(engine) as session:
        return list(session.exec(select(Message).where(Message.case_id == case_id)).all())


def make_case(desk: Desk, **fields: Any) -> str:
    case_id = str(uuid.uuid4())
    [result] = desk.push(new_case(case_id, **fields))
    assert result["status"] == "ok", result
    return case_id


# -- creating --------------------------------------------------------------------------------


def test_a_created_case_gets_the_next_number_from_the_server(anna: Desk, engine: Engine):
    with Session(engine) as session:
        highest = max(int(n.removeprefix("CS-")) for n in session.exec(select(Case.number)))
    case_id = str(uuid.uuid4())
    [result] = anna.push(new_case(case_id, number="CS-00001", tags=["card", "card", "abroad"]))

    assert result["status"] == "ok"
    assert result["version"] == 1
    case = get(engine, Case, case_id)
    assert case.number == f"CS-{highest + 1:05d}"  # whatever the desk sent
    assert case.tags == ["card", "abroad"]
    assert case.status == CaseStatus.NEW
    with Session(engine) as session:
        entry = session.exec(select(ChangeLog).where(ChangeLog.entity_id == case_id)).one()
        demo = session.exec(select(Agent).where(Agent.handle == "demo")).one()
    assert entry.actor_agent_id == demo.id
    assert entry.fields["number"] == case.number


def test_create_is_idempotent_by_id_and_refuses_other_content(anna: Desk, engine: Engine):
    case_id = str(uuid.uuid4())
    first, again, other = anna.push(
        new_case(case_id), new_case(case_id), new_case(case_id, subject="Something else")
    )
    assert first["status"] == "ok"
    assert again["status"] == "ok"
    assert other["status"] == "error"
    assert case_id in other["reason"]
    with Session(engine) as session:
        assert session.exec(select(func.count()).where(Case.id == case_id)).one() == 1


def test_contacts_can_be_created_and_updated(anna: Desk, engine: Engine):
    contact_id = str(uuid.uuid4())
    created, changed = anna.push(
        {
            "op": "create",
            "entity": "contact",
            "id": contact_id,
            "fields": {"first_name": "Jana", "last_name": "Novak", "language": "de"},
        },
        update("contact", contact_id, {"email": "jana@example.com"}, {"email": ""}, 1),
    )
    assert created["status"] == "ok"
    assert changed == {**changed, "status": "ok", "version": 2, "applied": ["email"]}
    contact = get(engine, Contact, contact_id)
    assert (contact.display_name, contact.email) == ("Jana Novak", "jana@example.com")


# -- exactly once ----------------------------------------------------------------------------


def test_the_same_batch_twice_applies_once_with_identical_results(anna: Desk, engine: Engine):
    case_id = str(uuid.uuid4())
    batch = [
        {**new_case(case_id), "mid": 1},
        {**update("case", case_id, {"priority": "high"}, {"priority": "normal"}, 1), "mid": 2},
        {**new_message(case_id, body="We blocked the card."), "mid": 3},
    ]
    first = anna.post(batch)
    log_after_first = log_count(engine)
    second = anna.post(batch)

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert [r["status"] for r in first.json()["results"]] == ["ok", "ok", "ok"]
    assert log_count(engine) == log_after_first
    # The message, and the priority change's audit event: each once.
    assert sorted(m.kind for m in messages_of(engine, case_id)) == ["event", "public"]
    assert get(engine, Case, case_id).version == 2


def test_a_batch_may_repeat_old_mids_and_continue_with_new_ones(anna: Desk, engine: Engine):
    case_id = make_case(anna)  # mid 1
    reply = anna.post(
        [
            {**new_case(case_id), "mid": 1},
            {**new_message(case_id), "mid": 2},
        ]
    )
    assert reply.status_code == 200
    assert reply.json()["last_mid"] == 2
    assert [r["mid"] for r in reply.json()["results"]] == [1, 2]
    assert len(messages_of(engine, case_id)) == 1


@pytest.mark.parametrize("mids", [[2], [1, 3], [1, 2, 2]], ids=["first", "inside", "repeat"])
def test_a_gap_in_mids_is_409_and_applies_nothing(anna: Desk, engine: Engine, mids: list[int]):
    before = log_count(engine)
    batch = [{**new_case(), "mid": mid} for mid in mids]
    reply = anna.post(batch)

    assert reply.status_code == 409
    gap = wire.MidGap.model_validate(reply.json())
    assert gap.last_mid == 0
    assert gap.detail.endswith(".")
    assert log_count(engine) == before
    with Session(engine) as session:
        assert session.get(ClientState, anna.client_id) is None


def test_concurrent_pushes_of_one_client_never_apply_twice(app: Any, anna: Desk, engine: Engine):
    case_id = make_case(anna)  # mid 1
    batch = [{**new_message(case_id, body=f"Note {i}"), "mid": i + 2} for i in range(6)]
    threads_n = 6
    barrier = threading.Barrier(threads_n)
    replies: list[Any] = [None] * threads_n

    def run(i: int) -> None:
        # One TestClient per thread: each has its own connection to the app.
        with TestClient(app) as c:
            desk = Desk(c, anna.token, anna.client_id)
            barrier.wait(timeout=30)
            replies[i] = desk.post(batch)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None and r.status_code == 200 for r in replies), [
        r and r.text for r in replies
    ]
    assert len({json.dumps(r.json(), sort_keys=True) for r in replies}) == 1
    assert sorted(m.body for m in messages_of(engine, case_id)) == [f"Note {i}" for i in range(6)]
    with Session(engine) as session:
        assert session.get(ClientState, anna.client_id).last_mid == 7
        stored = session.exec(select(PushResult.mid).where(PushResult.client_id == anna.client_id))
        assert sorted(stored) == list(range(1, 8))


def test_another_agents_client_id_is_403(anna: Desk, bea: Desk, engine: Engine):
    make_case(anna)
    bea.client_id = anna.client_id
    before = log_count(engine)
    reply = bea.post([{**new_case(), "mid": 2}])
    assert reply.status_code == 403
    detail = reply.json()["detail"]
    assert detail.endswith(".") and detail.count(". ") == 0
    assert log_count(engine) == before


def test_old_results_are_pruned(anna: Desk, engine: Engine, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(server_push, "KEEP_RESULTS", 3)
    case_id = make_case(anna)
    for i in range(5):
        anna.push(new_message(case_id, body=f"m{i}"))
    with Session(engine) as session:
        kept = sorted(session.exec(select(PushResult.mid)))
    assert kept == [4, 5, 6]
    replay = anna.post([{**new_case(case_id), "mid": 1}]).json()["results"][0]
    assert replay["status"] == "ok"
    assert replay["reason"] == server_push.FORGOTTEN_RESULT


# -- conflicts -------------------------------------------------------------------------------


def test_a_scalar_changed_on_both_sides_conflicts_and_the_rest_applies(
    anna: Desk, bea: Desk, engine: Engine
):
    case_id = make_case(anna, priority="normal", subject="Card lost")
    [theirs] = bea.push(update("case", case_id, {"priority": "urgent"}, {"priority": "normal"}, 1))
    assert theirs["status"] == "ok"

    [mine] = anna.push(
        update(
            "case",
            case_id,
            {"priority": "high", "subject": "Card lost in Lisbon"},
            {"priority": "normal", "subject": "Card lost"},
            1,
        )
    )
    assert mine["status"] == "conflict"
    assert mine["applied"] == ["subject"]
    assert mine["version"] == 3
    [conflict] = mine["conflicts"]
    assert conflict["field"] == "priority"
    assert (conflict["mine"], conflict["theirs"], conflict["by"]) == (
        "high",
        "urgent",
        "Bea Berger",
    )
    datetime.fromisoformat(conflict["at"])
    case = get(engine, Case, case_id)
    assert (case.priority, case.subject) == ("urgent", "Card lost in Lisbon")


def test_a_field_already_at_the_new_value_is_no_conflict(anna: Desk, bea: Desk, engine: Engine):
    case_id = make_case(anna, priority="normal")
    bea.push(update("case", case_id, {"priority": "high"}, {"priority": "normal"}, 1))
    [mine] = anna.push(update("case", case_id, {"priority": "high"}, {"priority": "normal"}, 1))
    assert mine == {**mine, "status": "ok", "applied": ["priority"], "conflicts": []}


def test_tags_merge_three_way_and_never_conflict(anna: Desk, bea: Desk, engine: Engine):
    case_id = make_case(anna, tags=["card", "abroad"])
    bea.push(
        update("case", case_id, {"tags": ["card", "abroad", "fraud"]}, {"tags": ["card", "abroad"]})
    )
    [mine] = anna.push(
        update("case", case_id, {"tags": ["card", "blocked"]}, {"tags": ["card", "abroad"]})
    )
    assert mine["status"] == "ok"
    assert mine["applied"] == ["tags"]
    # server - (base - mine) | (mine - base) = {card, abroad, fraud} - {abroad} | {blocked}
    assert get(engine, Case, case_id).tags == ["card", "fraud", "blocked"]


def test_messages_never_conflict_and_are_never_duplicated(anna: Desk, bea: Desk, engine: Engine):
    case_id = make_case(anna)
    note = new_message(case_id, kind="internal", body="Called the bank")
    [a] = anna.push(note)
    [b] = bea.push(new_message(case_id, body="Your new card is on its way"))
    [again] = bea.push(note)  # the same message id again, from another desk
    [changed] = anna.push(update("message", note["id"], {"body": "edited"}, {"body": "x"}))

    assert (a["status"], b["status"], again["status"]) == ("ok", "ok", "ok")
    assert changed["status"] == "error"
    assert changed["reason"] == "Messages cannot be changed once written."
    messages = messages_of(engine, case_id)
    assert sorted(m.body for m in messages) == ["Called the bank", "Your new card is on its way"]
    by_id = {m.id: m for m in messages}
    assert by_id[note["id"]].author_name == "Demo Agent"


def test_a_customer_message_reopens_a_pending_case(anna: Desk, engine: Engine):
    case_id = make_case(anna, status="pending")
    [result] = anna.push(new_message(case_id, kind="customer", body="Any news?"))
    assert result["status"] == "ok"
    assert get(engine, Case, case_id).status == CaseStatus.OPEN


# -- domain rules and validation -------------------------------------------------------------


def test_a_forbidden_status_change_is_an_error_with_the_domain_sentence(anna: Desk, engine: Engine):
    case_id = make_case(anna, status="open")
    with pytest.raises(TransitionError) as rule:
        check_transition(CaseStatus.OPEN, CaseStatus.NEW)
    [result] = anna.push(
        update("case", case_id, {"status": "new", "subject": "x"}, {"status": "open"}, 1)
    )
    assert result["status"] == "error"
    assert result["reason"] == str(rule.value)
    assert get(engine, Case, case_id).subject == "Card lost abroad"  # nothing applied


def test_a_closed_case_takes_no_updates_and_no_messages(anna: Desk, engine: Engine):
    case_id = make_case(anna, status="solved")
    [closed] = anna.push(update("case", case_id, {"status": "closed"}, {"status": "solved"}))
    assert closed["status"] == "ok"
    before = log_count(engine)
    change, message = anna.push(
        update("case", case_id, {"priority": "high"}, {"priority": "normal"}),
        new_message(case_id, body="One more thing"),
    )
    assert change["status"] == message["status"] == "error"
    assert change["reason"] == message["reason"] == server_push.CLOSED_DETAIL
    assert log_count(engine) == before


@pytest.mark.parametrize(
    ("mutation", "named"),
    [
        ({"op": "update", "entity": "agent", "fields": {"name": "x"}}, "agent"),
        ({"op": "create", "entity": "queue", "fields": {"name": "x"}}, "queue"),
        ({"op": "update", "entity": "case", "fields": {"shoe_size": 42}}, "shoe_size"),
        ({"op": "update", "entity": "case", "fields": {"priority": "huge"}}, "priority"),
        ({"op": "update", "entity": "case", "fields": {"subject": 7}}, "subject"),
        ({"op": "update", "entity": "case", "fields": {"subject": "x" * 501}}, "subject"),
        ({"op": "update", "entity": "case", "fields": {"tags": "a,b"}}, "tags"),
        ({"op": "update", "entity": "case", "fields": {"queue_id": "nope"}}, "queue_id"),
        ({"op": "update", "entity": "contact", "fields": {"email": "no at"}}, "email"),
        ({"op": "create", "entity": "message", "fields": {"kind": "fax"}}, "kind"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_unknown_or_invalid_input_is_an_error_naming_it(
    anna: Desk, engine: Engine, mutation: dict[str, Any], named: str
):
    case_id = make_case(anna)
    with Session(engine) as session:
        contact_id = session.exec(select(Contact.id)).first()
        queue_id = session.exec(select(Queue.id)).first()
    target = {"case": case_id, "contact": contact_id, "agent": queue_id, "queue": queue_id}
    m = {**mutation, "id": target.get(mutation["entity"], str(uuid.uuid4())), "base": {}}
    if m["entity"] == "message":
        m["fields"] = {**m["fields"], "case_id": case_id}
    before = log_count(engine)
    [result] = anna.push(m)
    assert result["status"] == "error"
    assert named in result["reason"]
    assert result["reason"].endswith(".")
    assert log_count(engine) == before


def test_an_update_of_a_missing_row_is_an_error(anna: Desk):
    missing = str(uuid.uuid4())
    [result] = anna.push(update("case", missing, {"priority": "high"}, {}))
    assert result["status"] == "error"
    assert missing in result["reason"]


def test_malformed_push_bodies_are_422(anna: Desk):
    reply = anna.http.post(
        PUSH,
        content=b'{"client_id": "x", "mutations": []}',
        headers={"Authorization": f"Bearer {anna.token}", "Content-Type": "application/json"},
    )
    assert reply.status_code == 422
    assert "client_id" in reply.json()["detail"]


# -- compressed push bodies ------------------------------------------------------------------


def _raw_push(desk: Desk, body: bytes, encoding: str) -> Any:
    return desk.http.post(
        PUSH,
        content=body,
        headers={
            "Authorization": f"Bearer {desk.token}",
            "Content-Type": "application/json",
            "Content-Encoding": encoding,
        },
    )


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_a_compressed_push_body_inflates(anna: Desk, engine: Engine, encoding: str):
    case_id = str(uuid.uuid4())
    body = json.dumps(
        {"client_id": anna.client_id, "mutations": [{**new_case(case_id), "mid": 1}]}
    ).encode()
    packed = gzip.compress(body) if encoding == "gzip" else zstandard.compress(body)
    reply = _raw_push(anna, packed, encoding)
    assert reply.status_code == 200, reply.text
    assert reply.json()["results"][0]["status"] == "ok"
    assert get(engine, Case, case_id) is not None


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_a_zip_bomb_push_is_413_and_applies_nothing(anna: Desk, engine: Engine, encoding: str):
    case_id = str(uuid.uuid4())
    mutation = {**new_case(case_id), "mid": 1}
    # Valid JSON whose padding inflates past the cap: a few KiB on the wire.
    prefix = json.dumps({"client_id": anna.client_id, "mutations": [mutation]})[:-1].encode()
    body = prefix + b', "padding": "' + b" " * (wire.MAX_PUSH_INFLATED_BYTES + 10) + b'"}'
    packed = gzip.compress(body, 9) if encoding == "gzip" else zstandard.compress(body, 19)
    assert len(packed) < 100_000
    reply = _raw_push(anna, packed, encoding)
    assert reply.status_code == 413
    assert reply.json() == {"detail": INFLATED_TOO_LARGE_DETAIL}
    assert get(engine, Case, case_id) is None


def test_an_unknown_or_corrupt_encoding_is_refused(anna: Desk):
    assert _raw_push(anna, b"{}", "br").status_code == 415
    corrupt = _raw_push(anna, b"definitely not gzip", "gzip")
    assert corrupt.status_code == 400
    assert corrupt.json()["detail"].endswith(".")


def test_push_takes_bodies_over_the_general_limit_up_to_its_own(anna: Desk, engine: Engine):
    case_id = make_case(anna)
    long_notes = [new_message(case_id, kind="internal", body="x" * 150_000) for _ in range(14)]
    body = json.dumps(
        {
            "client_id": anna.client_id,
            "mutations": [{**m, "mid": i + 2} for i, m in enumerate(long_notes)],
        }
    ).encode()
    assert MAX_BODY_BYTES < len(body) < MAX_PUSH_BODY_BYTES
    reply = _raw_push(anna, body, "identity")
    assert reply.status_code == 200, reply.text
    assert len(messages_of(engine, case_id)) == 14
    elsewhere = anna.http.post("/api/v1/me", content=body)
    assert elsewhere.status_code == 413
    too_big = _raw_push(anna, b" " * (MAX_PUSH_BODY_BYTES + 1), "identity")
    assert too_big.status_code == 413
    assert "4 MiB" in too_big.json()["detail"]
