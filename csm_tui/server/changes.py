"""The change log: appending changes, and paging them out to desks (``GET /api/v1/changes``).

Owns the cursor format, which is opaque to the desk:

- ``s.<high>.<entity_index>.<last_id>``: inside a full snapshot taken when the log stood at
  ``high``; the next page starts after ``last_id`` in ``REPLICATED[entity_index]``.
- ``d.<seq>``: deltas; the next page starts after change-log sequence ``seq``.
- ``f.<high>``: the second page of a cold desk's first-screen prelude (see
  :func:`first_screen_page`), followed by the snapshot ``s.<high>.0.``.

A snapshot reads the live tables, so rows changed while it is paged may arrive in their newer
state; the deltas that follow from ``high`` repeat those changes, and applying an upsert twice
is harmless. That is why ``high`` is taken before the first snapshot row is read.

Visibility: a personal macro or snippet goes only to its owner's desk. Snapshot and delta
pages skip other agents' personal rows (their updates and tombstones too) while the cursor
still moves past them; the owner of a row is read from the live row, or, once deleted, from
the change log's record of its creation (scope and owner never change). A tombstone whose
owner nothing remembers any more goes to everyone: it carries no more than an id.

``compact`` deletes old log rows and raises the log floor; a cursor from before the floor
answers 410 (``CursorGone``) and the desk resyncs with a fresh snapshot.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, delete, func, text
from sqlmodel import Session, SQLModel, select

from csm_tui.domain.models import (
    REPLICATED,
    Account,
    Agent,
    Case,
    Contact,
    MacroRow,
    Queue,
    SnippetRow,
    to_wire,
    utcnow,
)
from csm_tui.server.tables import ChangeLog, ServerState
from csm_tui.sync.wire import MAX_PAGE_BYTES, ChangeRow, ChangesPage

BAD_CURSOR_DETAIL = "The sync cursor is malformed; run a full sync."
CURSOR_GONE_DETAIL = "The server no longer knows this sync cursor; the desk will resync."


class BadCursor(ValueError):
    """The cursor is not one this server ever hands out."""

    def __init__(self) -> None:
        super().__init__(BAD_CURSOR_DETAIL)


class CursorGone(ValueError):
    """The cursor points past what this database holds (reset, restored or compacted)."""

    def __init__(self) -> None:
        super().__init__(CURSOR_GONE_DETAIL)


def record(
    session: Session,
    row: SQLModel,
    op: str = "upsert",
    fields: dict[str, Any] | None = None,
    *,
    actor_agent_id: str | None = None,
) -> ChangeLog:
    """Append one change of ``row`` to the log, in the caller's transaction.

    ``fields`` are wire values of the changed fields; when omitted an upsert carries all of
    the row's fields (a new row) and a delete carries none (a tombstone).
    """
    if op not in ("upsert", "delete"):
        raise ValueError(f"Unknown change-log op {op!r}; use 'upsert' or 'delete'.")
    if fields is None:
        fields = to_wire(row) if op == "upsert" else {}
    lock_log(session)
    entry = ChangeLog(
        entity=row.entity,  # type: ignore[attr-defined]
        entity_id=row.id,  # type: ignore[attr-defined]
        op=op,
        fields=fields,
        actor_agent_id=actor_agent_id,
    )
    session.add(entry)
    return entry


# Any constant works; it only has to be the same for every writer of this database.
_LOG_LOCK_KEY = 0x63736D6C6F67  # "csmlog"


def lock_log(session: Session) -> None:
    """Serialise change-log writers until the caller's transaction ends (PostgreSQL only).

    A delta cursor says "everything up to seq N was served". On PostgreSQL two transactions
    can take seq 7 and 8 and commit 8 first; a pull in between would serve 8 and skip 7 for
    ever. Holding one transaction-level advisory lock from before the first sequence number
    is taken until commit makes sequence order and commit order the same. SQLite needs
    nothing: it has one writer at a time, so numbers commit in order already.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    with session.no_autoflush:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOG_LOCK_KEY})


#: ``ServerState`` name of the lowest change-log sequence still served.
LOG_FLOOR = "log_floor"


def log_floor(session: Session) -> int:
    """The lowest sequence the log still serves: 1 until ``compact`` removed anything."""
    state = session.get(ServerState, LOG_FLOOR)
    return max(int(state.value), 1) if state is not None else 1


def max_seq(session: Session) -> int:
    """The newest sequence handed out; a fully compacted log still remembers where it was."""
    newest = int(session.exec(select(func.max(ChangeLog.seq))).one() or 0)
    return max(newest, log_floor(session) - 1)


