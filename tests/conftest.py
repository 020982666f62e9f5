"""Fixtures for every test directory: PostgreSQL (``pg_url``, ``pg_db_url``) and the
``server_db_url`` parametrisation over SQLite and PostgreSQL, defined in ``tests/pg.py``."""

from __future__ import annotations

from tests.pg import pg_db_url, pg_url, server_db_url

__all__ = ["pg_db_url", "pg_url", "server_db_url"]
