"""Running the case server: create the schema, then serve the app with uvicorn."""

from __future__ import annotations

import uvicorn

from csm_tui.server.app import make_server_app
from csm_tui.server.db import init_db, make_engine


def serve(
    db_url: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    log_level: str = "warning",
) -> None:
    """Serve the case server on ``host:port`` until interrupted; prints nothing of its own."""
    engine = make_engine(db_url)
    init_db(engine)
    app = make_server_app(engine=engine)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level)
    finally:
        engine.dispose()
