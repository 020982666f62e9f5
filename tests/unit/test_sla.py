"""The SLA engine on worked examples, with the expected times worked out by hand.

Times are naive UTC; comments give the local wall time of the ``de-business`` calendar
(Mon-Fri 08:00-18:00 Europe/Berlin, German holidays): CET = UTC+1, CEST = UTC+2.
At-risk threshold (policy defaults): min(max(25% of the target, 30 min), half the target).
"""

from __future__ import annotations

import gc
from datetime import datetime, timedelta

import pytest

from csm_tui.domain.enums import CaseStatus, Channel, MessageKind, Priority, SupportTier
from csm_tui.domain.sla import (
    CaseFacts,
    Clock,
    Metric,
    MetricState,
    SlaBook,
    SlaMatch,
    SlaPolicy,
    Target,
    compute,
    data_age_text,
    default_calendars,
    first_matching,
    next_breach,
    status_history,
    tick,
    watch,
)

D = datetime
S = CaseStatus
K = MessageKind
M = Metric
CALENDARS = default_calendars()


def policy(business: bool = True, **minutes: int) -> SlaPolicy:
    targets = {Metric(name): Target(value, business) for name, value in minutes.items()}
    return SlaPolicy("test", 1, targets, calendar="de-business")


def state(facts: CaseFacts, pol: SlaPolicy, now: datetime, metric: Metric) -> MetricState:
    (found,) = [s for s in compute(facts, pol, CALENDARS, now) if s.metric is metric]
    return found


def case(
    created: datetime,
    statuses: list[tuple[datetime, CaseStatus]] | None = None,
    messages: list[tuple[datetime, MessageKind]] | None = None,
) -> CaseFacts:
    return CaseFacts(
        created,
        statuses or [(created, S.NEW)],
        [(created, K.CUSTOMER)] if messages is None else messages,
    )


# -- first reply across a weekend ------------------------------------------------------------


def test_first_reply_across_a_weekend() -> None:
    # The customer writes on Friday 9 January 2026 17:30 CET (16:30 UTC). 120 business
    # minutes: 30 on Friday, 90 on Monday 12 January 08:00-09:30 CET: due 08:30 UTC.
    facts = case(D(2026, 1, 9, 16, 30))
    pol = policy(first_reply=120)
    saturday = state(facts, pol, D(2026, 1, 10, 12, 0), M.FIRST_REPLY)
    assert saturday.state is Clock.ACTIVE
    assert saturday.due_at == D(2026, 1, 12, 8, 30)
    assert saturday.left_minutes == 90  # the weekend costs nothing
    assert not saturday.breached and not saturday.at_risk
    assert saturday.started_at == D(2026, 1, 9, 16, 30)
    # Monday 09:00 CET: 30 minutes left = the at-risk threshold (min(max(30, 30), 60)).
    monday = state(facts, pol, D(2026, 1, 12, 8, 0), M.FIRST_REPLY)
    assert (monday.left_minutes, monday.at_risk, monday.breached) == (30, True, False)
    # One minute past due: breached, one minute over.
    late = state(facts, pol, D(2026, 1, 12, 8, 31), M.FIRST_REPLY)
    assert (late.left_minutes, late.breached, late.at_risk) == (-1, True, False)
    # The agent replies on Monday 09:10 CET (08:10 UTC): fulfilled with 20 minutes to spare.
    replied = CaseFacts(
        facts.created_at,
        facts.statuses,
        [(D(2026, 1, 9, 16, 30), K.CUSTOMER), (D(2026, 1, 12, 8, 10), K.PUBLIC)],
    )
    done = state(replied, pol, D(2026, 1, 13, 12, 0), M.FIRST_REPLY)
    assert done.state is Clock.FULFILLED
    assert done.fulfilled_at == D(2026, 1, 12, 8, 10)
    assert done.due_at == D(2026, 1, 12, 8, 30)
    assert (done.left_minutes, done.breached) == (20, False)


