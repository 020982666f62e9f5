"""The live part of the lead's SLA panel: per queue and per agent counts of open, at-risk and
breached cases, and the next cases to breach with their countdown.

Pure: built once from every open case with its next breach (when the store changes), then
asked :meth:`SlaBoard.at` on every tick of the panel. A tick reads nothing and walks no case
list: a case is breached once ``now`` is past its due time and at risk from its at-risk
instant until then (:class:`~csm_tui.domain.sla.Watch` semantics), so each group keeps its
due and at-risk instants sorted and counts by bisection, and only the few cases shown get
``Watch.at`` (for the minutes left, which business-hours clocks need their calendar for). The
counts equal those of ``Watch.at`` on every case (``tests/unit/test_sla_board.py`` checks it
on random cases).

A case's due and at-risk instants come from its watch, or without one from the store's SLA
index (``case_sla``, the queue's SLA column), which saves running every open case through
the engine on each reload: then only the cases about to be counted down carry a watch, and
:attr:`BoardNow.short` says when those run out before the next reload.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from csm_tui.domain.sla import Watch, WatchNow

#: How many of the next cases to breach the panel counts down.
NEXT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class BoardCase:
    """An open case as the board shows it. Text fields are raw: widgets clean them."""

    id: str
    number: str
    subject: str
    priority: str
    status: str
    queue_id: str | None
    assignee_id: str | None
    watch: Watch | None  # None: no SLA clock runs, or only the index's instants are known
    due_at: datetime | None = None  # from the SLA index, when there is no watch
    at_risk_at: datetime | None = None

    @property
    def due(self) -> datetime | None:
        """When the case breaches (the watch's due time, else the index's); None: never."""
        return self.watch.due_at if self.watch is not None else self.due_at

    @property
    def risk(self) -> datetime | None:
        if self.watch is not None:
            return self.watch.at_risk_at
        return self.at_risk_at if self.at_risk_at is not None else self.due_at


@dataclass(frozen=True, slots=True)
class QueueInfo:
    id: str | None  # None: the cases without a queue
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class AgentInfo:
    id: str
    handle: str
    name: str
    team: str = ""
    capacity: int = 0
    role: str = "agent"


@dataclass(frozen=True, slots=True)
class QueueLine:
    queue: QueueInfo
    open: int
    unassigned: int
    at_risk: int
    breached: int


@dataclass(frozen=True, slots=True)
class AgentLine:
    agent: AgentInfo
    open: int  # open cases assigned to the agent
    at_risk: int
    breached: int

    @property
    def over_capacity(self) -> bool:
        return self.agent.capacity > 0 and self.open > self.agent.capacity


@dataclass(frozen=True, slots=True)
class Countdown:
    """One of the next cases to breach, at the tick's instant."""

    case: BoardCase
    now: WatchNow


@dataclass(frozen=True, slots=True)
class BoardNow:
    """The board at one instant."""

    at: datetime
    queues: tuple[QueueLine, ...]
    agents: tuple[AgentLine, ...]
    next: tuple[Countdown, ...]
    open: int
    at_risk: int
    breached: int
    #: Fewer countdowns than asked for although more cases are still to breach: only the
    #: index's instants are known for the next ones (read the board again).
    short: bool = False


@dataclass(slots=True)
class _Group:
    """Open cases of one queue or agent: counts, and the sorted instants of their watches."""

    open: int = 0
    unassigned: int = 0
    due: list[datetime] = field(default_factory=list)
    risk: list[datetime] = field(default_factory=list)

    def add(self, case: BoardCase) -> None:
        self.open += 1
        if case.assignee_id is None:
            self.unassigned += 1
        due = case.due
        if due is not None:
            self.due.append(due)
            self.risk.append(case.risk)  # type: ignore[arg-type]

    def seal(self) -> None:
        self.due.sort()
        self.risk.sort()

    def counts(self, now: datetime) -> tuple[int, int]:
        """(at risk, breached) at ``now``: breached once ``now`` is past the due time, at
        risk from the at-risk instant on while not breached (an at-risk instant never comes
        after its due time, so the breached are among those past their at-risk instant)."""
        breached = bisect_left(self.due, now)
        return bisect_right(self.risk, now) - breached, breached


