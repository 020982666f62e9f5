"""Shared pieces of the push/live tests: a real case server on loopback, desks signed in to
it as different agents, and a transport wrapper around the real transport that injects the
faults a network and a server can cause (and nothing else is faked)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from csm_tui.desk import Desk
from csm_tui.domain.models import REPLICATED, to_wire
from csm_tui.server.auth import add_agent, issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.process import ServerProcess
from csm_tui.server.seed import seed_database
from csm_tui.server.tables import ChangeLog, ClientState, PushResult
from csm_tui.sync.client import CaseServerClient
from csm_tui.sync.wire import MutationResult

#: Seconds between heartbeats of the test servers (the protocol default is 25).
TEST_HEARTBEAT = 0.5
SEED_CASES = 40


def wait_until(condition: Callable[[], Any], deadline: float = 30.0, what: str = "") -> Any:
    """Poll ``condition`` until it is truthy; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


@dataclass
class FaultyTransport(httpx.BaseTransport):
    """The real HTTP transport, with faults queued per push request.

    ``plan`` holds one action per coming ``POST /api/v1/push`` (None: pass through):
    ``drop_request`` (fails before anything is sent), ``drop_reply`` (the server commits,
    the reply is lost), ``error_500`` (the server commits, the desk sees a 500),
    ``duplicate`` (the request reaches the server twice), ``hold`` (the reply waits until
    ``release`` is set).
    """

    plan: list[str | None] = field(default_factory=list)
    pushes: list[httpx.Request] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        action = None
        if request.url.path == "/api/v1/push":
            self.pushes.append(request)
            action = self.plan.pop(0) if self.plan else None
        if action == "drop_request":
            raise httpx.ConnectError("dropped before sending", request=request)
        response = self.inner.handle_request(request)
        if action is None:
            return response
        body = _read(response)
        if action == "drop_reply":
            raise httpx.ReadError("the connection broke after the server committed")
        if action == "error_500":
            return httpx.Response(
                500, stream=httpx.ByteStream(b'{"detail": "The case server hit an error."}')
            )
        if action == "duplicate":
            body = _read(response := self.inner.handle_request(request))
        if action == "hold":
            self.holding.set()
            self.release.wait(30)
        return httpx.Response(
            response.status_code, headers=response.headers, stream=httpx.ByteStream(body)
        )

    def close(self) -> None:
        self.inner.close()


def _read(response: httpx.Response) -> bytes:
    raw = b"".join(response.stream)  # type: ignore[union-attr]
    response.close()
    return raw


@dataclass
class SyncServer:
    """A seeded case server in a child process, and tokens for two agents."""

    tmp: Path
    db_path: Path
    process: ServerProcess
    tokens: dict[str, str]
    opened: list[Desk] = field(default_factory=list)
    db_url_override: str | None = None

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def db_url(self) -> str:
        return self.db_url_override or f"sqlite:///{self.db_path}"

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """An oracle read straight from the server's database (SQLite file or PostgreSQL);
        ``sql`` is written for SQLite (``?`` parameters, ``'case'``)."""
        if self.db_url.startswith("sqlite"):
            with sqlite3.connect(self.db_url.removeprefix("sqlite:///")) as conn:
                return conn.execute(sql, params).fetchall()
        engine = make_engine(self.db_url)
        try:
            with engine.connect() as conn:
                pg_sql = sql.replace("'case'", '"case"').replace("?", "%s")
                return [tuple(r) for r in conn.exec_driver_sql(pg_sql, tuple(params))]
        finally:
            engine.dispose()

    def client(self, handle: str = "demo", transport: httpx.BaseTransport | None = None):  # type: ignore[no-untyped-def]
        return CaseServerClient(self.url, self.tokens[handle], transport=transport)

    def desk(
        self,
        name: str,
        handle: str = "demo",
        transport: httpx.BaseTransport | None = None,
    ) -> Desk:
        desk = Desk.open(
            self.tmp / f"{name}.sqlite3",
            client=self.client(handle, transport),
            agent_handle=handle,
        )
        self.opened.append(desk)
        return desk

    def restart(self) -> None:
        """Stop the server and start a new process on the same port and database."""
        self.process.stop()
        self.process = ServerProcess(
            self.db_url,
            log_file=self.process.log_file,
            port=self.process.port,
            env=self.process.env,
        ).start()

    def close(self) -> None:
        for desk in self.opened:
            desk.close()
        self.process.stop()


