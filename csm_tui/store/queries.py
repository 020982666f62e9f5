"""Read queries the desk paints from: a window of the case list, one case with its timeline.

The queue never loads every case: it asks for the count and for the rows of the window it
shows (``LIMIT/OFFSET`` over an index), so painting costs the same at 100 or 100,000 cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from csm_tui.domain.models import Account, Agent, Case, Contact, Message, Queue

_case = Case.__table__  # type: ignore[attr-defined]
_contact = Contact.__table__  # type: ignore[attr-defined]
_account = Account.__table__  # type: ignore[attr-defined]
_agent = Agent.__table__  # type: ignore[attr-defined]
_queue = Queue.__table__  # type: ignore[attr-defined]
_message = Message.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CaseRow:
    """One line of the queue. Text fields are raw: widgets clean them before showing."""

    id: str
    number: str
    subject: str
    status: str
    priority: str
    channel: str
    customer: str
    queue: str
    assignee: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class MessageRow:
    id: str
    kind: str
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class CustomerInfo:
    name: str
    customer_number: str
    language: str
    email: str
    phone: str
    account: str
    tier: str


@dataclass(frozen=True)
class CaseDetail:
    case: CaseRow
    customer: CustomerInfo | None
    messages: list[MessageRow]


def _case_select():  # type: ignore[no-untyped-def]
    customer = func.trim(
        func.coalesce(_contact.c.first_name, "") + " " + func.coalesce(_contact.c.last_name, "")
    )
    return (
        select(
            _case.c.id,
            _case.c.number,
            _case.c.subject,
            _case.c.status,
            _case.c.priority,
            _case.c.channel,
            func.coalesce(customer, "").label("customer"),
            func.coalesce(_queue.c.name, "").label("queue"),
            func.coalesce(_agent.c.name, "").label("assignee"),
            _case.c.tags,
            _case.c.created_at,
            _case.c.updated_at,
            _case.c.version,
        )
        .select_from(_case)
        .outerjoin(_contact, _contact.c.id == _case.c.contact_id)
        .outerjoin(_queue, _queue.c.id == _case.c.queue_id)
        .outerjoin(_agent, _agent.c.id == _case.c.assignee_id)
    )


def _to_case_row(r) -> CaseRow:  # type: ignore[no-untyped-def]
    return CaseRow(
        id=r.id,
        number=r.number,
        subject=r.subject,
        status=r.status,
        priority=r.priority,
        channel=r.channel,
        customer=r.customer,
        queue=r.queue,
        assignee=r.assignee,
        tags=tuple(r.tags or ()),
        created_at=r.created_at,
        updated_at=r.updated_at,
        version=r.version,
    )


def count_cases(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(_case)).scalar_one())


def case_window(engine: Engine, offset: int, limit: int) -> list[CaseRow]:
    """Cases ``offset .. offset+limit`` of the queue, most recently updated first."""
    stmt = (
        _case_select()
        .order_by(_case.c.updated_at.desc(), _case.c.id.desc())
        .offset(max(0, offset))
        .limit(max(0, limit))
    )
    with engine.connect() as conn:
        return [_to_case_row(r) for r in conn.execute(stmt)]


def case_detail(engine: Engine, case_id: str) -> CaseDetail | None:
    with engine.connect() as conn:
        row = conn.execute(_case_select().where(_case.c.id == case_id)).first()
        if row is None:
            return None
        cust = conn.execute(
            select(
                _contact.c.first_name,
                _contact.c.last_name,
                _contact.c.customer_number,
                _contact.c.language,
                _contact.c.email,
                _contact.c.phone,
                func.coalesce(_account.c.name, "").label("account"),
                func.coalesce(_account.c.tier, "").label("tier"),
            )
            .select_from(_case)
            .join(_contact, _contact.c.id == _case.c.contact_id)
            .outerjoin(_account, _account.c.id == _contact.c.account_id)
            .where(_case.c.id == case_id)
        ).first()
        msgs = conn.execute(
            select(
                _message.c.id,
                _message.c.kind,
                _message.c.author_name,
                _message.c.body,
                _message.c.created_at,
            )
            .where(_message.c.case_id == case_id)
            .order_by(_message.c.created_at, _message.c.id)
        ).all()
    customer = (
        CustomerInfo(
            name=f"{cust.first_name} {cust.last_name}".strip(),
            customer_number=cust.customer_number,
            language=cust.language,
            email=cust.email,
            phone=cust.phone,
            account=cust.account,
            tier=cust.tier,
        )
        if cust is not None
        else None
    )
    return CaseDetail(
        case=_to_case_row(row),
        customer=customer,
        messages=[MessageRow(m.id, m.kind, m.author_name, m.body, m.created_at) for m in msgs],
    )


def entity_counts(engine: Engine) -> dict[str, int]:
    from csm_tui.domain.models import REPLICATED

    with engine.connect() as conn:
        return {
            m.entity: int(conn.execute(select(func.count()).select_from(m.__table__)).scalar_one())  # type: ignore[attr-defined]
            for m in REPLICATED
        }
