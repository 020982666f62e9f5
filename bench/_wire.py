"""Counting what crosses the wire: an httpx transport that adds up request and response bytes
as HTTP/1.1 sends them (request line, headers, body as sent; status line, headers, body as
received, still compressed)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass
class WireCount:
    up: int = 0
    down: int = 0
    requests: int = 0

    @property
    def total(self) -> int:
        return self.up + self.down


class CountingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.count = WireCount()

    def reset(self) -> WireCount:
        done, self.count = self.count, WireCount()
        return done

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        target = request.url.raw_path.decode()
        head = f"{request.method} {target} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in request.headers.items()
        )
        self.count.up += len(head.encode()) + 2 + len(body)
        self.count.requests += 1
        response = self.inner.handle_request(request)
        raw = b"".join(response.stream)  # type: ignore[union-attr]
        response.close()
        status = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
        headers = "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
        self.count.down += len((status + headers).encode()) + 2 + len(raw)
        return httpx.Response(
            response.status_code, headers=response.headers, stream=httpx.ByteStream(raw)
        )

    def close(self) -> None:
        self.inner.close()
