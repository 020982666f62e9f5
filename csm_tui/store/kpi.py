"""What the lead's SLA panel reads from the desk's store: the open cases, queues and agents of
the board, the times behind the service KPIs, and the recent SLA escalations.

Plain SQL with ``?`` parameters on the desk's read connection (:class:`StoreReader`), and
aggregates where SQLite can do the work: the KPI window's first customer message and first
public reply per case are one ``GROUP BY`` over the ``(case_id, created_at)`` message index,
counts before the window are ``count(*)`` over the case indexes, and only the status events
of cases solved or closed in the window come back as rows (their solve is read from the audit
lines, as the SLA engine reads a history). The window's cases are those updated in it (a new
case, a status change) or with a message written in it (a reply does not update its case on
the server), found along the case and message indexes. A store without a table yet reads as
empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from csm_tui.domain.enums import CaseStatus
from csm_tui.domain.escalation import ESCALATION_PREFIX
from csm_tui.domain.kpi import CaseTimes, KpiFacts
from csm_tui.domain.sla import status_history
from csm_tui.domain.sla_board import AgentInfo, BoardCase, QueueInfo
from csm_tui.store import sla_index
from csm_tui.store.outbox import sql_time
from csm_tui.store.queries import StoreReader

OPEN_STATUSES = ("new", "open", "pending", "on_hold")
DONE_STATUSES = ("solved", "closed")
#: Most escalations the panel lists.
ESCALATION_LIMIT = 50

_OPEN_SQL = """
SELECT c.id, c.number, c.subject, c.priority, c.status, c.queue_id, c.assignee_id
FROM "case" AS c
WHERE c.status IN ('new', 'open', 'pending', 'on_hold')
"""
# The same with each case's next breach from the SLA index (``store.sla_index``).
_OPEN_INDEXED_SQL = """
SELECT c.id, c.number, c.subject, c.priority, c.status, c.queue_id, c.assignee_id,
       s.due_at, s.at_risk_at
FROM "case" AS c
LEFT JOIN case_sla AS s ON s.case_id = c.id
WHERE c.status IN ('new', 'open', 'pending', 'on_hold')
"""
_QUEUES_SQL = "SELECT id, slug, name FROM queue ORDER BY name, slug"
_AGENTS_SQL = "SELECT id, handle, name, team, capacity, role FROM agent ORDER BY team, name, handle"

_CREATED_BEFORE_SQL = 'SELECT count(*) FROM "case" WHERE created_at < ?'
# Solved or closed, and not updated since before the window: solved before it.
_DONE_BEFORE_SQL = """
SELECT count(*) FROM "case"
WHERE status IN ('solved', 'closed') AND updated_at < ?
"""
_WINDOW_CASES_SQL = """
SELECT c.id, c.created_at, c.updated_at, c.status FROM "case" AS c
WHERE c.updated_at >= ?1
   OR EXISTS (SELECT 1 FROM message AS m WHERE m.case_id = c.id AND m.created_at >= ?1)
"""
# Case ids travel as one JSON array parameter (no parameter limit).
_FIRST_MESSAGES_SQL = """
SELECT m.case_id,
       min(CASE WHEN m.kind = 'customer' THEN m.created_at END),
       min(CASE WHEN m.kind = 'public' THEN m.created_at END)
FROM message AS m
WHERE m.case_id IN (SELECT value FROM json_each(?))
  AND m.kind IN ('customer', 'public')
GROUP BY m.case_id
"""
_SOLVE_EVENTS_SQL = """
SELECT m.case_id, m.created_at, m.body
FROM message AS m
WHERE m.case_id IN (SELECT value FROM json_each(?))
  AND m.kind = 'event' AND instr(m.body, 'Status: ') > 0
