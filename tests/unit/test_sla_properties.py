"""Properties of the SLA engine and its calendars over generated case histories.

- time left only falls while a metric is active, and an active metric stays active while
  nothing happens;
- a paused metric does not move; a fulfilled one never changes, so it never breaches later;
- ``tick`` from earlier states equals a fresh ``compute``; a ``Watch`` agrees with both;
- events after ``now`` do not count;
- calendars: ``add`` and ``minutes_between`` undo each other, add up, and never count more
  than the elapsed time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csm_tui.domain.enums import CaseStatus, MessageKind
from csm_tui.domain.sla import (
    BusinessCalendar,
    CaseFacts,
    Clock,
    Metric,
    SlaPolicy,
    Target,
    compute,
    default_calendars,
    next_breach,
    tick,
    watch,
)
from csm_tui.domain.status import ALLOWED

CALENDARS = default_calendars()
LO, HI = datetime(2025, 6, 1), datetime(2027, 6, 1)

moments = st.datetimes(min_value=LO, max_value=HI)


@st.composite
def histories(draw: st.DrawFn) -> CaseFacts:
    """A case with a valid status history and messages, created at a random instant."""
    created = draw(moments)
    status = draw(st.sampled_from([CaseStatus.NEW, CaseStatus.NEW, CaseStatus.OPEN]))
    statuses = [(created, status)]
    messages: list[tuple[datetime, MessageKind]] = []
    if draw(st.booleans()):
        messages.append((created, MessageKind.CUSTOMER))
    at = created
    for _ in range(draw(st.integers(0, 12))):
        at += timedelta(minutes=draw(st.integers(0, 3000)), seconds=draw(st.integers(0, 59)))
        what = draw(st.sampled_from(["customer", "public", "internal", "status", "status"]))
        if what == "status":
            choices = sorted(ALLOWED[status])
            if not choices:
                continue
            status = draw(st.sampled_from(choices))
            statuses.append((at, status))
        else:
            messages.append((at, MessageKind(what)))
    return CaseFacts(created, statuses, messages)


@st.composite
def policies(draw: st.DrawFn) -> SlaPolicy:
    metrics = draw(st.lists(st.sampled_from(list(Metric)), min_size=1, max_size=7, unique=True))
    targets = {m: Target(draw(st.integers(1, 3000)), draw(st.booleans())) for m in metrics}
    calendar = draw(st.sampled_from(sorted(CALENDARS)))
    return SlaPolicy(
        "generated",
        1,
        targets,
        calendar=calendar,
        at_risk_fraction=draw(st.sampled_from([0.0, 0.1, 0.25, 0.5])),
        at_risk_minutes=draw(st.sampled_from([0, 5, 30, 120])),
    )


def _fresh() -> dict[str, BusinessCalendar]:
    """New calendar objects: their tables start wherever the first question lands."""
    return {n: BusinessCalendar(c.name, c.tz, c.weekly, c.holidays) for n, c in CALENDARS.items()}


def _last_event(facts: CaseFacts) -> datetime:
    return max(
        [facts.created_at, *(at for at, _ in facts.statuses), *(at for at, _ in facts.messages)]
    )


@settings(max_examples=300, deadline=None)
@given(
    histories(),
    policies(),
    st.integers(0, 5000),
    st.integers(0, 20000),
)
def test_clocks_move_only_while_active(
    facts: CaseFacts, policy: SlaPolicy, wait1: int, wait2: int
) -> None:
    now1 = _last_event(facts) + timedelta(minutes=wait1)
    now2 = now1 + timedelta(minutes=wait2)
    calendars = _fresh()
    before = compute(facts, policy, calendars, now1)
    after = compute(facts, policy, calendars, now2)
    assert [s.metric for s in before] == [s.metric for s in after]
    for s1, s2 in zip(before, after, strict=True):
        assert s1.left_minutes <= s1.target_minutes
        if s1.state is Clock.ACTIVE:
            # Time left only falls while active; a breach stays; the due time stays.
            assert s2.state is Clock.ACTIVE
            assert s2.left_minutes <= s1.left_minutes
            assert s2.due_at == s1.due_at
            assert s2.breached or not s1.breached
            assert s1.breached == (now1 > s1.due_at)
        else:
            # A paused metric does not move; a fulfilled one never breaches later.
            assert s2 == s1
            if s1.state is Clock.PAUSED:
                assert s1.due_at is None and not s1.at_risk
            else:
                assert s1.fulfilled_at is not None and s1.fulfilled_at <= now1
    # The cheap tick from the earlier states is exactly the fresh computation.
    assert tick(before, now2) == after
    # The panel's watch agrees with the metric states.
    w = watch(before)
    first = next_breach(after)
    if w is None:
        assert first is None
    else:
        row = w.at(now2)
        assert first is not None
        assert (row.metric, row.due_at, row.left_minutes) == (
            first.metric,
            first.due_at,
            first.left_minutes,
        )
        active = [s for s in after if s.state is Clock.ACTIVE]
        assert row.breached == any(s.breached for s in active)
        assert row.at_risk == (not row.breached and any(s.at_risk for s in active))


@settings(max_examples=200, deadline=None)
@given(histories(), policies(), st.integers(0, 40000))
def test_events_after_now_do_not_count(facts: CaseFacts, policy: SlaPolicy, minutes: int) -> None:
    now = facts.created_at + timedelta(minutes=minutes)
    seen = CaseFacts(
        facts.created_at,
        [e for e in facts.statuses if e[0] <= now],
        [e for e in facts.messages if e[0] <= now],
    )
    assert compute(facts, policy, _fresh(), now) == compute(seen, policy, _fresh(), now)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(CALENDARS)),
    moments,
    st.integers(1, 30000),
    st.integers(0, 30000),
)
def test_calendar_add_and_minutes_between_agree(
    name: str, start: datetime, minutes: int, more: int
) -> None:
    cal = CALENDARS[name]
    due = cal.add(start, minutes)
    assert due > start
    assert cal.minutes_between(start, due) == minutes
    # No earlier instant reaches it: one second before, fewer minutes are open.
    assert cal.minutes_between(start, due - timedelta(seconds=1)) < minutes
    later = cal.add(start, minutes + more)
    assert later >= due
    # Open time adds up and never exceeds the elapsed time.
    assert cal.minutes_between(start, later) == cal.minutes_between(
        start, due
    ) + cal.minutes_between(due, later)
    assert cal.minutes_between(start, later) <= (later - start).total_seconds() / 60


def _reference_minutes(cal: BusinessCalendar, a: datetime, b: datetime) -> float:
    """Open minutes in [a, b] the slow way: every local day, every span, clipped."""
    zone = ZoneInfo(cal.tz)
    total = 0.0
    day = (a - timedelta(days=2)).date()
    while day <= (b + timedelta(days=2)).date():
        if day not in cal.holidays:
            for start, end in cal.weekly[day.weekday()]:
                midnight = datetime(day.year, day.month, day.day)
                lo = (midnight + timedelta(minutes=start)).replace(tzinfo=zone).timestamp()
                hi = (midnight + timedelta(minutes=end)).replace(tzinfo=zone).timestamp()
                lo_dt = datetime(1970, 1, 1) + timedelta(seconds=lo)
                hi_dt = datetime(1970, 1, 1) + timedelta(seconds=hi)
                overlap = min(hi_dt, b) - max(lo_dt, a)
                if overlap > timedelta(0):
                    total += overlap.total_seconds() / 60
        day += timedelta(days=1)
    return total


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(CALENDARS)),
    st.lists(st.tuples(moments, st.integers(0, 60 * 24 * 40)), min_size=1, max_size=6),
)
def test_fresh_calendars_count_like_the_slow_way(
    name: str, pairs: list[tuple[datetime, int]]
) -> None:
    # A new calendar object each time: its table starts wherever the first question lands
    # and grows both ways as later questions come.
    template = CALENDARS[name]
    cal = BusinessCalendar(template.name, template.tz, template.weekly, template.holidays)
    for start, minutes in pairs:
        end = start + timedelta(minutes=minutes)
        assert cal.minutes_between(start, end) == pytest.approx(
            _reference_minutes(cal, start, end), abs=1e-6
        )
