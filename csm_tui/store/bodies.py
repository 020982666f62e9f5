"""Message bodies a low-bandwidth pull left on the server, in the store.

A snapshot page pulled with ``bodies=recent`` carries the messages of old cases without their
text (``body_deferred``, see ``server.bodies``). :func:`upsert_deferred` stores such a message
with an empty body and a row in ``deferred_body``, but never empties a body the store already
has (a resync after a 410 must not throw text away). A later row that brings the body (a
normal pull) fills it in and clears the mark (:func:`take_bodies`), and so does
:func:`fill_bodies`, which
writes what ``GET /api/v1/cases/{id}/messages`` returned when the agent opened the case; the
search index picks the text up in the same transaction (its triggers mark the case).

Until then the store's search does not find old cases by words of those bodies.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the desk reads marks before the first paint, without these
    from sqlalchemy import Connection

    from csm_tui.sync.wire import ChangeRow

TABLE = "deferred_body"
_CHUNK = 500  # SQLite's parameter limit, with room to spare


def upsert_deferred(conn: Connection, rows: list[ChangeRow]) -> None:
    """Store bodiless message rows: a new one with an empty body and a mark; an existing one
    keeps its body (and gets a mark only if that body is empty)."""
    if not rows:
        return
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    from csm_tui.domain.models import Message, from_wire

    table = Message.__table__  # type: ignore[attr-defined]
    values = [{**from_wire(Message, r.fields), "id": r.id, "body": ""} for r in rows]
    keys = set().union(*(v.keys() for v in values))
    values = [{k: v.get(k) for k in keys} for v in values]
    stmt = sqlite_insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={k: stmt.excluded[k] for k in keys if k not in ("id", "body")},
    )
    conn.execute(stmt, values)
    ids = [r.id for r in rows]
    for at in range(0, len(ids), _CHUNK):
        chunk = ids[at : at + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        conn.exec_driver_sql(
            f"INSERT OR IGNORE INTO {TABLE} (message_id, case_id) "
            f"SELECT id, case_id FROM message WHERE id IN ({marks}) AND body = ''",
            tuple(chunk),
        )


def take_bodies(conn: Connection, rows: list[ChangeRow]) -> None:
    """Write the bodies that pulled rows bring for marked messages, and clear their marks.

    Before the page's own upsert, with plain UPDATEs: SQLite lets an upsert's conflict
    handling override the ``OR IGNORE`` of the search index's triggers, so an upsert that
    changed two bodies of one case in one statement would fail on the index's dirty list.
    """
    if not conn.exec_driver_sql(f"SELECT 1 FROM {TABLE} LIMIT 1").first():
        return
    arriving = {
        r.id: r.fields["body"]
        for r in rows
        if r.entity == "message" and r.op == "upsert" and isinstance(r.fields.get("body"), str)
    }
    if not arriving:
        return
    ids = list(arriving)
    marked: list[str] = []
    for at in range(0, len(ids), _CHUNK):
        chunk = ids[at : at + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        marked += [
            r[0]
            for r in conn.exec_driver_sql(
                f"SELECT message_id FROM {TABLE} WHERE message_id IN ({marks})", tuple(chunk)
            )
        ]
    for message_id in marked:
        conn.exec_driver_sql(
            "UPDATE message SET body = ? WHERE id = ?", (arriving[message_id], message_id)
        )
        conn.exec_driver_sql(f"DELETE FROM {TABLE} WHERE message_id = ?", (message_id,))


def clear_marks(conn: Connection, message_ids: Iterable[str]) -> None:
    """Forget the marks of messages that were deleted."""
    ids = list(message_ids)
    if not ids or not conn.exec_driver_sql(f"SELECT 1 FROM {TABLE} LIMIT 1").first():
        return
    for at in range(0, len(ids), _CHUNK):
        chunk = ids[at : at + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        conn.exec_driver_sql(f"DELETE FROM {TABLE} WHERE message_id IN ({marks})", tuple(chunk))


def deferred_ids(conn: sqlite3.Connection | Any, case_id: str) -> set[str]:
    """Ids of the case's messages whose body is still on the server."""
    try:
        rows = conn.execute(
            f"SELECT message_id FROM {TABLE} WHERE case_id = ?", (case_id,)
        ).fetchall()
    except sqlite3.OperationalError:  # a store from before this table: nothing deferred
        return set()
    return {r[0] for r in rows}


def fill_bodies(conn: sqlite3.Connection, case_id: str, messages: list[dict[str, Any]]) -> int:
    """Write the fetched bodies of the case's deferred messages (in the caller's transaction)
    and clear their marks; returns how many were filled. Messages the store does not hold
    yet are left for the next pull."""
    waiting = deferred_ids(conn, case_id)
    filled = 0
    for message in messages:
        message_id = message.get("id")
        body = message.get("body")
        if message_id not in waiting or not isinstance(body, str):
            continue
        conn.execute(
            "UPDATE message SET body = ? WHERE id = ? AND case_id = ?", (body, message_id, case_id)
        )
        conn.execute(f"DELETE FROM {TABLE} WHERE message_id = ?", (message_id,))
        filled += 1
    return filled
