"""Live updates and compression: the SSE stream and long-poll on a real server (uvicorn child
process), the poller and stream generator in-process, response content negotiation, and
compaction of the change log (410 for cursors below the floor)."""

from __future__ import annotations

import asyncio
import queue
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from csm_tui.server.app import make_server_app
from csm_tui.server.auth import issue_token
from csm_tui.server.changes import compact, log_floor, max_seq
from csm_tui.server.compression import choose_encoding
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.process import ServerProcess
from csm_tui.server.run import ENV_HEARTBEAT, ENV_POLL_INTERVAL
from csm_tui.server.seed import seed_database, touch_cases
from csm_tui.server.stream import HEARTBEAT_COMMENT, ChangeWatcher, event_stream

NOW = datetime(2025, 3, 14, 12, 0, 0)
WAIT = 20.0  # deadline for conditions that normally hold within milliseconds


@dataclass
class Live:
    url: str
    token: str
    engine: Engine
    process: ServerProcess

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def seq(self) -> int:
        with Session(self.engine) as session:
            return max_seq(session)

    def push_case(self, client_id: str | None = None) -> dict[str, Any]:
        body = {
            "client_id": client_id or f"desk-{uuid.uuid4()}",
            "mutations": [
                {
                    "mid": 1,
                    "op": "create",
                    "entity": "case",
                    "id": str(uuid.uuid4()),
                    "fields": {"subject": "Live test"},
                }
            ],
        }
        reply = httpx.post(f"{self.url}/api/v1/push", json=body, headers=self.auth, timeout=WAIT)
        assert reply.status_code == 200, reply.text
        return reply.json()


def seeded_engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    init_db(engine)
    seed_database(engine, 20, seed=5, now=NOW)
    return engine


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    db_url = f"sqlite:///{tmp_path / 'server' / 'cases.db'}"
    engine = seeded_engine(db_url)
    token = issue_token(engine, "demo", label="tests")
    env = {ENV_HEARTBEAT: "0.2", ENV_POLL_INTERVAL: "0.05"}
    with ServerProcess(db_url, log_file=tmp_path / "server.log", env=env) as proc:
        yield Live(proc.url, token, engine, proc)
    engine.dispose()


class StreamReader:
    """Reads ``/api/v1/stream`` in a thread; the test takes lines from a queue with deadlines."""

    def __init__(self, live: Live, **headers: str) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.status: int | None = None
        self.headers: httpx.Headers | None = None
        self.opened = threading.Event()
        self.ended = threading.Event()
        self._url = f"{live.url}/api/v1/stream"
        self._headers = {**live.auth, **headers}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self.opened.wait(WAIT), "the stream did not open"

    def _run(self) -> None:
        try:
            timeout = httpx.Timeout(WAIT, read=60.0)
            with (
                httpx.Client(timeout=timeout) as client,
                client.stream("GET", self._url, headers=self._headers) as reply,
            ):
                self.status, self.headers = reply.status_code, reply.headers
                self.opened.set()
                for line in reply.iter_lines():
                    self.lines.put(line)
        except httpx.HTTPError:
            pass  # the server went away: the end of the stream
        finally:
            self.opened.set()
            self.ended.set()
            self.lines.put(None)

    def until(self, wanted: Callable[[str], bool]) -> str:
        """The first line ``wanted`` accepts; fails at the deadline or the end of the stream."""
        deadline = time.monotonic() + WAIT
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError("the stream ended")
            if wanted(line):
                return line
        raise AssertionError("no such line arrived in time")

    def next_id(self) -> int:
        return int(self.until(lambda line: line.startswith("id: ")).removeprefix("id: "))


# -- the stream on a real server -------------------------------------------------------------


def test_a_push_by_another_client_arrives_as_an_event(live: Live):
    stream = StreamReader(live)
    assert stream.status == 200
    assert stream.headers is not None
    assert stream.headers["content-type"].startswith("text/event-stream")
    stream.until(lambda line: line.startswith("retry: "))

    live.push_case()
    newest = live.seq()
    assert stream.next_id() == newest
    stream.until(lambda line: line == f"data: {newest}")


def test_a_lower_last_event_id_gets_an_event_at_once(live: Live):
    current = live.seq()
    stream = StreamReader(live, **{"Last-Event-ID": str(current - 5)})
    assert stream.next_id() == current