ORDER BY m.case_id, m.created_at
"""
_ANSWERS_SQL = "SELECT answered_at, rating FROM survey_answer WHERE answered_at >= ?"
# The prefix has no LIKE wildcards; the exact prefix is checked again in Python (LIKE
# ignores ASCII case).
_ESCALATIONS_SQL = """
SELECT m.id, m.case_id, coalesce(c.number, ''), m.body, m.created_at
FROM message AS m
LEFT JOIN "case" AS c ON c.id = m.case_id
WHERE m.kind = 'event' AND m.created_at >= ? AND m.body LIKE ?
ORDER BY m.created_at DESC, m.id DESC
LIMIT ?
"""

_STATUS = {s.value: s for s in CaseStatus}
_DONE = frozenset({CaseStatus.SOLVED, CaseStatus.CLOSED})


@dataclass(frozen=True, slots=True)
class EscalationRow:
    """An escalation the server made (an EVENT message with the escalation prefix). ``text``
    is the body after the prefix, raw: widgets clean it."""

    id: str
    case_id: str
    number: str
    text: str
    at: datetime


def open_cases(reader: StoreReader, *, indexed: bool = False) -> list[BoardCase]:
    """Every open case (new, open, pending, on hold), without its SLA watch; ``indexed``
    brings its due and at-risk instants from the SLA index (keep it current first:
    ``Desk.refresh_sla``). A case the index has no row for, or none to breach, has none."""
    if not indexed:
        return [
            BoardCase(r[0], r[1] or "", r[2] or "", r[3] or "", r[4] or "", r[5], r[6], None)
            for r in reader._all(_OPEN_SQL)
        ]
    parse = sla_index.parse
    out: list[BoardCase] = []
    for r in reader._all(_OPEN_INDEXED_SQL):
        due = parse(r[7])
        out.append(
            BoardCase(
                r[0], r[1] or "", r[2] or "", r[3] or "", r[4] or "", r[5], r[6], None,
                due, parse(r[8]) if due is not None else None,
            )
        )  # fmt: skip
    return out


def queues(reader: StoreReader) -> list[QueueInfo]:
    return [QueueInfo(r[0], r[1] or "", r[2] or "") for r in reader._all(_QUEUES_SQL)]


def agents(reader: StoreReader) -> list[AgentInfo]:
    return [
        AgentInfo(r[0], r[1] or "", r[2] or "", r[3] or "", int(r[4] or 0), str(r[5] or "agent"))
        for r in reader._all(_AGENTS_SQL)
    ]


def kpi_facts(reader: StoreReader, window_start: datetime) -> KpiFacts:
    """The :class:`KpiFacts` of the window starting at ``window_start`` (naive UTC).

    A solved or closed case's solve is the last change from a not-done status to solved or
    closed in its audit lines; without one (a case pulled without its events, or solved on
    this desk and not pushed yet) its last update."""
    since = (sql_time(window_start),)
    created_before = _count(reader, _CREATED_BEFORE_SQL, since)
    done_updated_before = _count(reader, _DONE_BEFORE_SQL, since)
    parse = datetime.fromisoformat
    window = reader._all(_WINDOW_CASES_SQL, since)
    ids = json.dumps([r[0] for r in window])
    done_ids = json.dumps([r[0] for r in window if _STATUS.get(r[3]) in _DONE])
    firsts = {
        case_id: (customer, public)
        for case_id, customer, public in reader._all(_FIRST_MESSAGES_SQL, (ids,))
    }
    audit: dict[str, list[tuple[datetime, str]]] = {}
    for case_id, at, body in reader._all(_SOLVE_EVENTS_SQL, (done_ids,)):
        audit.setdefault(case_id, []).append((parse(at), body))
    cases: list[CaseTimes] = []
    # Done cases updated in the window whose last solve came before it.
    solved_before_in_window = 0
    for case_id, created, updated, status in window:
        created_at = parse(created)
        current = _STATUS.get(status)
        solved_at = None
        if current in _DONE:
            updated_at = parse(updated)
            solved_at = _last_solve(created_at, current, audit.get(case_id)) or updated_at
            # (one not updated since before the window is in _DONE_BEFORE_SQL's count)
            if updated_at >= window_start and solved_at < window_start:
                solved_before_in_window += int(created_at < window_start)
        customer, public = firsts.get(case_id, (None, None))
        first_reply = parse(public) if public else None
        reply_from = None
        if first_reply is not None and customer:
            first_customer = parse(customer)
            if first_customer <= first_reply:
                reply_from = first_customer
        cases.append(CaseTimes(created_at, first_reply, reply_from, solved_at))
    answers = [
        (parse(at), int(rating))
        for at, rating in reader._all(_ANSWERS_SQL, since)
        if isinstance(rating, int)
    ]
    # Solved before the window: done and not updated since (in the window or not), and done
    # cases updated in the window whose last solve came before it.
    done_before = done_updated_before + solved_before_in_window
    open_before = max(0, created_before - done_before)
    return KpiFacts(cases=cases, answers=answers, open_before=open_before)


def escalations(
    reader: StoreReader, since: datetime, limit: int = ESCALATION_LIMIT
) -> list[EscalationRow]:
    """The escalations written since ``since``, newest first."""
    rows = reader._all(_ESCALATIONS_SQL, (sql_time(since), ESCALATION_PREFIX + "%", limit))
    out: list[EscalationRow] = []
    for message_id, case_id, number, body, at in rows:
        if not isinstance(body, str) or not body.startswith(ESCALATION_PREFIX):
            continue
        out.append(
            EscalationRow(
                message_id,
                case_id,
                number,
                body[len(ESCALATION_PREFIX) :],
                datetime.fromisoformat(at),
            )
        )
    return out


def _last_solve(
    created_at: datetime, current: CaseStatus, lines: list[tuple[datetime, str]] | None
) -> datetime | None:
    if not lines:
        return None
    solved: datetime | None = None
    previous: CaseStatus | None = None
    for at, status in status_history(created_at, current, lines):
        if status in _DONE and previous is not None and previous not in _DONE:
            solved = at
        previous = status
    return solved


def _count(reader: StoreReader, sql: str, params: tuple[Any, ...]) -> int:
    rows = reader._all(sql, params)
    return int(rows[0][0]) if rows else 0


__all__ = [
    "DONE_STATUSES",
    "ESCALATION_LIMIT",
    "OPEN_STATUSES",
    "EscalationRow",
    "agents",
    "escalations",
    "kpi_facts",
    "open_cases",
    "queues",
]
