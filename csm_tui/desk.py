"""The Desk: the one facade the Textual screens talk to.

It owns the local store and, when signed in, the connection to the case server. Reads for
painting go through :class:`~csm_tui.store.queries.StoreReader` (plain ``sqlite3``); the ORM
engine, the HTTP client and the sync engine are built on first use, inside the sync worker,
so that neither SQLAlchemy nor httpx is imported before the first queue is on screen.
Nothing here imports Textual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from csm_tui.errors import CsmError
from csm_tui.store.queries import CaseDetail, CaseRow, CustomerInfo, MessageRow, StoreReader

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from csm_tui.sync.client import CaseServerClient
    from csm_tui.sync.engine import Progress, SyncEngine
    from csm_tui.sync.report import SyncReport

__all__ = ["CaseDetail", "CaseRow", "CustomerInfo", "Desk", "MessageRow", "SyncStatus"]


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class SyncStatus:
    """What the sync indicator shows."""

    state: str = "offline"  # "offline" | "online" | "syncing" | "local" (no server configured)
    server: str | None = None
    last_sync_at: datetime | None = None
    pending: int = 0
    conflicts: int = 0
    error: str | None = None


class Desk:
    def __init__(
        self,
        store_path: Path,
        *,
        server: str | None = None,
        connect: Callable[[], CaseServerClient] | None = None,
        agent_handle: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        """``connect`` builds the server client when the first sync needs it; ``server`` is
        its URL, shown in the status bar before then."""
        self.store_path = store_path
        self.reader = StoreReader(store_path)
        self.agent_handle = agent_handle
        self.clock = clock
        self._connect = connect
        self._engine: Engine | None = None
        self._client: CaseServerClient | None = None
        self._sync: SyncEngine | None = None
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
    ) -> Desk:
        """A desk over ``store_path``, with the store created now (tests, tools) and an
        already-built client, if any."""
        desk = cls(
            store_path,
            server=client.base_url if client is not None else None,
            connect=(lambda: client) if client is not None else None,
            agent_handle=agent_handle,
            clock=clock,
        )
        _ = desk.store
        return desk

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
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
        return self._status

    @property
    def can_sync(self) -> bool:
        return self._connect is not None

    # -- sync ----------------------------------------------------------------------------

    def _sync_engine(self) -> SyncEngine:
        if self._sync is None:
            from csm_tui.sync.engine import SyncEngine

            assert self._connect is not None
            self._client = self._connect()
            self._sync = SyncEngine(self.store, self._client, clock=self.clock)
        return self._sync

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Pull everything new from the server. Blocking: call it from a worker thread.

        Raises CsmError with one sentence on failure; the store is left as it was before the
        failing page (each page commits with its cursor).
        """
        if self._connect is None:
            raise CsmError("This desk has no case server; sign in with `csm login --server URL`.")
        with self._sync_lock:
            self._status = replace(self._status, state="syncing", error=None)
            try:
                report = self._sync_engine().pull(progress)
            except CsmError as err:
                self._status = replace(self._status, state="offline", error=str(err))
                raise
            self._status = replace(
                self._status, state="online", last_sync_at=report.finished_at, error=None
            )
            return report
