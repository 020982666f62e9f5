"""SLA policies live on the server and sync; the desk computes the SLA offline from its store.

Server (SQLite and PostgreSQL, ``server_db_url``): the seeded ``sla_config`` row, changes by
leads only, a bad file refused with the domain's sentence, a lead's first create, conflicts;
status events on reopen. Desk (real store files): the book from the pulled row, the facts
of cases from their events and messages, watches with hand-worked due times, offline edits,
the age of the data, and the desk's own import.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from csm_tui.desk import Desk
from csm_tui.domain.enums import CaseStatus, Channel, MessageKind, Priority, SupportTier
from csm_tui.domain.models import (
    SLA_CONFIG_ID,
    SLA_CONFIG_NAME,
    Account,
    Agent,
    Case,
    Contact,
    Message,
    Queue,
    SlaConfig,
    to_wire,
)
from csm_tui.domain.sla import (
    CaseFacts,
    Clock,
    Metric,
    SlaPolicy,
    Target,
    default_calendars,
    default_policies,
    policies_from_toml,
    policies_to_toml,
    status_line,
)
from csm_tui.errors import CsmError
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import add_agent, issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.seed import seed_database
from csm_tui.server.tables import ChangeLog
from csm_tui.store import outbox
from csm_tui.store.apply import apply_page
from csm_tui.sync import wire
from csm_tui.sync.wire import ChangeRow, ChangesPage

NOW = datetime(2026, 11, 20, 9, 0)  # a Friday
PUSH = "/api/v1/push"
CHANGES = "/api/v1/changes"
LEADS_ONLY = "Only a team lead can change SLA policies."
DEFAULT_TOML = policies_to_toml(default_calendars(), default_policies())


def edited_toml(**first_reply: int) -> str:
    """The default file with other first-reply minutes for the named policies."""
    calendars, policies = policies_from_toml(DEFAULT_TOML)
    changed = []
    for p in policies:
        if p.name in first_reply:
            targets = {**p.targets, Metric.FIRST_REPLY: Target(first_reply[p.name], False)}
            p = SlaPolicy(p.name, p.position, targets, p.match, p.calendar)
        changed.append(p)
    return policies_to_toml(calendars, changed)


BAD_TOML = DEFAULT_TOML.replace('calendar = "de-business"', 'calendar = "de-busy"', 1)


def bad_sentence() -> str:
    with pytest.raises(ValueError) as caught:
        policies_from_toml(BAD_TOML)
    return str(caught.value)


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

    def snapshot(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"cursor": cursor} if cursor else {}
            reply = self.http.get(CHANGES, params=params, headers=self.headers)
            page = wire.ChangesPage.model_validate(reply.json())
            rows += [r.model_dump() for r in page.rows]
            cursor = page.cursor
            if not page.more:
                return rows


@pytest.fixture
def http(engine: Engine) -> Iterator[TestClient]:
    with TestClient(make_server_app(engine=engine)) as client:
        yield client


def _pusher(http: TestClient, engine: Engine, handle: str) -> Pusher:
    return Pusher(http, issue_token(engine, handle, label="tests"), f"desk-{uuid.uuid4()}")


@pytest.fixture
def bea(http: TestClient, engine: Engine) -> Pusher:
    return _pusher(http, engine, "bea.berger")


@pytest.fixture
def lead(http: TestClient, engine: Engine) -> Pusher:
    return _pusher(http, engine, "lena.lead")


def update_toml(new: str, old: str, version: int | None = 1) -> dict[str, Any]:
    return {
        "op": "update",
        "entity": "sla_config",
        "id": SLA_CONFIG_ID,
        "fields": {"toml": new},
        "base": {"toml": old},
        "base_version": version,
    }


def config(engine: Engine) -> SlaConfig | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(SlaConfig, SLA_CONFIG_ID)


def log_of(engine: Engine, row_id: str) -> list[tuple[str, dict[str, Any]]]:
    with Session(engine) as session:
        entries = session.exec(
            select(ChangeLog).where(ChangeLog.entity_id == row_id).order_by(ChangeLog.seq)
        ).all()
        return [(e.op, dict(e.fields or {})) for e in entries]


def test_the_seeded_server_serves_the_default_policies_to_every_desk(bea: Pusher):
    rows = [r for r in bea.snapshot() if r["entity"] == "sla_config"]
    assert [(r["id"], r["fields"]["name"]) for r in rows] == [(SLA_CONFIG_ID, SLA_CONFIG_NAME)]
    calendars, policies = policies_from_toml(rows[0]["fields"]["toml"])
    assert [p.name for p in policies] == [p.name for p in default_policies()]
    assert set(calendars) == set(default_calendars())


def test_only_a_lead_changes_the_policies_and_a_bad_file_is_refused_with_its_sentence(
    bea: Pusher, lead: Pusher, engine: Engine
):
    new = edited_toml(Standard=45)
    [refused] = bea.push(update_toml(new, DEFAULT_TOML))
    assert (refused["status"], refused["reason"]) == ("error", LEADS_ONLY)
    assert config(engine).toml == DEFAULT_TOML  # type: ignore[union-attr]

    [bad] = lead.push(update_toml(BAD_TOML, DEFAULT_TOML))
    assert (bad["status"], bad["reason"]) == ("error", bad_sentence())
    assert bad["reason"] == (
        "Policy 'Chat' uses calendar 'de-busy', which is not defined "
        "(defined: 24x7, de-business, de-field-service, uk-business)."
    )
    [broken] = lead.push(update_toml("[[policy]\nname =", DEFAULT_TOML))
    assert broken["status"] == "error"
    assert broken["reason"].startswith("The SLA file is not valid TOML (")
    assert config(engine).version == 1  # type: ignore[union-attr]

    [ok] = lead.push(update_toml(new, DEFAULT_TOML))
    assert (ok["status"], ok["version"]) == ("ok", 2)
    row = config(engine)
    assert (row.toml, row.version) == (new, 2)  # type: ignore[union-attr]
    assert [op for op, _ in log_of(engine, SLA_CONFIG_ID)] == ["upsert", "upsert"]
    assert set(log_of(engine, SLA_CONFIG_ID)[-1][1]) == {"toml", "version", "updated_at"}
    # The pulled row gives the new target.
    (pulled,) = [r for r in bea.snapshot() if r["entity"] == "sla_config"]
    _, policies = policies_from_toml(pulled["fields"]["toml"])
    standard = next(p for p in policies if p.name == "Standard")
    assert standard.targets[Metric.FIRST_REPLY] == Target(45, business=False)

    [no_delete] = lead.push({"op": "delete", "entity": "sla_config", "id": SLA_CONFIG_ID})
    assert no_delete["status"] == "error" and "cannot be deleted" in no_delete["reason"]
    [renamed] = lead.push({**update_toml(new, new, 2), "fields": {"name": "other", "toml": new}})
    assert (renamed["status"], renamed["reason"]) == ("error", "SLA policies keep their name.")


def test_two_leads_changing_the_same_policies_get_a_conflict(
    lead: Pusher, http: TestClient, engine: Engine
):
    katrin = _pusher(http, engine, "katrin.hoffmann")  # a lead of the seed
    mine, theirs = edited_toml(Standard=45), edited_toml(Standard=50)
    [first] = lead.push(update_toml(mine, DEFAULT_TOML))
    [second] = katrin.push(update_toml(theirs, DEFAULT_TOML))
    assert first["status"] == "ok"
    assert second["status"] == "conflict"
    (clash,) = second["conflicts"]
    assert (clash["field"], clash["theirs"], clash["by"]) == ("toml", mine, "Lena Lead")
    assert config(engine).toml == mine  # type: ignore[union-attr]


def test_a_lead_creates_the_policies_when_the_server_has_none(
    bea: Pusher, lead: Pusher, engine: Engine
):
    with Session(engine) as session:
        session.delete(session.get(SlaConfig, SLA_CONFIG_ID))
        session.commit()
    new = edited_toml(Standard=45)
    create = {
        "op": "create",
        "entity": "sla_config",
        "id": SLA_CONFIG_ID,
        "fields": {"name": SLA_CONFIG_NAME, "toml": new},
    }
    [refused] = bea.push(create)
    assert (refused["status"], refused["reason"]) == ("error", LEADS_ONLY)
    [bad] = lead.push({**create, "fields": {"name": SLA_CONFIG_NAME, "toml": BAD_TOML}})
    assert (bad["status"], bad["reason"]) == ("error", bad_sentence())
    [ok] = lead.push(create)
    assert (ok["status"], ok["version"]) == ("ok", 1)
    assert config(engine).toml == new  # type: ignore[union-attr]
    [again] = lead.push(create)  # the same create again (a lost reply): fine
    assert again["status"] == "ok"
    # Another create of the same name, whatever its id, finds the row there.
    [late] = lead.push({**create, "id": str(uuid.uuid4()), "fields": {"toml": DEFAULT_TOML}})
    assert late["status"] == "error" and late["reason"].startswith("Another lead set the SLA")


def _case_in(engine: Engine, status: str) -> Case:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(Case).where(Case.status == status).order_by(Case.id)).first()  # type: ignore[return-value]


def _events(engine: Engine, case_id: str) -> list[Message]:
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.exec(
                select(Message)
                .where(Message.case_id == case_id, Message.kind == MessageKind.EVENT)
                .order_by(Message.created_at, Message.id)  # type: ignore[arg-type]
            ).all()
        )


def test_status_events_use_the_shared_line_and_a_customer_reply_writes_its_reopen(
    bea: Pusher, engine: Engine
):
    case = _case_in(engine, "open")
    [ok] = bea.push(
        {
            "op": "update",
            "entity": "case",
            "id": case.id,
            "fields": {"status": "pending"},
            "base": {"status": "open"},
            "base_version": case.version,
        }
    )
    assert ok["status"] == "ok"
    assert _events(engine, case.id)[-1].body == status_line(CaseStatus.OPEN, CaseStatus.PENDING)

    at = datetime.now().replace(microsecond=0) - timedelta(minutes=5)
    [reply] = bea.push(
        {
            "op": "create",
            "entity": "message",
            "id": str(uuid.uuid4()),
            "fields": {
                "case_id": case.id,
                "kind": "customer",
                "body": "Here is the receipt.",
                "created_at": at.isoformat(),
            },
        }
    )
    assert reply["status"] == "ok"
    last = _events(engine, case.id)[-1]
    assert last.body == "Status: pending → open"
    assert last.author_name == "Bea Berger" and last.created_at <= at + timedelta(hours=2)
    with Session(engine) as session:
        assert session.get(Case, case.id).status == "open"  # type: ignore[union-attr]
    # An open case that gets a reply stays open: no event.
    before = len(_events(engine, case.id))
    bea.push(
        {
            "op": "create",
            "entity": "message",
            "id": str(uuid.uuid4()),
            "fields": {"case_id": case.id, "kind": "customer", "body": "And another."},
        }
    )
    assert len(_events(engine, case.id)) == before


# -- the desk --------------------------------------------------------------------------------

T0 = datetime(2026, 11, 20, 16, 30)  # Friday 17:30 in Berlin (CET, UTC+1)


def clock() -> datetime:
    return T0 + timedelta(minutes=10)


def _row(entity: str, model: Any) -> ChangeRow:
    return ChangeRow(seq=0, entity=entity, id=model.id, fields=to_wire(model))


def _event(row_id: str, case_id: str, at: datetime, body: str) -> ChangeRow:
    message = Message(id=row_id, case_id=case_id, kind="event", author_name="Lena Lead",
                      body=body, created_at=at)  # fmt: skip
    return _row("message", message)


def _message(row_id: str, case_id: str, at: datetime, kind: str) -> ChangeRow:
    return _row(
        "message", Message(id=row_id, case_id=case_id, kind=kind, body="...", created_at=at)
    )


def _store(path: Path, *, toml: str | None = None) -> None:
    day1, day2 = datetime(2026, 11, 2, 9, 0), datetime(2026, 11, 3, 9, 0)
    rows = [
        _row("account", Account(id="acc-p", name="Big Co", tier="platinum")),
        _row("contact", Contact(id="p1", account_id="acc-p", customer_number="K-1",
                                first_name="Pia")),
        _row("contact", Contact(id="p2", customer_number="K-2", first_name="Nils")),
        _row("agent", Agent(id="a1", handle="anna", name="Anna Berger", role="agent")),
        _row("agent", Agent(id="l1", handle="lena", name="Lena Lead", role="lead")),
        _row("queue", Queue(id="q1", slug="general", name="General")),
        _row("queue", Queue(id="q2", slug="cards-fraud", name="Cards & Fraud")),
        # A worked case: opened, answered, put on hold, the customer wrote, reopened.
        _row("case", Case(id="c1", number="CS-1", subject="Karte", status="open",
                          priority="high", channel="phone", queue_id="q2", contact_id="p1",
                          created_at=day1, updated_at=day2, version=4)),
        _message("m1", "c1", day1, "customer"),
        _event("e1", "c1", day1 + timedelta(minutes=5),
               status_line(CaseStatus.NEW, CaseStatus.OPEN) + " · Assignee: (nobody) → Anna"),
        _row("message", Message(id="n1", case_id="c1", kind="internal", body="note",
                                created_at=day1 + timedelta(minutes=6))),
        _message("m2", "c1", day1 + timedelta(minutes=20), "public"),
        _event("e2", "c1", day1 + timedelta(minutes=21), "Priority: normal → high"),
        _event("e3", "c1", day1 + timedelta(minutes=30),
               status_line(CaseStatus.OPEN, CaseStatus.ON_HOLD)),
        _message("m3", "c1", day2 - timedelta(minutes=1), "customer"),
        _event("e4", "c1", day2, status_line(CaseStatus.ON_HOLD, CaseStatus.OPEN)),
        # A new email case of a contact without an account, in no special queue.
        _row("case", Case(id="c2", number="CS-2", subject="Rechnung", status="new",
                          contact_id="p2", queue_id="q1", created_at=T0, updated_at=T0)),
        _message("m4", "c2", T0, "customer"),
        # The server moved this one back to open without an event line (the seed's
        # simulated customer replies do): the current status counts from its update.
        _row("case", Case(id="c3", number="CS-3", subject="Login", status="open",
                          contact_id="p2", created_at=day1, updated_at=day2, version=3)),
        _event("e5", "c3", day1 + timedelta(minutes=5),
               status_line(CaseStatus.NEW, CaseStatus.PENDING)),
    ]  # fmt: skip
    if toml is not None:
        rows.append(_row("sla_config", SlaConfig(id=SLA_CONFIG_ID, toml=toml, updated_at=T0)))
    desk = Desk.open(path, clock=clock)
    try:
        apply_page(
            desk.store,
            ChangesPage(rows=rows, cursor="d.10", more=False, snapshot=True),
            synced_at=T0,
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
            "SELECT op, entity, entity_id, base_version, fields, base FROM outbox ORDER BY mid"
        ).fetchall()
    return [(*r[:4], json.loads(r[4]), json.loads(r[5])) for r in rows]


def test_facts_come_from_the_status_events_messages_and_the_case(desk: Desk):
    day1, day2 = datetime(2026, 11, 2, 9, 0), datetime(2026, 11, 3, 9, 0)
    facts = desk.sla_facts(["c1", "c2", "nope", "c3"])
    assert list(facts) == ["c1", "c2", "c3"]
    assert facts["c3"].statuses == [
        (day1, CaseStatus.NEW),
        (day1 + timedelta(minutes=5), CaseStatus.PENDING),
        (day2, CaseStatus.OPEN),
    ]
    assert facts["c1"] == CaseFacts(
        day1,
        [
            (day1, CaseStatus.NEW),
            (day1 + timedelta(minutes=5), CaseStatus.OPEN),
            (day1 + timedelta(minutes=30), CaseStatus.ON_HOLD),
            (day2, CaseStatus.OPEN),
        ],
        [
            (day1, MessageKind.CUSTOMER),
            (day1 + timedelta(minutes=20), MessageKind.PUBLIC),
            (day2 - timedelta(minutes=1), MessageKind.CUSTOMER),
        ],
        priority=Priority.HIGH,
        tier=SupportTier.PLATINUM,
        queue="cards-fraud",
        channel=Channel.PHONE,
    )
    assert facts["c2"] == CaseFacts(
        T0,
        [(T0, CaseStatus.NEW)],
        [(T0, MessageKind.CUSTOMER)],
        priority=Priority.NORMAL,
        tier=SupportTier.STANDARD,  # no account: the standard entitlement
        queue="general",
        channel=Channel.EMAIL,
    )


def test_without_synced_policies_the_defaults_apply_and_the_watch_is_worked_by_hand(
    desk: Desk,
):
    assert not desk.sla_synced()
    assert desk.sla_toml() == DEFAULT_TOML
    book = desk.sla_book()
    assert [p.name for p in book.policies] == [p.name for p in default_policies()]
    assert desk.sla_book() is book  # kept while nothing changes
    # c2 (normal, standard, email, queue "general"): the Standard policy, first reply in
    # 600 business minutes of de-business (Mon-Fri 08:00-18:00 Berlin). Written Friday
    # 17:30 CET: 30 minutes on Friday, 570 on Monday from 08:00 -> Monday 17:30 CET.
    watches = desk.sla_watch(["c2", "c1", "nope"], clock())
    assert set(watches) == {"c1", "c2"}
    c2 = watches["c2"]
    assert c2 is not None
    assert (c2.metric, c2.due_at) == (Metric.FIRST_REPLY, datetime(2026, 11, 23, 16, 30))
    seen = c2.at(clock())  # ten business minutes used on Friday evening
    assert (seen.left_minutes, seen.breached, seen.at_risk) == (pytest.approx(590), False, False)
    late = c2.at(datetime(2026, 11, 23, 16, 31))
    assert late.breached and not late.at_risk
    # c1 (high priority, platinum, cards-fraud): "Cards and fraud" (calendar hours) comes
    # before Platinum and High: a periodic update every 240 min from the last public reply
    # (day1 09:20; on hold and back is no reopen) -> due day1 13:20, long breached;
    # resolution 2880 min from day1 09:00 (paused only while done) -> day3 09:00.
    c1 = watches["c1"]
    assert c1 is not None
    assert (c1.metric, c1.due_at) == (Metric.PERIODIC_UPDATE, datetime(2026, 11, 2, 13, 20))
    assert c1.at(clock()).breached
    states = {s.metric: s for s in desk.sla_states("c1", clock())}
    assert set(states) == {Metric.FIRST_REPLY, Metric.PERIODIC_UPDATE, Metric.RESOLUTION}
    assert states[Metric.FIRST_REPLY].state is Clock.FULFILLED
    assert states[Metric.RESOLUTION].due_at == datetime(2026, 11, 4, 9, 0)
    assert states[Metric.PERIODIC_UPDATE].breached
    assert desk.sla_states("nope") == []


def test_the_watch_is_kept_until_the_store_changes_and_an_offline_edit_counts(
    desk: Desk, store: Path
):
    first = desk.sla_watch(["c2"])["c2"]
    assert desk.sla_watch(["c2"])["c2"] is first  # kept: nothing changed
    # An offline public reply fulfils the first reply at once; nothing new runs.
    desk.reply("c2", "public", "Wir kümmern uns darum.")
    after = desk.sla_watch(["c2"])["c2"]
    assert after is not None and after.metric is Metric.RESOLUTION
    facts = desk.sla_facts(["c2"])["c2"]
    # The reply opened the new case locally; no event line says so yet.
    assert facts.statuses == [(T0, CaseStatus.NEW), (clock(), CaseStatus.OPEN)]
    assert facts.messages[-1] == (clock(), MessageKind.PUBLIC)
    # An offline edit of a case with a pulled history goes after it.
    desk.update_case("c1", status="pending")
    assert desk.sla_facts(["c1"])["c1"].statuses[-2:] == [
        (datetime(2026, 11, 3, 9, 0), CaseStatus.OPEN),
        (clock(), CaseStatus.PENDING),
    ]
    # An offline solve: every clock stops.
    desk.update_case("c2", status="solved")
    assert desk.sla_facts(["c2"])["c2"].statuses[-1] == (clock(), CaseStatus.SOLVED)
    assert desk.sla_watch(["c2"]) == {"c2": None}
    assert all(s.state is Clock.FULFILLED for s in desk.sla_states("c2"))
    assert [(op, entity, case) for op, entity, case, *_ in _outbox(store)] == [
        ("update", "case", "c2"),
        ("create", "message", _outbox(store)[1][2]),
        ("update", "case", "c1"),
        ("update", "case", "c2"),
    ]


def test_the_book_comes_from_the_pulled_configuration_and_changes_with_it(
    tmp_path: Path,
):
    path = tmp_path / "store.sqlite3"
    _store(path, toml=edited_toml(Standard=45))
    desk = Desk.open(path, clock=clock)
    try:
        assert desk.sla_synced()
        book = desk.sla_book()
        standard = next(p for p in book.policies if p.name == "Standard")
        assert standard.targets[Metric.FIRST_REPLY] == Target(45, business=False)
        watch = desk.sla_watch(["c2"])["c2"]
        assert watch is not None
        assert (watch.metric, watch.due_at) == (Metric.FIRST_REPLY, T0 + timedelta(minutes=45))
        # A newer version arrives: a new book, and the watches follow it.
        page = ChangesPage(
            rows=[
                ChangeRow(seq=11, entity="sla_config", id=SLA_CONFIG_ID,
                          fields={"toml": edited_toml(Standard=20), "version": 2}),
            ],
            cursor="d.11",
            more=False,
        )  # fmt: skip
        apply_page(desk.store, page, synced_at=T0 + timedelta(minutes=5))
        assert desk.sla_book() is not book
        assert desk.sla_watch(["c2"])["c2"].due_at == T0 + timedelta(minutes=20)  # type: ignore[union-attr]
        # A file this desk cannot read (a newer server's): the defaults, not nothing.
        with desk._outbox().transaction() as conn:
            outbox.write_fields(conn, "sla_config", SLA_CONFIG_ID, {"toml": "[[nonsense"})
        assert desk.sla_watch(["c2"])["c2"].due_at == datetime(2026, 11, 23, 16, 30)  # type: ignore[union-attr]
    finally:
        desk.close()


def test_the_data_age_comes_from_the_last_sync(desk: Desk, tmp_path: Path):
    assert desk.sla_data_age(T0 + timedelta(seconds=30)) == "SLA from data synced just now"
    assert desk.sla_data_age(T0 + timedelta(minutes=12)) == "SLA from data 12 min old"
    assert desk.sla_data_age() == "SLA from data 10 min old"
    fresh = Desk.open(tmp_path / "never.sqlite3", clock=clock)
    try:
        assert fresh.sla_data_age() == "SLA from local data only (never synced)"
        assert fresh.sla_watch(["c1"]) == {}
    finally:
        fresh.close()


def test_only_a_lead_imports_policies_on_the_desk_and_the_book_shows_them_at_once(
    desk: Desk, store: Path
):
    new = edited_toml(Standard=45)
    with pytest.raises(CsmError, match=LEADS_ONLY):
        desk.import_sla(new)
    _sign_in(desk, "l1")
    with pytest.raises(CsmError) as caught:
        desk.import_sla(BAD_TOML)
    assert str(caught.value) == bad_sentence()
    assert _outbox(store) == []

    assert desk.import_sla(new) is True
    assert desk.sla_toml() == new
    assert desk.sla_watch(["c2"])["c2"].due_at == T0 + timedelta(minutes=45)  # type: ignore[union-attr]
    assert desk.import_sla(new) is False  # already those: nothing queued
    newer = edited_toml(Standard=30)
    assert desk.import_sla(newer) is True
    assert _outbox(store) == [
        ("create", "sla_config", SLA_CONFIG_ID, None, {"name": "default", "toml": new}, {}),
        ("update", "sla_config", SLA_CONFIG_ID, 1, {"toml": newer}, {"toml": new}),
    ]


def test_an_import_updates_the_synced_row(tmp_path: Path):
    path = tmp_path / "store.sqlite3"
    _store(path, toml=DEFAULT_TOML)
    desk = Desk.open(path, clock=clock)
    try:
        _sign_in(desk, "l1")
        new = edited_toml(Standard=45)
        assert desk.import_sla(new)
        assert _outbox(path) == [
            ("update", "sla_config", SLA_CONFIG_ID, 1, {"toml": new}, {"toml": DEFAULT_TOML})
        ]
    finally:
        desk.close()
