"""The desk's HTTP client for the case server: one httpx client, bearer auth, zstd/gzip, and
every transport or protocol failure turned into one sentence (:class:`~csm_tui.errors.CsmError`).

Endpoints: ``me()``, ``changes()`` (with ``wait`` for long-poll), ``push()`` (gzip bodies
over 1 KB; a 409 becomes :class:`MidGapError`), ``stream()`` (SSE, for the live listener) and
``presence()`` / ``leave()`` (who else has a case open).

The token goes into the ``Authorization`` header only; it never appears in an error message.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from csm_tui import __version__
from csm_tui.errors import CsmError
from csm_tui.sync.wire import (
    DEFAULT_PAGE_BYTES,
    DEFAULT_PAGE_ROWS,
    MAX_LONG_POLL_SECONDS,
    CaseMessages,
    ChangesPage,
    LoginReply,
    LoginRequest,
    Me,
    MidGap,
    PresenceReply,
    PresenceRequest,
    PushReply,
    PushRequest,
    Viewer,
)

M = TypeVar("M", bound=BaseModel)


class CursorGone(CsmError):
    """The server no longer knows our cursor (410): a full resync is needed."""


class Unauthorized(CsmError):
    """The server refused the token (401)."""


class Unreachable(CsmError):
    """No answer at all: the server is down, the address is wrong or the link timed out."""


class MidGapError(CsmError):
    """409 on a push: the server holds this client's mutations only up to ``last_mid``."""

    def __init__(self, message: str, last_mid: int) -> None:
        super().__init__(message)
        self.last_mid = last_mid


class ServerError(CsmError):
    """The server answered 5xx; what it committed (if anything) it keeps."""


try:  # zstd where the optional native module is present; gzip always.
    import zstandard as _zstd
except ImportError:  # pragma: no cover - zstandard is a declared dependency
    _zstd = None

ACCEPT_ENCODING = "zstd, gzip" if _zstd is not None else "gzip"
#: Push bodies larger than this are sent gzip-compressed.
GZIP_PUSH_OVER = 1024
#: Seconds added to a long-poll's ``wait`` before the client gives up on the reply.
LONG_POLL_SLACK = 10.0
#: Seconds a presence call may take: it repeats every few seconds, so never wait long.
PRESENCE_TIMEOUT = 5.0


class _NoContent(BaseModel):
    """The empty reply of a 204."""


class CaseServerClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token = token
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                # No token (``login``): no header, rather than an empty one.
                **({"Authorization": f"Bearer {token}"} if token else {}),
                "Accept-Encoding": ACCEPT_ENCODING,
                "User-Agent": f"csm-tui/{__version__}",
            },
            timeout=timeout,
            transport=transport,
        )
        #: Bytes of the last response body as it came over the wire (before decompression).
        self.last_wire_bytes = 0
        self._open: set[httpx.Response] = set()
        self._open_lock = threading.Lock()
        self._aborted = False

    def clone(self) -> CaseServerClient:
        """A new client for the same server and token, on its own connection pool (the
        live listener's, so that closing it never touches this one)."""
        return CaseServerClient(self.base_url, self._token, timeout=self.timeout)

    def close(self) -> None:
        self._http.close()

    def abort(self) -> None:
        """Cut every request in flight from another thread (a blocked read returns at once),
        then close the client. Used by the live listener's ``stop()``."""
        self._aborted = True
        with self._open_lock:
            responses = list(self._open)
        for response in responses:
            _shutdown(response)
        self.close()

    def __enter__(self) -> CaseServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def me(self) -> Me:
        return self._request("GET", "/api/v1/me", Me)

    def changes(
        self,
        cursor: str | None,
        *,
        limit: int = DEFAULT_PAGE_ROWS,
        max_bytes: int = DEFAULT_PAGE_BYTES,
        wait: float | None = None,
        first_screen: bool = False,
        bodies: str = "all",
    ) -> ChangesPage:
        """A page of changes after ``cursor``. With ``wait`` (seconds, long-poll), a server
        with nothing new holds the request until a change or until ``wait`` runs out.
        ``first_screen`` (no cursor only) asks for the agent's first screen before the
        snapshot. ``bodies="recent"`` leaves old cases' message bodies on the server."""
        params: dict[str, Any] = {"limit": limit, "max_bytes": max_bytes}
        if bodies != "all":
            params["bodies"] = bodies
        if cursor:
            params["cursor"] = cursor
        elif first_screen:
            params["first_screen"] = "true"
        timeout: float | None = None
        if wait is not None:
            wait = max(0.0, min(float(wait), MAX_LONG_POLL_SECONDS))
            params["wait"] = f"{wait:g}"
            timeout = wait + LONG_POLL_SLACK
        return self._request("GET", "/api/v1/changes", ChangesPage, params=params, timeout=timeout)

    def case_messages(self, case_id: str) -> CaseMessages:
        """``GET /api/v1/cases/{case_id}/messages``: the case's messages with their bodies."""
        return self._request(
            "GET", f"/api/v1/cases/{quote(case_id, safe='')}/messages", CaseMessages
        )

    def login(self, handle: str, password: str, label: str = "") -> LoginReply:
        """``POST /api/v1/login``: a new token for the agent (the client's own token is not
        needed: make it with an empty one). A refusal raises :class:`Unauthorized`."""
        body = LoginRequest(handle=handle, password=password, label=label)
        return self._request(
            "POST",
            "/api/v1/login",
            LoginReply,
            content=body.model_dump_json().encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )

    def push(self, request: PushRequest) -> PushReply:
        """Send queued mutations. 409 (a gap in the mids) raises :class:`MidGapError`."""
        body = request.model_dump_json().encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if len(body) > GZIP_PUSH_OVER:
            body = gzip.compress(body, compresslevel=6)
            headers["Content-Encoding"] = "gzip"
        return self._request("POST", "/api/v1/push", PushReply, content=body, headers=headers)

    def presence(self, case_id: str, composing: bool) -> list[Viewer]:
        """``PUT /api/v1/cases/{case_id}/presence``: announce that this agent has the case
        open (and whether they are writing a reply); returns the other agents who have."""
        body = PresenceRequest(composing=composing).model_dump_json().encode("utf-8")
        reply = self._request(
            "PUT",
            _presence_path(case_id),
            PresenceReply,
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=PRESENCE_TIMEOUT,
        )
        return reply.viewers

    def leave(self, case_id: str) -> None:
        """``DELETE /api/v1/cases/{case_id}/presence``: this agent closed the case."""
        self._request("DELETE", _presence_path(case_id), _NoContent, timeout=PRESENCE_TIMEOUT)

    @contextmanager
    def stream(self, last_event_id: int | None, *, read_timeout: float) -> Iterator[httpx.Response]:
        """``GET /api/v1/stream`` (Server-Sent Events), open for the caller to iterate.

        Raw transport errors are the caller's (the live listener reconnects on them); the
        status code is not checked here either. ``abort()`` ends it from another thread.
        """
        headers = {"Accept": "text/event-stream", "Accept-Encoding": "identity"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        timeout = httpx.Timeout(self.timeout, read=read_timeout)
        with self._http.stream("GET", "/api/v1/stream", headers=headers, timeout=timeout) as r:
            self._track(r)
            try:
                yield r
            finally:
                self._untrack(r)

    def _track(self, response: httpx.Response) -> None:
        with self._open_lock:
            self._open.add(response)
        if self._aborted:
            _shutdown(response)

    def _untrack(self, response: httpx.Response) -> None:
        with self._open_lock:
            self._open.discard(response)

    def _request(
        self,
        method: str,
        path: str,
        schema: type[M],
        *,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> M:
        where = self.base_url
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = timeout
        try:
            with self._http.stream(
                method, path, params=params, content=content, headers=headers, **extra
            ) as response:
                self._track(response)
                try:
                    raw = b"".join(response.iter_raw())
                finally:
                    self._untrack(response)
            body = _decode(raw, response.headers.get("content-encoding", ""))
        except httpx.TimeoutException:
            raise Unreachable(
                f"The case server at {where} did not answer in time; check the link and try again."
            ) from None
        except httpx.ConnectError as err:
            tls = tls_problem(err)
            if tls is not None:
                raise Unreachable(
                    f"The TLS certificate of {where} could not be verified ({tls}); check the "
                    "address, or the certificate authorities this machine trusts."
                ) from None
            raise Unreachable(
                f"Cannot reach the case server at {where}; check the address and your connection, "
                "then try again (your local data is unchanged)."
            ) from None
        except (httpx.DecodingError, _Truncated):
            raise CsmError(
                f"The reply from {where} was cut off or badly compressed; try again."
            ) from None
        except _TooLarge:
            raise CsmError(
                f"The reply from {where} inflates beyond {MAX_REPLY_BYTES // (1024 * 1024)} MiB; "
                "it was refused."
            ) from None
        except (httpx.HTTPError, zlib.error, OSError) as err:
            raise CsmError(
                f"The connection to {where} failed ({type(err).__name__}); try again."
            ) from None
        except Exception as err:
            if _zstd is not None and isinstance(err, _zstd.ZstdError):
                raise CsmError(
                    f"The reply from {where} was cut off or badly compressed; try again."
                ) from None
            raise
        self.last_wire_bytes = len(raw)
        self._raise_for_status(response, body)
        try:
            return schema.model_validate(json.loads(body) if response.status_code != 204 else {})
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CsmError(
                f"The case server at {where} sent a reply that is not JSON; "
                "check that the address points at a csm case server."
            ) from None
        except ValidationError as err:
            raise CsmError(
                f"The case server at {where} sent a reply this desk does not understand "
                f"({err.error_count()} problem(s), first at "
                f"'{'.'.join(str(p) for p in err.errors()[0]['loc'])}'); update csm or the server."
            ) from None

    def _raise_for_status(self, response: httpx.Response, body: bytes) -> None:
        if response.status_code < 400:
            return
        detail = _detail(body)
        if response.status_code == 401:
            raise Unauthorized(
                f"The case server refused the sign-in ({detail or 'invalid token'}); "
                "run `csm login` again."
            )
        if response.status_code == 410:
            raise CursorGone(detail or "The server no longer knows this sync cursor.")
        if response.status_code == 409:
            try:
                gap = MidGap.model_validate(json.loads(body))
            except (ValueError, ValidationError):
                gap = None
            if gap is not None:
                raise MidGapError(_sentence(gap.detail), gap.last_mid)
        text = (
            f"The case server answered {response.status_code}"
            + (f": {detail}" if detail else "")
            + ("" if (detail or "").endswith(".") else ".")
        )
        if response.status_code >= 500:
            raise ServerError(text)
        raise CsmError(text)


def tls_problem(err: BaseException) -> str | None:
    """What failed in TLS, when ``err`` (an httpx error) came from certificate verification
    or another TLS error, else None."""
    import ssl

    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause.verify_message or "certificate verify failed"
        if isinstance(cause, ssl.SSLError):
            return cause.reason or str(cause)
        cause = cause.__cause__ or cause.__context__
    text = str(err)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "certificate verify failed"
    return None


def _presence_path(case_id: str) -> str:
    return f"/api/v1/cases/{quote(case_id, safe='')}/presence"


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith(".") else text + "."


def _shutdown(response: httpx.Response) -> None:
    """Shut the response's socket down: wakes a thread blocked reading it (close alone
    may not), then close the response."""
    stream = response.extensions.get("network_stream")
    sock = None
    if stream is not None:
        with contextlib.suppress(Exception):
            sock = stream.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


def _detail(body: bytes) -> str:
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return ""
    return " ".join(detail.split()) if isinstance(detail, str) else ""


class _Truncated(Exception):
    pass


class _TooLarge(Exception):
    pass


#: A reply that inflates beyond this is refused rather than held in memory.
MAX_REPLY_BYTES = 64 * 1024 * 1024


def _decode(raw: bytes, encoding: str) -> bytes:
    """Undo the content encoding ourselves: httpx would accept a truncated gzip stream
    silently, and we want the exact wire size and a bound on the inflated size."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding == "zstd" and _zstd is not None:
        return _unzstd(raw)
    if encoding != "gzip":
        raise httpx.DecodingError(f"unsupported content encoding {encoding!r}")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    body = inflater.decompress(raw, MAX_REPLY_BYTES)
    if inflater.unconsumed_tail:
        raise _TooLarge()
    if not inflater.eof:
        raise _Truncated()
    return body


def _unzstd(raw: bytes) -> bytes:
    """Inflate zstd frames, fed in small pieces so that the size cap holds while inflating
    (one zstd byte can stand for thousands), refusing a cut-off last frame."""
    assert _zstd is not None
    dctx = _zstd.ZstdDecompressor()
    out = bytearray()
    obj = dctx.decompressobj()
    pos = 0
    while pos < len(raw):
        chunk = raw[pos : pos + 1024]
        pos += len(chunk)
        out += obj.decompress(chunk)
        if len(out) > MAX_REPLY_BYTES:
            raise _TooLarge()
        if obj.eof:
            rest = obj.unused_data + raw[pos:]
            if not rest:
                return bytes(out)
            raw, pos, obj = rest, 0, dctx.decompressobj()
    if not obj.eof:
        raise _Truncated()
    return bytes(out)
