"""The replicated entities: accounts, contacts, agents, queues, cases, messages, tasks,
macros, snippets, the record of macro uses, the SLA configuration, knowledge articles and
customers' survey answers.

These SQLModel tables exist with the same columns on the case server and in each desk's local
store; sync moves their fields as JSON. Times are naive UTC datetimes everywhere (SQLite keeps
no zone), and every row carries a ``version`` that rises by one on each change.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Column, DateTime, Index, String
from sqlmodel import Field, SQLModel

from csm_tui.domain.enums import (
    AgentRole,
    CaseStatus,
    Channel,
    MessageKind,
    Priority,
    SupportTier,
    TaskState,
)


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every table stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    return str(uuid.uuid4())


class Account(SQLModel, table=True):
    __tablename__ = "account"
    entity: ClassVar[str] = "account"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str
    country: str = Field(default="DE", max_length=2)
    tier: SupportTier = Field(default=SupportTier.STANDARD, sa_type=String(16))
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    entity: ClassVar[str] = "contact"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    account_id: str | None = Field(default=None, index=True, max_length=36)
    customer_number: str = Field(index=True, max_length=32)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    language: str = Field(default="en", max_length=8)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or self.customer_number


class Agent(SQLModel, table=True):
    __tablename__ = "agent"
    entity: ClassVar[str] = "agent"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    handle: str = Field(index=True, unique=True, max_length=64)
    name: str
    email: str = ""
    role: AgentRole = Field(default=AgentRole.AGENT, sa_type=String(16))
    team: str = ""
    capacity: int = 20
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class Queue(SQLModel, table=True):
    __tablename__ = "queue"
    entity: ClassVar[str] = "queue"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    slug: str = Field(index=True, unique=True, max_length=64)
    name: str
    country: str = Field(default="", max_length=2)
    topic: str = ""
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class Case(SQLModel, table=True):
    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_updated", "updated_at", "id"),
        Index("ix_case_status_updated", "status", "updated_at"),
    )
    entity: ClassVar[str] = "case"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    number: str = Field(index=True, unique=True, max_length=32)
    subject: str
    status: CaseStatus = Field(default=CaseStatus.NEW, sa_type=String(16))
    priority: Priority = Field(default=Priority.NORMAL, sa_type=String(16))
    channel: Channel = Field(default=Channel.EMAIL, sa_type=String(16))
    queue_id: str | None = Field(default=None, index=True, max_length=36)
    assignee_id: str | None = Field(default=None, index=True, max_length=36)
    contact_id: str | None = Field(default=None, index=True, max_length=36)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    version: int = 1


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (Index("ix_message_case_created", "case_id", "created_at"),)
    entity: ClassVar[str] = "message"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(max_length=36)
    kind: MessageKind = Field(sa_type=String(16))
    author_agent_id: str | None = Field(default=None, max_length=36)
    author_contact_id: str | None = Field(default=None, max_length=36)
    author_name: str = ""
    body: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    version: int = 1


class Task(SQLModel, table=True):
    """Work a case hands to another team (fraud, billing, field service) without giving the
    case away. ``team`` is a ``TaskTeam`` value, ``state`` a ``TaskState`` one; ``due_at`` at
    midnight exactly is a due date without a time (due by the end of that day)."""

    __tablename__ = "task"
    entity: ClassVar[str] = "task"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)
    team: str = Field(sa_type=String(16))
    title: str
    due_at: datetime | None = Field(default=None, sa_type=DateTime())
    state: TaskState = Field(default=TaskState.OPEN, sa_type=String(16))
    created_by_agent_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    version: int = 1


class MacroRow(SQLModel, table=True):
    """A macro (``domain.macros.Macro``) as stored and synced. ``scope`` is "shared" (the
    whole desk; only leads and admins change it) or "personal" (``owner_agent_id``'s alone,
    never sent to another desk); ``actions`` is a list of ``domain.macros.action_to_dict``.
    The scope and the owner never change after the create."""

    __tablename__ = "macro"
    entity: ClassVar[str] = "macro"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str
    description: str = ""
    scope: str = Field(default="personal", sa_type=String(16))
    owner_agent_id: str | None = Field(default=None, index=True, max_length=36)
    actions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class SnippetRow(SQLModel, table=True):
    """A text snippet (``domain.snippets.Snippet``): shared or personal like a macro."""

    __tablename__ = "snippet"
    entity: ClassVar[str] = "snippet"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    shortcut: str = Field(max_length=32)
    title: str
    body: str = ""
    scope: str = Field(default="personal", sa_type=String(16))
    owner_agent_id: str | None = Field(default=None, index=True, max_length=36)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class MacroUse(SQLModel, table=True):
    """One application of a macro to a case, with what the case was like then (its queue's
    slug, tags and subject): what the suggestions learn from. Append-only, like messages."""

    __tablename__ = "macro_use"
    entity: ClassVar[str] = "macro_use"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    macro_id: str = Field(index=True, max_length=36)
    case_id: str = Field(max_length=36)
    agent_id: str | None = Field(default=None, max_length=36)
    queue: str = Field(default="", max_length=64)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    version: int = 1


#: The name and the fixed id of the SLA configuration in force: every server (seeded or
#: created by a lead's first import) and every desk agree on them without asking.
SLA_CONFIG_NAME = "default"
SLA_CONFIG_ID = "5a1ac0f1-0000-4000-8000-000000000001"


class SlaConfig(SQLModel, table=True):
    """The SLA calendars and policies as one TOML text (``domain.sla_policy``'s
    ``policies_to_toml`` form, or a lead's file with its comments). The row named
    :data:`SLA_CONFIG_NAME` is the one in force; only leads and admins change it, and the
    server refuses a text that ``policies_from_toml`` refuses."""

    __tablename__ = "sla_config"
    entity: ClassVar[str] = "sla_config"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(default=SLA_CONFIG_NAME, max_length=64)
    toml: str = ""
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())


class Article(SQLModel, table=True):
    """A knowledge article (issue #6): a Markdown ``body`` with its ``tags``, ``product``
    and ``language``. ``state`` is "proposed" (an agent's suggestion, from a reply they
    wrote: ``source_case_id``) or "published" (by a lead; only these are searched and
    suggested by default). Rules in ``domain.knowledge``."""

    __tablename__ = "article"
    entity: ClassVar[str] = "article"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    slug: str = Field(default="", max_length=120)
    title: str
    body: str = ""
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    product: str = Field(default="", max_length=64)
    language: str = Field(default="en", max_length=8)
    state: str = Field(default="published", sa_type=String(16))
    author_agent_id: str | None = Field(default=None, max_length=36)
    source_case_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime())
    version: int = 1


class SurveyAnswer(SQLModel, table=True):
    """A customer's answer to the satisfaction survey sent when a case is solved (DOMAIN.md:
    CSAT): ``rating`` 1 (very dissatisfied) to 5 (very satisfied); 4 and 5 count as
    satisfied. Made by the case server only (customers answer there); desks read them for
    the lead's SLA panel and never write them."""

    __tablename__ = "survey_answer"
    entity: ClassVar[str] = "survey_answer"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(index=True, max_length=36)
    rating: int
    answered_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(), index=True)
    version: int = 1


