"""Applying a desk's pushed mutations (``POST /api/v1/push``), exactly once and field by field.

Owns the push side of sync protocol v1:

- Exactly once: each desk (``client_id``, owned by one agent) numbers its mutations with a
  ``mid`` that rises by one. ``ClientState.last_mid`` is the highest applied; a repeated mid
  gets the result stored in ``PushResult`` the first time, a gap refuses the whole batch.
  A batch is one transaction, and the client's row is locked first, so two pushes of one
  outbox serialise instead of applying a mutation twice.
- Conflicts: an update carries the values the desk saw (``base``). A field nobody else
  changed since then applies; tags merge three-way as sets; any other scalar changed on both
  sides is not applied and comes back as a :class:`~csm_tui.sync.wire.FieldConflict`.
- Rules: status transitions as ``domain.status`` says, closed cases take no updates, messages
  are append-only, and every value is checked before anything is written, so an ``error``
  result means nothing of that mutation applied.
- Tasks for other teams (fraud, billing, field service): created on a case that is not
  closed; their state, title and due time update field by field like a case.
- Macros and snippets: shared ones are created, changed and deleted (a tombstone) by leads
  and admins only, personal ones by their owner only (the server makes the acting agent the
  owner of a new one); their scope never changes. Every value is checked by the domain
  (``check_macro`` / ``check_snippet``), conflicts go field by field. A macro use (what the
  suggestions learn from) is append-only.
- SLA configuration (``sla_config``): one TOML text of calendars and policies; created (when
  none exists) and changed only by leads and admins, and only with a text the domain's
  ``policies_from_toml`` accepts (else refused with its sentence); conflicts as for any field.
- Knowledge articles (``server.knowledge_push``): anyone proposes, leads and admins publish,
  change and delete; an agent changes or withdraws only their own proposal.
- Survey answers (``survey_answer``, CSAT) are made by the server only: a desk's write is
  refused with a sentence.
- Audit trail: a change of a case's status, priority, queue, assignee or tags, a new task and
  a task's change of state each add one EVENT message to the case (author: the acting agent,
  body: one line such as "Status: open → pending"), so every desk pulls the history. A
  customer message that reopens a case (pending, on hold or solved back to open) adds the
  same status line, at the message's time: the SLA engine reads the status history from it.

Every write goes through ``mutations`` with the pushing agent as actor, so pulls see it.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Engine, cast, delete, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from csm_tui.domain import macros as macro_rules
from csm_tui.domain import snippets as snippet_rules
from csm_tui.domain.due import format_due
from csm_tui.domain.enums import (
    CaseStatus,
    Channel,
    MessageKind,
    Priority,
    TaskState,
    TaskTeam,
)
from csm_tui.domain.models import (
    SLA_CONFIG_NAME,
    Account,
    Agent,
    Case,
    Contact,
    MacroRow,
    MacroUse,
    Message,
    Queue,
    SlaConfig,
    SnippetRow,
    Task,
    to_wire,
    utcnow,
)
from csm_tui.domain.sla import policies_from_toml, status_line
from csm_tui.domain.sla_policy import MAX_SLA_FILE, sla_change_refusal
from csm_tui.domain.status import TransitionError, check_transition, status_after_customer_reply
from csm_tui.server import mutations
from csm_tui.server.changes import lock_log
from csm_tui.server.tables import ChangeLog, ClientState, PushResult
from csm_tui.sync.wire import FieldConflict, Mutation, MutationResult, PushReply, PushRequest

#: Stored results kept per client; a desk never repeats a mid this far back.
KEEP_RESULTS = 1000

MESSAGE_IMMUTABLE = "Messages cannot be changed once written."
CLOSED_DETAIL = "A closed case takes no more updates; a reply creates a follow-up case instead."
FORGOTTEN_RESULT = "This change was applied earlier; its detailed result is no longer kept."
TASK_CLOSED_DETAIL = "A closed case takes no new tasks; open a follow-up case for more work."
MACRO_USE_IMMUTABLE = "A macro use is recorded once and never changed."
SURVEY_ANSWER_SERVER_ONLY = "Survey answers come from customers; a desk cannot write them."

_CASE_NUMBER = re.compile(r"^CS-(\d+)$")
_CUSTOMER_NUMBER = re.compile(r"^K-(\d+)$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_MAX_TAGS = 50
_MAX_TAG_LENGTH = 64
_MAX_BODY = 200_000
_MAX_TASK_TITLE = 200


class ClientOwnedByOther(PermissionError):
    """The ``client_id`` belongs to another agent (answered with 403)."""

    def __init__(self) -> None:
        super().__init__("This client id belongs to another agent; sign in on that desk again.")


class MidGapError(ValueError):
    """The batch does not continue at ``last_mid + 1`` (answered with 409, nothing applied)."""

    def __init__(self, detail: str, last_mid: int) -> None:
        super().__init__(detail)
        self.last_mid = last_mid


class _Refused(ValueError):
    """A mutation that may not apply at all; ``str()`` is the reason for the agent."""


# -- the batch -------------------------------------------------------------------------------


def push(engine: Engine, agent: Agent, request: PushRequest) -> PushReply:
    """Apply ``request`` for ``agent`` in one transaction and return one result per mutation.

    Raises :class:`ClientOwnedByOther` when the client id is another agent's and
    :class:`MidGapError` when the mids leave a gap; in both cases nothing is written.
    """
    with Session(engine, expire_on_commit=False) as session:
        _begin_write(session)
        state = _lock_client(session, request.client_id, agent.id)
        if state.agent_id != agent.id:
            raise ClientOwnedByOther()
        last_mid = int(state.last_mid)
        _check_sequence(request.mutations, last_mid)

        stored = _stored_results(
            session, request.client_id, [m.mid for m in request.mutations if m.mid <= last_mid]
        )
        results: list[MutationResult] = []
        for mutation in request.mutations:
            if mutation.mid <= last_mid:
                results.append(stored.get(mutation.mid) or _forgotten(mutation.mid))
                continue
            result = apply_mutation(session, agent, mutation)
            session.add(
                PushResult(
                    client_id=request.client_id,
                    mid=mutation.mid,
                    result=result.model_dump(mode="json"),
                )
            )
            results.append(result)
            last_mid = mutation.mid

        if last_mid != state.last_mid:
            state.last_mid = last_mid
            state.updated_at = utcnow()
            session.add(state)
            session.execute(
                delete(PushResult).where(
                    PushResult.client_id == request.client_id,  # type: ignore[arg-type]
                    PushResult.mid <= last_mid - KEEP_RESULTS,  # type: ignore[arg-type]
                )
            )
        session.commit()
        return PushReply(results=results, last_mid=last_mid)


def _begin_write(session: Session) -> None:
    # SQLite: take the write lock now. A deferred transaction that read first and writes
    # later fails at once (SQLITE_BUSY_SNAPSHOT) when another push committed in between;
    # BEGIN IMMEDIATE waits for the lock instead (busy_timeout), which serialises pushes.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


def _lock_client(session: Session, client_id: str, agent_id: str) -> ClientState:
    dialect = session.get_bind().dialect.name
    values = {"client_id": client_id, "agent_id": agent_id, "last_mid": 0}
    # Insert-if-missing first, so that there is always a row to lock, even for the first
    # push of a new desk racing against a second one.
    if dialect == "postgresql":
        session.execute(postgresql.insert(ClientState).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(ClientState).values(**values).on_conflict_do_nothing())
    elif session.get(ClientState, client_id) is None:
        session.add(ClientState(**values))
        session.flush()
    state = session.exec(
        select(ClientState)
        .where(ClientState.client_id == client_id)
        .with_for_update()  # PostgreSQL row lock until commit; SQLite ignores it
        .execution_options(populate_existing=True)
    ).one()
    return state


def _check_sequence(batch: list[Mutation], last_mid: int) -> None:
    if not batch:
        return
    for before, after in itertools.pairwise(batch):
        if after.mid != before.mid + 1:
            raise MidGapError(
                f"The mids of a push must rise by one; {after.mid} follows {before.mid}.",
                last_mid,
            )
    first_new = next((m.mid for m in batch if m.mid > last_mid), None)
    if first_new is not None and first_new != last_mid + 1:
        raise MidGapError(
            f"The server holds mids up to {last_mid}, so the next one must be "
            f"{last_mid + 1}, not {first_new}; push the missing mutations first.",
            last_mid,
        )


def _stored_results(session: Session, client_id: str, mids: list[int]) -> dict[int, MutationResult]:
    if not mids:
        return {}
    rows = session.exec(
        select(PushResult).where(
            PushResult.client_id == client_id,
            PushResult.mid.in_(mids),  # type: ignore[attr-defined]
        )
    ).all()
    return {int(r.mid): MutationResult.model_validate(r.result) for r in rows}


def _forgotten(mid: int) -> MutationResult:
    return MutationResult(mid=mid, status="ok", reason=FORGOTTEN_RESULT)


# -- one mutation ----------------------------------------------------------------------------


def apply_mutation(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    """Apply one mutation in the caller's transaction; refusals become ``error`` results."""
    handler = _HANDLERS.get((mutation.entity, mutation.op))
    try:
        if handler is None:
            raise _Refused(_unsupported(mutation))
        return handler(session, agent, mutation)
    except (_Refused, TransitionError) as exc:
        return MutationResult(mid=mutation.mid, status="error", reason=str(exc))


