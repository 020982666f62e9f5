"""Startup: process start -> first painted queue, at 10,000 and 100,000 cases in the store.

Two ways in: ``make_app()`` on the store (what the tests use) and the real ``csm`` command
(config, credentials, store, app), signed in to a server that is down, so the desk starts
offline. Baseline, in the same run on the same machine: a bare Textual app painting a static
5-column DataTable of one screen of rows. Both run in a real pty of 120x40; the time is from
fork to the moment a known cell text appears in what the program wrote. Median of runs.

    make bench    (or: .venv/bin/python bench/startup.py [--runs 5])
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

# bench/ holds queue.py, which would shadow the standard library's ``queue`` module if the
# folder stayed first on sys.path (Python puts a script's folder there): move it to the end.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))
sys.path.append(str(_BENCH))

from _pty import time_to_marker
from _store import build_store

from csm_tui.store.queries import StoreReader

CSM_CHILD = """
import sys
from pathlib import Path
from csm_tui.app import make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
make_app(Settings(), Desk(Path(sys.argv[1])), sync_on_start=False).run()
"""

BARE_CHILD = """
from textual.app import App
from textual.widgets import DataTable

class Bare(App):
    def compose(self):
        yield DataTable()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("number", "subject", "customer", "status", "priority")
        table.add_rows([(f"R{i:05d}", "A subject line", "Some Customer", "open", "normal")
                        for i in range(38)])

Bare().run()
"""


def median_time(
    argv: list[str], marker: bytes, runs: int, env: dict[str, str] | None = None
) -> float:
    time_to_marker(argv, marker, env=env)  # warm the OS file cache once
    return statistics.median(time_to_marker(argv, marker, env=env) for _ in range(runs))


def report(label: str, seconds: float, bare: float) -> None:
    ratio = seconds / bare
    verdict = "ok" if ratio <= 1.5 else "OVER TARGET"
    print(
        f"  {label:<30} {seconds * 1000:7.0f} ms   ratio {ratio:4.2f}  (target <= 1.50: {verdict})"
    )


def csm_script() -> str:
    return str(Path(sys.executable).parent / "csm")


def signed_in_home(tmp: str, store: Path) -> dict[str, str]:
    """A CSM_HOME whose default store is ``store``, configured for a server that is down
    (the desk starts offline, as on a train), with the token in CSM_TOKEN."""
    home = Path(tmp) / f"home-{store.stem}"
    (home / "data").mkdir(parents=True, exist_ok=True)
    (home / "config").mkdir(parents=True, exist_ok=True)
    target = home / "data" / "store-default.sqlite3"
    target.unlink(missing_ok=True)
    target.symlink_to(store)
    (home / "config" / "config.toml").write_text('server = "http://127.0.0.1:9"\n')
    return {"CSM_HOME": str(home), "CSM_TOKEN": "bench-token"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    py = sys.executable
    print(f"startup to first painted queue, median of {args.runs} runs (pty 120x40)")
    bare = median_time([py, "-c", BARE_CHILD], b"R00020", args.runs)
    print(f"  {'baseline: bare Textual DataTable':<30} {bare * 1000:7.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            store = build_store(Path(tmp) / f"store-{n}.sqlite3", n)
            marker = StoreReader(store).case_window(0, 1)[0].number.encode()
            factory = median_time([py, "-c", CSM_CHILD, str(store)], marker, args.runs)
            report(f"make_app(), {n:>7,} cases", factory, bare)
            command = median_time([csm_script()], marker, args.runs, env=signed_in_home(tmp, store))
            report(f"`csm` command, {n:>7,} cases", command, bare)


if __name__ == "__main__":
    main()
