"""The server's one write path for replicated rows: every change goes through here.

Each function changes the row and appends the matching change-log entry in the caller's
session, so both commit together (callers commit). Writing replicated tables any other way
would leave desks that pull deltas without the change.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from csm_tui.domain.models import from_wire, to_wire, utcnow
from csm_tui.server.changes import record

M = TypeVar("M", bound=SQLModel)

#: Fields nobody sets directly: the identity, and the counter this module owns.
_PROTECTED = frozenset({"id", "version"})


class NotFound(LookupError):
    """The row to change does not exist; ``str()`` is a sentence."""


def create(session: Session, row: M, *, actor_agent_id: str | None = None) -> M:
    """Add a new row and record all of its fields."""
    session.add(row)
    record(session, row, "upsert", to_wire(row), actor_agent_id=actor_agent_id)
    return row


def update_fields(
    session: Session,
    model: type[M],
    id: str,
    fields: dict[str, Any],
    actor_agent_id: str | None = None,
) -> M:
    """Set ``fields`` on one row, bump its version and record only what changed.

    Values may be column values or wire values (ISO times are parsed). ``updated_at`` is set
    to now where the model has it, unless the caller gives one. A call that changes nothing
    leaves the row, its version and the log alone.
    """
    columns = model.__table__.columns  # type: ignore[attr-defined]
    unknown = sorted(name for name in fields if name not in columns or name in _PROTECTED)
    if unknown:
        raise ValueError(f"Cannot set {', '.join(unknown)} on a {model.__name__.lower()}.")
    row = session.get(model, id)
    if row is None:
        raise NotFound(f"There is no {model.__name__.lower()} with id {id}.")
    values = from_wire(model, fields)
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return row
    for name in changed:
        setattr(row, name, values[name])
    row.version = (row.version or 0) + 1  # type: ignore[attr-defined]
    touched = [*changed, "version"]
    if "updated_at" in columns and "updated_at" not in changed:
        # Whole seconds: the wire carries seconds, so server and desks keep the same value.
        row.updated_at = utcnow().replace(microsecond=0)  # type: ignore[attr-defined]
        touched.append("updated_at")
    wire = to_wire(row)
    session.add(row)
    record(
        session,
        row,
        "upsert",
        {name: wire[name] for name in touched},
        actor_agent_id=actor_agent_id,
    )
    return row


def delete(session: Session, model: type[M], id: str, *, actor_agent_id: str | None = None) -> None:
    """Delete one row and record a tombstone."""
    row = session.get(model, id)
    if row is None:
        raise NotFound(f"There is no {model.__name__.lower()} with id {id}.")
    record(session, row, "delete", {}, actor_agent_id=actor_agent_id)
    session.delete(row)
