"""The outbox: local edits queued for the server, and what their push results do to the store.

Every desk command is one store transaction that changes the local row (so the screen shows
the edit at once) and inserts one outbox row per mutation, numbered by ``mid`` (from
``sync_state.next_mid``, rising by exactly 1). Push results then settle each row:

- ``ok``: the row goes; the local value already is the server's;
- ``conflict``: the row goes, the local field shows the server's value, and a ``conflict``
  row keeps both values until the agent picks one;
- ``error``: the row goes, the local fields go back to what the server holds (the edit's
  ``base``, or a newer server value pulled while the edit waited; a created message or case
  is deleted, a deleted macro or snippet comes back from the ``base`` its delete carries),
  and a ``rejected`` row keeps the server's reason.

Replay: pending edits stay visible on top of pulled server state. After a pulled page is
applied (in its transaction), :func:`replay` writes the pending fields of the entities the
page touched back over the pulled values, and notes the pulled values in the edit's
``server`` map so that a refused edit can fall back to what the server really holds.

This module runs on plain ``sqlite3`` (the desk's commands must not import the ORM on the
UI thread) and also on a SQLAlchemy ``Connection`` inside ``apply_page``'s transaction: every
statement goes through :func:`_rows`, which speaks to either with ``?`` parameters.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csm_tui.store import search_index
from csm_tui.store.errors import store_error

CLIENT_ID_KEY = "client_id"
NEXT_MID_KEY = "next_mid"
AGENT_KEYS = ("agent_id", "agent_handle", "agent_name")

#: Columns the desk writes locally, per entity (names are fixed, never taken from input).
CASE_COLUMNS = frozenset(
    {
        "number",
        "subject",
        "status",
        "priority",
        "channel",
        "queue_id",
        "assignee_id",
        "contact_id",
        "tags",
        "created_at",
        "updated_at",
        "version",
    }
)
MESSAGE_COLUMNS = frozenset(
    {
        "case_id",
        "kind",
        "author_agent_id",
        "author_contact_id",
        "author_name",
        "body",
        "created_at",
        "version",
    }
)
TASK_COLUMNS = frozenset(
    {
        "case_id",
        "team",
        "title",
        "due_at",
        "state",
        "created_by_agent_id",
        "created_at",
        "updated_at",
        "version",
    }
)
CONTACT_COLUMNS = frozenset(
    {
        "first_name",
        "last_name",
        "email",
        "phone",
        "language",
        "account_id",
        "customer_number",
        "updated_at",
        "version",
    }
)
MACRO_COLUMNS = frozenset(
    {"name", "description", "scope", "owner_agent_id", "actions", "updated_at", "version"}
)
SNIPPET_COLUMNS = frozenset(
    {"shortcut", "title", "body", "scope", "owner_agent_id", "updated_at", "version"}
)
MACRO_USE_COLUMNS = frozenset(
    {"macro_id", "case_id", "agent_id", "queue", "tags", "subject", "created_at", "version"}
)
SLA_CONFIG_COLUMNS = frozenset({"name", "toml", "updated_at", "version"})
ARTICLE_COLUMNS = frozenset(
    {
        "slug",
        "title",
        "body",
        "tags",
        "product",
        "language",
        "state",
        "author_agent_id",
        "source_case_id",
        "created_at",
        "updated_at",
        "version",
    }
)
_COLUMNS = {
    "case": CASE_COLUMNS,
    "message": MESSAGE_COLUMNS,
    "task": TASK_COLUMNS,
    "contact": CONTACT_COLUMNS,
    "macro": MACRO_COLUMNS,
    "snippet": SNIPPET_COLUMNS,
    "macro_use": MACRO_USE_COLUMNS,
    "sla_config": SLA_CONFIG_COLUMNS,
    "article": ARTICLE_COLUMNS,
}
_TABLES = {
    "case": '"case"',
    "message": "message",
    "task": "task",
    "contact": "contact",
    "macro": "macro",
    "snippet": "snippet",
    "macro_use": "macro_use",
    "sla_config": "sla_config",
    "article": "article",
}
#: The number column the server fills in for a row a desk creates: until the pull brings
#: the real one, the local row shows ``NEW-<first 8 of its id>``.
PROVISIONAL_NUMBER = {"case": "number", "contact": "customer_number"}
_JSON_COLUMNS = frozenset({"tags", "actions"})
_TIME_COLUMNS = frozenset({"created_at", "updated_at", "due_at"})


@dataclass(frozen=True)
class OutboxEntry:
    mid: int
    op: str
    entity: str
    entity_id: str
    base_version: int | None
    fields: dict[str, Any]
    base: dict[str, Any]
    server: dict[str, Any]
    attempts: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.entity, self.entity_id)

    def mutation(self) -> dict[str, Any]:
        """The wire form (``sync.wire.Mutation`` fields)."""
        return {
            "mid": self.mid,
            "op": self.op,
            "entity": self.entity,
            "id": self.entity_id,
            "base_version": self.base_version,
            "fields": self.fields,
            "base": self.base,
        }


@dataclass
class Settled:
    """What one batch of push results did to the store."""

    ok: int = 0
    conflicts: int = 0
    rejected: int = 0
    case_ids: set[str] = field(default_factory=set)

    @property
    def pushed(self) -> int:
        return self.ok + self.conflicts + self.rejected


# -- the connection adapter ----------------------------------------------------------------


def _rows(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on a ``sqlite3.Connection`` or a SQLAlchemy ``Connection``."""
    if isinstance(conn, sqlite3.Connection):
        return conn.execute(sql, params).fetchall()
    result = conn.exec_driver_sql(sql, params)
    return [tuple(r) for r in result.fetchall()] if result.returns_rows else []


