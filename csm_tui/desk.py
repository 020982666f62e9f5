"""The Desk: the one facade the Textual screens talk to.

It owns the local store and, when signed in, the connection to the case server. Reads for
painting go through :class:`~csm_tui.store.queries.StoreReader` (plain ``sqlite3``); the ORM
engine, the HTTP client and the sync engine are built on first use, inside the sync worker,
so that neither SQLAlchemy nor httpx is imported before the first queue is on screen.
Commands (``update_case``, ``add_message``, ``create_case``, resolving conflicts) write on a
plain ``sqlite3`` connection too (:class:`~csm_tui.store.outbox.OutboxStore`): each is one
transaction holding the local change and its outbox row, so the screen repaints from the
store at once and the edit goes to the server with the next sync.
Nothing here imports Textual.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from csm_tui.domain.enums import CaseStatus, Channel, MessageKind, Priority
from csm_tui.domain.status import TransitionError, check_transition
from csm_tui.errors import CsmError
from csm_tui.store import outbox
from csm_tui.store.outbox import OutboxStore, wire_time
from csm_tui.store.queries import (
    CaseDetail,
    CaseRow,
    ConflictRow,
    CustomerInfo,
    MessageRow,
    RejectedRow,
    StoreReader,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from csm_tui.sync.client import CaseServerClient
    from csm_tui.sync.engine import Progress, SyncEngine
    from csm_tui.sync.live import LiveListener
    from csm_tui.sync.report import SyncReport

__all__ = [
    "CaseDetail",
    "CaseRow",
    "ConflictRow",
    "CustomerInfo",
    "Desk",
    "MessageRow",
    "RejectedRow",
    "SyncStatus",
]

#: Case fields an agent may change with :meth:`Desk.update_case`.
EDITABLE_CASE_FIELDS = (
    "subject",
    "status",
    "priority",
    "channel",
    "queue_id",
    "assignee_id",
    "tags",
)
MAX_SUBJECT = 500
MAX_BODY = 100_000
MAX_TAGS = 50


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _closed_sentence() -> str:
    try:
        check_transition(CaseStatus.CLOSED, CaseStatus.OPEN)
    except TransitionError as err:
        return str(err)
    return "A closed case takes no more updates."  # pragma: no cover


@dataclass(frozen=True)
class SyncStatus:
    """What the sync indicator shows."""

    state: str = "offline"  # "offline" | "online" | "syncing" | "local" (no server configured)
    server: str | None = None
    last_sync_at: datetime | None = None
    pending: int = 0
    conflicts: int = 0
    error: str | None = None
    rejected: int = 0


class Desk:
    def __init__(
        self,
        store_path: Path,
        *,
        server: str | None = None,
        connect: Callable[[], CaseServerClient] | None = None,
        agent_handle: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        live_connect: Callable[[], CaseServerClient] | None = None,
    ) -> None:
        """``connect`` builds the server client when the first sync needs it; ``server`` is
        its URL, shown in the status bar before then. ``live_connect`` builds the live
        listener's own client (default: ``connect``, which must then make a new client on
        each call)."""
        self.store_path = store_path
        self.reader = StoreReader(store_path)
        self.agent_handle = agent_handle
        self.clock = clock
        self._connect = connect
        self._live_connect = live_connect or connect
        self._engine: Engine | None = None
        self._client: CaseServerClient | None = None
        self._sync: SyncEngine | None = None
        self._writer: OutboxStore | None = None
        self._live: LiveListener | None = None
        self._live_lock = threading.Lock()
        self._writer_lock = threading.Lock()
        self._lock = threading.Lock()  # guards building the engine
        self._sync_lock = threading.Lock()  # one sync at a time
        self._status = SyncStatus(
            state="offline" if connect is not None else "local",
            server=server,
            last_sync_at=self._last_sync_at(),
        )

    @classmethod
    def open(
        cls,
        store_path: Path,
        *,
        client: CaseServerClient | None = None,
        agent_handle: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        live_client: Callable[[], CaseServerClient] | None = None,
    ) -> Desk:
        """A desk over ``store_path``, with the store created now (tests, tools) and an
        already-built client, if any (the live listener then gets ``client.clone()``)."""
        desk = cls(
            store_path,
            server=client.base_url if client is not None else None,
            connect=(lambda: client) if client is not None else None,
            agent_handle=agent_handle,
            clock=clock,
            live_connect=live_client or (client.clone if client is not None else None),
        )
        _ = desk.store
        return desk

    def close(self) -> None:
        self.stop_live()
        if self._sync is not None:
            self._sync.close()
        if self._client is not None:
            self._client.close()
        if self._writer is not None:
            self._writer.close()
        self.reader.close()
        if self._engine is not None:
            self._engine.dispose()

    @property
    def store(self) -> Engine:
        """The ORM engine of the store (created, with its tables, on first use)."""
        with self._lock:
            if self._engine is None:
                from csm_tui.store.engine import make_store_engine

                self._engine = make_store_engine(self.store_path)
            return self._engine

    def _last_sync_at(self) -> datetime | None:
        rows = self.reader._all("SELECT value FROM sync_state WHERE key = 'last_sync_at'")
        return datetime.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    # -- reads ---------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def case_count(self) -> int:
        return self.reader.count_cases()

    def case_window(self, offset: int, limit: int) -> list[CaseRow]:
        return self.reader.case_window(offset, limit)

    def case_detail(self, case_id: str) -> CaseDetail | None:
        return self.reader.case_detail(case_id)

    @property
    def status(self) -> SyncStatus:
        """The sync state with live counts of pending edits, conflicts and rejected edits."""
        pending, conflicts, rejected = self.reader.outbox_counts()
        return replace(self._status, pending=pending, conflicts=conflicts, rejected=rejected)

    def pending_count(self) -> int:
        return self.reader.outbox_counts()[0]

    def conflicts(self) -> list[ConflictRow]:
        return self.reader.conflicts()

    def rejected(self) -> list[RejectedRow]:
        return self.reader.rejected()

    @property
    def agent(self) -> tuple[str, str, str] | None:
        """(id, handle, name) of the signed-in agent, known from the first sync on (the
        desk asks ``GET /api/v1/me`` once). Before that, messages are written locally with
        ``author_agent_id`` None and the constructor's ``agent_handle`` as author name; the
        server sets the real author from the token either way, and the pull brings it."""
        return self.reader.agent()

    @property
    def can_sync(self) -> bool:
        return self._connect is not None

    # -- sync ----------------------------------------------------------------------------

    def _sync_engine(self) -> SyncEngine:
        if self._sync is None:
            from csm_tui.sync.engine import SyncEngine

            assert self._connect is not None
            self._client = self._connect()
            self._sync = SyncEngine(
                self.store, self._client, clock=self.clock, outbox_store=self._outbox()
            )
        return self._sync

    def _learn_agent(self, client: CaseServerClient) -> None:
        """On the first sync: who the token belongs to, kept in sync_state."""
        if self.reader.agent() is not None:
            return
        me = client.me()
        with self._outbox().transaction() as conn:
            for key, value in zip(outbox.AGENT_KEYS, (me.id, me.handle, me.name), strict=True):
                outbox.set_state(conn, key, value)

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Push the outbox, then pull everything new. Blocking: call it from a worker thread.

        Raises CsmError with one sentence on failure; the store is left as it was before the
        failing request (each push batch settles in one transaction, each page commits with
        its cursor) and the outbox keeps every edit the server has not confirmed.
        """
        if self._connect is None:
            raise CsmError("This desk has no case server; sign in with `csm login --server URL`.")
        with self._sync_lock:
            self._status = replace(self._status, state="syncing", error=None)
            try:
                engine = self._sync_engine()
                report = engine.sync(progress)
                # After the pull, not before: on a cold desk on a thin link the first page
                # of cases matters more than one more round trip (the server takes the
                # author of an edit from the token anyway).
                self._learn_agent(engine.client)
            except CsmError as err:
                self._status = replace(self._status, state="offline", error=str(err))
                raise
            self._status = replace(
                self._status, state="online", last_sync_at=report.finished_at, error=None
            )
            return report

    # -- commands (each one store transaction: the local change and its outbox rows) -----

    def _outbox(self) -> OutboxStore:
        if self._writer is None:
            if not self.reader.has_table("outbox"):
                _ = self.store  # a new store, or one from before the outbox: create tables
            with self._writer_lock:
                if self._writer is None:
                    self._writer = OutboxStore(self.store_path)
        return self._writer

    def _now(self) -> datetime:
        # Whole seconds, as the wire carries them: the pulled row then equals the local one.
        return self.clock().replace(microsecond=0)

    def update_case(self, case_id: str, **fields: Any) -> None:
        """Change fields of a case locally and queue the change for the server.

        Raises CsmError with one sentence (and writes nothing) for an unknown field, a value
        outside its vocabulary, a status change the rules forbid or a closed case.
        """
        changes = _check_case_fields(fields)
        if not changes:
            return
        now = self._now()
        with self._outbox().transaction() as conn:
            current = outbox.read_row(conn, "case", case_id, [*changes, "status", "version"])
            if not current:
                raise CsmError("That case is not in the local store; sync and try again.")
            _check_refs(conn, changes)
            status = CaseStatus(current["status"])
            if "status" in changes:
                try:
                    check_transition(status, CaseStatus(changes["status"]))
                except TransitionError as err:
                    raise CsmError(str(err)) from None
            changed = {k: v for k, v in changes.items() if current.get(k) != v}
            if not changed:
                return
            if status == CaseStatus.CLOSED:
                raise CsmError(_closed_sentence())
            outbox.write_fields(conn, "case", case_id, {**changed, "updated_at": now})
            outbox.enqueue(
                conn,
                op="update",
                entity="case",
                entity_id=case_id,
                fields=changed,
                base={k: current.get(k) for k in changed},
                base_version=current.get("version"),
                now=now,
            )

    def add_message(self, case_id: str, kind: str, body: str) -> str:
        """Add a public reply or an internal note by this desk's agent; returns its id."""
        if kind not in (MessageKind.PUBLIC, MessageKind.INTERNAL):
            raise CsmError(
                f"A message from the desk is a public reply or an internal note, not {kind!r}."
            )
        text = _check_body(body)
        now = self._now()
        message_id = str(uuid.uuid4())
        with self._outbox().transaction() as conn:
            case = outbox.read_row(conn, "case", case_id, ["status"])
            if not case:
                raise CsmError("That case is not in the local store; sync and try again.")
            if case["status"] == CaseStatus.CLOSED:
                raise CsmError(_closed_sentence())
            self._queue_message(conn, message_id, case_id, MessageKind(kind), text, now)
        return message_id

    def _queue_message(
        self, conn: Any, message_id: str, case_id: str, kind: MessageKind, body: str, now: datetime
    ) -> None:
        agent = _agent_in(conn)
        fields = {
            "case_id": case_id,
            "kind": kind.value,
            "author_agent_id": agent[0] if agent else None,
            "author_name": agent[2] if agent else (self.agent_handle or ""),
            "body": body,
            "created_at": wire_time(now),
        }
        outbox.insert_row(conn, "message", message_id, {**fields, "version": 1})
        outbox.enqueue(
            conn, op="create", entity="message", entity_id=message_id, fields=fields, now=now
        )

    def create_case(
        self,
        *,
        subject: str,
        contact_id: str | None,
        channel: str = "phone",
        queue_id: str | None = None,
        priority: str = "normal",
        note: str = "",
    ) -> str:
        """Open a new case (and, if given, its first internal note); returns the case id.

        Works offline: the case shows as ``NEW-<first 8 of its id>`` until the server's
        number arrives by pull.
        """
        checked = _check_case_fields({"subject": subject, "channel": channel, "priority": priority})
        if not isinstance(contact_id, str | None) or (
            isinstance(contact_id, str) and not 0 < len(contact_id) <= 64
        ):
            raise CsmError("The contact of a new case must be a contact id or none.")
        if not isinstance(queue_id, str | None):
            raise CsmError("The queue of a new case must be a queue id or none.")
        text = _check_body(note) if note.strip() else ""
        now = self._now()
        case_id = str(uuid.uuid4())
        with self._outbox().transaction() as conn:
            _check_refs(conn, {"queue_id": queue_id, "contact_id": contact_id})
            agent = _agent_in(conn)
            fields: dict[str, Any] = {
                **checked,
                "status": CaseStatus.NEW.value,
                "queue_id": queue_id,
                "assignee_id": agent[0] if agent else None,
                "contact_id": contact_id,
                "tags": [],
                "created_at": wire_time(now),
            }
            local = {**fields, "number": f"NEW-{case_id[:8]}", "updated_at": now, "version": 1}
            outbox.insert_row(conn, "case", case_id, local)
            outbox.enqueue(
                conn, op="create", entity="case", entity_id=case_id, fields=fields, now=now
            )
            if text:
                self._queue_message(
                    conn, str(uuid.uuid4()), case_id, MessageKind.INTERNAL, text, now
                )
        return case_id

    def resolve_conflict(self, conflict_id: int, keep: Literal["mine", "theirs"]) -> None:
        """Settle one conflict: ``mine`` queues my value again (based on theirs), ``theirs``
        keeps the server's value. Either way the conflict row goes."""
        if keep not in ("mine", "theirs"):
            raise CsmError("Keep either 'mine' or 'theirs'.")
        now = self._now()
        with self._outbox().transaction() as conn:
            found = outbox._rows(
                conn,
                "SELECT entity, entity_id, field, mine, theirs FROM conflict WHERE id = ?",
                (conflict_id,),
            )
            if not found:
                raise CsmError("That conflict is already resolved.")
            entity, entity_id, field, mine, theirs = found[0]
            mine, theirs = outbox._load(mine), outbox._load(theirs)
            outbox._rows(conn, "DELETE FROM conflict WHERE id = ?", (conflict_id,))
            if entity != "case":
                return
            current = outbox.read_row(conn, "case", entity_id, [field, "status", "version"])
            if not current:
                return  # the case is gone; nothing to keep
            if keep == "theirs":
                outbox.write_fields(conn, "case", entity_id, {field: theirs})
                outbox.replay(conn, {("case", entity_id)})
                return
            if field in EDITABLE_CASE_FIELDS:
                mine = _check_case_fields({field: mine})[field]
            status = CaseStatus(current["status"])
            if field == "status":
                try:
                    check_transition(status, CaseStatus(mine))
                except TransitionError as err:
                    raise CsmError(str(err)) from None
            elif status == CaseStatus.CLOSED:
                raise CsmError(_closed_sentence())
            outbox.write_fields(conn, "case", entity_id, {field: mine, "updated_at": now})
            outbox.enqueue(
                conn,
                op="update",
                entity="case",
                entity_id=entity_id,
                fields={field: mine},
                base={field: theirs},
                base_version=current.get("version"),
                now=now,
            )

    def resolve_all(self, keep: Literal["mine", "theirs"]) -> None:
        """Settle every conflict the same way; those that cannot be kept as mine (say, a
        status the rules no longer allow) are left, and the first reason is raised."""
        problems: list[str] = []
        for conflict in self.conflicts():
            try:
                self.resolve_conflict(conflict.id, keep)
            except CsmError as err:
                problems.append(f"{conflict.case_number or conflict.entity_id}: {err}")
        if problems:
            n = len(problems)
            raise CsmError(
                f"{n} conflict{'s' if n != 1 else ''} could not be kept as yours "
                f"(first, {problems[0].rstrip('.')})."
            )

    def dismiss_rejected(self, rejected_id: int) -> None:
        with self._outbox().transaction() as conn:
            outbox._rows(conn, "DELETE FROM rejected WHERE id = ?", (rejected_id,))

    # -- live ----------------------------------------------------------------------------

    def start_live(self, on_change: Callable[[], None]) -> None:
        """Listen to the server's live stream; ``on_change`` is called (from the listener's
        thread) when the server has changes this desk has not pulled. Never blocks: the
        listener connects in its own thread."""
        if self._live_connect is None:
            return
        with self._live_lock:
            if self._live is not None:
                return
            from csm_tui.sync.live import LiveListener

            def poked(seq: int) -> None:
                if seq > self.reader.cursor_seq():
                    on_change()

            self._live = LiveListener(
                self._live_connect,
                poked,
                self.reader.cursor_seq() or None,
                cursor=lambda: self.reader.cursor_seq(),
            )
            self._live.start()

    def stop_live(self) -> None:
        with self._live_lock:
            live, self._live = self._live, None
        if live is not None:
            live.stop()

    @property
    def live(self) -> LiveListener | None:
        return self._live