def compact(engine: Engine, keep_last: int) -> int:
    """Delete every change-log row but the newest ``keep_last``; return how many went.

    The log floor rises to just above the newest deleted sequence, so that a desk whose cursor
    points below it gets 410 and resyncs instead of silently missing the deleted changes.
    """
    if keep_last < 0:
        raise ValueError("keep_last must be 0 or more.")
    with Session(engine) as session:
        # Writers append under this lock; holding it keeps the floor and the log consistent.
        lock_log(session)
        newest_deleted = session.exec(
            select(ChangeLog.seq).order_by(ChangeLog.seq.desc()).offset(keep_last).limit(1)  # type: ignore[union-attr]
        ).first()
        if newest_deleted is None:
            return 0
        cutoff = int(newest_deleted)
        result = session.execute(delete(ChangeLog).where(ChangeLog.seq <= cutoff))  # type: ignore[arg-type]
        state = session.get(ServerState, LOG_FLOOR)
        if state is None:
            state = ServerState(name=LOG_FLOOR, value=cutoff + 1)
        else:
            state.value = max(int(state.value), cutoff + 1)
        session.add(state)
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _check_floor(session: Session, after: int) -> None:
    # Rows after ``after`` are needed; the first one still kept is the floor.
    if after < log_floor(session) - 1:
        raise CursorGone()


def read_page(
    session: Session,
    cursor: str | None,
    limit: int,
    max_bytes: int,
    agent_id: str = "",
    *,
    bodies: str = "all",
) -> ChangesPage:
    """One page of changes after ``cursor`` (no cursor: start a full snapshot).

    ``bodies="recent"`` leaves the message bodies of old cases out of snapshot pages
    (``server.bodies``). Raises :class:`BadCursor` for a cursor this server never made and
    :class:`CursorGone` for one beyond the current end of the log.
    """
    page = _read_page(session, cursor, limit, max_bytes, agent_id)
    if bodies == "recent" and page.snapshot:
        from csm_tui.server.bodies import defer_old_bodies

        page = defer_old_bodies(session, page, utcnow())
    return page


def _read_page(
    session: Session, cursor: str | None, limit: int, max_bytes: int, agent_id: str = ""
) -> ChangesPage:
    limit = max(1, limit)
    max_bytes = max(1, max_bytes)
    if not cursor:
        return _snapshot_page(session, max_seq(session), 0, "", limit, max_bytes, agent_id)
    kind, _, rest = cursor.partition(".")
    if kind == "d":
        after = _parse_int(rest)
        if after > max_seq(session):
            raise CursorGone()
        page = _delta_page(session, after, limit, max_bytes, agent_id)
        # Checked after reading: a compaction that ran meanwhile must not hide a gap.
        _check_floor(session, after)
        return page
    if kind == "s":
        parts = rest.split(".", 2)
        if len(parts) != 3:
            raise BadCursor()
        high, index, last_id = _parse_int(parts[0]), _parse_int(parts[1]), parts[2]
        if index >= len(REPLICATED):
            raise BadCursor()
        if high > max_seq(session):
            raise CursorGone()
        page = _snapshot_page(session, high, index, last_id, limit, max_bytes, agent_id)
        # The deltas after the snapshot start at ``high``; they must still be in the log.
        _check_floor(session, high)
        return page
    if kind == "f":
        high = _parse_int(rest)
        if high > max_seq(session):
            raise CursorGone()
        page = _queue_pages_page(session, high, agent_id, max_bytes)
        _check_floor(session, high)
        return page
    raise BadCursor()


#: Cases on a cold desk's first page: the newest ones, which is the queue's first screen.
FIRST_SCREEN_CASES = 40
#: Cases per queue, and the agent's own open cases, on the second page.
QUEUE_FIRST_PAGE = 40


def first_screen_page(session: Session, agent_id: str, max_bytes: int) -> ChangesPage:
    """What a desk with an empty store shows first, before the full snapshot.

    On a thin link the full snapshot takes minutes; so a cold desk gets, in this order:

    1. this page: the newest cases (the queue's first screen) with their contacts, queues and
       assignees, and no messages: one small reply, and the queue paints;
    2. ``f.<high>``: the agent's own open cases and the first page of every queue, with their
       contacts, accounts, and every agent and queue;
    3. ``s.<high>.0.``: the normal full snapshot, which sends these rows again (about a
       hundred rows of thirty thousand, for a queue on screen in seconds instead of minutes).
    """
    high = max_seq(session)
    cases = session.exec(
        select(Case).order_by(Case.updated_at.desc(), Case.id.desc()).limit(FIRST_SCREEN_CASES)  # type: ignore[attr-defined]
    ).all()
    queue_ids = {c.queue_id for c in cases if c.queue_id}
    agent_ids = {c.assignee_id for c in cases if c.assignee_id}
    rows: list[SQLModel] = [
        *_contacts_of(session, cases),
        *_by_ids(session, Agent, agent_ids),
        *_by_ids(session, Queue, queue_ids),
        *cases,
    ]
    return _prelude(rows, f"f.{high}", max_bytes)


