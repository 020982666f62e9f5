"""Live change notices: one poller per worker process, the SSE stream and long-poll waits.

The change log is the only thing all workers behind one database share, so every worker
learns of new changes the same way: one background task per app reads ``max(seq)`` every
``poll_interval`` seconds while at least one stream or long-poll listens, and wakes them all.
A push served by this worker nudges the poller so its own listeners hear of it at once.
Events are tiny pokes (the sequence number); the data itself comes through pull.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from types import FrameType
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from csm_tui.server.changes import max_seq

log = logging.getLogger("csm_tui.server")

#: Default seconds between two reads of ``max(seq)`` while someone listens.
POLL_INTERVAL_SECONDS = 0.5
#: Tells the desk how long to wait before reconnecting a dropped stream.
RETRY_MILLISECONDS = 2000


class ChangeWatcher:
    """Knows the newest change-log sequence, and wakes listeners when it rises.

    Asyncio objects bind to the running loop on first use, so the watcher can be built in
    the app factory, outside any loop.
    """

    def __init__(self, engine: Engine, poll_interval: float = POLL_INTERVAL_SECONDS) -> None:
        self.engine = engine
        self.poll_interval = poll_interval
        self.seq = 0
        self.shutdown = asyncio.Event()
        self._changed = asyncio.Condition()
        self._nudge = asyncio.Event()
        self._listeners = 0
        self._task: asyncio.Task[None] | None = None
        self._wake_task: asyncio.Task[None] | None = None

    @property
    def listeners(self) -> int:
        return self._listeners

    def read_max_seq(self) -> int:
        """The newest sequence in the database (blocking; call it in a worker thread)."""
        with Session(self.engine) as session:
            return max_seq(session)

    @contextlib.asynccontextmanager
    async def listening(self) -> AsyncIterator[ChangeWatcher]:
        """Keep the poller running while the caller waits for changes."""
        self._listeners += 1
        if self._task is None:
            self._task = asyncio.create_task(self._poll(), name="csm-change-poller")
        try:
            yield self
        finally:
            self._listeners -= 1
            # Wake the poller so it stops promptly once nobody listens.
            self._nudge.set()

    async def wait_beyond(self, seq: int, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for a sequence above ``seq``; return the newest known.

        Returns early on shutdown; the caller checks ``shutdown``. Use inside ``listening``.
        """

        def ready() -> bool:
            return self.seq > seq or self.shutdown.is_set()

        async with self._changed:
            if not ready():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(ready), max(timeout, 0.0))
            return self.seq

    def nudge(self) -> None:
        """Read the log now instead of at the next tick (after a push by this worker)."""
        self._nudge.set()

    def begin_shutdown(self) -> None:
        """Start ending every stream and wait (call on the loop, e.g. from a signal)."""
        if self.shutdown.is_set():
            return
        self.shutdown.set()
        self._nudge.set()
        self._wake_task = asyncio.get_running_loop().create_task(self._wake_all())

    async def _wake_all(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def close(self) -> None:
        """Wake every listener for good and stop the poller (app shutdown)."""
        self.shutdown.set()
        await self._wake_all()
        self._nudge.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _poll(self) -> None:
        try:
            while self._listeners > 0 and not self.shutdown.is_set():
                try:
                    newest = await run_in_threadpool(self.read_max_seq)
                except Exception:  # a database hiccup must not end live updates for good
                    log.warning("Reading the change log for live updates failed", exc_info=True)
                    newest = self.seq
                if newest != self.seq:
                    self.seq = newest
                    async with self._changed:
                        self._changed.notify_all()
                self._nudge.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudge.wait(), self.poll_interval)
        finally:
            # No await between the listener check above and this point, so a listener that
            # arrives now sees no task and starts a new one.
            if self._task is asyncio.current_task():
                self._task = None


def sse_event(seq: int) -> bytes:
    return f"id: {seq}\nevent: change\ndata: {seq}\n\n".encode("ascii")


HEARTBEAT_COMMENT = b": hb\n\n"


async def event_stream(
    request: Request,
    watcher: ChangeWatcher,
    last_event_id: int | None,
    heartbeat: float,
) -> AsyncIterator[bytes]:
    """The body of ``GET /api/v1/stream``: a change event whenever the log grows, a heartbeat
    comment after ``heartbeat`` idle seconds, and the end on disconnect or shutdown."""
    async with watcher.listening():
        current = await run_in_threadpool(watcher.read_max_seq)
        yield f"retry: {RETRY_MILLISECONDS}\n\n".encode("ascii")
        if last_event_id is not None and last_event_id < current:
            yield sse_event(current)
        sent = current
        last_write = time.monotonic()
        while not watcher.shutdown.is_set():
            if await request.is_disconnected():
                return
            idle = time.monotonic() - last_write
            newest = await watcher.wait_beyond(sent, heartbeat - idle)
            if watcher.shutdown.is_set():
                return
            if newest > sent:
                sent = newest
                yield sse_event(newest)
                last_write = time.monotonic()
            elif time.monotonic() - last_write >= heartbeat:
                yield HEARTBEAT_COMMENT
                last_write = time.monotonic()


def parse_event_id(value: str | None) -> int | None:
    """``Last-Event-ID`` as a sequence, or None when absent or not a plain number."""
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    return int(value)


@contextlib.contextmanager
def exit_signals_set(event_setter: Callable[[], None]) -> Any:
    """While inside, SIGTERM and SIGINT also call ``event_setter`` (then the old handler).

    uvicorn waits for open responses to finish before it runs the lifespan shutdown, and a
    live stream never finishes by itself; hearing the signal directly lets streams end at
    once, in single- and multi-worker mode alike. Only the main thread may set handlers, so
    elsewhere (the test client) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handler(sig: int, frame: FrameType | None) -> None:
        event_setter()
        old = previous.get(sig)
        if callable(old):
            old(sig, frame)

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            # Only put back what we replaced; someone may have chained after us.
            if signal.getsignal(sig) is handler:
                signal.signal(sig, old)
