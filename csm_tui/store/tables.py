"""Tables only the desk's store has: sync state, the outbox of local edits, the conflicts
the server sent back and the edits it refused.

``sync_state`` holds, besides the pull cursor and the last sync time, the desk's
``client_id`` (a uuid4 made once per store), ``next_mid`` (the mid the next queued edit
gets) and the signed-in agent (``agent_id``, ``agent_handle``, ``agent_name``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field, SQLModel

from csm_tui.domain.models import replicated_tables, utcnow


class SyncState(SQLModel, table=True):
    __tablename__ = "sync_state"

    key: str = Field(primary_key=True, max_length=64)
    value: str = ""


class Outbox(SQLModel, table=True):
    """One local edit waiting for the server; ``mid`` rises by exactly 1 per edit."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_entity", "entity", "entity_id"),)

    mid: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    op: str = Field(max_length=8)  # "create" | "update" | "delete" (macros, snippets)
    entity: str = Field(max_length=16)
    entity_id: str = Field(max_length=64)
    base_version: int | None = None
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    base: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: Newer server values of the edited fields, pulled while the edit waited: what the
    #: desk shows again if the server refuses the edit (else ``base``).
    server: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    attempts: int = 0
    last_error: str | None = None


class Conflict(SQLModel, table=True):
    """A field the desk and someone else both changed; shown until the agent resolves it."""

    __tablename__ = "conflict"

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=16)
    entity_id: str = Field(max_length=64, index=True)
    field: str = Field(max_length=64)
    mine: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    theirs: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    by: str | None = None
    at: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class Rejected(SQLModel, table=True):
    """A pushed edit the server refused (``error``), with its reason; shown until dismissed."""

    __tablename__ = "rejected"

    id: int | None = Field(default=None, primary_key=True)
    mid: int
    entity: str = Field(max_length=16)
    entity_id: str = Field(max_length=64)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reason: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class DeferredBody(SQLModel, table=True):
    """A message whose body stayed on the server (a low-bandwidth pull of an old case); the
    case screen fetches it when the case is opened (``csm_tui.store.bodies``)."""

    __tablename__ = "deferred_body"

    message_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)


def store_tables() -> list[Any]:
    return [
        *replicated_tables(),
        *(t.__table__ for t in (SyncState, Outbox, Conflict, Rejected, DeferredBody)),  # type: ignore[attr-defined]
    ]
