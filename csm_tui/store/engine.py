"""Opening the local store: one SQLite file, WAL, ``synchronous=FULL``, tables created.

A file that is not a database, or one another process holds locked, becomes a
:class:`~csm_tui.errors.CsmError` with the way out, never a traceback.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import SQLModel

from csm_tui.store import knowledge_index, search_index
from csm_tui.store.errors import store_error
from csm_tui.store.tables import store_tables

#: How long a writer waits for another connection's lock before giving up (ms).
BUSY_TIMEOUT_MS = 5000


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    # An edit and its outbox row must survive a power cut once committed.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=OFF")
    cur.close()


def make_store_engine(path: Path) -> Engine:
    """Create (if needed) and open the store at ``path``; raise CsmError if it is unusable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_connect)
    try:
        SQLModel.metadata.create_all(engine, tables=store_tables())
        _ensure_search(engine)
    except (DatabaseError, OperationalError, sqlite3.DatabaseError) as err:
        engine.dispose()
        raise store_error(path, err) from None
    return engine


def _ensure_search(engine: Engine) -> None:
    """The FTS indexes (cases and knowledge articles), tag index, sort indexes and undo
    table (an existing store is indexed once, here, on its first open by this version)."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        if search_index.is_current(conn) and knowledge_index.is_current(conn):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            search_index.ensure(conn)
            knowledge_index.ensure(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        raw.close()
