"""Time from process start to a marker appearing on a real terminal (a pty), for the benches.

The child runs in a pseudo-terminal of a fixed size, exactly as a user's terminal would host
it; we read what it paints until the marker text shows, then end it.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import struct
import termios
import time
from collections.abc import Sequence
from fcntl import ioctl


def time_to_marker(
    argv: Sequence[str],
    marker: bytes,
    *,
    env: dict[str, str] | None = None,
    size: tuple[int, int] = (120, 40),
    timeout: float = 60.0,
) -> float:
    """Seconds from fork to the first time ``marker`` appears in the child's terminal output."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the program
        os.execvpe(argv[0], list(argv), {**os.environ, **(env or {}), "TERM": "xterm-256color"})
    cols, rows = size
    ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    seen = b""
    try:
        while True:
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise TimeoutError(f"{marker!r} did not appear within {timeout} s")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                raise RuntimeError(
                    f"program ended before painting {marker!r}: {seen[-500:]!r}"
                ) from None
            if not chunk:
                raise RuntimeError(f"program ended before painting {marker!r}")
            seen += chunk
            if marker in seen:
                return time.perf_counter() - start
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