# -- values --------------------------------------------------------------------------------


def sql_time(value: datetime) -> str:
    """A datetime as SQLAlchemy's SQLite ``DateTime`` stores it, so both read it back."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def wire_time(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _to_sql(column: str, value: Any) -> Any:
    """A wire value as the store column keeps it."""
    if value is None:
        return None
    if column in _JSON_COLUMNS:
        return json.dumps(list(value) if isinstance(value, list | tuple | set) else value)
    if column in _TIME_COLUMNS:
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return sql_time(parsed)
    return value


def _from_sql(column: str, value: Any) -> Any:
    """A store column value as it travels on the wire."""
    if value is None:
        return None
    if column in _JSON_COLUMNS:
        return json.loads(value) if isinstance(value, str) else list(value)
    return value


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _load(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str | bytes) else value


# -- sync_state ----------------------------------------------------------------------------


def get_state(conn: Any, key: str) -> str | None:
    rows = _rows(conn, "SELECT value FROM sync_state WHERE key = ?", (key,))
    return rows[0][0] if rows else None


def set_state(conn: Any, key: str, value: str) -> None:
    _rows(
        conn,
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def ensure_identity(conn: Any) -> str:
    """The store's ``client_id`` (made once) and its ``next_mid`` counter."""
    _rows(
        conn,
        "INSERT OR IGNORE INTO sync_state (key, value) VALUES (?, ?)",
        (CLIENT_ID_KEY, str(uuid.uuid4())),
    )
    _rows(conn, "INSERT OR IGNORE INTO sync_state (key, value) VALUES (?, '1')", (NEXT_MID_KEY,))
    return str(get_state(conn, CLIENT_ID_KEY))


# -- local rows ----------------------------------------------------------------------------


def read_row(conn: Any, entity: str, entity_id: str, columns: Iterable[str]) -> dict[str, Any]:
    """Wire values of ``columns`` of one local row, or {} if the store lacks it."""
    names = [c for c in columns if c in _COLUMNS[entity]]
    if not names:
        names = ["version"]
    sql = f"SELECT {', '.join(names)} FROM {_TABLES[entity]} WHERE id = ?"
    rows = _rows(conn, sql, (entity_id,))
    if not rows:
        return {}
    return {name: _from_sql(name, value) for name, value in zip(names, rows[0], strict=True)}


