"""``csm demo``: a case server on a free loopback port with demo data, and the desk signed in.

The demo database and the demo desk's store live in ``<data dir>/demo``; the first run seeds
it. The demo agent's token is issued afresh each run and held only in memory (no keyring).
The server stops when the desk exits, whatever way it exits.
"""

from __future__ import annotations

from rich.console import Console

from csm_tui.locations import Locations
from csm_tui.sync_progress import sync_with_progress

DEMO_HANDLE = "demo"


def run_demo(locs: Locations, *, cases: int, reset: bool, headless: bool, console: Console) -> None:
    from csm_tui.config import load_settings
    from csm_tui.desk import Desk
    from csm_tui.server.auth import issue_token
    from csm_tui.server.db import init_db, make_engine
    from csm_tui.server.process import ServerProcess
    from csm_tui.server.seed import seed_database
    from csm_tui.sync.client import CaseServerClient

    settings = load_settings(locs)
    demo_dir = locs.demo_dir
    demo_dir.mkdir(parents=True, exist_ok=True)
    server_db = demo_dir / "server.sqlite3"
    store_path = demo_dir / "desk.sqlite3"
    if reset:
        for path in demo_dir.glob("*.sqlite3*"):
            path.unlink()
    db_url = f"sqlite:///{server_db}"
    engine = make_engine(db_url)
    try:
        fresh = not server_db.exists() or server_db.stat().st_size == 0
        init_db(engine)
        if fresh:
            with console.status(f"Seeding the demo server with {cases:,} cases..."):
                seed_database(engine, cases)
            store_path.unlink(missing_ok=True)
        token = issue_token(engine, DEMO_HANDLE, label="csm demo")
    finally:
        engine.dispose()

    with ServerProcess(db_url, log_file=demo_dir / "server.log") as server:
        desk = Desk.open(
            store_path,
            client=CaseServerClient(server.url, token),
            agent_handle=DEMO_HANDLE,
            views=settings.views,
        )
        try:
            report = sync_with_progress(desk, console=console)
            if headless:
                console.print(
                    f"Demo server {server.url}: {desk.case_count()} cases in the desk's store "
                    f"({report.rows} changes pulled).",
                    markup=False,
                )
                return
            from csm_tui.app import make_app

            make_app(settings, desk).run()
        finally:
            desk.close()