def start_server(  # type: ignore[no-untyped-def]
    tmp: Path,
    *,
    cases: int = SEED_CASES,
    heartbeat: float = TEST_HEARTBEAT,
    db_url: str | None = None,
):
    """A seeded server in a child process; on ``db_url`` (any backend) or a SQLite file."""
    db_path = tmp / "server" / "cases.sqlite3"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{db_path}"
    engine = make_engine(db_url)
    try:
        init_db(engine)
        seed_database(engine, cases)
        tokens = {h: issue_token(engine, h) for h in ("demo", "anna.schmidt")}
    finally:
        engine.dispose()
    env = {"CSM_SERVER_HEARTBEAT": str(heartbeat), "CSM_SERVER_POLL_INTERVAL": "0.05"}
    process = ServerProcess(db_url, log_file=tmp / "server" / "server.log", env=env).start()
    return SyncServer(tmp, db_path, process, tokens, db_url_override=db_url)


_claimed: set[str] = set()


def open_case(desk: Desk, *, status: str | None = None) -> str:
    """A case of the desk's store that takes updates (optionally in ``status``), and that no
    other test of this process has claimed: tests share one server."""
    rows = desk.reader._all(
        'SELECT id FROM "case" WHERE status = ? ORDER BY number'
        if status
        else "SELECT id FROM \"case\" WHERE status IN ('open', 'pending', 'on_hold') "
        "ORDER BY number",
        (status,) if status else (),
    )
    free = [str(r[0]) for r in rows if r[0] not in _claimed]
    assert free, f"the seed has no unclaimed case in {status or 'an open status'}"
    _claimed.add(free[0])
    return free[0]


PRIORITIES = ("low", "normal", "high", "urgent")


def other_than(*values: str) -> str:
    """A priority none of ``values`` is, so that an edit always changes something."""
    return next(p for p in PRIORITIES if p not in values)


def local_case(desk: Desk, case_id: str) -> dict[str, Any]:
    detail = desk.case_detail(case_id)
    assert detail is not None
    return {
        "subject": detail.case.subject,
        "status": detail.case.status,
        "priority": detail.case.priority,
        "tags": list(detail.case.tags),
        "number": detail.case.number,
        "version": detail.case.version,
    }


def server_case(server: SyncServer, case_id: str) -> dict[str, Any]:
    (row,) = server.query(
        "SELECT subject, status, priority, tags, number, version FROM 'case' WHERE id = ?",
        case_id,
    )
    import json

    return {
        "subject": row[0],
        "status": row[1],
        "priority": row[2],
        # SQLite hands JSON back as text, PostgreSQL as the value.
        "tags": json.loads(row[3]) if isinstance(row[3], str) else row[3],
        "number": row[4],
        "version": row[5],
    }


# -- any backend: seeding, and the server's database as an oracle -------------------------


def prepare_server_db(
    db_url: str, *, cases: int, new_agents: tuple[str, ...] = ()
) -> dict[str, str]:
    """Create the schema, seed ``cases`` cases, add ``new_agents`` (handles) and return a
    token for each of them (SQLite or PostgreSQL)."""
    engine = make_engine(db_url)
    try:
        init_db(engine)
        seed_database(engine, cases)
        for handle in new_agents:
            add_agent(engine, handle, handle.replace(".", " ").title())
        return {handle: issue_token(engine, handle) for handle in new_agents}
    finally:
        engine.dispose()


