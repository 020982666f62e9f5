"""Server-only tables: hashed agent tokens, the change log that drives sync pulls, the push
bookkeeping of each desk (``ClientState``, ``PushResult``), small server settings
(``ServerState``, for instance the floor of a compacted change log) and who has which case
open (``Presence``, never replicated and never in the change log).

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


class AgentPassword(SQLModel, table=True):
    """An agent's password, as an scrypt hash with its own salt (``server.passwords``); an
    agent without a row signs in with tokens only. Never replicated: desks never see it."""

    __tablename__ = "agent_password"

    agent_id: str = Field(primary_key=True, max_length=36)
    password_hash: str = Field(max_length=255)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


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


class ClientState(SQLModel, table=True):
    """One desk (``client_id``) of one agent, and the highest push ``mid`` applied for it.

    Pushes of one client lock this row (``SELECT ... FOR UPDATE`` on PostgreSQL), so two
    pushes of the same outbox can never apply a mutation twice.
    """

    __tablename__ = "client_state"

    client_id: str = Field(primary_key=True, max_length=64)
    agent_id: str = Field(index=True, max_length=36)
    last_mid: int = Field(default=0, sa_type=BigInteger())
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class PushResult(SQLModel, table=True):
    """The result of one applied mutation, returned again when the desk repeats its ``mid``."""

    __tablename__ = "push_result"

    client_id: str = Field(primary_key=True, max_length=64)
    mid: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ServerState(SQLModel, table=True):
    """Small named integers the server keeps, such as ``log_floor``: the lowest change-log
    sequence still served after a compaction (1 while nothing was compacted)."""

    __tablename__ = "server_state"

    name: str = Field(primary_key=True, max_length=32)
    value: int = Field(default=0, sa_type=BigInteger())


class Presence(SQLModel, table=True):
    """One agent having one case open on a desk: refreshed by each ``PUT .../presence``
    heartbeat (``seen_at``), removed on ``DELETE``. A row older than the presence TTL counts
    as gone and is swept now and then. ``since`` is when this stretch of viewing began."""

    __tablename__ = "presence"
    __table_args__ = (Index("ix_presence_case_seen", "case_id", "seen_at"),)

    agent_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(primary_key=True, max_length=64)
    composing: bool = False
    since: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    seen_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(), index=True)


class EscalationLog(SQLModel, table=True):
    """One SLA escalation done (``server/escalation.py``): a rule's action on one cycle of
    one metric of one case. The key is what makes it once only, across workers."""

    __tablename__ = "sla_escalation"

    case_id: str = Field(primary_key=True, max_length=36)
    rule: str = Field(primary_key=True, max_length=64)
    metric: str = Field(primary_key=True, max_length=32)
    cycle_start: datetime = Field(primary_key=True, sa_type=DateTime())
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


def server_tables() -> list[Any]:
    return [
        EscalationLog.__table__,  # type: ignore[attr-defined]
        AgentToken.__table__,  # type: ignore[attr-defined]
        AgentPassword.__table__,  # type: ignore[attr-defined]
        ChangeLog.__table__,  # type: ignore[attr-defined]
        ClientState.__table__,  # type: ignore[attr-defined]
        PushResult.__table__,  # type: ignore[attr-defined]
        ServerState.__table__,  # type: ignore[attr-defined]
        Presence.__table__,  # type: ignore[attr-defined]
    ]