def _queue_pages_page(session: Session, high: int, agent_id: str, max_bytes: int) -> ChangesPage:
    own = session.exec(
        select(Case)
        .where(Case.assignee_id == agent_id)
        .where(Case.status.not_in(("solved", "closed")))  # type: ignore[attr-defined]
        .order_by(Case.updated_at.desc())  # type: ignore[attr-defined]
        .limit(QUEUE_FIRST_PAGE)
    ).all()
    cases = {c.id: c for c in own}
    queues = session.exec(select(Queue)).all()
    for queue in queues:
        for case in session.exec(
            select(Case)
            .where(Case.queue_id == queue.id)
            .order_by(Case.updated_at.desc())  # type: ignore[attr-defined]
            .limit(QUEUE_FIRST_PAGE)
        ).all():
            cases[case.id] = case
    contacts = _contacts_of(session, list(cases.values()))
    account_ids = {p.account_id for p in contacts if p.account_id}
    rows: list[SQLModel] = [
        *_by_ids(session, Account, account_ids),
        *contacts,
        *session.exec(select(Agent)).all(),
        *queues,
        *cases.values(),
    ]
    return _prelude(rows, f"s.{high}.0.", max_bytes)


def _contacts_of(session: Session, cases: list[Any]) -> list[Any]:
    return _by_ids(session, Contact, {c.contact_id for c in cases if c.contact_id})


def _by_ids(session: Session, model: type[SQLModel], ids: set[str]) -> list[Any]:
    if not ids:
        return []
    id_col = model.id  # type: ignore[attr-defined]
    return list(session.exec(select(model).where(id_col.in_(sorted(ids)))).all())


def _prelude(rows: list[SQLModel], cursor: str, max_bytes: int) -> ChangesPage:
    # A prelude page is small by construction; it is never split.
    budget = _Budget(10**9, max(max_bytes, MAX_PAGE_BYTES))
    for row in rows:
        budget.take(_snapshot_row(row))
    return ChangesPage(rows=budget.rows, cursor=cursor, more=True, snapshot=True, remaining=None)


def _parse_int(text: str) -> int:
    # Only plain decimal digits: int() alone would also take "+1", " 1" or "1_0".
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise BadCursor()
    return int(text)


class _Budget:
    """Counts rows and JSON bytes of a page; the first row always fits."""

    def __init__(self, limit: int, max_bytes: int) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self.rows: list[ChangeRow] = []
        self.size = 2  # the enclosing "[]"

    @property
    def full(self) -> bool:
        # An empty page is never full: the first row always goes in, or paging would stall.
        if not self.rows:
            return False
        return len(self.rows) >= self.limit or self.size >= self.max_bytes

    def take(self, row: ChangeRow) -> bool:
        """Add ``row`` unless it would push the page over its byte budget."""
        cost = _json_size(row) + (1 if self.rows else 0)
        if self.rows and self.size + cost > self.max_bytes:
            self.size = self.max_bytes  # nothing more goes in after a refusal
            return False
        self.rows.append(row)
        self.size += cost
        return True


def _json_size(row: ChangeRow) -> int:
    data = {"seq": row.seq, "entity": row.entity, "id": row.id, "op": row.op, "fields": row.fields}
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _delta_page(
    session: Session, after: int, limit: int, max_bytes: int, agent_id: str = ""
) -> ChangesPage:
    budget = _Budget(limit, max_bytes)
    # One extra row tells whether another page is ready without a second query.
    entries = session.exec(
        select(ChangeLog).where(ChangeLog.seq > after).order_by(ChangeLog.seq).limit(limit + 1)
    ).all()
    owners = _private_owners(session, entries)
    last = after
    more = False
    for entry in entries:
        owner = owners.get((entry.entity, entry.entity_id))
        if owner is not None and owner != agent_id:
            last = int(entry.seq or 0)  # another agent's personal row: skipped, not served
            continue
        if budget.full or not budget.take(_entry_row(entry)):
            more = True
            break
        last = int(entry.seq or 0)
    if not more and len(entries) > limit:
        # Skipped rows made room for the look-ahead row: whether more follow is not known.
        more = _log_count_after(session, last) > 0
    remaining = _log_count_after(session, last) if more else 0
    return ChangesPage(
        rows=budget.rows, cursor=f"d.{last}", more=more, snapshot=False, remaining=remaining
    )


def _log_count_after(session: Session, seq: int) -> int:
    return int(session.exec(select(func.count()).where(ChangeLog.seq > seq)).one())


