"""SLA escalation rules (domain/escalation.py) and the server's scan (server/escalation.py),
on SQLite and PostgreSQL.

The clock: Wednesday 2026-11-25 14:00 UTC (15:00 in Berlin). With the default policies a
high-priority case has its first reply due 4 business hours (Europe/Berlin, 8-18 Mon-Fri)
after it was created, and an urgent one 1 calendar hour after, at risk for its last 30
minutes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from csm_tui.domain.enums import Priority
from csm_tui.domain.escalation import (
    ESCALATION_PREFIX,
    EscalationRule,
    default_escalations,
    escalations_from_toml,
    escalations_to_toml,
    outcome,
)
from csm_tui.domain.models import SLA_CONFIG_NAME, Case, Message, Queue, SlaConfig
from csm_tui.domain.sla import policies_from_toml
from csm_tui.domain.sla_calendar import default_calendars
from csm_tui.domain.sla_policy import Metric, default_policies, policies_to_toml
from csm_tui.server import mutations
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.escalation import ESCALATION_WINDOW, run_escalations
from csm_tui.server.tables import ChangeLog, EscalationLog

NOW = datetime(2026, 11, 25, 14, 0)

# -- the rules ------------------------------------------------------------------------------


def test_a_file_without_rules_gets_the_defaults_and_an_empty_list_turns_them_off() -> None:
    assert escalations_from_toml("") == default_escalations()
    assert escalations_from_toml("escalation = []") == []


def test_rules_round_trip_through_toml() -> None:
    rules = [
        *default_escalations(),
        EscalationRule(
            "billing-breach-moves",
            "breached",
            metrics=frozenset({Metric.FIRST_REPLY, Metric.NEXT_REPLY}),
            queues=frozenset({"billing"}),
            move_to_queue="escalations",
        ),
    ]
    assert escalations_from_toml(escalations_to_toml(rules)) == rules


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[escalation]]\nwhen = "late"\nnotify_lead = true', "when must be one of"),
        ('[[escalation]]\nwhen = "breached"', "does nothing"),
        ('[[escalation]]\nwhen = "breached"\nnotify_lead = "yes"', "true or false"),
        ('[[escalation]]\nwhen = "breached"\nnotify = true', "Unknown key 'notify'"),
        ('[[escalation]]\nwhen = "breached"\nmetrics = ["speed"]\nnotify_lead = true', "'speed'"),
        ("escalation = 3", "[[escalation]] table"),
        (
            '[[escalation]]\nname = "a"\nwhen = "breached"\nnotify_lead = true\n'
            '[[escalation]]\nname = "a"\nwhen = "at_risk"\nnotify_lead = true',
            "Two escalation rules are named 'a'",
        ),
    ],
)
def test_a_bad_rule_is_one_sentence_and_refuses_the_whole_sla_file(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("[", r"\[").replace("]", r"\]")):
        escalations_from_toml(text)
    # first: a key after the last [[policy]] table would belong to that policy
    sla_file = text + "\n" + policies_to_toml(default_calendars(), default_policies())
    with pytest.raises(ValueError, match=says.replace("[", r"\[").replace("]", r"\]")):
        policies_from_toml(sla_file)


def test_outcomes_say_what_changed() -> None:
    breach, _at_risk = default_escalations()
    raised = outcome(breach, Metric.FIRST_REPLY, Priority.HIGH, "billing")
    assert raised is not None and raised.fields == {"priority": "urgent"} and raised.notify
    assert raised.line == (
        f"{ESCALATION_PREFIX}first reply breached; priority high → urgent; team lead notified "
        "(rule breach-raises-priority)"
    )
    # already urgent: nothing to raise, but the leads still hear of it
    same = outcome(breach, Metric.RESOLUTION, Priority.URGENT, None)
    assert same is not None and same.fields == {}
    mover = EscalationRule("m", "breached", move_to_queue="escalations")
    moved = outcome(mover, Metric.FIRST_REPLY, Priority.LOW, "billing", {"billing": "DE Billing"})
    assert moved is not None and moved.fields == {"queue": "escalations"} and not moved.notify
    assert "queue DE Billing → escalations" in moved.line
    assert outcome(mover, Metric.FIRST_REPLY, Priority.LOW, "escalations") is None


# -- the server's scan ----------------------------------------------------------------------


@pytest.fixture
def engine(server_db_url: str, tmp_path: Path) -> Iterator[Engine]:
    (tmp_path / "server").mkdir(exist_ok=True)
    engine = make_engine(server_db_url)
    init_db(engine)
    with Session(engine) as session:
        for slug, name in (("billing", "DE Billing"), ("escalations", "Escalations")):
            mutations.create(session, Queue(id=f"q-{slug}", slug=slug, name=name))
        session.commit()
    yield engine
    engine.dispose()


def add_case(engine: Engine, case_id: str, priority: str, age: timedelta, **kw: object) -> None:
    created = NOW - age
    with Session(engine) as session:
        mutations.create(
            session,
            Case(
                id=case_id,
                number=f"CS-{case_id}",
                subject="Help",
                status=kw.pop("status", "new"),
                priority=priority,
                queue_id="q-billing",
                created_at=created,
                updated_at=created,
                **kw,  # type: ignore[arg-type]
            ),
        )
        session.commit()


def case_of(engine: Engine, case_id: str) -> Case:
    with Session(engine, expire_on_commit=False) as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def escalation_events(engine: Engine, case_id: str | None = None) -> list[str]:
    with Session(engine) as session:
        query = select(Message.body).where(col(Message.body).startswith(ESCALATION_PREFIX))
        if case_id is not None:
            query = query.where(Message.case_id == case_id)
        return list(session.exec(query).all())


def test_a_breach_raises_the_priority_once_and_says_so(engine: Engine) -> None:
    # high, created 10:00 Berlin: first reply due 14:00 Berlin (13:00 UTC), an hour ago
    add_case(engine, "late", "high", timedelta(hours=5))
    add_case(engine, "fine", "high", timedelta(minutes=30))
    report = run_escalations(engine, NOW)
    assert (report.checked, report.escalated, report.notified) == (2, 1, 1)
    assert case_of(engine, "late").priority == "urgent"
    assert case_of(engine, "fine").priority == "high"
    assert escalation_events(engine) == [
        f"{ESCALATION_PREFIX}first reply breached; priority high → urgent; team lead notified "
        "(rule breach-raises-priority)"
    ]
    # the change and the event are in the change log, so every desk pulls them
    with Session(engine) as session:
        logged = session.exec(select(ChangeLog.entity).where(ChangeLog.entity_id == "late")).all()
    assert logged.count("case") == 2  # created, then raised
    # once per metric and cycle: the next scan sees the urgent policy's targets, under which
    # the periodic update has breached too (its own event), but the first reply stays done
    run_escalations(engine, NOW + timedelta(minutes=5))
    events = escalation_events(engine, "late")
    assert [e for e in events if "first reply" in e] == events[:1]
    assert "periodic update breached" in events[1]
    assert run_escalations(engine, NOW + timedelta(minutes=10)).escalated == 0
    assert case_of(engine, "late").priority == "urgent"


def test_an_urgent_case_at_risk_notifies_the_leads_before_it_breaches(engine: Engine) -> None:
    add_case(engine, "soon", "urgent", timedelta(minutes=40))
    report = run_escalations(engine, NOW)
    assert (report.escalated, report.notified) == (1, 1)
    assert escalation_events(engine, "soon") == [
        f"{ESCALATION_PREFIX}first reply at risk; team lead notified (rule urgent-at-risk-notifies)"
    ]
    assert case_of(engine, "soon").priority == "urgent"
    # 30 minutes later it breaches: the breach rule acts on the same cycle, once
    later = run_escalations(engine, NOW + timedelta(minutes=30))
    assert later.escalated == 1
    assert len(escalation_events(engine, "soon")) == 2


def test_old_breaches_and_closed_cases_are_left_alone(engine: Engine) -> None:
    add_case(engine, "ancient", "high", ESCALATION_WINDOW + timedelta(days=2))
    add_case(engine, "done", "high", timedelta(hours=5), status="solved")
    assert run_escalations(engine, NOW).escalated == 0
    assert escalation_events(engine) == []


def test_rules_from_the_sla_file_move_the_queue(engine: Engine) -> None:
    text = (
        policies_to_toml(default_calendars(), default_policies())
        + '\n[[escalation]]\nname = "to-escalations"\nwhen = "breached"\n'
        'queues = ["billing"]\nmove_to_queue = "escalations"\n'
    )
    with Session(engine) as session:
        mutations.create(session, SlaConfig(id="sla", name=SLA_CONFIG_NAME, toml=text))
        session.commit()
    add_case(engine, "late", "high", timedelta(hours=5))
    assert run_escalations(engine, NOW).escalated == 1
    case = case_of(engine, "late")
    assert (case.queue_id, case.priority) == ("q-escalations", "high")
    assert escalation_events(engine) == [
        f"{ESCALATION_PREFIX}first reply breached; queue DE Billing → Escalations "
        "(rule to-escalations)"
    ]


def test_scans_racing_on_one_database_escalate_once(engine: Engine) -> None:
    for i in range(20):
        add_case(engine, f"late{i}", "high", timedelta(hours=5))
    results: list[int] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            results.append(run_escalations(engine, NOW).escalated)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=scan) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(results) == 20
    with Session(engine) as session:
        assert len(session.exec(select(EscalationLog)).all()) == 20
    assert len(escalation_events(engine)) == 20
    assert {case_of(engine, f"late{i}").priority for i in range(20)} == {"urgent"}


def test_leads_run_the_scan_through_the_route_and_agents_may_not(engine: Engine) -> None:
    from fastapi.testclient import TestClient

    from csm_tui.server.app import make_server_app
    from csm_tui.server.auth import add_agent, issue_token

    add_agent(engine, "lena.lead", "Lena Lead", role="lead")
    add_agent(engine, "anna.agent", "Anna Agent", role="agent")
    lead, agent = issue_token(engine, "lena.lead"), issue_token(engine, "anna.agent")
    add_case(engine, "late", "high", timedelta(hours=5))
    with TestClient(make_server_app(engine=engine, clock=lambda: NOW)) as client:
        refused = client.post(
            "/api/v1/escalations/run", headers={"Authorization": f"Bearer {agent}"}
        )
        assert refused.status_code == 403
        assert refused.json() == {"detail": "Only a team lead can run escalations."}
        assert escalation_events(engine) == []
        ran = client.post("/api/v1/escalations/run", headers={"Authorization": f"Bearer {lead}"})
        assert ran.status_code == 200
        assert ran.json() == {"checked": 1, "escalated": 1, "notified": 1}
    assert case_of(engine, "late").priority == "urgent"