def test_the_last_event_id_query_parameter_works_too(live: Live):
    current = live.seq()
    with (
        httpx.Client(timeout=WAIT) as client,
        client.stream(
            "GET", f"{live.url}/api/v1/stream", params={"last_event_id": 0}, headers=live.auth
        ) as reply,
    ):
        first_id = next(line for line in reply.iter_lines() if line.startswith("id: "))
    assert first_id == f"id: {current}"


def test_an_idle_stream_sends_heartbeat_comments(live: Live):
    stream = StreamReader(live)
    stream.until(lambda line: line == ": hb")
    stream.until(lambda line: line == ": hb")


def test_the_stream_is_never_compressed(live: Live):
    stream = StreamReader(live, **{"Accept-Encoding": "zstd, gzip"})
    assert stream.headers is not None
    assert "content-encoding" not in stream.headers
    stream.until(lambda line: line == ": hb")


def test_the_stream_needs_a_token(live: Live):
    reply = httpx.get(f"{live.url}/api/v1/stream", timeout=WAIT)
    assert reply.status_code == 401


def test_long_poll_answers_as_soon_as_a_change_lands(live: Live):
    cursor = f"d.{live.seq()}"
    answers: queue.Queue[httpx.Response] = queue.Queue()

    def poll() -> None:
        answers.put(
            httpx.get(
                f"{live.url}/api/v1/changes",
                params={"cursor": cursor, "wait": 30},
                headers=live.auth,
                timeout=60,
            )
        )

    threading.Thread(target=poll, daemon=True).start()
    pushed = live.push_case()
    # Well before the 30 s the poll asked for: only the change can have ended it.
    reply = answers.get(timeout=WAIT)
    assert reply.status_code == 200
    page = reply.json()
    assert [row["entity"] for row in page["rows"]] == ["case"]
    assert pushed["results"][0]["status"] == "ok"


def test_long_poll_with_nothing_new_answers_an_empty_page(live: Live):
    cursor = f"d.{live.seq()}"
    reply = httpx.get(
        f"{live.url}/api/v1/changes",
        params={"cursor": cursor, "wait": 0.3},
        headers=live.auth,
        timeout=WAIT,
    )
    assert reply.status_code == 200
    assert reply.json()["rows"] == []
    assert reply.json()["cursor"] == cursor


def test_sigterm_with_an_open_stream_exits_cleanly(live: Live):
    stream = StreamReader(live)
    stream.until(lambda line: line.startswith("retry: "))
    code = live.process.stop()
    assert not live.process.killed, "SIGTERM did not end the server within its stop timeout"
    # uvicorn re-raises the signal it handled once it is done, so -SIGTERM is a clean exit.
    assert code in (0, -signal.SIGTERM)
    assert stream.ended.wait(WAIT)
    # The stream ended on the signal, not by uvicorn cancelling it after its grace period.
    assert "graceful shutdown exceeded" not in live.process.log_file.read_text()


# -- the poller and the stream generator, in-process -----------------------------------------


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = seeded_engine(f"sqlite:///{tmp_path / 'server' / 'cases.db'}")
    yield eng
    eng.dispose()


class FakeRequest:
    def __init__(self) -> None:
        self.disconnected = False

    async def is_disconnected(self) -> bool:
        return self.disconnected


async def test_the_stream_ends_when_the_client_disconnects(engine: Engine):
    watcher = ChangeWatcher(engine, poll_interval=0.02)
    request = FakeRequest()
    body = event_stream(request, watcher, None, heartbeat=0.05)  # type: ignore[arg-type]
    assert (await anext(body)).startswith(b"retry: ")
    assert watcher.listeners == 1
    assert await anext(body) == HEARTBEAT_COMMENT
    request.disconnected = True
    with pytest.raises(StopAsyncIteration):
        await anext(body)
    assert watcher.listeners == 0
    await watcher.close()


