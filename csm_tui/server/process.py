"""Running the case server as a child process on a free loopback port.

``csm demo``, the end-to-end tests and the benchmarks all start the real server this way:
``python -m csm_tui server --db URL --port N``, wait until the port accepts connections, and
stop it (SIGTERM, then SIGKILL) when done. Several workers (``workers > 1``) run through
``python -m csm_tui.server.run --workers N``, which the Typer CLI does not offer.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from csm_tui.errors import CsmError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A case server child process; use as a context manager."""

    def __init__(
        self,
        db_url: str,
        *,
        log_file: Path,
        host: str = "127.0.0.1",
        port: int | None = None,
        env: dict[str, str] | None = None,
        ready_timeout: float = 30.0,
        workers: int = 1,
        stop_timeout: float = 10.0,
    ) -> None:
        self.db_url = db_url
        self.host = host
        self.port = port or free_port(host)
        self.log_file = log_file
        self.env = env
        self.ready_timeout = ready_timeout
        self.workers = workers
        self.stop_timeout = stop_timeout
        #: True when the last ``stop`` had to SIGKILL because SIGTERM did not end it in time.
        self.killed = False
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerProcess:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_file.open("ab")
        if self.workers > 1:
            cmd = [sys.executable, "-m", "csm_tui.server.run", "--workers", str(self.workers)]
        else:
            cmd = [sys.executable, "-m", "csm_tui", "server"]
        cmd += ["--db", self.db_url, "--host", self.host, "--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(self.env or {})},
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_file.read_text(errors="replace")[-400:].strip()
                raise CsmError(
                    f"The case server stopped while starting (exit {self.proc.returncode}); "
                    f"see {self.log_file}: {tail.splitlines()[-1] if tail else 'no output'}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise CsmError(
            f"The case server did not start listening on {self.url} within "
            f"{self.ready_timeout:.0f} s; see {self.log_file}."
        )

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after ``stop_timeout`` seconds; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.terminate()
        try:
            self.proc.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.killed = True
            self.proc.kill()
            self.proc.wait(timeout=10)
        return self.proc.returncode

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
