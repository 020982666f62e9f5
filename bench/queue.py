"""Queue triage at 100,000 cases: each repaint, key to screen, next to a plain DataTable.

The store holds N cases (default 100,000) with ~3 messages each (so the FTS index has bodies),
a few tags per case, and a signed-in agent (so ``@me`` matches).

UI (what issue #4 asks): the real desk runs on a pseudo-terminal of 120x40 (TERM=
xterm-256color) over a CSM_HOME whose store is the built one, local only (no server, so no
sync runs). The bench is its terminal: it answers Textual's synchronized-output query, so each
frame comes wrapped in ``CSI ? 2026 h`` ... ``CSI ? 2026 l``, keeps the screen's text, and
times each key from the write of its bytes to the end of the first frame after which the
screen shows what the key asks for, on lines written since the key: the header's ``view ·
N cases`` (the data layer says what N and the rows are) and the new first and last rows of
the table. Opening a view: ``]`` through every view. A page of scrolling: ``pagedown`` 20
times on several views and sorts. One filter keystroke: ``/``, then the TYPED strings letter
by letter (``escape`` clears). Then the desk's VmRSS and VmHWM. The baseline is
bench/_datatable_app.py: Textual's DataTable holding every case, driven by the same keys in
the same way, in the same run.

Data layer: in a child process per side (so that each RSS is its own):

- desk: p95 of opening each view (count + first 50 rows), a page of scrolling (the next 50
  rows, pages 2-21 of several views), one filter keystroke (search strings typed letter by
  letter: count + first 50 rows), the live view counts, a bulk edit and its undo; then RSS.
  Each step starts with the desk's read cache cleared, as after a sync.
- baseline: Textual's DataTable (headless, 120x40) loaded with the same N rows (what a queue
  that loads everything does), then one filter (clear + add the matching rows); then RSS.
- bare: the same Textual app with an empty DataTable, for Textual's own RSS.

The machine's load moves every figure: the bench prints the load average next to them.

    make bench    (or: .venv/bin/python bench/queue.py [--cases 100000] [--store PATH]
                   [--ui-only | --data-only] [--runs 3] [--table-runs 1] [--table-typed 2]
                   [--desk local|csm])
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

# This file is named like the standard library's ``queue`` (which Textual imports): keep the
# bench folder off the front of sys.path, and append it for ``_store``.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))
sys.path.append(str(_BENCH))

if TYPE_CHECKING:
    from _pty import Screen, Terminal

    from csm_tui.desk import CaseQuery, CaseRow, Desk

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


# -- the UI: keys on a real terminal -------------------------------------------------------

#: The desk as `csm` opens it (config and store from CSM_HOME, settings, make_app), without a
#: case server: plain `csm` insists on one (launch.open_desk), and a desk that cannot reach
#: its server keeps retrying in the background, which is noise here (``--desk csm`` runs it).
DESK_CHILD = """
from csm_tui.launch import use_desk_frame_rate

use_desk_frame_rate()  # as `csm` does, before Textual is imported
from csm_tui.app import make_app
from csm_tui.config import load_settings
from csm_tui.desk import Desk
from csm_tui.locations import locations

locs = locations().ensure()
settings = load_settings(locs)
desk = Desk(locs.store_file("default"), views=settings.views)
try:
    make_app(settings, desk).run()
finally:
    desk.close()
