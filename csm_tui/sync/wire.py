"""Wire schemas of sync protocol v1, shared by the case server and the desk.

Changed fields travel as plain JSON values (``domain.models.to_wire``); these models pin the
envelope so that a malformed reply fails validation instead of reaching the store.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Entity = Literal["account", "contact", "agent", "queue", "case", "message"]

#: Largest page the server hands out, whatever the client asks for.
MAX_PAGE_ROWS = 2000
DEFAULT_PAGE_ROWS = 500
#: Default and ceiling of the byte budget of one page (measured on the uncompressed JSON).
DEFAULT_PAGE_BYTES = 1_000_000
MAX_PAGE_BYTES = 4_000_000


class ChangeRow(BaseModel):
    """One entity change: ``upsert`` carries only the changed fields (all of them in a snapshot
    or when the entity is new); ``delete`` is a tombstone."""

    model_config = ConfigDict(extra="ignore")

    seq: int = Field(ge=0, description="Change-log sequence; 0 for snapshot rows")
    entity: Entity
    id: str = Field(min_length=1, max_length=64)
    op: Literal["upsert", "delete"] = "upsert"
    fields: dict[str, Any] = Field(default_factory=dict)


class ChangesPage(BaseModel):
    """A page of ``GET /api/v1/changes``. ``cursor`` resumes after this page; ``more`` says a
    further page is ready now. ``snapshot`` is true while the full snapshot is being paged."""

    model_config = ConfigDict(extra="ignore")

    rows: list[ChangeRow]
    cursor: str = Field(min_length=1, max_length=200)
    more: bool
    snapshot: bool = False
    remaining: int | None = Field(
        default=None, ge=0, description="Rows still to come after this page, when known"
    )


class Me(BaseModel):
    """``GET /api/v1/me``: who the token belongs to."""

    id: str
    handle: str
    name: str
    role: str
    team: str = ""


class ErrorReply(BaseModel):
    """Every error the server sends: one sentence a person can read."""

    detail: str