def test_due_at_the_end_of_friday_breaches_on_friday_evening() -> None:
    # 30 business minutes from Friday 17:30 CET run out at 18:00 CET (17:00 UTC). At 18:30 CET
    # no business minute passed since, but the customer waits past the due time: breached.
    facts = case(D(2026, 1, 9, 16, 30))
    pol = policy(first_reply=30)
    evening = state(facts, pol, D(2026, 1, 9, 17, 30), M.FIRST_REPLY)
    assert evening.due_at == D(2026, 1, 9, 17, 0)
    assert (evening.breached, evening.left_minutes) == (True, 0)
    at_due = state(facts, pol, D(2026, 1, 9, 17, 0), M.FIRST_REPLY)
    assert not at_due.breached  # at the due instant the time has not run out yet
    # Replied on Monday 08:05 CET (07:05 UTC): fulfilled, breached for good, 5 minutes over.
    replied = CaseFacts(
        facts.created_at,
        facts.statuses,
        [(D(2026, 1, 9, 16, 30), K.CUSTOMER), (D(2026, 1, 12, 7, 5), K.PUBLIC)],
    )
    done = state(replied, pol, D(2026, 1, 20, 0, 0), M.FIRST_REPLY)
    assert (done.state, done.breached, done.left_minutes) == (Clock.FULFILLED, True, -5)
    assert done.due_at == D(2026, 1, 9, 17, 0)
    assert done.breaches == 1


# -- a holiday and the DST changes -----------------------------------------------------------


def test_next_reply_across_easter() -> None:
    # First reply on Thursday 2 April 2026; the customer writes back at 17:00 CEST (15:00
    # UTC). 120 business minutes: 60 on Thursday, Good Friday and Easter Monday are
    # holidays, 60 on Tuesday 7 April 08:00-09:00 CEST: due 07:00 UTC.
    created = D(2026, 4, 2, 8, 0)
    facts = case(
        created,
        [(created, S.NEW), (D(2026, 4, 2, 9, 0), S.OPEN)],
        [
            (created, K.CUSTOMER),
            (D(2026, 4, 2, 9, 0), K.PUBLIC),
            (D(2026, 4, 2, 15, 0), K.CUSTOMER),
        ],
    )
    nxt = state(facts, policy(next_reply=120), D(2026, 4, 6, 12, 0), M.NEXT_REPLY)
    assert nxt.started_at == D(2026, 4, 2, 15, 0)
    assert nxt.due_at == D(2026, 4, 7, 7, 0)
    assert nxt.left_minutes == 60


@pytest.mark.parametrize(
    ("created", "business", "due"),
    [
        # Friday 27 March 2026 16:00 CET (15:00 UTC) + 180: Friday until 18:00 CET (17:00
        # UTC), then Monday 30 March 08:00-09:00 CEST = 06:00-07:00 UTC.
        (D(2026, 3, 27, 15, 0), True, D(2026, 3, 30, 7, 0)),
        # The same in calendar hours: three hours later.
        (D(2026, 3, 27, 15, 0), False, D(2026, 3, 27, 18, 0)),
        # Friday 23 October 2026 16:00 CEST (14:00 UTC) + 180: Friday until 18:00 CEST (16:00
        # UTC), then Monday 26 October 08:00-09:00 CET = 07:00-08:00 UTC.
        (D(2026, 10, 23, 14, 0), True, D(2026, 10, 26, 8, 0)),
        # Calendar hours across the October change: 180 real minutes.
        (D(2026, 10, 24, 23, 0), False, D(2026, 10, 25, 2, 0)),
    ],
)
def test_requester_wait_across_the_dst_changes(
    created: datetime, business: bool, due: datetime
) -> None:
    facts = case(created)
    got = state(facts, policy(business, requester_wait=180), created, M.REQUESTER_WAIT)
    assert got.due_at == due
    assert got.left_minutes == 180


# -- pause and resume ------------------------------------------------------------------------

MON = D(2026, 1, 12, 8, 0)  # Monday 12 January 2026 09:00 CET