def write_fields(conn: Any, entity: str, entity_id: str, fields: dict[str, Any]) -> None:
    """Set wire-valued ``fields`` on one local row (unknown names are ignored)."""
    values = {k: _to_sql(k, v) for k, v in fields.items() if k in _COLUMNS[entity]}
    if not values:
        return
    assignments = ", ".join(f"{name} = ?" for name in values)
    _rows(
        conn,
        f"UPDATE {_TABLES[entity]} SET {assignments} WHERE id = ?",
        (*values.values(), entity_id),
    )


def update_row(
    conn: Any,
    entity: str,
    entity_id: str,
    changed: dict[str, Any],
    current: dict[str, Any],
    now: datetime,
    base: dict[str, Any] | None = None,
) -> int:
    """A local edit of one row: ``changed`` (wire values) written with ``updated_at``, and its
    update mutation queued against ``current`` (the row as read before: its version, its
    ``updated_at`` and, unless ``base`` is given, the edited fields' old values). Returns
    the mutation's mid."""
    write_fields(conn, entity, entity_id, {**changed, "updated_at": now})
    return enqueue(
        conn,
        op="update",
        entity=entity,
        entity_id=entity_id,
        fields=changed,
        base={k: current.get(k) for k in changed} if base is None else base,
        base_version=current.get("version"),
        now=now,
        server={"updated_at": current.get("updated_at")},
    )


def insert_row(conn: Any, entity: str, entity_id: str, fields: dict[str, Any]) -> None:
    """Insert a row the desk created, unless the store has it already (then nothing).

    ``fields`` may be a create mutation's fields as queued (replayed after a resync): what
    the server fills in gets its local stand-in, so that no NOT NULL column makes the
    insert a silent no-op: version 1, ``updated_at`` its creation time, and for a case or
    contact the provisional number."""
    columns = _COLUMNS[entity]
    stand_ins: dict[str, Any] = {"version": 1}
    if "updated_at" in columns:
        stand_ins["updated_at"] = fields.get("created_at") or datetime.now(UTC).replace(
            tzinfo=None, microsecond=0
        )
    number = PROVISIONAL_NUMBER.get(entity)
    if number is not None:
        stand_ins[number] = f"NEW-{entity_id[:8]}"
    fields = {
        **stand_ins,
        **{k: v for k, v in fields.items() if v is not None or k not in stand_ins},
    }
    values = {k: _to_sql(k, v) for k, v in fields.items() if k in _COLUMNS[entity]}
    names = ["id", *values]
    _rows(
        conn,
        f"INSERT OR IGNORE INTO {_TABLES[entity]} ({', '.join(names)}) "
        f"VALUES ({', '.join('?' for _ in names)})",
        (entity_id, *values.values()),
    )


def delete_row(conn: Any, entity: str, entity_id: str) -> None:
    _rows(conn, f"DELETE FROM {_TABLES[entity]} WHERE id = ?", (entity_id,))


# -- the queue -----------------------------------------------------------------------------