def replicated_rows(engine: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Every replicated row of a database (server or desk store) as wire values:
    entity -> id -> fields. Both sides share the SQLModel tables, so they compare 1:1."""
    from sqlmodel import Session, select

    out: dict[str, dict[str, dict[str, Any]]] = {}
    with Session(engine) as session:
        for model in REPLICATED:
            rows = session.exec(select(model)).all()
            out[model.entity] = {r.id: to_wire(r) for r in rows}  # type: ignore[attr-defined]
    return out


class ServerOracle:
    """Reads the case server's database directly (SQLAlchemy, any backend): what the server
    really holds, independent of what it answered over HTTP."""

    def __init__(self, db_url: str) -> None:
        self.engine = make_engine(db_url)

    def close(self) -> None:
        self.engine.dispose()

    def rows(self) -> dict[str, dict[str, dict[str, Any]]]:
        return replicated_rows(self.engine)

    def change_log(self, entity: str | None = None) -> list[ChangeLog]:
        from sqlmodel import Session, select

        query = select(ChangeLog).order_by(ChangeLog.seq)  # type: ignore[arg-type]
        if entity is not None:
            query = query.where(ChangeLog.entity == entity)
        with Session(self.engine) as session:
            return list(session.exec(query).all())

    def change_log_tail(self, after: int) -> list[ChangeLog]:
        """Change-log entries after sequence ``after``, in order."""
        from sqlmodel import Session, select

        query = select(ChangeLog).where(ChangeLog.seq > after).order_by(ChangeLog.seq)  # type: ignore[arg-type, operator]
        with Session(self.engine) as session:
            return list(session.exec(query).all())

    def message_ids(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` the server holds as messages."""
        from sqlmodel import Session, select

        from csm_tui.domain.models import Message

        found: set[str] = set()
        with Session(self.engine) as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                found |= set(session.exec(select(Message.id).where(Message.id.in_(chunk))).all())  # type: ignore[attr-defined]
        return found

    def max_seq(self) -> int:
        """The newest change-log sequence the server has handed out."""
        from sqlmodel import Session

        from csm_tui.server.changes import max_seq

        with Session(self.engine) as session:
            return max_seq(session)

    def push_results(self, client_id: str) -> dict[int, MutationResult]:
        from sqlmodel import Session, select

        with Session(self.engine) as session:
            rows = session.exec(select(PushResult).where(PushResult.client_id == client_id)).all()
            return {int(r.mid): MutationResult.model_validate(r.result) for r in rows}

    def client_state(self, client_id: str) -> ClientState | None:
        from sqlmodel import Session

        with Session(self.engine) as session:
            return session.get(ClientState, client_id)


def fold_change_log(
    entries: list[ChangeLog], initial: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[int, dict[str, Any]]]:
    """Fold change-log entries (in sequence order) row by row: id -> version -> the row's
    wire fields at that version. ``initial`` holds rows as they were before the first entry
    (for a log that starts later than the rows). Versions must rise by exactly one per
    logged change: a change applied twice, or one lost, fails here."""
    states: dict[str, dict[int, dict[str, Any]]] = {}
    current: dict[str, dict[str, Any]] = {}
    for row_id, row in (initial or {}).items():
        current[row_id] = row
        states.setdefault(row_id, {})[int(row["version"])] = row
    for entry in entries:
        assert entry.op == "upsert", f"unexpected tombstone for {entry.entity_id}"
        before = current.get(entry.entity_id)
        state = {**(before or {}), **entry.fields}
        if before is not None:
            assert state["version"] == before["version"] + 1, (
                f"{entry.entity} {entry.entity_id}: version {before['version']} -> "
                f"{state['version']} at seq {entry.seq}"
            )
        current[entry.entity_id] = state
        states.setdefault(entry.entity_id, {})[int(state["version"])] = state
    return states


def row_diff(mine: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]]) -> list[str]:
    """Readable differences between two tables given as id -> wire fields."""
    out = [f"missing {i}" for i in sorted(set(theirs) - set(mine))]
    out += [f"extra {i}" for i in sorted(set(mine) - set(theirs))]
    for i in sorted(set(mine) & set(theirs)):
        names = sorted(
            k for k in mine[i].keys() | theirs[i].keys() if mine[i].get(k) != theirs[i].get(k)
        )
        if names:
            out.append(
                f"{i}: "
                + ", ".join(f"{k} {mine[i].get(k)!r} != {theirs[i].get(k)!r}" for k in names)
            )
    return out


def store_rows(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The replicated rows of a desk's store file, read without the desk (nothing created)."""
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    try:
        return replicated_rows(engine)
    finally:
        engine.dispose()