def _unsupported(mutation: Mutation) -> str:
    if mutation.entity == "message" and mutation.op == "update":
        return MESSAGE_IMMUTABLE
    if mutation.entity == "macro_use":
        return MACRO_USE_IMMUTABLE
    if mutation.entity == "sla_config":
        return "SLA policies cannot be deleted; import the ones to use instead."
    if mutation.entity == "survey_answer":
        return SURVEY_ANSWER_SERVER_ONLY
    if mutation.entity in ("case", "contact", "message", "task", "macro", "snippet"):
        return f"A desk cannot {mutation.op} a {mutation.entity}."
    return f"Desks cannot change {mutation.entity} records; ask an administrator."


# Field checks: each takes the wire value and returns the column value or raises _Refused.
_Check = Callable[[Session, str, Any], Any]


def _text(max_length: int, *, required: bool = False) -> _Check:
    def check(_session: Session, name: str, value: Any) -> Any:
        if not isinstance(value, str):
            raise _Refused(f"The field {name} must be text.")
        if len(value) > max_length:
            raise _Refused(f"The field {name} is longer than {max_length} characters.")
        if required and not value.strip():
            raise _Refused(f"The field {name} must not be empty.")
        return value

    return check


def _choice(enum: type[StrEnum]) -> _Check:
    def check(_session: Session, name: str, value: Any) -> Any:
        try:
            return enum(value).value
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise _Refused(f"The field {name} cannot be {value!r}; use one of {allowed}.") from None

    return check


