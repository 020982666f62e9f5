"""Tasks for other teams end to end: two desks on one real case server (child process, SQLite
and PostgreSQL). Desk A gives a task to billing while the server is down, syncs once it is
back; desk B pulls the task and the timeline events the server wrote, marks the task done,
and desk A sees that too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from csm_tui.desk import Desk
from csm_tui.errors import CsmError
from tests.sync_support import SyncServer, open_case, start_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path, server_db_url: str) -> Iterator[SyncServer]:
    srv = start_server(tmp_path, db_url=server_db_url)
    yield srv
    srv.close()


def events(desk: Desk, case_id: str) -> list[tuple[str, str]]:
    detail = desk.case_detail(case_id)
    assert detail is not None
    return [(m.author, m.body) for m in detail.messages if m.kind == "event"]


def test_a_task_made_offline_reaches_another_desk_and_comes_back_done(server: SyncServer) -> None:
    a = server.desk("a")  # Demo Agent
    b = server.desk("b", "anna.schmidt")  # Anna Schmidt
    a.sync()
    b.sync()
    case_id = open_case(a, status="open")
    before = set(events(a, case_id))

    server.process.stop()
    task_id = a.create_task(case_id, "billing", "Refund the double charge", datetime(2030, 12, 1))
    a.update_case(case_id, status="pending")
    with pytest.raises(CsmError):
        a.sync()
    [task] = [t for t in a.case_detail(case_id).tasks if t.id == task_id]  # type: ignore[union-attr]
    assert (task.state, task.created_by) == ("open", "Demo Agent")  # shown before any push
    assert a.pending_count() == 2

    server.restart()
    a.sync()
    assert a.pending_count() == 0 and a.status.rejected == 0
    b.sync()
    [seen] = [t for t in b.case_detail(case_id).tasks if t.id == task_id]  # type: ignore[union-attr]
    assert (seen.team, seen.title, seen.state, seen.due_at, seen.created_by) == (
        "billing",
        "Refund the double charge",
        "open",
        datetime(2030, 12, 1),
        "Demo Agent",
    )
    new_events = [e for e in events(b, case_id) if e not in before]
    assert new_events == [
        ("Demo Agent", "Task for Billing created: Refund the double charge (due 2030-12-01)"),
        ("Demo Agent", "Status: open → pending"),
    ]

    b.set_task_state(task_id, "done")
    b.sync()
    a.sync()
    [done] = [t for t in a.case_detail(case_id).tasks if t.id == task_id]  # type: ignore[union-attr]
    assert done.state == "done"
    assert events(a, case_id)[-1] == (
        "Anna Schmidt",
        "Task for Billing done: Refund the double charge",
    )
    # Both desks and the server hold the same task.
    (row,) = server.query("SELECT state, version, team FROM task WHERE id = ?", task_id)
    assert tuple(row) == ("done", 2, "billing")
    assert events(a, case_id) == events(b, case_id)