def _pending_case() -> CaseFacts:
    # New at 09:00 CET, the agent replies and opens it at 10:00 CET, asks back (pending) at
    # 11:00 CET; the customer answers on Tuesday 10:00 CET (09:00 UTC), which reopens it.
    return case(
        MON,
        [
            (MON, S.NEW),
            (D(2026, 1, 12, 9, 0), S.OPEN),
            (D(2026, 1, 12, 10, 0), S.PENDING),
            (D(2026, 1, 13, 9, 0), S.OPEN),
        ],
        [
            (MON, K.CUSTOMER),
            (D(2026, 1, 12, 9, 0), K.PUBLIC),
            (D(2026, 1, 12, 9, 30), K.INTERNAL),
            (D(2026, 1, 13, 9, 0), K.CUSTOMER),
        ],
    )


def test_requester_wait_pauses_in_pending_and_resumes() -> None:
    facts = _pending_case()
    pol = policy(requester_wait=240, agent_work=240)
    # Monday 16:00 CET: pending since 11:00 CET after 120 minutes (09:00-11:00 CET).
    paused = state(facts, pol, D(2026, 1, 12, 15, 0), M.REQUESTER_WAIT)
    assert (paused.state, paused.left_minutes, paused.due_at) == (Clock.PAUSED, 120, None)
    assert not paused.breached and not paused.at_risk
    # Tuesday 09:00 CET: still paused, still 120 left (the night and the morning cost nothing).
    assert state(facts, pol, D(2026, 1, 13, 8, 0), M.REQUESTER_WAIT) == paused
    # Tuesday 11:00 CET: running again since 10:00 CET, 60 more used: 60 left, due 12:00 CET
    # (11:00 UTC); at risk at 60 left (min(max(60, 30), 120)).
    active = state(facts, pol, D(2026, 1, 13, 10, 0), M.REQUESTER_WAIT)
    assert active.state is Clock.ACTIVE
    assert active.due_at == D(2026, 1, 13, 11, 0)
    assert (active.left_minutes, active.at_risk, active.breached) == (60, True, False)
    # Agent work counts new + open alike here (no on hold).
    work = state(facts, pol, D(2026, 1, 13, 10, 0), M.AGENT_WORK)
    assert (work.due_at, work.left_minutes) == (D(2026, 1, 13, 11, 0), 60)


def test_on_hold_pauses_agent_work_but_not_requester_wait() -> None:
    facts = case(MON, [(MON, S.OPEN), (D(2026, 1, 12, 9, 0), S.ON_HOLD)])
    pol = policy(requester_wait=240, agent_work=240)
    at = D(2026, 1, 12, 10, 0)  # 11:00 CET
    assert state(facts, pol, at, M.REQUESTER_WAIT).state is Clock.ACTIVE
    assert state(facts, pol, at, M.REQUESTER_WAIT).left_minutes == 120
    work = state(facts, pol, at, M.AGENT_WORK)
    assert (work.state, work.left_minutes) == (Clock.PAUSED, 180)


def test_updates_periodic_runs_through_pending_pausable_does_not() -> None:
    facts = _pending_case()
    pol = policy(periodic_update=240, pausable_update=240)
    at = D(2026, 1, 13, 10, 0)  # Tuesday 11:00 CET
    # Both restart at the public reply on Monday 10:00 CET (09:00 UTC). The periodic one runs
    # on through pending: 240 business minutes end Monday 14:00 CET (13:00 UTC).
    periodic = state(facts, pol, at, M.PERIODIC_UPDATE)
    assert periodic.started_at == D(2026, 1, 12, 9, 0)
    assert (periodic.state, periodic.breached) == (Clock.ACTIVE, True)
    assert periodic.due_at == D(2026, 1, 12, 13, 0)
    assert periodic.breaches == 1
    # The pausable one ran 60 minutes until pending, then 60 since Tuesday 10:00 CET: 120
    # left, due Tuesday 13:00 CET (12:00 UTC). Its first cycle (09:00-10:00 CET) was on time.
    pausable = state(facts, pol, at, M.PAUSABLE_UPDATE)
    assert pausable.state is Clock.ACTIVE
    assert (pausable.left_minutes, pausable.due_at) == (120, D(2026, 1, 13, 12, 0))
    assert (pausable.breached, pausable.breaches) == (False, 0)
    # While pending, it is paused with its time left.
    monday = state(facts, pol, D(2026, 1, 12, 15, 0), M.PAUSABLE_UPDATE)
    assert (monday.state, monday.left_minutes) == (Clock.PAUSED, 180)


