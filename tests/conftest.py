"""Fixtures for every test directory: PostgreSQL (``pg_url``, ``pg_db_url``) and the
``server_db_url`` parametrisation over SQLite and PostgreSQL, defined in ``tests/pg.py``."""

from __future__ import annotations

import os

from tests.pg import pg_db_url, pg_url, server_db_url

# Case servers started by tests scan for SLA escalations only when a test asks (the route,
# or server/escalation.run_escalations): a scan at an unplanned moment would add changes.
os.environ.setdefault("CSM_SERVER_ESCALATION_INTERVAL", "0")

__all__ = ["pg_db_url", "pg_url", "server_db_url"]