def _reference(model: type[SQLModel], *, required: bool = False) -> _Check:
    def check(session: Session, name: str, value: Any) -> Any:
        if value is None or value == "":
            if required:
                raise _Refused(f"The field {name} must name a {model.__name__.lower()}.")
            return None
        if not isinstance(value, str) or len(value) > 36:
            raise _Refused(f"The field {name} must be the id of a {model.__name__.lower()}.")
        if session.get(model, value) is None:
            raise _Refused(f"The field {name} names no known {model.__name__.lower()}.")
        return value

    return check


def _tags(_session: Session, name: str, value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise _Refused(f"The field {name} must be a list of texts.")
    tags = _unique(t.strip() for t in value if t.strip())
    if len(tags) > _MAX_TAGS:
        raise _Refused(f"The field {name} holds more than {_MAX_TAGS} tags.")
    if any(len(t) > _MAX_TAG_LENGTH for t in tags):
        raise _Refused(f"A tag in {name} is longer than {_MAX_TAG_LENGTH} characters.")
    return tags


def _email(session: Session, name: str, value: Any) -> Any:
    value = _text(320)(session, name, value)
    if value and ("@" not in value or any(c.isspace() for c in value)):
        raise _Refused(f"The field {name} is not an e-mail address.")
    return value


def _language(session: Session, name: str, value: Any) -> Any:
    value = _text(8)(session, name, value)
    if value and not _LANGUAGE.match(value):
        raise _Refused(f"The field {name} must be a language code such as de or en-GB.")
    return value


def _time(_session: Session, name: str, value: Any) -> Any:
    if not isinstance(value, str):
        raise _Refused(f"The field {name} must be an ISO 8601 time.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Refused(f"The field {name} must be an ISO 8601 time.") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def _optional_time(session: Session, name: str, value: Any) -> Any:
    return None if value is None else _time(session, name, value)


_CASE_FIELDS: dict[str, _Check] = {
    "subject": _text(500, required=True),
    "status": _choice(CaseStatus),
    "priority": _choice(Priority),
    "channel": _choice(Channel),
    "queue_id": _reference(Queue),
    "assignee_id": _reference(Agent),
    "contact_id": _reference(Contact),
    "tags": _tags,
}
_CONTACT_FIELDS: dict[str, _Check] = {
    "first_name": _text(200),
    "last_name": _text(200),
    "email": _email,
    "phone": _text(64),
    "language": _language,
    "account_id": _reference(Account),
    "customer_number": _text(32),
}
_MESSAGE_FIELDS: dict[str, _Check] = {
    "case_id": _reference(Case, required=True),
    "kind": _choice(MessageKind),
    "body": _text(_MAX_BODY),
    "author_contact_id": _reference(Contact),
    "author_name": _text(200),
}
_TASK_FIELDS: dict[str, _Check] = {
    "case_id": _reference(Case, required=True),
    "team": _choice(TaskTeam),
    "title": _text(_MAX_TASK_TITLE, required=True),
    "due_at": _optional_time,
    "state": _choice(TaskState),
}
#: What an update of a task may change (its case and team stay).
_TASK_UPDATE_FIELDS = {k: v for k, v in _TASK_FIELDS.items() if k in ("title", "due_at", "state")}
#: Fields a create may carry (the desk sends its whole local row) that the server sets itself.
_SERVER_OWNED = frozenset(
    {
        "id",
        "version",
        "number",
        "updated_at",
        "author_agent_id",
        "created_by_agent_id",
        "owner_agent_id",
        "agent_id",
    }
)


def _validated(
    session: Session,
    entity: str,
    checks: dict[str, _Check],
    fields: dict[str, Any],
    *,
    create: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if create and name in _SERVER_OWNED:
            continue
        if create and name == "created_at":
            if value is not None:
                out[name] = _time(session, name, value)
            continue
        check = checks.get(name)
        if check is None:
            raise _Refused(f"The field {name} cannot be set on a {entity} from a desk.")
        out[name] = check(session, name, value)
    return out


# -- creates ---------------------------------------------------------------------------------


def _create_case(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    values = _validated(session, "case", _CASE_FIELDS, mutation.fields, create=True)
    if "subject" not in values:
        raise _Refused("A new case needs a subject.")
    if values.get("status") == CaseStatus.CLOSED:
        raise _Refused("A new case cannot start closed.")
    existing = session.get(Case, mutation.id)
    if existing is not None:
        return _same_create(mutation, existing, values)
    # The case number is the server's: take the lock writers share before reading the
    # highest number, so two desks creating cases at once never get the same one.
    lock_log(session)
    applied = sorted(values)
    now = utcnow().replace(microsecond=0)
    case = Case(
        id=mutation.id,
        number=_next_case_number(session),
        created_at=values.pop("created_at", now),
        updated_at=now,
        **values,
    )
    mutations.create(session, case, actor_agent_id=agent.id)
    return MutationResult(mid=mutation.mid, status="ok", version=case.version, applied=applied)


def _next_case_number(session: Session) -> str:
    # Longest first, then highest: "CS-100000" sorts after "CS-99999" although it is
    # smaller as text.
    numbers = session.exec(
        select(Case.number)
        .where(Case.number.like("CS-%"))  # type: ignore[attr-defined]
        .order_by(func.length(Case.number).desc(), Case.number.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).first()
    match = _CASE_NUMBER.match(numbers or "")
    highest = int(match.group(1)) if match else 10000
    return f"CS-{highest + 1:05d}"


def _create_contact(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    values = _validated(session, "contact", _CONTACT_FIELDS, mutation.fields, create=True)
    values.pop("created_at", None)  # contacts keep no creation time
    if not str(values.get("customer_number", "")).strip():
        values.pop("customer_number", None)  # none given: the server assigns one below
    existing = session.get(Contact, mutation.id)
    if existing is not None:
        return _same_create(mutation, existing, values)
    applied = sorted(values)
    if "customer_number" not in values:
        # Like case numbers: under the writers' lock, so two desks never get the same one.
        lock_log(session)
        values["customer_number"] = _next_customer_number(session)
    contact = Contact(
        id=mutation.id,
        updated_at=utcnow().replace(microsecond=0),
        **values,
    )
    mutations.create(session, contact, actor_agent_id=agent.id)
    return MutationResult(mid=mutation.mid, status="ok", version=contact.version, applied=applied)


def _next_customer_number(session: Session) -> str:
    """The next free ``K-0000000`` number: one above the highest ``K-<digits>`` held, by
    value (``K-100000`` is above ``K-0099999``)."""
    digits_only = Contact.customer_number.regexp_match(r"^K-[0-9]{1,18}$")  # type: ignore[attr-defined]
    value = cast(func.substr(Contact.customer_number, 3), BigInteger)
    highest = session.exec(select(func.max(value)).where(digits_only)).one()
    return f"K-{int(highest or 0) + 1:07d}"


def _create_message(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    values = _validated(session, "message", _MESSAGE_FIELDS, mutation.fields, create=True)
    if "kind" not in values:
        raise _Refused("A new message needs a kind (public, internal, customer or event).")
    case = session.get(Case, values["case_id"]) if "case_id" in values else None
    if case is None:
        raise _Refused("A new message needs the case_id of its case.")
    kind = MessageKind(values["kind"])
    if kind == MessageKind.CUSTOMER:
        contact_id = values.get("author_contact_id") or case.contact_id
        contact = session.get(Contact, contact_id) if contact_id else None
        values["author_contact_id"] = contact_id
        values.setdefault("author_name", contact.display_name if contact else "Customer")
        values["author_agent_id"] = None
    else:
        # Who wrote it is the signed-in agent, whatever the desk claims.
        values["author_agent_id"] = agent.id
        values["author_contact_id"] = None
        values["author_name"] = agent.name
    existing = session.get(Message, mutation.id)
    if existing is not None:
        return _same_create(mutation, existing, values, compare=("case_id", "kind", "body"))
    if CaseStatus(case.status) == CaseStatus.CLOSED:
        raise _Refused(CLOSED_DETAIL)
    applied = sorted(k for k in mutation.fields if k not in _SERVER_OWNED)
    now = utcnow().replace(microsecond=0)
    message = Message(id=mutation.id, created_at=values.pop("created_at", now), **values)
    mutations.create(session, message, actor_agent_id=agent.id)
    if kind == MessageKind.CUSTOMER:
        before = CaseStatus(case.status)
        after = status_after_customer_reply(before)
        if after != before:
            mutations.update_fields(
                session, Case, case.id, {"status": after.value}, actor_agent_id=agent.id
            )
            _event(
                session,
                agent,
                case.id,
                status_line(before, after),
                at=_reopened_at(session, case.id, message.created_at, now),
            )
    return MutationResult(mid=mutation.mid, status="ok", version=message.version, applied=applied)


def _reopened_at(session: Session, case_id: str, written: datetime, now: datetime) -> datetime:
    """When a customer message reopened its case: when it was written (the timeline and
    the SLA clocks see the reopen before the message), but not before the case's last
    event (the status it reopens from was set then) and not after now."""
    last = session.exec(
        select(func.max(Message.created_at)).where(
            Message.case_id == case_id,
            Message.kind == MessageKind.EVENT.value,
        )
    ).one()
    return min(max(written, last) if last is not None else written, now)


def _create_task(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    values = _validated(session, "task", _TASK_FIELDS, mutation.fields, create=True)
    for name, what in (
        ("case_id", "the case_id of its case"),
        ("team", "a team"),
        ("title", "a title"),
    ):
        if name not in values:
            raise _Refused(f"A new task needs {what}.")
    if values.setdefault("state", TaskState.OPEN.value) != TaskState.OPEN:
        raise _Refused("A new task starts open; mark it done or cancelled afterwards.")
    existing = session.get(Task, mutation.id)
    if existing is not None:
        return _same_create(mutation, existing, values, compare=("case_id", "team", "title"))
    case = session.get(Case, values["case_id"])
    assert case is not None  # _reference checked it
    if CaseStatus(case.status) == CaseStatus.CLOSED:
        raise _Refused(TASK_CLOSED_DETAIL)
    applied = sorted(values)
    now = utcnow().replace(microsecond=0)
    task = Task(
        id=mutation.id,
        created_by_agent_id=agent.id,
        created_at=values.pop("created_at", now),
        updated_at=now,
        **values,
    )
    mutations.create(session, task, actor_agent_id=agent.id)
    due = f" (due {format_due(task.due_at)})" if task.due_at is not None else ""
    _event(session, agent, case.id, f"Task for {_team_label(task.team)} created: {task.title}{due}")
    return MutationResult(mid=mutation.mid, status="ok", version=task.version, applied=applied)


def _same_create(
    mutation: Mutation,
    existing: SQLModel,
    values: dict[str, Any],
    compare: Iterable[str] | None = None,
) -> MutationResult:
    """A create of an id that exists: ``ok`` when it is the same entity again, else error."""
    current = to_wire(existing)
    names = [n for n in (compare or values) if n != "created_at"]
    same = all(_wire(values.get(n)) == current.get(n) for n in names if n in values)
    if not same:
        raise _Refused(
            f"A {mutation.entity} with id {mutation.id} already exists with other content."
        )
    return MutationResult(
        mid=mutation.mid,
        status="ok",
        version=int(current.get("version") or 1),
        applied=sorted(k for k in mutation.fields if k not in _SERVER_OWNED),
    )


# -- updates ---------------------------------------------------------------------------------


@dataclass
class _Merge:
    """The outcome of comparing one update with the row as the server holds it."""

    apply: dict[str, Any] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)
    conflicts: list[FieldConflict] = field(default_factory=list)


def _update_case(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    case = session.get(Case, mutation.id)
    if case is None:
        raise _Refused(f"There is no case with id {mutation.id}.")
    if CaseStatus(case.status) == CaseStatus.CLOSED:
        raise _Refused(CLOSED_DETAIL)
    values = _validated(session, "case", _CASE_FIELDS, mutation.fields, create=False)
    merge = _merge(session, case, mutation, values)
    if "status" in merge.apply:
        check_transition(CaseStatus(case.status), CaseStatus(merge.apply["status"]))
    before = {name: getattr(case, name) for name in _AUDITED_CASE_FIELDS}
    before["tags"] = list(before["tags"] or [])
    result = _apply(session, agent, Case, case, mutation, merge)
    line = _case_audit_line(session, before, case)
    if line:
        _event(session, agent, case.id, line)
    return result


def _update_task(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    task = session.get(Task, mutation.id)
    if task is None:
        raise _Refused(f"There is no task with id {mutation.id}.")
    values = _validated(session, "task", _TASK_UPDATE_FIELDS, mutation.fields, create=False)
    merge = _merge(session, task, mutation, values)
    state_before = TaskState(task.state)
    result = _apply(session, agent, Task, task, mutation, merge)
    state_after = TaskState(task.state)
    if state_after != state_before:
        word = "reopened" if state_after == TaskState.OPEN else state_after.value
        _event(
            session, agent, task.case_id, f"Task for {_team_label(task.team)} {word}: {task.title}"
        )
    return result


def _update_contact(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    contact = session.get(Contact, mutation.id)
    if contact is None:
        raise _Refused(f"There is no contact with id {mutation.id}.")
    values = _validated(session, "contact", _CONTACT_FIELDS, mutation.fields, create=False)
    merge = _merge(session, contact, mutation, values)
    return _apply(session, agent, Contact, contact, mutation, merge)


_MISSING = object()


# -- the audit trail -------------------------------------------------------------------------

#: Case fields whose changes the timeline records, in the order its event line names them.
_AUDITED_CASE_FIELDS = ("status", "priority", "queue_id", "assignee_id", "tags")


_last_event_stamp = 0
_event_stamp_lock = threading.Lock()


def _event_id() -> str:
    """A UUID in the version 7 layout (milliseconds, then a counter) that sorts after every
    one this process made before. Timelines order by (created_at, id) and times are whole
    seconds: events written in the same second (one pushed batch of offline edits) then
    still read in the order they happened."""
    global _last_event_stamp
    with _event_stamp_lock:
        _last_event_stamp = max(time.time_ns() // 1_000_000 << 12, _last_event_stamp + 1)
        stamp = _last_event_stamp
    ms, counter = stamp >> 12, stamp & 0xFFF
    value = (ms << 80) | (7 << 76) | (counter << 64) | (0b10 << 62) | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def _event(
    session: Session, agent: Agent, case_id: str, body: str, *, at: datetime | None = None
) -> Message:
    """One EVENT message on the case, by the acting agent, through the one write path; at
    ``at`` (whole seconds), else now."""
    message = Message(
        id=_event_id(),
        case_id=case_id,
        kind=MessageKind.EVENT,
        author_agent_id=agent.id,
        author_name=agent.name,
        body=body,
        created_at=(at or utcnow()).replace(microsecond=0),
    )
    return mutations.create(session, message, actor_agent_id=agent.id)


def _case_audit_line(session: Session, before: dict[str, Any], case: Case) -> str:
    """One line for what changed (``Status: open → pending · Tags: +vip −refund``), or "".

    Removed tags carry a minus sign (U+2212), which reads better than a hyphen beside a tag.
    """  # noqa: RUF002
    parts: list[str] = []
    old_status, new_status = CaseStatus(before["status"]), CaseStatus(case.status)
    if old_status != new_status:
        parts.append(status_line(old_status, new_status))
    if _wire(before["priority"]) != _wire(case.priority):
        parts.append(f"Priority: {_wire(before['priority'])} → {_wire(case.priority)}")
    if before["queue_id"] != case.queue_id:
        old, new = _name(session, Queue, before["queue_id"]), _name(session, Queue, case.queue_id)
        parts.append(f"Queue: {old} → {new}")
    if before["assignee_id"] != case.assignee_id:
        old = _name(session, Agent, before["assignee_id"])
        parts.append(f"Assignee: {old} → {_name(session, Agent, case.assignee_id)}")
    tags = list(case.tags or [])
    added = [f"+{t}" for t in tags if t not in before["tags"]]
    removed = [f"\u2212{t}" for t in before["tags"] if t not in tags]
    if added or removed:
        parts.append("Tags: " + " ".join([*added, *removed]))
    return " · ".join(parts)


def _name(session: Session, model: type[Queue] | type[Agent], row_id: str | None) -> str:
    if row_id is None:
        return "(nobody)" if model is Agent else "(none)"
    row = session.get(model, row_id)
    return row.name if row is not None else f"(unknown {model.__name__.lower()})"


def _team_label(team: str) -> str:
    try:
        return TaskTeam(team).label
    except ValueError:
        return team


def _merge(session: Session, row: SQLModel, mutation: Mutation, values: dict[str, Any]) -> _Merge:
    current = to_wire(row)
    version = int(current.get("version") or 0)
    unchanged_since_base = mutation.base_version is not None and version <= mutation.base_version
    merge = _Merge()
    for name, mine in values.items():
        theirs = current.get(name)
        base = mutation.base.get(name, _MISSING)
        if name == "tags":
            base_tags = theirs if base is _MISSING else _tags(session, f"base.{name}", base)
            merged = _merge_tags(theirs or [], base_tags or [], mine)
            merge.apply[name] = merged
            merge.applied.append(name)
            continue
        if _wire(mine) == theirs:
            merge.applied.append(name)  # already so: nothing to write, nothing to fight over
            continue
        nobody_else = unchanged_since_base if base is _MISSING else _wire(base) == theirs
        if nobody_else:
            merge.apply[name] = mine
            merge.applied.append(name)
            continue
        by, at = _last_change(session, row, name)
        merge.conflicts.append(
            FieldConflict(field=name, mine=_wire(mine), theirs=theirs, by=by, at=at)
        )
    return merge


def _merge_tags(server: list[str], base: list[str], mine: list[str]) -> list[str]:
    """Three-way set merge: (server - (base - mine)) | (mine - base), in a stable order."""
    removed = set(base) - set(mine)
    added = [t for t in mine if t not in set(base)]
    return _unique([*(t for t in server if t not in removed), *added])


def _apply(
    session: Session,
    agent: Agent,
    model: type[SQLModel],
    row: SQLModel,
    mutation: Mutation,
    merge: _Merge,
) -> MutationResult:
    if merge.apply:
        row = mutations.update_fields(
            session, model, mutation.id, merge.apply, actor_agent_id=agent.id
        )
    return MutationResult(
        mid=mutation.mid,
        status="conflict" if merge.conflicts else "ok",
        version=int(row.version),  # type: ignore[attr-defined]
        applied=sorted(merge.applied),
        conflicts=merge.conflicts,
    )


def _last_change(session: Session, row: SQLModel, name: str) -> tuple[str | None, str | None]:
    """Who changed ``name`` of ``row`` last, and when, from the change log."""
    entries = session.exec(
        select(ChangeLog)
        .where(
            ChangeLog.entity == row.entity,  # type: ignore[attr-defined]
            ChangeLog.entity_id == row.id,  # type: ignore[attr-defined]
        )
        .order_by(ChangeLog.seq.desc())  # type: ignore[union-attr]
    )
    for entry in entries:
        if name in (entry.fields or {}):
            actor = session.get(Agent, entry.actor_agent_id) if entry.actor_agent_id else None
            return (actor.name if actor else None), entry.changed_at.isoformat(timespec="seconds")
    return None, None


def _wire(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.value if isinstance(value, StrEnum) else value


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- macros, snippets and macro uses ---------------------------------------------------------


def _scope(_session: Session, name: str, value: Any) -> Any:
    if value not in snippet_rules.SCOPES:
        raise _Refused(f"The field {name} is personal or shared, not {str(value)[:40]!r}.")
    return value


def _macro_actions(_session: Session, name: str, value: Any) -> Any:
    if not isinstance(value, list):
        raise _Refused(f"The field {name} must be a list of actions.")
    if len(value) > macro_rules.MAX_ACTIONS:
        raise _Refused(f"A macro has at most {macro_rules.MAX_ACTIONS} actions.")
    out = []
    for n, raw in enumerate(value, 1):
        try:
            action = macro_rules.action_from_dict(raw, n=n)
        except ValueError as err:
            raise _Refused(str(err)) from None
        out.append(macro_rules.action_to_dict(action))
    return out


def _shortcut(_session: Session, _name: str, value: Any) -> Any:
    if not isinstance(value, str):
        raise _Refused("The field shortcut must be text.")
    try:
        return snippet_rules.normalize_shortcut(value)
    except ValueError as err:
        raise _Refused(str(err)) from None


_MACRO_FIELDS: dict[str, _Check] = {
    "name": _text(macro_rules.MAX_NAME, required=True),
    "description": _text(macro_rules.MAX_DESCRIPTION),
    "scope": _scope,
    "actions": _macro_actions,
}
_SNIPPET_FIELDS: dict[str, _Check] = {
    "shortcut": _shortcut,
    "title": _text(snippet_rules.MAX_TITLE, required=True),
    "body": _text(macro_rules.MAX_TEMPLATE_CHARS, required=True),
    "scope": _scope,
}
_MACRO_USE_FIELDS: dict[str, _Check] = {
    "macro_id": _text(36, required=True),
    "case_id": _reference(Case, required=True),
    "queue": _text(64),
    "tags": _tags,
    "subject": _text(500),
}


def _may_change(agent: Agent, row: MacroRow | SnippetRow) -> None:
    """Shared: leads and admins; personal: its owner (``domain.macros.change_refusal``)."""
    reason = macro_rules.change_refusal(
        row.entity,  # type: ignore[attr-defined]
        row.scope,
        row.owner_agent_id,
        agent.id,
        _wire(agent.role),
    )
    if reason is not None:
        raise _Refused(reason)


def _check_library_row(entity: str, values: dict[str, Any]) -> None:
    """The domain's rules for the whole macro or snippet as it would be stored."""
    owner = values.get("owner_agent_id")
    if entity == "macro":
        macro = macro_rules.Macro(
            id="",
            name=values.get("name", ""),
            actions=tuple(macro_rules.action_from_dict(a) for a in values.get("actions", [])),
            scope=values.get("scope", "personal"),
            owner_id=owner,
            description=values.get("description", ""),
        )
        problems = macro_rules.check_macro(macro)
    else:
        snippet = snippet_rules.Snippet(
            id="",
            shortcut=values.get("shortcut", ""),
            title=values.get("title", ""),
            body=values.get("body", ""),
            scope=values.get("scope", "personal"),
            owner_id=owner,
        )
        problems = snippet_rules.check_snippet(snippet)
    if problems:
        raise _Refused(problems[0])


def _library_model(entity: str) -> tuple[type[MacroRow] | type[SnippetRow], dict[str, _Check]]:
    if entity == "macro":
        return MacroRow, _MACRO_FIELDS
    return SnippetRow, _SNIPPET_FIELDS


def _create_library_row(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    model, checks = _library_model(mutation.entity)
    values = _validated(session, mutation.entity, checks, mutation.fields, create=True)
    values.pop("created_at", None)  # macros and snippets keep no creation time
    needed = ("name", "actions") if model is MacroRow else ("shortcut", "title", "body")
    missing = [name for name in needed if name not in values]
    if missing:
        raise _Refused(f"A new {mutation.entity} needs its {' and '.join(missing)}.")
    values.setdefault("scope", "personal")
    if model is MacroRow:
        values.setdefault("description", "")
    # Whoever the desk says: a personal one is the acting agent's.
    values["owner_agent_id"] = agent.id if values["scope"] == "personal" else None
    now = utcnow().replace(microsecond=0)
    row = model(id=mutation.id, updated_at=now, **values)
    _may_change(agent, row)
    _check_library_row(mutation.entity, values)
    existing = session.get(model, mutation.id)
    if existing is not None:
        return _same_create(mutation, existing, values)
    mutations.create(session, row, actor_agent_id=agent.id)
    return MutationResult(
        mid=mutation.mid, status="ok", version=row.version, applied=sorted(values)
    )


def _update_library_row(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    model, checks = _library_model(mutation.entity)
    row = session.get(model, mutation.id)
    if row is None:
        raise _Refused(f"There is no {mutation.entity} with id {mutation.id}; it was deleted.")
    _may_change(agent, row)
    fields = dict(mutation.fields)
    if "scope" in fields and fields.pop("scope") != row.scope:
        raise _Refused(
            f"A {mutation.entity} stays {row.scope}; duplicate it to make a "
            f"{'personal' if row.scope == 'shared' else 'shared'} one."
        )
    updatable = {k: v for k, v in checks.items() if k != "scope"}
    values = _validated(session, mutation.entity, updatable, fields, create=False)
    merge = _merge(session, row, mutation, values)
    _check_library_row(mutation.entity, {**to_wire(row), **merge.apply})
    return _apply(session, agent, model, row, mutation, merge)


def _delete_library_row(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    model, _checks = _library_model(mutation.entity)
    row = session.get(model, mutation.id)
    if row is None:  # already gone: deleting it again changes nothing
        return MutationResult(mid=mutation.mid, status="ok")
    _may_change(agent, row)
    mutations.delete(session, model, mutation.id, actor_agent_id=agent.id)
    return MutationResult(mid=mutation.mid, status="ok")


def _create_macro_use(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    values = _validated(session, "macro_use", _MACRO_USE_FIELDS, mutation.fields, create=True)
    for name in ("macro_id", "case_id"):
        if name not in values:
            raise _Refused(f"A macro use needs the {name} of its {name.removesuffix('_id')}.")
    macro = session.get(MacroRow, values["macro_id"])
    # A macro deleted since it was applied still counts; another agent's personal one never.
    if macro is not None and macro.scope == "personal" and macro.owner_agent_id != agent.id:
        raise _Refused("Only its owner can use a personal macro.")
    case = session.get(Case, values["case_id"])
    assert case is not None  # _reference checked it
    if "queue" not in values:
        queue = session.get(Queue, case.queue_id) if case.queue_id else None
        values["queue"] = queue.slug if queue is not None else ""
    values.setdefault("tags", list(case.tags or []))
    values.setdefault("subject", case.subject)
    existing = session.get(MacroUse, mutation.id)
    if existing is not None:
        return _same_create(mutation, existing, values, compare=("macro_id", "case_id"))
    applied = sorted(values)
    now = utcnow().replace(microsecond=0)
    use = MacroUse(
        id=mutation.id, agent_id=agent.id, created_at=values.pop("created_at", now), **values
    )
    mutations.create(session, use, actor_agent_id=agent.id)
    return MutationResult(mid=mutation.mid, status="ok", version=use.version, applied=applied)


# -- the SLA configuration ---------------------------------------------------------------------


def _sla_toml(_session: Session, name: str, value: Any) -> Any:
    """A TOML text the SLA engine takes: the domain's one-sentence reason otherwise."""
    if not isinstance(value, str):
        raise _Refused(f"The field {name} must be text.")
    if len(value) > MAX_SLA_FILE:
        raise _Refused(f"An SLA file is at most {MAX_SLA_FILE} characters long.")
    try:
        policies_from_toml(value)
    except ValueError as err:
        raise _Refused(str(err)) from None
    return value


_SLA_CONFIG_FIELDS: dict[str, _Check] = {
    "name": _text(64, required=True),
    "toml": _sla_toml,
}


def _may_change_sla(agent: Agent) -> None:
    reason = sla_change_refusal(_wire(agent.role))
    if reason is not None:
        raise _Refused(reason)


def _create_sla_config(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    _may_change_sla(agent)
    values = _validated(session, "sla_config", _SLA_CONFIG_FIELDS, mutation.fields, create=True)
    values.pop("created_at", None)  # the configuration keeps no creation time
    if "toml" not in values:
        raise _Refused("New SLA policies need their TOML text.")
    values.setdefault("name", SLA_CONFIG_NAME)
    existing = session.get(SlaConfig, mutation.id)
    if existing is None:
        existing = session.exec(select(SlaConfig).where(SlaConfig.name == values["name"])).first()
    if existing is not None:
        if existing.id == mutation.id and existing.toml == values["toml"]:
            return _same_create(mutation, existing, values)
        raise _Refused(
            "Another lead set the SLA policies meanwhile; sync and import your file again."
        )
    row = SlaConfig(id=mutation.id, updated_at=utcnow().replace(microsecond=0), **values)
    mutations.create(session, row, actor_agent_id=agent.id)
    return MutationResult(
        mid=mutation.mid, status="ok", version=row.version, applied=sorted(values)
    )


def _update_sla_config(session: Session, agent: Agent, mutation: Mutation) -> MutationResult:
    _may_change_sla(agent)
    row = session.get(SlaConfig, mutation.id)
    if row is None:
        raise _Refused(f"There are no SLA policies with id {mutation.id}; sync and try again.")
    fields = dict(mutation.fields)
    if "name" in fields and fields.pop("name") != row.name:
        raise _Refused("SLA policies keep their name.")
    checks = {"toml": _SLA_CONFIG_FIELDS["toml"]}
    values = _validated(session, "sla_config", checks, fields, create=False)
    merge = _merge(session, row, mutation, values)
    return _apply(session, agent, SlaConfig, row, mutation, merge)


_Handler = Callable[[Session, Agent, Mutation], MutationResult]
_HANDLERS: dict[tuple[str, str], _Handler] = {
    ("case", "create"): _create_case,
    ("case", "update"): _update_case,
    ("contact", "create"): _create_contact,
    ("contact", "update"): _update_contact,
    ("message", "create"): _create_message,
    ("task", "create"): _create_task,
    ("task", "update"): _update_task,
    ("macro", "create"): _create_library_row,
    ("macro", "update"): _update_library_row,
    ("macro", "delete"): _delete_library_row,
    ("snippet", "create"): _create_library_row,
    ("snippet", "update"): _update_library_row,
    ("snippet", "delete"): _delete_library_row,
    ("macro_use", "create"): _create_macro_use,
    ("sla_config", "create"): _create_sla_config,
    ("sla_config", "update"): _update_sla_config,
}

# Knowledge articles: their handlers live in server/knowledge_push.py and use the checks
# above, so it is imported here, at the end; it adds them to _HANDLERS itself.
from csm_tui.server import knowledge_push as _knowledge_push  # noqa: E402, F401
