"""Read queries the desk paints from: a window of the case list, one case with its timeline.

These run on the standard library's ``sqlite3`` rather than SQLAlchemy, on purpose: they are
on the path from process start to the first painted queue, and importing the ORM alone costs
more than the whole paint. The SQL is fixed text with ``?`` parameters only.

The queue never loads every case: it asks for the count and for the rows of the window it
shows (``LIMIT/OFFSET`` over an index), so painting costs the same at 100 or 100,000 cases.
A store file that does not exist yet, or has no tables yet, reads as empty.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from csm_tui.store import drafts
from csm_tui.store.errors import store_error


@dataclass(frozen=True)
class CaseRow:
    """One line of the queue. Text fields are raw: widgets clean them before showing."""

    id: str
    number: str
    subject: str
    status: str
    priority: str
    channel: str
    customer: str
    queue: str
    assignee: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    version: int
    #: The next breach (naive UTC) from the store's SLA index: ``datetime.max`` when there is
    #: nothing to breach, None when not computed yet (or read outside the queue's windows).
    sla_due: datetime | None = None
    #: When that case turns at risk (naive UTC), if it has a breach ahead.
    sla_risk: datetime | None = None


@dataclass(frozen=True)
class AgentRow:
    """An agent for the assign picker."""

    id: str
    handle: str
    name: str
    team: str


@dataclass(frozen=True)
class QueueRow:
    id: str
    slug: str
    name: str


@dataclass(frozen=True)
class MessageRow:
    id: str
    kind: str
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class CustomerInfo:
    name: str
    customer_number: str
    language: str
    email: str
    phone: str
    account: str
    tier: str


@dataclass(frozen=True)
class ContactRow:
    """A contact found by the caller search. Text fields are raw: widgets clean them."""

    id: str
    name: str
    customer_number: str
    email: str
    phone: str
    account: str
    language: str


@dataclass(frozen=True)
class ConflictRow:
    """A field both this desk and someone else changed; ``mine``/``theirs`` are wire values."""

    id: int
    entity: str
    entity_id: str
    case_number: str
    field: str
    mine: Any
    theirs: Any
    by: str | None
    at: str | None


@dataclass(frozen=True)
class RejectedRow:
    """A pushed edit the server refused, with its reason."""

    id: int
    entity: str
    entity_id: str
    case_number: str
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class TaskRow:
    """A task for another team on a case. ``title`` is raw: widgets clean it. ``created_by``
    is the agent's name, or "" before the server's row (with its author) has been pulled."""

    id: str
    case_id: str
    team: str
    title: str
    due_at: datetime | None
    state: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class MacroRecord:
    """A macro as the store holds it; ``actions`` are plain dicts (``action_to_dict``)."""

    id: str
    name: str
    description: str
    scope: str
    owner_agent_id: str | None
    actions: list[dict[str, Any]]
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class SnippetRecord:
    id: str
    shortcut: str
    title: str
    body: str
    scope: str
    owner_agent_id: str | None
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class MacroUseRecord:
    """One recorded use of a macro, with what its case was like then."""

    macro_id: str
    queue: str
    tags: tuple[str, ...]
    subject: str


@dataclass(frozen=True)
class CaseDetail:
    case: CaseRow
    customer: CustomerInfo | None
    messages: list[MessageRow]
    #: The case's tasks for other teams: open ones first, then by due time (none last).
    tasks: list[TaskRow] = field(default_factory=list)


_CASE_SELECT = """
SELECT c.id, c.number, c.subject, c.status, c.priority, c.channel,
       trim(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '')) AS customer,
       coalesce(q.name, '') AS queue, coalesce(a.name, '') AS assignee,
       c.tags, c.created_at, c.updated_at, c.version
FROM "case" AS c
LEFT JOIN contact AS p ON p.id = c.contact_id
LEFT JOIN queue AS q ON q.id = c.queue_id
LEFT JOIN agent AS a ON a.id = c.assignee_id
"""

#: The queue's rows: a case and its next breach (``case_sla``: see store/sla_index.py).
_ROW_SELECT = (
    _CASE_SELECT.replace(
        "c.tags, c.created_at, c.updated_at, c.version\n",
        "c.tags, c.created_at, c.updated_at, c.version, s.due_at, s.at_risk_at\n",
    )
    + "LEFT JOIN case_sla AS s ON s.case_id = c.id\n"
)

_CUSTOMER_SELECT = """
SELECT p.first_name, p.last_name, p.customer_number, p.language, p.email, p.phone,
       coalesce(acc.name, ''), coalesce(acc.tier, '')