# -- reopen after solved ---------------------------------------------------------------------


def test_reopen_after_solved_resumes_resolution_and_starts_a_next_reply() -> None:
    # Monday 09:00 CET new, replied and opened at 09:30 CET, solved at 13:00 CET (12:00 UTC):
    # 240 business minutes used. Wednesday 10:00 CET (09:00 UTC) the customer writes again,
    # which reopens the case; solved again at 15:00 CET (14:00 UTC).
    statuses = [
        (MON, S.NEW),
        (D(2026, 1, 12, 8, 30), S.OPEN),
        (D(2026, 1, 12, 12, 0), S.SOLVED),
        (D(2026, 1, 14, 9, 0), S.OPEN),
        (D(2026, 1, 14, 14, 0), S.SOLVED),
    ]
    messages = [
        (MON, K.CUSTOMER),
        (D(2026, 1, 12, 8, 30), K.PUBLIC),
        (D(2026, 1, 14, 9, 0), K.CUSTOMER),
    ]
    facts = case(MON, statuses, messages)
    pol = policy(first_reply=60, next_reply=120, resolution=600)

    # Monday 14:00 CET: fulfilled at the solve; its due time was 600 minutes from Monday
    # 09:00 CET: 540 on Monday, 60 on Tuesday = Tuesday 09:00 CET (08:00 UTC).
    solved = state(facts, pol, D(2026, 1, 12, 13, 0), M.RESOLUTION)
    assert (solved.state, solved.fulfilled_at) == (Clock.FULFILLED, D(2026, 1, 12, 12, 0))
    assert (solved.left_minutes, solved.breached) == (360, False)
    assert solved.due_at == D(2026, 1, 13, 8, 0)
    # Still fulfilled and unchanged on Tuesday (no next reply is due yet either).
    tuesday = compute(facts, pol, CALENDARS, D(2026, 1, 13, 12, 0))
    assert [s.metric for s in tuesday] == [M.FIRST_REPLY, M.RESOLUTION]
    assert tuesday[1] == solved

    # Wednesday 11:00 CET: reopened at 10:00 CET with 360 left, 60 used since: 300 left,
    # due 16:00 CET (15:00 UTC).
    reopened = state(facts, pol, D(2026, 1, 14, 10, 0), M.RESOLUTION)
    assert reopened.state is Clock.ACTIVE
    assert (reopened.left_minutes, reopened.due_at) == (300, D(2026, 1, 14, 15, 0))
    assert reopened.started_at == MON
    nxt = state(facts, pol, D(2026, 1, 14, 10, 0), M.NEXT_REPLY)
    assert (nxt.state, nxt.started_at, nxt.due_at) == (
        Clock.ACTIVE,
        D(2026, 1, 14, 9, 0),
        D(2026, 1, 14, 11, 0),
    )

    # Wednesday evening: solved again at 15:00 CET with 60 left. The next reply was never
    # sent: solving fulfils it, 180 minutes late.
    evening = D(2026, 1, 14, 18, 0)
    final = state(facts, pol, evening, M.RESOLUTION)
    assert (final.state, final.fulfilled_at, final.left_minutes) == (
        Clock.FULFILLED,
        D(2026, 1, 14, 14, 0),
        60,
    )
    nxt = state(facts, pol, evening, M.NEXT_REPLY)
    assert (nxt.state, nxt.breached, nxt.left_minutes) == (Clock.FULFILLED, True, -180)
    assert nxt.due_at == D(2026, 1, 14, 11, 0)
    first = state(facts, pol, evening, M.FIRST_REPLY)
    assert (first.fulfilled_at, first.left_minutes) == (D(2026, 1, 12, 8, 30), 30)


def test_closed_stays_fulfilled() -> None:
    facts = case(
        MON, [(MON, S.OPEN), (D(2026, 1, 12, 9, 0), S.SOLVED), (D(2026, 1, 16, 9, 0), S.CLOSED)]
    )
    got = state(facts, policy(resolution=600), D(2026, 2, 1), M.RESOLUTION)
    assert (got.state, got.fulfilled_at, got.left_minutes) == (
        Clock.FULFILLED,
        D(2026, 1, 12, 9, 0),
        540,
    )


