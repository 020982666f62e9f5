"""What the SLA engine needs of cases, read from the desk's store in three queries per batch.

For each case: its creation time, current status, priority, channel, queue slug and its
contact's account tier (one joined query), then its customer messages, public replies and
status events (one query over the ``(case_id, created_at)`` index), and the status changes
still waiting in the outbox (offline edits: their old and new status, at the time of the
edit). The status history comes from those audit lines in time order
(``domain.sla.status_history``); when it still does not end in the case's current status
(a change the server made without an event line, or one pushed whose event is not pulled
yet), the current status is added at the case's ``updated_at``.

Plain SQL with ``?`` parameters on the desk's read connection (:class:`StoreReader`); case
ids travel as one JSON array parameter (``json_each``), so a batch has no parameter limit.
Values a newer server may send that this desk does not know (a status, a priority) fall back
to the defaults rather than failing the whole batch; a case whose status is unknown is left
out (no SLA for it).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from csm_tui.domain.enums import CaseStatus, Channel, MessageKind, Priority, SupportTier
from csm_tui.domain.models import SLA_CONFIG_NAME
from csm_tui.domain.sla import CaseFacts, status_history, status_line
from csm_tui.store.queries import StoreReader

#: Case ids per batch: two queries each.
BATCH = 5000

_CASES_SQL = """
SELECT c.id, c.created_at, c.updated_at, c.status, c.priority, c.channel, q.slug, acc.tier
FROM "case" AS c
LEFT JOIN queue AS q ON q.id = c.queue_id
LEFT JOIN contact AS p ON p.id = c.contact_id
LEFT JOIN account AS acc ON acc.id = p.account_id
WHERE c.id IN (SELECT value FROM json_each(?))
"""
# Only what moves a clock: customer messages, public replies, and events holding a status
# line (the server writes the status first of the changes it joins; search, as the parser).
# By case and time along the index; rows of one second come in the order the store got
# them (pulled deltas: the server's change-log order, which is also the events' id order).
_MESSAGES_SQL = """
SELECT m.case_id, m.created_at, m.kind, CASE WHEN m.kind = 'event' THEN m.body END
FROM message AS m
WHERE m.case_id IN (SELECT value FROM json_each(?))
  AND (m.kind IN ('customer', 'public') OR (m.kind = 'event' AND instr(m.body, 'Status: ') > 0))
ORDER BY m.case_id, m.created_at
"""
_PENDING_SQL = """
SELECT o.entity_id, o.created_at, o.base, o.fields
FROM outbox AS o
WHERE o.entity = 'case' AND o.op = 'update' AND instr(o.fields, '"status"') > 0
  AND o.entity_id IN (SELECT value FROM json_each(?))
ORDER BY o.mid
"""
_CONFIG_SQL = "SELECT toml FROM sla_config WHERE name = ? ORDER BY id LIMIT 1"

_STATUS = {s.value: s for s in CaseStatus}
_PRIORITY = {p.value: p for p in Priority}
_CHANNEL = {c.value: c for c in Channel}
_TIER = {t.value: t for t in SupportTier}
_KIND = {
    MessageKind.CUSTOMER.value: MessageKind.CUSTOMER,
    MessageKind.PUBLIC.value: MessageKind.PUBLIC,
}


def config_text(reader: StoreReader) -> str | None:
    """The synced SLA file (TOML) in force, or None before one reached this desk."""
    rows = reader._all(_CONFIG_SQL, (SLA_CONFIG_NAME,))
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


def load_facts(reader: StoreReader, case_ids: Iterable[str]) -> dict[str, CaseFacts]:
    """The :class:`CaseFacts` of each case of ``case_ids`` the store holds, by id (in the
    order asked; ids the store lacks are left out).

    The cyclic garbage collector is paused meanwhile (as ``SlaBook.compute_many`` does):
    the rows and facts make no reference cycles, and its passes over the growing result
    took a third of the time at 60,000 cases."""
    ids = list(dict.fromkeys(case_ids))
    out: dict[str, CaseFacts] = {}
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for at in range(0, len(ids), BATCH):
            out.update(_batch(reader, ids[at : at + BATCH]))
    finally:
        if was_enabled:
            gc.enable()
    return out


def _batch(reader: StoreReader, ids: list[str]) -> dict[str, CaseFacts]:
    param = (json.dumps(ids),)
    cases = reader._all(_CASES_SQL, param)
    if not cases:
        return {}
    parse = datetime.fromisoformat
    kinds = _KIND
    messages: dict[str, list[tuple[datetime, MessageKind]]] = {}
    audit: dict[str, list[tuple[datetime, str]]] = {}
    current = None
    said: list[tuple[datetime, MessageKind]] = []
    # Rows come by case, then time: one list per case, filled without a lookup per row.
    for case_id, created, kind, body in reader._all(_MESSAGES_SQL, param):
        if case_id != current:
            current = case_id
            said = messages[case_id] = []
        if body is None:
            found = kinds.get(kind)
            if found is not None:
                said.append((parse(created), found))
        else:
            audit.setdefault(case_id, []).append((parse(created), body))
    for case_id, edited, base, fields in reader._all(_PENDING_SQL, param):
        old = _STATUS.get(_json_field(base, "status"))
        new = _STATUS.get(_json_field(fields, "status"))
        if old is not None and new is not None:
            lines = audit.setdefault(case_id, [])
            lines.append((_time(edited), status_line(old, new)))
            if len(lines) > 1 and lines[-2][0] > lines[-1][0]:
                lines.sort(key=_first)  # stable: events of one instant keep their order
    by_id: dict[str, CaseFacts] = {}
    none: tuple[()] = ()
    for case_id, created, updated, status, priority, channel, slug, tier in cases:
        now_status = _STATUS.get(status)
        if now_status is None:
            continue
        created_at = parse(created)
        lines = audit.get(case_id)
        history = (
            status_history(created_at, now_status, lines, parse(updated))
            if lines
            else [(created_at, now_status)]
        )
        by_id[case_id] = CaseFacts(
            created_at,
            history,
            messages.get(case_id, none),
            priority=_PRIORITY.get(priority, Priority.NORMAL),
            # A contact without an account has the standard entitlement.
            tier=_TIER.get(tier, SupportTier.STANDARD),
            queue=slug,
            channel=_CHANNEL.get(channel, Channel.EMAIL),
        )
    return {i: by_id[i] for i in ids if i in by_id}


def _first(entry: tuple[datetime, str]) -> datetime:
    return entry[0]


def _json_field(text: Any, name: str) -> Any:
    try:
        value = json.loads(text) if isinstance(text, str | bytes) else text
    except ValueError:
        return None
    return value.get(name) if isinstance(value, dict) else None


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
