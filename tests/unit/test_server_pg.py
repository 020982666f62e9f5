"""The case server on PostgreSQL: the delta cursor stays exact under concurrent writers (the
advisory lock in ``changes.lock_log``), several uvicorn workers share one database, and
compaction works there too."""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from csm_tui.domain.models import Case
from csm_tui.server import changes, mutations
from csm_tui.server.auth import add_agent, issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.process import ServerProcess
from csm_tui.server.run import ENV_HEARTBEAT, ENV_POLL_INTERVAL
from csm_tui.server.seed import seed_database, touch_cases
from csm_tui.server.tables import ChangeLog

NOW = datetime(2025, 3, 14, 12, 0, 0)
WAIT = 30.0

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(pg_db_url: str) -> Iterator[Engine]:
    eng = make_engine(pg_db_url)
    init_db(eng)
    seed_database(eng, 20, seed=5, now=NOW)
    yield eng
    eng.dispose()


def _seqs_after(engine: Engine, after: int) -> list[int]:
    with Session(engine) as session:
        return [
            int(s)
            for s in session.exec(
                select(ChangeLog.seq).where(ChangeLog.seq > after).order_by(ChangeLog.seq)  # type: ignore[arg-type, union-attr]
            )
        ]


def _pull(engine: Engine, cursor: str) -> tuple[list[int], str]:
    """Follow ``more`` to the end of the log as it is now; the seqs served and the cursor."""
    seen: list[int] = []
    while True:
        with Session(engine) as session:
            page = changes.read_page(session, cursor, 50, 1_000_000)
        seen.extend(row.seq for row in page.rows)
        cursor = page.cursor
        if not page.more:
            return seen, cursor


def _waiting_for_advisory_lock(engine: Engine) -> bool:
    with Session(engine) as session:
        waiting = session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' "
                "AND datname = current_database()"
            )
        ).scalar_one()
    return int(waiting) > 0


def test_a_change_that_commits_after_a_later_seq_is_never_skipped(engine: Engine):
    """Writer A takes seq N and holds its commit; writer B takes N+1 and commits; a reader
    pulls in between. Without the advisory lock the reader serves N+1, moves its cursor past
    N, and never sees N (this test fails then); with it, B waits for A."""
    with Session(engine) as session:
        start = changes.max_seq(session)
        first, second = session.exec(select(Case.id).order_by(Case.id).limit(2)).all()
    a_has_seq, a_may_commit, b_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer_a() -> None:
        try:
            with Session(engine) as session:
                mutations.update_fields(session, Case, first, {"subject": "A"})
                session.flush()  # the change-log row and its seq exist now, uncommitted
                a_has_seq.set()
                a_may_commit.wait(timeout=WAIT)
                session.commit()
        except BaseException as exc:
            errors.append(exc)
            a_has_seq.set()

    def writer_b() -> None:
        try:
            with Session(engine) as session:
                mutations.update_fields(session, Case, second, {"subject": "B"})
                session.commit()
        except BaseException as exc:
            errors.append(exc)
        finally:
            b_done.set()

    thread_a = threading.Thread(target=writer_a)
    thread_b = threading.Thread(target=writer_b)
    thread_a.start()
    assert a_has_seq.wait(WAIT)
    thread_b.start()
    # B either committed already (no lock) or waits for A's lock; poll for either.
    deadline = time.monotonic() + WAIT
    while not (b_done.is_set() or _waiting_for_advisory_lock(engine)):
        assert time.monotonic() < deadline, "writer B neither committed nor waited"
        b_done.wait(0.01)

    seen, cursor = _pull(engine, f"d.{start}")  # the reader, while A is still open
    a_may_commit.set()
    thread_a.join(WAIT)
    thread_b.join(WAIT)
    assert not errors, errors
    more, _ = _pull(engine, cursor)
    seen += more

    expected = _seqs_after(engine, start)
    assert len(expected) == 2
    assert sorted(seen) == expected, "a change-log row was skipped or served twice"
    assert len(seen) == len(set(seen))


def test_seed_touch_and_snapshot_work_on_postgres(engine: Engine):
    with Session(engine) as session:
        start = changes.max_seq(session)
        snapshot = changes.read_page(session, None, 2000, 4_000_000)
    assert snapshot.snapshot and snapshot.rows
    touched = touch_cases(engine, 4)
    seen, _ = _pull(engine, f"d.{start}")
    assert len(seen) == 2 * len(touched) == len(_seqs_after(engine, start))
    with Session(engine) as session:
        case = session.get(Case, touched[0])
        assert case is not None and isinstance(case.tags, list)
        assert case.updated_at.tzinfo is None


