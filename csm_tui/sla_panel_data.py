"""What the lead's SLA panel shows, read from the desk's store in one go: the board (every
open case with its SLA watch, by queue and agent), the service KPIs of the last 14 days and
the escalations of the last 24 hours.

:func:`load_panel` is blocking (store reads and the SLA engine): the panel calls it through
``Desk.sla_panel`` in a thread worker whenever the store changes, and ticks the result every
second without reading anything (``SlaBoard.at``). The open cases' next breaches come from
the store's SLA index (``case_sla``, the queue's SLA column: brought up to date first), and
only the :data:`COUNTDOWN_WATCHES` cases due first go through the engine for a watch (the
minutes left of the countdown); a store without the index runs every open case through it.
:func:`panel_refusal` is the one sentence an agent who is no lead or admin gets instead.
Nothing here imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from csm_tui.domain.enums import AgentRole
from csm_tui.domain.kpi import TREND_DAYS, KpiReport, kpi_report, local_day_starts
from csm_tui.domain.sla_board import AgentInfo, SlaBoard, due_first
from csm_tui.store import kpi as kpi_store
from csm_tui.store.kpi import EscalationRow

if TYPE_CHECKING:
    from csm_tui.desk import Desk

#: Cases due first that get a watch for the countdown: enough for the panel's twenty until
#: many of them have breached (the board then says it runs short, and the panel reads again).
COUNTDOWN_WATCHES = 100
#: How far back the panel lists escalations.
ESCALATION_WINDOW = timedelta(hours=24)
#: Roles that see the panel.
PANEL_ROLES = frozenset({AgentRole.LEAD.value, AgentRole.ADMIN.value})

NOT_SIGNED_IN = "The SLA panel is for team leads; sync once so the desk knows who you are."
NOT_A_LEAD = "The SLA panel is for team leads and admins; ask your lead for the figures."


@dataclass(frozen=True)
class SlaPanelData:
    """One read of everything the panel shows. ``synced_at`` is the last sync that pulled
    into the store (None: never), for the data age the panel words on each tick."""

    board: SlaBoard
    kpis: KpiReport
    escalations: tuple[EscalationRow, ...]
    me: AgentInfo | None
    synced_at: datetime | None
    loaded_at: datetime


def panel_refusal(desk: Desk) -> str | None:
    """None when the signed-in agent may see the panel (a lead or an admin), else the one
    sentence saying why not."""
    agent = desk.agent
    if agent is None:
        return NOT_SIGNED_IN
    role = desk.reader.agent_role(agent[0])
    if role is None:
        return NOT_SIGNED_IN
    return None if role in PANEL_ROLES else NOT_A_LEAD


def load_panel(desk: Desk, now: datetime | None = None, tz: tzinfo | None = None) -> SlaPanelData:
    """Read the board, the KPIs (local days of ``tz``, the machine's zone by default) and the
    escalations as of ``now`` (the desk's clock by default)."""
    now = now or desk.clock()
    reader = desk.reader
    desk.refresh_sla()  # the cases changed since the last sync or edit, if any
    indexed = reader.has_table("case_sla")
    cases = kpi_store.open_cases(reader, indexed=indexed)
    wanted = due_first(cases, now, COUNTDOWN_WATCHES) if indexed else [c.id for c in cases]
    watches = desk.sla_watch(wanted, now)
    # A watch replaces the index's instants (None: the engine says no clock runs now).
    cases = [
        replace(c, watch=watches[c.id], due_at=None, at_risk_at=None) if c.id in watches else c
        for c in cases
    ]
    agents = kpi_store.agents(reader)
    me_row = desk.agent
    me = next((a for a in agents if me_row is not None and a.id == me_row[0]), None)
    board = SlaBoard(
        cases,
        kpi_store.queues(reader),
        agents,
        first_team=me.team if me is not None and me.team else None,
    )
    window_start = local_day_starts(now, tz, TREND_DAYS)[0]
    kpis = kpi_report(kpi_store.kpi_facts(reader, window_start), now, tz)
    escalations = tuple(kpi_store.escalations(reader, now - ESCALATION_WINDOW))
    return SlaPanelData(
        board=board,
        kpis=kpis,
        escalations=escalations,
        me=me,
        synced_at=desk._last_sync_at(),
        loaded_at=now,
    )


__all__ = [
    "COUNTDOWN_WATCHES",
    "ESCALATION_WINDOW",
    "NOT_A_LEAD",
    "NOT_SIGNED_IN",
    "PANEL_ROLES",
    "SlaPanelData",
    "load_panel",
    "panel_refusal",
]