def enqueue(
    conn: Any,
    *,
    op: str,
    entity: str,
    entity_id: str,
    fields: dict[str, Any],
    base: dict[str, Any] | None = None,
    base_version: int | None = None,
    now: datetime,
    server: dict[str, Any] | None = None,
) -> int:
    """Queue one mutation in the caller's transaction and return its mid.

    The counter is bumped with a write first, so the transaction holds SQLite's write lock
    before it reads the number: two writers can never take the same mid.

    ``server`` holds values the row showed before this edit that the server holds too
    (its ``updated_at``, which the edit overwrote locally): what the row shows again when
    the server writes nothing for the edit (see :func:`settle`). An edit of the row still
    waiting has overwritten them already; its ``server`` map knows the server's.
    """
    known = {k: v for k, v in (server or {}).items() if v is not None}
    for earlier in pending_for(conn, {(entity, entity_id)})[:1]:
        known.update({k: v for k, v in earlier.server.items() if k in known})
    ensure_identity(conn)
    _rows(
        conn,
        "UPDATE sync_state SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = ?",
        (NEXT_MID_KEY,),
    )
    mid = int(get_state(conn, NEXT_MID_KEY) or 2) - 1
    _rows(
        conn,
        "INSERT INTO outbox (mid, op, entity, entity_id, base_version, fields, base, server, "
        "created_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        (
            mid,
            op,
            entity,
            entity_id,
            base_version,
            _json(fields),
            _json(base or {}),
            _json({k: _from_sql(k, v) for k, v in known.items()}),
            sql_time(now),
        ),
    )
    return mid


_ENTRY_SELECT = (
    "SELECT mid, op, entity, entity_id, base_version, fields, base, server, attempts FROM outbox"
)


def _entry(r: tuple[Any, ...]) -> OutboxEntry:
    return OutboxEntry(
        mid=int(r[0]),
        op=r[1],
        entity=r[2],
        entity_id=r[3],
        base_version=r[4],
        fields=_load(r[5]) or {},
        base=_load(r[6]) or {},
        server=_load(r[7]) or {},
        attempts=int(r[8] or 0),
    )


def pending(conn: Any, limit: int | None = None, after: int = 0) -> list[OutboxEntry]:
    sql = _ENTRY_SELECT + " WHERE mid > ? ORDER BY mid"
    params: tuple[Any, ...] = (after,)
    if limit is not None:
        sql += " LIMIT ?"
        params = (after, limit)
    return [_entry(r) for r in _rows(conn, sql, params)]


def pending_for(conn: Any, keys: set[tuple[str, str]]) -> list[OutboxEntry]:
    """Pending edits of the given (entity, id) pairs, in mid order."""
    if not keys:
        return []
    ids = sorted({entity_id for _, entity_id in keys})
    out: list[OutboxEntry] = []
    # Chunks keep the statement under SQLite's parameter limit for snapshot-sized pages.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = _ENTRY_SELECT + f" WHERE entity_id IN ({', '.join('?' for _ in chunk)})"
        out += [e for e in map(_entry, _rows(conn, sql, tuple(chunk))) if e.key in keys]
    return sorted(out, key=lambda e: e.mid)


def keys_pending(conn: Any) -> bool:
    return bool(_rows(conn, "SELECT 1 FROM outbox LIMIT 1"))


def count(conn: Any) -> int:
    rows = _rows(conn, "SELECT count(*) FROM outbox")
    return int(rows[0][0]) if rows else 0


def drop_through(conn: Any, last_mid: int) -> int:
    """Forget pending edits the server already holds (``mid <= last_mid``)."""
    n = len(_rows(conn, "SELECT mid FROM outbox WHERE mid <= ?", (last_mid,)))
    _rows(conn, "DELETE FROM outbox WHERE mid <= ?", (last_mid,))
    return n


def note_failure(conn: Any, mids: list[int], error: str) -> None:
    if not mids:
        return
    _rows(
        conn,
        f"UPDATE outbox SET attempts = attempts + 1, last_error = ? "
        f"WHERE mid IN ({', '.join('?' for _ in mids)})",
        (error, *mids),
    )


# -- replay --------------------------------------------------------------------------------