def _check_case_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate case fields and return their wire values; CsmError names the first problem."""
    unknown = sorted(set(fields) - set(EDITABLE_CASE_FIELDS))
    if unknown:
        raise CsmError(
            f"A case has no editable field {', '.join(unknown)}; "
            f"use {', '.join(EDITABLE_CASE_FIELDS)}."
        )
    out: dict[str, Any] = {}
    vocab: dict[str, type[Any]] = {"status": CaseStatus, "priority": Priority, "channel": Channel}
    for name, value in fields.items():
        if name in vocab:
            enum = vocab[name]
            try:
                out[name] = enum(value).value
            except ValueError:
                allowed = ", ".join(m.value for m in enum)
                raise CsmError(f"{value!r} is not a {name}; use one of {allowed}.") from None
        elif name == "subject":
            if not isinstance(value, str) or not value.strip():
                raise CsmError("A case needs a subject; write a few words about the problem.")
            if len(value) > MAX_SUBJECT:
                raise CsmError(f"A subject is at most {MAX_SUBJECT} characters long.")
            out[name] = " ".join(value.split())
        elif name in ("queue_id", "assignee_id"):
            if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 64):
                raise CsmError(f"The {name.removesuffix('_id')} must be an id or none.")
            out[name] = value
        elif name == "tags":
            if isinstance(value, str) or not all(isinstance(t, str) for t in value or ()):
                raise CsmError("Tags are a list of words.")
            tags: list[str] = []
            for tag in value or ():
                tag = " ".join(tag.split())
                if tag and tag not in tags:
                    tags.append(tag)
            if len(tags) > MAX_TAGS:
                raise CsmError(f"A case takes at most {MAX_TAGS} tags.")
            out[name] = tags
    return out


def _check_refs(conn: Any, refs: dict[str, Any]) -> None:
    """Queue, assignee and contact ids must name rows the store knows."""
    tables = {"queue_id": ("queue", "queue"), "assignee_id": ("agent", "agent")}
    tables["contact_id"] = ("contact", "contact")
    for name, value in refs.items():
        if value is None or name not in tables:
            continue
        table, word = tables[name]
        if not outbox._rows(conn, f"SELECT 1 FROM {table} WHERE id = ?", (value,)):
            raise CsmError(f"There is no {word} with id {value} in the local store; sync first.")


def _check_body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise CsmError("An empty message is not saved; write something first.")
    if len(body) > MAX_BODY:
        raise CsmError(f"A message is at most {MAX_BODY:,} characters long.")
    return body.strip("\n")


def _agent_in(conn: Any) -> tuple[str, str, str] | None:
    values = [outbox.get_state(conn, key) for key in outbox.AGENT_KEYS]
    if not values[0]:
        return None
    return (str(values[0]), str(values[1] or ""), str(values[2] or ""))
