"""Low-bandwidth pulls: the server leaves old cases' message bodies out of the snapshot
(``bodies=recent``), the store keeps those messages marked and never empties a body it has,
and the bodies fetched later (``GET /api/v1/cases/{id}/messages``) fill them in, search index
included. Real server code on a real database, a real store; no HTTP here (the e2e test has
it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from csm_tui.desk import CaseQuery, Desk
from csm_tui.domain.models import utcnow
from csm_tui.low_bandwidth import PLACEHOLDER, pull_options, with_placeholders
from csm_tui.server import changes
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import issue_token
from csm_tui.server.bodies import case_messages
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.seed import seed_database
from csm_tui.store.apply import apply_page
from csm_tui.store.bodies import deferred_ids, fill_bodies
from csm_tui.store.engine import make_store_engine
from csm_tui.sync.wire import BODY_DEFERRED, OLD_CASE_DAYS

WORD = "Xylophonbestellung"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Engine, list[str]]]:
    """A seeded server whose first two cases were solved long ago (one with a distinctive
    word in a message); returns the engine and those two case ids."""
    engine = make_engine(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    init_db(engine)
    seed_database(engine, 30)
    long_ago = (utcnow() - timedelta(days=OLD_CASE_DAYS + 5)).isoformat(sep=" ")
    with engine.begin() as conn:
        old = [
            r[0]
            for r in conn.exec_driver_sql(
                'SELECT id FROM "case" WHERE id IN (SELECT case_id FROM message) '
                "ORDER BY number LIMIT 2"
            )
        ]
        for case_id, status in zip(old, ("solved", "closed"), strict=True):
            conn.exec_driver_sql(
                'UPDATE "case" SET status = ?, updated_at = ? WHERE id = ?',
                (status, long_ago, case_id),
            )
        conn.exec_driver_sql(
            "UPDATE message SET body = body || ' ' || ? WHERE id = "
            "(SELECT id FROM message WHERE case_id = ? LIMIT 1)",
            (WORD, old[0]),
        )
    yield engine, old
    engine.dispose()


def pull_all(server: Engine, store: Engine, bodies: str) -> int:
    """Page the full snapshot (and what follows) into ``store``; returns deferred rows."""
    deferred = 0
    cursor = None
    with Session(server) as session:
        while True:
            page = changes.read_page(session, cursor, 200, 1_000_000, "", bodies=bodies)
            deferred += sum(1 for r in page.rows if r.fields.get(BODY_DEFERRED))
            apply_page(store, page, synced_at=utcnow())
            cursor = page.cursor
            if not page.more:
                return deferred


def message_count(server: Engine, case_ids: list[str]) -> int:
    with server.connect() as conn:
        marks = ", ".join("?" for _ in case_ids)
        return int(
            conn.exec_driver_sql(
                f"SELECT count(*) FROM message WHERE case_id IN ({marks})", tuple(case_ids)
            ).scalar_one()
        )


def old_messages(server: Engine) -> int:
    """Messages of every case solved or closed before the cut-off (the seed has some too)."""
    cutoff = (utcnow() - timedelta(days=OLD_CASE_DAYS)).isoformat(sep=" ")
    with server.connect() as conn:
        return int(
            conn.exec_driver_sql(
                'SELECT count(*) FROM message WHERE case_id IN (SELECT id FROM "case" '
                "WHERE status IN ('solved', 'closed') AND updated_at < ?)",
                (cutoff,),
            ).scalar_one()
        )


def bodies_of(store_path: Path, case_id: str) -> list[str]:
    with sqlite3.connect(store_path) as conn:
        return [
            r[0] for r in conn.execute("SELECT body FROM message WHERE case_id = ?", (case_id,))
        ]


def test_only_old_cases_bodies_stay_on_the_server(
    server: tuple[Engine, list[str]], tmp_path: Path
) -> None:
    engine, old = server
    store_path = tmp_path / "store.sqlite3"
    store = make_store_engine(store_path)
    deferred = pull_all(engine, store, "recent")
    assert deferred == old_messages(engine) >= message_count(engine, old) > 0
    with sqlite3.connect(store_path) as conn:
        assert deferred_ids(conn, old[0]) and deferred_ids(conn, old[1])
        marked = conn.execute("SELECT count(*) FROM deferred_body").fetchone()[0]
        empty = conn.execute("SELECT count(*) FROM message WHERE body = ''").fetchone()[0]
    assert marked == deferred and empty >= deferred
    assert set(bodies_of(store_path, old[0])) == {""}
    desk = Desk(store_path)
    try:
        detail = desk.case_detail(old[0])
        assert detail is not None and {m.body for m in detail.messages} == {PLACEHOLDER}
        assert desk.case_ids(CaseQuery(search=WORD)) == []  # not searchable until fetched
    finally:
        desk.close()
    store.dispose()


def test_a_normal_pull_defers_nothing(server: tuple[Engine, list[str]], tmp_path: Path) -> None:
    engine, _old = server
    store = make_store_engine(tmp_path / "store.sqlite3")
    assert pull_all(engine, store, "all") == 0
    store.dispose()


def test_fetched_bodies_fill_in_with_the_search_index(
    server: tuple[Engine, list[str]], tmp_path: Path
) -> None:
    engine, old = server
    store_path = tmp_path / "store.sqlite3"
    store = make_store_engine(store_path)
    pull_all(engine, store, "recent")
    with Session(engine) as session:
        reply = case_messages(session, old[0])
    desk = Desk(store_path)
    try:
        with desk._outbox().transaction() as conn:  # private: the desk's own writer
            assert fill_bodies(conn, old[0], reply.messages) == len(reply.messages)
        assert WORD in " ".join(bodies_of(store_path, old[0]))
        assert desk.deferred_bodies(old[0]) == set() and desk.deferred_bodies(old[1])
        assert desk.case_ids(CaseQuery(search=WORD)) == [old[0]]
        detail = desk.case_detail(old[0])
        assert detail is not None and PLACEHOLDER not in {m.body for m in detail.messages}
    finally:
        desk.close()
    store.dispose()


def test_a_resync_never_empties_a_body_and_a_full_pull_clears_marks(
    server: tuple[Engine, list[str]], tmp_path: Path
) -> None:
    engine, old = server
    store_path = tmp_path / "store.sqlite3"
    store = make_store_engine(store_path)
    pull_all(engine, store, "all")
    before = bodies_of(store_path, old[0])
    pull_all(engine, store, "recent")  # a 410 resync in low-bandwidth mode
    assert bodies_of(store_path, old[0]) == before and WORD in " ".join(before)
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("SELECT count(*) FROM deferred_body").fetchone()[0] == 0
    other_path = tmp_path / "other.sqlite3"
    other = make_store_engine(other_path)
    pull_all(engine, other, "recent")
    pull_all(engine, other, "all")  # back to normal mode: the bodies come, the marks go
    with sqlite3.connect(other_path) as conn:
        assert conn.execute("SELECT count(*) FROM deferred_body").fetchone()[0] == 0
    assert WORD in " ".join(bodies_of(other_path, old[0]))
    store.dispose()
    other.dispose()


def test_the_messages_route_needs_a_token_and_a_known_case(
    server: tuple[Engine, list[str]],
) -> None:
    engine, old = server
    token = issue_token(engine, "demo")
    with TestClient(make_server_app(engine=engine)) as client:
        auth = {"Authorization": f"Bearer {token}"}
        reply = client.get(f"/api/v1/cases/{old[0]}/messages", headers=auth)
        assert reply.status_code == 200
        body = reply.json()
        assert body["case_id"] == old[0] and any(WORD in m["body"] for m in body["messages"])
        assert client.get(f"/api/v1/cases/{old[0]}/messages").status_code == 401
        missing = client.get("/api/v1/cases/no-such-case/messages", headers=auth)
        assert missing.status_code == 404 and "no case" in missing.json()["detail"]
        pulled = client.get("/api/v1/changes?bodies=recent&limit=2000", headers=auth).json()
        assert any(r["fields"].get(BODY_DEFERRED) for r in pulled["rows"])
        bad = client.get("/api/v1/changes?bodies=some", headers=auth)
        assert bad.status_code == 422


def test_pull_options_and_placeholders() -> None:
    assert pull_options(False) == {}
    assert pull_options(True)["bodies"] == "recent"
    assert pull_options(True)["page_rows"] < 500
    from csm_tui.store.queries import CaseDetail, MessageRow

    detail = CaseDetail(
        case=None, customer=None, messages=[MessageRow("m", "customer", "x", "", utcnow())]
    )  # type: ignore[arg-type]
    assert with_placeholders(detail, set()) is detail
    assert with_placeholders(detail, {"m"}).messages[0].body == PLACEHOLDER
