"""Sync: push the outbox, then pull the server's changes, applying each page with its cursor.

Push sends the outbox in mid order, ``MAX_PUSH_MUTATIONS`` at a time, and settles each
result in one store transaction (:func:`csm_tui.store.outbox.settle`). A failed request
leaves the outbox as it was (the same mids are sent again next time, and the server answers
mids it already holds with the results it stored, so nothing applies twice). A 409 whose
``last_mid`` covers some of our pending mids drops those (they come back by pull) and sends
the rest; one that is behind our lowest pending mid means the server lost our earlier edits:
that stops with a sentence and keeps the outbox.

A first pull pages the full snapshot, then deltas follow from the cursor it ends on. A 410
(cursor unknown) starts a full resync from no cursor; the outbox is kept, and its edits are
replayed over every page (``apply_page``), then pushed by the next sync.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from csm_tui.domain.models import utcnow
from csm_tui.errors import CsmError
from csm_tui.store import outbox
from csm_tui.store.apply import CURSOR_KEY, apply_page, get_state, set_state
from csm_tui.store.outbox import OutboxStore
from csm_tui.sync.client import CaseServerClient, CursorGone, MidGapError
from csm_tui.sync.report import SyncReport
from csm_tui.sync.wire import (
    DEFAULT_PAGE_BYTES,
    DEFAULT_PAGE_ROWS,
    MAX_PUSH_INFLATED_BYTES,
    MAX_PUSH_MUTATIONS,
    ChangesPage,
    Mutation,
    PushRequest,
)

#: Called after each applied page with the report so far and the page just applied.
Progress = Callable[[SyncReport, ChangesPage], None]


#: Uncompressed JSON bytes of one push at most: below what the server inflates
#: (``MAX_PUSH_INFLATED_BYTES``) and, even if gzip gains nothing, below the largest push body
#: it reads (4 MiB), so long messages go in smaller batches.
PUSH_BATCH_BYTES = min(3 * 1024 * 1024, MAX_PUSH_INFLATED_BYTES // 2)


def _within_budget(entries: list[outbox.OutboxEntry]) -> list[outbox.OutboxEntry]:
    """The leading entries whose JSON fits ``PUSH_BATCH_BYTES`` (the first always goes)."""
    size = 0
    for n, entry in enumerate(entries):
        size += len(json.dumps(entry.mutation(), ensure_ascii=False).encode("utf-8")) + 1
        if n and size > PUSH_BATCH_BYTES:
            return entries[:n]
    return entries


class ServerBehind(CsmError):
    """The server holds fewer of our mutations than we have settled: it was reset."""


class SyncEngine:
    def __init__(
        self,
        store: Engine,
        client: CaseServerClient,
        *,
        page_rows: int = DEFAULT_PAGE_ROWS,
        page_bytes: int = DEFAULT_PAGE_BYTES,
        clock: Callable[[], datetime] = utcnow,
        outbox_store: OutboxStore | None = None,
        push_batch: int = MAX_PUSH_MUTATIONS,
        bodies: str = "all",
    ) -> None:
        """``bodies="recent"`` (low-bandwidth mode) leaves the message bodies of old cases
        on the server; ``csm_tui.store.bodies`` marks them and fetches them on demand."""
        self.store = store
        self.bodies = bodies
        self.client = client
        self.page_rows = page_rows
        self.page_bytes = page_bytes
        self.clock = clock
        self.push_batch = max(1, min(push_batch, MAX_PUSH_MUTATIONS))
        self._own_outbox = outbox_store is None
        self.outbox = outbox_store or OutboxStore(Path(str(store.url.database)))

    def close(self) -> None:
        if self._own_outbox:
            self.outbox.close()

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Push, then pull. A push that fails for want of a server raises at once; one the
        server answered with a problem still pulls, then raises that problem."""
        report = SyncReport()
        problem: CsmError | None = None
        try:
            self.push(report)
        except (ServerBehind, MidGapError) as err:
            problem = err
        report = self.pull(progress, report)
        if problem is not None:
            raise problem
        return report

    def push(self, report: SyncReport | None = None) -> SyncReport:
        """Send the whole outbox, batch by batch, and settle every result."""
        report = report if report is not None else SyncReport()
        with self.outbox.transaction() as conn:
            client_id = outbox.ensure_identity(conn)
        while True:
            with self.outbox.transaction() as conn:
                batch = _within_budget(outbox.pending(conn, limit=self.push_batch))
            if not batch:
                return report
            request = PushRequest(
                client_id=client_id,
                mutations=[Mutation.model_validate(e.mutation()) for e in batch],
            )
            lowest = batch[0].mid
            try:
                reply = self.client.push(request)
            except MidGapError as gap:
                if gap.last_mid >= lowest:
                    # The server applied these before (our reply got lost): they come back
                    # by pull; send what follows.
                    with self.outbox.transaction() as conn:
                        report.pushed += outbox.drop_through(conn, gap.last_mid)
                    continue
                with self.outbox.transaction() as conn:
                    waiting = outbox.count(conn)
                    outbox.note_failure(conn, [e.mid for e in batch], str(gap))
                if gap.last_mid < lowest - 1:
                    raise ServerBehind(
                        f"The case server knows this desk's edits only up to #{gap.last_mid} "
                        f"but the next one here is #{lowest}, so it was reset or restored; "
                        f"your {waiting} pending edit{'s' if waiting != 1 else ''} are kept, "
                        "ask your lead before syncing again."
                    ) from None
                raise
            except CsmError as err:
                with self.outbox.transaction() as conn:
                    outbox.note_failure(conn, [e.mid for e in batch], str(err))
                raise
            with self.outbox.transaction() as conn:
                settled = outbox.settle(
                    conn, batch, reply.results, last_mid=reply.last_mid, now=self.clock()
                )
                head = outbox.pending(conn, limit=1)
            report.pushed += settled.pushed
            report.conflicts += settled.conflicts
            report.rejected += settled.rejected
            report.case_ids |= settled.case_ids
            if head and head[0].mid == lowest:
                raise CsmError(
                    f"The case server did not settle edit #{lowest}; it stays queued, "
                    "try again later."
                )

    def pull(
        self, progress: Progress | None = None, report: SyncReport | None = None
    ) -> SyncReport:
        report = report if report is not None else SyncReport()
        cursor = get_state(self.store, CURSOR_KEY)
        # An empty store (no cursor yet) asks for the first screen before the snapshot, so
        # the queue paints after one small reply even on a thin link.
        first_screen = not cursor
        while True:
            try:
                page = self.client.changes(
                    cursor,
                    limit=self.page_rows,
                    max_bytes=self.page_bytes,
                    first_screen=first_screen,
                    bodies=self.bodies,
                )
                first_screen = False
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
