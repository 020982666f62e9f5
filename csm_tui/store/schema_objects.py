"""Desk-only schema objects kept at a version: indexes, triggers and derived tables that the
store builds from its replicated rows (the case search index, the article index).

Each owner lists its objects as (name, CREATE statement) and keeps a version under its own key
in ``sync_state``; :func:`ensure` creates what is missing and, for a new version, drops the
old objects first and rebuilds from the rows, all in the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any


def _exec(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params).fetchall()


def is_current(conn: sqlite3.Connection, key: str, version: str) -> bool:
    """Does ``sync_state`` say the objects under ``key`` are at ``version``?"""
    try:
        rows = _exec(conn, "SELECT value FROM sync_state WHERE key = ?", (key,))
    except sqlite3.OperationalError:
        return False
    return bool(rows) and rows[0][0] == version


def ensure(
    conn: sqlite3.Connection,
    objects: Sequence[tuple[str, str]],
    *,
    required: Iterable[str],
    key: str,
    version: str,
    rebuild: Callable[[sqlite3.Connection], None],
    keep: frozenset[str] = frozenset(),
) -> bool:
    """Create what is missing, in the caller's transaction (the ``required`` tables must
    exist). Objects of an older version are dropped (but those in ``keep``, which hold
    data of their own) so their new definitions take effect, then ``rebuild`` fills them from
    the rows. Returns True when it changed anything."""
    names = {r[0] for r in _exec(conn, "SELECT name FROM sqlite_master")}
    if not all(t in names for t in required):
        return False
    current = is_current(conn, key, version)
    if current and all(name in names for name, _ in objects):
        return False
    if not current:
        for name, sql in objects:
            if name in names and name not in keep:
                kind = "TABLE" if sql.startswith("CREATE VIRTUAL") else sql.split()[1]
                _exec(conn, f'DROP {kind} IF EXISTS "{name}"')
        names = {r[0] for r in _exec(conn, "SELECT name FROM sqlite_master")}
    for name, sql in objects:
        if name not in names:
            _exec(conn, sql)
    rebuild(conn)
    _exec(
        conn,
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, version),
    )
    return True


__all__ = ["ensure", "is_current"]
