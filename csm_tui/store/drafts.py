"""Reply drafts kept in the store as the agent types, so a crash or a quit loses nothing.

One draft per case (the composer holds one text at a time): its kind (public reply or internal
note), the text, and when it was last saved. The table is desk-only and created on first use,
so stores made before drafts existed need no migration step. Functions take a ``sqlite3``
connection inside the caller's transaction (:class:`~csm_tui.store.outbox.OutboxStore`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

_CREATE = (
    "CREATE TABLE IF NOT EXISTS draft (case_id TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, "
    "body TEXT NOT NULL, saved_at TEXT NOT NULL) WITHOUT ROWID"
)


@dataclass(frozen=True)
class Draft:
    case_id: str
    kind: str  # "public" | "internal"
    body: str
    saved_at: datetime


def ensure(conn: Any) -> None:
    conn.execute(_CREATE)


def save(conn: Any, case_id: str, kind: str, body: str, now: datetime) -> None:
    """Keep ``body`` as the case's draft; an empty (blank) text removes the draft."""
    ensure(conn)
    if not body.strip():
        conn.execute("DELETE FROM draft WHERE case_id = ?", (case_id,))
        return
    conn.execute(
        "INSERT INTO draft (case_id, kind, body, saved_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (case_id) DO UPDATE SET kind = excluded.kind, body = excluded.body, "
        "saved_at = excluded.saved_at",
        (case_id, kind, body, now.isoformat(timespec="seconds")),
    )


def discard(conn: Any, case_id: str) -> None:
    ensure(conn)
    conn.execute("DELETE FROM draft WHERE case_id = ?", (case_id,))


#: The case's draft (kind, body, saved_at), read by the store's reader.
SELECT_ONE = "SELECT kind, body, saved_at FROM draft WHERE case_id = ?"
SELECT_CASES = "SELECT case_id FROM draft"


def from_row(case_id: str, row: tuple[Any, ...]) -> Draft:
    return Draft(case_id, str(row[0]), str(row[1]), datetime.fromisoformat(str(row[2])))
