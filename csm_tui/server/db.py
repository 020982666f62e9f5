"""Engine factory and schema creation for the case server's database.

Owns how a database URL becomes an engine (SQLite pragmas, PostgreSQL driver choice) and which
tables the server creates. Nothing here runs at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

from csm_tui.domain.models import replicated_tables
from csm_tui.server.tables import server_tables


def make_engine(db_url: str) -> Engine:
    """Build an engine for ``db_url`` (``sqlite:///path`` or ``postgresql://...``)."""
    url = make_url(_normalise(db_url))
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True)


def init_db(engine: Engine) -> None:
    """Create the replicated tables and the server's own tables if they are missing.

    The list is explicit because the desk's store registers other tables in the same
    SQLModel metadata, and those must never appear in the server's database.
    """
    SQLModel.metadata.create_all(engine, tables=[*replicated_tables(), *server_tables()])


def _normalise(db_url: str) -> str:
    # Plain postgresql:// would pick psycopg2; the project's optional extra is psycopg 3.
    for prefix in ("postgresql://", "postgres://"):
        if db_url.startswith(prefix):
            return "postgresql+psycopg://" + db_url[len(prefix) :]
    return db_url


def _sqlite_engine(url: Any) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    kwargs: dict[str, Any] = {
        # FastAPI runs sync endpoints in a thread pool; the pool hands one connection to
        # one thread at a time, so sharing across threads is safe.
        "connect_args": {"check_same_thread": False},
    }
    if in_memory:
        # Every connection to :memory: is a new empty database; keep exactly one.
        kwargs["poolclass"] = StaticPool
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                # WAL lets pulls read while a push writes.
                cursor.execute("PRAGMA journal_mode=WAL")
            # The server is the system of record: a committed change survives power loss.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=5000")
        finally:
            cursor.close()

    return engine
