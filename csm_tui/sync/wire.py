"""Wire schemas of sync protocol v1, shared by the case server and the desk.

Changed fields travel as plain JSON values (``domain.models.to_wire``); these models pin the
envelope so that a malformed reply fails validation instead of reaching the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

Entity = Literal[
    "account",
    "contact",
    "agent",
    "queue",
    "case",
    "message",
    "task",
    "macro",
    "snippet",
    "macro_use",
    "sla_config",
    "article",
    "survey_answer",
]

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


# -- push (POST /api/v1/push) ---------------------------------------------------------------

#: Most mutations one push may carry; the desk sends larger outboxes in several pushes.
MAX_PUSH_MUTATIONS = 200
#: Largest push body the server inflates (gzip/zstd), whatever its compressed size.
MAX_PUSH_INFLATED_BYTES = 8 * 1024 * 1024


class Mutation(BaseModel):
    """One queued edit of the desk.

    ``create`` carries every field of a new entity (a case, a message, a contact) whose id
    the desk made; ``update`` carries the new values of the changed fields in ``fields`` and
    the values the desk saw before its edit in ``base``, with the entity ``base_version``.
    Messages are append-only: only ``create``. ``delete`` (macros and snippets) carries in
    ``base`` the row as the desk last saw it.
    """

    model_config = ConfigDict(extra="ignore")

    mid: int = Field(ge=1, description="Rises by exactly 1 per queued mutation of a client")
    op: Literal["create", "update", "delete"]
    entity: Entity
    id: str = Field(min_length=1, max_length=64)
    base_version: int | None = Field(default=None, ge=0)
    fields: dict[str, Any] = Field(default_factory=dict)
    base: dict[str, Any] = Field(default_factory=dict)


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    client_id: str = Field(min_length=8, max_length=64)
    mutations: list[Mutation] = Field(max_length=MAX_PUSH_MUTATIONS)


class FieldConflict(BaseModel):
    """A scalar field both the desk and someone else changed since ``base_version``."""

    field: str
    mine: Any = None
    theirs: Any = None
    by: str | None = Field(default=None, description="Name of who changed it on the server")
    at: str | None = Field(default=None, description="When (ISO 8601, UTC)")


class MutationResult(BaseModel):
    """``ok``: every field applied. ``conflict``: the fields in ``conflicts`` were not
    applied (the others in ``applied`` were). ``error``: nothing applied; ``reason`` is one
    sentence for the agent. A repeated ``mid`` returns the result stored the first time."""

    model_config = ConfigDict(extra="ignore")

    mid: int
    status: Literal["ok", "conflict", "error"]
    version: int | None = None
    applied: list[str] = Field(default_factory=list)
    conflicts: list[FieldConflict] = Field(default_factory=list)
    reason: str | None = None


class PushReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    results: list[MutationResult]
    last_mid: int = Field(ge=0, description="The highest mid of this client the server holds")


class MidGap(BaseModel):
    """409 reply to a push whose first new mid is not ``last_mid + 1``: nothing was applied."""

    detail: str
    last_mid: int = Field(ge=0)


# -- live (GET /api/v1/stream) --------------------------------------------------------------

#: Seconds between heartbeat comments on an idle stream.
HEARTBEAT_SECONDS = 25.0
#: Longest ``wait`` a long-poll of ``/api/v1/changes`` may ask for.
MAX_LONG_POLL_SECONDS = 30.0


# -- presence (PUT/DELETE /api/v1/cases/{case_id}/presence) ---------------------------------

#: A presence row not refreshed for this long counts as gone (desks announce every ~10 s).
PRESENCE_TTL_SECONDS = 45.0


class PresenceRequest(BaseModel):
    """``PUT .../presence``: I have this case open, and whether I am writing a reply."""

    model_config = ConfigDict(extra="ignore")

    composing: StrictBool = False


class Viewer(BaseModel):
    """Another agent who has the case open. ``since`` (naive UTC) is when they opened it."""

    model_config = ConfigDict(extra="ignore")

    agent_id: str
    handle: str
    name: str
    composing: bool = False
    since: datetime


class PresenceReply(BaseModel):
    """Every other agent whose presence on the case is fresher than the TTL."""

    model_config = ConfigDict(extra="ignore")

    viewers: list[Viewer] = Field(default_factory=list)


# -- sign-in with a password, and message bodies on demand (issue #9) ------------------------


class LoginRequest(BaseModel):
    """``POST /api/v1/login``: an agent's handle and password; ``label`` says where the token
    will be used (shown to leads next to the token)."""

    model_config = ConfigDict(extra="forbid")

    handle: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    label: str = Field(default="", max_length=100)


class LoginReply(BaseModel):
    """A new token for the agent (shown once; the server keeps only its hash)."""

    token: str
    agent: Me


#: Message bodies of cases solved or closed longer ago than this stay on the server when a
#: low-bandwidth desk pulls (``bodies=recent``); the case screen fetches them when opened.
#: Two weeks: a case that stayed solved that long is seldom looked at again.
OLD_CASE_DAYS = 14
#: A message row whose body was left out: the field it carries, with the value true.
BODY_DEFERRED = "body_deferred"


class CaseMessages(BaseModel):
    """``GET /api/v1/cases/{case_id}/messages``: every message of one case, whole (the wire
    fields of each, as a snapshot row carries them)."""

    model_config = ConfigDict(extra="ignore")

    case_id: str
    messages: list[dict[str, Any]]
