"""The desk's SLA reads on a big store: ``Desk.sla_watch`` for the queue's visible rows and
for every open case, from the store (facts: three queries per 5,000 cases) through the engine.

Works on a copy of a built store (``bench/_store.py`` builds one; it has no status events,
so the copy gets the server's audit lines for every worked case: new -> open, then open ->
pending / on hold / solved, solved -> closed, the way the seed writes them). Then, each the
median of ``--runs`` on a fresh desk:

- 50 rows, cold: a new desk's first call (SLA book built, facts read, computed);
- 50 rows, warm: the same call again (the per-case cache, store unchanged);
- 50 rows after a store change (cache dropped, book kept);
- every open case (new, open, pending, on hold), cold, split into reading the facts and
  computing the watches.

    .venv/bin/python bench/sla_desk.py STORE [--runs 5] [--work DIR]
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from csm_tui.desk import Desk
from csm_tui.domain.enums import CaseStatus
from csm_tui.domain.sla import status_line, watch
from csm_tui.store import outbox

S = CaseStatus
_OPEN = ("new", "open", "pending", "on_hold")


def add_status_events(path: Path) -> int:
    """Status event lines for every worked case of the store at ``path`` (in place)."""
    conn = sqlite3.connect(path)
    try:
        if conn.execute("SELECT 1 FROM message WHERE kind = 'event' LIMIT 1").fetchone():
            return 0
        rows = conn.execute('SELECT id, status, created_at, updated_at FROM "case"').fetchall()
        events = []
        for case_id, status, created, updated in rows:
            if status == "new":
                continue
            t0, t1 = datetime.fromisoformat(created), datetime.fromisoformat(updated)
            opened = t0 + min(timedelta(minutes=5), (t1 - t0) / 3)
            moves = [(opened, S.NEW, S.OPEN)]
            if status == "closed":
                moves += [(t1 - timedelta(seconds=1), S.OPEN, S.SOLVED), (t1, S.SOLVED, S.CLOSED)]
            elif status != "open":
                moves.append((t1, S.OPEN, S(status)))
            for at, old, new in moves:
                events.append(
                    (str(uuid.uuid4()), case_id, "event", "Lena Lead", status_line(old, new),
                     at.strftime("%Y-%m-%d %H:%M:%S.%f"), 1)
                )  # fmt: skip
        conn.executemany(
            "INSERT INTO message (id, case_id, kind, author_name, body, created_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            events,
        )
        conn.commit()
        return len(events)
    finally:
        conn.close()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a built desk store (it is copied, not changed)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None, help="where the copy goes")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="sla-desk-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "store.sqlite3"
    if not path.exists():
        shutil.copyfile(args.store, path)
        added = add_status_events(path)
        print(f"copied {args.store} to {path}; added {added} status events")
    now = datetime(2026, 11, 20, 9, 0)

    desk = Desk.open(path, clock=lambda: now)
    try:
        total = desk.reader.count_cases()
        marks = ", ".join("?" for _ in _OPEN)
        open_ids = [
            r[0]
            for r in desk.reader._all(
                f'SELECT id FROM "case" WHERE status IN ({marks}) ORDER BY updated_at DESC',
                _OPEN,
            )
        ]
        visible = [r.id for r in desk.case_window(0, 50)]
    finally:
        desk.close()
    print(f"{total} cases, {len(open_ids)} open; load average {os.getloadavg()[0]:.2f}")

    cold, warm, changed, all_cold, all_facts, all_compute = [], [], [], [], [], []
    for _ in range(args.runs):
        desk = Desk.open(path, clock=lambda: now)
        try:
            t = time.perf_counter()
            desk.sla_watch(visible, now)
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            desk.sla_watch(visible, now)
            warm.append(time.perf_counter() - t)
            with desk._outbox().transaction() as conn:  # any commit: the cache goes
                outbox.set_state(conn, "bench_touch", str(time.time()))
            t = time.perf_counter()
            desk.sla_watch(visible, now)
            changed.append(time.perf_counter() - t)
        finally:
            desk.close()
        desk = Desk.open(path, clock=lambda: now)
        try:
            t = time.perf_counter()
            result = desk.sla_watch(open_ids, now)
            all_cold.append(time.perf_counter() - t)
            assert len(result) == len(open_ids)
            book = desk.sla_book()
            t = time.perf_counter()
            facts = desk.sla_facts(open_ids)
            all_facts.append(time.perf_counter() - t)
            gc.disable()  # as sla_watch does
            t = time.perf_counter()
            [watch(s) for s in book.compute_many(facts.values(), now)]
            all_compute.append(time.perf_counter() - t)
            gc.enable()
        finally:
            desk.close()
    med = statistics.median
    print(f"sla_watch, 50 visible rows, cold (new desk):     {_ms(med(cold))}")
    print(f"sla_watch, 50 visible rows, warm (cached):       {_ms(med(warm))}")
    print(f"sla_watch, 50 visible rows, after a store change: {_ms(med(changed))}")
    print(f"sla_watch, all {len(open_ids)} open cases, cold:   {_ms(med(all_cold))}")
    print(f"  of which reading the facts:                    {_ms(med(all_facts))}")
    print(f"  of which compute_many + watch:                 {_ms(med(all_compute))}")
    active = sum(1 for w in result.values() if w is not None)
    print(f"  {active} of them with an active metric")


if __name__ == "__main__":
    main()
