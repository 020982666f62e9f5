"""Message bodies of old cases, left out of a low-bandwidth desk's snapshot and sent on demand.

A desk that pulls with ``bodies=recent`` gets the messages of cases solved or closed more than
``wire.OLD_CASE_DAYS`` ago without their text: the row keeps every other field, its ``body``
is empty and ``body_deferred`` is true. Only snapshot pages are trimmed: a delta carries a
message when it is written, and a case that gets a new message is not old. When the agent
opens such a case, the desk asks ``GET /api/v1/cases/{id}/messages`` (:func:`case_messages`)
for them whole.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from csm_tui.domain.enums import CaseStatus
from csm_tui.domain.models import Case, Message, to_wire
from csm_tui.sync.wire import BODY_DEFERRED, OLD_CASE_DAYS, CaseMessages, ChangeRow, ChangesPage

#: Statuses whose cases count as old once untouched for ``OLD_CASE_DAYS``.
_DONE = (CaseStatus.SOLVED.value, CaseStatus.CLOSED.value)
#: Most messages one reply of ``case_messages`` carries (a case has tens, not thousands).
MAX_CASE_MESSAGES = 2000


class UnknownCase(LookupError):
    """No case has this id."""


def old_case_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=OLD_CASE_DAYS)


def defer_old_bodies(session: Session, page: ChangesPage, now: datetime) -> ChangesPage:
    """``page`` with the bodies of old cases' messages left out (snapshot pages only)."""
    if not page.snapshot:
        return page
    case_ids = {
        str(r.fields.get("case_id"))
        for r in page.rows
        if r.entity == "message" and r.op == "upsert" and r.fields.get("body")
    }
    if not case_ids:
        return page
    old: set[str] = set()
    ids = sorted(case_ids)
    cutoff = old_case_cutoff(now)
    for at in range(0, len(ids), 500):
        old.update(
            session.exec(
                select(Case.id).where(
                    Case.id.in_(ids[at : at + 500]),  # type: ignore[attr-defined]
                    Case.status.in_(_DONE),  # type: ignore[attr-defined]
                    Case.updated_at < cutoff,
                )
            ).all()
        )
    if not old:
        return page
    rows = [
        ChangeRow(
            seq=r.seq,
            entity=r.entity,
            id=r.id,
            op=r.op,
            fields={**r.fields, "body": "", BODY_DEFERRED: True},
        )
        if r.entity == "message" and r.op == "upsert" and r.fields.get("case_id") in old
        else r
        for r in page.rows
    ]
    return page.model_copy(update={"rows": rows})


def case_messages(session: Session, case_id: str) -> CaseMessages:
    """Every message of the case, whole, oldest first."""
    if session.get(Case, case_id) is None:
        raise UnknownCase(f"There is no case with the id {case_id}.")
    messages = session.exec(
        select(Message)
        .where(Message.case_id == case_id)
        .order_by(Message.created_at, Message.id)  # type: ignore[arg-type]
        .limit(MAX_CASE_MESSAGES)
    ).all()
    return CaseMessages(case_id=case_id, messages=[to_wire(m) for m in messages])
