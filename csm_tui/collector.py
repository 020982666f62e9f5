"""The garbage collector, kept off the path from a keystroke to its repaint.

A full pass of Python's cyclic collector stops the desk: over everything the process holds
(modules, styles, widgets; ~60,000 objects once the queue shows) it took 30-70 ms, every dozen
keystrokes or so, and a repaint that met it waited (bench/queue.py at 100,000 cases: most of
the slowest views and keystrokes). So, once the first screen is painted:

- :func:`settle`: what exists then lives as long as the desk, so it is collected once and
  moved out of the collector's way (``gc.freeze``), and the automatic collector is switched
  off: collections run when the desk is idle instead (:func:`tick`, every half second from
  the app, :func:`touch` on every key and click).
- :func:`tick` collects the young generations after :data:`IDLE_SECONDS` without input, and
  everything (but the frozen part) every :data:`FULL_IDLE_SECONDS` of idleness. Memory stays
  bounded while someone types without pause: a full pass at least every
  :data:`FULL_AT_LEAST_SECONDS`, and the youngest generation whenever many objects wait.
- :func:`stop` (the app's end) gives the automatic collector back, so a process that outlives
  one desk (the tests) collects as usual.

:func:`hold` / :func:`release` keep a collection that falls due off a query's way to the
screen when the collector is automatic (before :func:`settle`): Textual does the same while it
animates a scroll (``App.PAUSE_GC_ON_SCROLL``). A hold is only ever undone by its release (a
collector switched off elsewhere stays off).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: How often the app asks :func:`tick`.
TICK_SECONDS = 0.5
#: Seconds without a key or a click after which the desk counts as idle.
IDLE_SECONDS = 0.5
#: Seconds of idleness between full collections.
FULL_IDLE_SECONDS = 10.0
#: A full collection at least this often, idle or not.
FULL_AT_LEAST_SECONDS = 60.0
#: Objects waiting in the youngest generation that make a (cheap) young collection due even
#: while someone types.
YOUNG_AT_MOST = 50_000

_settled = False
_held = False


class _Idle:
    """The idle-time collector's state (one per process, like the collector itself)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.active = False
        self.last_input = 0.0
        self.last_full = 0.0
        self.young_done = True  # nothing collected since the last input yet

    def start(self) -> None:
        now = self.clock()
        self.active, self.last_input, self.last_full, self.young_done = True, now, now, True
        gc.disable()

    def stop(self) -> None:
        if self.active:
            self.active = False
            gc.enable()

    def touch(self) -> None:
        self.last_input = self.clock()
        self.young_done = False

    def tick(self) -> int | None:
        """Collect what is due now; returns the generation collected, or None."""
        if not self.active:
            return None
        now = self.clock()
        idle = now - self.last_input >= IDLE_SECONDS
        if now - self.last_full >= (FULL_IDLE_SECONDS if idle else FULL_AT_LEAST_SECONDS):
            gc.collect(2)
            self.last_full, self.young_done = now, True
            return 2
        if (idle and not self.young_done) or gc.get_count()[0] >= YOUNG_AT_MOST:
            gc.collect(1)
            self.young_done = idle
            return 1
        return None


_idle = _Idle()


def settle() -> None:
    """Collect today's garbage, freeze what is left (once a process), and from now on
    collect when the desk is idle."""
    global _settled
    if not _settled:
        _settled = True
        gc.collect()  # garbage now is collected, not frozen with the rest
        gc.freeze()
    release()
    _idle.start()


def touch() -> None:
    """A key or a click: the desk is busy."""
    _idle.touch()


def tick() -> int | None:
    """Collect if due (the app calls this every half second)."""
    return _idle.tick()


def stop() -> None:
    """The desk is closing: the automatic collector again."""
    _idle.stop()


def hold() -> None:
    """No collection until :func:`release`."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """Undo :func:`hold` (a no-op if nothing is held)."""
    global _held
    if _held:
        _held = False
        gc.enable()


def held() -> bool:
    return _held


__all__ = ["held", "hold", "release", "settle", "stop", "tick", "touch"]
