"""The store's SLA index: each case's next breach in ``case_sla``, for the queue's SLA column
and its sort by next breach.

A case's due time only moves when something about the case does (a status change, a
message, its priority, queue or tier) or the policies do; triggers (``search_index``) mark
those cases in ``case_sla_dirty``, and :func:`refresh` computes them again with the SLA engine
(``Desk.sla_watch``) and writes their rows. A case with no active metric (solved, closed,
pending with nothing running) gets :data:`NO_BREACH` as its due time, so that one index on
``(due_at, case_id)`` walks the cases in next-breach order with them last.

Times are stored as naive UTC ISO text (``2026-11-25 14:03:00``): they compare as text in the
order of time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from csm_tui.domain.sla import Watch

#: The due time of a case with nothing to breach (sorts after every real time).
NO_BREACH = "9999-12-31 23:59:59"

#: Cases computed and written per transaction: a writer waiting for the lock never waits
#: longer than one batch (~50 ms at 5,000 cases).
BATCH = 2000

_DIRTY_SQL = "SELECT case_id FROM case_sla_dirty LIMIT ?"


def stamp(moment: datetime) -> str:
    """``moment`` as the index stores it (naive UTC, to the second)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat(sep=" ")


#: What :func:`parse` gives for :data:`NO_BREACH` (``None`` means "not computed yet").
NEVER = datetime.max


def parse(text: str | None) -> datetime | None:
    """A stored time back as a naive UTC datetime: :data:`NEVER` for a case with nothing to
    breach, None for none (not computed yet)."""
    if not text:
        return None
    if text == NO_BREACH:
        return NEVER
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def dirty_count(conn: sqlite3.Connection) -> int:
    rows = conn.execute("SELECT count(*) FROM case_sla_dirty").fetchall()
    return int(rows[0][0]) if rows else 0


def has_dirty(conn: sqlite3.Connection) -> bool:
    try:
        return bool(conn.execute("SELECT 1 FROM case_sla_dirty LIMIT 1").fetchall())
    except sqlite3.OperationalError:
        return False  # a store without the index yet


def refresh_batch(
    conn: sqlite3.Connection,
    watches: Callable[[list[str]], dict[str, Watch | None]],
    batch: int = BATCH,
) -> int:
    """Compute and write the rows of up to ``batch`` marked cases, in the caller's write
    transaction (which holds the store's write lock, so no writer changes a case between
    reading its facts and writing its row). Returns how many were done (0: none left)."""
    ids = [r[0] for r in conn.execute(_DIRTY_SQL, (batch,)).fetchall()]
    if not ids:
        return 0
    known = watches(ids)
    rows = []
    for case_id in ids:
        if case_id not in known:
            continue  # the store lacks it (deleted meanwhile): only unmark it
        w = known[case_id]
        if w is None:
            rows.append((case_id, NO_BREACH, None, None))
        else:
            rows.append((case_id, stamp(w.due_at), stamp(w.at_risk_at), str(w.metric)))
    marked = json.dumps(ids)
    conn.execute(
        "DELETE FROM case_sla WHERE case_id IN (SELECT value FROM json_each(?))", (marked,)
    )
    conn.executemany(
        "INSERT INTO case_sla (case_id, due_at, at_risk_at, metric) VALUES (?, ?, ?, ?)", rows
    )
    conn.execute(
        "DELETE FROM case_sla_dirty WHERE case_id IN (SELECT value FROM json_each(?))", (marked,)
    )
    return len(ids)


__all__ = [
    "BATCH",
    "NEVER",
    "NO_BREACH",
    "dirty_count",
    "has_dirty",
    "parse",
    "refresh_batch",
    "stamp",
]
