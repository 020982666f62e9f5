"""The SLA engine: for each case and metric, active / paused / fulfilled, due, left, breached.

One code path for the desk (offline, from its local store) and the case server. The state is
a pure function of a case's facts (creation, priority, tier, queue, channel, status history
and messages) at an instant ``now``; events after ``now`` do not count yet. Times are naive
UTC datetimes like everywhere in the project.

How each metric runs (DOMAIN.md, "Measuring service"; "done" means solved or closed):

- ``first_reply``: from the first customer message (creation, when the case has no customer
  message before the first public reply) to the first public reply. Solving the case without
  one fulfils it too. One cycle, never paused.
- ``next_reply``: from the oldest unanswered customer message after the first public reply
  to the next public reply (or to the solve). A second customer message before the reply does
  not restart the clock; a customer message after a reply starts a new cycle. A customer
  message while the case is done starts nothing (a reply to a solved case reopens it, and the
  reopen comes first in the history).
- ``periodic_update``: from the first-reply start to the first public reply, then from each
  public reply to the next; solving fulfils the running cycle, reopening starts a new one.
- ``pausable_update``: the same, paused while the case is pending.
- ``requester_wait``: the time in new + open + on hold, over the whole life of the case:
  paused in pending, fulfilled while done, resumed (with the time already used) on reopen.
- ``agent_work``: the same for the time in new + open (paused in pending and on hold).
- ``resolution``: creation to solved: runs in every status but done, fulfilled while done,
  resumed on reopen with the time already used.

Clocks count open time of their calendar: the policy's business calendar for business-hour
targets, or every second for calendar-hour targets. The due time is the earliest instant at
which the running clock reaches the target; a clock breaches when it still runs after that
instant (so a business-hours clock due on Friday 18:00 is breached on Friday evening, even
though no business minute passed since). A breach is final for its cycle: fulfilling it late
leaves ``breached`` set, and a fulfilled or paused state does not change as ``now`` moves.
For cycled metrics the state shows the latest cycle and ``breaches`` counts breached cycles.

``left_minutes`` is the target minus the clock (business or calendar minutes; zero or
negative once breached: a business clock stands still outside opening hours). A metric is at
risk while active, not yet breached and no more time is left than its policy's at-risk
threshold (:meth:`SlaPolicy.at_risk_seconds`). A metric that has not started (no customer
message waits for a next reply) has no state.

Use: :func:`compute` (or :meth:`SlaBook.compute`, :meth:`SlaBook.compute_many` for many
cases) whenever a case changes; :func:`next_breach` for the queue's SLA column and sort;
:func:`tick` to move states to a later ``now`` without the history, or :func:`watch` once
per case and :meth:`Watch.at` on every tick of a live panel. The desk computes all this from
data that may be minutes old: :func:`data_age_text` words that for the panel.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from operator import itemgetter
from typing import NamedTuple

from csm_tui.domain.enums import CaseStatus, Channel, MessageKind, Priority, SupportTier
from csm_tui.domain.sla_calendar import (
    ALWAYS,
    CALENDAR_HOURS,
    BusinessCalendar,
    default_calendars,
)
from csm_tui.domain.sla_policy import (
    Metric,
    SlaMatch,
    SlaPolicy,
    Target,
    check_policies,
    default_policies,
    first_matching,
    policies_from_toml,
    policies_to_toml,
)

__all__ = [
    "CALENDAR_HOURS",
    "BusinessCalendar",
    "CaseFacts",
    "Clock",
    "Metric",
    "MetricState",
    "SlaBook",
    "SlaMatch",
    "SlaPolicy",
    "Target",
    "Watch",
    "WatchNow",
    "compute",
    "data_age_text",
    "default_calendars",
    "default_policies",
    "first_matching",
    "next_breach",
    "policies_from_toml",
    "policies_to_toml",
    "status_history",
    "status_line",
    "tick",
    "watch",
]


class Clock(StrEnum):
    """Where an SLA metric stands."""

    ACTIVE = "active"  # running: the customer or the team is waiting
    PAUSED = "paused"  # stopped for now (pending, on hold...), resumes with the time left
    FULFILLED = "fulfilled"  # done for this cycle (replied, solved); may still be breached


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the SLA engine needs of one case.

    ``statuses`` is the status history, the first entry the status the case was created with;
    ``messages`` are (time, kind). Both are put in time order (stable: entries at the same
    instant keep their order), plain strings become enum members, and only customer messages
    and public replies are kept (notes and events do not move any clock). An empty history
    means the case was created ``new`` and never changed.
    """

    created_at: datetime
    statuses: Sequence[tuple[datetime, CaseStatus]] = ()
    messages: Sequence[tuple[datetime, MessageKind]] = ()
    priority: Priority = Priority.NORMAL
    tier: SupportTier | None = SupportTier.STANDARD
    queue: str | None = None
    channel: Channel = Channel.EMAIL

    def __post_init__(self) -> None:
        statuses, messages = self.statuses, self.messages
        if any(type(s) is not CaseStatus for _, s in statuses):
            statuses = [(at, CaseStatus(s)) for at, s in statuses]
        if any(type(k) is not MessageKind for _, k in messages):
            messages = [(at, MessageKind(k)) for at, k in messages]
        kinds = _CLOCK_KINDS
        messages = [m for m in messages if m[1] in kinds]
        if not _in_order(statuses):
            statuses = sorted(statuses, key=_by_time)
        if not _in_order(messages):
            messages = sorted(messages, key=_by_time)
        object.__setattr__(self, "statuses", statuses)
        object.__setattr__(self, "messages", messages)


