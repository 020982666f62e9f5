"""The case server's FastAPI app factory: routes, error replies, compression, size limits.

Owns the HTTP surface of sync protocol v1. Every error leaves as JSON ``{"detail": "..."}``
with one sentence a person can read; tracebacks stay in the server log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import csm_tui
from csm_tui.domain.models import Agent
from csm_tui.server import changes
from csm_tui.server.auth import current_agent
from csm_tui.server.db import make_engine
from csm_tui.sync import wire

log = logging.getLogger("csm_tui.server")

#: Largest request body the server reads (push batches stay far below it).
MAX_BODY_BYTES = 1024 * 1024
TOO_LARGE_DETAIL = "The request body is larger than the case server accepts (1 MiB)."
INTERNAL_DETAIL = "The case server hit an internal error; try again."

# Starlette's own details are bare reason phrases; replace them with sentences.
_PLAIN_DETAILS = {
    404: "There is no such endpoint on the case server.",
    405: "This endpoint does not accept that HTTP method.",
}


def make_server_app(db_url: str | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the case server app on ``engine`` (made from ``db_url`` when not given).

    The schema is not created here; ``db.init_db`` does that (``run.serve`` calls it).
    """
    if engine is None:
        if not db_url:
            raise ValueError("make_server_app needs a db_url or an engine.")
        engine = make_engine(db_url)

    app = FastAPI(
        title="csm case server",
        version=csm_tui.__version__,
        description="Sync protocol v1 of csm-tui: pull changes, push mutations.",
        responses={
            401: {"model": wire.ErrorReply, "description": "Missing or invalid token"},
        },
    )
    app.state.engine = engine
    app.add_middleware(GZipMiddleware, minimum_size=500)
    # Added last so it runs first: an oversized body is refused before anything reads it.
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    _add_error_handlers(app)
    _add_routes(app)
    return app


def _session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


CurrentAgent = Annotated[Agent, Depends(current_agent)]
DbSession = Annotated[Session, Depends(_session)]


def _add_routes(app: FastAPI) -> None:
    errors: dict[int | str, dict[str, Any]] = {
        400: {"model": wire.ErrorReply, "description": "Malformed cursor"},
        410: {"model": wire.ErrorReply, "description": "Cursor no longer known; resync"},
    }

    @app.get("/api/v1/me", response_model=wire.Me, tags=["sync"])
    def me(agent: CurrentAgent) -> wire.Me:
        """Who the token belongs to."""
        return wire.Me(
            id=agent.id,
            handle=agent.handle,
            name=agent.name,
            role=str(agent.role),
            team=agent.team,
        )

    @app.get("/api/v1/changes", response_model=wire.ChangesPage, tags=["sync"], responses=errors)
    def get_changes(
        agent: CurrentAgent,
        session: DbSession,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: int = wire.DEFAULT_PAGE_ROWS,
        max_bytes: int = wire.DEFAULT_PAGE_BYTES,
    ) -> wire.ChangesPage:
        """A page of changes after ``cursor``; no cursor starts a full snapshot."""
        # Clamp instead of refusing: a desk asking for too much should still make progress.
        limit = min(max(limit, 1), wire.MAX_PAGE_ROWS)
        max_bytes = min(max(max_bytes, 1), wire.MAX_PAGE_BYTES)
        try:
            return changes.read_page(session, cursor, limit, max_bytes)
        except changes.CursorGone as exc:
            raise HTTPException(status_code=410, detail=str(exc)) from None
        except changes.BadCursor as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        if detail is None or detail == _reason(exc.status_code):
            detail = _PLAIN_DETAILS.get(exc.status_code, detail or "The request failed.")
        return JSONResponse(
            {"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_sentence(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": INTERNAL_DETAIL}, status_code=500)


def _reason(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""


def _validation_sentence(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "The request is not valid."
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    where = ".".join(loc) or "the request body"
    message = str(first.get("msg", "is not valid")).rstrip(".")
    extra = (
        f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        if len(errors) > 1
        else ""
    )
    return f"The value of {where} is not valid: {message}{extra}."


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, by header or while reading.

    The Content-Length check refuses before any byte is read; counting the reads catches
    chunked bodies and lying headers.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_bytes:
            await _send_too_large(send)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # HTTPException passes through FastAPI's body parsing untouched and
                    # reaches the JSON error handler; any other exception would become a 400.
                    raise HTTPException(status_code=413, detail=TOO_LARGE_DETAIL)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except HTTPException as exc:
            # Raised from receive outside any exception handler (plain ASGI reads).
            if exc.status_code != 413 or started:
                raise
            await _send_too_large(send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_too_large(send: Send) -> None:
    body = json.dumps({"detail": TOO_LARGE_DETAIL}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