FROM "case" AS c
JOIN contact AS p ON p.id = c.contact_id
LEFT JOIN account AS acc ON acc.id = p.account_id
WHERE c.id = ?
"""

_TASKS_SELECT = """
SELECT t.id, t.case_id, t.team, t.title, t.due_at, t.state, coalesce(a.name, ''), t.created_at
FROM task AS t
LEFT JOIN agent AS a ON a.id = t.created_by_agent_id
WHERE t.case_id = ?
ORDER BY t.state != 'open', t.due_at IS NULL, t.due_at, t.created_at, t.id
"""

_MERGE_NAMES = (
    "id", "number", "subject", "status", "priority", "channel", "tags", "assignee",
    "queue", "queue_name", "first_name", "last_name", "customer_number", "email",
    "language", "account", "tier",
)  # fmt: skip
_MERGE_SELECT = """
SELECT c.id, c.number, c.subject, c.status, c.priority, c.channel, c.tags, a.handle,
       q.slug, coalesce(q.name, ''), coalesce(p.first_name, ''), coalesce(p.last_name, ''),
       coalesce(p.customer_number, ''), coalesce(p.email, ''), coalesce(p.language, ''),
       coalesce(acc.name, ''), coalesce(acc.tier, '')
FROM "case" AS c
LEFT JOIN contact AS p ON p.id = c.contact_id
LEFT JOIN account AS acc ON acc.id = p.account_id
LEFT JOIN queue AS q ON q.id = c.queue_id
LEFT JOIN agent AS a ON a.id = c.assignee_id
"""

_MESSAGES_SELECT = """
SELECT id, kind, author_name, body, created_at FROM message
WHERE case_id = ? ORDER BY created_at, id
"""


# The case a conflict or a refused edit belongs to: the entity itself, or a message's case.
_CONFLICTS_SELECT = """
SELECT k.id, k.entity, k.entity_id, coalesce(c.number, ''), k.field, k.mine, k.theirs,
       k."by", k.at
FROM "conflict" AS k
LEFT JOIN "case" AS c ON c.id = CASE WHEN k.entity = 'case' THEN k.entity_id END
ORDER BY k.id
"""

_REJECTED_SELECT = """
SELECT r.id, r.entity, r.entity_id, coalesce(c.number, ''), r.reason, r.created_at
FROM rejected AS r
LEFT JOIN "case" AS c ON c.id = CASE
    WHEN r.entity = 'case' THEN r.entity_id
    WHEN r.entity IN ('message', 'task') THEN json_extract(r.fields, '$.case_id')
END
ORDER BY r.id
"""


# Letters NFKD does not take apart into a base letter and a mark.
_FOLD_SPECIAL = str.maketrans(
    {"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"}
)


@functools.lru_cache(maxsize=65_536)
def fold_text(text: str | None) -> str:
    """``text`` lower-cased (casefold) without diacritics: "Müller" becomes "muller",
    "Straße" becomes "strasse", a dotless i becomes i. Registered on the reader's
    connections as the SQL function ``csm_fold`` (names repeat, so it is cached)."""
    if not text:
        return ""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded.translate(_FOLD_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


#: What the caller search looks in, folded: names (``csm_fold``), customer number, e-mail
#: and phone. ``CONTACT_DIGITS`` is the phone with its separators taken out.
CONTACT_HAYSTACK = (
    "(csm_fold(p.first_name) || ' ' || csm_fold(p.last_name) || ' ' || "
    "lower(coalesce(p.customer_number, '')) || ' ' || lower(coalesce(p.email, '')) || ' ' || "
    "lower(coalesce(p.phone, '')))"
)
CONTACT_DIGITS = (
    "replace(replace(replace(replace(replace(replace(replace(coalesce(p.phone, ''), "
    "' ', ''), '-', ''), '/', ''), '(', ''), ')', ''), '.', ''), '+', '')"
)

_CONTACT_SELECT = """
SELECT p.id, trim(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '')),
       coalesce(p.customer_number, ''), coalesce(p.email, ''), coalesce(p.phone, ''),
       coalesce(acc.name, ''), coalesce(p.language, '')