class SlaBoard:
    """Every open case with its watch, grouped for the panel; :meth:`at` is the tick."""

    def __init__(
        self,
        cases: Iterable[BoardCase],
        queues: Sequence[QueueInfo],
        agents: Sequence[AgentInfo],
        *,
        first_team: str | None = None,
        next_limit: int = NEXT_LIMIT,
    ) -> None:
        """``queues`` and ``agents`` in the order to show (a queue or an agent with open
        cases that is missing from them is added after them). Agents are shown when they
        have open cases or are no admins; ``first_team``'s agents come first (a lead's own
        team)."""
        self.cases = list(cases)
        self.next_limit = next_limit
        self._all = _Group()
        by_queue: dict[str | None, _Group] = {q.id: _Group() for q in queues}
        by_agent: dict[str, _Group] = {a.id: _Group() for a in agents}
        for case in self.cases:
            self._all.add(case)
            by_queue.setdefault(case.queue_id, _Group()).add(case)
            if case.assignee_id is not None:
                by_agent.setdefault(case.assignee_id, _Group()).add(case)
        known_queues = {q.id: q for q in queues}
        self._queues: list[tuple[QueueInfo, _Group]] = []
        for queue_id, group in by_queue.items():
            queue = known_queues.get(queue_id)
            if queue is None:
                if not group.open:
                    continue
                queue = QueueInfo(queue_id, "", "(no queue)" if queue_id is None else queue_id)
            group.seal()
            self._queues.append((queue, group))
        known_agents = {a.id: a for a in agents}
        shown: list[tuple[AgentInfo, _Group]] = []
        for agent_id, group in by_agent.items():
            agent = known_agents.get(agent_id) or AgentInfo(agent_id, agent_id, agent_id)
            if agent.role == "admin" and not group.open:
                continue
            group.seal()
            shown.append((agent, group))
        if first_team:
            # stable: the given order within each part
            shown.sort(key=lambda pair: pair[0].team != first_team)
        self._agents = shown
        #: Every queue and agent by id (those of the cases included), for the case rows.
        self.queues: dict[str | None, QueueInfo] = {q.id: q for q, _ in self._queues}
        self.agents: dict[str, AgentInfo] = {**known_agents, **{a.id: a for a, _ in shown}}
        self._all.seal()
        # The cases with a clock, by due time: where the countdown list starts each tick.
        timed = sorted((c for c in self.cases if c.due is not None), key=_due_key)
        self._timed = timed
        self._timed_due = [c.due for c in timed]

    def __len__(self) -> int:
        return len(self.cases)

    def at(self, now: datetime) -> BoardNow:
        """The board at ``now``: counts per queue and agent, and the next cases to breach
        (those not breached yet, the one due first first) with their ``WatchNow``."""
        queues = tuple(
            QueueLine(queue, group.open, group.unassigned, *group.counts(now))
            for queue, group in self._queues
        )
        agents = tuple(
            AgentLine(agent, group.open, *group.counts(now)) for agent, group in self._agents
        )
        start = bisect_left(self._timed_due, now)
        upcoming = self._timed[start : start + self.next_limit]
        countdowns: list[Countdown] = []
        for case in upcoming:
            if case.watch is None:
                break  # only the index's instants: the minutes left need the watch
            countdowns.append(Countdown(case, case.watch.at(now)))
        short = len(countdowns) < len(upcoming)
        at_risk, breached = self._all.counts(now)
        return BoardNow(
            now, queues, agents, tuple(countdowns), self._all.open, at_risk, breached, short
        )


def due_first(cases: Iterable[BoardCase], now: datetime, n: int) -> list[str]:
    """The ids of the ``n`` cases due first that have not breached at ``now``: those to give
    a watch, so that the countdown lasts until the board is read again."""
    waiting = [c for c in cases if c.due is not None and c.due >= now]
    waiting.sort(key=_due_key)
    return [c.id for c in waiting[:n]]


def _due_key(case: BoardCase) -> tuple[datetime, str]:
    return (case.due, case.number)  # type: ignore[return-value]


__all__ = [
    "NEXT_LIMIT",
    "AgentInfo",
    "AgentLine",
    "BoardCase",
    "BoardNow",
    "Countdown",
    "QueueInfo",
    "QueueLine",
    "SlaBoard",
    "due_first",
]
