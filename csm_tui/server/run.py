"""Running the case server: create the schema, then serve the app with uvicorn.

One worker serves the app object directly. Several workers (``workers > 1``) need an import
string, so uvicorn's supervisor starts processes that each build their own app with
:func:`app_from_env` from the database URL in ``CSM_SERVER_DB_URL``; they all share that one
database, and the change log keeps their pulls and live pokes consistent.

``python -m csm_tui.server.run --db URL [--workers N]`` runs it without the ``csm`` CLI.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import uvicorn
from fastapi import FastAPI

from csm_tui.server.app import make_server_app
from csm_tui.server.db import init_db, make_engine
from csm_tui.server.stream import POLL_INTERVAL_SECONDS
from csm_tui.sync.wire import HEARTBEAT_SECONDS

#: Environment the worker processes read (set by ``serve``; tests may set the last two).
ENV_DB_URL = "CSM_SERVER_DB_URL"
ENV_HEARTBEAT = "CSM_SERVER_HEARTBEAT"
ENV_POLL_INTERVAL = "CSM_SERVER_POLL_INTERVAL"
ENV_ESCALATION_INTERVAL = "CSM_SERVER_ESCALATION_INTERVAL"

#: Seconds between SLA escalation scans (server/escalation.py) unless told otherwise; 0 is off.
ESCALATION_INTERVAL_SECONDS = 60.0

#: Seconds uvicorn waits for open responses on shutdown before cancelling them; live streams
#: end on the signal already, this only bounds a stuck request.
GRACEFUL_SHUTDOWN_SECONDS = 5


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}.") from None
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds.")
    return value


def _escalation_interval(value: float | None) -> float:
    """The scan interval: ``value``, else ``CSM_SERVER_ESCALATION_INTERVAL``, else the
    default; 0 turns the periodic scan off (a lead can still run it)."""
    if value is not None:
        if value < 0:
            raise ValueError("The escalation interval is a number of seconds, 0 for off.")
        return value
    raw = os.environ.get(ENV_ESCALATION_INTERVAL, "").strip()
    if raw in ("0", "0.0"):
        return 0.0
    return _env_seconds(ENV_ESCALATION_INTERVAL, ESCALATION_INTERVAL_SECONDS)


def app_from_env() -> FastAPI:
    """App factory for uvicorn worker processes (``factory=True``).

    Reads ``CSM_SERVER_DB_URL`` (required) and optionally ``CSM_SERVER_HEARTBEAT`` and
    ``CSM_SERVER_POLL_INTERVAL``. Does not create the schema: ``serve`` did that once in the
    parent, since several workers creating tables at once would race.
    """
    db_url = os.environ.get(ENV_DB_URL, "").strip()
    if not db_url:
        raise RuntimeError(f"Set {ENV_DB_URL} to the case server's database URL.")
    return make_server_app(
        db_url,
        heartbeat=_env_seconds(ENV_HEARTBEAT, HEARTBEAT_SECONDS),
        poll_interval=_env_seconds(ENV_POLL_INTERVAL, POLL_INTERVAL_SECONDS),
        escalation_interval=_escalation_interval(None),
    )


def serve(
    db_url: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    workers: int = 1,
    *,
    log_level: str = "warning",
    heartbeat: float | None = None,
    poll_interval: float | None = None,
    escalation_interval: float | None = None,
) -> None:
    """Serve the case server on ``host:port`` until interrupted; prints nothing of its own.

    ``heartbeat`` and ``poll_interval`` default to ``CSM_SERVER_HEARTBEAT`` and
    ``CSM_SERVER_POLL_INTERVAL`` when set, else to the protocol defaults.
    """
    if workers < 1:
        raise ValueError("The case server needs at least one worker.")
    heartbeat = heartbeat or _env_seconds(ENV_HEARTBEAT, HEARTBEAT_SECONDS)
    poll_interval = poll_interval or _env_seconds(ENV_POLL_INTERVAL, POLL_INTERVAL_SECONDS)
    escalation = _escalation_interval(escalation_interval)
    engine = make_engine(db_url)
    try:
        init_db(engine)
        if workers == 1:
            app = make_server_app(
                engine=engine,
                heartbeat=heartbeat,
                poll_interval=poll_interval,
                escalation_interval=escalation,
            )
            uvicorn.run(
                app,
                host=host,
                port=port,
                log_level=log_level,
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            )
            return
    finally:
        engine.dispose()
    # Worker processes inherit the environment (spawned or forked alike).
    os.environ[ENV_DB_URL] = db_url
    os.environ[ENV_HEARTBEAT] = str(heartbeat)
    os.environ[ENV_POLL_INTERVAL] = str(poll_interval)
    os.environ[ENV_ESCALATION_INTERVAL] = str(escalation)
    uvicorn.run(
        f"{__name__}:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m csm_tui.server.run``: the case server without the Typer CLI."""
    parser = argparse.ArgumentParser(prog="python -m csm_tui.server.run", description=__doc__)
    parser.add_argument("--db", required=True, help="sqlite:///file or postgresql://...")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    serve(args.db, args.host, args.port, args.workers, log_level=args.log_level)


if __name__ == "__main__":
    main()