def _in_order(entries: Sequence[tuple[datetime, object]]) -> bool:
    return all(a[0] <= b[0] for a, b in pairwise(entries))


class MetricState(NamedTuple):
    """One metric of one case at an instant. Read the due time through ``due_at``.

    The last three fields serve :func:`tick` and ``due_at``: the due time and the at-risk
    point on the calendar's open-time axis (datetimes for calendar hours, timedeltas for
    business hours, only meaningful with that very calendar object), and the calendar.
    """

    metric: Metric
    state: Clock
    due: datetime | None  # ``due_at`` when known without calendar work, else None
    left_minutes: float  # target minus clock, in the target's minutes; <= 0 once breached
    breached: bool  # the clock ran past the due time in this cycle (final for the cycle)
    at_risk: bool  # active, not breached, no more left than the policy's threshold
    fulfilled_at: datetime | None  # when this cycle was fulfilled (a reply, a solve)
    started_at: datetime  # when this cycle started
    target_minutes: int
    business: bool  # business hours (the policy's calendar), else calendar hours
    breaches: int  # breached cycles so far, this one included
    due_open: datetime | timedelta | None
    risk_open: datetime | timedelta | None
    calendar: BusinessCalendar

    @property
    def due_at(self) -> datetime | None:
        """When the time runs out (active), ran out (breached) or would have (fulfilled on
        time); None while paused (the clock does not move) and for a clock that never ran."""
        due = self.due
        if due is None and self.state is _FULFILLED and isinstance(self.due_open, timedelta):
            return self.calendar.time_at(self.due_open)
        return due

    @property
    def at_risk_at(self) -> datetime | None:
        """When an active metric becomes (or became) at risk; None for other states."""
        if self.state is not _ACTIVE or self.risk_open is None:
            return None
        if isinstance(self.risk_open, datetime):
            return self.risk_open
        return self.calendar.time_at(self.risk_open)


_new_state = tuple.__new__
_S = CaseStatus
_DONE = frozenset({_S.SOLVED, _S.CLOSED})
_NOT_DONE = frozenset({_S.NEW, _S.OPEN, _S.PENDING, _S.ON_HOLD})
_REQUESTER_WAIT = frozenset({_S.NEW, _S.OPEN, _S.ON_HOLD})
_AGENT_WORK = frozenset({_S.NEW, _S.OPEN})
_CUSTOMER = MessageKind.CUSTOMER
_PUBLIC = MessageKind.PUBLIC
_CLOCK_KINDS = frozenset({_CUSTOMER, _PUBLIC})
_ACTIVE, _PAUSED, _FULFILLED = Clock.ACTIVE, Clock.PAUSED, Clock.FULFILLED
_ZERO = timedelta(0)
_by_time = itemgetter(0)