"""
NEXT_VIEW, PAGE_DOWN, SEARCH, ESCAPE, SORT = b"]", b"\x1b[6~", b"/", b"\x1b", b"o"
#: Back to the first row: the desk binds home; the DataTable binds ctrl+home (home goes left).
HOME, CTRL_HOME = b"\x1b[H", b"\x1b[1;5H"
#: (view, sort) pairs scrolled PAGES pages down from the top, in the sidebar's order.
UI_SCROLL = (
    ("unassigned", "updated"),
    ("queue-q3", "priority"),
    ("pending", "sla"),
    ("all", "updated"),
    ("all", "sla"),
)
PAGES = 20
SIZE = (120, 40)


def row_pattern(row: CaseRow) -> re.Pattern[str]:
    """A screen line showing ``row``: its number (maybe cut short: ``CS-1000…``), then its
    subject and customer as they begin (cells may be cut, so only their starts)."""
    from csm_tui.domain.text import clean_line

    number, subject = clean_line(row.number), clean_line(row.subject)
    customer = clean_line(row.customer)
    start = re.escape(number[:7]) + r"\S*\s+" + re.escape(subject[:10])
    return re.compile(start + r".*\s" + re.escape(customer[:6]))


@dataclass
class Expect:
    """What a frame must show, on lines written since the key: ``header`` on the header line
    (None: not checked), and ``rows`` (in order) from the table's first body line down."""

    header: str | None
    rows: list[CaseRow]
    what: str


@dataclass
class Layout:
    header_y: int
    top_y: int  # the table's first body line
    body: int  # body lines


class Planner:
    """What each screen should show, from the desk's data layer (the parent's own Desk)."""

    def __init__(self, store: Path) -> None:
        from csm_tui.desk import Desk

        self.desk: Desk = Desk(store)
        self.views = [(v.id, v.title) for v in self.desk.views()]
        self.total = self.desk.case_count()
        # a store made by an older desk is brought up to date on the first query: now, not
        # while an app is being timed
        self.desk.case_count(self.query("all"))

    def query(self, view: str, search: str = "", sort: str = "updated") -> CaseQuery:
        from csm_tui.desk import CaseQuery

        return CaseQuery(view=view, search=search, sort=sort)

    def title(self, view: str) -> str:
        return dict(self.views)[view]

    def expect(self, q: CaseQuery, body: int, top: int = 0, header: bool = True) -> Expect:
        from csm_tui.screens.queue import SORT_LABELS, plural

        count = self.desk.case_count(q)
        rows = self.desk.case_window(top, body, q) if count else []
        text = None
        if header:
            found = " found" if q.search.strip() else ""
            text = (
                f"  ·  {self.title(q.view)}  ·  {plural(count)}{found}"
                f"  ·  sort: {SORT_LABELS[q.sort]} {'↓' if q.descending else '↑'}"
            )
        what = f"{q.view} {q.sort} {q.search!r} from row {top}"
        return Expect(text, rows, what)


def shows(expect: Expect, layout: Layout) -> Callable[[Screen, frozenset[int]], bool]:
    """The condition on a frame for ``expect``. The table may sit a line lower than at start
    (the desk shows search problems on a line above it), so its first row is looked for on
    the first three body lines; the last expected row must then be where it belongs."""
    patterns = [row_pattern(r) for r in expect.rows]

    def done(screen: Screen, touched: frozenset[int]) -> bool:
        if expect.header is not None and (
            layout.header_y not in touched or expect.header not in screen.line(layout.header_y)
        ):
            return False
        if not patterns:
            return True
        for shift in range(3):
            y = layout.top_y + shift
            if y in touched and patterns[0].search(screen.line(y)):
                last = min(len(patterns), layout.body - shift) - 1
                y_last = y + last
                return y_last in touched and bool(patterns[last].search(screen.line(y_last)))
        return False

    return done


@dataclass
class Samples:
    first: list[float] = field(default_factory=list)  # key -> frame showing it
    settled: list[float] = field(default_factory=list)  # key -> last frame of the repaint
    labels: list[str] = field(default_factory=list)

    def add(self, first: float, settled: float, label: str) -> None:
        self.first.append(first)
        self.settled.append(settled)
        self.labels.append(label)

    def worst(self, n: int = 3) -> str:
        pairs = sorted(zip(self.first, self.labels, strict=True), reverse=True)[:n]
        return ", ".join(f"{label} {ms:.0f} ms" for ms, label in pairs)


