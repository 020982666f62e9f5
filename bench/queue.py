"""Queue triage at 100,000 cases: the data layer behind each repaint, next to a plain DataTable.

The store holds N cases (default 100,000) with ~3 messages each (so the FTS index has bodies),
a few tags per case, and a signed-in agent (so ``@me`` matches). In a child process per side
(so that each RSS is its own):

- desk: p95 of opening each view (count + first 50 rows), a page of scrolling (the next 50
  rows, pages 2-21 of several views), one filter keystroke (search strings typed letter by
  letter: count + first 50 rows), the live view counts, a bulk edit and its undo; then RSS.
  Each step starts with the desk's read cache cleared, as after a sync.
- baseline: Textual's DataTable (headless, 120x40) loaded with the same N rows (what a queue
  that loads everything does), then one filter (clear + add the matching rows); then RSS.
- bare: the same Textual app with an empty DataTable, for Textual's own RSS.

The key-to-repaint time in the running app comes from the UI; this measures the data layer.

    make bench    (or: .venv/bin/python bench/queue.py [--cases 100000] [--store PATH])
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is named like the standard library's ``queue`` (which Textual imports): keep the
# bench folder off the front of sys.path, and append it for ``_store``.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))
sys.path.append(str(_BENCH))

TYPED = (
    "refund",
    "überweisung",
    "status:open prio:u",
    "@me #vip",
    '"card blocked"',
    "queue:q3 -status:closed kündigung",
    "CS-10042",
    "Müller",
)
SCROLL_VIEWS = ("all", "mine", "unassigned", "queue-q3", "pending")


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# -- the desk side -------------------------------------------------------------------------


def desk_child(store: Path, runs: int) -> dict[str, object]:
    from csm_tui.desk import CaseQuery, Desk

    desk = Desk(store)
    reader = desk.reader

    def cold() -> None:
        reader._local.__dict__.pop("cache", None)

    def ms(fn: object) -> float:
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        return (time.perf_counter() - start) * 1000

    views = desk.views()
    out: dict[str, object] = {"views": len(views)}
    # Warm the OS file cache once, as a desk that has been running would have it.
    for v in views:
        desk.case_window(0, 50, CaseQuery(view=v.id))

    open_view: list[float] = []
    for _ in range(runs):
        for v in views:
            cold()
            q = CaseQuery(view=v.id)
            open_view.append(ms(lambda q=q: (desk.case_count(q), desk.case_window(0, 50, q))))
    out["open_view_p95"] = p95(open_view)
    out["open_view_max"] = max(open_view)

    scroll: list[float] = []
    for _ in range(runs):
        for view_id in SCROLL_VIEWS:
            for sort in ("updated", "sla"):
                q = CaseQuery(view=view_id, sort=sort)
                cold()
                desk.case_count(q)
                for page in range(1, 21):
                    scroll.append(ms(lambda q=q, page=page: desk.case_window(page * 50, 50, q)))
    out["scroll_p95"] = p95(scroll)
    out["scroll_max"] = max(scroll)

    keys: list[float] = []
    by_text: dict[str, float] = {}
    for _ in range(runs):
        for text in TYPED:
            for i in range(1, len(text) + 1):
                typed = text[:i]
                q = CaseQuery(view="all", search=typed)
                cold()
                t = ms(lambda q=q: (desk.case_count(q), desk.case_window(0, 50, q)))
                keys.append(t)
                by_text[typed] = max(t, by_text.get(typed, 0.0))
    out["keystroke_p95"] = p95(keys)
    out["keystroke_max"] = max(keys)
    slowest = sorted(by_text.items(), key=lambda kv: -kv[1])[:3]
    out["keystroke_worst"] = ", ".join(f"{text!r} {t:.0f} ms" for text, t in slowest)
    out["keystrokes"] = len(keys)

    counts: list[float] = []
    for _ in range(max(3, runs)):
        cold()
        counts.append(ms(desk.view_counts))
    out["view_counts_p95"] = p95(counts)
    out["view_counts_cached"] = ms(desk.view_counts)
    out["mine_count"] = desk.view_counts()["mine"]

    # A bulk edit of 500 cases (500 outbox mutations, one transaction) and its undo.
    ids = [r.id for r in desk.case_window(0, 500, CaseQuery(view="unassigned"))]
    start = time.perf_counter()
    result = desk.set_priority(ids, "urgent")
    out["bulk_ms"] = (time.perf_counter() - start) * 1000
    out["bulk_changed"] = len(result.changed)
    start = time.perf_counter()
    out["undo"] = desk.undo_last()
    out["undo_ms"] = (time.perf_counter() - start) * 1000
    out["rss_mb"] = rss_mb()
    out["hwm_mb"] = hwm_mb()
    desk.close()
    return out


# -- the DataTable side ----------------------------------------------------------------------


def table_child(store: Path, bare: bool) -> dict[str, object]:
    import asyncio

    from textual.app import App
    from textual.widgets import DataTable

    from csm_tui.store.queries import StoreReader

    out: dict[str, object] = {}

    class Plain(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield DataTable()

    async def main() -> None:
        app = Plain()
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.query_one(DataTable)
            table.add_columns("number", "subject", "customer", "status", "priority", "updated")
            if bare:
                await pilot.pause()
                out["rss_mb"] = rss_mb()
                return
            start = time.perf_counter()
            reader = StoreReader(store)
            rows = [
                (r.number, r.subject, r.customer, r.status, r.priority, str(r.updated_at))
                for r in reader.case_window(0, 10**9)
            ]
            out["read_ms"] = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            table.add_rows(rows)
            await pilot.pause()
            out["load_ms"] = (time.perf_counter() - start) * 1000
            out["rows"] = table.row_count
            samples = []
            for needle in ("refund", "kündigung", "first123"):
                start = time.perf_counter()
                matching = [r for r in rows if needle in r[1].lower() or needle in r[2].lower()]
                table.clear()
                table.add_rows(matching)
                await pilot.pause()
                samples.append((time.perf_counter() - start) * 1000)
            out["filter_ms_max"] = max(samples)
            out["filter_ms"] = samples
            out["rss_mb"] = rss_mb()
            out["hwm_mb"] = hwm_mb()

    asyncio.run(main())
    return out


def run_child(kind: str, store: Path, runs: int) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--store", str(store), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "OVER TARGET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", type=Path, help="reuse (or build once at) this store file")
    parser.add_argument("--child", choices=("desk", "table", "bare"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child == "desk":
            result = desk_child(args.store, args.runs)
        else:
            result = table_child(args.store, bare=args.child == "bare")
        print(json.dumps(result))
        return

    from _store import build_store

    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "queue.sqlite3"
        if not store.exists():
            start = time.perf_counter()
            build_store(store, args.cases, messages_per_case=3, tags=True, me="a3")
            print(
                f"store: {args.cases:,} cases, ~{3 * args.cases:,} messages, built (with the "
                f"search index) in {time.perf_counter() - start:.0f} s, "
                f"{store.stat().st_size / 2**20:.0f} MB"
            )
        desk = run_child("desk", store, args.runs)
        table = run_child("table", store, args.runs)
        bare = run_child("bare", store, args.runs)

    print(f"queue at {args.cases:,} cases (data layer; p95 target <= 50 ms, RSS <= 250 MB)")
    print("  desk (sqlite3 windows + FTS5)                      p95       max")
    for label, key in (
        (f"open a view ({desk['views']} views: count + 50 rows)", "open_view"),
        ("a page of scrolling (next 50 rows)", "scroll"),
        (f"one filter keystroke ({desk['keystrokes']} typed)", "keystroke"),
    ):
        p, mx = float(desk[f"{key}_p95"]), float(desk[f"{key}_max"])
        print(f"    {label:<48} {p:6.1f} ms {mx:6.1f} ms  {verdict(p, 50)}")
    print(f"      (slowest keystrokes: {desk['keystroke_worst']})")
    print(
        f"    {'live view counts (all views, cold)':<48} {float(desk['view_counts_p95']):6.1f} ms"
        f"   cached {float(desk['view_counts_cached']):.2f} ms"
    )
    print(
        f"    {'bulk: priority on 500 cases (500 mutations)':<48} {float(desk['bulk_ms']):6.1f} ms"
        f"   undo {float(desk['undo_ms']):.1f} ms: {desk['undo']}"
    )
    rss = float(desk["rss_mb"])
    print(f"    {'desk RSS (data layer, no Textual)':<48} {rss:6.0f} MB  {verdict(rss, 250)}")
    print("  baseline: Textual DataTable holding every row")
    print(f"    {'read all rows from the store':<48} {float(table['read_ms']):6.0f} ms")
    print(f"    {'load them into the DataTable':<48} {float(table['load_ms']):6.0f} ms")
    print(
        f"    {'one filter (clear + add the matching rows)':<48} "
        f"{float(table['filter_ms_max']):6.0f} ms (max of 3)"
    )
    print(f"    {'DataTable app RSS':<48} {float(table['rss_mb']):6.0f} MB")
    print(f"    {'bare Textual app RSS (empty DataTable)':<48} {float(bare['rss_mb']):6.0f} MB")
    print(
        f"    desk + Textual, upper bound: {rss + float(bare['rss_mb']):.0f} MB "
        "(the sum of two processes; one interpreter is counted twice)"
    )


if __name__ == "__main__":
    main()
