"""Fault injection for sync tests: an httpx transport around the real one that drops,
duplicates, delays, replays and fails requests the way a bad mobile link or a proxy would.

It stands in for the network only; the server behind it and the desk in front are real.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import httpx


@dataclass
class FaultPlan:
    """Probabilities per request (0..1) and an offline switch."""

    drop_request: float = 0.0  # never reaches the server
    drop_reply: float = 0.0  # the server acted; the desk sees a broken connection
    error_after_commit: float = 0.0  # the server acted; the desk sees a 500
    duplicate: float = 0.0  # sent twice; the desk sees the second reply
    replay_old: float = 0.0  # an earlier push of this desk arrives again (reordering)
    delay: float = 0.0  # a short random delay before sending
    max_delay: float = 0.02
    offline: bool = False


@dataclass
class FaultyTransport(httpx.BaseTransport):
    inner: httpx.BaseTransport
    plan: FaultPlan = field(default_factory=FaultPlan)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    counts: dict[str, int] = field(default_factory=dict)
    _old_pushes: list[httpx.Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _hit(self, name: str, p: float) -> bool:
        with self._lock:
            if p > 0 and self.rng.random() < p:
                self.counts[name] = self.counts.get(name, 0) + 1
                return True
            return False

    def _send(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        raw = b"".join(response.stream)  # type: ignore[union-attr]
        response.close()
        return httpx.Response(
            response.status_code, headers=response.headers, stream=httpx.ByteStream(raw)
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if self.plan.offline:
            with self._lock:
                self.counts["offline"] = self.counts.get("offline", 0) + 1
            raise httpx.ConnectError("offline (fault injection)", request=request)
        if self._hit("delay", self.plan.delay):
            time.sleep(self.rng.uniform(0, self.plan.max_delay))
        if self._hit("drop_request", self.plan.drop_request):
            raise httpx.ConnectError("dropped before sending (fault injection)", request=request)
        is_push = request.url.path.endswith("/push")
        if is_push and self._old_pushes and self._hit("replay_old", self.plan.replay_old):
            old = self.rng.choice(self._old_pushes)
            self._send(_copy(old))  # its reply is lost; the server must not apply it twice
        if is_push:
            self._old_pushes = [*self._old_pushes[-9:], _copy(request)]
        if self._hit("duplicate", self.plan.duplicate):
            self._send(_copy(request))
        response = self._send(request)
        if self._hit("drop_reply", self.plan.drop_reply):
            raise httpx.ReadError("lost after sending (fault injection)", request=request)
        if self._hit("error_after_commit", self.plan.error_after_commit):
            # A streamed body, as the real transport gives: the client reads it raw.
            return httpx.Response(
                500,
                headers={"content-type": "application/json"},
                stream=httpx.ByteStream(
                    b'{"detail": "The case server hit an internal error; try again."}'
                ),
            )
        return response

    def close(self) -> None:
        self.inner.close()


def _copy(request: httpx.Request) -> httpx.Request:
    return httpx.Request(
        request.method, request.url, headers=request.headers, content=request.content
    )