# An event: (instant, what happened: a CaseStatus or a MessageKind).
_Event = tuple[datetime, object]
_Span = tuple[datetime, datetime | None]
_Run = tuple[datetime, datetime]
_Cycle = tuple[list[_Run], datetime, datetime | None, bool]


class _Case:
    """A case's facts as of ``now``, in the shapes the metrics walk."""

    __slots__ = ("created_at", "events", "now", "start", "statuses")

    created_at: datetime
    statuses: Sequence[tuple[datetime, CaseStatus]]  # the first is the creation status
    events: Sequence[_Event]  # statuses and customer/public messages in time order
    now: datetime
    start: datetime  # where the first-reply and update clocks start


def _prepare(facts: CaseFacts, now: datetime) -> _Case:
    created_at = facts.created_at
    statuses = facts.statuses or ((created_at, _S.NEW),)
    if statuses[-1][0] > now:
        statuses = [e for e in statuses if e[0] <= now] or [(created_at, statuses[0][1])]
    messages = facts.messages  # customer messages and public replies (CaseFacts keeps those)
    if messages and messages[-1][0] > now:
        messages = [m for m in messages if m[0] <= now]
    case = _Case()
    case.created_at = created_at
    case.statuses = statuses
    case.now = now
    # First-reply start: the first customer message, unless a public reply came first.
    if messages and messages[0][1] is _CUSTOMER:
        case.start = messages[0][0]
    else:
        case.start = created_at
    # One time-ordered list; at the same instant a status change comes before a message.
    if messages:
        events = [*statuses, *messages]
        events.sort(key=_by_time)
        case.events = events
    else:
        case.events = statuses
    return case


# -- the metrics as spans (one run each) or cycles (runs with pauses) --------------------------
#
# A span: (start, end) of a clock that never pauses; end None while it goes on (last only).
# A cycle: (runs, started_at, fulfilled_at or None, running now); a run: (start, end).


def _first_reply(case: _Case) -> list[_Span]:
    start = case.start
    done = False
    for at, what in case.events:
        if what is _PUBLIC:
            if at >= start:
                return [(start, at)]
        elif what is _CUSTOMER:
            if done and at >= start:  # written to a case that is done: nothing to answer
                return [(start, start)]
        else:
            done = what in _DONE
            if done and at >= start:
                return [(start, at)]
    return [(start, start if done else None)]


def _next_reply(case: _Case) -> list[_Span]:
    spans: list[_Span] = []
    replied = done = False
    since: datetime | None = None  # the oldest unanswered customer message
    for at, what in case.events:
        if what is _PUBLIC:
            replied = True
        elif what is _CUSTOMER:
            if replied and not done and since is None:
                since = at
            continue
        else:
            done = what in _DONE
            if not done:
                continue
        if since is not None:  # a public reply, or the case was solved
            spans.append((since, at))
            since = None
    if since is not None:
        spans.append((since, None))
    return spans


def _periodic(case: _Case) -> list[_Span]:
    spans: list[_Span] = []
    start = case.start
    status = case.statuses[0][1]
    began: datetime | None = None  # start of the cycle that goes on; None when none does
    opened = False
    for at, what in case.events:
        if not opened and at >= start:
            opened = True
            if status not in _DONE:
                began = start
        if what is _PUBLIC:
            if began is not None:
                spans.append((began, at))
                began = at
            continue
        if what is _CUSTOMER:
            continue
        was_done = status in _DONE
        status = what  # type: ignore[assignment]
        if not opened:
            continue
        if status in _DONE:
            if began is not None:
                spans.append((began, at))
                began = None
        elif was_done:  # reopened: a new cycle
            began = at
    if not opened and status not in _DONE:  # nothing happened since the start
        began = start
    if began is not None:
        spans.append((began, None))
    return spans


