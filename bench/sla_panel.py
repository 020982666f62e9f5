"""The lead's SLA panel (issue #8): one tick with 10,000 open cases, and a reload (board, KPIs,
escalations) at 15,000 and 100,000 cases.

1. Board tick, pure: ``SlaBoard.at`` over 10,000 open cases (synthetic facts from
   ``bench/sla.py``, 10 queues, 25 agents): per queue and per agent counts and the next 20 to
   breach, median of 50, against 20 ms; for reference ``Watch.at`` on every case (what the
   board's bisection replaces).
2. Panel tick, real: the panel screen in a headless app on a store of ``--tick-cases`` cases
   (default 15,000: about 10,000 open), a lead signed in; ``SlaPanelScreen.tick`` (board at
   the new second, the cells that changed), median of 20 with the clock a second further
   each time, against 20 ms. Also the panel's reload there (``Desk.sla_panel``).
3. Reload parts at ``--cases`` (default 100,000): the SLA index brought up to date (nothing
   to do after a sync, which does it), the open cases with their next breach from it, the
   watches of the cases due first (the countdown), the KPI reads (SQL aggregates) and the
   KPI maths, the escalations; against reading the same window's cases through
   ``Desk.sla_facts`` (the KPIs without the aggregates) and running every open case through
   the engine (the board without the index).

Stores come from ``bench/_store.py`` (4 messages a case), with the status events of
``bench/sla_desk.py`` and survey answers for a third of the solved cases added; they are
kept in ``--work`` and reused. The machine's load moves every figure: it is printed with them.

    .venv/bin/python bench/sla_panel.py [--cases 100000] [--tick-cases 15000] [--work DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# bench/queue.py is named like the standard library's ``queue`` (which Textual imports): keep
# the bench folder off the front of sys.path, and append it for the helpers.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))
sys.path.append(str(_BENCH))

from _store import build_store
from sla import synthetic_case
from sla_desk import add_status_events

from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.domain.kpi import TREND_DAYS, kpi_report, local_day_starts
from csm_tui.domain.sla import Clock, SlaBook, watch
from csm_tui.domain.sla_board import AgentInfo, BoardCase, QueueInfo, SlaBoard, due_first
from csm_tui.sla_panel_data import COUNTDOWN_WATCHES, ESCALATION_WINDOW
from csm_tui.store import kpi as kpi_store
from csm_tui.store.outbox import sql_time

TICK_TARGET_S = 0.020
NOW = datetime(2026, 11, 20, 9, 0)  # bench/_store.py's cases are from the 30 days before


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def _verdict(seconds: float, target: float) -> str:
    return "ok" if seconds <= target else "OVER"


def board_tick(n_open: int, runs: int = 50) -> None:
    rng = random.Random(8)
    now = datetime(2026, 3, 30, 10, 17, 23)  # bench/sla.py's Monday
    book = SlaBook.defaults()
    cases: list[BoardCase] = []
    while len(cases) < n_open:
        states = book.compute(synthetic_case(rng, now), now)
        if not any(s.state is Clock.ACTIVE for s in states):
            continue
        i = len(cases)
        cases.append(
            BoardCase(
                f"c{i}", f"CS-{10000 + i}", "", "normal", "open",
                f"q{rng.randrange(10)}",
                f"a{rng.randrange(25)}" if rng.random() < 0.8 else None,
                watch(states),
            )
        )  # fmt: skip
    queues = [QueueInfo(f"q{i}", f"q{i}", f"Queue {i}") for i in range(10)]
    agents = [AgentInfo(f"a{i}", f"agent{i}", f"Agent {i}", "T", 20) for i in range(25)]
    gc.collect()
    t0 = time.perf_counter()
    board = SlaBoard(cases, queues, agents)
    built = time.perf_counter() - t0
    ticks, plain = [], []
    for k in range(runs):
        later = now + timedelta(seconds=60 + k)
        t0 = time.perf_counter()
        at = board.at(later)
        ticks.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        [c.watch.at(later) for c in cases]  # type: ignore[union-attr]
        plain.append(time.perf_counter() - t0)
    tick = statistics.median(ticks)
    print(
        f"1. board tick, {n_open:,} open cases: {_ms(tick)} (SlaBoard.at, median of {runs}; "
        f"{at.breached:,} breached, {at.at_risk:,} at risk, {len(at.next)} counting down); "
        f"target <= {TICK_TARGET_S * 1000:.0f} ms: {_verdict(tick, TICK_TARGET_S)}"
    )
    print(
        f"   (reference: Watch.at on every case {_ms(statistics.median(plain))}; "
        f"building the board once a reload {_ms(built)})"
    )


def prepare_store(path: Path, cases: int) -> Path:
    """A built store with status events, survey answers and a lead (kept and reused)."""
    if path.exists():
        return path
    t0 = time.perf_counter()
    build_store(path, cases, seed=3, messages_per_case=4, me="a1")
    add_status_events(path)
    rng = random.Random(5)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE agent SET role = 'lead' WHERE id = 'a1'")
        done = conn.execute(
            "SELECT id, updated_at FROM \"case\" WHERE status IN ('solved', 'closed')"
        ).fetchall()
        answers = [
            (f"s{n}", case_id, rng.choice((5, 5, 5, 4, 4, 3, 2, 1)), updated, 1)
            for n, (case_id, updated) in enumerate(done)
            if rng.random() < 0.32
        ]
        conn.executemany(
            "INSERT INTO survey_answer (id, case_id, rating, answered_at, version) "
            "VALUES (?, ?, ?, ?, ?)",
            answers,
        )
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES ('last_sync_at', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            ((NOW - timedelta(minutes=3)).isoformat(timespec="seconds"),),
        )
    built = time.perf_counter() - t0
    desk = Desk.open(path, clock=lambda: NOW)
    try:
        t0 = time.perf_counter()
        desk.refresh_sla()  # the SLA index, as a desk's first sync fills it
        indexed = time.perf_counter() - t0
    finally:
        desk.close()
    print(
        f"   built {path} ({cases:,} cases) in {built:.0f} s, its SLA index (as the first "
        f"sync does) in {indexed:.1f} s (neither timed below)"
    )
    return path


def panel_tick(path: Path, runs: int = 20) -> None:
    from csm_tui.app import make_app
    from csm_tui.screens.sla_panel import SlaPanelScreen

    moment = [NOW]
    desk = Desk.open(path, clock=lambda: moment[0])
    app = make_app(Settings(), desk, sync_on_start=False)
    app.animation_level = "none"
    result: dict[str, object] = {}

    async def run() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            t0 = time.perf_counter()
            await pilot.press("L")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            result["open_panel"] = time.perf_counter() - t0
            screen = app.screen
            assert isinstance(screen, SlaPanelScreen) and screen.data is not None
            result["open"] = len(screen.data.board)
            ticks = []
            for k in range(runs):
                moment[0] = NOW + timedelta(seconds=k + 1)
                t0 = time.perf_counter()
                screen.tick()
                ticks.append(time.perf_counter() - t0)
                await pilot.pause()
            result["tick"] = statistics.median(ticks)

    try:
        asyncio.run(run())
    finally:
        desk.close()
    reloads = []
    for _ in range(3):
        fresh = Desk.open(path, clock=lambda: NOW)  # the SLA watches are cached per desk
        try:
            t0 = time.perf_counter()
            fresh.sla_panel(NOW)
            reloads.append(time.perf_counter() - t0)
        finally:
            fresh.close()
    tick = float(result["tick"])  # type: ignore[arg-type]
    print(
        f"2. panel tick, {result['open']:,} open cases (SlaPanelScreen.tick: board + changed "
        f"cells): {_ms(tick)} (median of {runs}); target <= {TICK_TARGET_S * 1000:.0f} ms: "
        f"{_verdict(tick, TICK_TARGET_S)}"
    )
    print(
        f"   reload (Desk.sla_panel, new desk): {_ms(statistics.median(reloads))} (median of 3); "
        f"L to a painted panel: {_ms(float(result['open_panel']))}"  # type: ignore[arg-type]
    )


def reload_parts(path: Path, runs: int = 3) -> None:
    parts: dict[str, list[float]] = {}

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        value = fn()
        parts.setdefault(name, []).append(time.perf_counter() - t0)
        return value

    window_start = local_day_starts(NOW, UTC, TREND_DAYS)[0]
    for _ in range(runs):
        desk = Desk.open(path, clock=lambda: NOW)
        try:
            reader = desk.reader
            total = reader.count_cases()
            timed("SLA index up to date (refresh_sla)", desk.refresh_sla)
            cases = timed(
                "open cases + next breach (SQL, index)",
                lambda: kpi_store.open_cases(reader, indexed=True),  # noqa: B023
            )
            ids = [c.id for c in cases]
            head = due_first(cases, NOW, COUNTDOWN_WATCHES)
            timed(
                f"watches of the {COUNTDOWN_WATCHES} due first",
                lambda: desk.sla_watch(head, NOW),  # noqa: B023
            )
            facts = timed(
                "KPI reads (SQL aggregates)",
                lambda: kpi_store.kpi_facts(reader, window_start),  # noqa: B023
            )
            timed("KPI maths (14 days)", lambda: kpi_report(facts, NOW, UTC))  # noqa: B023
            timed(
                "escalations (24 h)",
                lambda: kpi_store.escalations(reader, NOW - ESCALATION_WINDOW),  # noqa: B023
            )
            window = [
                r[0]
                for r in reader._all(
                    'SELECT id FROM "case" WHERE updated_at >= ?',
                    (sql_time(window_start),),
                )
            ]
        finally:
            desk.close()
        desk = Desk.open(path, clock=lambda: NOW)
        try:
            timed("baseline: the window's SLA facts", lambda: desk.sla_facts(window))  # noqa: B023
        finally:
            desk.close()
        desk = Desk.open(path, clock=lambda: NOW)
        try:
            timed("baseline: every open case's watch", lambda: desk.sla_watch(ids, NOW))  # noqa: B023
        finally:
            desk.close()
        desk = Desk.open(path, clock=lambda: NOW)
        try:
            timed("whole reload (Desk.sla_panel)", lambda: desk.sla_panel(NOW))  # noqa: B023
        finally:
            desk.close()
    print(
        f"3. reload at {total:,} cases ({len(ids):,} open, {len(window):,} updated in the "
        f"{TREND_DAYS}-day window, {len(facts.answers):,} survey answers), median of {runs}, "
        "each on a new desk:"
    )
    for name, values in parts.items():
        print(f"   {name:<40} {_ms(statistics.median(values))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--tick-cases", type=int, default=15_000)
    parser.add_argument("--open", type=int, default=10_000, help="open cases of the board tick")
    parser.add_argument("--work", type=Path, default=None, help="where the stores are kept")
    args = parser.parse_args()
    work = args.work or Path(tempfile.gettempdir()) / "csm-bench-sla-panel"
    work.mkdir(parents=True, exist_ok=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"SLA panel; load average {load}")
    board_tick(args.open)
    panel_tick(prepare_store(work / f"store-{args.tick_cases}.sqlite3", args.tick_cases))
    reload_parts(prepare_store(work / f"store-{args.cases}.sqlite3", args.cases))


if __name__ == "__main__":
    main()
