"""Demo data: deterministic, varied enough to exercise the desk, and written with its change
log so that desks already synced pull it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from csm_tui.domain.enums import AgentRole, CaseStatus, Channel, MessageKind, SupportTier
from csm_tui.domain.models import SLA_CONFIG_ID, SLA_CONFIG_NAME, Agent, Case, Message, to_wire
from csm_tui.domain.sla import (
    default_calendars,
    default_policies,
    policies_from_toml,
    status_history,
    status_line,
)
from csm_tui.domain.status import status_after_customer_reply
from csm_tui.server import seed as seed_module
from csm_tui.server.auth import add_agent
from csm_tui.server.changes import max_seq
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.seed import SeedError, generate, seed_database, touch_cases
from csm_tui.server.tables import ChangeLog

NOW = datetime(2025, 3, 14, 12, 0, 0)


@pytest.fixture(scope="module")
def data() -> seed_module.SeedData:
    return generate(400, seed=42, now=NOW)


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'seed.db'}")
    init_db(eng)
    yield eng
    eng.dispose()


def _dump(data: seed_module.SeedData) -> dict[str, list[dict]]:
    return {k: [to_wire(r) for r in rows] for k, rows in data.by_entity().items()}


def test_generate_is_deterministic():
    assert _dump(generate(50, seed=9, now=NOW)) == _dump(generate(50, seed=9, now=NOW))
    assert _dump(generate(50, seed=9, now=NOW)) != _dump(generate(50, seed=10, now=NOW))


def test_customers_speak_both_languages(data):
    languages = Counter(c.language for c in data.contacts)
    assert set(languages) == {"de", "en"}
    assert min(languages.values()) > len(data.contacts) * 0.3
    assert all(re.fullmatch(r"K-\d{7}", c.customer_number) for c in data.contacts)
    assert len({c.customer_number for c in data.contacts}) == len(data.contacts)
    assert all("@" in c.email and c.phone.startswith("+") for c in data.contacts)
    assert all(c.account_id for c in data.contacts)


def test_accounts_are_mostly_standard_tier(data):
    tiers = Counter(a.tier for a in data.accounts)
    assert set(tiers) == set(SupportTier)
    assert tiers[SupportTier.STANDARD] > len(data.accounts) / 2


def test_agents_queues_and_teams(data):
    assert len(data.agents) >= 20
    assert len(data.queues) >= 8
    assert len({q.slug for q in data.queues}) == len(data.queues)
    demo = next(a for a in data.agents if a.handle == "demo")
    assert (demo.name, demo.role, demo.team) == ("Demo Agent", AgentRole.AGENT, "Frontline")
    teams = {a.team for a in data.agents if a.role != AgentRole.ADMIN}
    assert len(teams) >= 4
    for team in teams:
        assert any(a.role == AgentRole.LEAD for a in data.agents if a.team == team), team
    assert sum(a.role == AgentRole.ADMIN for a in data.agents) == 1
    assert all(re.fullmatch(r"[a-z]+(\.[a-z]+)?", a.handle) for a in data.agents)


def test_cases_cover_channels_statuses_and_queues(data):
    assert {c.channel for c in data.cases} == set(Channel)
    assert {c.status for c in data.cases} == set(CaseStatus)
    statuses = Counter(c.status for c in data.cases)
    busy = statuses[CaseStatus.OPEN] + statuses[CaseStatus.NEW] + statuses[CaseStatus.PENDING]
    assert busy > len(data.cases) / 2
    priorities = Counter(c.priority for c in data.cases)
    assert priorities.most_common(1)[0][0] == "normal"
    assert len({c.queue_id for c in data.cases}) >= 8
    assert [c.number for c in data.cases] == [f"CS-{10001 + i}" for i in range(len(data.cases))]
    assert any(c.tags for c in data.cases)
    worked = [c for c in data.cases if c.status != CaseStatus.NEW]
    assert sum(c.assignee_id is not None for c in worked) > len(worked) * 0.8
    # Subjects follow the customer's language.
    language = {c.id: c.language for c in data.contacts}
    german = {c.subject for c in data.cases if language[c.contact_id] == "de"}
    english = {c.subject for c in data.cases if language[c.contact_id] == "en"}
    assert any("Rechnung" in s or "Karte" in s or "Bestellung" in s for s in german)
    assert any("invoice" in s.lower() or "card" in s.lower() or "order" in s for s in english)


def test_subject_pools_are_large(data):
    subjects = [s for topic in seed_module._TOPICS.values() for s in topic.subjects]
    assert len(subjects) >= 60


def test_timelines(data):
    by_case: dict[str, list[Message]] = {}
    for message in data.messages:
        by_case.setdefault(message.case_id, []).append(message)
    agents = {a.id for a in data.agents}
    assert set(by_case) == {c.id for c in data.cases}
    kinds = Counter(m.kind for m in data.messages)
    assert set(kinds) == set(MessageKind)
    for case in data.cases:
        timeline = by_case[case.id]
        # At most eight messages of the case itself, plus the events of up to two tasks.
        own = [m for m in timeline if not m.body.startswith("Task for ")]
        assert 2 <= len(own) <= 8, case.number
        assert len(timeline) - len(own) <= 4, case.number
        first = timeline[0]
        assert first.kind == MessageKind.CUSTOMER
        assert first.author_contact_id == case.contact_id and first.author_name
        assert first.created_at == case.created_at
        times = [m.created_at for m in timeline]
        assert times == sorted(times)
        assert NOW - timedelta(days=30) < case.created_at < case.updated_at <= NOW
        assert times[-1] <= NOW
        for message in timeline:
            assert message.body.strip()
            if message.kind in (MessageKind.PUBLIC, MessageKind.INTERNAL):
                assert message.author_agent_id in agents
    events = {m.body for m in data.messages if m.kind == MessageKind.EVENT}
    assert "Status: new → open" in events
    assert not any(e.startswith("Status changed") for e in events)
    assert any(e.startswith("Assigned to ") for e in events)


def test_status_events_are_the_servers_audit_lines_and_give_each_cases_history(data):
    """The SLA engine reads a case's status history from its events: on seeded cases the
    lines are the server's own (``status_line``), by an agent, and end in the case's status."""
    by_case: dict[str, list[Message]] = {}
    for message in data.messages:
        if message.kind == MessageKind.EVENT:
            by_case.setdefault(message.case_id, []).append(message)
    agents = {a.id: a.name for a in data.agents}
    moves = 0
    for case in data.cases:
        events = by_case.get(case.id, [])
        status_events = [m for m in events if m.body.startswith("Status: ")]
        for m in status_events:
            assert m.author_agent_id in agents and m.author_name == agents[m.author_agent_id]
        history = status_history(
            case.created_at, CaseStatus(case.status), [(m.created_at, m.body) for m in events]
        )
        assert history[0] == (case.created_at, CaseStatus.NEW), case.number
        assert history[-1][1] == case.status, case.number
        assert len(history) == 1 + len(status_events)
        moves += len(status_events)
    assert moves > len(data.cases)  # most cases moved at least once, many twice
    line = status_line(CaseStatus.OPEN, CaseStatus.ON_HOLD)
    assert line == "Status: open → on hold"
    assert any(m.body == line for m in data.messages)


def test_the_seed_carries_the_default_sla_configuration(data):
    (config,) = data.sla_configs
    assert (config.id, config.name) == (SLA_CONFIG_ID, SLA_CONFIG_NAME)
    calendars, policies = policies_from_toml(config.toml)
    assert [p.name for p in policies] == [p.name for p in default_policies()]
    assert set(calendars) == set(default_calendars())


def test_seed_database_writes_rows_and_change_log(engine: Engine):
    counts = seed_database(engine, 40, seed=1, now=NOW)
    assert counts["case"] == 40 and counts["message"] >= 80
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Case)).one() == 40
        log = Counter(e.entity for e in session.exec(select(ChangeLog)).all())
        case = session.exec(select(Case)).first()
        assert case is not None and isinstance(case.tags, list)
    assert dict(log) == counts
    with pytest.raises(SeedError):
        seed_database(engine, 5, now=NOW)


def test_seed_reuses_agents_that_already_exist(engine: Engine):
    demo = add_agent(engine, "demo", "Demo Agent", team="Frontline")
    seed_database(engine, 80, now=NOW)
    with Session(engine) as session:
        demos = session.exec(select(Agent).where(Agent.handle == "demo")).all()
        assigned = session.exec(select(Case).where(Case.assignee_id == demo.id)).all()
    assert [a.id for a in demos] == [demo.id]
    assert assigned, "cases of the demo agent point at the existing agent"


def test_touch_cases_logs_one_case_and_one_message_each(engine: Engine):
    seed_database(engine, 60, now=NOW)
    with Session(engine) as session:
        before = max_seq(session)
        old = {c.id: (c.status, c.priority, c.version) for c in session.exec(select(Case))}
    touched = touch_cases(engine, 10)
    assert len(touched) == len(set(touched)) == 10
    with Session(engine) as session:
        entries = session.exec(select(ChangeLog).where(ChangeLog.seq > before)).all()
        cases = {c.id: c for c in session.exec(select(Case).where(Case.id.in_(touched)))}
        replies = session.exec(
            select(Message).where(Message.case_id.in_(touched), Message.created_at > NOW)
        ).all()
    assert Counter(e.entity for e in entries) == {"case": 10, "message": 10}
    assert sorted(e.entity_id for e in entries if e.entity == "case") == sorted(touched)
    assert len(replies) == 10 and all(m.kind == MessageKind.CUSTOMER for m in replies)
    for case_id in touched:
        status, priority, version = old[case_id]
        case = cases[case_id]
        assert status != CaseStatus.CLOSED
        assert case.status == status_after_customer_reply(CaseStatus(status))
        assert case.status != status or case.priority != priority or priority == "urgent"
        assert case.version == version + 1


def test_the_macro_library_passes_the_domain_checks_and_its_uses_fit_the_cases(data):
    from csm_tui.domain.macros import Macro, action_from_dict, check_macro
    from csm_tui.domain.snippets import Snippet, check_snippet

    assert len(data.macros) >= 15 and len(data.snippets) >= 25
    assert {"Refund approved", "Karte gesperrt – Betrugsverdacht", "Ask for order number",
            "Close: solved by phone"} <= {m.name for m in data.macros}  # fmt: skip
    assert {"greet", "gruss", "thanks", "sig", "iban"} <= {s.shortcut for s in data.snippets}
    for row in data.macros:
        actions = tuple(action_from_dict(a) for a in row.actions)
        macro = Macro(row.id, row.name, actions, "shared", None, row.description)
        assert (row.scope, row.owner_agent_id, check_macro(macro)) == ("shared", None, [])
    for row in data.snippets:
        snippet = Snippet(row.id, row.shortcut, row.title, row.body, "shared", None)
        assert (row.scope, check_snippet(snippet)) == ("shared", [])
    assert len({s.shortcut for s in data.snippets}) == len(data.snippets)

    cases = {c.id: c for c in data.cases}
    queues = {q.id: q for q in data.queues}
    language = {c.id: c.language for c in data.contacts}
    specs = {
        seed_module.seed_library.library_id("macro", spec.key): spec
        for spec in seed_module.seed_library._MACROS
    }
    assert set(specs) == {m.id for m in data.macros}
    assert 40 <= len(data.macro_uses) <= 200  # 400 cases: a few hundred at the default 2000
    fits = 0
    for use in data.macro_uses:
        case = cases[use.case_id]
        spec = specs[use.macro_id]
        assert (use.agent_id, use.queue, use.tags, use.subject) == (
            case.assignee_id,
            queues[case.queue_id].slug,
            case.tags,
            case.subject,
        )
        assert case.created_at < use.created_at <= case.updated_at
        assert spec.lang == language[case.contact_id]
        fits += queues[case.queue_id].topic in spec.topics or bool(set(case.tags) & set(spec.tags))
    assert fits > len(data.macro_uses) * 0.7  # the suggestions have signal