def _pausable(case: _Case) -> list[_Cycle]:
    """Cycles between public replies (as periodic updates), paused while pending."""
    cycles: list[_Cycle] = []
    start = case.start
    status = case.statuses[0][1]
    runs: list[_Run] = []
    began: datetime | None = None  # start of the cycle that goes on; None when none does
    since: datetime | None = None  # start of the run that goes on; None while paused
    opened = False
    pending = _S.PENDING
    for at, what in case.events:
        if not opened and at >= start:
            opened = True
            if status not in _DONE:
                began, runs = start, []
                since = None if status == pending else start
        if what is _PUBLIC:
            if began is not None:
                if since is not None:
                    runs.append((since, at))
                cycles.append((runs, began, at, False))
                began, runs = at, []
                since = None if status == pending else at
            continue
        if what is _CUSTOMER:
            continue
        was_done = status in _DONE
        status = what  # type: ignore[assignment]
        if not opened:
            continue
        if status in _DONE:
            if began is not None:
                if since is not None:
                    runs.append((since, at))
                cycles.append((runs, began, at, False))
                began, since = None, None
        elif was_done:  # reopened: a new cycle
            began, runs = at, []
            since = None if status == pending else at
        elif status == pending:
            if since is not None:
                runs.append((since, at))
                since = None
        elif since is None and began is not None:
            since = at
    if not opened and status not in _DONE:  # nothing happened since the start
        began, runs = start, []
        since = None if status == pending else start
    if began is not None:
        if since is not None:
            runs.append((since, case.now))
        cycles.append((runs, began, None, since is not None))
    return cycles


def _cumulative(case: _Case, running: frozenset[CaseStatus]) -> list[_Cycle]:
    """One cycle over the case's life: runs while in ``running``, fulfilled while done."""
    runs: list[_Run] = []
    since: datetime | None = None  # start of the run that goes on
    done_at: datetime | None = None
    for at, status in case.statuses:
        if status in running:
            if since is None:
                since = at
        elif since is not None:
            runs.append((since, at))
            since = None
        if status in _DONE:
            if done_at is None:
                done_at = at
        else:
            done_at = None
    if since is not None:
        runs.append((since, case.now))
        return [(runs, case.created_at, None, True)]
    return [(runs, case.created_at, done_at, False)]


def _requester_wait(case: _Case) -> list[_Cycle]:
    return _cumulative(case, _REQUESTER_WAIT)


def _agent_work(case: _Case) -> list[_Cycle]:
    return _cumulative(case, _AGENT_WORK)


def _resolution(case: _Case) -> list[_Cycle]:
    return _cumulative(case, _NOT_DONE)


_SPANS: dict[Metric, Callable[[_Case], list[_Span]]] = {
    Metric.FIRST_REPLY: _first_reply,
    Metric.NEXT_REPLY: _next_reply,
    Metric.PERIODIC_UPDATE: _periodic,
}
_CYCLES: dict[Metric, Callable[[_Case], list[_Cycle]]] = {
    Metric.PAUSABLE_UPDATE: _pausable,
    Metric.REQUESTER_WAIT: _requester_wait,
    Metric.AGENT_WORK: _agent_work,
    Metric.RESOLUTION: _resolution,
}


# -- clocks on a calendar ---------------------------------------------------------------------


def _open(opens: dict[datetime, timedelta], cal: BusinessCalendar, moment: datetime) -> timedelta:
    value = opens.get(moment)
    if value is None:
        value = opens[moment] = cal._open_at(moment)
    return value


def _run_clock(
    runs: list[_Run],
    target: timedelta,
    cal: BusinessCalendar | None,
    opens: dict[datetime, timedelta],
) -> tuple[timedelta, datetime | None, datetime | timedelta | None]:
    """(time used, breach instant or None, due of the last run on the open axis).

    ``cal`` is None for calendar hours: the open axis is time itself. For business hours
    ``opens`` caches the calendar's open time of each instant (the same instants recur).
    A clock breaches when it still runs after the earliest instant its used time reaches the
    target.
    """
    used = _ZERO
    breach = None
    due_open = None
    if cal is None:
        for a, b in runs:
            due_open = a + (target - used)
            if breach is None and b > due_open:
                breach = due_open if due_open > a else a
            used += b - a
        return used, breach, due_open
    for a, b in runs:
        oa = opens.get(a)
        if oa is None:
            oa = opens[a] = cal._open_at(a)
        ob = opens.get(b)
        if ob is None:
            ob = opens[b] = cal._open_at(b)
        due_open = oa + (target - used)
        if breach is None and ob >= due_open:
            due = cal.time_at(due_open)
            if due < a:  # the target ran out before this run: it breaches when it resumes
                due = a
            if b > due:
                breach = due
        used += ob - oa
    return used, breach, due_open


