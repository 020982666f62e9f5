"""Tasks for other teams and the audit trail: the server's push rules for tasks, the EVENT
messages it writes for case field changes and tasks, the desk's offline task commands and
their outbox rows, ``CaseDetail.tasks``, and parsing what an agent types as a due time.

Server tests run on SQLite and PostgreSQL (``server_db_url``); desk tests on real store files.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from csm_tui.desk import Desk
from csm_tui.domain import due as due_mod
from csm_tui.domain.due import DueError, format_due, is_overdue, parse_due
from csm_tui.domain.enums import MessageKind, TaskTeam
from csm_tui.domain.models import Agent, Case, Message, Queue, Task, to_wire
from csm_tui.errors import CsmError
from csm_tui.server import push as server_push
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import add_agent, issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.seed import seed_database
from csm_tui.server.tables import ChangeLog
from csm_tui.store.apply import apply_page
from csm_tui.sync import wire
from csm_tui.sync.wire import ChangeRow, ChangesPage, MutationResult

NOW = datetime(2026, 11, 20, 9, 0)
PUSH = "/api/v1/push"


# -- the server ------------------------------------------------------------------------------


@pytest.fixture
def engine(server_db_url: str) -> Iterator[Engine]:
    eng = make_engine(server_db_url)
    init_db(eng)
    seed_database(eng, 12, seed=3, now=NOW)
    add_agent(eng, "bea.berger", "Bea Berger", team="Billing")
    yield eng
    eng.dispose()


@dataclass
class Pusher:
    """One desk of one agent, pushing through a TestClient with rising mids."""

    http: TestClient
    token: str
    client_id: str
    next_mid: int = 1

    def push(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        numbered = []
        for m in mutations:
            numbered.append({"base": {}, **m, "mid": self.next_mid})
            self.next_mid += 1
        reply = self.http.post(
            PUSH,
            json={"client_id": self.client_id, "mutations": numbered},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert reply.status_code == 200, reply.text
        return [r.model_dump() for r in wire.PushReply.model_validate(reply.json()).results]


@pytest.fixture
def http(engine: Engine) -> Iterator[TestClient]:
    with TestClient(make_server_app(engine=engine)) as client:
        yield client


@pytest.fixture
def demo(http: TestClient, engine: Engine) -> Pusher:
    return Pusher(http, issue_token(engine, "demo", label="tests"), f"desk-{uuid.uuid4()}")


@pytest.fixture
def bea(http: TestClient, engine: Engine) -> Pusher:
    return Pusher(http, issue_token(engine, "bea.berger", label="tests"), f"desk-{uuid.uuid4()}")


def make_case(pusher: Pusher, **fields: Any) -> str:
    case_id = str(uuid.uuid4())
    values = {"subject": "Charged twice", "priority": "normal", "channel": "phone", **fields}
    [result] = pusher.push({"op": "create", "entity": "case", "id": case_id, "fields": values})
    assert result["status"] == "ok", result
    return case_id


def new_task(case_id: str, task_id: str | None = None, /, **fields: Any) -> dict[str, Any]:
    values = {"case_id": case_id, "team": "billing", "title": "Refund the double charge"}
    values.update(fields)
    return {"op": "create", "entity": "task", "id": task_id or str(uuid.uuid4()), "fields": values}


def update(entity: str, id: str, fields: dict, base: dict, version: int | None = None) -> dict:
    return {
        "op": "update",
        "entity": entity,
        "id": id,
        "fields": fields,
        "base": base,
        "base_version": version,
    }


def events(engine: Engine, case_id: str) -> list[Message]:
    with Session(engine) as session:
        rows = session.exec(
            select(Message)
            .where(Message.case_id == case_id, Message.kind == MessageKind.EVENT)
            .order_by(Message.created_at, Message.id)
        ).all()
        return list(rows)


def bodies(engine: Engine, case_id: str) -> list[str]:
    return [m.body for m in events(engine, case_id)]


def get(engine: Engine, model: type, id: str) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(model, id)


def log_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(ChangeLog)).one())


def test_a_task_is_created_with_its_event_and_logged(demo: Pusher, engine: Engine):
    case_id = make_case(demo)
    assert bodies(engine, case_id) == []  # creating the case itself is no event
    task = new_task(case_id, due_at="2026-12-01T00:00:00", state="open", created_by_agent_id="x")
    [result] = demo.push(task)

    assert result["status"] == "ok" and result["version"] == 1
    stored = get(engine, Task, task["id"])
    demo_agent = _agent(engine, "demo")
    assert (stored.team, stored.title, stored.state) == (
        "billing",
        "Refund the double charge",
        "open",
    )
    assert stored.due_at == datetime(2026, 12, 1)
    assert stored.created_by_agent_id == demo_agent.id  # whatever the desk claims
    [event] = events(engine, case_id)
    assert event.body == "Task for Billing created: Refund the double charge (due 2026-12-01)"
    assert (event.author_agent_id, event.author_name) == (demo_agent.id, "Demo Agent")
    with Session(engine) as session:
        logged = {
            (e.entity, e.entity_id)
            for e in session.exec(
                select(ChangeLog).where(ChangeLog.actor_agent_id == demo_agent.id)
            )
        }
    assert ("task", task["id"]) in logged and ("message", event.id) in logged


def test_a_task_without_a_due_time_says_so_in_its_event(demo: Pusher, engine: Engine):
    case_id = make_case(demo)
    demo.push(new_task(case_id, team="field_service", title="Book a technician visit"))
    assert bodies(engine, case_id) == ["Task for Field service created: Book a technician visit"]


def test_a_task_create_is_idempotent_by_id(demo: Pusher, engine: Engine):
    case_id = make_case(demo)
    task = new_task(case_id)
    first, again, other = demo.push(
        task, task, {**task, "fields": {**task["fields"], "title": "x"}}
    )
    assert (first["status"], again["status"], other["status"]) == ("ok", "ok", "error")
    assert task["id"] in other["reason"]
    assert len(bodies(engine, case_id)) == 1


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"team": "legal"}, "team"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 7}, "title"),
        ({"due_at": "next week"}, "due_at"),
        ({"due_at": 5}, "due_at"),
        ({"state": "done"}, "starts open"),
        ({"case_id": str(uuid.uuid4())}, "case_id"),
        ({"colour": "red"}, "colour"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_bad_task_create_is_one_sentence_and_writes_nothing(
    demo: Pusher, engine: Engine, fields: dict[str, Any], named: str
):
    case_id = make_case(demo)
    before = log_count(engine)
    [result] = demo.push(new_task(case_id, **fields))
    assert result["status"] == "error"
    assert named in result["reason"]
    assert result["reason"].endswith(".") and result["reason"].count(". ") == 0
    assert log_count(engine) == before


@pytest.mark.parametrize("missing", ["case_id", "team", "title"])
def test_a_task_create_needs_case_team_and_title(demo: Pusher, engine: Engine, missing: str):
    case_id = make_case(demo)
    task = new_task(case_id)
    del task["fields"][missing]
    [result] = demo.push(task)
    assert result["status"] == "error"
    assert result["reason"].startswith("A new task needs ")


def test_a_closed_case_takes_no_new_task_but_its_tasks_still_update(demo: Pusher, engine: Engine):
    case_id = make_case(demo, status="solved")
    task = new_task(case_id)
    demo.push(task)
    demo.push(update("case", case_id, {"status": "closed"}, {"status": "solved"}))
    [refused] = demo.push(new_task(case_id))
    assert refused["status"] == "error"
    assert refused["reason"] == server_push.TASK_CLOSED_DETAIL
    [done] = demo.push(update("task", task["id"], {"state": "done"}, {"state": "open"}, 1))
    assert done["status"] == "ok"
    assert bodies(engine, case_id)[-1] == "Task for Billing done: Refund the double charge"


def test_task_state_changes_write_events_and_other_fields_do_not(demo: Pusher, engine: Engine):
    case_id = make_case(demo)
    task = new_task(case_id, team="fraud", title="Check card block")
    demo.push(task)
    tid = task["id"]
    results = demo.push(
        update(
            "task",
            tid,
            {"title": "Check the card block", "due_at": None},
            {"title": "Check card block"},
        ),
        update("task", tid, {"state": "done"}, {"state": "open"}),
        update("task", tid, {"state": "open"}, {"state": "done"}),
        update("task", tid, {"state": "cancelled"}, {"state": "open"}),
        update("task", tid, {"state": "cancelled"}, {"state": "cancelled"}),  # already so
    )
    assert [r["status"] for r in results] == ["ok"] * 5
    assert bodies(engine, case_id) == [
        "Task for Fraud created: Check card block",
        "Task for Fraud done: Check the card block",
        "Task for Fraud reopened: Check the card block",
        "Task for Fraud cancelled: Check the card block",
    ]
    stored = get(engine, Task, tid)
    assert (stored.state, stored.version) == ("cancelled", 5)


def test_a_task_update_conflicts_field_by_field(demo: Pusher, bea: Pusher, engine: Engine):
    case_id = make_case(demo)
    task = new_task(case_id)
    demo.push(task)
    [theirs] = bea.push(update("task", task["id"], {"state": "done"}, {"state": "open"}, 1))
    assert theirs["status"] == "ok"
    [mine] = demo.push(
        update(
            "task",
            task["id"],
            {"state": "cancelled", "title": "Refund both charges"},
            {"state": "open", "title": "Refund the double charge"},
            1,
        )
    )
    assert mine["status"] == "conflict"
    assert mine["applied"] == ["title"]
    [conflict] = mine["conflicts"]
    assert (conflict["field"], conflict["mine"], conflict["theirs"], conflict["by"]) == (
        "state",
        "cancelled",
        "done",
        "Bea Berger",
    )
    stored = get(engine, Task, task["id"])
    assert (stored.state, stored.title) == ("done", "Refund both charges")
    # Bea's change is the one event; the refused state change wrote none.
    done = [m for m in events(engine, case_id) if " done: " in m.body]
    assert [m.author_name for m in done] == ["Bea Berger"]
    assert len(events(engine, case_id)) == 2


@pytest.mark.parametrize(
    ("mutation", "named"),
    [
        ({"fields": {"team": "fraud"}}, "team"),
        ({"fields": {"case_id": "x"}}, "case_id"),
        ({"fields": {"state": "finished"}}, "state"),
        ({"fields": {"due_at": "soon"}}, "due_at"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_bad_task_update_is_refused(demo: Pusher, engine: Engine, mutation: dict, named: str):
    case_id = make_case(demo)
    task = new_task(case_id)
    demo.push(task)
    [result] = demo.push({"op": "update", "entity": "task", "id": task["id"], **mutation})
    assert result["status"] == "error" and named in result["reason"]
    missing = str(uuid.uuid4())
    [gone] = demo.push(update("task", missing, {"state": "done"}, {}))
    assert gone["status"] == "error" and gone["reason"] == f"There is no task with id {missing}."


def _agent(engine: Engine, handle: str) -> Agent:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(Agent).where(Agent.handle == handle)).one()


def _queue(engine: Engine, slug: str) -> Queue:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(Queue).where(Queue.slug == slug)).one()


def test_case_field_changes_write_one_readable_event_each(demo: Pusher, engine: Engine):
    anna = _agent(engine, "anna.schmidt")
    billing = _queue(engine, "billing-de")
    cards = _queue(engine, "cards-fraud")
    case_id = make_case(demo, status="open", queue_id=billing.id, tags=["refund", "card"])
    results = demo.push(
        update("case", case_id, {"status": "pending"}, {"status": "open"}),
        update("case", case_id, {"priority": "urgent"}, {"priority": "normal"}),
        update("case", case_id, {"assignee_id": anna.id}, {"assignee_id": None}),
        update("case", case_id, {"assignee_id": None}, {"assignee_id": anna.id}),
        update("case", case_id, {"queue_id": cards.id}, {"queue_id": billing.id}),
        update("case", case_id, {"queue_id": None}, {"queue_id": cards.id}),
        update("case", case_id, {"tags": ["card", "vip"]}, {"tags": ["refund", "card"]}),
        update(
            "case", case_id, {"subject": "Charged twice in March"}, {"subject": "Charged twice"}
        ),
        update(
            "case",
            case_id,
            {"status": "on_hold", "priority": "high"},
            {"status": "pending", "priority": "urgent"},
        ),
        update("case", case_id, {"priority": "high"}, {"priority": "high"}),  # already so
    )
    assert {r["status"] for r in results} == {"ok"}
    assert bodies(engine, case_id) == [
        "Status: open → pending",
        "Priority: normal → urgent",
        "Assignee: (nobody) → Anna Schmidt",
        "Assignee: Anna Schmidt → (nobody)",
        "Queue: Billing DE → Cards & Fraud",
        "Queue: Cards & Fraud → (none)",
        "Tags: +vip \u2212refund",
        "Status: pending → on hold · Priority: urgent → high",
    ]
    demo_agent = _agent(engine, "demo")
    assert {(m.author_agent_id, m.author_name) for m in events(engine, case_id)} == {
        (demo_agent.id, "Demo Agent")
    }
    # Events are messages of the case, not changes of it: its version counts only its own.
    assert get(engine, Case, case_id).version == 10


def test_a_conflicting_or_refused_case_update_writes_no_event(
    demo: Pusher, bea: Pusher, engine: Engine
):
    case_id = make_case(demo, status="open")
    bea.push(update("case", case_id, {"priority": "high"}, {"priority": "normal"}, 1))
    [conflict] = demo.push(update("case", case_id, {"priority": "low"}, {"priority": "normal"}, 1))
    [refused] = demo.push(update("case", case_id, {"status": "new"}, {"status": "open"}))
    assert (conflict["status"], refused["status"]) == ("conflict", "error")
    assert bodies(engine, case_id) == ["Priority: normal → high"]
    assert events(engine, case_id)[0].author_name == "Bea Berger"


def test_a_repeated_push_writes_its_events_once(demo: Pusher, engine: Engine):
    case_id = make_case(demo, status="open")
    batch = [
        {**update("case", case_id, {"status": "pending"}, {"status": "open"}), "mid": 2},
        {**new_task(case_id), "mid": 3},
    ]
    body = {"client_id": demo.client_id, "mutations": [{"base": {}, **m} for m in batch]}
    headers = {"Authorization": f"Bearer {demo.token}"}
    first = demo.http.post(PUSH, json=body, headers=headers)
    second = demo.http.post(PUSH, json=body, headers=headers)
    assert first.json() == second.json()
    assert len(bodies(engine, case_id)) == 2


# -- the desk, offline -----------------------------------------------------------------------


def clock() -> datetime:
    return NOW


def _store(path: Path) -> None:
    cases = [
        Case(id="c1", number="CS-10001", subject="Card lost", status="open", version=2),
        Case(id="c2", number="CS-10002", subject="Old one", status="closed", version=4),
    ]
    rows = [ChangeRow(seq=0, entity="case", id=c.id, fields=to_wire(c)) for c in cases]
    agent = Agent(id="a1", handle="anna", name="Anna Berger")
    rows.append(ChangeRow(seq=0, entity="agent", id="a1", fields=to_wire(agent)))
    tasks = [
        Task(id="t-done", case_id="c1", team="fraud", title="Check card block", state="done",
             created_by_agent_id="a1", created_at=NOW, due_at=datetime(2026, 11, 1)),
        Task(id="t-late", case_id="c1", team="billing", title="Refund",
             due_at=datetime(2026, 11, 2), created_at=NOW),
        Task(id="t-none", case_id="c1", team="field_service", title="Visit", created_at=NOW),
        Task(id="t-soon", case_id="c1", team="billing", title="Credit note",
             due_at=datetime(2026, 11, 21, 14, 0), created_at=NOW),
    ]  # fmt: skip
    rows += [ChangeRow(seq=0, entity="task", id=t.id, fields=to_wire(t)) for t in tasks]
    desk = Desk.open(path, clock=clock)
    try:
        apply_page(
            desk.store,
            ChangesPage(rows=rows, cursor="d.10", more=False, snapshot=True),
            synced_at=NOW,
        )
    finally:
        desk.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite3"
    _store(path)
    return path


@pytest.fixture
def desk(store: Path) -> Iterator[Desk]:
    desk = Desk.open(store, agent_handle="anna", clock=clock)
    yield desk
    desk.close()


def _outbox(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT mid, op, entity, entity_id, base_version, fields, base FROM outbox ORDER BY mid"
        ).fetchall()
    return [(*r[:5], json.loads(r[5]), json.loads(r[6])) for r in rows]


def test_case_detail_lists_tasks_open_first_then_by_due(desk: Desk):
    detail = desk.case_detail("c1")
    assert detail is not None
    assert [t.id for t in detail.tasks] == ["t-late", "t-soon", "t-none", "t-done"]
    done = detail.tasks[-1]
    assert (done.team, done.state, done.created_by, done.due_at) == (
        "fraud",
        "done",
        "Anna Berger",
        datetime(2026, 11, 1),
    )
    assert detail.tasks[0].created_by == ""  # no author known
    assert desk.case_detail("c2").tasks == []  # type: ignore[union-attr]


def test_create_task_offline_writes_the_row_and_one_create_mutation(desk: Desk, store: Path):
    task_id = desk.create_task(
        "c1", "billing", "  Refund the\n double charge ", datetime(2026, 12, 1)
    )
    rows = _outbox(store)
    assert len(rows) == 1
    mid, op, entity, entity_id, base_version, fields, base = rows[0]
    assert (mid, op, entity, entity_id, base_version, base) == (
        1,
        "create",
        "task",
        task_id,
        None,
        {},
    )
    assert fields == {
        "case_id": "c1",
        "team": "billing",
        "title": "Refund the double charge",
        "due_at": "2026-12-01T00:00:00",
        "state": "open",
        "created_at": "2026-11-20T09:00:00",
    }
    task = next(t for t in desk.case_detail("c1").tasks if t.id == task_id)  # type: ignore[union-attr]
    assert (task.title, task.state, task.due_at) == (
        "Refund the double charge",
        "open",
        datetime(2026, 12, 1),
    )


def test_set_task_state_queues_an_update_with_its_base(desk: Desk, store: Path):
    desk.set_task_state("t-late", "done")
    desk.set_task_state("t-late", "done")  # already so: nothing more
    desk.update_task("t-soon", due_at=datetime(2026, 11, 21, 14, 0), title="Credit note")  # same
    desk.update_task("t-soon", due_at=None)
    rows = _outbox(store)
    assert [(r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("update", "task", "t-late", 1, {"state": "done"}, {"state": "open"}),
        ("update", "task", "t-soon", 1, {"due_at": None}, {"due_at": "2026-11-21T14:00:00"}),
    ]
    tasks = {t.id: t for t in desk.case_detail("c1").tasks}  # type: ignore[union-attr]
    assert tasks["t-late"].state == "done" and tasks["t-soon"].due_at is None


@pytest.mark.parametrize(
    ("call", "sentence"),
    [
        (lambda d: d.create_task("c1", "legal", "x"), "is not a task team"),
        (lambda d: d.create_task("c1", "billing", "   "), "needs a title"),
        (lambda d: d.create_task("c1", "billing", "x" * 201), "at most 200"),
        (lambda d: d.create_task("c1", "billing", "x", "tomorrow"), "date and time"),
        (lambda d: d.create_task("nope", "billing", "x"), "not in the local store"),
        (lambda d: d.create_task("c2", "billing", "x"), "closed case takes no new tasks"),
        (lambda d: d.set_task_state("t-late", "finished"), "is not a task state"),
        (lambda d: d.set_task_state("nope", "done"), "not in the local store"),
        (lambda d: d.update_task("t-late", team="fraud"), "no editable field team"),
    ],
)
def test_bad_task_commands_raise_one_sentence_and_write_nothing(
    desk: Desk, store: Path, call: Any, sentence: str
):
    with pytest.raises(CsmError) as err:
        call(desk)
    assert sentence in str(err.value)
    assert str(err.value).endswith(".")
    assert _outbox(store) == []


def test_a_refused_task_create_is_taken_back(desk: Desk, store: Path):
    from csm_tui.store import outbox

    task_id = desk.create_task("c1", "fraud", "Verify identity")
    entries = outbox.pending(desk._outbox().read())
    with desk._outbox().transaction() as conn:
        settled = outbox.settle(
            conn,
            entries,
            [MutationResult(mid=entries[0].mid, status="error", reason="No.")],
            last_mid=entries[0].mid,
            now=NOW,
        )
    assert settled.case_ids == {"c1"}
    assert task_id not in {t.id for t in desk.case_detail("c1").tasks}  # type: ignore[union-attr]
    [rejected] = desk.rejected()
    assert (rejected.entity, rejected.case_number, rejected.reason) == ("task", "CS-10001", "No.")


def test_a_pulled_task_delta_repaints_its_case(desk: Desk):
    page = ChangesPage(
        rows=[
            ChangeRow(seq=11, entity="task", id="t-late", fields={"state": "done", "version": 2})
        ],
        cursor="d.11",
        more=False,
    )
    applied = apply_page(desk.store, page, synced_at=NOW)
    assert applied.case_ids == {"c1"}


def test_pending_task_edits_survive_a_pull(desk: Desk):
    desk.set_task_state("t-none", "cancelled")
    page = ChangesPage(
        rows=[
            ChangeRow(seq=11, entity="task", id="t-none", fields={"title": "Visit", "version": 2})
        ],
        cursor="d.11",
        more=False,
    )
    apply_page(desk.store, page, synced_at=NOW)
    tasks = {t.id: t for t in desk.case_detail("c1").tasks}  # type: ignore[union-attr]
    assert tasks["t-none"].state == "cancelled"


def test_event_messages_are_not_searched(desk: Desk):
    from csm_tui.desk import CaseQuery

    page = ChangesPage(
        rows=[
            ChangeRow(
                seq=11,
                entity="message",
                id="m-event",
                fields=to_wire(
                    Message(id="m-event", case_id="c1", kind="event", body="Assignee: Zebulon",
                            created_at=NOW)
                ),
            ),
            ChangeRow(
                seq=12,
                entity="message",
                id="m-note",
                fields=to_wire(
                    Message(id="m-note", case_id="c1", kind="internal", body="Called Quentin",
                            created_at=NOW)
                ),
            ),
        ],
        cursor="d.12",
        more=False,
    )  # fmt: skip
    apply_page(desk.store, page, synced_at=NOW)
    assert desk.case_count(CaseQuery(search="quentin")) == 1
    assert desk.case_count(CaseQuery(search="zebulon")) == 0


# -- due times -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("   ", None),
        ("2026-12-01", datetime(2026, 12, 1)),
        ("2026-11-20", datetime(2026, 11, 20)),  # today: due by its end
        (" 2026-12-01 14:30 ", datetime(2026, 12, 1, 14, 30)),
        ("2026-12-01T08:05", datetime(2026, 12, 1, 8, 5)),
        ("+2d", datetime(2026, 11, 22, 9, 0)),
        ("+4h", datetime(2026, 11, 20, 13, 0)),
        ("+ 4H", datetime(2026, 11, 20, 13, 0)),
        ("+1w", datetime(2026, 11, 27, 9, 0)),
    ],
)
def test_parse_due_reads_what_agents_type(text: str, expected: datetime | None):
    assert parse_due(text, datetime(2026, 11, 20, 9, 0, 42)) == expected


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("tomorrow", due_mod.DUE_FORMAT_HINT),
        ("2026-13-01", due_mod.DUE_FORMAT_HINT),
        ("01.12.2026", due_mod.DUE_FORMAT_HINT),
        ("+2", due_mod.DUE_FORMAT_HINT),
        ("-2d", due_mod.DUE_FORMAT_HINT),
        ("2026-12-01 25:00", due_mod.DUE_FORMAT_HINT),
        ("2026-11-19", due_mod.PAST_DUE),
        ("2026-11-20 08:00", due_mod.PAST_DUE),
        ("+0d", due_mod.ZERO_SPAN),
        ("+999999d", due_mod.TOO_FAR),
        ("2040-01-01", due_mod.TOO_FAR),
    ],
)
def test_parse_due_refuses_with_one_sentence(text: str, sentence: str):
    with pytest.raises(DueError) as err:
        parse_due(text, NOW)
    assert str(err.value) == sentence
    assert sentence.endswith(".") and sentence.count(". ") == 0


def test_a_due_date_is_overdue_only_after_its_day():
    day = datetime(2026, 12, 1)
    assert format_due(day) == "2026-12-01"
    assert format_due(datetime(2026, 12, 1, 14, 30)) == "2026-12-01 14:30"
    assert not is_overdue(day, datetime(2026, 12, 1, 23, 59))
    assert is_overdue(day, datetime(2026, 12, 2, 0, 0))
    assert not is_overdue(datetime(2026, 12, 1, 14, 30), datetime(2026, 12, 1, 14, 30))
    assert is_overdue(datetime(2026, 12, 1, 14, 30), datetime(2026, 12, 1, 14, 31))
    assert not is_overdue(None, datetime(2099, 1, 1))
    assert [t.label for t in TaskTeam] == ["Fraud", "Billing", "Field service"]


def test_seeded_tasks_match_their_events():
    from csm_tui.server.seed import generate

    data = generate(300, seed=42, now=NOW)
    assert 0.05 < len({t.case_id for t in data.tasks}) / len(data.cases) < 0.12
    assert {t.state for t in data.tasks} == {"open", "done", "cancelled"}
    assert {t.team for t in data.tasks} == {"fraud", "billing", "field_service"}
    cases = {c.id: c for c in data.cases}
    lines = {(m.case_id, m.body) for m in data.messages if m.kind == MessageKind.EVENT}
    for task in data.tasks:
        label = TaskTeam(task.team).label
        due = f" (due {format_due(task.due_at)})" if task.due_at else ""
        assert (task.case_id, f"Task for {label} created: {task.title}{due}") in lines
        if task.state != "open":
            assert (task.case_id, f"Task for {label} {task.state}: {task.title}") in lines
        assert cases[task.case_id].created_at < task.created_at <= task.updated_at <= NOW
        assert cases[task.case_id].status != "new"
    again = [to_wire(t) for t in generate(60, seed=7, now=NOW).tasks]
    assert again == [to_wire(t) for t in generate(60, seed=7, now=NOW).tasks]
