"""Pull sync: page through the server's changes and apply each page with its cursor.

A first sync pages the full snapshot, then deltas follow from the cursor it ends on. A 410
(cursor unknown) starts a full resync from no cursor; the local edits that issue #3's outbox
will hold are not touched by that.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from csm_tui.domain.models import utcnow
from csm_tui.store.apply import CURSOR_KEY, apply_page, get_state, set_state
from csm_tui.sync.client import CaseServerClient, CursorGone
from csm_tui.sync.report import SyncReport
from csm_tui.sync.wire import DEFAULT_PAGE_BYTES, DEFAULT_PAGE_ROWS, ChangesPage

#: Called after each applied page with the report so far and the page just applied.
Progress = Callable[[SyncReport, ChangesPage], None]


class SyncEngine:
    def __init__(
        self,
        store: Engine,
        client: CaseServerClient,
        *,
        page_rows: int = DEFAULT_PAGE_ROWS,
        page_bytes: int = DEFAULT_PAGE_BYTES,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.client = client
        self.page_rows = page_rows
        self.page_bytes = page_bytes
        self.clock = clock

    def pull(self, progress: Progress | None = None) -> SyncReport:
        report = SyncReport()
        cursor = get_state(self.store, CURSOR_KEY)
        while True:
            try:
                page = self.client.changes(cursor, limit=self.page_rows, max_bytes=self.page_bytes)
            except CursorGone:
                if report.full_resync:
                    raise
                report.full_resync = True
                set_state(self.store, CURSOR_KEY, "")
                cursor = None
                continue
            applied = apply_page(self.store, page, synced_at=self.clock())
            report.pages += 1
            report.rows += applied.rows
            report.wire_bytes += self.client.last_wire_bytes
            for entity, n in applied.by_entity.items():
                report.by_entity[entity] = report.by_entity.get(entity, 0) + n
            report.case_ids |= applied.case_ids
            if progress is not None:
                progress(report, page)
            cursor = page.cursor
            if not page.more:
                break
        report.finished_at = self.clock()
        return report
