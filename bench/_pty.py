"""Programs on a real terminal (a pty), for the benches.

``time_to_marker``: time from process start to a marker appearing. The child runs in a
pseudo-terminal of a fixed size, exactly as a user's terminal would host it; we read what it
paints until the marker text shows, then end it.

``Terminal``: a program we type into and read back, acting as the terminal (it answers
Textual's synchronized-output query, so frames end at ``CSI ? 2026 l``, and keeps the screen's
text), to time keys from their write to the frame that shows what they cause.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import pty
import re
import select
import signal
import struct
import termios
import time
import unicodedata
from collections.abc import Callable, Sequence
from fcntl import ioctl
from typing import NamedTuple


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


# -- a program on a terminal we can type into and read back --------------------------------

# What a terminal program writes, one token at a time: CSI sequences (cursor moves, colours,
# modes), OSC strings, other escapes, control characters, and runs of printable text.
_TOKEN = re.compile(
    r"\x1b\[(?P<csi>[0-?]*[ -/]*[@-~])"
    r"|\x1b\](?P<osc>[^\x07\x1b]*)(?:\x07|\x1b\\)"
    r"|\x1b[()*+#%][0-~]"
    r"|\x1b[0-Z\\^_`-~]"
    r"|(?P<ctl>[\x00-\x1a\x1c-\x1f\x7f])"
    r"|(?P<text>[^\x00-\x1f\x7f]+)",
)
#: Colours and weights (most of what a frame holds): dropped in one pass before the rest.
_SGR = re.compile(r"\x1b\[[0-9;:]*m")
#: The longest escape we wait for the rest of, when a read ends inside one.
_MAX_ESCAPE = 256
SYNC_START = "?2026h"
SYNC_END = "?2026l"
_SYNC_START_BYTES = b"\x1b[?2026h"
_SYNC_END_BYTES = b"\x1b[?2026l"
#: What a terminal that supports synchronized output answers to ``CSI ? 2026 $ p`` (DECRQM):
#: mode 2026 is known and currently reset. Textual then wraps every frame in ``CSI ? 2026 h``
#: ... ``CSI ? 2026 l``, which is how we know where a frame ends.
SYNC_SUPPORTED = b"\x1b[?2026;2$y"


def _cell_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


class Screen:
    """The cells of a terminal, as far as a full-screen Textual app drives them (absolute
    and relative cursor moves, erases, text; colours are dropped). ``touched`` holds the lines
    written since it was last cleared."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.cells = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self.touched: set[int] = set()

    def line(self, y: int) -> str:
        return "".join(self.cells[y]).rstrip()

    def text(self) -> str:
        return "\n".join(self.line(y) for y in range(self.rows))

    def find(self, needle: str) -> list[int]:
        """The lines that hold ``needle``."""
        return [y for y in range(self.rows) if needle in "".join(self.cells[y])]

    def put(self, text: str) -> None:
        row = self.cells[self.y] if 0 <= self.y < self.rows else None
        for char in text:
            width = _cell_width(char)
            if width == 0:
                continue
            if row is not None and self.x < self.cols:
                row[self.x] = char
                if width == 2 and self.x + 1 < self.cols:
                    row[self.x + 1] = ""
            self.x = min(self.x + width, self.cols)  # no autowrap: Textual turns it off
        if row is not None:
            self.touched.add(self.y)

    def control(self, char: str) -> None:
        if char == "\r":
            self.x = 0
        elif char == "\n":
            self.y = min(self.y + 1, self.rows - 1)
        elif char == "\b":
            self.x = max(0, self.x - 1)

    def csi(self, body: str) -> None:
        final, params = body[-1], body[:-1]
        if params.startswith("?") or any(c in params for c in " !\"#$%&'()*+,-./"):
            return  # private modes and queries
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []

        def n(i: int, default: int = 1) -> int:
            return nums[i] if len(nums) > i and nums[i] else default

        if final in "Hf":
            self.y = min(self.rows, n(0)) - 1
            self.x = min(self.cols, n(1)) - 1
        elif final == "A":
            self.y = max(0, self.y - n(0))
        elif final == "B":
            self.y = min(self.rows - 1, self.y + n(0))
        elif final == "C":
            self.x = min(self.cols - 1, self.x + n(0))
        elif final == "D":
            self.x = max(0, self.x - n(0))
        elif final == "G":
            self.x = min(self.cols, n(0)) - 1
        elif final == "d":
            self.y = min(self.rows, n(0)) - 1
        elif final == "K":
            mode = n(0, 0)
            row = self.cells[self.y]
            lo, hi = {0: (self.x, self.cols), 1: (0, self.x + 1)}.get(mode, (0, self.cols))
            row[lo:hi] = [" "] * (hi - lo)
            self.touched.add(self.y)
        elif final == "J" and n(0, 0) == 2:
            self.cells = [[" "] * self.cols for _ in range(self.rows)]
            self.touched.update(range(self.rows))


class Frame(NamedTuple):
    """The end of one synchronized-output frame: when its last byte was read."""

    at: float
    touched: frozenset[int]


