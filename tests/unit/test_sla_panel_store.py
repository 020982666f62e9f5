"""What the SLA panel reads from a desk's store (``store.kpi``, ``Desk.sla_panel``), on the
hand-countable triage store of ``tests/triage_support.py``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from csm_tui.desk import Desk
from csm_tui.domain.enums import CaseStatus
from csm_tui.domain.escalation import ESCALATION_PREFIX
from csm_tui.domain.models import Message, SurveyAnswer
from csm_tui.domain.sla import status_line
from csm_tui.sla_panel_data import NOT_A_LEAD, NOT_SIGNED_IN, load_panel, panel_refusal
from csm_tui.store import kpi as kpi_store
from tests.triage_support import NOW, build, clock, pull, rows_of, sign_in

WINDOW_START = NOW - timedelta(days=13, hours=9)  # 7 November, 00:00 UTC


def event(i: int, case_id: str, body: str, at_: timedelta) -> Message:
    return Message(id=f"e{i}", case_id=case_id, kind="event", body=body, created_at=NOW - at_)


EXTRA = [
    # c4 (solved) was solved 45 minutes ago, after a reopen
    event(1, "c4", status_line(CaseStatus.NEW, CaseStatus.OPEN), timedelta(hours=25)),
    event(2, "c4", status_line(CaseStatus.OPEN, CaseStatus.SOLVED), timedelta(hours=20)),
    event(3, "c4", status_line(CaseStatus.SOLVED, CaseStatus.OPEN), timedelta(hours=2)),
    event(4, "c4", status_line(CaseStatus.OPEN, CaseStatus.SOLVED), timedelta(minutes=45)),
    # escalations: two in the last 24 hours, one older, one that only looks like one
    event(5, "c1", ESCALATION_PREFIX + "first reply breached; normal → urgent", timedelta(hours=2)),
    event(6, "c2", ESCALATION_PREFIX + "resolution at risk; lead notified", timedelta(minutes=10)),
    event(7, "c3", ESCALATION_PREFIX + "next reply breached", timedelta(hours=30)),
    event(8, "c6", "sla escalation: [bold]not[/bold] one", timedelta(hours=1)),
    SurveyAnswer(id="s1", case_id="c4", rating=5, answered_at=NOW - timedelta(minutes=20)),
    SurveyAnswer(id="s2", case_id="c4", rating=2, answered_at=NOW - timedelta(days=3)),
    SurveyAnswer(id="s3", case_id="c5", rating=4, answered_at=NOW - timedelta(days=15)),
]  # fmt: skip


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    path = build(tmp_path / "store.sqlite3")
    desk = Desk.open(path, clock=clock)
    pull(desk, rows_of(*EXTRA), cursor="d.30")
    yield desk
    desk.close()


def test_the_kpi_facts_of_the_window(desk: Desk):
    facts = kpi_store.kpi_facts(desk.reader, WINDOW_START)
    by_created = {c.created_at: c for c in facts.cases}
    # c5 (closed, last updated 15 days ago) is not in the window, and was solved before it;
    # every other case was updated in it.
    assert len(facts.cases) == 5
    assert facts.open_before == 0  # c5 was the only case from before the window
    c3 = by_created[NOW - timedelta(days=10)]
    assert (c3.reply_from, c3.first_reply_at) == (NOW - timedelta(days=10), NOW - timedelta(days=9))
    assert c3.solved_at is None
    c4 = by_created[NOW - timedelta(days=1, hours=2)]
    assert c4.solved_at == NOW - timedelta(minutes=45)  # the last solve, not the first
    assert c4.first_reply_at is None
    c2 = by_created[NOW - timedelta(days=2)]
    assert (c2.first_reply_at, c2.solved_at) == (None, None)
    assert sorted(facts.answers) == [(NOW - timedelta(days=3), 2), (NOW - timedelta(minutes=20), 5)]


def test_a_solved_case_without_status_events_is_solved_at_its_last_update(tmp_path: Path):
    desk = Desk.open(build(tmp_path / "plain.sqlite3"), clock=clock)
    try:
        facts = kpi_store.kpi_facts(desk.reader, WINDOW_START)
        [c4] = [c for c in facts.cases if c.solved_at is not None]
        assert c4.solved_at == NOW - timedelta(minutes=30)
    finally:
        desk.close()


def test_a_case_solved_before_the_window_and_updated_in_it_is_not_open_at_its_start(
    desk: Desk,
):
    with sqlite3.connect(desk.store_path) as conn:
        conn.execute(
            "UPDATE \"case\" SET updated_at = ? WHERE id = 'c5'",
            ((NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S.%f"),),
        )
    pull(
        desk,
        rows_of(
            event(9, "c5", status_line(CaseStatus.OPEN, CaseStatus.CLOSED), timedelta(days=16))
        ),
    )
    facts = kpi_store.kpi_facts(desk.reader, WINDOW_START)
    [c5] = [c for c in facts.cases if c.created_at == NOW - timedelta(days=20)]
    assert c5.solved_at == NOW - timedelta(days=16)
    assert facts.open_before == 0


def test_a_reply_that_left_its_case_untouched_still_counts(desk: Desk):
    """The server writes a reply without touching its case: the case was last updated
    before the window, and still its first reply falls in it."""
    with sqlite3.connect(desk.store_path) as conn:
        conn.execute("UPDATE \"case\" SET status = 'open' WHERE id = 'c5'")
    reply = Message(
        id="m9", case_id="c5", kind="public", body="Sorry!", created_at=NOW - timedelta(hours=1)
    )
    pull(desk, rows_of(reply))
    facts = kpi_store.kpi_facts(desk.reader, WINDOW_START)
    [c5] = [c for c in facts.cases if c.created_at == NOW - timedelta(days=20)]
    assert (c5.first_reply_at, c5.solved_at) == (NOW - timedelta(hours=1), None)
    assert facts.open_before == 1  # c5, from before the window, is open


def test_escalations_of_the_last_day_newest_first(desk: Desk):
    rows = kpi_store.escalations(desk.reader, NOW - timedelta(hours=24))
    assert [(r.number, r.text) for r in rows] == [
        ("CS-10002", "resolution at risk; lead notified"),
        ("CS-10001", "first reply breached; normal → urgent"),
    ]
    assert rows[0].case_id == "c2" and rows[0].at == NOW - timedelta(minutes=10)


def test_the_panel_in_one_read(desk: Desk):
    data = load_panel(desk, NOW, UTC)
    board = data.board.at(NOW)
    assert board.open == 4  # c1 open, c2 new, c3 pending, c6 on hold
    lines = {line.queue.name: line for line in board.queues}
    assert (lines["Billing"].open, lines["Billing"].unassigned) == (2, 0)
    assert (lines["Cards & Fraud"].open, lines["Cards & Fraud"].unassigned) == (1, 1)
    assert lines["(no queue)"].open == 1
    agents = {line.agent.handle: line for line in board.agents}
    assert (agents["anna.schmidt"].open, agents["ben"].open) == (2, 1)
    assert data.me is not None and data.me.handle == "anna.schmidt"
    assert [e.number for e in data.escalations] == ["CS-10002", "CS-10001"]
    today = data.kpis.today
    # c4: created yesterday 07:00, solved (again) today 08:15
    assert (today.solved, today.resolution_median, today.resolution_rate) == (1, 1515.0, 1.0)
    assert data.kpis.week.frt_median is None
    assert data.kpis.days[4].frt_median == 24 * 60.0  # c3: customer on the 10th, reply the 11th
    assert today.csat == 1.0 and today.answers == 1
    assert today.backlog == 4
    assert data.synced_at == NOW
    assert data.loaded_at == NOW


def test_only_leads_and_admins_see_the_panel(tmp_path: Path):
    path = build(tmp_path / "store.sqlite3", signed_in=False)
    desk = Desk.open(path, clock=clock)
    try:
        assert panel_refusal(desk) == NOT_SIGNED_IN
        sign_in(path)
        assert panel_refusal(desk) == NOT_A_LEAD
        for role in ("lead", "admin"):
            with sqlite3.connect(path) as conn:
                conn.execute("UPDATE agent SET role = ? WHERE id = 'a-anna'", (role,))
            assert panel_refusal(desk) is None
    finally:
        desk.close()


def test_the_board_read_from_the_sla_index_counts_as_the_engine_does(desk: Desk):
    data = load_panel(desk, NOW, UTC)
    watches = desk.sla_watch([c.id for c in data.board.cases], NOW)
    assert any(w is not None for w in watches.values())
    for hours in (0, 1, 5, 30, 24 * 10):
        now = NOW + timedelta(hours=hours)
        states = [w.at(now) for w in watches.values() if w is not None]
        board = data.board.at(now)
        assert board.breached == sum(s.breached for s in states)
        assert board.at_risk == sum(s.at_risk for s in states)