# -- next reply ------------------------------------------------------------------------------


def test_next_reply_after_the_customer_writes_twice() -> None:
    # Calendar hours, 60 minutes. The customer writes at 09:00, the agent answers at 09:30,
    # the customer writes at 10:00 and again at 10:20; the agent answers at 11:10.
    day = D(2026, 1, 12)
    messages = [
        (day.replace(hour=9), K.CUSTOMER),
        (day.replace(hour=9, minute=30), K.PUBLIC),
        (day.replace(hour=10), K.CUSTOMER),
        (day.replace(hour=10, minute=20), K.CUSTOMER),
        (day.replace(hour=11, minute=10), K.PUBLIC),
    ]
    facts = case(day.replace(hour=9), [(day.replace(hour=9), S.OPEN)], messages)
    pol = policy(False, next_reply=60)
    # 10:50: the clock runs from the oldest unanswered message (10:00), not from 10:20.
    waiting = state(facts, pol, day.replace(hour=10, minute=50), M.NEXT_REPLY)
    assert waiting.started_at == day.replace(hour=10)
    assert waiting.due_at == day.replace(hour=11)
    assert (waiting.left_minutes, waiting.at_risk) == (10, True)  # threshold 30 of 60
    # 11:30: answered at 11:10, ten minutes late.
    late = state(facts, pol, day.replace(hour=11, minute=30), M.NEXT_REPLY)
    assert (late.state, late.fulfilled_at) == (Clock.FULFILLED, day.replace(hour=11, minute=10))
    assert (late.breached, late.left_minutes, late.due_at) == (True, -10, day.replace(hour=11))
    # A new cycle: the customer writes at 12:00, the agent answers at 12:30: on time, and the
    # late cycle before it still counts among the breaches.
    more = CaseFacts(
        facts.created_at,
        facts.statuses,
        [
            *messages,
            (day.replace(hour=12), K.CUSTOMER),
            (day.replace(hour=12, minute=30), K.PUBLIC),
        ],
    )
    again = state(more, pol, day.replace(hour=13), M.NEXT_REPLY)
    assert (again.started_at, again.breached, again.left_minutes) == (
        day.replace(hour=12),
        False,
        30,
    )
    assert again.breaches == 1


def test_no_next_reply_before_the_first_reply_or_after_a_solve() -> None:
    day = D(2026, 1, 12, 9, 0)
    facts = case(
        day, [(day, S.OPEN)], [(day, K.CUSTOMER), (day + timedelta(minutes=5), K.CUSTOMER)]
    )
    assert [
        s.metric for s in compute(facts, policy(next_reply=60), CALENDARS, day.replace(hour=12))
    ] == []
    # A customer message on a solved case that nobody reopened starts nothing.
    solved = case(
        day,
        [(day, S.OPEN), (day + timedelta(hours=1), S.SOLVED)],
        [
            (day, K.CUSTOMER),
            (day + timedelta(minutes=30), K.PUBLIC),
            (day + timedelta(hours=2), K.CUSTOMER),
        ],
    )
    assert compute(solved, policy(next_reply=60), CALENDARS, day.replace(hour=15)) == []


def test_first_reply_starts_at_creation_when_the_agent_speaks_first() -> None:
    day = D(2026, 1, 12, 9, 0)  # 10:00 CET
    facts = case(
        day,
        [(day, S.OPEN)],
        [(day + timedelta(minutes=10), K.PUBLIC), (day + timedelta(minutes=40), K.CUSTOMER)],
    )
    got = state(facts, policy(first_reply=60), day.replace(hour=12), M.FIRST_REPLY)
    assert (got.started_at, got.fulfilled_at, got.left_minutes) == (
        day,
        day + timedelta(minutes=10),
        50,
    )