class Driver:
    """One app on a terminal, and where it stands (view, sort, scroll, search)."""

    def __init__(self, term: Terminal, planner: Planner, *, timeout: float, home: bytes) -> None:
        from csm_tui.screens.queue import SORTS

        self.term, self.planner, self.timeout, self.home = term, planner, timeout, home
        self.sorts: tuple[str, ...] = SORTS
        self.view = "all"
        self.sort = "updated"
        self.top = 0
        self.layout = Layout(0, 0, 0)

    def start(self, timeout: float, quiet: float = 1.0) -> float:
        """Seconds to the first painted page; finds the header and the table's body lines."""
        first = self.planner.expect(self.planner.query("all"), 60, header=False).rows
        start = time.perf_counter()
        p0 = row_pattern(first[0])
        at = self.term.wait(
            lambda s, _t: any(p0.search(s.line(y)) for y in range(s.rows)),
            timeout=timeout,
            what="the first page",
        )
        screen = self.term.screen
        top = next(y for y in range(screen.rows) if p0.search(screen.line(y)))
        body = 0
        while top + body < screen.rows and body < len(first):
            if not row_pattern(first[body]).search(screen.line(top + body)):
                break
            body += 1
        header = next(y for y in range(screen.rows) if "  ·  All  ·  " in screen.line(y))
        self.layout = Layout(header, top, body)
        # the sidebar's counts come after the first paint (and a toast may need to go)
        self.term.settle(quiet=quiet, limit=30)
        return at - start

    def _follow(self) -> Callable[[frozenset[int]], bool]:
        top = self.layout.top_y
        lines = {self.layout.header_y, *range(top, top + self.layout.body + 2)}
        return lambda touched: bool(touched & lines)

    def key(self, key: bytes, expect: Expect) -> tuple[float, float]:
        return self.term.press(
            key,
            shows(expect, self.layout),
            timeout=self.timeout,
            what=expect.what,
            follow=self._follow(),
        )

    def _q(self, search: str = "") -> CaseQuery:
        return self.planner.query(self.view, search, self.sort)

    def next_view(self) -> tuple[float, float]:
        ids = [v for v, _ in self.planner.views]
        self.view = ids[(ids.index(self.view) + 1) % len(ids)]
        self.top = 0
        return self.key(NEXT_VIEW, self.planner.expect(self._q(), self.layout.body))

    def go(self, view: str, sort: str) -> None:
        """Show ``view`` sorted by ``sort``, from its first row (untimed)."""
        while self.view != view:
            self.next_view()
        while self.sort != sort:
            self.sort = self.sorts[(self.sorts.index(self.sort) + 1) % len(self.sorts)]
            self.top = 0
            self.key(SORT, self.planner.expect(self._q(), self.layout.body))
            time.sleep(2.0)  # the "Sorted by" toast covers the table's bottom right until it goes
        if self.top:
            self.top = 0
            self.key(self.home, self.planner.expect(self._q(), self.layout.body, header=False))

    def page_down(self) -> tuple[float, float] | None:
        """One page down; None at the end of the view (nothing would move)."""
        body = self.layout.body
        count = self.planner.desk.case_count(self._q())
        last_top = max(0, count - body)
        if self.top >= last_top:
            return None
        self.top = min(self.top + body, last_top)
        return self.key(PAGE_DOWN, self.planner.expect(self._q(), body, self.top, header=False))

    def type_search(self, text: str, samples: Samples) -> None:
        self.term.press(SEARCH, lambda _s, _t: True, timeout=self.timeout)
        self.term.settle(quiet=0.3)
        for i in range(1, len(text) + 1):
            typed = text[:i]
            expect = self.planner.expect(self._q(typed), self.layout.body)
            samples.add(*self.key(typed[-1].encode(), expect), repr(typed))
        self.key(ESCAPE, self.planner.expect(self._q(), self.layout.body))