def test_compaction_on_postgres(engine: Engine):
    with Session(engine) as session:
        old = changes.max_seq(session)
    touch_cases(engine, 2)
    changes.compact(engine, keep_last=1)
    with Session(engine) as session:
        newest = changes.max_seq(session)
        with pytest.raises(changes.CursorGone):
            changes.read_page(session, f"d.{old}", 10, 100_000)
        page = changes.read_page(session, f"d.{newest - 1}", 10, 100_000)
    assert [r.seq for r in page.rows] == [newest]


# -- several workers, one database -----------------------------------------------------------


@pytest.fixture
def two_workers(pg_db_url: str, engine: Engine, tmp_path: Path) -> Iterator[dict[str, Any]]:
    add_agent(engine, "bea.berger", "Bea Berger")
    tokens = [issue_token(engine, handle) for handle in ("demo", "bea.berger")]
    env = {ENV_HEARTBEAT: "0.5", ENV_POLL_INTERVAL: "0.05"}
    with ServerProcess(pg_db_url, log_file=tmp_path / "server.log", env=env, workers=2) as proc:
        yield {"url": proc.url, "tokens": tokens, "process": proc}


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_two_workers_serve_every_change_exactly_once_to_a_pulling_reader(
    engine: Engine, two_workers: dict[str, Any]
):
    url, tokens = two_workers["url"], two_workers["tokens"]
    with Session(engine) as session:
        start = changes.max_seq(session)
    writers_n, pushes_n = 4, 15
    stop_reading = threading.Event()
    seen: list[int] = []
    errors: queue.Queue[str] = queue.Queue()

    def writer(i: int) -> None:
        client_id = f"desk-{uuid.uuid4()}"
        with httpx.Client(base_url=url, headers=_auth(tokens[i % 2]), timeout=WAIT) as http:
            for mid in range(1, pushes_n + 1):
                case_id = str(uuid.uuid4())
                body = {
                    "client_id": client_id,
                    "mutations": [
                        {
                            "mid": mid,
                            "op": "create",
                            "entity": "case",
                            "id": case_id,
                            "fields": {"subject": f"writer {i} case {mid}"},
                        }
                    ],
                }
                reply = http.post("/api/v1/push", json=body)
                if reply.status_code != 200 or reply.json()["results"][0]["status"] != "ok":
                    errors.put(reply.text)

    def reader() -> None:
        cursor = f"d.{start}"
        with httpx.Client(base_url=url, headers=_auth(tokens[0]), timeout=WAIT) as http:
            while True:
                finishing = stop_reading.is_set()
                page = http.get("/api/v1/changes", params={"cursor": cursor, "limit": 7}).json()
                seen.extend(row["seq"] for row in page["rows"])
                cursor = page["cursor"]
                if finishing and not page["more"]:
                    return

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers_n)]
    read_thread = threading.Thread(target=reader)
    read_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop_reading.set()
    read_thread.join(120)

    assert errors.empty(), errors.get()
    expected = _seqs_after(engine, start)
    assert len(expected) == writers_n * pushes_n
    assert sorted(seen) == expected
    assert len(seen) == len(set(seen))
    with Session(engine) as session:
        numbers = session.exec(select(Case.number)).all()
    assert len(numbers) == len(set(numbers))  # server-assigned numbers never collide


def test_a_stream_on_one_worker_hears_a_push_served_by_any(
    engine: Engine, two_workers: dict[str, Any]
):
    url, tokens = two_workers["url"], two_workers["tokens"]
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(WAIT, read=60)) as client,
                client.stream("GET", f"{url}/api/v1/stream", headers=_auth(tokens[0])) as reply,
            ):
                for line in reply.iter_lines():
                    lines.put(line)
        except httpx.HTTPError:
            pass  # the server stopped
        finally:
            lines.put("<end>")

    threading.Thread(target=read, daemon=True).start()
    assert lines.get(timeout=WAIT).startswith("retry: ")
    # Several pushes on fresh connections: some land on the other worker.
    for n in range(4):
        body = {
            "client_id": f"desk-{uuid.uuid4()}",
            "mutations": [
                {
                    "mid": 1,
                    "op": "create",
                    "entity": "case",
                    "id": str(uuid.uuid4()),
                    "fields": {"subject": f"poke {n}"},
                }
            ],
        }
        assert httpx.post(f"{url}/api/v1/push", json=body, headers=_auth(tokens[1])).is_success
    with Session(engine) as session:
        newest = changes.max_seq(session)
    deadline = time.monotonic() + WAIT
    while True:
        line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        assert line != "<end>", "the stream ended early"
        if line == f"id: {newest}":
            break
    # Both workers end their streams on SIGTERM instead of waiting out the grace period.
    process: ServerProcess = two_workers["process"]
    process.stop()
    assert not process.killed
    assert "graceful shutdown exceeded" not in process.log_file.read_text()
    while lines.get(timeout=WAIT) != "<end>":
        pass  # the rest of the last event, then the end of the stream