def test_solving_without_a_reply_fulfils_the_first_reply() -> None:
    day = D(2026, 1, 12, 9, 0)
    facts = case(day, [(day, S.NEW), (day + timedelta(minutes=20), S.SOLVED)])
    got = state(facts, policy(first_reply=60), day.replace(hour=12), M.FIRST_REPLY)
    assert (got.state, got.fulfilled_at, got.left_minutes) == (
        Clock.FULFILLED,
        day + timedelta(minutes=20),
        40,
    )


def test_a_message_to_a_solved_case_that_nobody_reopened_starts_no_first_reply() -> None:
    day = D(2026, 1, 12, 9, 0)
    facts = case(day, [(day, S.SOLVED)], [(day + timedelta(hours=1), K.CUSTOMER)])
    got = state(facts, policy(first_reply=60), day.replace(hour=15), M.FIRST_REPLY)
    assert (got.state, got.fulfilled_at, got.left_minutes) == (
        Clock.FULFILLED,
        day + timedelta(hours=1),
        60,
    )


def test_events_after_now_do_not_count_yet() -> None:
    day = D(2026, 1, 12, 9, 0)
    facts = case(
        day,
        [(day, S.NEW), (day + timedelta(hours=1), S.OPEN)],
        [(day, K.CUSTOMER), (day + timedelta(hours=1), K.PUBLIC)],
    )
    early = state(facts, policy(first_reply=120), day + timedelta(minutes=30), M.FIRST_REPLY)
    assert (early.state, early.left_minutes) == (Clock.ACTIVE, 90)
    assert compute(facts, policy(first_reply=120), CALENDARS, day - timedelta(minutes=1)) == []


def test_plain_strings_and_unsorted_input_are_accepted() -> None:
    day = D(2026, 1, 12, 9, 0)
    facts = CaseFacts(
        day,
        [(day + timedelta(hours=1), "solved"), (day, "open")],  # type: ignore[list-item]
        [(day + timedelta(minutes=30), "public"), (day, "customer")],  # type: ignore[list-item]
    )
    assert facts.statuses == [(day, S.OPEN), (day + timedelta(hours=1), S.SOLVED)]
    got = state(facts, policy(first_reply=60), day.replace(hour=12), M.FIRST_REPLY)
    assert got.fulfilled_at == day + timedelta(minutes=30)


# -- the panel: next breach, tick, watch -----------------------------------------------------


def test_next_breach_tick_and_watch() -> None:
    facts = _pending_case()
    pol = policy(first_reply=600, requester_wait=240, resolution=1200)
    now = D(2026, 1, 13, 9, 30)  # Tuesday 10:30 CET
    states = compute(facts, pol, CALENDARS, now)
    first = next_breach(states)
    # Requester wait: 120 + 30 used, due at 12:00 CET (11:00 UTC); resolution runs through
    # pending: Monday 09:00-18:00 CET (540) + 90 on Tuesday = 630 used, due in 570 minutes.
    assert first is not None and first.metric is M.REQUESTER_WAIT
    assert first.due_at == D(2026, 1, 13, 11, 0)
    later = now + timedelta(minutes=45)
    assert tick(states, later) == compute(facts, pol, CALENDARS, later)
    w = watch(states)
    assert w is not None
    row = w.at(later)  # 11:15 CET: 45 minutes left, at risk since 60 were left
    assert (row.metric, row.due_at, row.left_minutes) == (M.REQUESTER_WAIT, first.due_at, 45)
    assert (row.breached, row.at_risk) == (False, True)
    assert w.at_risk_at == D(2026, 1, 13, 10, 0)
    after = w.at(D(2026, 1, 13, 11, 1))
    assert (after.breached, after.at_risk, after.left_minutes) == (True, False, -1)
    assert watch([s for s in states if s.state is not Clock.ACTIVE]) is None


# -- policies --------------------------------------------------------------------------------


def _facts(**kw: object) -> CaseFacts:
    return CaseFacts(D(2026, 1, 12), **kw)  # type: ignore[arg-type]


