"""Macros and snippets live on the server and sync: the server's push rules for them (roles,
the domain's checks, field-by-field conflicts, tombstones), macro uses, the visibility of
personal ones on pull (snapshot and deltas), the desk's offline commands and their outbox
rows, and the suggester built from the uses in the store.

Server tests run on SQLite and PostgreSQL (``server_db_url``); desk tests on real store files.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from csm_tui.desk import Desk
from csm_tui.domain.macros import (
    AddTags,
    Macro,
    Reply,
    SetPriority,
    SetStatus,
    action_from_dict,
    action_to_dict,
    macros_from_toml,
)
from csm_tui.domain.models import Agent, Case, MacroRow, MacroUse, Queue, SnippetRow, to_wire
from csm_tui.domain.snippets import Snippet
from csm_tui.errors import CsmError
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import add_agent, issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.seed import seed_database
from csm_tui.server.tables import ChangeLog
from csm_tui.store import outbox
from csm_tui.store.apply import apply_page
from csm_tui.sync import wire
from csm_tui.sync.wire import ChangeRow, ChangesPage, MutationResult

NOW = datetime(2026, 11, 20, 9, 0)
PUSH = "/api/v1/push"
CHANGES = "/api/v1/changes"
SHARED_ONLY = "Only a team lead can change shared macros."

ACTIONS = [
    {"type": "set_priority", "priority": "high"},
    {"type": "add_tags", "tags": ["refund"]},
    {"type": "reply", "kind": "public", "template": "Hello {{ customer.first_name }},"},
]


# -- the server ------------------------------------------------------------------------------


@pytest.fixture
def engine(server_db_url: str) -> Iterator[Engine]:
    eng = make_engine(server_db_url)
    init_db(eng)
    seed_database(eng, 12, seed=3, now=NOW)
    add_agent(eng, "bea.berger", "Bea Berger", team="Billing")
    add_agent(eng, "lena.lead", "Lena Lead", role="lead", team="Billing")
    yield eng
    eng.dispose()


@dataclass
class Pusher:
    """One desk of one agent, pushing and pulling through a TestClient."""

    http: TestClient
    token: str
    client_id: str
    next_mid: int = 1

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def push(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        numbered = []
        for m in mutations:
            numbered.append({"base": {}, **m, "mid": self.next_mid})
            self.next_mid += 1
        reply = self.http.post(
            PUSH, json={"client_id": self.client_id, "mutations": numbered}, headers=self.headers
        )
        assert reply.status_code == 200, reply.text
        return [r.model_dump() for r in wire.PushReply.model_validate(reply.json()).results]

    def pull(self, cursor: str | None = None, **params: Any) -> tuple[list[dict], str, int]:
        """Every page from ``cursor`` on: (rows, the last cursor, pages)."""
        rows: list[dict] = []
        pages = 0
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {})}
            reply = self.http.get(CHANGES, params=query, headers=self.headers)
            assert reply.status_code == 200, reply.text
            page = wire.ChangesPage.model_validate(reply.json())
            pages += 1
            rows += [r.model_dump() for r in page.rows]
            cursor = page.cursor
            if not page.more:
                return rows, cursor, pages


@pytest.fixture
def http(engine: Engine) -> Iterator[TestClient]:
    with TestClient(make_server_app(engine=engine)) as client:
        yield client


def _pusher(http: TestClient, engine: Engine, handle: str) -> Pusher:
    return Pusher(http, issue_token(engine, handle, label="tests"), f"desk-{uuid.uuid4()}")


@pytest.fixture
def demo(http: TestClient, engine: Engine) -> Pusher:
    return _pusher(http, engine, "demo")


@pytest.fixture
def bea(http: TestClient, engine: Engine) -> Pusher:
    return _pusher(http, engine, "bea.berger")


@pytest.fixture
def lead(http: TestClient, engine: Engine) -> Pusher:
    return _pusher(http, engine, "lena.lead")


def create(entity: str, fields: dict[str, Any], row_id: str | None = None) -> dict[str, Any]:
    return {"op": "create", "entity": entity, "id": row_id or str(uuid.uuid4()), "fields": fields}


def new_macro(row_id: str | None = None, /, **fields: Any) -> dict[str, Any]:
    values = {"name": "Refund approved", "scope": "personal", "actions": ACTIONS, **fields}
    return create("macro", values, row_id)


def new_snippet(row_id: str | None = None, /, **fields: Any) -> dict[str, Any]:
    values = {"shortcut": "greet", "title": "Greeting", "body": "Hello,", **fields}
    return create("snippet", values, row_id)


def update(entity: str, id: str, fields: dict, base: dict, version: int | None = None) -> dict:
    return {
        "op": "update",
        "entity": entity,
        "id": id,
        "fields": fields,
        "base": base,
        "base_version": version,
    }


def delete(entity: str, id: str) -> dict[str, Any]:
    return {"op": "delete", "entity": entity, "id": id}


def get(engine: Engine, model: type, id: str) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(model, id)


def agent_id(engine: Engine, handle: str) -> str:
    with Session(engine) as session:
        return session.exec(select(Agent.id).where(Agent.handle == handle)).one()


def log_of(engine: Engine, row_id: str) -> list[tuple[str, str]]:
    with Session(engine) as session:
        entries = session.exec(
            select(ChangeLog).where(ChangeLog.entity_id == row_id).order_by(ChangeLog.seq)
        ).all()
        return [(e.op, e.entity) for e in entries]


def test_a_lead_creates_a_shared_macro_and_an_agent_may_not(
    demo: Pusher, lead: Pusher, engine: Engine
):
    macro_id = str(uuid.uuid4())
    [refused] = demo.push(new_macro(macro_id, scope="shared"))
    assert (refused["status"], refused["reason"]) == ("error", SHARED_ONLY)
    assert get(engine, MacroRow, macro_id) is None and log_of(engine, macro_id) == []

    [ok] = lead.push(new_macro(macro_id, scope="shared", owner_agent_id="someone"))
    assert ok["status"] == "ok" and ok["version"] == 1
    row = get(engine, MacroRow, macro_id)
    assert (row.scope, row.owner_agent_id, row.name, row.actions) == (
        "shared",
        None,
        "Refund approved",
        ACTIONS,
    )
    assert log_of(engine, macro_id) == [("upsert", "macro")]
    # The same create again (a lost reply) is fine; other content under that id is not.
    [again] = lead.push(new_macro(macro_id, scope="shared"))
    assert again["status"] == "ok"
    [other] = lead.push(new_macro(macro_id, scope="shared", name="Something else"))
    assert other["status"] == "error" and "already exists" in other["reason"]


def test_a_personal_macro_belongs_to_whoever_creates_it(demo: Pusher, engine: Engine):
    macro_id = str(uuid.uuid4())
    [ok] = demo.push(new_macro(macro_id, owner_agent_id=agent_id(engine, "bea.berger")))
    assert ok["status"] == "ok"
    row = get(engine, MacroRow, macro_id)
    assert (row.scope, row.owner_agent_id) == ("personal", agent_id(engine, "demo"))


def test_only_the_owner_changes_or_deletes_a_personal_macro(
    demo: Pusher, bea: Pusher, lead: Pusher, engine: Engine
):
    macro_id = str(uuid.uuid4())
    demo.push(new_macro(macro_id))
    for other in (bea, lead):  # not even a lead
        [changed, deleted] = other.push(
            update("macro", macro_id, {"name": "Mine now"}, {"name": "Refund approved"}, 1),
            delete("macro", macro_id),
        )
        for result in (changed, deleted):
            assert (result["status"], result["reason"]) == (
                "error",
                "Only its owner can change a personal macro.",
            )
    [renamed] = demo.push(
        update("macro", macro_id, {"name": "Refund ok"}, {"name": "Refund approved"}, 1)
    )
    assert renamed["status"] == "ok" and renamed["version"] == 2
    [gone] = demo.push(delete("macro", macro_id))
    assert gone["status"] == "ok"
    assert get(engine, MacroRow, macro_id) is None
    assert log_of(engine, macro_id) == [
        ("upsert", "macro"),
        ("upsert", "macro"),
        ("delete", "macro"),
    ]
    [twice] = demo.push(delete("macro", macro_id))  # already gone: nothing more
    assert twice["status"] == "ok" and len(log_of(engine, macro_id)) == 3
    [late] = demo.push(update("macro", macro_id, {"name": "x"}, {"name": "Refund ok"}, 2))
    assert late["status"] == "error" and "deleted" in late["reason"]


def test_shared_macros_change_field_by_field_and_only_by_leads(
    demo: Pusher, lead: Pusher, http: TestClient, engine: Engine
):
    other_lead = _pusher(http, engine, "katrin.hoffmann")  # a lead of the seed
    macro_id = str(uuid.uuid4())
    lead.push(new_macro(macro_id, scope="shared", description="v1"))
    [refused] = demo.push(update("macro", macro_id, {"description": "x"}, {"description": "v1"}))
    assert refused["reason"] == SHARED_ONLY
    [refused] = demo.push(delete("macro", macro_id))
    assert refused["reason"] == SHARED_ONLY

    [first] = lead.push(
        update("macro", macro_id, {"name": "Refund OK", "description": "v2"}, {}, 1)
    )
    assert first["status"] == "ok"
    # The other lead saw version 1: the name and description were changed since; the
    # actions were not.
    actions = [*ACTIONS, {"type": "set_status", "status": "solved"}]
    [second] = other_lead.push(
        update(
            "macro",
            macro_id,
            {"name": "Refund done", "actions": actions},
            {"name": "Refund approved", "actions": ACTIONS},
            1,
        )
    )
    assert second["status"] == "conflict"
    assert second["applied"] == ["actions"]
    [conflict] = second["conflicts"]
    assert (conflict["field"], conflict["mine"], conflict["theirs"], conflict["by"]) == (
        "name",
        "Refund done",
        "Refund OK",
        "Lena Lead",
    )
    row = get(engine, MacroRow, macro_id)
    assert (row.name, row.description, row.actions, row.version) == (
        "Refund OK",
        "v2",
        actions,
        3,
    )


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"name": "  "}, "The field name must not be empty."),
        ({"actions": []}, "A macro needs at least one action."),
        ({"actions": [{"type": "set_status", "status": "done"}]}, "'done' is not a status"),
        ({"actions": [{"type": "explode"}]}, "action 1 has type 'explode'"),
        (
            {"actions": [{"type": "set_status", "status": "open"}] * 2},
            "A macro sets the status once.",
        ),
        (
            {"actions": [{"type": "reply", "kind": "public", "template": "{{ case.nmber }}"}]},
            "case.nmber",
        ),
        ({"scope": "team"}, "personal or shared, not 'team'"),
        ({"actions": "set_status"}, "must be a list of actions"),
        ({"version": 7, "colour": "red"}, "The field colour cannot be set on a macro"),
    ],
)
def test_a_bad_macro_is_refused_with_one_sentence(
    demo: Pusher, engine: Engine, fields: dict, sentence: str
):
    macro_id = str(uuid.uuid4())
    [result] = demo.push(new_macro(macro_id, **fields))
    assert result["status"] == "error"
    assert sentence in result["reason"] and result["reason"].endswith(".")
    assert get(engine, MacroRow, macro_id) is None


def test_a_bad_macro_update_is_refused_and_the_scope_stays(demo: Pusher, engine: Engine):
    macro_id = str(uuid.uuid4())
    demo.push(new_macro(macro_id))
    [bad] = demo.push(update("macro", macro_id, {"actions": [{"type": "set_status"}]}, {}, 1))
    assert bad["reason"] == "The macro: action 1 (set_status) needs status."
    [scope] = demo.push(update("macro", macro_id, {"scope": "shared"}, {"scope": "personal"}, 1))
    assert scope["reason"] == "A macro stays personal; duplicate it to make a shared one."
    [owner] = demo.push(update("macro", macro_id, {"owner_agent_id": "x"}, {}, 1))
    assert "owner_agent_id cannot be set" in owner["reason"]
    assert get(engine, MacroRow, macro_id).version == 1


def test_snippets_follow_the_same_rules(demo: Pusher, lead: Pusher, engine: Engine):
    snippet_id = str(uuid.uuid4())
    [refused] = demo.push(new_snippet(snippet_id, scope="shared"))
    assert refused["reason"] == "Only a team lead can change shared snippets."
    [ok] = lead.push(new_snippet(snippet_id, scope="shared", shortcut=";Greet"))
    assert ok["status"] == "ok"
    assert get(engine, SnippetRow, snippet_id).shortcut == "greet"
    [bad] = lead.push(new_snippet(shortcut="no spaces please"))
    assert bad["status"] == "error" and "is not one" in bad["reason"]
    [bad] = lead.push(new_snippet(body="Hi {{ customer.frist_name }}"))
    assert "customer.frist_name" in bad["reason"]
    [missing] = lead.push(create("snippet", {"shortcut": "x", "title": "X"}))
    assert missing["reason"] == "A new snippet needs its body."
    [changed] = lead.push(update("snippet", snippet_id, {"body": "Hi,"}, {"body": "Hello,"}, 1))
    assert changed["status"] == "ok"
    [refused] = demo.push(delete("snippet", snippet_id))
    assert refused["reason"] == "Only a team lead can change shared snippets."
    [gone] = lead.push(delete("snippet", snippet_id))
    assert gone["status"] == "ok" and get(engine, SnippetRow, snippet_id) is None
    [nope] = demo.push(delete("case", str(uuid.uuid4())))
    assert nope["reason"] == "A desk cannot delete a case."


def test_a_macro_use_is_recorded_once_for_the_acting_agent(
    demo: Pusher, bea: Pusher, engine: Engine
):
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.status != "closed")).first()
        queue = session.get(Queue, case.queue_id)
        assert case is not None and queue is not None
        case_id, tags, subject, slug = case.id, list(case.tags), case.subject, queue.slug
    macro_id = str(uuid.uuid4())
    demo.push(new_macro(macro_id))
    use_id = str(uuid.uuid4())
    [ok] = demo.push(
        create("macro_use", {"macro_id": macro_id, "case_id": case_id, "agent_id": "x"}, use_id)
    )
    assert ok["status"] == "ok"
    use = get(engine, MacroUse, use_id)
    # What the desk did not say comes from the case as the server holds it.
    assert (use.agent_id, use.queue, use.tags, use.subject) == (
        agent_id(engine, "demo"),
        slug,
        tags,
        subject,
    )
    given = {"macro_id": "gone", "case_id": case_id, "queue": "q", "tags": ["a"], "subject": "s"}
    [deleted_macro] = demo.push(create("macro_use", given))
    assert deleted_macro["status"] == "ok"  # a macro deleted since still counts
    [other] = bea.push(create("macro_use", {"macro_id": macro_id, "case_id": case_id}))
    assert other["reason"] == "Only its owner can use a personal macro."
    [changed] = demo.push(update("macro_use", use_id, {"subject": "x"}, {}))
    assert changed["reason"] == "A macro use is recorded once and never changed."
    [no_case] = demo.push(create("macro_use", {"macro_id": macro_id, "case_id": "nope"}))
    assert no_case["reason"] == "The field case_id names no known case."


# -- visibility on pull ----------------------------------------------------------------------


def _macro_ids(rows: list[dict]) -> set[str]:
    return {r["id"] for r in rows if r["entity"] in ("macro", "snippet")}


def test_another_agents_personal_macros_never_reach_a_desk(
    demo: Pusher, bea: Pusher, engine: Engine
):
    # Bea's desk is in sync before demo writes anything.
    _, bea_cursor, _ = bea.pull()
    _, demo_cursor, _ = demo.pull()
    mine, snip, shared_seen = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    bea.push(new_macro(shared_seen, name="Bea's own"))
    demo.push(new_macro(mine), new_snippet(snip))
    demo.push(update("macro", mine, {"name": "Renamed"}, {"name": "Refund approved"}, 1))
    demo.push(delete("snippet", snip))

    # Deltas: demo gets its own rows, Bea none of them; Bea's cursor still moves on.
    rows, bea_after, _ = bea.pull(bea_cursor)
    assert mine not in _macro_ids(rows) and snip not in _macro_ids(rows)
    assert shared_seen in _macro_ids(rows)
    assert int(bea_after.removeprefix("d.")) > int(bea_cursor.removeprefix("d."))
    rows, _, _ = demo.pull(demo_cursor)
    assert {mine, snip} <= _macro_ids(rows) and shared_seen not in _macro_ids(rows)
    assert ("delete", snip) in {(r["op"], r["id"]) for r in rows}

    # Snapshots (a new desk): the same, in small pages, and the seeded shared ones for all.
    with Session(engine) as session:
        seeded = set(session.exec(select(MacroRow.id).where(MacroRow.scope == "shared")).all())
    assert seeded
    rows, _, _ = bea.pull(limit=7)
    assert _macro_ids(rows) >= seeded | {shared_seen}
    assert mine not in _macro_ids(rows)
    rows, _, _ = demo.pull(limit=7)
    assert mine in _macro_ids(rows) and shared_seen not in _macro_ids(rows)
    # The first screen of a cold desk carries no macros at all.
    reply = bea.http.get(CHANGES, params={"first_screen": "true"}, headers=bea.headers)
    assert not _macro_ids(reply.json()["rows"])


def test_pages_of_nothing_but_hidden_rows_still_move_on(demo: Pusher, bea: Pusher):
    _, cursor, _ = bea.pull()
    demo.push(*[new_macro(name=f"Private {n}") for n in range(12)], new_snippet())
    bea_own = str(uuid.uuid4())
    bea.push(new_macro(bea_own, name="Bea's"))
    rows, after, pages = bea.pull(cursor, limit=5)
    assert [r["id"] for r in rows if r["entity"] in ("macro", "snippet")] == [bea_own]
    assert pages >= 3  # hidden rows took whole pages, and paging went on past them
    again = bea.http.get(CHANGES, params={"cursor": after}, headers=bea.headers).json()
    assert again["rows"] == [] and again["more"] is False


def test_a_snapshot_page_of_hidden_rows_does_not_stop_the_snapshot(
    demo: Pusher, bea: Pusher, engine: Engine
):
    demo.push(*[new_macro(name=f"Private {n}") for n in range(9)])
    with Session(engine) as session:
        snippets = set(session.exec(select(SnippetRow.id)).all())
        uses = set(session.exec(select(MacroUse.id)).all())
    rows, _, _ = bea.pull(limit=3)
    # Everything after the hidden macros still arrives: the snippets and the macro uses.
    assert snippets and {r["id"] for r in rows if r["entity"] == "snippet"} == snippets
    assert {r["id"] for r in rows if r["entity"] == "macro_use"} == uses


# -- the desk, offline -----------------------------------------------------------------------


def clock() -> datetime:
    return NOW


SHARED = Macro(
    id="m-shared",
    name="Close: solved by phone",
    actions=(SetStatus("solved"), AddTags(("phone",))),
    scope="shared",
)
THEIRS = Macro(
    id="m-theirs", name="Bea's", actions=(SetPriority("low"),), owner_id="a2", scope="personal"
)


def _row(entity: str, model: Any) -> ChangeRow:
    return ChangeRow(seq=0, entity=entity, id=model.id, fields=to_wire(model))


def _macro_row(macro: Macro) -> MacroRow:
    return MacroRow(
        id=macro.id,
        name=macro.name,
        description=macro.description,
        scope=macro.scope,
        owner_agent_id=macro.owner_id,
        actions=[action_to_dict(a) for a in macro.actions],
        updated_at=NOW,
    )


def _store(path: Path) -> None:
    rows = [
        _row("agent", Agent(id="a1", handle="anna", name="Anna Berger", role="agent")),
        _row("agent", Agent(id="a2", handle="bea", name="Bea Berger", role="agent")),
        _row("agent", Agent(id="l1", handle="lena", name="Lena Lead", role="lead")),
        _row("queue", Queue(id="q1", slug="billing-de", name="Billing DE")),
        _row("queue", Queue(id="q2", slug="cards-fraud", name="Cards & Fraud")),
        _row(
            "case",
            Case(id="c1", number="CS-1", subject="Karte gestohlen", status="open", queue_id="q2",
                 tags=["card-block"], version=2),
        ),
        _row(
            "case",
            Case(id="c2", number="CS-2", subject="Doppelte Abbuchung", status="open",
                 queue_id="q1", tags=["refund"], version=1),
        ),
        _row("macro", _macro_row(SHARED)),
        _row("macro", _macro_row(THEIRS)),
        ChangeRow(
            seq=0,
            entity="macro",
            id="m-future",
            fields={**to_wire(_macro_row(replace(SHARED, id="m-future", name="From the future"))),
                    "actions": [{"type": "teleport"}]},
        ),
        _row(
            "snippet",
            SnippetRow(id="s-greet", shortcut="greet", title="Greeting", body="Hello,",
                       scope="shared", updated_at=NOW),
        ),
    ]  # fmt: skip
    desk = Desk.open(path, clock=clock)
    try:
        apply_page(
            desk.store,
            ChangesPage(rows=rows, cursor="d.10", more=False, snapshot=True),
            synced_at=NOW,
        )
    finally:
        desk.close()


def _sign_in(desk: Desk, agent: str) -> None:
    with desk._outbox().transaction() as conn:
        outbox.set_state(conn, "agent_id", agent)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite3"
    _store(path)
    return path


@pytest.fixture
def desk(store: Path) -> Iterator[Desk]:
    desk = Desk.open(store, agent_handle="anna", clock=clock)
    _sign_in(desk, "a1")
    yield desk
    desk.close()


def _outbox(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT mid, op, entity, entity_id, base_version, fields, base FROM outbox ORDER BY mid"
        ).fetchall()
    return [(*r[:5], json.loads(r[5]), json.loads(r[6])) for r in rows]


def test_macros_are_domain_objects_shared_and_mine_by_name(desk: Desk):
    assert desk.macros() == [SHARED]  # not Bea's, not the one this desk cannot read
    assert desk.macro("m-shared") == SHARED and desk.macro("m-theirs") is None
    assert [s.shortcut for s in desk.snippets()] == ["greet"]
    assert desk.snippets()[0] == Snippet("s-greet", "greet", "Greeting", "Hello,", "shared", None)
    assert not desk.can_change(SHARED)


def test_save_macro_creates_then_updates_with_one_mutation_each(desk: Desk, store: Path):
    draft = Macro(id="", name="  Refund\n ok ", actions=(Reply("public", "Hi {{ cursor }}"),))
    macro_id = desk.save_macro(draft)
    mine = desk.macro(macro_id)
    assert mine == replace(draft, id=macro_id, name="Refund ok", owner_id="a1")
    assert desk.can_change(mine)  # type: ignore[arg-type]
    [(mid, op, entity, entity_id, base_version, fields, base)] = _outbox(store)
    assert (mid, op, entity, entity_id, base_version, base) == (1, "create", "macro", macro_id,
                                                                None, {})  # fmt: skip
    assert fields == {
        "name": "Refund ok",
        "description": "",
        "actions": [{"type": "reply", "kind": "public", "template": "Hi {{ cursor }}"}],
        "scope": "personal",
    }
    assert desk.save_macro(mine) == macro_id  # type: ignore[arg-type]  # unchanged: nothing
    desk.save_macro(replace(mine, description="For refunds"))  # type: ignore[arg-type]
    rows = _outbox(store)
    assert len(rows) == 2
    assert rows[1][1:] == ("update", "macro", macro_id, 1, {"description": "For refunds"},
                           {"description": ""})  # fmt: skip
    assert [m.name for m in desk.macros()] == ["Close: solved by phone", "Refund ok"]


@pytest.mark.parametrize(
    ("call", "sentence"),
    [
        (lambda d: d.save_macro(replace(SHARED, name="Mine")), SHARED_ONLY),
        (lambda d: d.save_macro(replace(SHARED, id="new", name="New")), SHARED_ONLY),
        (lambda d: d.delete_macro("m-shared"), SHARED_ONLY),
        (lambda d: d.save_macro(replace(THEIRS, name="x")), "Only its owner can change"),
        (lambda d: d.delete_macro("m-theirs"), "Only its owner can change a personal macro."),
        (lambda d: d.save_macro(replace(SHARED, id="", actions=())), "at least one action"),
        (
            lambda d: d.save_macro(replace(SHARED, scope="personal")),
            "A macro stays shared; duplicate it to make a personal one.",
        ),
        (lambda d: d.delete_macro("nope"), "That macro is not in the local store"),
        (lambda d: d.duplicate_macro("m-theirs", "Copy"), "That macro is not in the local"),
        (lambda d: d.duplicate_macro("m-shared", " "), "A macro needs a name."),
        (lambda d: d.save_snippet(Snippet("", "a b", "T", "x")), "is not one"),
        (lambda d: d.save_snippet(Snippet("", "x", "T", "{{ nope }}")), "nope"),
        (lambda d: d.delete_snippet("s-greet"), "Only a team lead can change shared snippets."),
        (lambda d: d.record_macro_use("m-shared", "nope"), "That case is not in the local"),
        (lambda d: d.record_macro_use("m-theirs", "c1"), "Only its owner can use a personal"),
        (lambda d: d.record_macro_use("nope", "c1"), "That macro is not in the local store"),
    ],
)
def test_refused_library_commands_say_why_and_write_nothing(
    desk: Desk, store: Path, call: Any, sentence: str
):
    with pytest.raises(CsmError) as err:
        call(desk)
    assert sentence in str(err.value) and str(err.value).endswith(".")
    assert _outbox(store) == []


def test_before_the_first_sync_the_desk_does_not_know_whose_macro_it_is(store: Path):
    desk = Desk.open(store, clock=clock)
    try:
        with pytest.raises(CsmError, match="Sync once so the desk knows who you are"):
            desk.save_macro(replace(SHARED, id="", scope="personal"))
    finally:
        desk.close()


def test_a_lead_changes_and_deletes_shared_ones_and_a_refused_delete_comes_back(
    desk: Desk, store: Path
):
    _sign_in(desk, "l1")
    assert desk.can_change(SHARED)
    desk.save_macro(replace(SHARED, description="Use after a call"))
    desk.delete_macro("m-shared")
    assert desk.macro("m-shared") is None
    rows = _outbox(store)
    assert [r[1] for r in rows] == ["update", "delete"]
    deleted = rows[1]
    assert deleted[2:5] == ("macro", "m-shared", 1)  # the update is not pulled yet
    assert deleted[6]["description"] == "Use after a call" and deleted[6]["scope"] == "shared"
    entries = outbox.pending(desk._outbox().read())
    with desk._outbox().transaction() as conn:
        outbox.settle(
            conn,
            entries,
            [
                MutationResult(mid=entries[0].mid, status="ok", version=2),
                MutationResult(mid=entries[1].mid, status="error", reason="No."),
            ],
            last_mid=entries[1].mid,
            now=NOW,
        )
    assert desk.macro("m-shared") == replace(SHARED, description="Use after a call")
    [rejected] = desk.rejected()
    assert (rejected.entity, rejected.entity_id, rejected.reason) == ("macro", "m-shared", "No.")


def test_a_pending_delete_survives_a_pull_of_the_row(desk: Desk):
    _sign_in(desk, "l1")
    desk.delete_snippet("s-greet")
    page = ChangesPage(
        rows=[
            ChangeRow(seq=11, entity="snippet", id="s-greet", fields={"title": "Hi", "version": 2})
        ],
        cursor="d.11",
        more=False,
    )  # fmt: skip
    apply_page(desk.store, page, synced_at=NOW)
    assert desk.snippets() == []


def test_duplicate_makes_a_personal_copy_anyone_may_change(desk: Desk, store: Path):
    copy_id = desk.duplicate_macro("m-shared", "My close")
    copy = desk.macro(copy_id)
    assert copy == replace(SHARED, id=copy_id, name="My close", scope="personal", owner_id="a1")
    assert desk.can_change(copy)  # type: ignore[arg-type]
    [row] = _outbox(store)
    assert row[1:3] == ("create", "macro") and row[5]["scope"] == "personal"
    desk.delete_macro(copy_id)
    assert desk.macro(copy_id) is None
    assert [r[1] for r in _outbox(store)] == ["create", "delete"]


def test_snippets_save_and_delete_offline(desk: Desk, store: Path):
    snippet_id = desk.save_snippet(
        Snippet("", ";Sig", "Signature ", "Kind regards\n{{ agent.name }}")
    )
    [mine] = [s for s in desk.snippets() if s.id == snippet_id]
    assert (mine.shortcut, mine.title, mine.scope, mine.owner_id) == ("sig", "Signature",
                                                                     "personal", "a1")  # fmt: skip
    desk.save_snippet(replace(mine, body="Best\n{{ agent.name }}"))
    desk.delete_snippet(snippet_id)
    assert [(r[1], r[2]) for r in _outbox(store)] == [
        ("create", "snippet"),
        ("update", "snippet"),
        ("delete", "snippet"),
    ]
    assert _outbox(store)[1][5] == {"body": "Best\n{{ agent.name }}"}


def test_import_is_all_or_nothing_and_updates_what_it_may(desk: Desk, store: Path):
    library = macros_from_toml(
        """
