"""End-to-end fixtures: a real case server (uvicorn, child process) on a free loopback port,
seeded through the real ``csm seed`` command, and a ``run_csm`` helper that runs the real
``csm`` console script with its own ``CSM_HOME`` and a file keyring."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from csm_tui.server.process import ServerProcess

SEED_CASES = 300


def csm_command() -> list[str]:
    script = Path(sys.executable).parent / "csm"
    return [str(script)] if script.exists() else [sys.executable, "-m", "csm_tui"]


@dataclass
class Csm:
    """The ``csm`` command, run with an isolated home."""

    home: Path
    env: dict[str, str]

    def __call__(
        self, *args: str, timeout: float = 120, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*csm_command(), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"csm {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
            )
        return result

    @property
    def store(self) -> Path:
        return self.home / "data" / "store-default.sqlite3"


@pytest.fixture
def csm(tmp_path: Path) -> Csm:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSM_", "PYTHON_KEYRING"))}
    env.update(
        CSM_HOME=str(home),
        # A real keyring backend that keeps its file inside the test's own directory.
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        NO_COLOR="1",
        COLUMNS="200",
        # no SLA escalation scan at an unplanned moment (tests/conftest.py)
        CSM_SERVER_ESCALATION_INTERVAL="0",
    )
    return Csm(home, env)


@dataclass
class LiveServer:
    url: str
    db_path: Path
    db_url: str
    token: str
    process: ServerProcess

    def query(self, sql: str, *params: object) -> list[tuple]:
        """An oracle read straight from the server's database file."""
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture
def live_server(tmp_path: Path, csm: Csm) -> Iterator[LiveServer]:
    db_path = tmp_path / "server" / "cases.sqlite3"
    db_path.parent.mkdir(parents=True)
    db_url = f"sqlite:///{db_path}"
    csm("seed", "--db", db_url, "--cases", str(SEED_CASES), check=True)
    token = csm(
        "server", "issue-token", "--db", db_url, "--handle", "demo", check=True
    ).stdout.strip()
    with ServerProcess(db_url, log_file=tmp_path / "server" / "server.log", env=csm.env) as proc:
        yield LiveServer(proc.url, db_path, db_url, token, proc)