async def test_one_poller_wakes_every_listener_and_stops_when_none_listen(engine: Engine):
    watcher = ChangeWatcher(engine, poll_interval=0.02)
    start = await asyncio.to_thread(watcher.read_max_seq)
    requests = [FakeRequest() for _ in range(3)]
    bodies = [event_stream(r, watcher, None, heartbeat=30.0) for r in requests]  # type: ignore[arg-type]
    for body in bodies:
        await anext(body)  # the retry line
    poller = watcher._task
    assert poller is not None and watcher.listeners == 3

    touched = await asyncio.to_thread(touch_cases, engine, 1)
    assert len(touched) == 1
    events = await asyncio.wait_for(asyncio.gather(*(anext(b) for b in bodies)), WAIT)
    newest = await asyncio.to_thread(watcher.read_max_seq)
    assert newest > start
    assert set(events) == {f"id: {newest}\nevent: change\ndata: {newest}\n\n".encode()}
    assert watcher._task is poller  # one poller for all

    for body in bodies:
        await body.aclose()
    assert watcher.listeners == 0
    await asyncio.wait_for(poller, WAIT)  # it notices and ends by itself
    await watcher.close()


async def test_shutdown_ends_open_streams(engine: Engine):
    watcher = ChangeWatcher(engine, poll_interval=0.02)
    body = event_stream(FakeRequest(), watcher, None, heartbeat=30.0)  # type: ignore[arg-type]
    await anext(body)
    pending = asyncio.ensure_future(anext(body))
    watcher.begin_shutdown()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, WAIT)
    await watcher.close()


# -- response compression --------------------------------------------------------------------


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    token = issue_token(engine, "demo", label="tests")
    with TestClient(make_server_app(engine=engine)) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("zstd, gzip", "zstd"),
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip", "gzip"),
        ("gzip;q=0.5, zstd;q=0", "gzip"),
        ("*", "gzip"),
        ("identity", None),
        ("gzip;q=0", None),
        ("", None),
    ],
)
def test_accept_encoding_negotiation(accept: str, expected: str | None):
    assert choose_encoding(accept) == expected


@pytest.mark.parametrize("coding", ["zstd", "gzip"])
def test_large_replies_are_compressed_as_negotiated(client: TestClient, coding: str):
    reply = client.get("/api/v1/changes", headers={"Accept-Encoding": coding})
    assert reply.status_code == 200
    assert reply.headers["content-encoding"] == coding
    assert "accept-encoding" in reply.headers["vary"].lower()
    assert reply.json()["rows"]  # httpx inflated it


def test_small_replies_and_identity_stay_plain(client: TestClient):
    small = client.get("/api/v1/me", headers={"Accept-Encoding": "zstd, gzip"})
    assert "content-encoding" not in small.headers
    assert small.json()["handle"] == "demo"
    plain = client.get("/api/v1/changes", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert "accept-encoding" in plain.headers["vary"].lower()


# -- compaction ------------------------------------------------------------------------------


def test_compaction_answers_410_for_old_cursors_and_keeps_current_ones(
    client: TestClient, engine: Engine
):
    with Session(engine) as session:
        old = max_seq(session)
    touch_cases(engine, 3)
    with Session(engine) as session:
        newest = max_seq(session)
    deleted = compact(engine, keep_last=2)

    assert deleted == newest - 2
    with Session(engine) as session:
        assert log_floor(session) == newest - 1
        assert max_seq(session) == newest
    gone = client.get("/api/v1/changes", params={"cursor": f"d.{old}"})
    assert gone.status_code == 410
    assert gone.json()["detail"].endswith(".")
    edge = client.get("/api/v1/changes", params={"cursor": f"d.{newest - 2}"})
    assert [r["seq"] for r in edge.json()["rows"]] == [newest - 1, newest]
    current = client.get("/api/v1/changes", params={"cursor": f"d.{newest}"})
    assert current.status_code == 200
    assert current.json()["rows"] == []
    # A snapshot begun before the compaction cannot continue from its high mark.
    stale_snapshot = client.get("/api/v1/changes", params={"cursor": f"s.{old}.0."})
    assert stale_snapshot.status_code == 410


def test_a_fully_compacted_log_still_knows_its_end(client: TestClient, engine: Engine):
    with Session(engine) as session:
        newest = max_seq(session)
    compact(engine, keep_last=0)
    compact(engine, keep_last=0)  # nothing left: a no-op
    reply = client.get("/api/v1/changes", params={"cursor": f"d.{newest}"})
    assert reply.status_code == 200
    assert reply.json() == {**reply.json(), "rows": [], "cursor": f"d.{newest}"}
    snapshot = client.get("/api/v1/changes")
    assert snapshot.json()["snapshot"] is True
    touch_cases(engine, 1)
    after = client.get("/api/v1/changes", params={"cursor": f"d.{newest}"}).json()
    assert [r["seq"] for r in after["rows"]] == [newest + 1, newest + 2]
