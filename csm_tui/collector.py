"""The garbage collector, kept off the path from a keystroke to its repaint.

A full pass of Python's cyclic collector stops the desk: over everything the process holds
(modules, styles, widgets; ~60,000 objects once the queue shows) it took 30-70 ms, every dozen
keystrokes or so, and a repaint that met it waited (bench/queue.py at 100,000 cases: most of
the slowest views and keystrokes). Two measures:

- :func:`settle`, once the first screen is painted: what exists then lives as long as the desk,
  so it is moved out of the collector's way (``gc.freeze``); a full pass then only scans what
  came since.
- :func:`hold` / :func:`release` around a query's way to the screen: a pass that falls due
  meanwhile runs after the repaint. Textual does the same while it animates a scroll
  (``App.PAUSE_GC_ON_SCROLL``). A hold is only ever undone by :func:`release` (a collector
  switched off elsewhere stays off), and callers release after a time limit whatever happens.
"""

from __future__ import annotations

import gc

_settled = False
_held = False


def settle() -> None:
    """Collect today's garbage, then freeze what is left (once a process)."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()  # garbage now is collected, not frozen with the rest
    gc.freeze()


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


__all__ = ["held", "hold", "release", "settle"]
