"""Survey answers (CSAT): seeded for a share of the solved demo cases, sent to desks like any
replicated row, and never written by a desk."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from csm_tui.desk import Desk
from csm_tui.domain.enums import CaseStatus, MessageKind
from csm_tui.domain.sla import status_line
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.push import SURVEY_ANSWER_SERVER_ONLY
from csm_tui.server.seed import generate, seed_database
from csm_tui.store import kpi as kpi_store
from csm_tui.store.apply import apply_page
from csm_tui.sync import wire

NOW = datetime(2026, 11, 20, 9, 0)


@pytest.fixture(scope="module")
def data():
    return generate(600, seed=42, now=NOW)


def test_a_share_of_the_solved_cases_has_an_answer_after_its_solve(data):
    solved_line = status_line(CaseStatus.OPEN, CaseStatus.SOLVED)
    solves = {
        m.case_id: m.created_at
        for m in data.messages
        if m.kind == MessageKind.EVENT and m.body == solved_line
    }
    done = {c.id for c in data.cases if c.status in (CaseStatus.SOLVED, CaseStatus.CLOSED)}
    answers = data.survey_answers
    assert 0.2 * len(done) < len(answers) < 0.45 * len(done)
    assert len({a.case_id for a in answers}) == len(answers)  # one answer a case
    for answer in answers:
        assert answer.case_id in done
        assert solves[answer.case_id] < answer.answered_at < NOW
        assert answer.answered_at - solves[answer.case_id] <= timedelta(days=3)
    ratings = Counter(a.rating for a in answers)
    assert set(ratings) <= {1, 2, 3, 4, 5}
    satisfied = (ratings[4] + ratings[5]) / len(answers)
    assert 0.7 < satisfied < 0.9


def test_answers_come_from_their_own_generator(data):
    again = generate(600, seed=42, now=NOW)
    assert [(a.id, a.rating, a.answered_at) for a in again.survey_answers] == [
        (a.id, a.rating, a.answered_at) for a in data.survey_answers
    ]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    init_db(eng)
    seed_database(eng, 200, seed=3, now=NOW)
    yield eng
    eng.dispose()


@pytest.fixture
def http(engine: Engine) -> Iterator[TestClient]:
    token = issue_token(engine, "demo", label="tests")
    with TestClient(make_server_app(engine=engine)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def test_a_desk_pulls_the_answers_with_the_rest(http: TestClient, tmp_path: Path):
    desk = Desk.open(tmp_path / "desk.sqlite3", clock=lambda: NOW)
    try:
        cursor = None
        pulled = 0
        while True:
            reply = http.get("/api/v1/changes", params={"cursor": cursor} if cursor else {})
            assert reply.status_code == 200, reply.text
            page = wire.ChangesPage.model_validate(reply.json())
            pulled += sum(1 for row in page.rows if row.entity == "survey_answer")
            apply_page(desk.store, page, synced_at=NOW)
            cursor = page.cursor
            if not page.more:
                break
        assert pulled > 0
        facts = kpi_store.kpi_facts(desk.reader, NOW - timedelta(days=60))
        assert len(facts.answers) == pulled
        assert all(1 <= rating <= 5 for _, rating in facts.answers)
    finally:
        desk.close()


def test_a_desk_cannot_write_an_answer(http: TestClient):
    body = {
        "client_id": f"desk-{uuid.uuid4()}",
        "mutations": [
            {
                "mid": 1,
                "op": "create",
                "entity": "survey_answer",
                "id": str(uuid.uuid4()),
                "fields": {"case_id": str(uuid.uuid4()), "rating": 5},
            }
        ],
    }
    reply = http.post("/api/v1/push", json=body)
    assert reply.status_code == 200, reply.text
    [result] = wire.PushReply.model_validate(reply.json()).results
    assert (result.status, result.reason) == ("error", SURVEY_ANSWER_SERVER_ONLY)