def test_the_first_matching_policy_applies() -> None:
    t = {M.FIRST_REPLY: Target(60, False)}
    urgent = SlaPolicy("urgent", 1, t, SlaMatch(priority=frozenset({Priority.URGENT})))
    chat_gold = SlaPolicy(
        "chat gold",
        2,
        t,
        SlaMatch(tier=frozenset({SupportTier.GOLD}), channel=frozenset({Channel.CHAT})),
    )
    billing = SlaPolicy("billing", 3, t, SlaMatch(queue=frozenset({"billing-de"})))
    rest = SlaPolicy("rest", 9, t)
    policies = [rest, billing, chat_gold, urgent]  # the position decides, not the list order
    pick = lambda **kw: first_matching(policies, _facts(**kw)).name  # noqa: E731
    assert pick(priority=Priority.URGENT, queue="billing-de") == "urgent"
    assert pick(tier=SupportTier.GOLD, channel=Channel.CHAT) == "chat gold"
    assert pick(tier=SupportTier.GOLD, channel=Channel.EMAIL, queue="billing-de") == "billing"
    assert pick(tier=None) == "rest"
    assert first_matching([billing], _facts()) is None


def test_default_policies_cover_every_case() -> None:
    book = SlaBook.defaults()
    assert book.policy_for(_facts(priority=Priority.URGENT)).name == "Urgent"
    assert book.policy_for(_facts(queue="cards-fraud")).name == "Cards and fraud"
    assert book.policy_for(_facts(tier=SupportTier.PLATINUM)).name == "Platinum"
    assert book.policy_for(_facts(channel=Channel.CHAT)).name == "Chat"
    assert book.policy_for(_facts(queue="billing-uk")).name == "Billing UK"
    assert book.policy_for(_facts(priority=Priority.LOW)).name == "Standard"
    states = book.compute(case(MON), MON + timedelta(hours=1))
    assert [s.metric for s in states] == [M.FIRST_REPLY, M.RESOLUTION]
    assert book.compute_many([case(MON)] * 2, MON + timedelta(hours=1)) == [states, states]


def test_compute_many_restores_the_garbage_collector() -> None:
    book = SlaBook.defaults()
    assert gc.isenabled()
    with pytest.raises(AttributeError):
        book.compute_many([case(MON), None], MON)  # type: ignore[list-item]
    assert gc.isenabled()
    gc.disable()
    try:
        book.compute_many([case(MON)], MON)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_policy_needs_a_known_calendar_for_business_hours() -> None:
    pol = SlaPolicy("x", 1, {M.FIRST_REPLY: Target(60)}, calendar="nowhere")
    with pytest.raises(ValueError, match="calendar 'nowhere'"):
        compute(case(MON), pol, CALENDARS, MON)
    with pytest.raises(ValueError, match="no calendar"):
        SlaPolicy("x", 1, {M.FIRST_REPLY: Target(60)})
    with pytest.raises(ValueError, match="at least one minute"):
        Target(0)


# -- helpers for the desk --------------------------------------------------------------------


def test_status_history_from_audit_lines() -> None:
    audit = [
        (D(2026, 1, 12, 9, 0), "Assignee: — → Ana"),
        (D(2026, 1, 12, 9, 5), "Status: new → open · Priority: normal → high"),
        (D(2026, 1, 12, 10, 0), "Status: open → on hold"),
        (D(2026, 1, 12, 11, 0), "Tags: +vip"),
        (D(2026, 1, 12, 12, 0), "Status: on hold → solved"),
    ]
    assert status_history(MON, S.SOLVED, audit) == [
        (MON, S.NEW),
        (D(2026, 1, 12, 9, 5), S.OPEN),
        (D(2026, 1, 12, 10, 0), S.ON_HOLD),
        (D(2026, 1, 12, 12, 0), S.SOLVED),
    ]
    assert status_history(MON, S.OPEN, []) == [(MON, S.OPEN)]


def test_data_age_text() -> None:
    now = D(2026, 1, 12, 12, 0)
    assert data_age_text(None, now) == "SLA from local data only (never synced)"
    assert data_age_text(now - timedelta(seconds=20), now) == "SLA from data synced just now"
    assert data_age_text(now - timedelta(minutes=12), now) == "SLA from data 12 min old"
    assert data_age_text(now - timedelta(hours=5), now) == "SLA from data 5 h old"
    assert data_age_text(now - timedelta(days=3), now) == "SLA from data 3 days old"
