"""A program on a real pseudo-terminal, for end-to-end tests that drive the real ``csm``: keys
go in as the bytes a terminal sends, and the test waits for text to appear on the screen
output (ANSI sequences stripped), never for a fixed time."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import struct
import termios
import time
from collections.abc import Sequence
from fcntl import ioctl

_ANSI = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b."
)

#: The bytes a terminal sends for the keys the tests use.
KEYS = {
    "enter": b"\r",
    "escape": b"\x1b",
    "tab": b"\t",
    "ctrl+o": b"\x0f",
    "ctrl+s": b"\x13",
    "ctrl+q": b"\x11",
}


class Terminal:
    """``argv`` running on a pty of ``size`` (columns, rows)."""

    def __init__(
        self, argv: Sequence[str], env: dict[str, str], size: tuple[int, int] = (120, 40)
    ) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the program
            os.execvpe(argv[0], list(argv), {**env, "TERM": "xterm-256color"})
        cols, rows = size
        ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.raw = b""
        self.seen = 0  # where waits look from: the output after the last key pressed

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            raise RuntimeError(f"the program ended: {self.text()[-600:]!r}")
        self.raw += chunk
        return True

    def text(self, start: int = 0) -> str:
        # Textual positions text with cursor moves: collapse them to spaces.
        return _ANSI.sub(b" ", self.raw[start:]).decode("utf-8", "replace")

    def wait_for(self, needle: str, timeout: float = 60.0) -> None:
        """Wait until ``needle`` is painted after the last key pressed."""
        deadline = time.monotonic() + timeout
        while needle not in self.text(self.seen):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"{needle!r} never appeared; last output: {self.text()[-800:]!r}"
                )
            self._read(min(left, 0.5))

    def settle(self, quiet: float = 0.3, timeout: float = 30.0) -> None:
        """Wait until the program has painted whatever the last key caused (no output for
        ``quiet`` seconds): the next key then reaches the widget that now has focus."""
        deadline = time.monotonic() + timeout
        while self._read(quiet):
            assert time.monotonic() < deadline, "the program never went quiet"

    def drain(self) -> None:
        while self._read(0.0):
            pass

    def press(self, *keys: str) -> None:
        for key in keys:
            self.drain()
            self.seen = len(self.raw)
            os.write(self.fd, KEYS.get(key, key.encode()))

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):  # already reaped
            os.waitpid(self.pid, 0)

    def close(self) -> None:
        self.kill()
        with contextlib.suppress(OSError):
            os.close(self.fd)
