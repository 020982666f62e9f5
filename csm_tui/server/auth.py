"""Agents and their bearer tokens: adding agents, issuing tokens, and checking requests.

A token is ``secrets.token_urlsafe(32)``, shown once when issued; the database keeps only its
SHA-256, so a leaked database file signs nobody in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session, select

from csm_tui.domain.enums import AgentRole
from csm_tui.domain.models import Agent, utcnow
from csm_tui.server import mutations
from csm_tui.server.tables import AgentToken

UNAUTHORIZED_DETAIL = "Missing or invalid token; sign in again with `csm login`."

# Writing last_used_at on every request would turn each pull into a write; once a minute is
# plenty to tell a live token from a forgotten one.
_LAST_USED_GRANULARITY = timedelta(minutes=1)

# auto_error=False: a missing header must answer 401 with our sentence, not FastAPI's own.
_bearer = HTTPBearer(auto_error=False, description="A token from `csm login`.")


class AgentExists(ValueError):
    """An agent with this handle is already on the server."""


class UnknownAgent(LookupError):
    """No agent has this handle."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_agent(
    engine: Engine,
    handle: str,
    name: str,
    role: str = "agent",
    team: str = "",
    email: str = "",
) -> Agent:
    """Add an agent (recorded in the change log, so desks learn of them) and return it."""
    handle = handle.strip()
    if not handle:
        raise ValueError("An agent needs a handle, such as anna.schmidt.")
    try:
        agent_role = AgentRole(role)
    except ValueError:
        roles = ", ".join(r.value for r in AgentRole)
        raise ValueError(f"Unknown role {role!r}; use one of {roles}.") from None
    with Session(engine, expire_on_commit=False) as session:
        if session.exec(select(Agent).where(Agent.handle == handle)).first() is not None:
            raise AgentExists(f"An agent with the handle {handle} already exists.")
        agent = mutations.create(
            session,
            Agent(handle=handle, name=name or handle, role=agent_role, team=team, email=email),
        )
        session.commit()
        return agent


def issue_token(engine: Engine, handle: str, label: str = "") -> str:
    """Issue a new token for the agent ``handle`` and return it; it is never shown again."""
    with Session(engine) as session:
        agent = session.exec(select(Agent).where(Agent.handle == handle)).first()
        if agent is None:
            raise UnknownAgent(f"There is no agent with the handle {handle}; add the agent first.")
        token = secrets.token_urlsafe(32)
        session.add(AgentToken(token_hash=hash_token(token), agent_id=agent.id, label=label))
        session.commit()
    return token


def agent_for_token(engine: Engine, token: str) -> Agent | None:
    """The agent a plaintext token belongs to, or None."""
    if not token:
        return None
    digest = hash_token(token)
    with Session(engine, expire_on_commit=False) as session:
        stored = session.get(AgentToken, digest)
        # The lookup is by primary key, but compare in constant time anyway so no code path
        # ever compares token material with a short-circuiting ==.
        if stored is None or not hmac.compare_digest(stored.token_hash, digest):
            return None
        agent = session.get(Agent, stored.agent_id)
        if agent is None:
            return None
        now = utcnow()
        if stored.last_used_at is None or now - stored.last_used_at > _LAST_USED_GRANULARITY:
            stored.last_used_at = now
            session.add(stored)
            session.commit()
        return agent


def current_agent(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Agent:
    """FastAPI dependency: the agent behind ``Authorization: Bearer <token>``, or 401."""
    agent = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        agent = agent_for_token(request.app.state.engine, credentials.credentials)
    if agent is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail=UNAUTHORIZED_DETAIL,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return agent
