"""SLA escalations end to end: a real case server (child process) escalates a breached case,
and a team lead's desk (the real app, driven by Pilot) pulls the change and the event and
shows the toast; an agent's desk pulls them too, without a toast."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from csm_tui.app import make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.domain.escalation import ESCALATION_PREFIX
from csm_tui.domain.models import Case, utcnow
from csm_tui.server import mutations
from csm_tui.server.db import make_engine
from csm_tui.sync.client import CaseServerClient
from tests.e2e.conftest import Csm, LiveServer

pytestmark = pytest.mark.e2e

LEAD = "katrin.hoffmann"  # a team lead of the seed


def add_breached_case(live_server: LiveServer) -> None:
    """An urgent case created two hours ago and never answered: its first reply (one calendar
    hour) breached an hour ago, whatever the time of day."""
    engine = make_engine(live_server.db_url)
    created = utcnow().replace(microsecond=0) - timedelta(hours=2)
    try:
        with Session(engine) as session:
            mutations.create(
                session,
                Case(
                    id="late-case",
                    number="CS-99999",
                    subject="Card blocked, shop waiting",
                    status="new",
                    priority="urgent",
                    created_at=created,
                    updated_at=created,
                ),
            )
            session.commit()
    finally:
        engine.dispose()


async def test_a_lead_hears_of_an_escalation_and_every_desk_pulls_it(
    csm: Csm, live_server: LiveServer, tmp_path: Path
) -> None:
    lead_token = csm(
        "server", "issue-token", "--db", live_server.db_url, "--handle", LEAD, check=True
    ).stdout.strip()
    lead = Desk.open(
        tmp_path / "lead.sqlite3", client=CaseServerClient(live_server.url, lead_token)
    )
    agent = Desk.open(
        tmp_path / "agent.sqlite3", client=CaseServerClient(live_server.url, live_server.token)
    )
    try:
        lead.sync()
        agent.sync()
        add_breached_case(live_server)
        refused = httpx.post(
            f"{live_server.url}/api/v1/escalations/run",
            headers={"Authorization": f"Bearer {live_server.token}"},
        )
        assert refused.status_code == 403  # the demo agent is no lead
        app = make_app(Settings(), lead, sync_on_start=False)
        async with app.run_test() as pilot:
            ran = httpx.post(
                f"{live_server.url}/api/v1/escalations/run",
                headers={"Authorization": f"Bearer {lead_token}"},
                timeout=60,
            )
            assert ran.status_code == 200 and ran.json()["escalated"] >= 1
            started = app._escalations.since
            app.sync_now()

            def toasts() -> list[str]:
                return [str(n.message) for n in app._notifications]

            for _ in range(400):
                if any("SLA" in t for t in toasts()):
                    break
                await pilot.pause(0.05)
            from csm_tui.store import kpi

            # the seeded cases that breached in the last day escalate too: one toast for all
            pulled = kpi.escalations(lead.reader, started)
            assert any(r.number == "CS-99999" for r in pulled)
            told = [t for t in toasts() if "SLA" in t]
            if len(pulled) == 1:
                assert told == [f"CS-99999: {pulled[0].text} — press L for the SLA panel."]
            else:
                assert len(told) == 1 and told[0].startswith(f"{len(pulled)} SLA escalations (")
                assert told[0].endswith("— press L for the SLA panel.")
            # told once: the next sync brings nothing new to say
            app.sync_now()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app._escalations.check(lead) == []
        agent.sync()
        detail = agent.case_detail("late-case")
        assert detail is not None
        assert any(m.body.startswith(ESCALATION_PREFIX) for m in detail.messages)
    finally:
        lead.close()
        agent.close()