def run_ui(
    argv: list[str],
    env: dict[str, str],
    planner: Planner,
    *,
    runs: int,
    typed: tuple[str, ...],
    scroll: tuple[tuple[str, str], ...],
    timeout: float,
    start_timeout: float = 60.0,
    start_quiet: float = 1.0,
    home: bytes = HOME,
) -> dict[str, Any]:
    """Drive one app through the views, the scrolling and the typing; samples and memory."""
    from _pty import Terminal

    out: dict[str, Any] = {"views": Samples(), "scroll": Samples(), "keys": Samples()}
    with Terminal(argv, env=env, size=SIZE) as term:
        drive = Driver(term, planner, timeout=timeout, home=home)
        out["startup_s"] = drive.start(start_timeout, start_quiet)
        for _ in range(runs):
            for _ in planner.views:
                took = drive.next_view()
                out["views"].add(*took, planner.title(drive.view))
        plan = scroll
        for _ in range(runs):
            for view, sort in plan:
                drive.go(view, sort)
                for _ in range(PAGES):
                    took = drive.page_down()
                    if took is None:
                        break
                    out["scroll"].add(*took, f"{view}/{sort}@{drive.top}")
        drive.go("all", "updated")
        for _ in range(runs):
            for text in typed:
                drive.type_search(text, out["keys"])
        out["memory"] = term.memory()
        out["frames"] = term.frames
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


def desk_home(tmp: str, store: Path, via_csm: bool) -> tuple[list[str], dict[str, str]]:
    """argv and env of the desk on ``store``: a CSM_HOME whose default store is it. With
    ``via_csm``: the `csm` command, signed in to a server that is down (it starts offline and
    keeps retrying); else the local-only desk (DESK_CHILD)."""
    home = Path(tmp) / "csm-home"
    (home / "data").mkdir(parents=True, exist_ok=True)
    (home / "config").mkdir(parents=True, exist_ok=True)
    target = home / "data" / "store-default.sqlite3"
    target.unlink(missing_ok=True)
    target.symlink_to(store.resolve())
    env = {"CSM_HOME": str(home)}
    if via_csm:
        (home / "config" / "config.toml").write_text('server = "http://127.0.0.1:9"\n')
        env["CSM_TOKEN"] = "bench-token"
        return [str(Path(sys.executable).parent / "csm")], env
    return [sys.executable, "-P", "-c", DESK_CHILD], env