def _span_breached(
    a: datetime,
    b: datetime,
    target: timedelta,
    cal: BusinessCalendar | None,
    opens: dict[datetime, timedelta],
) -> bool:
    """Whether a finished span breached (without finding the instant, when it can)."""
    if cal is None:
        return b - a > target
    due_open = _open(opens, cal, a) + target
    ob = _open(opens, cal, b)
    return ob > due_open or (ob == due_open and b > cal.time_at(due_open))


def compute(
    facts: CaseFacts,
    policy: SlaPolicy | None,
    calendars: Mapping[str, BusinessCalendar],
    now: datetime,
) -> list[MetricState]:
    """The state of each metric ``policy`` targets, at ``now``, in :class:`Metric` order.

    A metric that has not started (no next reply is due before the customer writes again)
    has no state; nor has a case created after ``now``, nor a case no policy matched.
    """
    if policy is None or facts.created_at > now:
        return []
    cal = None
    if policy.calendar is not None:
        try:
            cal = calendars[policy.calendar]
        except KeyError:
            raise ValueError(
                f"Policy {policy.name!r} uses calendar {policy.calendar!r}, which is not defined."
            ) from None
        if cal.always_open:
            cal = None
    case = _prepare(facts, now)
    opens: dict[datetime, timedelta] = {}
    out: list[MetricState] = []
    append = out.append
    spans_of, cycles_of = _SPANS, _CYCLES
    for metric, minutes, in_business_hours, target_td, risk_td in policy.plan:
        business = in_business_hours and cal is not None
        breaches = 0
        spans_fn = spans_of.get(metric)
        if spans_fn is not None:  # one run a cycle: inline
            spans = spans_fn(case)
            if not spans:
                continue
            if len(spans) > 1:
                for a, b in spans[:-1]:
                    if (
                        _span_breached(a, b, target_td, cal, opens)  # type: ignore[arg-type]
                        if business
                        else b - a > target_td  # type: ignore[operator]
                    ):
                        breaches += 1
            started_at, fulfilled_at = spans[-1]
            running = fulfilled_at is None
            end = now if running else fulfilled_at
            if business:
                oa = opens.get(started_at)
                if oa is None:
                    oa = opens[started_at] = cal._open_at(started_at)  # type: ignore[union-attr]
                ob = opens.get(end)  # type: ignore[arg-type]
                if ob is None:
                    ob = opens[end] = cal._open_at(end)  # type: ignore[union-attr,arg-type,index]
                used = ob - oa
                due_open = oa + target_td
                breach = None
                if ob >= due_open:
                    due = cal.time_at(due_open)  # type: ignore[union-attr]
                    if end > due:  # type: ignore[operator]
                        breach = due
            else:
                used = end - started_at  # type: ignore[operator]
                due_open = started_at + target_td
                breach = due_open if end > due_open else None  # type: ignore[operator]
        else:
            cycles = cycles_of[metric](case)
            if not cycles:
                continue
            clock_cal = cal if business else None
            for cycle in cycles[:-1]:
                if _run_clock(cycle[0], target_td, clock_cal, opens)[1] is not None:
                    breaches += 1
            runs, started_at, fulfilled_at, running = cycles[-1]
            used, breach, due_open = _run_clock(runs, target_td, clock_cal, opens)
        breached = breach is not None
        if breached:
            breaches += 1
        if running:
            if business:
                on = opens[now]  # the last run ends now
                due = breach or cal.time_at(due_open)  # type: ignore[union-attr,arg-type]
                state_cal = cal
            else:
                on = now
                due = breach or due_open
                state_cal = ALWAYS
            risk_open = due_open - risk_td  # type: ignore[operator]
            append(
                _new_state(
                    MetricState,
                    (
                        metric,
                        _ACTIVE,
                        due,
                        (due_open - on).total_seconds() / 60.0,  # type: ignore[operator]
                        breached,
                        not breached and on >= risk_open,
                        None,
                        started_at,
                        minutes,
                        in_business_hours,
                        breaches,
                        due_open,
                        risk_open,
                        state_cal,
                    ),
                )
            )
            continue
        if fulfilled_at is None:
            state, due = _PAUSED, None
        else:  # a business due time is found on demand (MetricState.due_at)
            state = _FULFILLED
            due = breach if breached or business else due_open
        append(
            _new_state(
                MetricState,
                (
                    metric,
                    state,
                    due,
                    (target_td - used).total_seconds() / 60.0,
                    breached,
                    False,
                    fulfilled_at,
                    started_at,
                    minutes,
                    in_business_hours,
                    breaches,
                    due_open,
                    None,
                    cal if business else ALWAYS,
                ),
            )
        )
    return out


