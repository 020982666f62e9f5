"""Agents' passwords: scrypt hashes, setting them, and signing in with one for a token.

A password is stored as ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (base64, a random 16-byte salt
per agent), so the cost can rise later without breaking stored hashes. Checking compares in
constant time, and an unknown handle costs the same scrypt as a known one, so neither the
reply nor its timing says whether a handle exists. Every refusal is the same sentence.

Failed sign-ins are counted per handle (:class:`AttemptLimiter`): after ``MAX_FAILURES`` in a
row the handle is refused for ``LOCK_SECONDS``, even with the right password. The counts live
in the server process (each worker keeps its own), which is enough to make guessing slow.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, select

from csm_tui.domain.models import Agent, utcnow
from csm_tui.server.auth import UnknownAgent, issue_token
from csm_tui.server.tables import AgentPassword

#: scrypt cost: 16 MiB of memory and ~50 ms a check on a laptop core (OWASP's minimum is
#: N=2^17 with r=8 at p=1 for new systems; this is the interactive level of the scrypt paper).
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_MAXMEM = 64 * 1024 * 1024
MIN_PASSWORD = 8
MAX_PASSWORD = 1024

REFUSED_DETAIL = "The handle or the password is not right."
LOCKED_DETAIL = (
    "Too many failed sign-ins for this handle; wait {minutes} minutes, or ask your lead for a "
    "token (`csm server issue-token`)."
)
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


class LoginRefused(Exception):
    """Wrong handle or password (always the same sentence)."""

    def __init__(self) -> None:
        super().__init__(REFUSED_DETAIL)


class TooManyAttempts(Exception):
    """The handle is locked for a while after failed sign-ins."""

    def __init__(self, seconds: float) -> None:
        minutes = max(1, round(seconds / 60))
        super().__init__(LOCKED_DETAIL.format(minutes=minutes))
        self.retry_after = max(1, int(seconds))


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"A password needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"A password may have at most {MAX_PASSWORD} characters.")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, n, r, p)
    return "$".join(("scrypt", str(n), str(r), str(p), _b64(salt), _b64(digest)))


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


#: Checked against when the handle is unknown, so that the reply takes as long.
_DUMMY_HASH = "$".join(
    ("scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), "AAAAAAAAAAAAAAAAAAAAAA==", "AA==")
)


def set_password(engine: Engine, handle: str, password: str) -> Agent:
    """Give the agent ``handle`` a new password (replacing any old one); tokens stay valid."""
    check_new_password(password)
    stored = hash_password(password)
    with Session(engine, expire_on_commit=False) as session:
        agent = session.exec(select(Agent).where(Agent.handle == handle.strip())).first()
        if agent is None:
            raise UnknownAgent(f"There is no agent with the handle {handle}; add the agent first.")
        row = session.get(AgentPassword, agent.id)
        if row is None:
            row = AgentPassword(agent_id=agent.id, password_hash=stored)
        else:
            row.password_hash = stored
            row.updated_at = utcnow()
        session.add(row)
        session.commit()
        return agent


def set_passwords(engine: Engine, handles: list[str] | None, password: str) -> int:
    """The same password for several agents (None: every agent; the seeded demo agents),
    each with its own salt. Returns how many agents got it."""
    check_new_password(password)
    done = 0
    with Session(engine) as session:
        query = select(Agent)
        if handles is not None:
            query = query.where(Agent.handle.in_(handles))  # type: ignore[attr-defined]
        agents = session.exec(query).all()
        for agent in agents:
            row = session.get(AgentPassword, agent.id)
            stored = hash_password(password)
            if row is None:
                session.add(AgentPassword(agent_id=agent.id, password_hash=stored))
            else:
                row.password_hash = stored
                row.updated_at = utcnow()
                session.add(row)
            done += 1
        session.commit()
    return done


def login(engine: Engine, handle: str, password: str, label: str = "") -> tuple[Agent, str]:
    """The agent and a new token for them, or :class:`LoginRefused`."""
    with Session(engine, expire_on_commit=False) as session:
        agent = session.exec(select(Agent).where(Agent.handle == handle)).first()
        row = session.get(AgentPassword, agent.id) if agent is not None else None
    stored = row.password_hash if row is not None else _DUMMY_HASH
    ok = verify_password(password, stored)
    if agent is None or row is None or not ok:
        raise LoginRefused()
    return agent, issue_token(engine, agent.handle, label=label or "csm login")


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class AttemptLimiter:
    """Failed sign-ins per handle, in memory; ``MAX_FAILURES`` in a row lock the handle for
    ``LOCK_SECONDS``. At most ``capacity`` handles are remembered (the oldest go first), so
    guessing at made-up handles cannot fill the server's memory."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        lock_seconds: float = LOCK_SECONDS,
        *,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self.capacity = capacity
        self.clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, handle: str) -> None:
        """Raise :class:`TooManyAttempts` while ``handle`` is locked."""
        with self._lock:
            entry = self._failures.get(handle.lower())
            if entry is None:
                return
            left = entry.locked_until - self.clock()
            if left > 0:
                raise TooManyAttempts(left)

    def failed(self, handle: str) -> None:
        key = handle.lower()
        with self._lock:
            entry = self._failures.pop(key, None) or _Failures()
            if entry.locked_until and entry.locked_until <= self.clock():
                entry = _Failures()  # the lock ran out: count afresh
            entry.count += 1
            if entry.count >= self.max_failures:
                entry.locked_until = self.clock() + self.lock_seconds
            self._failures[key] = entry
            while len(self._failures) > self.capacity:
                self._failures.popitem(last=False)

    def succeeded(self, handle: str) -> None:
        with self._lock:
            self._failures.pop(handle.lower(), None)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
