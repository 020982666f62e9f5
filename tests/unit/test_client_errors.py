"""Bad replies from the server become one sentence, and the store and cursor stay as they were.

The transports here inject faults (they stand in for a broken or hostile server); the store,
the sync engine and the client are the real ones.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import pytest

from csm_tui.desk import Desk
from csm_tui.errors import CsmError
from csm_tui.store.apply import CURSOR_KEY, get_state, set_state
from csm_tui.sync.client import CaseServerClient

TOKEN = "secret-token-value"


ME = {"id": "a1", "handle": "anna", "name": "Anna Berger", "role": "agent"}


def _desk(tmp_path: Path, handler) -> Desk:  # type: ignore[no-untyped-def]
    def routed(request: httpx.Request) -> httpx.Response:
        # The first sync asks who the token belongs to; the faults under test are the pull's.
        if request.url.path == "/api/v1/me":
            return httpx.Response(200, stream=httpx.ByteStream(json.dumps(ME).encode()))
        return handler(request)

    client = CaseServerClient("http://cases.test", TOKEN, transport=httpx.MockTransport(routed))
    return Desk.open(tmp_path / "store.sqlite3", client=client)


def _reply(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        # A stream, as a real transport gives: the client reads the raw bytes itself.
        return httpx.Response(status, stream=httpx.ByteStream(body), headers=headers or {})

    return handler


GOOD_PAGE = {
    "rows": [
        {
            "seq": 0,
            "entity": "queue",
            "id": "q1",
            "op": "upsert",
            "fields": {
                "id": "q1",
                "slug": "billing",
                "name": "Billing",
                "version": 1,
                "updated_at": "2026-11-01T10:00:00",
            },
        },
    ],
    "cursor": "d.5",
    "more": False,
    "snapshot": True,
}


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (_reply(body=b"<html>proxy login</html>"), "not JSON"),
        (_reply(body=json.dumps({"rows": "nope"}).encode()), "does not understand"),
        (_reply(body=json.dumps({"cursor": "d.1"}).encode()), "does not understand"),
        (
            _reply(
                body=gzip.compress(json.dumps(GOOD_PAGE).encode())[:30],
                headers={"content-encoding": "gzip"},
            ),
            "cut off or badly compressed",
        ),
        (
            _reply(
                500,
                json.dumps(
                    {"detail": "The case server hit an internal error; try again."}
                ).encode(),
            ),
            "answered 500",
        ),
        (_reply(401, json.dumps({"detail": "Missing or invalid token."}).encode()), "csm login"),
        (_reply(502, b"bad gateway"), "answered 502."),
    ],
)
def test_bad_replies_are_one_sentence_and_change_nothing(
    tmp_path: Path, handler, expected: str
) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(tmp_path, handler)
    set_state(desk.store, CURSOR_KEY, "d.3")
    with pytest.raises(CsmError) as info:
        desk.sync()
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and TOKEN not in message
    assert get_state(desk.store, CURSOR_KEY) == "d.3"
    assert desk.case_count() == 0
    assert desk.status.state == "offline" and desk.status.error == message
    desk.close()


def test_unreachable_server_is_one_sentence(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    desk = _desk(tmp_path, refuse)
    with pytest.raises(CsmError, match=r"Cannot reach the case server at http://cases\.test"):
        desk.sync()
    desk.close()


def test_gone_cursor_resyncs_from_scratch(tmp_path: Path) -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        seen.append(cursor)
        if cursor == "d.999":
            body = {"detail": "The server no longer knows this cursor."}
            return httpx.Response(410, stream=httpx.ByteStream(json.dumps(body).encode()))
        return httpx.Response(200, stream=httpx.ByteStream(json.dumps(GOOD_PAGE).encode()))

    desk = _desk(tmp_path, handler)
    set_state(desk.store, CURSOR_KEY, "d.999")
    report = desk.sync()
    assert seen == ["d.999", None]
    assert report.full_resync and report.rows == 1
    assert get_state(desk.store, CURSOR_KEY) == "d.5"
    desk.close()
