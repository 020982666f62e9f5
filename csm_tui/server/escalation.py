"""The case server's SLA escalation scan: apply the escalation rules to open cases.

Every ``escalation_interval`` seconds (``csm server --escalation-interval``), and on demand
by a lead (``POST /api/v1/escalations/run``), :func:`run_escalations` computes the SLA of
every open case with the shared engine (``domain.sla``, the policies in force: the synced
``sla_config`` row, else the defaults) and applies each rule (``domain.escalation``) whose
trigger fired: raise the priority, move the queue, notify the leads. What it does goes through
the one write path (``mutations``), so desks pull it like any change, together with an EVENT
message whose body starts with ``ESCALATION_PREFIX`` (the leads' toast and panel entry).

Once per case, rule, metric and cycle: the ``sla_escalation`` table's primary key is that
quadruple, and the row is written in the same transaction as the change. Several workers
behind one database may scan at once; the second to insert a key fails on the key and skips
the case, so nothing is done twice. Only live events escalate: a breach (or an at-risk point)
older than :data:`ESCALATION_WINDOW` is left alone, so a server that was down, or a database
seeded with old cases, does not escalate history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from csm_tui.domain.enums import CaseStatus, Channel, MessageKind, Priority, SupportTier
from csm_tui.domain.escalation import EscalationRule, escalations_from_toml, outcome
from csm_tui.domain.models import (
    SLA_CONFIG_NAME,
    Account,
    Agent,
    Case,
    Contact,
    Message,
    Queue,
    SlaConfig,
    utcnow,
)
from csm_tui.domain.sla import CaseFacts, Clock, SlaBook, policies_from_toml, status_history
from csm_tui.domain.sla_policy import SLA_EDITOR_ROLES
from csm_tui.server import mutations
from csm_tui.server.auth import current_agent
from csm_tui.server.tables import EscalationLog
from csm_tui.sync import wire

log = logging.getLogger("csm_tui.server")

#: Breaches and at-risk points older than this are history, not escalated.
ESCALATION_WINDOW = timedelta(hours=24)
#: Open cases read and computed per batch.
BATCH = 2000
#: Who the event messages say wrote them.
AUTHOR = "SLA escalation"

_OPEN = [s.value for s in (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.PENDING, CaseStatus.ON_HOLD)]


@dataclass
class EscalationReport:
    """What one scan did."""

    checked: int = 0  # open cases computed
    escalated: int = 0  # rule actions performed
    notified: int = 0  # of those, ones that notify the leads


def rules_and_book(session: Session) -> tuple[SlaBook, list[EscalationRule]]:
    """The policies and escalation rules in force: the synced SLA file, else the defaults
    (a stored file the engine refuses counts as none, as on the desks)."""
    row = session.exec(
        select(SlaConfig).where(SlaConfig.name == SLA_CONFIG_NAME).order_by(col(SlaConfig.id))
    ).first()
    if row is not None and row.toml:
        try:
            return SlaBook(*policies_from_toml(row.toml)), escalations_from_toml(row.toml)
        except ValueError:
            pass
    return SlaBook.defaults(), escalations_from_toml("")


def run_escalations(engine: Engine, now: datetime | None = None) -> EscalationReport:
    """One scan of every open case at ``now`` (naive UTC); see the module docstring."""
    at = (now or utcnow()).replace(microsecond=0)
    report = EscalationReport()
    with Session(engine) as session:
        book, rules = rules_and_book(session)
        if not rules:
            return report
        ids = list(
            session.exec(
                select(Case.id).where(col(Case.status).in_(_OPEN)).order_by(col(Case.id))
            ).all()
        )
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        with Session(engine) as session:
            facts, slugs = _facts(session, batch)
            queue_names = {q.slug: q.name for q in session.exec(select(Queue)).all()}
            done = _done(session, list(facts))
        report.checked += len(facts)
        states = book.compute_many(facts.values(), at)
        for case_id, case_states in zip(facts, states, strict=True):
            for state in case_states:
                if state.state is not Clock.ACTIVE:
                    continue  # a paused or fulfilled clock needs no one to act now
                fired = _fired(state, at)
                if fired is None:
                    continue
                for rule in rules:
                    key = (case_id, rule.name, state.metric.value, state.started_at)
                    if rule.when != fired or key in done:
                        continue
                    acted = _escalate(engine, rule, key, slugs, queue_names, at)
                    if acted is not None:
                        report.escalated += 1
                        report.notified += acted
    return report


def _fired(state: Any, now: datetime) -> str | None:
    """ "breached" or "at_risk" when that happened within the window, else None."""
    due = state.due_at
    if state.breached:
        return "breached" if due is not None and now - due <= ESCALATION_WINDOW else None
    if state.at_risk:
        risk = state.at_risk_at
        return "at_risk" if risk is not None and now - risk <= ESCALATION_WINDOW else None
    return None


def _escalate(
    engine: Engine,
    rule: EscalationRule,
    key: tuple[str, str, str, datetime],
    slugs: dict[str, str | None],
    queue_names: dict[str, str],
    now: datetime,
) -> int | None:
    """Do ``rule`` to the case in its own transaction: None when another scan did it first
    or it changes nothing, else 1 if it notifies the leads, 0 if not."""
    case_id, _rule, metric, _start = key
    from csm_tui.domain.sla_policy import Metric

    with Session(engine) as session:
        case = session.get(Case, case_id)
        if case is None or case.status not in _OPEN:
            return None
        slug = slugs.get(case_id)
        result = outcome(rule, Metric(metric), Priority(case.priority), slug, queue_names)
        if result is None:
            return None
        session.add(
            EscalationLog(
                case_id=case_id, rule=rule.name, metric=metric, cycle_start=key[3], at=now
            )
        )
        try:
            session.flush()  # the key first: a scan racing this one stops here
        except IntegrityError:
            session.rollback()
            return None
        fields: dict[str, Any] = {}
        if "priority" in result.fields:
            fields["priority"] = result.fields["priority"]
        if "queue" in result.fields:
            queue = session.exec(select(Queue).where(Queue.slug == result.fields["queue"])).first()
            if queue is not None:
                fields["queue_id"] = queue.id
        if fields:
            mutations.update_fields(session, Case, case_id, fields)
        mutations.create(
            session,
            Message(
                case_id=case_id,
                kind=MessageKind.EVENT,
                author_name=AUTHOR,
                body=result.line,
                created_at=now,
            ),
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
    return 1 if result.notify else 0


def _done(session: Session, case_ids: list[str]) -> set[tuple[str, str, str, datetime]]:
    rows = session.exec(select(EscalationLog).where(col(EscalationLog.case_id).in_(case_ids))).all()
    return {(r.case_id, r.rule, r.metric, r.cycle_start) for r in rows}


def _facts(
    session: Session, case_ids: list[str]
) -> tuple[dict[str, CaseFacts], dict[str, str | None]]:
    """The SLA facts of the cases (as the desk's store/sla_facts.py builds them) and each
    case's queue slug."""
    rows = session.exec(
        select(Case, Queue.slug, Account.tier)
        .join(Queue, col(Queue.id) == col(Case.queue_id), isouter=True)
        .join(Contact, col(Contact.id) == col(Case.contact_id), isouter=True)
        .join(Account, col(Account.id) == col(Contact.account_id), isouter=True)
        .where(col(Case.id).in_(case_ids))
    ).all()
    messages: dict[str, list[tuple[datetime, MessageKind]]] = {}
    audit: dict[str, list[tuple[datetime, str]]] = {}
    said = session.exec(
        select(Message.case_id, Message.created_at, Message.kind, Message.body)
        .where(col(Message.case_id).in_(case_ids))
        .where(
            col(Message.kind).in_([MessageKind.CUSTOMER.value, MessageKind.PUBLIC.value])
            | (
                (col(Message.kind) == MessageKind.EVENT.value)
                & col(Message.body).contains("Status: ")
            )
        )
        .order_by(col(Message.case_id), col(Message.created_at), col(Message.id))
    ).all()
    for case_id, created, kind, body in said:
        if kind == MessageKind.EVENT.value:
            audit.setdefault(case_id, []).append((created, body))
        else:
            messages.setdefault(case_id, []).append((created, MessageKind(kind)))
    facts: dict[str, CaseFacts] = {}
    slugs: dict[str, str | None] = {}
    for case, slug, tier in rows:
        try:
            status = CaseStatus(case.status)
        except ValueError:
            continue
        history = status_history(case.created_at, status, audit.get(case.id, ()), case.updated_at)
        facts[case.id] = CaseFacts(
            case.created_at,
            history,
            messages.get(case.id, ()),
            priority=_enum(Priority, case.priority, Priority.NORMAL),
            tier=_enum(SupportTier, tier, SupportTier.STANDARD),
            queue=slug,
            channel=_enum(Channel, case.channel, Channel.EMAIL),
        )
        slugs[case.id] = slug
    return facts, slugs


def _enum(kind: Callable[[Any], Any], value: Any, default: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        return default


# -- in the server: the periodic scan and the leads' route ----------------------------------


class EscalationRunReply(BaseModel):
    """``POST /api/v1/escalations/run``: what the scan did."""

    checked: int
    escalated: int
    notified: int


async def escalate_every(
    engine: Engine, interval: float, clock: Callable[[], datetime] = utcnow
) -> None:
    """Scan every ``interval`` seconds until cancelled (the app's lifespan task). A failing
    scan is logged and the next one runs as planned: escalation never takes the server down."""
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(run_escalations, engine, clock())
        except Exception:
            log.exception("the SLA escalation scan failed")


def add_escalation_routes(app: FastAPI, clock: Callable[[], datetime] = utcnow) -> None:
    @app.post(
        "/api/v1/escalations/run",
        response_model=EscalationRunReply,
        tags=["sla"],
        responses={403: {"model": wire.ErrorReply, "description": "Not a team lead"}},
    )
    def run_now(
        request: Request, agent: Annotated[Agent, Depends(current_agent)]
    ) -> EscalationRunReply:
        """Run the SLA escalation scan now (team leads and admins), rather than waiting for
        the next periodic one."""
        if str(agent.role) not in SLA_EDITOR_ROLES:
            raise HTTPException(status_code=403, detail="Only a team lead can run escalations.")
        report = run_escalations(request.app.state.engine, clock())
        return EscalationRunReply(
            checked=report.checked, escalated=report.escalated, notified=report.notified
        )


__all__ = [
    "ESCALATION_WINDOW",
    "EscalationLog",
    "EscalationReport",
    "add_escalation_routes",
    "escalate_every",
    "run_escalations",
]