def tick(states: Iterable[MetricState], now: datetime) -> list[MetricState]:
    """The same states at a later ``now`` with no new events: only active ones change.

    Cheap (no history): left, breached and at risk follow from the stored due times. Equal to
    :func:`compute` at ``now`` as long as nothing happened to the case in between.
    """
    out: list[MetricState] = []
    append = out.append
    for s in states:
        if s[1] is not _ACTIVE:
            append(s)
            continue
        cal = s[13]
        on = now if cal._always else cal.open_at(now)
        due_open = s[11]
        risk_open = s[12]
        breached = now > s[2]
        append(
            _new_state(
                MetricState,
                (
                    s[0],
                    _ACTIVE,
                    s[2],
                    (due_open - on).total_seconds() / 60.0,
                    breached,
                    not breached and on >= risk_open,
                    None,
                    s[7],
                    s[8],
                    s[9],
                    s[10] + 1 if breached and not s[4] else s[10],  # breaches: this one too
                    due_open,
                    risk_open,
                    cal,
                ),
            )
        )
    return out


def next_breach(states: Iterable[MetricState]) -> MetricState | None:
    """The active metric due first (the queue's SLA column and sort), or None."""
    best: MetricState | None = None
    for s in states:
        if s[1] is _ACTIVE and (best is None or s[2] < best[2]):
            best = s
    return best


class WatchNow(NamedTuple):
    """One case's SLA at an instant, as the queue's SLA column shows it."""

    metric: Metric  # the active metric due first
    due_at: datetime
    left_minutes: float
    breached: bool  # some active metric is past its due time
    at_risk: bool  # nothing breached, and some active metric is at risk


class Watch(NamedTuple):
    """One case's live SLA, ready for any ``now`` until the case changes: the active metric
    due first and the earliest instant any active metric turns at risk.

    The panel's tick: :func:`watch` once per case after :func:`compute`, then :meth:`at` on
    every tick (a comparison or two, and one calendar lookup shared by all cases).
    """

    metric: Metric
    due_at: datetime
    at_risk_at: datetime
    due_open: datetime | timedelta
    calendar: BusinessCalendar | None  # None for calendar hours

    def at(self, now: datetime) -> WatchNow:
        cal = self[4]
        due_at = self[1]
        breached = now > due_at
        return _new_state(
            WatchNow,
            (
                self[0],
                due_at,
                (self[3] - (now if cal is None else cal.open_at(now))).total_seconds() / 60.0,
                breached,
                not breached and now >= self[2],
            ),
        )


def watch(states: Iterable[MetricState]) -> Watch | None:
    """The :class:`Watch` of a case's states, or None when no metric is active."""
    first: MetricState | None = None
    risk_at: datetime | None = None
    for s in states:
        if s.state is not _ACTIVE:
            continue
        if first is None or s.due < first.due:  # type: ignore[operator]
            first = s
        at = s.at_risk_at
        if risk_at is None or at < risk_at:  # type: ignore[operator]
            risk_at = at
    if first is None:
        return None
    cal = None if first.calendar.always_open else first.calendar
    return Watch(first.metric, first.due, risk_at, first.due_open, cal)  # type: ignore[arg-type]


