"""The SLA panel's board (``domain.sla_board``): its tick counts by bisection what
``Watch.at`` says case by case, and lists the next cases to breach."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

from csm_tui.domain.enums import CaseStatus, Channel, MessageKind, Priority, SupportTier
from csm_tui.domain.sla import CaseFacts, SlaBook, watch
from csm_tui.domain.sla_board import AgentInfo, BoardCase, QueueInfo, SlaBoard, due_first

NOW = datetime(2026, 11, 20, 9, 0)  # a Friday
QUEUES = [QueueInfo(f"q{i}", f"queue-{i}", f"Queue {i}") for i in range(4)]
AGENTS = [
    AgentInfo("a0", "anna", "Anna", "Frontline", 3, "lead"),
    AgentInfo("a1", "ben", "Ben", "Billing", 20, "agent"),
    AgentInfo("a2", "chloe", "Chloé", "Frontline", 20, "agent"),
    AgentInfo("a3", "paul", "Paul", "Ops", 0, "admin"),
]


def random_cases(rng: random.Random, n: int) -> list[BoardCase]:
    book = SlaBook.defaults()
    cases = []
    for i in range(n):
        created = NOW - timedelta(minutes=rng.randrange(60 * 24 * 6))
        statuses = [(created, CaseStatus.NEW)]
        messages = [(created, MessageKind.CUSTOMER)]
        if rng.random() < 0.5:
            reply = created + timedelta(minutes=rng.randrange(1, 600))
            if reply < NOW:
                statuses.append((reply, CaseStatus.OPEN))
                messages.append((reply, MessageKind.PUBLIC))
                if rng.random() < 0.3:
                    statuses.append((reply, CaseStatus.PENDING))
        facts = CaseFacts(
            created,
            statuses,
            messages,
            priority=rng.choice(list(Priority)),
            tier=rng.choice(list(SupportTier)),
            channel=rng.choice(list(Channel)),
        )
        cases.append(
            BoardCase(
                id=f"c{i}",
                number=f"CS-{10000 + i}",
                subject=f"Case {i}",
                priority=facts.priority.value,
                status=statuses[-1][1].value,
                queue_id=rng.choice([None, *(q.id for q in QUEUES), "q-gone"]),
                assignee_id=rng.choice([None, None, *(a.id for a in AGENTS)]),
                watch=watch(book.compute(facts, NOW)),
            )
        )
    return cases


def brute_force(cases: list[BoardCase], now: datetime, key: str) -> dict[object, tuple[int, int]]:
    counts: dict[object, tuple[int, int]] = {}
    for case in cases:
        group = getattr(case, key)
        if key == "assignee_id" and group is None:
            continue
        risk, breached = counts.get(group, (0, 0))
        if case.watch is not None:
            state = case.watch.at(now)
            risk += state.at_risk
            breached += state.breached
        counts[group] = (risk, breached)
    return counts


def test_the_tick_counts_what_watch_at_says_case_by_case():
    rng = random.Random(8)
    cases = random_cases(rng, 600)
    assert any(c.watch is None for c in cases) and any(c.watch for c in cases)
    board = SlaBoard(cases, QUEUES, AGENTS)
    for minutes in (0, 7, 45, 90, 60 * 5, 60 * 26, 60 * 24 * 4):
        now = NOW + timedelta(minutes=minutes)
        at = board.at(now)
        queues = brute_force(cases, now, "queue_id")
        for line in at.queues:
            assert (line.at_risk, line.breached) == queues.get(line.queue.id, (0, 0))
            assert line.open == sum(1 for c in cases if c.queue_id == line.queue.id)
            assert line.unassigned == sum(
                1 for c in cases if c.queue_id == line.queue.id and c.assignee_id is None
            )
        agents = brute_force(cases, now, "assignee_id")
        assert {line.agent.id for line in at.agents} == {"a0", "a1", "a2", "a3"}
        for line in at.agents:
            assert (line.at_risk, line.breached) == agents.get(line.agent.id, (0, 0))
        states = [c.watch.at(now) for c in cases if c.watch is not None]
        assert at.breached == sum(s.breached for s in states)
        assert at.at_risk == sum(s.at_risk for s in states)
        assert at.open == len(cases)
        # the next to breach: not breached yet, the one due first first
        waiting = sorted(
            (c for c in cases if c.watch is not None and not c.watch.at(now).breached),
            key=lambda c: (c.watch.due_at, c.number),  # type: ignore[union-attr]
        )
        assert [cd.case.id for cd in at.next] == [c.id for c in waiting[:20]]
        assert all(cd.now == cd.case.watch.at(now) for cd in at.next)  # type: ignore[union-attr]


def test_lines_for_every_queue_unknown_queues_and_the_cases_without_one():
    cases = [
        BoardCase("c1", "CS-1", "", "normal", "open", "q1", "a1", None),
        BoardCase("c2", "CS-2", "", "normal", "new", None, None, None),
        BoardCase("c3", "CS-3", "", "normal", "new", "q-gone", None, None),
    ]
    board = SlaBoard(cases, QUEUES, AGENTS, first_team="Frontline")
    at = board.at(NOW)
    assert [(q.queue.name, q.open, q.unassigned) for q in at.queues] == [
        ("Queue 0", 0, 0),
        ("Queue 1", 1, 0),
        ("Queue 2", 0, 0),
        ("Queue 3", 0, 0),
        ("(no queue)", 1, 1),
        ("q-gone", 1, 1),
    ]
    # the lead's team first; an admin without open cases is left out
    assert [a.agent.handle for a in at.agents] == ["anna", "chloe", "ben"]
    assert at.next == ()
    assert board.queues[None].name == "(no queue)"
    assert board.agents["a1"].handle == "ben"


def test_an_agent_over_capacity():
    cases = [
        BoardCase(f"c{i}", f"CS-{i}", "", "normal", "open", "q0", "a0", None) for i in range(4)
    ]
    [anna, *_] = SlaBoard(cases, QUEUES, AGENTS).at(NOW).agents
    assert (anna.open, anna.agent.capacity, anna.over_capacity) == (4, 3, True)


def test_index_instants_count_alike_and_the_countdown_says_when_it_runs_short():
    rng = random.Random(3)
    cases = random_cases(rng, 300)
    # as read from the store's SLA index: the instants only, a watch for the 5 due first
    head = set(due_first(cases, NOW, 5))
    assert len(head) == 5
    indexed = [
        c
        if c.id in head
        else replace(
            c,
            watch=None,
            due_at=c.watch.due_at if c.watch else None,
            at_risk_at=c.watch.at_risk_at if c.watch else None,
        )
        for c in cases
    ]
    full, light = (
        SlaBoard(cases, QUEUES, AGENTS, next_limit=5),
        SlaBoard(indexed, QUEUES, AGENTS, next_limit=5),
    )
    for minutes in (0, 30, 60 * 8):
        now = NOW + timedelta(minutes=minutes)
        a, b = full.at(now), light.at(now)
        assert (a.queues, a.agents) == (b.queues, b.agents)
        assert (a.open, a.at_risk, a.breached) == (b.open, b.at_risk, b.breached)
        if minutes == 0:
            assert [c.case.id for c in b.next] == [c.case.id for c in a.next]
            assert not b.short
    # later the first five have breached: the countdown needs watches it does not have
    assert light.at(NOW + timedelta(minutes=60 * 8)).short
    assert not full.at(NOW + timedelta(minutes=60 * 8)).short
