"""Routes of issue #9: ``POST /api/v1/login`` (handle and password -> a new token) and
``GET /api/v1/cases/{case_id}/messages`` (a case's messages whole, for a low-bandwidth desk
that left old bodies on the server).

Sign-in refusals are one generic sentence (``passwords.REFUSED_DETAIL``) whether the handle or
the password was wrong; repeated failures lock the handle for a while (429 with
``Retry-After``). The body limit of every route applies (the app's ``BodyLimitMiddleware``),
and the request model caps each field. scrypt runs in the thread pool, never on the loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path, Request
from sqlmodel import Session

from csm_tui.domain.models import Agent
from csm_tui.server import passwords
from csm_tui.server.auth import current_agent
from csm_tui.server.bodies import UnknownCase, case_messages
from csm_tui.sync import wire


def add_login_and_message_routes(app: FastAPI) -> None:
    app.state.login_limiter = passwords.AttemptLimiter()

    @app.post(
        "/api/v1/login",
        response_model=wire.LoginReply,
        tags=["auth"],
        responses={
            401: {"model": wire.ErrorReply, "description": "Wrong handle or password"},
            429: {"model": wire.ErrorReply, "description": "Too many failed sign-ins"},
        },
    )
    def login(request: Request, body: wire.LoginRequest) -> wire.LoginReply:
        """Sign in with a handle and password: a new token (shown once; only its hash is
        kept). Agents get a password from `csm server set-password`."""
        limiter: passwords.AttemptLimiter = request.app.state.login_limiter
        handle = body.handle.strip()
        try:
            limiter.check(handle)
        except passwords.TooManyAttempts as exc:
            raise HTTPException(
                status_code=429, detail=str(exc), headers={"Retry-After": str(exc.retry_after)}
            ) from None
        try:
            agent, token = passwords.login(
                request.app.state.engine, handle, body.password, body.label
            )
        except passwords.LoginRefused as exc:
            limiter.failed(handle)
            raise HTTPException(status_code=401, detail=str(exc)) from None
        limiter.succeeded(handle)
        return wire.LoginReply(
            token=token,
            agent=wire.Me(
                id=agent.id,
                handle=agent.handle,
                name=agent.name,
                role=str(agent.role),
                team=agent.team,
            ),
        )

    unknown: dict[int | str, dict[str, Any]] = {
        404: {"model": wire.ErrorReply, "description": "No case with this id"},
    }

    @app.get(
        "/api/v1/cases/{case_id}/messages",
        response_model=wire.CaseMessages,
        tags=["sync"],
        responses=unknown,
    )
    def get_case_messages(
        request: Request,
        case_id: Annotated[str, Path(min_length=1, max_length=64)],
        agent: Annotated[Agent, Depends(current_agent)],
    ) -> wire.CaseMessages:
        """Every message of one case with its body (oldest first): what a desk that pulled
        with ``bodies=recent`` fetches when the agent opens an old case."""
        with Session(request.app.state.engine) as session:
            try:
                return case_messages(session, case_id)
            except UnknownCase as exc:
                raise HTTPException(status_code=404, detail=str(exc)) from None