#: Every replicated table, in the order a snapshot sends them (parents before children).
#: New entities go at the end: snapshot cursors name an entity by its index here.
REPLICATED: tuple[type[SQLModel], ...] = (
    Account,
    Contact,
    Agent,
    Queue,
    Case,
    Message,
    Task,
    MacroRow,
    SnippetRow,
    MacroUse,
    SlaConfig,
    Article,
    SurveyAnswer,
)
ENTITY_MODELS: dict[str, type[SQLModel]] = {m.entity: m for m in REPLICATED}  # type: ignore[attr-defined]


def replicated_tables() -> list[Any]:
    return [m.__table__ for m in REPLICATED]  # type: ignore[attr-defined]


def to_wire(row: SQLModel) -> dict[str, Any]:
    """All of a row's fields as JSON-ready values (datetimes as ISO 8601, enums as values)."""
    out: dict[str, Any] = {}
    for col in row.__table__.columns:  # type: ignore[attr-defined]
        out[col.key] = _wire_value(getattr(row, col.key))
    return out


def _wire_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, list):
        return list(value)
    return value.value if hasattr(value, "value") else value


def from_wire(model: type[SQLModel], fields: dict[str, Any]) -> dict[str, Any]:
    """Turn wire values back into column values; unknown names are dropped, not trusted."""
    columns = model.__table__.columns  # type: ignore[attr-defined]
    out: dict[str, Any] = {}
    for name, value in fields.items():
        col = columns.get(name)
        if col is None:
            continue
        if value is not None and isinstance(col.type, DateTime):
            value = _parse_time(value)
        out[name] = value
    return out


def _parse_time(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
