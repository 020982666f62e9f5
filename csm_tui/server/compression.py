"""Compressed request and response bodies: content negotiation out, capped inflation in.

Responses: zstd when the client's ``Accept-Encoding`` offers it (about as small as gzip -9 at
a fraction of the CPU), else gzip, else identity; bodies under ``minimum_size`` stay plain,
and ``text/event-stream`` is never touched (a compressor would hold back the tiny pokes).

Requests: a push body may arrive gzip- or zstd-encoded; :func:`inflate` stops at a hard cap,
so a small "zip bomb" cannot make the server allocate gigabytes.
"""

from __future__ import annotations

import io
import zlib
from typing import Protocol

import zstandard
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Responses smaller than this are sent as they are: compressing them gains nothing.
MINIMUM_SIZE = 500
_GZIP_LEVEL = 6
_ZSTD_LEVEL = 3


class BodyTooLarge(ValueError):
    """The inflated request body passes the cap (answered with 413)."""


class BadEncoding(ValueError):
    """The request body is not valid in its declared encoding (400), or the encoding is
    unknown (415); ``status_code`` says which."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.status_code = status_code


def inflate(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """Decode ``body`` per its ``Content-Encoding``, refusing more than ``max_bytes`` out."""
    coding = (content_encoding or "identity").strip().lower()
    if coding in ("", "identity"):
        out = body
    elif coding in ("gzip", "x-gzip"):
        out = _gunzip(body, max_bytes)
    elif coding == "zstd":
        out = _unzstd(body, max_bytes)
    else:
        raise BadEncoding(
            f"The request's Content-Encoding {coding} is not supported; use gzip, zstd or none.",
            status_code=415,
        )
    if len(out) > max_bytes:
        raise BodyTooLarge()
    return out


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        # max_length: never produce more than one byte beyond the cap, however small the input.
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error:
        raise BadEncoding("The gzip request body is corrupt.") from None
    if len(out) > max_bytes:
        raise BodyTooLarge()
    if not inflater.eof:
        raise BadEncoding("The gzip request body is truncated.")
    return out


def _unzstd(body: bytes, max_bytes: int) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body))
    try:
        out = reader.read(max_bytes + 1)
    except zstandard.ZstdError:
        raise BadEncoding("The zstd request body is corrupt.") from None
    if len(out) > max_bytes:
        raise BodyTooLarge()
    return out


def choose_encoding(accept_encoding: str) -> str | None:
    """``zstd``, ``gzip`` or None (identity) for an ``Accept-Encoding`` header value."""
    offered: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name.strip():
            offered[name.strip().lower()] = q
    if offered.get("zstd", 0.0) > 0:
        return "zstd"
    if offered.get("gzip", offered.get("*", 0.0)) > 0:
        return "gzip"
    return None


class _Compressor(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self, final: bool) -> bytes: ...


class _Gzip:
    def __init__(self) -> None:
        self._obj = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def compress(self, data: bytes) -> bytes:
        return self._obj.compress(data)

    def flush(self, final: bool) -> bytes:
        return self._obj.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


class _Zstd:
    def __init__(self) -> None:
        self._obj = zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compressobj()

    def compress(self, data: bytes) -> bytes:
        return self._obj.compress(data)

    def flush(self, final: bool) -> bytes:
        mode = zstandard.COMPRESSOBJ_FLUSH_FINISH if final else zstandard.COMPRESSOBJ_FLUSH_BLOCK
        return self._obj.flush(mode)


def _compressor(coding: str) -> _Compressor:
    return _Zstd() if coding == "zstd" else _Gzip()


class CompressionMiddleware:
    """Compress responses as the client's ``Accept-Encoding`` allows (zstd, gzip, identity)."""

    def __init__(self, app: ASGIApp, minimum_size: int = MINIMUM_SIZE) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        coding = choose_encoding(Headers(scope=scope).get("accept-encoding", ""))
        responder = _Responder(send, coding, self.minimum_size)
        await self.app(scope, receive, responder)


class _Responder:
    """Holds the response start until the first body part shows whether to compress."""

    def __init__(self, send: Send, coding: str | None, minimum_size: int) -> None:
        self.send = send
        self.coding = coding
        self.minimum_size = minimum_size
        self.start: Message | None = None
        self.passthrough = False
        self.compressor: _Compressor | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = Headers(raw=message.get("headers", []))
            media = headers.get("content-type", "")
            if media.startswith("text/event-stream") or "content-encoding" in headers:
                # Never buffer a live stream or re-encode what is encoded already.
                self.passthrough = True
                await self.send(message)
                return
            self.start = message
            return
        if message["type"] != "http.response.body" or self.passthrough:
            await self.send(message)
            return
        if self.start is not None:
            await self._first_body(message)
            return
        await self._more_body(message)

    async def _first_body(self, message: Message) -> None:
        start, self.start = self.start, None
        assert start is not None
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        headers = MutableHeaders(raw=start.setdefault("headers", []))
        headers.add_vary_header("Accept-Encoding")
        if self.coding is None or (not more and len(body) < self.minimum_size):
            self.passthrough = True
            await self.send(start)
            await self.send(message)
            return
        self.compressor = _compressor(self.coding)
        headers["Content-Encoding"] = self.coding
        if more:
            # Streamed: the length is unknown until the end.
            del headers["Content-Length"]
            chunk = self.compressor.compress(body) + self.compressor.flush(final=False)
        else:
            chunk = self.compressor.compress(body) + self.compressor.flush(final=True)
            headers["Content-Length"] = str(len(chunk))
        await self.send(start)
        await self.send({"type": "http.response.body", "body": chunk, "more_body": more})

    async def _more_body(self, message: Message) -> None:
        assert self.compressor is not None
        more = bool(message.get("more_body", False))
        chunk = self.compressor.compress(message.get("body", b""))
        chunk += self.compressor.flush(final=not more)
        await self.send({"type": "http.response.body", "body": chunk, "more_body": more})
