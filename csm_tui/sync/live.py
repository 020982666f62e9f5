"""The live listener: the server's pokes (``GET /api/v1/stream``, Server-Sent Events) on a
daemon thread, so the desk syncs as soon as something changes.

Pokes are tiny (``id: <seq>``, ``event: change``, ``data: <seq>``; ``: hb`` heartbeat
comments); data still comes through pull. The listener:

- reconnects after any failure with exponential backoff and full jitter (a random wait
  between 0 and ``min(30 s, 0.5 s * 2**n)``), sending ``Last-Event-ID`` so that no change
  made while it was away is missed;
- falls back to long-polling ``GET /api/v1/changes?cursor=d.N&wait=S`` when the server has
  no stream (404/405) or the stream is buffered on the way (no byte for two heartbeats);
- stops promptly: ``stop()`` shuts the socket it is reading and the thread ends at once.

It never touches the store and never blocks its caller: ``on_change`` runs on its thread.
httpx is imported on that thread, not when this module is imported.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from csm_tui.sync.wire import HEARTBEAT_SECONDS, MAX_LONG_POLL_SECONDS

if TYPE_CHECKING:
    from csm_tui.sync.client import CaseServerClient

log = logging.getLogger("csm_tui.live")

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
#: Rows a long-poll asks for: it only needs to learn that something changed.
POLL_LIMIT = 50
POLL_BYTES = 64 * 1024
#: An empty long-poll reply quicker than this is followed by a pause of this length.
MIN_EMPTY_POLL_SECONDS = 1.0


def backoff_delay(
    attempt: int,
    rng: random.Random | None = None,
    backoff: tuple[float, float] = (BACKOFF_BASE, BACKOFF_CAP),
) -> float:
    """Full jitter: uniform in ``[0, min(cap, base * 2**attempt)]``, at least a little."""
    base, cap = backoff
    ceiling = min(cap, base * (2 ** min(attempt, 16)))
    return max(0.05, (rng or random).uniform(0.0, ceiling))


class SseEvent:
    __slots__ = ("data", "event", "id")

    def __init__(self, id: str | None, event: str, data: str) -> None:
        self.id = id
        self.event = event
        self.data = data


def parse_sse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Server-Sent Events from text lines (the WHATWG rules: ``field: value``, one space
    after the colon dropped, comments start with ``:``, a blank line dispatches)."""
    event_id: str | None = None
    event_type = ""
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data or event_type:
                yield SseEvent(event_id, event_type or "message", "\n".join(data))
            event_type, data = "", []
            continue
        if line.startswith(":"):
            continue  # a comment: the heartbeat
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            if "\0" not in value:
                event_id = value
        elif name == "event":
            event_type = value
        elif name == "data":
            data.append(value)
        # "retry" and unknown fields: ignored (our own backoff decides)


class LiveListener:
    """Calls ``on_change(seq)`` for each change the server announces, from its own thread.

    ``client_factory`` makes the listener's own :class:`CaseServerClient` (it is closed on
    ``stop()``). ``last_event_id`` is the sequence already known (the store's cursor); the
    server announces only what follows. ``cursor`` (optional) tells the long-poll where the
    store stands now, so it does not announce what a sync already pulled.
    """

    def __init__(
        self,
        client_factory: Callable[[], CaseServerClient],
        on_change: Callable[[int], None],
        last_event_id: int | None,
        *,
        heartbeat: float = HEARTBEAT_SECONDS,
        poll_wait: float = MAX_LONG_POLL_SECONDS,
        cursor: Callable[[], int] | None = None,
        rng: random.Random | None = None,
        backoff: tuple[float, float] = (BACKOFF_BASE, BACKOFF_CAP),
    ) -> None:
        self.client_factory = client_factory
        self.on_change = on_change
        self.last_event_id = last_event_id
        self.heartbeat = heartbeat
        self.poll_wait = poll_wait
        self.cursor = cursor
        self.rng = rng or random.Random()
        self.backoff = backoff
        #: "stream" or "poll": how it listens now.
        self.mode = "stream"
        #: Connections made (the first one included) and failures seen, for tests and logs.
        self.connects = 0
        self.failures = 0
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._client: CaseServerClient | None = None
        self._client_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------

    def start(self) -> LiveListener:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="csm-live", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """End the listener: cut the connection it is reading and join its thread."""
        self._stop.set()
        with self._client_lock:
            client = self._client
        if client is not None:
            with contextlib.suppress(Exception):
                client.abort()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # -- the loop --------------------------------------------------------------------------

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                client = self._new_client()
                if client is None:
                    return
                listen = self._listen if self.mode == "stream" else self._poll
                if listen(client):
                    attempt = 0
            except Exception as err:  # any failure: count it, wait, reconnect
                if self._stop.is_set():
                    break
                self.failures += 1
                log.debug("live listener: %s: %s", type(err).__name__, err)
            finally:
                self.connected.clear()
                self._drop_client()
            if self._stop.is_set():
                break
            self._stop.wait(backoff_delay(attempt, self.rng, self.backoff))
            attempt += 1

    def _new_client(self) -> CaseServerClient | None:
        client = self.client_factory()
        with self._client_lock:
            if self._stop.is_set():
                client.close()
                return None
            self._client = client
        return client

    def _drop_client(self) -> None:
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def _announce(self, seq: int) -> None:
        if self.last_event_id is not None and seq <= self.last_event_id:
            return
        self.last_event_id = seq
        if not self._stop.is_set():
            try:
                self.on_change(seq)
            except Exception:  # the caller's bug must not end the listener
                log.exception("live listener: on_change failed")

    def _listen(self, client: CaseServerClient) -> bool:
        """One stream connection; returns True once the server accepted it. Falls back to
        polling on 404/405 or a buffered stream; raises on other failures (reconnect)."""
        import httpx

        self.connects += 1
        read_timeout = 2 * self.heartbeat
        try:
            with client.stream(self.last_event_id, read_timeout=read_timeout) as response:
                if response.status_code in (404, 405):
                    self.mode = "poll"
                    return True
                if response.status_code != 200:
                    raise RuntimeError(f"stream answered {response.status_code}")
                self.connected.set()
                for event in parse_sse(response.iter_lines()):
                    if self._stop.is_set():
                        return True
                    if event.event not in ("change", "message"):
                        continue
                    seq = _seq(event.data) or _seq(event.id)
                    if seq is not None:
                        self._announce(seq)
        except httpx.ReadTimeout:
            # Not a byte for two heartbeats: something on the way buffers the stream.
            self.mode = "poll"
            return True
        # The server ended the stream (restart, deploy): reconnect after a short wait.
        return True

    def _poll(self, client: CaseServerClient) -> bool:
        """Long-poll ``/api/v1/changes`` until stopped; returns after a failure (raised)."""
        self.connects += 1
        while not self._stop.is_set():
            known = max(self.last_event_id or 0, self.cursor() if self.cursor else 0)
            asked = time.monotonic()
            page = client.changes(
                f"d.{known}", limit=POLL_LIMIT, max_bytes=POLL_BYTES, wait=self.poll_wait
            )
            self.connected.set()
            seqs = [row.seq for row in page.rows if row.seq]
            if seqs:
                self._announce(max(seqs))
            elif time.monotonic() - asked < MIN_EMPTY_POLL_SECONDS:
                # A server that does not hold the request: do not hammer it.
                self._stop.wait(MIN_EMPTY_POLL_SECONDS)
        return True


def _seq(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else None
