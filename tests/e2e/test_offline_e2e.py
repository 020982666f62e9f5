"""Offline-first end to end: the live listener against the real server (pokes, prompt stop,
reconnect after a restart with Last-Event-ID, long-poll fallback), and ``csm sync`` with
local edits, with ``--status`` and with the server down."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from csm_tui.desk import Desk
from csm_tui.server.changes import compact
from csm_tui.server.db import make_engine
from csm_tui.server.seed import touch_cases
from csm_tui.sync.live import LiveListener
from tests.e2e.conftest import Csm, LiveServer
from tests.sync_support import (
    SyncServer,
    local_case,
    open_case,
    other_than,
    server_case,
    start_server,
    wait_until,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path, server_db_url: str) -> Iterator[SyncServer]:
    """A live server on SQLite and on PostgreSQL (``server_db_url`` is parametrised)."""
    srv = start_server(tmp_path, db_url=server_db_url)
    yield srv
    srv.close()


class Pokes:
    """Counts ``on_change`` calls (made on the listener's thread)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.count += 1


def test_an_edit_on_another_desk_pokes_the_listener(server: SyncServer) -> None:
    first = server.desk("first")
    second = server.desk("second", "anna.schmidt")
    first.sync()
    second.sync()
    pokes = Pokes()
    first.start_live(pokes)
    live = first.live
    assert live is not None
    wait_until(live.connected.is_set, what="the stream to connect")
    assert pokes.count == 0  # nothing new since the first desk's sync

    case_id = open_case(second)
    priority = other_than(local_case(second, case_id)["priority"])
    second.update_case(case_id, priority=priority)
    second.sync()
    wait_until(lambda: pokes.count > 0, what="a poke for the second desk's edit")
    assert live.mode == "stream"
    first.sync()
    assert local_case(first, case_id)["priority"] == priority

    first.stop_live()
    assert not live.running and first.live is None


def test_stop_is_prompt_while_the_stream_is_idle(tmp_path: Path) -> None:
    # A heartbeat far away: the listener sits in a blocking read that only stop() can end.
    srv = start_server(tmp_path, heartbeat=600)
    try:
        desk = srv.desk("idle")
        desk.sync()
        desk.start_live(Pokes())
        live = desk.live
        assert live is not None
        wait_until(live.connected.is_set, what="the stream to connect")
        live.stop(timeout=10)
        assert not live.running  # it did not wait for the read to time out
        desk.close()  # also fine when already stopped
    finally:
        srv.close()


def test_the_listener_reconnects_after_a_restart_and_hears_what_it_missed(
    server: SyncServer,
) -> None:
    desk = server.desk("restart")
    desk.sync()
    pokes = Pokes()
    desk.start_live(pokes)
    live = desk.live
    assert live is not None
    wait_until(live.connected.is_set, what="the stream to connect")
    known = live.last_event_id

    server.process.stop()
    wait_until(lambda: not live.connected.is_set(), what="the listener to notice")
    # A change while the listener is away, straight into the server's database.
    engine = make_engine(server.db_url)
    try:
        touched = touch_cases(engine, 1, seed=7)
    finally:
        engine.dispose()
    server.restart()

    wait_until(lambda: pokes.count > 0, deadline=60, what="the missed change after restart")
    assert live.last_event_id is not None and known is not None
    assert live.last_event_id > known
    assert live.connects >= 2
    report = desk.sync()
    assert set(touched) <= report.case_ids


class NoStream(httpx.BaseTransport):
    """A proxy in front of the real server that does not pass the SSE stream (404)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.polls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/stream":
            return httpx.Response(404, stream=httpx.ByteStream(b'{"detail": "No stream."}'))
        if request.url.params.get("wait"):
            self.polls += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_without_a_stream_the_listener_long_polls(server: SyncServer) -> None:
    desk = server.desk("poller")
    other = server.desk("other", "anna.schmidt")
    desk.sync()
    other.sync()
    transport = NoStream()
    seqs: list[int] = []
    listener = LiveListener(
        lambda: server.client(transport=transport),
        seqs.append,
        desk.reader.cursor_seq(),
        poll_wait=5,
    ).start()
    try:
        wait_until(lambda: listener.mode == "poll" and transport.polls > 0, what="a long-poll")
        case_id = open_case(other)
        other.update_case(case_id, subject="Heard by long-poll")
        other.sync()
        wait_until(lambda: seqs, what="the long-poll to report the change")
        assert seqs[0] > desk.reader.cursor_seq()
    finally:
        listener.stop(timeout=10)
    assert not listener.running


# -- csm sync --------------------------------------------------------------------------------


def _edit_offline(csm: Csm) -> str:
    """A local edit in the CLI's store, made through the desk as the TUI would."""
    desk = Desk(csm.store)
    try:
        case_id = desk.case_window(0, 1)[0].id
        desk.update_case(case_id, subject="Edited on the train")
    finally:
        desk.close()
    return case_id


def test_csm_sync_status_and_push(csm: Csm, live_server: LiveServer) -> None:
    csm("login", "--server", live_server.url, "--token", live_server.token, check=True)
    csm("sync", check=True)
    case_id = _edit_offline(csm)

    status = csm("sync", "--status", check=True)
    lines = status.stdout.splitlines()
    assert lines[:3] == ["Pending edits: 1", "Conflicts: 0", "Rejected edits: 0"]
    assert lines[3].startswith("Last sync: ") and "never" not in lines[3]
    assert lines[4] == f"Server: {live_server.url}"

    result = csm("sync", check=True)
    assert "Pushed 1 edits" in result.stdout and "0 conflicts, 0 rejected" in result.stdout
    assert live_server.query("SELECT subject FROM 'case' WHERE id = ?", case_id) == [
        ("Edited on the train",)
    ]
    assert csm("sync", "--status", check=True).stdout.startswith("Pending edits: 0\n")


def test_csm_sync_with_the_server_down_keeps_the_outbox(csm: Csm, live_server: LiveServer) -> None:
    csm("login", "--server", live_server.url, "--token", live_server.token, check=True)
    csm("sync", check=True)
    _edit_offline(csm)
    live_server.process.stop()

    result = csm("sync")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Cannot reach the case server" in lines[0]
    assert "Traceback" not in result.stderr
    status = csm("sync", "--status", check=True)
    assert status.stdout.startswith("Pending edits: 1\n")


def test_csm_sync_status_needs_no_sign_in(csm: Csm) -> None:
    result = csm("sync", "--status", check=True)
    assert result.stdout.splitlines() == [
        "Pending edits: 0",
        "Conflicts: 0",
        "Rejected edits: 0",
        "Last sync: never",
        "Server: none (run `csm login --server URL`)",
    ]


def test_a_forced_410_resyncs_keeping_the_outbox_then_pushes_it(server: SyncServer) -> None:
    desk = server.desk("resync")
    desk.sync()
    # The server moves on and forgets the log this desk's cursor points into.
    engine = make_engine(server.db_url)
    try:
        touched = set(touch_cases(engine, 3, seed=11))
        compact(engine, keep_last=1)
    finally:
        engine.dispose()
    case_id = open_case(desk)
    while case_id in touched:  # a case nobody else changed: the edit must simply apply
        case_id = open_case(desk)
    mine = other_than(local_case(desk, case_id)["priority"])
    desk.update_case(case_id, priority=mine)
    report = desk.sync()
    assert report.full_resync
    assert desk.pending_count() == 0
    assert server_case(server, case_id)["priority"] == mine
    assert local_case(desk, case_id)["priority"] == mine
    assert set(touched) <= report.case_ids