def run_ui_section(args: argparse.Namespace, store: Path, tmp: str) -> None:
    planner = Planner(store)
    argv, env = desk_home(tmp, store, args.desk == "csm")
    load = os.getloadavg()
    print(
        f"queue UI at {planner.total:,} cases: key -> repainted table, on a pty "
        f"{SIZE[0]}x{SIZE[1]} (p95 target <= 50 ms, RSS <= 250 MB)"
    )
    print(
        f"  load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"on {os.cpu_count()} cores (shared)"
    )
    desk = run_ui(
        argv,
        env,
        planner,
        runs=args.runs,
        typed=TYPED,
        scroll=UI_SCROLL,
        timeout=30.0,
        start_quiet=6.0 if args.desk == "csm" else 1.0,
    )
    table_scroll = tuple(dict.fromkeys((view, "updated") for view, _ in UI_SCROLL))
    table_typed = TYPED[: args.table_typed]
    # --table-runs 0: the desk alone (a quick look; the comparison needs the DataTable side)
    table = {
        "views": Samples(),
        "scroll": Samples(),
        "keys": Samples(),
        "startup_s": 0.0,
        "memory": {"VmRSS": 0.0, "VmHWM": 0.0},
    }
    table = (
        table
        if args.table_runs <= 0
        else run_ui(
            [sys.executable, str(_BENCH / "_datatable_app.py"), str(store)],
            {},
            planner,
            runs=args.table_runs,
            typed=table_typed,
            scroll=table_scroll,
            timeout=600.0,
            start_timeout=1800.0,
            home=CTRL_HOME,
        )
    )
    load = os.getloadavg()
    print(f"  load average after:  {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        "  (time: write of the key -> end of the first frame, CSI ?2026l, after which the header "
        "and the table's first and last rows show the new view/page/search on lines written "
        "since the key)"
    )
    print(
        f"  {'operation':<40} {'n':>4} {'desk p95':>9} {'max':>8}  {'n':>4} {'DataTable p95':>14}"
        f" {'max':>8}  target"
    )

    def stat(values: list[float]) -> str:
        if not values:
            return f"{0:4d} {'-':>9} {'-':>8}"
        return f"{len(values):4d} {p95(values):6.0f} ms {max(values):5.0f} ms"

    views = len(planner.views)
    for label, key in (
        (f"open a view (`]` through {views} views)", "views"),
        (f"a page of scrolling (pagedown x{PAGES})", "scroll"),
        ("one filter keystroke (typed after `/`)", "keys"),
    ):
        d, t = desk[key].first, table[key].first
        print(f"  {label:<40} {stat(d)}  {stat(t):>28}  <= 50 ms  {verdict(p95(d), 50)}")
    print("  ... to the last frame of that repaint (a resized scrollbar comes a frame later):")
    for label, key in (
        ("open a view", "views"),
        ("a page of scrolling", "scroll"),
        ("keystroke", "keys"),
    ):
        d, t = desk[key].settled, table[key].settled
        print(f"    {label:<38} {stat(d)}  {stat(t):>28}")
    dm, tm = desk["memory"], table["memory"]
    print(
        f"  {'RSS at the end: VmRSS (VmHWM)':<40} {dm['VmRSS']:11.0f} MB ({dm['VmHWM']:.0f})"
        f" {tm['VmRSS']:21.0f} MB ({tm['VmHWM']:.0f})  <= 250 MB  {verdict(dm['VmHWM'], 250)}"
    )
    print(
        f"  {'start to the first painted page':<40} {desk['startup_s'] * 1000:11.0f} ms"
        f" {table['startup_s'] * 1000:21.0f} ms"
    )
    print(f"  slowest desk views:      {desk['views'].worst()}")
    print(f"  slowest desk pages:      {desk['scroll'].worst()}")
    print(f"  slowest desk keystrokes: {desk['keys'].worst()}")
    worst = [w for w in (table["views"].worst(1), table["keys"].worst(2)) if w]
    print(f"  slowest DataTable:       {'; '.join(worst)}")
    print(
        f"  desk ({'`csm`, its server down' if args.desk == 'csm' else 'local only, no server'}):"
        f" {args.runs} run(s) of each. DataTable: {args.table_runs} run(s), views sorted by "
        f"update only (it has no sorts), {len(table_typed)} of the {len(TYPED)} search strings "
        "(it is slow); its views' rows were picked at load (a view = clear + add), a keystroke "
        "runs the desk's search query for the ids, then clear + add."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", type=Path, help="reuse (or build once at) this store file")
    parser.add_argument("--ui-only", action="store_true", help="only the UI section")
    parser.add_argument("--data-only", action="store_true", help="only the data-layer section")
    parser.add_argument(
        "--table-runs", type=int, default=1, help="runs on the DataTable side (slow at 100k)"
    )
    parser.add_argument(
        "--table-typed",
        type=int,
        default=2,
        help=f"how many of the {len(TYPED)} search strings the DataTable side types (at 100k "
        "a keystroke there takes seconds)",
    )
    parser.add_argument(
        "--desk",
        choices=("local", "csm"),
        default="local",
        help="the local-only desk, or the `csm` command with its server down",
    )
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
        if not args.ui_only:
            run_data_section(args, store)
        if not args.data_only:
            run_ui_section(args, store, tmp)


def run_data_section(args: argparse.Namespace, store: Path) -> None:
    from csm_tui.store.queries import StoreReader

    reader = StoreReader(store)
    cases = reader.count_cases()
    reader.close()
    desk = run_child("desk", store, args.runs)
    table = run_child("table", store, args.runs)
    bare = run_child("bare", store, args.runs)

    print(f"queue at {cases:,} cases (data layer; p95 target <= 50 ms, RSS <= 250 MB)")
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
