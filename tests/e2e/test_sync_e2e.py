"""The walking skeleton end to end: real server, ``csm seed``, ``csm login``, ``csm sync``."""

from __future__ import annotations

import gzip
import json
import sqlite3

import httpx
import pytest
import zstandard

from csm_tui.desk import Desk
from csm_tui.sync.client import CaseServerClient
from tests.e2e.conftest import SEED_CASES, Csm, LiveServer

pytestmark = pytest.mark.e2e

CASE_COLUMNS = (
    "id, number, subject, status, priority, channel, queue_id, assignee_id, contact_id, version"
)


class RecordingTransport(httpx.HTTPTransport):
    """Passes every request to the real server and keeps each decoded reply body."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[dict] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        raw = b"".join(response.stream)  # type: ignore[union-attr]
        response.close()
        if request.url.path == "/api/v1/changes":
            encoding = response.headers.get("content-encoding")
            if encoding == "gzip":
                body = gzip.decompress(raw)
            elif encoding == "zstd":
                body = zstandard.ZstdDecompressor().decompressobj().decompress(raw)
            else:
                body = raw
            self.bodies.append(json.loads(body))
        return httpx.Response(
            response.status_code, headers=response.headers, stream=httpx.ByteStream(raw)
        )


def _local_cases(store) -> list[tuple]:
    with sqlite3.connect(store) as conn:
        return sorted(conn.execute(f"SELECT {CASE_COLUMNS} FROM 'case'").fetchall())


def _server_cases(server: LiveServer) -> list[tuple]:
    return sorted(server.query(f"SELECT {CASE_COLUMNS} FROM 'case'"))


def test_login_sync_mirrors_server_then_pulls_only_changes(
    csm: Csm, live_server: LiveServer
) -> None:
    login = csm("login", "--server", live_server.url, "--token", live_server.token, check=True)
    assert "Signed in" in login.stdout
    # The token is in the keyring, never in the config file.
    config = (csm.home / "config" / "config.toml").read_text()
    assert live_server.url in config and live_server.token not in config

    first = csm("sync", check=True)
    assert "Synced" in first.stdout
    server_cases = _server_cases(live_server)
    assert len(server_cases) == SEED_CASES
    assert _local_cases(csm.store) == server_cases
    with sqlite3.connect(csm.store) as conn:
        local_messages = conn.execute("SELECT count(*) FROM message").fetchone()[0]
    assert local_messages == live_server.query("SELECT count(*) FROM message")[0][0]

    before = dict(live_server.query("SELECT id, version FROM 'case'"))
    csm("seed", "--db", live_server.db_url, "--touch", "10", check=True)
    after = dict(live_server.query("SELECT id, version FROM 'case'"))
    touched = {cid for cid, version in after.items() if before[cid] != version}
    assert len(touched) == 10

    # The second sync, in process, through a transport that keeps what the server sent.
    transport = RecordingTransport()
    client = CaseServerClient(live_server.url, live_server.token, transport=transport)
    desk = Desk.open(csm.store, client=client)
    try:
        report = desk.sync()
    finally:
        desk.close()
    rows = [row for body in transport.bodies for row in body["rows"]]
    case_rows = [row for row in rows if row["entity"] == "case"]
    assert {row["id"] for row in case_rows} == touched
    assert len(case_rows) == 10
    assert report.case_ids == touched
    assert all(not body["snapshot"] for body in transport.bodies)
    assert _local_cases(csm.store) == _server_cases(live_server)

    # And once more: nothing new, nothing pulled.
    again = csm("sync", check=True)
    assert "Synced 0 changes" in again.stdout


def test_sync_reports_counts_of_changed_cases(csm: Csm, live_server: LiveServer) -> None:
    csm("login", "--server", live_server.url, "--token", live_server.token, check=True)
    csm("sync", check=True)
    csm("seed", "--db", live_server.db_url, "--touch", "10", check=True)
    result = csm("sync", check=True)
    assert "10 case" in result.stdout


def test_login_with_a_wrong_token_is_one_sentence(csm: Csm, live_server: LiveServer) -> None:
    result = csm("login", "--server", live_server.url, "--token", "not-a-token")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "csm login" in lines[0]
    assert "not-a-token" not in result.stderr


def test_sync_against_a_stopped_server_is_one_sentence_and_keeps_the_store(
    csm: Csm, live_server: LiveServer
) -> None:
    csm("login", "--server", live_server.url, "--token", live_server.token, check=True)
    csm("sync", check=True)
    cases_before = _local_cases(csm.store)
    live_server.process.stop()
    result = csm("sync")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Cannot reach the case server" in result.stderr
    assert live_server.token not in result.stderr + result.stdout
    assert _local_cases(csm.store) == cases_before


def test_logout_forgets_the_token(csm: Csm, live_server: LiveServer) -> None:
    csm("login", "--server", live_server.url, "--token", live_server.token, check=True)
    assert "Signed out" in csm("logout", check=True).stdout
    result = csm("sync")
    assert result.returncode == 1
    assert "not signed in" in result.stderr
