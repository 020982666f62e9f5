"""The desk's HTTP client for the case server: one httpx client, bearer auth, gzip, and every
transport or protocol failure turned into one sentence (:class:`~csm_tui.errors.CsmError`).

The token goes into the ``Authorization`` header only; it never appears in an error message.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from csm_tui import __version__
from csm_tui.errors import CsmError
from csm_tui.sync.wire import DEFAULT_PAGE_BYTES, DEFAULT_PAGE_ROWS, ChangesPage, Me

M = TypeVar("M", bound=BaseModel)


class CursorGone(CsmError):
    """The server no longer knows our cursor (410): a full resync is needed."""


class Unauthorized(CsmError):
    """The server refused the token (401)."""


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
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept-Encoding": "gzip",
                "User-Agent": f"csm-tui/{__version__}",
            },
            timeout=timeout,
            transport=transport,
        )
        #: Bytes of the last response body as it came over the wire (before decompression).
        self.last_wire_bytes = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CaseServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def me(self) -> Me:
        return self._get("/api/v1/me", Me)

    def changes(
        self,
        cursor: str | None,
        *,
        limit: int = DEFAULT_PAGE_ROWS,
        max_bytes: int = DEFAULT_PAGE_BYTES,
    ) -> ChangesPage:
        params: dict[str, Any] = {"limit": limit, "max_bytes": max_bytes}
        if cursor:
            params["cursor"] = cursor
        return self._get("/api/v1/changes", ChangesPage, params=params)

    def _get(self, path: str, schema: type[M], params: dict[str, Any] | None = None) -> M:
        where = self.base_url
        try:
            with self._http.stream("GET", path, params=params) as response:
                raw = b"".join(response.iter_raw())
            body = _decode(raw, response.headers.get("content-encoding", ""))
        except httpx.TimeoutException:
            raise CsmError(
                f"The case server at {where} did not answer in time; check the link and try again."
            ) from None
        except httpx.ConnectError:
            raise CsmError(
                f"Cannot reach the case server at {where}; check the address and your connection, "
                "then try again (your local data is unchanged)."
            ) from None
        except (httpx.DecodingError, _Truncated):
            raise CsmError(
                f"The reply from {where} was cut off or badly compressed; try again."
            ) from None
        except (httpx.HTTPError, zlib.error) as err:
            raise CsmError(
                f"The connection to {where} failed ({type(err).__name__}); try again."
            ) from None
        self.last_wire_bytes = len(raw)
        self._raise_for_status(response, body)
        try:
            return schema.model_validate(json.loads(body))
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
        raise CsmError(
            f"The case server answered {response.status_code}"
            + (f": {detail}" if detail else "")
            + ("" if (detail or "").endswith(".") else ".")
        )


def _detail(body: bytes) -> str:
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return ""
    return " ".join(detail.split()) if isinstance(detail, str) else ""


class _Truncated(Exception):
    pass


#: A reply that inflates beyond this is refused rather than held in memory.
MAX_REPLY_BYTES = 64 * 1024 * 1024


def _decode(raw: bytes, encoding: str) -> bytes:
    """Undo the content encoding ourselves: httpx would accept a truncated gzip stream
    silently, and we want the exact wire size and a bound on the inflated size."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding != "gzip":
        raise httpx.DecodingError(f"unsupported content encoding {encoding!r}")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    body = inflater.decompress(raw, MAX_REPLY_BYTES)
    if not inflater.eof or inflater.unconsumed_tail:
        raise _Truncated()
    return body