FROM contact AS p
LEFT JOIN account AS acc ON acc.id = p.account_id
"""


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _json_list(value: Any) -> list[Any]:
    loaded = _json_value(value) if value is not None else []
    return loaded if isinstance(loaded, list) else []


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _case_row(r: tuple[Any, ...]) -> CaseRow:
    tags = json.loads(r[9]) if isinstance(r[9], str) and r[9] else []
    return CaseRow(
        id=r[0],
        number=r[1],
        subject=r[2],
        status=r[3],
        priority=r[4],
        channel=r[5],
        customer=r[6],
        queue=r[7],
        assignee=r[8],
        tags=tuple(str(t) for t in tags),
        created_at=_time(r[10]),
        updated_at=_time(r[11]),
        version=int(r[12]),
        sla_due=_sla_time(r[13]) if len(r) > 13 else None,
        sla_risk=_sla_time(r[14]) if len(r) > 14 else None,
    )


def _sla_time(text: str | None) -> datetime | None:
    from csm_tui.store.sla_index import parse

    return parse(text)


class StoreReader:
    """Read-only queries on the store file; one sqlite3 connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection | None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if not self.path.exists():
                return None
            conn = sqlite3.connect(self.path, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("PRAGMA query_only=ON")
            conn.create_function("csm_fold", 1, fold_text, deterministic=True)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = self._conn()
        if conn is None:
            return []
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as err:
            if "no such table" in str(err):  # a store the first sync has not set up yet
                return []
            raise store_error(self.path, err) from None

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def count_cases(self) -> int:
        rows = self._all('SELECT count(*) FROM "case"')
        return int(rows[0][0]) if rows else 0

    def case_window(self, offset: int, limit: int) -> list[CaseRow]:
        """Cases ``offset .. offset+limit`` of the queue, most recently updated first."""
        sql = _ROW_SELECT + " ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?"
        return [_case_row(r) for r in self._all(sql, (max(0, limit), max(0, offset)))]

    def data_version(self) -> int:
        """Changes whenever another connection commits to the store (``PRAGMA
        data_version``): the key of the cached counts."""
        rows = self._all("PRAGMA data_version")
        return int(rows[0][0]) if rows else 0

    def _cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        """``compute()``, remembered until the store changes (per thread)."""
        version = self.data_version()
        cache = getattr(self._local, "cache", None)
        if cache is None or cache[0] != version:
            cache = (version, {})
            self._local.cache = cache
        values: dict[tuple[Any, ...], Any] = cache[1]
        if key not in values:
            if len(values) > 256:
                values.clear()
            values[key] = compute()
        return values[key]

    def count_where(self, where: list[str], params: list[Any]) -> int:
        """How many cases meet every condition (SQL on ``"case" AS c``, ``?`` parameters).
        Cached until the store changes."""
        sql = 'SELECT count(*) FROM "case" AS c'
        if where:
            sql += " WHERE " + " AND ".join(where)
        return int(self._cached(("count", sql, *params), lambda: self._count(sql, params)))

    def count_fts(self, match: str) -> int:
        """How many cases the FTS5 expression matches (one index row per case)."""
        sql = "SELECT count(*) FROM case_fts WHERE case_fts MATCH ?"
        return int(self._cached(("count", sql, match), lambda: self._count(sql, [match])))

    def total_cases(self) -> int:
        """All cases (cached until the store changes)."""
        return int(self._cached(("total",), self.count_cases))

    def _count(self, sql: str, params: list[Any]) -> int:
        rows = self._all(sql, tuple(params))
        return int(rows[0][0]) if rows else 0

    def ids_where(self, where: list[str], params: list[Any]) -> list[str]:
        """The ids of every case meeting ``where`` (for selecting a whole view)."""
        sql = 'SELECT c.id FROM "case" AS c'
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [r[0] for r in self._all(sql, tuple(params))]

    def window_where(
        self,
        where: list[str],
        params: list[Any],
        order: str,
        offset: int,
        limit: int,
        *,
        walk: str | None = None,
    ) -> list[CaseRow]:
        """Rows ``offset .. offset+limit`` of the cases meeting ``where``, in ``order``.

        The window is picked on the case table alone, and only its rows are joined to
        contacts, queues and agents. ``walk`` names an index to walk in sort order (with the
        conditions checked on the way): the caller's choice when the matches are many, so
        the first rows come at once instead of after sorting every match."""
        inner = 'SELECT c.rowid FROM "case" AS c'
        if walk is not None:
            inner += f" INDEXED BY {walk}"
        if "s." in order:
            # By next breach, from the SLA index (every case has a row there once
            # Desk.refresh_sla ran; one edited since waits for the next). A walk goes along
            # the due times and looks each case up (CROSS JOIN keeps that order of loops).
            inner = (
                f'SELECT c.rowid FROM case_sla AS s INDEXED BY {walk} CROSS JOIN "case" AS c '
                "ON c.id = s.case_id"
                if walk is not None
                else 'SELECT c.rowid FROM case_sla AS s JOIN "case" AS c ON c.id = s.case_id'
            )
        if where:
            inner += " WHERE " + " AND ".join(where)
        inner += f" ORDER BY {order} LIMIT ? OFFSET ?"
        sql = _ROW_SELECT + f" WHERE c.rowid IN ({inner}) ORDER BY {order}"
        args = (*params, max(0, limit), max(0, offset))
        return [_case_row(r) for r in self._all(sql, args)]

    def queues(self) -> list[QueueRow]:
        return self._cached(
            ("queues",),
            lambda: [
                QueueRow(r[0], r[1], r[2])
                for r in self._all("SELECT id, slug, name FROM queue ORDER BY name, slug")
            ],
        )

    def agents(self) -> list[AgentRow]:
        return self._cached(
            ("agents",),
            lambda: [
                AgentRow(r[0], r[1], r[2], r[3] or "")
                for r in self._all("SELECT id, handle, name, team FROM agent ORDER BY name, handle")
            ],
        )

    def case_detail(self, case_id: str) -> CaseDetail | None:
        rows = self._all(_CASE_SELECT + " WHERE c.id = ?", (case_id,))
        if not rows:
            return None
        cust = self._all(_CUSTOMER_SELECT, (case_id,))
        customer = (
            CustomerInfo(
                name=f"{cust[0][0]} {cust[0][1]}".strip(),
                customer_number=cust[0][2],
                language=cust[0][3],
                email=cust[0][4],
                phone=cust[0][5],
                account=cust[0][6],
                tier=cust[0][7],
            )
            if cust
            else None
        )
        messages = [
            MessageRow(m[0], m[1], m[2], m[3], _time(m[4]))
            for m in self._all(_MESSAGES_SELECT, (case_id,))
        ]
        tasks = [
            TaskRow(t[0], t[1], t[2], t[3], _time(t[4]) if t[4] else None, t[5], t[6], _time(t[7]))
            for t in self._all(_TASKS_SELECT, (case_id,))
        ]
        return CaseDetail(
            case=_case_row(rows[0]), customer=customer, messages=messages, tasks=tasks
        )

    def other_cases(self, case_id: str, limit: int = 9) -> list[CaseRow]:
        """The same customer's other cases: open ones first, then the most recent."""
        sql = (
            _CASE_SELECT
            + ' WHERE c.contact_id = (SELECT contact_id FROM "case" WHERE id = ?) AND c.id != ?'
            " ORDER BY c.status IN ('solved', 'closed'), c.updated_at DESC LIMIT ?"
        )
        return [_case_row(r) for r in self._all(sql, (case_id, case_id, limit))]

    def merge_rows(self, case_ids: list[str]) -> list[dict[str, Any]]:
        """What macros and templates need of each case: its fields (assignee as a handle,
        queue as slug and name), its contact and account, as plain values by name."""
        out: list[dict[str, Any]] = []
        for at in range(0, len(case_ids), 500):  # SQLite's parameter limit
            chunk = case_ids[at : at + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._all(_MERGE_SELECT + f" WHERE c.id IN ({marks})", tuple(chunk))
            out.extend(dict(zip(_MERGE_NAMES, r, strict=True)) for r in rows)
        for row in out:
            row["tags"] = tuple(json.loads(row["tags"]) if row["tags"] else ())
        return out

    def draft(self, case_id: str) -> drafts.Draft | None:
        """The case's saved reply draft, or None."""
        rows = self._all(drafts.SELECT_ONE, (case_id,))
        return drafts.from_row(case_id, rows[0]) if rows else None

    def drafted_case_ids(self) -> set[str]:
        return {r[0] for r in self._all(drafts.SELECT_CASES)}

    def find_contacts(
        self, where: list[str], params: list[Any], exact: str, limit: int
    ) -> list[ContactRow]:
        """Contacts meeting every condition (SQL on ``contact AS p``, ``?`` parameters; see
        :data:`CONTACT_HAYSTACK`), those whose customer number or e-mail is ``exact`` first,
        then by name."""
        sql = _CONTACT_SELECT
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += (
            " ORDER BY (lower(p.customer_number) = ? OR lower(p.email) = ?) DESC, "
            "csm_fold(p.last_name), csm_fold(p.first_name), p.id LIMIT ?"
        )
        rows = self._all(sql, (*params, exact, exact, max(0, limit)))
        return [ContactRow(*(str(v) if v is not None else "" for v in r)) for r in rows]

    def has_table(self, name: str) -> bool:
        rows = self._all("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return bool(rows)

    def outbox_counts(self) -> tuple[int, int, int]:
        """(pending edits, conflicts, rejected edits): one cheap query for the status bar."""
        rows = self._all(
            "SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM conflict), "
            "(SELECT count(*) FROM rejected)"
        )
        return (int(rows[0][0]), int(rows[0][1]), int(rows[0][2])) if rows else (0, 0, 0)

    def conflicts(self) -> list[ConflictRow]:
        return [
            ConflictRow(
                int(r[0]), r[1], r[2], r[3], r[4], _json_value(r[5]), _json_value(r[6]), r[7], r[8]
            )
            for r in self._all(_CONFLICTS_SELECT)
        ]

    def rejected(self) -> list[RejectedRow]:
        return [
            RejectedRow(int(r[0]), r[1], r[2], r[3], r[4], _time(r[5]))
            for r in self._all(_REJECTED_SELECT)
        ]

    def state(self, key: str) -> str | None:
        rows = self._all("SELECT value FROM sync_state WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def agent(self) -> tuple[str, str, str] | None:
        """(id, handle, name) of the agent the store has synced as, or None."""
        rows = self._all(
            "SELECT key, value FROM sync_state WHERE key IN ('agent_id', 'agent_handle', "
            "'agent_name')"
        )
        values = dict(rows)
        if not values.get("agent_id"):
            return None
        return (values["agent_id"], values.get("agent_handle", ""), values.get("agent_name", ""))

    def cursor_seq(self) -> int:
        """The change-log sequence the store has pulled up to (0 before a delta cursor)."""
        cursor = self.state("cursor") or ""
        kind, _, rest = cursor.partition(".")
        return int(rest) if kind == "d" and rest.isdigit() else 0

    # -- macros and snippets ---------------------------------------------------------------

    def macro_records(self) -> list[MacroRecord]:
        """Every macro the store holds (the server sends only those the agent may see)."""
        return self._cached(
            ("macros",),
            lambda: [
                MacroRecord(
                    r[0], r[1], r[2] or "", r[3], r[4], _json_list(r[5]), int(r[6]), _time(r[7])
                )
                for r in self._all(
                    "SELECT id, name, description, scope, owner_agent_id, actions, version, "
                    "updated_at FROM macro ORDER BY name, id"
                )
            ],
        )

    def snippet_records(self) -> list[SnippetRecord]:
        return self._cached(
            ("snippets",),
            lambda: [
                SnippetRecord(r[0], r[1], r[2], r[3] or "", r[4], r[5], int(r[6]), _time(r[7]))
                for r in self._all(
                    "SELECT id, shortcut, title, body, scope, owner_agent_id, version, "
                    "updated_at FROM snippet ORDER BY shortcut, id"
                )
            ],
        )

    def macro_uses(self) -> list[MacroUseRecord]:
        """Every recorded macro use, oldest first."""
        return [
            MacroUseRecord(r[0], r[1] or "", tuple(str(t) for t in _json_list(r[2])), r[3] or "")
            for r in self._all(
                "SELECT macro_id, queue, tags, subject FROM macro_use ORDER BY created_at, id"
            )
        ]

    def agent_role(self, agent_id: str) -> str | None:
        rows = self._all("SELECT role FROM agent WHERE id = ?", (agent_id,))
        return str(rows[0][0]) if rows else None

    def cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        """``compute()``, remembered (per thread) until the store changes."""
        return self._cached(("desk", *key), compute)
