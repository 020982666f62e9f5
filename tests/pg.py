"""PostgreSQL for tests: a throwaway cluster per test session, a fresh database per test.

``pg_url`` uses ``CSM_TEST_PG_URL`` when set (any server the tests may create databases on),
else starts a cluster from the Debian binaries (``initdb``/``pg_ctl`` on PATH or under
``/usr/lib/postgresql/*/bin``) in a temp dir, on a free loopback port, trusting local
connections. As root the binaries run as the ``postgres`` user, since PostgreSQL refuses to
run as root. Each xdist worker is its own process with its own session, so each gets its own
cluster: nothing is shared between workers but the machine.

``pg_db_url`` creates ``csm_test_<uuid>`` for one test and drops it afterwards, and
``server_db_url`` runs a test once on SQLite and once on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from csm_tui.server.process import free_port

ENV_URL = "CSM_TEST_PG_URL"
NO_POSTGRES = (
    "PostgreSQL binaries (initdb, pg_ctl) were not found; install Debian's postgresql "
    "package or set CSM_TEST_PG_URL to run the PostgreSQL tests."
)


def _find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


class _Cluster:
    """One initdb'd data directory and its running postmaster."""

    def __init__(self, initdb: str, pg_ctl: str) -> None:
        self.initdb = initdb
        self.pg_ctl = pg_ctl
        self.root = Path(tempfile.mkdtemp(prefix="csm-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        self.log = self.root / "postgres.log"
        self.port = 0
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.as_postgres:
            # PostgreSQL refuses to run as root; runuser needs no password from root.
            runuser = shutil.which("runuser")
            cmd = [runuser, "-u", "postgres", "--", *cmd] if runuser else _su(cmd)
        return subprocess.run(
            cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120
        )

    def start(self) -> str:
        self.sockets.mkdir()
        if self.as_postgres:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("Running as root needs a postgres user to run the test cluster.")
            for path in (self.root, self.sockets):
                os.chown(path, user.pw_uid, user.pw_gid)
        done = self._run(
            self.initdb, "-A", "trust", "-U", "csm", "-E", "UTF8", "--no-locale",
            "--no-sync", "-D", str(self.data),
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        # A free port can be taken by someone else before the postmaster binds it: retry.
        for _attempt in range(5):
            self.port = free_port()
            options = (
                f"-F -p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
                "-c max_connections=200 -c fsync=off -c full_page_writes=off"
            )
            done = self._run(
                self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                "-t", "60", "start",
            )  # fmt: skip
            if done.returncode == 0:
                return f"postgresql://csm@127.0.0.1:{self.port}/postgres"
        tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()}\n{tail}")

    def stop(self) -> None:
        if self.data.exists():
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _su(cmd: list[str]) -> list[str]:
    import shlex

    return ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(cmd)]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL server URL (its ``postgres`` database) for this test session."""
    configured = os.environ.get(ENV_URL, "").strip()
    if configured:
        yield configured
        return
    initdb, pg_ctl = _find_binary("initdb"), _find_binary("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip(NO_POSTGRES)
    cluster = _Cluster(initdb, pg_ctl)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def _admin_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database or "postgres",
        autocommit=True,
    )


@pytest.fixture
def pg_db_url(pg_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL for one test."""
    name = f"csm_test_{uuid.uuid4().hex}"
    with _admin_connect(pg_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with _admin_connect(pg_url) as conn, contextlib.suppress(Exception):
            # FORCE: a server process the test started may still hold a connection.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def server_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh case-server database URL: the test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server' / 'cases.db'}"
    return str(request.getfixturevalue("pg_db_url"))
