"""Tables only the desk's store has: sync state (cursor, server, last sync)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field, SQLModel

from csm_tui.domain.models import replicated_tables


class SyncState(SQLModel, table=True):
    __tablename__ = "sync_state"

    key: str = Field(primary_key=True, max_length=64)
    value: str = ""


def store_tables() -> list[Any]:
    return [*replicated_tables(), SyncState.__table__]  # type: ignore[attr-defined]