def replay(conn: Any, pulled: dict[tuple[str, str], dict[str, Any]] | set[tuple[str, str]]) -> int:
    """Write pending edits of the given entities back over what was just applied.

    ``pulled`` maps (entity, id) to the wire fields the page brought (or is a set of keys).
    Those values of fields a pending edit overrides are kept in the edit's ``server`` map:
    what to show if the server refuses the edit. Returns how many edits were replayed.
    """
    if not keys_pending(conn):
        return 0
    keys = set(pulled)
    entries = [e for e in pending_for(conn, keys) if e.entity in _COLUMNS]
    for entry in entries:
        if entry.op == "create":
            insert_row(conn, entry.entity, entry.entity_id, entry.fields)
            continue
        if entry.op == "delete":
            delete_row(conn, entry.entity, entry.entity_id)
            continue
        brought = pulled.get(entry.key, {}) if isinstance(pulled, dict) else {}
        seen = {k: v for k, v in brought.items() if k in entry.fields or k in entry.server}
        if seen:
            _rows(
                conn,
                "UPDATE outbox SET server = ? WHERE mid = ?",
                (_json({**entry.server, **seen}), entry.mid),
            )
        write_fields(conn, entry.entity, entry.entity_id, entry.fields)
    return len(entries)


# -- settling push results -----------------------------------------------------------------


def settle(
    conn: Any,
    entries: list[OutboxEntry],
    results: list[Any],
    *,
    last_mid: int,
    now: datetime,
) -> Settled:
    """Apply the server's results (``sync.wire.MutationResult``) to the store, in the
    caller's transaction. Entries without a result stay queued unless the server says it
    holds them (``mid <= last_mid``: they will come back by pull)."""
    by_mid = {r.mid: r for r in results}
    settled = Settled()
    touched: set[tuple[str, str]] = set()
    for entry in entries:
        result = by_mid.get(entry.mid)
        if result is None:
            if entry.mid <= last_mid:
                _rows(conn, "DELETE FROM outbox WHERE mid = ?", (entry.mid,))
            continue
        # Only rows still queued: a concurrent settle (or a MidGap drop) may have taken it.
        queued = _rows(conn, "SELECT server FROM outbox WHERE mid = ?", (entry.mid,))
        if not queued:
            continue
        # The server map as it is now: an earlier result of this batch may have updated it.
        entry = replace(entry, server=_load(queued[0][0]) or {})
        _rows(conn, "DELETE FROM outbox WHERE mid = ?", (entry.mid,))
        touched.add(entry.key)
        if entry.entity == "case":
            settled.case_ids.add(entry.entity_id)
        elif entry.entity == "message" and entry.fields.get("case_id"):
            settled.case_ids.add(str(entry.fields["case_id"]))
        elif entry.entity == "task":
            task = read_row(conn, "task", entry.entity_id, ["case_id"])
            case_id = entry.fields.get("case_id") or task.get("case_id")
            if case_id:
                settled.case_ids.add(str(case_id))
        _restore_server_time(conn, entry, result)
        if result.status in ("ok", "conflict"):
            # What the server now holds of the fields this edit changed (tags merge there,
            # so their value is not known here).
            theirs = {c.field: c.theirs for c in result.conflicts}
            held = {k: v for k, v in entry.fields.items() if k in result.applied and k != "tags"}
            _note_server_values(conn, entry, {**held, **theirs})
        if result.status == "ok":
            settled.ok += 1
        elif result.status == "conflict":
            settled.conflicts += 1
            for c in result.conflicts:
                if entry.entity in _COLUMNS:
                    write_fields(conn, entry.entity, entry.entity_id, {c.field: c.theirs})
                _rows(
                    conn,
                    'INSERT INTO conflict (entity, entity_id, field, mine, theirs, "by", at, '
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        entry.entity,
                        entry.entity_id,
                        c.field,
                        _json(c.mine if c.mine is not None else entry.fields.get(c.field)),
                        _json(c.theirs),
                        c.by,
                        c.at,
                        sql_time(now),
                    ),
                )
        else:
            settled.rejected += 1
            _note_server_values(conn, entry, _undo(conn, entry))
            _rows(
                conn,
                "INSERT INTO rejected (mid, entity, entity_id, fields, reason, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    entry.mid,
                    entry.entity,
                    entry.entity_id,
                    _json(entry.fields),
                    result.reason or "The case server refused this edit.",
                    sql_time(now),
                ),
            )
    # Later edits of the same rows are still pending: keep them visible.
    replay(conn, touched)
    return settled


