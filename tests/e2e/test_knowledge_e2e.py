"""Knowledge articles end to end, on a real case server (child process; SQLite and
PostgreSQL): the seeded library syncs to a desk and is searched offline; an agent proposes an
article from a reply, a lead's desk pulls the proposal and publishes it, and the agent's
desk then finds it; an agent whose desk lets a publish through (a role it remembers wrongly)
is refused by the server with the domain's sentence, and the desk shows the proposal again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from csm_tui.domain import knowledge as kb
from csm_tui.server.auth import issue_token
from csm_tui.server.db import make_engine
from tests.sync_support import SyncServer, open_case, start_server

pytestmark = pytest.mark.e2e

LEAD = "katrin.hoffmann"  # a team lead of the seed
AGENT = "anna.schmidt"


@pytest.fixture
def server(tmp_path: Path, server_db_url: str) -> Iterator[SyncServer]:
    srv = start_server(tmp_path, db_url=server_db_url)
    engine = make_engine(srv.db_url)
    try:
        for handle in (LEAD, AGENT):
            srv.tokens[handle] = issue_token(engine, handle)
    finally:
        engine.dispose()
    yield srv
    srv.close()


def test_a_proposal_goes_from_an_agents_reply_to_every_desk_once_a_lead_publishes_it(
    server: SyncServer,
) -> None:
    agent = server.desk("agent", AGENT)
    lead = server.desk("lead", LEAD)
    agent.sync()
    lead.sync()
    assert agent.article_count() >= 300
    found = agent.search_articles("Ueberweisung statt Lastschrift").articles
    assert found and found[0].title == "Per Überweisung statt Lastschrift zahlen"

    case_id = open_case(agent)
    agent.reply(case_id, "public", "Hello,\n\nPress the Zwiebelknopf twice to reset it.\n\nBest")
    (_reply_id, body) = agent.my_replies(case_id)[0]
    title, text = kb.draft_from_reply("Zwiebelknopf reset", body)
    proposal = agent.propose_article(title, text, "en", ["reset"], "Router X200", case_id)
    agent.sync()
    assert agent.pending_count() == 0 and agent.status.rejected == 0
    assert server.query("SELECT state, title FROM article WHERE id = ?", proposal) == [
        ("proposed", "Zwiebelknopf reset")
    ]
    assert agent.search_articles("zwiebelknopf").articles == ()  # not published yet

    lead.sync()
    waiting = lead.search_articles("zwiebelknopf", "proposed").articles
    assert [(a.id, a.author) for a in waiting] == [(proposal, "Anna Schmidt")]
    lead.publish_article(proposal)
    lead.sync()
    assert lead.status.rejected == 0
    assert server.query("SELECT state FROM article WHERE id = ?", proposal) == [("published",)]

    agent.sync()
    assert [a.id for a in agent.search_articles("zwiebelknopf").articles] == [proposal]


def test_the_server_refuses_an_agents_publish_even_when_the_desk_lets_it_through(
    server: SyncServer,
) -> None:
    agent = server.desk("agent", AGENT)
    agent.sync()
    proposal = agent.propose_article("Lost card abroad", "Call the hotline.", "en")
    agent.sync()
    # The desk remembers the agent as a lead (a stale role): its own check lets it through.
    me = agent.me_id
    with agent._outbox().transaction() as conn:
        conn.execute("UPDATE agent SET role = 'lead' WHERE id = ?", (me,))
    assert agent.can_publish
    agent.publish_article(proposal)
    agent.sync()
    [rejected] = agent.rejected()
    assert (rejected.entity, rejected.reason) == ("article", kb.PUBLISH_REFUSAL)
    assert agent.article(proposal).state == "proposed"  # type: ignore[union-attr]
    assert server.query("SELECT state FROM article WHERE id = ?", proposal) == [("proposed",)]
