"""Bytes the desk writes to its terminal per idle minute on the SLA panel, normal mode and
low-bandwidth mode side by side (target: <= 2 KB a minute in low-bandwidth mode).

Set-up, all real: a case server (child process, SQLite) seeded with enough cases that about
50 open cases count down, a lead (``katrin.hoffmann``, who may see the panel) signed in with a
token in ``CSM_TOKEN``, a store filled by ``csm sync``; then the real ``csm`` command (or
``csm --low-bandwidth``) on a pty of 120x40 that answers like a terminal (bench/_pty.py).
Once the queue is painted the bench presses ``L`` (the SLA panel, mode "sla") - or stays on
the queue when the app has no such mode, and says so - waits until the screen settles, then
counts every byte the program writes while nobody touches it. The background sync and the
status bar run as they would on a real desk: they are part of an idle minute. The server's
periodic escalation scan is off (it changes cases, which the panel then rightly repaints).

Baseline: the same desk in normal mode, in the same run.

    make bench    (or: .venv/bin/python bench/terminal_bytes.py [--seconds 60] [--cases 80])

With ``--seconds`` below 60 the figure is scaled to a minute (and the output says so).
"""

from __future__ import annotations

import argparse
import os
import select
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

# bench/ holds queue.py, which would shadow the standard library's ``queue`` module if the
# folder stayed first on sys.path (Python puts a script's folder there): move it to the end.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))
sys.path.append(str(_BENCH))

from _pty import SYNC_SUPPORTED, Terminal

from csm_tui.server.auth import issue_token
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.process import ServerProcess
from csm_tui.server.seed import seed_database

LEAD = "katrin.hoffmann"
TARGET_BYTES_PER_MINUTE = 2048
OPEN = ("new", "open", "pending", "on_hold")


def csm_script() -> str:
    return str(Path(sys.executable).parent / "csm")


def seed_server(folder: Path, cases: int) -> tuple[str, str]:
    db = folder / "server.sqlite3"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    try:
        init_db(engine)
        seed_database(engine, cases)
        token = issue_token(engine, LEAD, label="bench")
    finally:
        engine.dispose()
    return url, token


def desk_home(folder: Path, name: str, server: str, token: str) -> dict[str, str]:
    """A CSM_HOME signed in to ``server`` as the lead, its store filled by ``csm sync``."""
    home = folder / name
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(f'server = "{server}"\n', encoding="utf-8")
    env = {"CSM_HOME": str(home), "CSM_TOKEN": token}
    import subprocess

    subprocess.run(
        [csm_script(), "sync", "--quiet"],
        env={**os.environ, **env},
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return env


def open_cases(home: dict[str, str]) -> int:
    store = Path(home["CSM_HOME"]) / "data" / "store-default.sqlite3"
    marks = ", ".join("?" for _ in OPEN)
    with sqlite3.connect(store) as conn:
        return int(
            conn.execute(f'SELECT count(*) FROM "case" WHERE status IN ({marks})', OPEN).fetchone()[
                0
            ]
        )


def measure(env: dict[str, str], low_bandwidth: bool, seconds: float) -> tuple[int, int, str]:
    """(bytes, frames) written during ``seconds`` of idling on the panel, and what was on
    screen ("SLA panel" or "queue")."""
    argv = [csm_script(), *(["--low-bandwidth"] if low_bandwidth else [])]
    with Terminal(argv, env=env, size=(120, 40)) as term:
        term.wait(
            lambda s, _t: "Sync" in s.text() or "synced" in s.text(), timeout=60, what="the desk"
        )
        term.settle(quiet=1.0, limit=20)
        where = "queue"
        os.write(term.fd, b"L")
        try:
            term.wait(lambda s, _t: "Breach" in s.text(), timeout=20, what="the SLA panel")
            where = "SLA panel"
        except TimeoutError:
            pass  # no SLA panel in this desk (or not a lead): the queue's SLA column ticks
        # Let the panel's first reload and any sync started by the key finish.
        term.settle(quiet=3.0, limit=30)
        total = frames = 0
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            ready, _, _ = select.select([term.fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(term.fd, 1 << 20)
            if not chunk:
                raise RuntimeError("the desk ended while idling")
            total += len(chunk)
            frames += chunk.count(b"\x1b[?2026l")
            if b"\x1b[?2026$p" in chunk:
                os.write(term.fd, SYNC_SUPPORTED)
        return total, frames, where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle time measured")
    parser.add_argument("--cases", type=int, default=80, help="cases seeded (~78%% open)")
    args = parser.parse_args()
    scale = 60.0 / args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db_url, token = seed_server(folder, args.cases)
        # No escalation scan: it changes cases on the server (and so the panel) every minute;
        # the figure is what an idle desk costs, not what the server's activity does.
        quiet = {"CSM_SERVER_ESCALATION_INTERVAL": "0"}
        with ServerProcess(db_url, log_file=folder / "server.log", env=quiet) as server:
            homes = {
                False: desk_home(folder, "normal", server.url, token),
                True: desk_home(folder, "low", server.url, token),
            }
            n_open = open_cases(homes[False])
            print(
                f"terminal bytes per idle minute, {n_open} open cases of {args.cases} "
                f"(pty 120x40, signed in as the lead {LEAD})"
            )
            if args.seconds != 60:
                print(f"  measured over {args.seconds:g} s each, scaled to a minute")
            results = {}
            for low in (False, True):
                total, frames, where = measure(homes[low], low, args.seconds)
                results[low] = total * scale
                label = "low-bandwidth mode" if low else "normal mode (baseline)"
                print(
                    f"  {label:<24} {total * scale:9,.0f} bytes/min  "
                    f"{frames * scale:6.0f} frames/min  on the {where}"
                )
            low = results[True]
            verdict = "ok" if low <= TARGET_BYTES_PER_MINUTE else "OVER TARGET"
            ratio = results[False] / low if low else float("inf")
            print(
                f"  low-bandwidth: {low / 1024:.2f} KB/min (target <= 2 KB/min: {verdict}); "
                f"{ratio:.1f}x fewer bytes than normal mode"
            )


if __name__ == "__main__":
    main()
