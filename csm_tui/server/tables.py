"""Server-only tables: hashed agent tokens and the change log that drives sync pulls.

These live only in the case server's database; the desk never creates them. They share the
SQLModel metadata with the replicated tables, so ``db.init_db`` creates them by explicit list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer
from sqlmodel import Field, SQLModel

from csm_tui.domain.models import utcnow

# Times are naive UTC (sa_type=DateTime()), like the replicated tables.
# SQLite only makes an INTEGER PRIMARY KEY the rowid (and honours AUTOINCREMENT), while
# PostgreSQL should get a 64-bit sequence: the change log only ever grows.
_SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class AgentToken(SQLModel, table=True):
    """A sign-in token of an agent; only the SHA-256 of the token is ever stored."""

    __tablename__ = "agent_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    agent_id: str = Field(index=True, max_length=36)
    label: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime())


class ChangeLog(SQLModel, table=True):
    """One change of one replicated row; ``seq`` is the global order pulls follow."""

    __tablename__ = "change_log"
    # AUTOINCREMENT: a sequence number is never handed out twice, even after deletes, so a
    # desk's cursor can never point at a reused number.
    __table_args__ = (
        Index("ix_change_log_entity", "entity", "entity_id"),
        {"sqlite_autoincrement": True},
    )

    seq: int | None = Field(
        default=None,
        sa_column=Column(_SEQ_TYPE, primary_key=True, autoincrement=True),
    )
    entity: str = Field(max_length=16)
    entity_id: str = Field(max_length=64)
    op: str = Field(default="upsert", max_length=8)  # "upsert" or "delete"
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Who made the change, when known: the audit trail reads it.
    actor_agent_id: str | None = Field(default=None, max_length=36)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


def server_tables() -> list[Any]:
    return [AgentToken.__table__, ChangeLog.__table__]  # type: ignore[attr-defined]