class Terminal:
    """Run ``argv`` on a pseudo-terminal of ``size`` (cols, rows) with TERM=xterm-256color and
    act as the terminal: answer the synchronized-output query, keep the screen, and time keys
    from the write to the end of the frame that shows what they cause.

    A frame ends at ``CSI ? 2026 l``; its time is when the read that brought that byte
    returned (before we parse it). ``press`` waits for the first frame end after the key at
    which a condition on the screen holds (with the lines written since the key known)."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        size: tuple[int, int] = (120, 40),
    ) -> None:
        self.cols, self.rows = size
        self.screen = Screen(self.cols, self.rows)
        self.frames = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._raw = b""  # a frame whose end has not come yet
        self._frames: list[Frame] = []  # ended since the last look
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the program
            os.execvpe(argv[0], list(argv), {**os.environ, **(env or {}), "TERM": "xterm-256color"})
        ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.cols, 0, 0))

    # -- reading -----------------------------------------------------------------------------

    def _read(self, timeout: float) -> bool:
        """Read what is there (waiting up to ``timeout``); False if nothing came.

        A frame's bytes are only parsed once its end has been read, so that parsing never
        holds up reading the rest of the frame (the program writes into a small pty buffer
        and waits while it is full)."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 1 << 20)
        except OSError:
            chunk = b""
        at = time.perf_counter()
        if not chunk:
            raise RuntimeError(f"the program ended:\n{self.screen.text()}")
        raw = self._raw + chunk
        start = raw.rfind(_SYNC_START_BYTES)
        if start != -1 and raw.find(_SYNC_END_BYTES, start) == -1:
            # inside a frame: parse up to its start, keep the frame until its end comes
            self._raw = raw[start:]
            raw = raw[:start]
        else:
            self._raw = b""
        if raw:
            self._feed(self._decoder.decode(raw), at)
        return True

    def _feed(self, data: str, at: float) -> None:
        data = _SGR.sub("", self._pending + data)
        self._pending = ""
        screen = self.screen
        pos, end = 0, len(data)
        while pos < end:
            match = _TOKEN.match(data, pos)
            if match is None:  # a lone ESC: the rest of its escape is in the next read
                if end - pos < _MAX_ESCAPE:
                    self._pending = data[pos:]
                    return
                pos += 1  # not an escape we know: drop the ESC
                continue
            pos = match.end()
            if (text := match.group("text")) is not None:
                screen.put(text)
            elif (csi := match.group("csi")) is not None:
                if csi == SYNC_END:
                    self.frames += 1
                    self._frames.append(Frame(at, frozenset(screen.touched)))
                    screen.touched = set()
                elif csi == "?2026$p":
                    os.write(self.fd, SYNC_SUPPORTED)
                elif csi != SYNC_START:
                    screen.csi(csi)
            elif (ctl := match.group("ctl")) is not None:
                screen.control(ctl)

    def wait(
        self,
        done: Callable[[Screen, frozenset[int]], bool],
        *,
        timeout: float,
        since: float | None = None,
        what: str = "",
    ) -> float:
        """The end time of the first frame (from now on) after which ``done(screen, lines
        written by frames since the call)`` holds."""
        start = time.perf_counter()
        touched: set[int] = set()
        self._frames = []
        while True:
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise TimeoutError(
                    f"no frame showed {what or 'the expected screen'} within {timeout} s; "
                    f"the screen:\n{self.screen.text()}"
                )
            if not self._read(left) or not self._frames:
                continue
            # Frames that came in one read share its time; the screen is as of the last.
            for frame in self._frames:
                touched |= frame.touched
            at = self._frames[-1].at
            self._frames = []
            if done(self.screen, frozenset(touched)):
                return at

    def settle(self, quiet: float = 0.15, limit: float = 10.0) -> None:
        """Read until nothing has come for ``quiet`` seconds (or ``limit`` passed)."""
        end = time.perf_counter() + limit
        while time.perf_counter() < end and self._read(quiet):
            pass

    def press(
        self,
        key: bytes,
        done: Callable[[Screen, frozenset[int]], bool],
        *,
        timeout: float = 60.0,
        what: str = "",
        follow: Callable[[frozenset[int]], bool] | None = None,
        gap: float = 0.05,
    ) -> tuple[float, float]:
        """Milliseconds from writing ``key`` to the end of the first frame after which
        ``done`` holds (see :meth:`wait`), and to the end of the last frame of that repaint:
        frames that follow it within ``gap`` seconds each and touch lines ``follow`` cares
        about (Textual paints a scrollbar that changed size a frame later, say)."""
        self.settle()
        self.screen.touched = set()
        start = time.perf_counter()
        os.write(self.fd, key)
        first = last = self.wait(done, timeout=timeout, what=what)
        if follow is not None:
            while True:
                wait_until = last + gap
                got = False
                while not got and time.perf_counter() < wait_until:
                    self._read(wait_until - time.perf_counter())
                    got = any(follow(f.touched) for f in self._frames)
                if not got:
                    break
                last = max(f.at for f in self._frames if follow(f.touched))
                self._frames = []
        return (first - start) * 1000, (last - start) * 1000

    # -- the process --------------------------------------------------------------------------

    def memory(self) -> dict[str, float]:
        """VmRSS and VmHWM of the program, in MB."""
        out: dict[str, float] = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                key = line.split(":")[0]
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(line.split()[1]) / 1024
        return out

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
