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
