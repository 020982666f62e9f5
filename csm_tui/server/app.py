"""The case server's FastAPI app factory: routes, error replies, compression, size limits.

Owns the HTTP surface of sync protocol v1: ``/me``, ``/changes`` (pull, with a long-poll
``wait``), ``/push``, ``/stream`` (Server-Sent Events) and ``/cases/{id}/presence`` (who else
has a case open); ``/login`` and ``/cases/{id}/messages`` are in ``server.login_routes``.
Every error leaves as JSON ``{"detail": "..."}`` with one sentence a person can read;
tracebacks stay in the server log.
Database work runs in worker threads (sync routes or ``run_in_threadpool``), never on the loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import csm_tui
from csm_tui.domain.models import Agent, utcnow
from csm_tui.server import changes, presence, push
from csm_tui.server.auth import current_agent
from csm_tui.server.compression import (
    MINIMUM_SIZE,
    BadEncoding,
    BodyTooLarge,
    CompressionMiddleware,
    inflate,
)
from csm_tui.server.db import make_engine
from csm_tui.server.escalation import add_escalation_routes, escalate_every
from csm_tui.server.login_routes import add_login_and_message_routes
from csm_tui.server.stream import (
    POLL_INTERVAL_SECONDS,
    ChangeWatcher,
    event_stream,
    exit_signals_set,
    parse_event_id,
)
from csm_tui.sync import wire

log = logging.getLogger("csm_tui.server")

#: Largest request body the server reads on most routes.
MAX_BODY_BYTES = 1024 * 1024
#: Largest (compressed) push body; a full batch of long messages fits, gzip or not.
MAX_PUSH_BODY_BYTES = 4 * 1024 * 1024
PUSH_PATH = "/api/v1/push"
TOO_LARGE_DETAIL = "The request body is larger than the case server accepts (1 MiB)."
INFLATED_TOO_LARGE_DETAIL = (
    f"The push body inflates to more than the case server accepts "
    f"({wire.MAX_PUSH_INFLATED_BYTES // (1024 * 1024)} MiB); push fewer mutations at once."
)
INTERNAL_DETAIL = "The case server hit an internal error; try again."

# Starlette's own details are bare reason phrases; replace them with sentences.
_PLAIN_DETAILS = {
    404: "There is no such endpoint on the case server.",
    405: "This endpoint does not accept that HTTP method.",
}


def make_server_app(
    db_url: str | None = None,
    *,
    engine: Engine | None = None,
    heartbeat: float = wire.HEARTBEAT_SECONDS,
    poll_interval: float = POLL_INTERVAL_SECONDS,
    presence_ttl: float = wire.PRESENCE_TTL_SECONDS,
    clock: Callable[[], datetime] = utcnow,
    escalation_interval: float | None = None,
) -> FastAPI:
    """Build the case server app on ``engine`` (made from ``db_url`` when not given).

    ``heartbeat`` is the idle time before a stream sends a comment line; ``poll_interval``
    how often the live poller reads the change log while someone listens (tests use small
    values). ``presence_ttl`` is how long a presence announcement counts, on ``clock``
    (naive UTC; tests move it). The schema is not created here; ``db.init_db`` does that
    (``run.serve`` calls it).
    """
    if engine is None:
        if not db_url:
            raise ValueError("make_server_app needs a db_url or an engine.")
        engine = make_engine(db_url)
    if heartbeat <= 0 or poll_interval <= 0:
        raise ValueError("heartbeat and poll_interval must be positive numbers of seconds.")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A fresh watcher per run: its asyncio objects belong to this event loop.
        watcher = ChangeWatcher(engine, poll_interval)
        app.state.watcher = watcher
        loop = asyncio.get_running_loop()
        # The SLA escalation scan (server/escalation.py), when asked for.
        scan = (
            asyncio.create_task(escalate_every(engine, escalation_interval, clock))
            if escalation_interval
            else None
        )
        with exit_signals_set(lambda: loop.call_soon_threadsafe(watcher.begin_shutdown)):
            try:
                yield
            finally:
                if scan is not None:
                    scan.cancel()
                await watcher.close()

    app = FastAPI(
        title="csm case server",
        version=csm_tui.__version__,
        description="Sync protocol v1 of csm-tui: pull changes, push mutations, live pokes.",
        responses={
            401: {"model": wire.ErrorReply, "description": "Missing or invalid token"},
        },
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.heartbeat = heartbeat
    app.state.presence = presence.PresenceBook(engine, ttl=presence_ttl, clock=clock)
    # Replaced in the lifespan; this one serves apps run without it (plain ASGI tests).
    app.state.watcher = ChangeWatcher(engine, poll_interval)
    app.add_middleware(CompressionMiddleware, minimum_size=MINIMUM_SIZE)
    # Added last so it runs first: an oversized body is refused before anything reads it.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=MAX_BODY_BYTES,
        path_limits={PUSH_PATH: MAX_PUSH_BODY_BYTES},
    )
    _add_error_handlers(app)
    _add_routes(app)
    _add_push_route(app)
    _add_stream_route(app)
    _add_presence_routes(app)
    add_escalation_routes(app, clock)
    add_login_and_message_routes(app)
    return app


CurrentAgent = Annotated[Agent, Depends(current_agent)]
CaseIdPath = Annotated[str, Path(min_length=1, max_length=64)]


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
    async def get_changes(
        request: Request,
        agent: CurrentAgent,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: int = wire.DEFAULT_PAGE_ROWS,
        max_bytes: int = wire.DEFAULT_PAGE_BYTES,
        wait: Annotated[
            float,
            Query(description="Long-poll: seconds to wait for a change when none is ready"),
        ] = 0.0,
        first_screen: Annotated[
            bool,
            Query(
                description="With no cursor: first send what the agent's first screen shows "
                "(their open cases and the newest cases), then the full snapshot"
            ),
        ] = False,
        bodies: Annotated[
            Literal["all", "recent"],
            Query(
                description="recent: leave the message bodies of cases solved or closed more "
                "than 14 days ago out of the snapshot (GET /cases/{id}/messages has them)"
            ),
        ] = "all",
    ) -> wire.ChangesPage:
        """A page of changes after ``cursor``; no cursor starts a full snapshot.

        With ``wait`` (clamped to MAX_LONG_POLL_SECONDS) and a delta cursor that has nothing
        after it yet, the reply waits until a change lands or the time is up.
        """
        # Clamp instead of refusing: a desk asking for too much should still make progress.
        limit = min(max(limit, 1), wire.MAX_PAGE_ROWS)
        max_bytes = min(max(max_bytes, 1), wire.MAX_PAGE_BYTES)
        # NaN passes min/max untouched; treat it (and any non-finite value) as no wait.
        wait = min(max(wait, 0.0), wire.MAX_LONG_POLL_SECONDS) if math.isfinite(wait) else 0.0
        engine: Engine = request.app.state.engine

        def read() -> wire.ChangesPage:
            with Session(engine) as session:
                try:
                    if first_screen and not cursor:
                        return changes.first_screen_page(session, agent.id, max_bytes)
                    return changes.read_page(
                        session, cursor, limit, max_bytes, agent.id, bodies=bodies
                    )
                except changes.CursorGone as exc:
                    raise HTTPException(status_code=410, detail=str(exc)) from None
                except changes.BadCursor as exc:
                    raise HTTPException(status_code=400, detail=str(exc)) from None

        page = await run_in_threadpool(read)
        if page.rows or page.snapshot or wait <= 0:
            return page
        after = int(page.cursor.removeprefix("d."))
        watcher: ChangeWatcher = request.app.state.watcher
        async with watcher.listening():
            # The poller may not have read the log yet; never sleep past a change already in.
            if await run_in_threadpool(watcher.read_max_seq) <= after:
                await watcher.wait_beyond(after, wait)
        return await run_in_threadpool(read)


def _add_push_route(app: FastAPI) -> None:
    # The body is read by hand (it may be compressed), so FastAPI cannot document it from a
    # parameter: point the request body at PushRequest and publish that schema below.
    @app.post(
        PUSH_PATH,
        response_model=wire.PushReply,
        tags=["sync"],
        responses={
            403: {"model": wire.ErrorReply, "description": "The client id is another agent's"},
            409: {"model": wire.MidGap, "description": "A gap in the mids; nothing applied"},
            413: {"model": wire.ErrorReply, "description": "Body too large, or inflates so"},
            415: {"model": wire.ErrorReply, "description": "Unknown Content-Encoding"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}
                },
                "description": "May be sent with Content-Encoding gzip or zstd.",
            }
        },
    )
    async def push_mutations(
        request: Request,
        agent: CurrentAgent,
        content_encoding: Annotated[str | None, Header()] = None,
    ) -> Any:
        """Apply the desk's queued mutations in order, exactly once per ``mid``."""
        raw = await request.body()
        try:
            body = inflate(raw, content_encoding, wire.MAX_PUSH_INFLATED_BYTES)
        except BodyTooLarge:
            raise HTTPException(status_code=413, detail=INFLATED_TOO_LARGE_DETAIL) from None
        except BadEncoding as exc:
            raise HTTPException(status_code=exc.status_code, detail=str(exc)) from None
        try:
            batch = wire.PushRequest.model_validate_json(body)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None
        try:
            reply = await run_in_threadpool(push.push, request.app.state.engine, agent, batch)
        except push.ClientOwnedByOther as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from None
        except push.MidGapError as exc:
            gap = wire.MidGap(detail=str(exc), last_mid=exc.last_mid)
            return JSONResponse(gap.model_dump(), status_code=409)
        if any(r.status != "error" for r in reply.results):
            # Listeners on this worker hear of the change now, not at the next poll.
            request.app.state.watcher.nudge()
        return reply

    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = original_openapi()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        body = wire.PushRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in body.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas["PushRequest"] = body
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _add_stream_route(app: FastAPI) -> None:
    @app.get(
        "/api/v1/stream",
        tags=["sync"],
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "Change pokes"}},
    )
    async def stream(
        request: Request,
        agent: CurrentAgent,
        last_event_id: Annotated[str | None, Query(max_length=32)] = None,
        last_event_id_header: Annotated[
            str | None, Header(alias="Last-Event-ID", max_length=32)
        ] = None,
    ) -> StreamingResponse:
        """Server-Sent Events: ``id: <seq>`` / ``event: change`` whenever the log grows.

        Resume with ``Last-Event-ID`` (header, or ``last_event_id`` query for clients that
        cannot set headers): when it is below the newest sequence, one event comes at once.
        """
        since = parse_event_id(last_event_id_header or last_event_id)
        body = event_stream(request, request.app.state.watcher, since, request.app.state.heartbeat)
        return StreamingResponse(
            body,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )


def _add_presence_routes(app: FastAPI) -> None:
    route = "/api/v1/cases/{case_id}/presence"
    unknown: dict[int | str, dict[str, Any]] = {
        404: {"model": wire.ErrorReply, "description": "No case with this id"},
    }

    @app.put(route, response_model=wire.PresenceReply, tags=["presence"], responses=unknown)
    def announce_presence(
        request: Request, case_id: CaseIdPath, body: wire.PresenceRequest, agent: CurrentAgent
    ) -> wire.PresenceReply:
        """I have this case open (``composing``: and I am writing a reply). Answers every
        other agent who has it open, fresher than the presence TTL. Repeat every ~10 s."""
        book: presence.PresenceBook = request.app.state.presence
        try:
            return book.announce(agent, case_id, body.composing)
        except presence.UnknownCase as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    @app.delete(
        route, status_code=204, response_class=Response, tags=["presence"], responses=unknown
    )
    def leave_case(request: Request, case_id: CaseIdPath, agent: CurrentAgent) -> Response:
        """I closed this case: others stop seeing me at once."""
        book: presence.PresenceBook = request.app.state.presence
        try:
            book.leave(agent, case_id)
        except presence.UnknownCase as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        return Response(status_code=204)


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

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        path_limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Exact paths with their own limit (the push route takes larger batches).
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.path_limits.get(scope.get("path", ""), self.max_bytes)
        detail = too_large_detail(max_bytes)
        length = _content_length(scope)
        if length is not None and length > max_bytes:
            await _send_too_large(send, detail)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # HTTPException passes through FastAPI's body parsing untouched and
                    # reaches the JSON error handler; any other exception would become a 400.
                    raise HTTPException(status_code=413, detail=detail)
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
            await _send_too_large(send, detail)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def too_large_detail(max_bytes: int) -> str:
    if max_bytes == MAX_BODY_BYTES:
        return TOO_LARGE_DETAIL
    return (
        f"The request body is larger than the case server accepts "
        f"({max_bytes / (1024 * 1024):g} MiB)."
    )


async def _send_too_large(send: Send, detail: str = TOO_LARGE_DETAIL) -> None:
    body = json.dumps({"detail": detail}).encode("utf-8")
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
