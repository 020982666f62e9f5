"""The Desk: the one facade the Textual screens talk to.

It owns the local store's engine and, when signed in, the sync engine. Screens call its
read methods (cheap, indexed, safe from any thread) and run :meth:`Desk.sync` in a worker.
Nothing here imports Textual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from csm_tui.domain.models import utcnow
from csm_tui.errors import CsmError
from csm_tui.store import queries
from csm_tui.store.apply import LAST_SYNC_KEY, get_state
from csm_tui.store.engine import make_store_engine
from csm_tui.store.queries import CaseDetail, CaseRow
from csm_tui.sync.client import CaseServerClient
from csm_tui.sync.engine import Progress, SyncEngine, SyncReport


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
        store: Engine,
        *,
        store_path: Path | None = None,
        client: CaseServerClient | None = None,
        agent_handle: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.store_path = store_path
        self.client = client
        self.agent_handle = agent_handle
        self.clock = clock
        self._sync = SyncEngine(store, client, clock=clock) if client is not None else None
        self._sync_lock = threading.Lock()
        last = get_state(store, LAST_SYNC_KEY)
        self._status = SyncStatus(
            state="offline" if client is not None else "local",
            server=client.base_url if client is not None else None,
            last_sync_at=datetime.fromisoformat(last) if last else None,
        )

    @classmethod
    def open(
        cls,
        store_path: Path,
        *,
        client: CaseServerClient | None = None,
        agent_handle: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> Desk:
        return cls(
            make_store_engine(store_path),
            store_path=store_path,
            client=client,
            agent_handle=agent_handle,
            clock=clock,
        )

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        self.store.dispose()

    # -- reads ---------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def case_count(self) -> int:
        return queries.count_cases(self.store)

    def case_window(self, offset: int, limit: int) -> list[CaseRow]:
        return queries.case_window(self.store, offset, limit)

    def case_detail(self, case_id: str) -> CaseDetail | None:
        return queries.case_detail(self.store, case_id)

    @property
    def status(self) -> SyncStatus:
        return self._status

    @property
    def can_sync(self) -> bool:
        return self._sync is not None

    # -- sync ----------------------------------------------------------------------------

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Pull everything new from the server. Blocking: call it from a worker thread.

        Raises CsmError with one sentence on failure; the store is left as it was before the
        failing page (each page commits with its cursor).
        """
        if self._sync is None:
            raise CsmError("This desk has no case server; sign in with `csm login --server URL`.")
        with self._sync_lock:
            self._status = replace(self._status, state="syncing", error=None)
            try:
                report = self._sync.pull(progress)
            except CsmError as err:
                self._status = replace(self._status, state="offline", error=str(err))
                raise
            self._status = replace(
                self._status, state="online", last_sync_at=report.finished_at, error=None
            )
            return report
