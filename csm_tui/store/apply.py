"""Applying a pulled page of changes and its cursor to the store, in one transaction.

Snapshot rows carry every field and are upserted in bulk; delta rows carry only changed
fields and update in place (a delta for a row the store has never seen is inserted whole).
Tombstones delete. If anything fails, neither the rows nor the cursor move.

Local edits still in the outbox stay visible: after the rows, the same transaction replays
the pending edits of every entity the page brought (:func:`csm_tui.store.outbox.replay`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from csm_tui.domain.models import ENTITY_MODELS, from_wire
from csm_tui.store import bodies, outbox, search_index
from csm_tui.store.tables import SyncState
from csm_tui.sync.wire import BODY_DEFERRED, ChangeRow, ChangesPage

CURSOR_KEY = "cursor"
LAST_SYNC_KEY = "last_sync_at"


@dataclass
class Applied:
    """What a page changed, for the desk to repaint only that."""

    rows: int = 0
    by_entity: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    case_ids: set[str] = field(default_factory=set)
    skipped: int = 0
    replayed: int = 0


def apply_page(engine: Engine, page: ChangesPage, *, synced_at: datetime) -> Applied:
    applied = Applied()
    with engine.begin() as conn:
        # Messages whose body stayed on the server (a low-bandwidth pull): see store.bodies.
        deferred = [r for r in page.rows if _deferred(r)]
        rows = [r for r in page.rows if not _deferred(r)] if deferred else page.rows
        bodies.take_bodies(conn, rows)
        if page.snapshot:
            _apply_snapshot(conn, rows, applied)
        else:
            for row in rows:
                _apply_delta(conn, row, applied)
        bodies.upsert_deferred(conn, deferred)
        for row in deferred:
            _note(applied, row)
        bodies.clear_marks(conn, (r.id for r in rows if r.entity == "message" and r.op == "delete"))
        pulled: dict[tuple[str, str], dict[str, Any]] = {}
        for row in page.rows:
            if row.op != "delete":
                pulled.setdefault((row.entity, row.id), {}).update(row.fields)
        applied.replayed = outbox.replay(conn, pulled)
        search_index.flush(conn)
        _set_state(conn, CURSOR_KEY, page.cursor)
        _set_state(conn, LAST_SYNC_KEY, synced_at.isoformat(timespec="seconds"))
    return applied


def _deferred(row: ChangeRow) -> bool:
    """A message whose body the server left out (``bodies=recent``)."""
    return row.entity == "message" and row.op == "upsert" and bool(row.fields.get(BODY_DEFERRED))


def _note(applied: Applied, row: ChangeRow, case_id: str | None = None) -> None:
    """Count ``row``; ``case_id`` is the case of a task whose delta does not carry it."""
    applied.rows += 1
    applied.by_entity[row.entity] += 1
    if row.entity == "case":
        applied.case_ids.add(row.id)
    elif row.entity in ("message", "task") and (case_id or row.fields.get("case_id")):
        applied.case_ids.add(str(case_id or row.fields["case_id"]))


def _apply_snapshot(conn: Connection, rows: list[ChangeRow], applied: Applied) -> None:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.op == "delete":
            _apply_delta(conn, row, applied)
            continue
        model = ENTITY_MODELS[row.entity]
        groups[row.entity].append({**from_wire(model, row.fields), "id": row.id})
        _note(applied, row)
    for entity, values in groups.items():
        table = ENTITY_MODELS[entity].__table__  # type: ignore[attr-defined]
        # Same keys in every dict of one executemany, or SQLAlchemy would reject the batch.
        keys = set().union(*(v.keys() for v in values))
        values = [{k: v.get(k) for k in keys} for v in values]
        stmt = sqlite_insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"], set_={k: stmt.excluded[k] for k in keys if k != "id"}
        )
        conn.execute(stmt, values)


def _apply_delta(conn: Connection, row: ChangeRow, applied: Applied) -> None:
    model = ENTITY_MODELS[row.entity]
    table = model.__table__  # type: ignore[attr-defined]
    # A task's delta carries only what changed; its case (to repaint) is in the store.
    case_id = (
        conn.execute(select(table.c.case_id).where(table.c.id == row.id)).scalar_one_or_none()
        if row.entity == "task" and "case_id" not in row.fields
        else None
    )
    if row.op == "delete":
        conn.execute(delete(table).where(table.c.id == row.id))
        _note(applied, row, case_id)
        return
    values = from_wire(model, row.fields)
    values.pop("id", None)
    result = (
        conn.execute(update(table).where(table.c.id == row.id).values(**values)) if values else None
    )
    if result is None or result.rowcount == 0:
        exists = conn.execute(select(table.c.id).where(table.c.id == row.id)).first()
        if exists is None:
            try:
                with conn.begin_nested():
                    conn.execute(table.insert().values(id=row.id, **values))
            except (IntegrityError, DBAPIError):
                # A partial row for an entity we never saw: it will arrive whole on resync.
                applied.skipped += 1
                return
    _note(applied, row, case_id)


def _set_state(conn: Connection, key: str, value: str) -> None:
    table = SyncState.__table__  # type: ignore[attr-defined]
    stmt = sqlite_insert(table).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def get_state(engine: Engine, key: str) -> str | None:
    table = SyncState.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return conn.execute(select(table.c.value).where(table.c.key == key)).scalar_one_or_none()


def set_state(engine: Engine, key: str, value: str) -> None:
    with engine.begin() as conn:
        _set_state(conn, key, value)
