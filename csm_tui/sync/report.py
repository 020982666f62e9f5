"""What one sync did, for the CLI's summary and the desk's repaint (no heavy imports here:
the Textual app imports this before its first paint)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SyncReport:
    pages: int = 0
    rows: int = 0
    by_entity: dict[str, int] = field(default_factory=dict)
    case_ids: set[str] = field(default_factory=set)
    wire_bytes: int = 0
    full_resync: bool = False
    finished_at: datetime | None = None
    #: Local edits the server settled in this sync (ok + conflict + error).
    pushed: int = 0
    #: Of those, how many came back as conflicts (fields the agent must pick) ...
    conflicts: int = 0
    #: ... and how many the server refused (see the desk's rejected list).
    rejected: int = 0
