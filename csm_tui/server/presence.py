"""Who else has a case open: the ``presence`` table behind ``PUT``/``DELETE
/api/v1/cases/{case_id}/presence``.

Every desk with a case on screen announces itself every few seconds; the reply names the
other agents whose announcement for that case is fresher than the TTL. All state is in the
database (one row per agent and case, upserted), so any number of workers behind one
database answer alike. Rows older than the TTL are ignored when reading and swept now and
then; presence is never replicated and never enters the change log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from csm_tui.domain.models import Agent, Case, utcnow
from csm_tui.server.tables import Presence
from csm_tui.sync import wire

log = logging.getLogger("csm_tui.server.presence")

UNKNOWN_CASE_DETAIL = "There is no case with this id on the case server."


class UnknownCase(LookupError):
    """The case of a presence call does not exist (404)."""

    def __init__(self) -> None:
        super().__init__(UNKNOWN_CASE_DETAIL)


class PresenceBook:
    """Presence on one database. ``clock`` gives naive UTC (tests move it); ``ttl`` is how
    long an announcement counts. The sweep throttle is the only state in memory, and losing
    it costs nothing but an extra sweep."""

    def __init__(
        self,
        engine: Engine,
        *,
        ttl: float = wire.PRESENCE_TTL_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if ttl <= 0:
            raise ValueError("The presence TTL must be a positive number of seconds.")
        self.engine = engine
        self.ttl = timedelta(seconds=ttl)
        self.clock = clock
        self._last_sweep: datetime | None = None
        self._sweep_lock = threading.Lock()

    def announce(self, agent: Agent, case_id: str, composing: bool) -> wire.PresenceReply:
        """Record that ``agent`` has the case open (and whether they write a reply); return
        the other agents who have it open now."""
        now = self.clock()
        cutoff = now - self.ttl
        with Session(self.engine) as session:
            _check_case(session, case_id)
            _upsert(session, agent.id, case_id, composing, now, cutoff)
            session.commit()
            rows = session.exec(
                select(Presence, Agent)
                .join(Agent, Agent.id == Presence.agent_id)  # type: ignore[arg-type]
                .where(
                    Presence.case_id == case_id,
                    Presence.agent_id != agent.id,
                    Presence.seen_at > cutoff,  # type: ignore[arg-type]
                )
                .order_by(Presence.since, Agent.name, Agent.id)  # type: ignore[arg-type]
            ).all()
            viewers = [
                wire.Viewer(
                    agent_id=other.id,
                    handle=other.handle,
                    name=other.name,
                    composing=row.composing,
                    since=row.since,
                )
                for row, other in rows
            ]
        self._maybe_sweep(now, cutoff)
        return wire.PresenceReply(viewers=viewers)

    def leave(self, agent: Agent, case_id: str) -> None:
        """Forget that ``agent`` has the case open (nothing to forget is fine)."""
        with Session(self.engine) as session:
            _check_case(session, case_id)
            session.execute(
                delete(Presence).where(
                    Presence.agent_id == agent.id,  # type: ignore[arg-type]
                    Presence.case_id == case_id,  # type: ignore[arg-type]
                )
            )
            session.commit()

    def sweep(self, cutoff: datetime | None = None) -> int:
        """Delete every row not refreshed since ``cutoff`` (default: now minus the TTL);
        returns how many went."""
        if cutoff is None:
            cutoff = self.clock() - self.ttl
        with Session(self.engine) as session:
            result = session.execute(
                delete(Presence).where(Presence.seen_at <= cutoff)  # type: ignore[arg-type]
            )
            session.commit()
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _maybe_sweep(self, now: datetime, cutoff: datetime) -> None:
        # At most once per TTL per process: stale rows are ignored anyway, so the sweep only
        # keeps the table small. Best effort: a lock timeout or a deadlock with another
        # worker's sweep is left for the next one.
        with self._sweep_lock:
            if self._last_sweep is not None and now - self._last_sweep < self.ttl:
                return
            self._last_sweep = now
        try:
            self.sweep(cutoff)
        except DBAPIError as exc:
            log.debug("Presence sweep skipped: %s", type(exc).__name__)


def _check_case(session: Session, case_id: str) -> None:
    if session.exec(select(Case.id).where(Case.id == case_id)).first() is None:
        raise UnknownCase()
    # End the read before the write: a SQLite read transaction that later writes fails at
    # once when another writer committed in between.
    session.rollback()


def _upsert(
    session: Session,
    agent_id: str,
    case_id: str,
    composing: bool,
    now: datetime,
    cutoff: datetime,
) -> None:
    """Insert or refresh the row in one statement, so that two desks of one agent racing
    each other never fail on the primary key. ``since`` starts again after a lapse."""
    values = {
        "agent_id": agent_id,
        "case_id": case_id,
        "composing": composing,
        "since": now,
        "seen_at": now,
    }
    table = Presence.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(table).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.agent_id, table.c.case_id],
            set_={
                "composing": stmt.excluded.composing,
                "seen_at": stmt.excluded.seen_at,
                "since": case((table.c.seen_at > cutoff, table.c.since), else_=stmt.excluded.since),
            },
        )
        session.execute(stmt)
        return
    row = session.get(Presence, (agent_id, case_id))
    if row is None:
        session.add(Presence(**values))
    else:
        if row.seen_at <= cutoff:
            row.since = now
        row.composing = composing
        row.seen_at = now
        session.add(row)