def _entry_row(entry: ChangeLog) -> ChangeRow:
    return ChangeRow(
        seq=int(entry.seq or 0),
        entity=entry.entity,  # type: ignore[arg-type]
        id=entry.entity_id,
        op=entry.op,  # type: ignore[arg-type]
        fields=dict(entry.fields or {}),
    )


def _snapshot_page(
    session: Session,
    high: int,
    index: int,
    last_id: str,
    limit: int,
    max_bytes: int,
    agent_id: str = "",
) -> ChangesPage:
    budget = _Budget(limit, max_bytes)
    while index < len(REPLICATED):
        model = REPLICATED[index]
        while True:
            # One row beyond what fits tells whether this entity has more, without a count.
            wanted = budget.limit - len(budget.rows) + 1
            rows = _rows_after(session, model, last_id, wanted)
            for row in rows:
                if _hidden(row, agent_id):
                    last_id = row.id  # type: ignore[attr-defined]
                    continue
                if budget.full or not budget.take(_snapshot_row(row)):
                    return _snapshot_cursor_page(session, budget, high, index, last_id)
                last_id = row.id  # type: ignore[attr-defined]
            if len(rows) < wanted:
                break  # this entity is done; hidden rows may have left room for more
        index, last_id = index + 1, ""
        if budget.full:
            if _any_rows_from(session, index):
                return _snapshot_cursor_page(session, budget, high, index, last_id)
            break
    after = _log_count_after(session, high)
    return ChangesPage(
        rows=budget.rows, cursor=f"d.{high}", more=after > 0, snapshot=True, remaining=after
    )


def _snapshot_cursor_page(
    session: Session, budget: _Budget, high: int, index: int, last_id: str
) -> ChangesPage:
    # What is left of the snapshot, plus the deltas that follow it.
    remaining = _log_count_after(session, high)
    for offset, model in enumerate(REPLICATED[index:]):
        query = select(func.count()).select_from(model)
        if offset == 0 and last_id:
            query = query.where(model.id > last_id)  # type: ignore[attr-defined]
        remaining += int(session.exec(query).one())
    return ChangesPage(
        rows=budget.rows,
        cursor=f"s.{high}.{index}.{last_id}",
        more=True,
        snapshot=True,
        remaining=remaining,
    )


def _rows_after(session: Session, model: type[SQLModel], last_id: str, n: int) -> list[Any]:
    id_col = model.id  # type: ignore[attr-defined]
    query = select(model).order_by(id_col).limit(n)
    if last_id:
        query = query.where(id_col > last_id)
    return list(session.exec(query).all())


def _any_rows_from(session: Session, index: int) -> bool:
    for model in REPLICATED[index:]:
        if session.exec(select(model.id).limit(1)).first() is not None:  # type: ignore[attr-defined]
            return True
    return False


#: Entities with personal rows, which only their owner's desk receives.
_PRIVATE_MODELS: dict[str, Any] = {"macro": MacroRow, "snippet": SnippetRow}


def _hidden(row: SQLModel, agent_id: str) -> bool:
    """Whether ``row`` is another agent's personal macro or snippet."""
    if row.entity not in _PRIVATE_MODELS:  # type: ignore[attr-defined]
        return False
    return row.scope == "personal" and row.owner_agent_id != agent_id  # type: ignore[attr-defined]


def _private_owners(session: Session, entries: Any) -> dict[tuple[str, str], str]:
    """(entity, id) -> owner of each personal macro or snippet the log entries name."""
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        if entry.entity in _PRIVATE_MODELS:
            wanted.setdefault(entry.entity, set()).add(entry.entity_id)
    owners: dict[tuple[str, str], str] = {}
    for entity, ids in wanted.items():
        model = _PRIVATE_MODELS[entity]
        found: set[str] = set()
        for row_id, scope, owner in session.exec(
            select(model.id, model.scope, model.owner_agent_id).where(model.id.in_(sorted(ids)))
        ).all():
            found.add(row_id)
            if scope == "personal":
                owners[(entity, row_id)] = owner or ""
        gone = sorted(ids - found)
        if not gone:
            continue
        # Deleted since: its creation (all fields) is still in the log unless compacted.
        for created in session.exec(
            select(ChangeLog).where(
                ChangeLog.entity == entity,
                ChangeLog.entity_id.in_(gone),  # type: ignore[attr-defined]
                ChangeLog.op == "upsert",
            )
        ).all():
            fields = created.fields or {}
            if fields.get("scope") == "personal":
                owners[(entity, created.entity_id)] = str(fields.get("owner_agent_id") or "")
    return owners


def _snapshot_row(row: SQLModel) -> ChangeRow:
    return ChangeRow(
        seq=0,
        entity=row.entity,  # type: ignore[attr-defined]
        id=row.id,  # type: ignore[attr-defined]
        op="upsert",
        fields=to_wire(row),
    )