class SlaBook:
    """Calendars and policies together, with the policy lookup cached per kind of case."""

    def __init__(
        self, calendars: Mapping[str, BusinessCalendar], policies: Iterable[SlaPolicy]
    ) -> None:
        self.calendars = dict(calendars)
        self.policies = sorted(policies, key=lambda p: p.position)
        check_policies(self.calendars, self.policies)
        self._matched: dict[tuple[object, ...], SlaPolicy | None] = {}

    @classmethod
    def defaults(cls) -> SlaBook:
        return cls(default_calendars(), default_policies())

    def policy_for(self, facts: CaseFacts) -> SlaPolicy | None:
        key = (facts.priority, facts.tier, facts.queue, facts.channel)
        try:
            return self._matched[key]
        except KeyError:
            policy = self._matched[key] = first_matching(self.policies, facts)
            return policy

    def compute(self, facts: CaseFacts, now: datetime) -> list[MetricState]:
        """The metric states of one case at ``now`` (see :func:`compute`)."""
        return compute(facts, self.policy_for(facts), self.calendars, now)

    def compute_many(self, cases: Iterable[CaseFacts], now: datetime) -> list[list[MetricState]]:
        """The metric states of many cases at ``now``, in order: the bulk path (a desk's
        start, a server's report).

        The cyclic garbage collector is paused meanwhile: the engine makes no reference
        cycles, and scanning the growing result over and over would add about a third to
        the time. It runs again (if it ran before) when this returns or raises.
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            policy_for, calendars = self.policy_for, self.calendars
            return [compute(facts, policy_for(facts), calendars, now) for facts in cases]
        finally:
            if was_enabled:
                gc.enable()


# -- helpers for the desk ---------------------------------------------------------------------

_STATUS_LINE = re.compile(r"Status: ([a-z ]+?) → ([a-z ]+?)(?: ·|$)")
_BY_LABEL = {s.label: s for s in CaseStatus}


def status_line(old: CaseStatus, new: CaseStatus) -> str:
    """The audit line of a status change (``Status: open → pending``), as the case server
    writes it in its EVENT messages (alone, or first of several changes joined by `` · ``)
    and as :func:`status_history` reads it back. The seed writes the same line."""
    return f"Status: {CaseStatus(old).label} → {CaseStatus(new).label}"


def status_history(
    created_at: datetime,
    current: CaseStatus,
    audit: Iterable[tuple[datetime, str]],
    updated_at: datetime | None = None,
) -> list[tuple[datetime, CaseStatus]]:
    """The status history from a case's audit lines (``Status: open → pending · ...``).

    ``audit`` is (time, body) of the case's event messages in time order. The creation status
    is the first change's old status, or ``current`` when the status never changed. With
    ``updated_at``, a history that does not end in ``current`` (a change made without an
    audit line, or one whose line has not arrived) gets ``current`` at that time.
    """
    history: list[tuple[datetime, CaseStatus]] = []
    for at, body in audit:
        match = _STATUS_LINE.search(body)
        if match is None:
            continue
        old, new = _BY_LABEL.get(match.group(1)), _BY_LABEL.get(match.group(2))
        if old is None or new is None:
            continue
        if not history:
            history.append((created_at, old))
        history.append((at, new))
    if not history:
        return [(created_at, current)]
    if updated_at is not None and history[-1][1] is not current:
        history.append((max(updated_at, history[-1][0]), current))
    return history


def data_age_text(synced_at: datetime | None, now: datetime) -> str:
    """How old the data behind the SLA figures is, for the panel's header."""
    if synced_at is None:
        return "SLA from local data only (never synced)"
    minutes = int((now - synced_at).total_seconds() // 60)
    if minutes < 1:
        return "SLA from data synced just now"
    if minutes < 120:
        return f"SLA from data {minutes} min old"
    hours = minutes // 60
    if hours < 48:
        return f"SLA from data {hours} h old"
    return f"SLA from data {hours // 24} days old"
