"""Sync on the wire: bytes for a first download, a catch-up, an edit, an idle hour of live
stream, and the time to the first page of cases over a thin link.

Each byte figure is next to its floor: the gzip -9 size of a minimal JSON diff of the same
changes (every changed field once, nothing else). Bytes count request and response bodies and
headers as HTTP/1.1 carries them (bench/_wire.py).

    make bench   (or: .venv/bin/python bench/sync.py [--cases 5000])
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# bench/ holds queue.py, which would shadow the standard library's ``queue`` module if the
# folder stayed first on sys.path (Python puts a script's folder there): move it to the end.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))
sys.path.append(str(_BENCH))

from _pty import time_to_marker
from _throttle import Throttle
from _wire import CountingTransport

from csm_tui.desk import Desk
from csm_tui.server.auth import issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.process import ServerProcess, free_port
from csm_tui.server.seed import seed_database, touch_cases
from csm_tui.sync.client import CaseServerClient

TABLES = ("account", "contact", "agent", "queue", "case", "message")


def floor(rows: list[dict[str, Any]]) -> int:
    """gzip -9 of the rows as compact JSON: the least a careful protocol could send."""
    return len(gzip.compress(json.dumps(rows, separators=(",", ":")).encode(), 9))


def all_rows(db: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        for table in TABLES:
            out += [{"e": table, **dict(r)} for r in conn.execute(f'SELECT * FROM "{table}"')]
    return out


def changes_after(db: Path, seq: int) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT entity, entity_id, fields FROM change_log WHERE seq > ? ORDER BY seq", (seq,)
        ).fetchall()
    return [{"e": e, "id": i, **json.loads(f)} for e, i, f in rows]


def max_seq(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0])


def line(label: str, wire: int, base: int | None, target: float | None = None) -> None:
    text = f"  {label:<44} {wire:>10,} B"
    if base:
        ratio = wire / base
        text += f"   floor {base:>9,} B   ratio {ratio:4.2f}"
        if target is not None:
            text += f"  (target <= {target:.1f}: {'ok' if ratio <= target else 'OVER'})"
    print(text)


def idle_stream_bytes(url: str, token: str, seconds: float) -> tuple[int, int, int]:
    """Raw bytes of one live stream held open for ``seconds``: (request, response head,
    body bytes received after the head: the heartbeats)."""
    host, port = url.removeprefix("http://").split(":")
    request = (
        f"GET /api/v1/stream HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
        f"Accept-Encoding: zstd, gzip\r\nAuthorization: Bearer {token}\r\n"
        "User-Agent: csm-tui\r\n\r\n"
    ).encode()
    received = b""
    initial = -1
    start = time.monotonic()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(request)
        sock.settimeout(0.5)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                break
            received += chunk
            if initial < 0 and time.monotonic() - start > 1.0:
                initial = len(received) - len(chunk)
    head, _, body = received.partition(b"\r\n\r\n")
    opening = max(0, initial - len(head) - 4) if initial >= 0 else len(body)
    return len(request), len(head) + 4 + opening, len(body) - opening


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--touch", type=int, default=500)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="csm-bench-sync-"))
    db = tmp / "server.sqlite3"
    db_url = f"sqlite:///{db}"
    engine = make_engine(db_url)
    init_db(engine)
    counts = seed_database(engine, args.cases)
    token = issue_token(engine, "demo", label="bench")
    print(f"sync on the wire: {counts['case']:,} cases, {counts['message']:,} messages")

    with ServerProcess(db_url, log_file=tmp / "server.log") as server:
        counting = CountingTransport()
        desk = Desk.open(
            tmp / "desk.sqlite3",
            client=CaseServerClient(server.url, token, transport=counting),
        )
        try:
            desk.sync()
            line("first download", counting.reset().total, floor(all_rows(db)), 1.3)

            before = max_seq(db)
            touch_cases(engine, args.touch)
            desk.sync()
            line(
                f"catch-up after {args.touch} cases changed",
                counting.reset().total,
                floor(changes_after(db, before)),
                1.5,
            )

            case = desk.case_window(0, 1)[0]
            new = "low" if case.priority != "low" else "high"
            before = max_seq(db)
            desk.update_case(case.id, priority=new)
            desk.sync()
            edit = counting.reset()
            line("one edit, round trip (push + pull)", edit.total, floor(changes_after(db, before)))
        finally:
            desk.close()

        request, head, beats = idle_stream_bytes(server.url, token, args.idle_seconds)
        hour = request + head + beats * 3600 / (args.idle_seconds - 1)
        print(
            f"  {'idle hour on the live stream':<44} {hour:>10,.0f} B   "
            f"(request {request} B, reply head and opening {head} B, then {beats} B of "
            f"heartbeats in {args.idle_seconds - 1:.0f} s scaled to an hour; target <= 4,096: "
            f"{'ok' if hour <= 4096 else 'OVER'})"
        )

    thin_link(tmp, db_url, db, token)


def thin_link(tmp: Path, db_url: str, db: Path, token: str) -> None:
    """Cold `csm` -> first page of cases on screen, through 64 kbit/s and 300 ms RTT."""
    with sqlite3.connect(db) as conn:
        first = conn.execute(
            'SELECT number FROM "case" ORDER BY updated_at DESC, id DESC LIMIT 1'
        ).fetchone()[0]
    times = []
    with ServerProcess(db_url, log_file=tmp / "server-thin.log", port=free_port()) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with Throttle(port, kbit_per_s=64, rtt_ms=300) as link:
            for run in range(3):
                home = tmp / f"thin-home-{run}"
                (home / "config").mkdir(parents=True)
                (home / "config" / "config.toml").write_text(f'server = "{link.url}"\n')
                env = {"CSM_HOME": str(home), "CSM_TOKEN": token}
                csm = str(Path(sys.executable).parent / "csm")
                times.append(time_to_marker([csm], first.encode(), env=env, timeout=120))
    times.sort()
    median = times[len(times) // 2]
    print(
        f"  {'thin link: cold csm -> first page on screen':<44} {median:>10.2f} s   "
        f"(64 kbit/s, 300 ms RTT, median of {len(times)}; target <= 3 s: "
        f"{'ok' if median <= 3 else 'OVER'})"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    threading.excepthook = lambda args: None
    main()