def _restore_server_time(conn: Any, entry: OutboxEntry, result: Any) -> None:
    """An edit the server wrote nothing for leaves no change to pull, so the row's
    ``updated_at`` goes back to the server's (the edit had set it to the desk's clock).
    Nothing was written when the edit was refused, or when the version the server answers
    is still the one this store last pulled (a write would have raised it). A later edit
    of the row still waiting keeps the desk's time until it settles in turn."""
    if entry.op != "update" or "updated_at" not in entry.server:
        return
    if pending_for(conn, {entry.key}):
        return
    if result.status != "error":
        local = read_row(conn, entry.entity, entry.entity_id, ["version"])
        if result.version is None or local.get("version") != result.version:
            return
    write_fields(conn, entry.entity, entry.entity_id, {"updated_at": entry.server["updated_at"]})


def _undo(conn: Any, entry: OutboxEntry) -> dict[str, Any]:
    """Take back a refused edit locally: created rows go, changed fields show the server's.
    Returns the field values restored (what the server holds)."""
    if entry.entity not in _COLUMNS:
        return {}
    if entry.op == "create":
        if entry.entity == "case":
            _rows(conn, "DELETE FROM message WHERE case_id = ?", (entry.entity_id,))
            _rows(conn, "DELETE FROM task WHERE case_id = ?", (entry.entity_id,))
        delete_row(conn, entry.entity, entry.entity_id)
        return {}
    if entry.op == "delete":
        # The delete carries the row as the desk saw it; a later pull brings newer values.
        insert_row(conn, entry.entity, entry.entity_id, {**entry.base, **entry.server})
        return {}
    restore = {name: entry.server.get(name, entry.base.get(name)) for name in entry.fields}
    restore = {k: v for k, v in restore.items() if k in entry.base or k in entry.server}
    write_fields(conn, entry.entity, entry.entity_id, restore)
    return restore


def _note_server_values(conn: Any, entry: OutboxEntry, values: dict[str, Any]) -> None:
    """A settled edit tells what the server holds of its fields. Later pending edits of the
    same row were based on this edit's values (their ``base``), which the server may not
    hold (refused, or a conflict): note the real values in their ``server`` map, so that
    taking one of them back shows what the server holds rather than this edit's value."""
    if not values or entry.op != "update":
        return
    for later in pending_for(conn, {entry.key}):
        seen = {k: v for k, v in values.items() if k in later.fields}
        if later.mid > entry.mid and later.op == "update" and seen:
            _rows(
                conn,
                "UPDATE outbox SET server = ? WHERE mid = ?",
                (_json({**later.server, **seen}), later.mid),
            )


# -- the desk's writer connection ----------------------------------------------------------


class OutboxStore:
    """A plain ``sqlite3`` writer on the store file for the desk's commands and push results.

    One connection, guarded by a lock; each :meth:`transaction` is ``BEGIN IMMEDIATE`` so it
    holds SQLite's write lock from its first read (a pull applying a page in another
    connection waits, and the other way round). ``synchronous=FULL``: a committed edit and
    its outbox row survive a power cut.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                conn.execute("PRAGMA busy_timeout=5000")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("SELECT count(*) FROM outbox").fetchall()
            except sqlite3.DatabaseError as err:
                raise store_error(self.path, err) from None
            self._conn = conn
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as err:
                raise store_error(self.path, err) from None
            try:
                yield conn
                # Re-index the cases the transaction's messages and contacts touched.
                search_index.flush(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.DatabaseError as err:
                conn.execute("ROLLBACK")
                raise store_error(self.path, err) from None

    def read(self) -> sqlite3.Connection:
        """The connection for a consistent read outside a transaction (hold no lock)."""
        return self._connect()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
