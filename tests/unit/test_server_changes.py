"""The pull side of the case server: snapshot paging, deltas, cursors, and HTTP plumbing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from csm_tui.domain.models import REPLICATED
from csm_tui.server import app as server_app
from csm_tui.server.app import make_server_app
from csm_tui.server.auth import issue_token
from csm_tui.server.changes import BAD_CURSOR_DETAIL, CURSOR_GONE_DETAIL, max_seq
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.seed import seed_database, touch_cases
from csm_tui.server.tables import ChangeLog
from csm_tui.sync import wire

NOW = datetime(2025, 3, 14, 12, 0, 0)


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'server' / 'cases.db'}")
    init_db(eng)
    seed_database(eng, 60, seed=5, now=NOW)
    yield eng
    eng.dispose()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    token = issue_token(engine, "demo", label="tests")
    with TestClient(make_server_app(engine=engine)) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def _pull_all(
    client: TestClient, cursor: str | None = None, **params: Any
) -> tuple[list[dict[str, Any]], str, list[dict[str, Any]]]:
    """Follow ``more`` to the end; returns all rows, the last cursor and the pages."""
    rows: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    while True:
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        reply = client.get("/api/v1/changes", params=query)
        assert reply.status_code == 200, reply.text
        page = wire.ChangesPage.model_validate(reply.json()).model_dump()
        pages.append(page)
        rows.extend(page["rows"])
        cursor = page["cursor"]
        if not page["more"]:
            return rows, cursor, pages


def _all_ids(engine: Engine) -> set[tuple[str, str]]:
    with Session(engine) as session:
        return {
            (model.entity, row_id)  # type: ignore[attr-defined]
            for model in REPLICATED
            for row_id in session.exec(select(model.id)).all()  # type: ignore[attr-defined]
        }


def test_snapshot_pages_cover_every_row_exactly_once(client: TestClient, engine: Engine):
    rows, cursor, pages = _pull_all(client, limit=37, max_bytes=6000)

    keys = [(r["entity"], r["id"]) for r in rows]
    assert len(keys) == len(set(keys)), "a row came twice"
    assert set(keys) == _all_ids(engine)
    assert len(pages) > 10
    assert all(p["snapshot"] for p in pages)
    assert all(r["seq"] == 0 and r["op"] == "upsert" for r in rows)
    for page in pages:
        assert len(page["rows"]) <= 37
        size = len(json.dumps(page["rows"], ensure_ascii=False, separators=(",", ":")))
        assert size <= 6000 or len(page["rows"]) == 1
    # Parents arrive before children: entities in REPLICATED order.
    order = [m.entity for m in REPLICATED]  # type: ignore[attr-defined]
    positions = [order.index(r["entity"]) for r in rows]
    assert positions == sorted(positions)
    # A full row carries every field.
    case = next(r for r in rows if r["entity"] == "case")
    assert {"number", "subject", "status", "tags", "updated_at", "version"} <= set(case["fields"])
    # Nothing else is waiting: the next pull is an empty delta page.
    again = client.get("/api/v1/changes", params={"cursor": cursor}).json()
    assert again["rows"] == [] and again["more"] is False and again["cursor"] == cursor


def test_a_tiny_byte_budget_still_makes_progress(client: TestClient, engine: Engine):
    rows, _, pages = _pull_all(client, limit=500, max_bytes=1)
    assert all(len(p["rows"]) == 1 for p in pages if p["rows"])
    assert {(r["entity"], r["id"]) for r in rows} == _all_ids(engine)


def test_deltas_after_touch_list_exactly_the_touched_cases(client: TestClient, engine: Engine):
    _, cursor, _ = _pull_all(client)
    touched = touch_cases(engine, 10)
    assert len(touched) == 10

    rows, _, pages = _pull_all(client, cursor)
    assert not any(p["snapshot"] for p in pages)
    case_rows = [r for r in rows if r["entity"] == "case"]
    assert sorted(r["id"] for r in case_rows) == sorted(touched)
    assert len([r for r in rows if r["entity"] == "message"]) == 10
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    for row in case_rows:
        # Only what changed travels, never the whole case.
        assert {"version", "updated_at"} <= set(row["fields"])
        assert "subject" not in row["fields"]
        assert set(row["fields"]) & {"status", "priority"} or row["fields"]["version"] > 1


def test_delta_paging_with_small_pages_keeps_order(client: TestClient, engine: Engine):
    _, cursor, _ = _pull_all(client)
    touch_cases(engine, 12, seed=3)
    rows, _, pages = _pull_all(client, cursor, limit=5)
    assert len(rows) == 24
    assert all(len(p["rows"]) <= 5 for p in pages)
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    assert pages[0]["remaining"] == 19


def test_changes_during_a_snapshot_are_not_lost(client: TestClient, engine: Engine):
    first = client.get("/api/v1/changes", params={"limit": 50}).json()
    assert first["more"] is True and first["snapshot"] is True
    touched = touch_cases(engine, 5, seed=11)
    rows, _, _ = _pull_all(client, first["cursor"], limit=50)
    # The deltas that follow the snapshot repeat the changes made while it was paged.
    delta_cases = {r["id"] for r in rows if r["entity"] == "case" and r["seq"] > 0}
    assert delta_cases == set(touched)


@pytest.mark.parametrize(
    "cursor", ["x", "d.", "d.abc", "d.-1", "d.+1", "d.1.2", "s.1", "s.1.99.", "s.x.0.", "q.1"]
)
def test_malformed_cursor_is_400_with_one_sentence(client: TestClient, cursor: str):
    reply = client.get("/api/v1/changes", params={"cursor": cursor})
    assert reply.status_code == 400
    assert reply.json() == {"detail": BAD_CURSOR_DETAIL}


def test_cursor_past_the_log_is_410(client: TestClient, engine: Engine):
    with Session(engine) as session:
        high = max_seq(session)
    for cursor in (f"d.{high + 1}", f"s.{high + 100}.0."):
        reply = client.get("/api/v1/changes", params={"cursor": cursor})
        assert reply.status_code == 410
        assert reply.json() == {"detail": CURSOR_GONE_DETAIL}


def test_limit_and_max_bytes_are_clamped_not_refused(client: TestClient):
    assert len(client.get("/api/v1/changes", params={"limit": 0}).json()["rows"]) == 1
    huge = client.get("/api/v1/changes", params={"limit": 10**6, "max_bytes": 10**9})
    assert huge.status_code == 200
    assert len(huge.json()["rows"]) <= wire.MAX_PAGE_ROWS


def test_validation_errors_are_one_sentence(client: TestClient):
    reply = client.get("/api/v1/changes", params={"limit": "many"})
    assert reply.status_code == 422
    detail = reply.json()["detail"]
    assert isinstance(detail, str) and detail.endswith(".") and "\n" not in detail
    assert "limit" in detail


def test_unknown_route_is_json(client: TestClient):
    reply = client.get("/api/v1/nothing-here")
    assert reply.status_code == 404
    assert reply.json() == {"detail": "There is no such endpoint on the case server."}


def test_internal_errors_hide_the_traceback(engine: Engine):
    app = make_server_app(engine=engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as c:
        reply = c.get("/boom")
    assert reply.status_code == 500
    assert reply.json() == {"detail": server_app.INTERNAL_DETAIL}
    assert "secret" not in reply.text


def test_responses_are_gzipped_when_asked(client: TestClient):
    reply = client.get("/api/v1/changes", headers={"Accept-Encoding": "gzip"})
    assert reply.status_code == 200
    assert reply.headers.get("content-encoding") == "gzip"
    assert reply.json()["rows"]  # httpx decoded it
    plain = client.get("/api/v1/changes", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_oversized_body_is_413_by_content_length(client: TestClient):
    reply = client.post("/api/v1/me", content=b"x" * (server_app.MAX_BODY_BYTES + 1))
    assert reply.status_code == 413
    assert reply.json() == {"detail": server_app.TOO_LARGE_DETAIL}


def test_oversized_chunked_body_is_413_while_reading(engine: Engine):
    app = make_server_app(engine=engine)

    @app.post("/read")
    async def read(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 100_000  # 2 MB in total, sent without a Content-Length

    with TestClient(app) as c:
        small = c.post("/read", content=b"z" * 1000)
        big = c.post("/read", content=chunks())
    assert small.json() == {"size": 1000}
    assert big.status_code == 413
    assert big.json() == {"detail": server_app.TOO_LARGE_DETAIL}


def test_openapi_is_published(client: TestClient):
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "csm case server"
    assert "/api/v1/changes" in spec["paths"]


def test_change_log_has_one_row_per_seeded_entity(engine: Engine):
    with Session(engine) as session:
        entries = session.exec(select(ChangeLog)).all()
    assert {(e.entity, e.entity_id) for e in entries} == _all_ids(engine)
    assert len(entries) == len(_all_ids(engine))


def test_server_imports_no_desk_code():
    code = (
        "import sys\n"
        "import csm_tui.server.app, csm_tui.server.run, csm_tui.server.seed\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith(('textual.',"
        " 'csm_tui.store', 'csm_tui.sync.client', 'csm_tui.sync.engine'))]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_mutations_log_changed_fields_and_tombstones(client: TestClient, engine: Engine):
    from csm_tui.domain.models import Case
    from csm_tui.server import mutations

    _, cursor, _ = _pull_all(client)
    with Session(engine) as session:
        case = session.exec(select(Case).order_by(Case.number)).first()
        assert case is not None
        case_id, version, tags = case.id, case.version, list(case.tags)
        mutations.update_fields(session, Case, case_id, {"tags": tags})  # no change: no row
        mutations.update_fields(session, Case, case_id, {"tags": [*tags, "callback"]})
        with pytest.raises(ValueError, match="Cannot set"):
            mutations.update_fields(session, Case, case_id, {"version": 99})
        session.commit()
    with Session(engine) as session:
        mutations.delete(session, Case, case_id)
        session.commit()
    rows, _, _ = _pull_all(client, cursor)
    assert [(r["op"], r["id"]) for r in rows] == [("upsert", case_id), ("delete", case_id)]
    assert set(rows[0]["fields"]) == {"tags", "version", "updated_at"}
    assert rows[0]["fields"]["version"] == version + 1
    assert rows[1]["fields"] == {}