[[macro]]
id = "m-shared"
name = "Close: solved by phone"
scope = "shared"
[[macro.action]]
type = "set_status"
status = "solved"

[[snippet]]
shortcut = "bye"
owner = "another desk's agent"
title = "Goodbye"
body = "Bye!"
"""
    )
    macro_ids, snippet_ids = desk.import_library(list(library.macros), list(library.snippets))
    # The shared macro's id is not this agent's to change: a personal copy gets a new id.
    assert macro_ids[0] != "m-shared"
    assert desk.macro(macro_ids[0]).scope == "personal"  # type: ignore[union-attr]
    again, _ = desk.import_library(
        [replace(library.macros[0], id=macro_ids[0], name="Renamed")], []
    )
    assert again == macro_ids  # its own personal macro: updated in place
    assert desk.macro(macro_ids[0]).name == "Renamed"  # type: ignore[union-attr]
    before = _outbox(store)
    with pytest.raises(CsmError, match=SHARED_ONLY):
        desk.import_library(list(library.macros), list(library.snippets), shared=True)
    assert _outbox(store) == before
    assert [s.shortcut for s in desk.snippets()] == ["bye", "greet"]
    assert snippet_ids


def test_record_macro_use_keeps_what_the_case_is_like(desk: Desk, store: Path):
    use_id = desk.record_macro_use("m-shared", "c1")
    [row] = _outbox(store)
    assert row[1:4] == ("create", "macro_use", use_id)
    assert row[5] == {
        "macro_id": "m-shared",
        "case_id": "c1",
        "queue": "cards-fraud",
        "tags": ["card-block"],
        "subject": "Karte gestohlen",
        "created_at": "2026-11-20T09:00:00",
    }


def test_the_suggester_learns_from_the_uses_in_the_store(desk: Desk):
    other = desk.save_macro(
        Macro(id="", name="Refund", actions=(AddTags(("refund",)),))
    )  # fmt: skip
    assert [m.id for m, _s in desk.suggest_macros("c2")] == ["m-shared", other]  # by name
    first = desk.suggester()
    assert desk.suggester() is first  # kept while the store is unchanged
    for _ in range(3):
        desk.record_macro_use(other, "c2")
    desk.record_macro_use("m-shared", "c1")
    learned = desk.suggester()
    assert learned is not first and learned.total == 4
    ranked = desk.suggest_macros("c2")
    assert [m.id for m, _s in ranked] == [other, "m-shared"]
    assert "used 3 times in queue billing-de" in ranked[0][1].reasons
    assert [m.id for m, _s in desk.suggest_macros("c1", limit=1)] == ["m-shared"]


def test_pulled_macros_and_uses_apply_to_the_store(desk: Desk):
    use = MacroUse(id="u1", macro_id="m-shared", case_id="c1", queue="cards-fraud",
                   tags=["card-block"], subject="Karte", created_at=NOW)  # fmt: skip
    page = ChangesPage(
        rows=[
            ChangeRow(seq=11, entity="macro", id="m-shared",
                      fields={"actions": [action_to_dict(SetStatus("pending"))], "version": 2}),
            _row("macro_use", use),
            ChangeRow(seq=13, entity="macro", id="m-theirs", op="delete"),
        ],
        cursor="d.13",
        more=False,
    )  # fmt: skip
    applied = apply_page(desk.store, page, synced_at=NOW)
    assert applied.rows == 3
    assert desk.macro("m-shared").actions == (SetStatus("pending"),)  # type: ignore[union-attr]
    assert desk.suggester().uses == {"m-shared": 1}
    assert desk.reader.macro_records()[0].id != "m-theirs"
    assert "m-theirs" not in {r.id for r in desk.reader.macro_records()}


def test_actions_round_trip_as_plain_data():
    for action in (*SHARED.actions, *THEIRS.actions, Reply("internal", "x")):
        assert action_from_dict(json.loads(json.dumps(action_to_dict(action)))) == action
