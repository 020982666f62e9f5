"""Macros: several steps on one key, previewed before they apply.

A :class:`Macro` is a named list of actions: set status, priority, assignee or queue, add
or remove tags, write a public reply or an internal note from a template, create a task for
another team. :func:`plan` works out what a macro would do to one case (the preview: every
field change as (old, new), the tags that really change, the rendered text, the tasks, and
every problem as a sentence); :func:`plan_bulk` does it for a queue selection (how many
cases, which are skipped and why, one sample). Applying a plan is the desk's business:
ordinary commands, hence ordinary outbox mutations, in this order:

1. ``update_case`` with the new priority, assignee and queue (a handle and a slug here: the
   desk maps them to ids) and the status when there is no message;
2. ``add_tags`` / ``remove_tags`` with :attr:`MacroPlan.tags_add` / ``tags_remove``;
3. ``reply(kind, text, status=...)`` with the (perhaps edited) message text and the new
   status, so the status and the message go together (a public reply opens a new case,
   which the plan shows as a status change);
4. ``create_task`` for each task.

A plan with problems must not be applied (:attr:`MacroPlan.ok`).

Also here: :func:`macros_from_toml` / :func:`macros_to_toml` for ``csm macros export``
and ``import`` (macros and snippets in one TOML file), and :class:`Suggester`, which learns
which macros an agent applies to which kind of case and ranks them for the next one.

Pure: no I/O; the clock is a parameter.
"""

from __future__ import annotations

import math
import re
import unicodedata
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple

from csm_tui.domain.due import DueError, parse_due
from csm_tui.domain.enums import AgentRole, CaseStatus, MessageKind, Priority, TaskTeam
from csm_tui.domain.snippets import SCOPES, Scope, Snippet, check_snippet, normalize_shortcut
from csm_tui.domain.status import TransitionError, check_transition
from csm_tui.domain.templates import MAX_TEMPLATE_CHARS, MergeContext, Rendered, check, render
from csm_tui.domain.text import clean_line

MAX_NAME = 100
MAX_DESCRIPTION = 500
MAX_ACTIONS = 20
MAX_TAG = 64
#: The longest task title (the desk's and the server's limit).
MAX_TASK_TITLE = 200
MAX_MACROS = 1_000
MAX_SNIPPETS = 5_000
MAX_TOML_CHARS = 2_000_000
#: ``set_assignee`` value for "the agent who applies the macro".
ME = "me"

_HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


# -- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetStatus:
    action: ClassVar[str] = "set_status"
    status: str


@dataclass(frozen=True)
class SetPriority:
    action: ClassVar[str] = "set_priority"
    priority: str


@dataclass(frozen=True)
class SetAssignee:
    """``assignee`` is an agent's handle, ``"me"`` (who applies it) or None (unassign)."""

    action: ClassVar[str] = "set_assignee"
    assignee: str | None


@dataclass(frozen=True)
class SetQueue:
    """``queue`` is a queue's slug."""

    action: ClassVar[str] = "set_queue"
    queue: str


@dataclass(frozen=True)
class AddTags:
    action: ClassVar[str] = "add_tags"
    tags: tuple[str, ...]


@dataclass(frozen=True)
class RemoveTags:
    action: ClassVar[str] = "remove_tags"
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Reply:
    """A public reply (``kind="public"``) or an internal note (``"internal"``) whose text
    is a template."""

    action: ClassVar[str] = "reply"
    kind: str
    template: str


@dataclass(frozen=True)
class CreateTask:
    """A task for another team; ``title`` is a template, ``due`` a span from when the
    macro is applied (``+2d``, ``+4h``, ``+1w``) or empty."""

    action: ClassVar[str] = "create_task"
    team: str
    title: str
    due: str = ""


MacroAction = (
    SetStatus | SetPriority | SetAssignee | SetQueue | AddTags | RemoveTags | Reply | CreateTask
)
ACTIONS: dict[str, type[Any]] = {
    cls.action: cls
    for cls in (
        SetStatus,
        SetPriority,
        SetAssignee,
        SetQueue,
        AddTags,
        RemoveTags,
        Reply,
        CreateTask,
    )
}
_FIELD_ACTIONS = {
    SetStatus: "status",
    SetPriority: "priority",
    SetAssignee: "assignee",
    SetQueue: "queue",
}


@dataclass(frozen=True)
class Macro:
    id: str
    name: str
    actions: tuple[MacroAction, ...]
    scope: Scope = "personal"
    #: The agent a personal macro belongs to (an agent id); None for shared ones.
    owner_id: str | None = None
    description: str = ""


def visible(macros: Iterable[Macro], agent_id: str | None) -> list[Macro]:
    """The shared macros and the agent's own personal ones."""
    return [m for m in macros if m.scope == "shared" or (agent_id and m.owner_id == agent_id)]


def _tag(tag: str) -> str:
    return " ".join(tag.split()).lstrip("#")


def _enum_problem(value: object, enum: type[Any], what: str) -> str | None:
    if value in enum.__members__.values():
        return None
    allowed = ", ".join(m.value for m in enum)
    return f"{str(value)[:40]!r} is not a {what}; use one of {allowed}."


def check_action(action: MacroAction) -> list[str]:
    """What is wrong with one action, without a case (empty: fine)."""
    if isinstance(action, SetStatus):
        return [p for p in [_enum_problem(action.status, CaseStatus, "status")] if p]
    if isinstance(action, SetPriority):
        return [p for p in [_enum_problem(action.priority, Priority, "priority")] if p]
    if isinstance(action, SetAssignee):
        a = action.assignee
        if a is None or a == ME or (isinstance(a, str) and _HANDLE.fullmatch(a)):
            return []
        return [f"Assign to an agent's handle, to {ME!r} or to nobody; {str(a)[:40]!r} is none."]
    if isinstance(action, SetQueue):
        if isinstance(action.queue, str) and _SLUG.fullmatch(action.queue):
            return []
        return [
            f"A queue is named by its slug, such as billing; {str(action.queue)[:40]!r} is not."
        ]
    if isinstance(action, AddTags | RemoveTags):
        tags = action.tags
        if isinstance(tags, str) or not tags or not all(isinstance(t, str) for t in tags):
            return ["Tags to add or remove are a list of words."]
        if not all(_tag(t) for t in tags):
            return ["A tag cannot be empty."]
        if any(len(_tag(t)) > MAX_TAG for t in tags):
            return [f"A tag is at most {MAX_TAG} characters long."]
        return []
    if isinstance(action, Reply):
        problems = []
        if action.kind not in (MessageKind.PUBLIC, MessageKind.INTERNAL):
            problems.append(
                f"A macro writes a public reply or an internal note, not {str(action.kind)[:40]!r}."
            )
        problems += _template_problems(action.template, "The reply")
        return problems
    if isinstance(action, CreateTask):
        problems = [p for p in [_enum_problem(action.team, TaskTeam, "team")] if p]
        problems += _template_problems(action.title, "The task title")
        if action.due:
            problems += _due_problems(action.due)
        return problems
    return [f"{type(action).__name__} is not a macro action."]


def _template_problems(template: object, what: str) -> list[str]:
    if not isinstance(template, str) or not template.strip():
        return [f"{what} needs some text."]
    if len(template) > MAX_TEMPLATE_CHARS:
        return [f"{what} is at most {MAX_TEMPLATE_CHARS:,} characters long."]
    return check(template)


def _due_problems(due: str) -> list[str]:
    # A macro is applied on many days, so a fixed date would soon be past: spans only.
    if not isinstance(due, str) or not due.strip().startswith("+"):
        return ["A macro's task is due a span after it is applied, such as +2d or +4h."]
    try:
        parse_due(due, datetime(2000, 1, 1))
    except DueError as err:
        return [str(err)]
    return []


def check_macro(macro: Macro) -> list[str]:
    """What is wrong with a macro, without a case, as sentences (empty: fine)."""
    problems: list[str] = []
    if not isinstance(macro.name, str) or not macro.name.strip():
        problems.append("A macro needs a name.")
    elif len(macro.name) > MAX_NAME:
        problems.append(f"A macro name is at most {MAX_NAME} characters long.")
    if not isinstance(macro.description, str) or len(macro.description) > MAX_DESCRIPTION:
        problems.append(f"A macro description is text of at most {MAX_DESCRIPTION} characters.")
    if macro.scope not in SCOPES:
        problems.append(f"A macro is personal or shared, not {str(macro.scope)[:40]!r}.")
    elif macro.scope == "personal" and not macro.owner_id:
        problems.append("A personal macro needs the agent it belongs to.")
    if not macro.actions:
        problems.append("A macro needs at least one action.")
    elif len(macro.actions) > MAX_ACTIONS:
        problems.append(f"A macro has at most {MAX_ACTIONS} actions.")
    seen: set[str] = set()
    added: set[str] = set()
    removed: set[str] = set()
    for action in macro.actions:
        problems += check_action(action)
        name = _FIELD_ACTIONS.get(type(action)) or ("message" if isinstance(action, Reply) else "")
        if name in seen:
            problems.append(
                "A macro writes at most one reply or note."
                if name == "message"
                else f"A macro sets the {name} once."
            )
        if name:
            seen.add(name)
        if isinstance(action, AddTags) and not isinstance(action.tags, str):
            added |= {_tag(t).casefold() for t in action.tags if isinstance(t, str)}
        if isinstance(action, RemoveTags) and not isinstance(action.tags, str):
            removed |= {_tag(t).casefold() for t in action.tags if isinstance(t, str)}
    both = sorted(added & removed)
    if both:
        problems.append(f"A macro cannot both add and remove the tag {both[0]}.")
    return list(dict.fromkeys(problems))


# -- the preview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """What a plan needs to know of a case: plain values. ``assignee`` is a handle and
    ``queue`` a slug (None: none)."""

    status: str
    priority: str
    assignee: str | None = None
    queue: str | None = None
    tags: tuple[str, ...] = ()
    id: str = ""


class PlannedMessage(NamedTuple):
    kind: str
    rendered: Rendered


@dataclass(frozen=True)
class PlannedTask:
    team: str
    #: The title as it will be saved (one line).
    title: str
    due_at: datetime | None
    rendered: Rendered


@dataclass(frozen=True)
class MacroPlan:
    """What applying a macro to one case would do. ``field_changes`` maps ``status``,
    ``priority``, ``assignee`` (handles) and ``queue`` (slugs) to (old, new) for the fields
    that really change; tags likewise only list real changes."""

    macro_id: str
    macro_name: str
    case_id: str
    field_changes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    tags_add: tuple[str, ...] = ()
    tags_remove: tuple[str, ...] = ()
    message: PlannedMessage | None = None
    tasks: tuple[PlannedTask, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes_anything(self) -> bool:
        return bool(
            self.field_changes or self.tags_add or self.tags_remove or self.message or self.tasks
        )

    def new_values(self) -> dict[str, str | None]:
        """The new value of each changing field."""
        return {name: new for name, (_old, new) in self.field_changes.items()}

    def lines(self) -> list[str]:
        """The preview as short lines: ``status: open -> solved``, ``tags: +refund``, ..."""
        out = [f"{n}: {_show(old)} -> {_show(new)}" for n, (old, new) in self.field_changes.items()]
        if self.tags_add or self.tags_remove:
            out.append(
                "tags: "
                + " ".join(
                    [*(f"+{t}" for t in self.tags_add), *(f"-{t}" for t in self.tags_remove)]
                )
            )
        if self.message is not None:
            what = "public reply" if self.message.kind == MessageKind.PUBLIC else "internal note"
            out.append(f"{what}: {len(self.message.rendered.text):,} characters")
        for task in self.tasks:
            due = f", due {task.due_at:%Y-%m-%d %H:%M}" if task.due_at else ""
            out.append(f"task for {TaskTeam(task.team).label}: {task.title}{due}")
        return out


def _show(value: str | None) -> str:
    return "none" if value is None else str(value).replace("_", " ")


def _closed_sentence() -> str:
    try:
        check_transition(CaseStatus.CLOSED, CaseStatus.OPEN)
    except TransitionError as err:
        return str(err)
    return "A closed case takes no more updates."  # pragma: no cover


def plan(
    macro: Macro,
    case: CaseFacts,
    ctx: MergeContext,
    *,
    me: str | None = None,
    agents: Collection[str] | None = None,
    queues: Collection[str] | None = None,
    now: datetime | None = None,
) -> MacroPlan:
    """The preview of ``macro`` on one case. ``me`` is the applying agent's handle (for
    ``set_assignee "me"``); ``agents`` / ``queues``, when given, are the known handles and
    slugs; ``now`` (naive UTC, default the current time) dates the tasks. Never raises for
    a bad macro or value: everything wrong is in ``problems``."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    problems: list[str] = list(check_macro(macro))
    changes: dict[str, tuple[str | None, str | None]] = {}
    current = {
        "status": case.status,
        "priority": case.priority,
        "assignee": case.assignee,
        "queue": case.queue,
    }
    targets: dict[str, str | None] = {}
    add: list[str] = []
    remove: list[str] = []
    message: PlannedMessage | None = None
    tasks: list[PlannedTask] = []
    for action in macro.actions:
        if check_action(action):
            continue  # already reported by check_macro
        if isinstance(action, SetStatus):
            targets["status"] = action.status
        elif isinstance(action, SetPriority):
            targets["priority"] = action.priority
        elif isinstance(action, SetAssignee):
            handle = action.assignee
            if handle == ME:
                handle = me
                if me is None:
                    problems.append("Sync once so the desk knows who you are.")
                    continue
            if handle is not None and agents is not None and handle not in agents:
                problems.append(f"No agent has the handle {handle!r}.")
                continue
            targets["assignee"] = handle
        elif isinstance(action, SetQueue):
            if queues is not None and action.queue not in queues:
                problems.append(f"There is no queue {action.queue!r}.")
                continue
            targets["queue"] = action.queue
        elif isinstance(action, AddTags):
            add += [_tag(t) for t in action.tags]
        elif isinstance(action, RemoveTags):
            remove += [_tag(t) for t in action.tags]
        elif isinstance(action, Reply):
            rendered = render(action.template, ctx)
            problems += rendered.problems
            if rendered.ok and not rendered.text.strip():
                problems.append("The reply would be empty for this case; write some text.")
            message = PlannedMessage(str(action.kind), rendered)
        elif isinstance(action, CreateTask):
            tasks.append(_plan_task(action, ctx, now, problems))
    answers_new = (
        message is not None
        and message.kind == MessageKind.PUBLIC
        and case.status == CaseStatus.NEW
        and "status" not in targets
    )
    if answers_new:
        targets["status"] = CaseStatus.OPEN.value  # the desk opens a new case it answers
    if "status" in targets:
        try:
            check_transition(CaseStatus(case.status), CaseStatus(str(targets["status"])))
        except TransitionError as err:
            problems.append(str(err))
        except ValueError:
            problems.append(f"The case's status {case.status!r} is not one the desk knows.")
    for name, new in targets.items():
        if current[name] != new:
            changes[name] = (current[name], new)
    have = {t.casefold() for t in case.tags}
    new_tags: list[str] = []
    for tag in add:
        if tag.casefold() not in have:
            new_tags.append(tag)
            have.add(tag.casefold())
    tags_add = tuple(new_tags)
    drop = {t.casefold() for t in remove}
    tags_remove = tuple(t for t in case.tags if t.casefold() in drop)
    if case.status == CaseStatus.CLOSED and (
        changes or tags_add or tags_remove or message or tasks
    ):
        problems.insert(0, _closed_sentence())
    return MacroPlan(
        macro_id=macro.id,
        macro_name=macro.name,
        case_id=case.id,
        field_changes=changes,
        tags_add=tags_add,
        tags_remove=tags_remove,
        message=message,
        tasks=tuple(tasks),
        problems=tuple(dict.fromkeys(problems)),
    )


def _plan_task(
    action: CreateTask, ctx: MergeContext, now: datetime, problems: list[str]
) -> PlannedTask:
    rendered = render(action.title, ctx)
    problems += rendered.problems
    title = clean_line(rendered.text)
    if rendered.ok and not title:
        problems.append("The task title would be empty for this case; write what to do.")
    elif len(title) > MAX_TASK_TITLE:
        problems.append(f"A task title is at most {MAX_TASK_TITLE} characters long.")
    due_at = None
    if action.due:
        try:
            due_at = parse_due(action.due, now)
        except DueError as err:
            problems.append(str(err))
    return PlannedTask(str(action.team), title, due_at, rendered)


@dataclass(frozen=True)
class BulkPlan:
    """A macro's preview on a queue selection: one plan per case."""

    macro_id: str
    macro_name: str
    plans: tuple[MacroPlan, ...]

    @property
    def count(self) -> int:
        return len(self.plans)

    @property
    def ready(self) -> list[MacroPlan]:
        """The plans that apply and change something."""
        return [p for p in self.plans if p.ok and p.changes_anything]

    @property
    def skipped(self) -> list[tuple[str, str]]:
        """(case id, first problem) of each case the macro cannot apply to."""
        return [(p.case_id, p.problems[0]) for p in self.plans if not p.ok]

    @property
    def unchanged(self) -> list[str]:
        return [p.case_id for p in self.plans if p.ok and not p.changes_anything]

    @property
    def sample(self) -> MacroPlan | None:
        """One case to show in full: the first that applies, else the first."""
        ready = self.ready
        return ready[0] if ready else (self.plans[0] if self.plans else None)

    def summary(self) -> str:
        """One sentence: how many cases change, and how many are left and why."""
        n, ready = self.count, len(self.ready)
        text = f"{self.macro_name} changes {ready} of {_plural(n, 'case')}"
        skipped, unchanged = len(self.skipped), len(self.unchanged)
        rest = []
        if skipped:
            rest.append(f"{skipped} cannot take it")
        if unchanged:
            rest.append(f"{unchanged} already match")
        return text + (f" ({', '.join(rest)})." if rest else ".")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def plan_bulk(
    macro: Macro,
    cases: Iterable[tuple[CaseFacts, MergeContext]],
    *,
    me: str | None = None,
    agents: Collection[str] | None = None,
    queues: Collection[str] | None = None,
    now: datetime | None = None,
) -> BulkPlan:
    """:func:`plan` for each (case, merge values) of a selection, at one ``now``."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    plans = tuple(
        plan(macro, case, ctx, me=me, agents=agents, queues=queues, now=now) for case, ctx in cases
    )
    return BulkPlan(macro.id, macro.name, plans)


# -- export and import ---------------------------------------------------------------------


class MacroLibrary(NamedTuple):
    macros: tuple[Macro, ...]
    snippets: tuple[Snippet, ...]


_MACRO_KEYS = ("id", "name", "description", "scope", "owner", "action")
_SNIPPET_KEYS = ("id", "shortcut", "title", "body", "scope", "owner")
_NONE = "none"


def macros_to_toml(macros: Iterable[Macro], snippets: Iterable[Snippet] = ()) -> str:
    """The TOML text ``csm macros export`` writes (``version = 1``, ``[[macro]]`` with
    ``[[macro.action]]`` tables, ``[[snippet]]``); :func:`macros_from_toml` reads it back."""
    import tomlkit

    doc = tomlkit.document()
    doc.add("version", 1)
    macro_tables = tomlkit.aot()
    for macro in macros:
        table = tomlkit.table()
        table.add("id", macro.id)
        table.add("name", macro.name)
        if macro.description:
            table.add("description", _toml_string(macro.description))
        table.add("scope", macro.scope)
        if macro.owner_id:
            table.add("owner", macro.owner_id)
        actions = tomlkit.aot()
        for action in macro.actions:
            row = tomlkit.table()
            row.add("type", action.action)
            for f in fields(action):
                value = getattr(action, f.name)
                if isinstance(value, tuple):
                    value = list(value)
                elif value is None:
                    value = _NONE
                elif isinstance(value, str):
                    value = _toml_string(value)
                row.add(f.name, value)
            actions.append(row)
        table.add("action", actions)
        macro_tables.append(table)
    if macro_tables:
        doc.add("macro", macro_tables)
    snippet_tables = tomlkit.aot()
    for snippet in snippets:
        table = tomlkit.table()
        table.add("id", snippet.id)
        table.add("shortcut", snippet.shortcut)
        table.add("title", snippet.title)
        table.add("body", _toml_string(snippet.body))
        table.add("scope", snippet.scope)
        if snippet.owner_id:
            table.add("owner", snippet.owner_id)
        snippet_tables.append(table)
    if snippet_tables:
        doc.add("snippet", snippet_tables)
    return tomlkit.dumps(doc)


def _toml_string(value: str) -> Any:
    import tomlkit

    # Multi-line strings read back with \r\n made \n, so only plain newlines go that way.
    return tomlkit.string(value, multiline="\n" in value and "\r" not in value)


def macros_from_toml(text: str) -> MacroLibrary:
    """Read macros and snippets written by :func:`macros_to_toml` (or by hand). Raises
    ValueError with one sentence, naming the macro or snippet, for anything wrong: bad
    TOML, unknown keys or action types, values outside their vocabulary, template errors,
    repeated ids. A missing id gets a new one."""
    import tomllib

    if len(text) > MAX_TOML_CHARS:
        raise ValueError(f"A macro file is at most {MAX_TOML_CHARS:,} characters long.")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"The file is not valid TOML: {str(err).rstrip('.')}.") from None
    unknown = sorted(set(data) - {"version", "macro", "snippet"})
    if unknown:
        raise ValueError(f"A macro file has no setting {unknown[0]!r}; use macro and snippet.")
    if data.get("version", 1) != 1:
        raise ValueError("This macro file is of a newer version than this desk reads.")
    raw_macros = _list_of_tables(data.get("macro", []), "macro")
    raw_snippets = _list_of_tables(data.get("snippet", []), "snippet")
    if len(raw_macros) > MAX_MACROS or len(raw_snippets) > MAX_SNIPPETS:
        raise ValueError(
            f"A macro file holds at most {MAX_MACROS:,} macros and {MAX_SNIPPETS:,} snippets."
        )
    macros = tuple(_read_macro(n, raw) for n, raw in enumerate(raw_macros, 1))
    snippets = tuple(_read_snippet(n, raw) for n, raw in enumerate(raw_snippets, 1))
    for what, items in (("macro", macros), ("snippet", snippets)):
        ids = [item.id for item in items]
        repeated = next((i for i in ids if ids.count(i) > 1), None)
        if repeated is not None:
            raise ValueError(f"Two {what}s have the id {repeated!r}; ids must differ.")
    return MacroLibrary(macros, snippets)


def _list_of_tables(value: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"Write each {what} as a [[{what}]] table.")
    return value


def _text(raw: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if value is None:
        raise ValueError(f"{where} has no {key}.")
    if not isinstance(value, str):
        raise ValueError(f"{where}: {key} must be text.")
    return value


def _read_macro(n: int, raw: dict[str, Any]) -> Macro:
    name = raw.get("name")
    where = f"Macro {name!r}" if isinstance(name, str) and name.strip() else f"Macro {n}"
    unknown = sorted(set(raw) - set(_MACRO_KEYS))
    if unknown:
        raise ValueError(f"{where} has no setting {unknown[0]!r}; use {', '.join(_MACRO_KEYS)}.")
    actions_raw = raw.get("action", [])
    if not isinstance(actions_raw, list) or not all(isinstance(a, dict) for a in actions_raw):
        raise ValueError(f"{where}: write each action as a [[macro.action]] table.")
    actions = tuple(_read_action(where, i, a) for i, a in enumerate(actions_raw, 1))
    owner = raw.get("owner")
    if owner is not None and not isinstance(owner, str):
        raise ValueError(f"{where}: owner must be text.")
    macro = Macro(
        id=_text(raw, "id", where, "") or str(uuid.uuid4()),
        name=_text(raw, "name", where),
        actions=actions,
        scope=_text(raw, "scope", where, "personal"),  # type: ignore[arg-type]
        owner_id=owner or None,
        description=_text(raw, "description", where, ""),
    )
    problems = check_macro(macro)
    if problems:
        raise ValueError(f"{where}: {problems[0]}")
    return macro


def _read_action(where: str, i: int, raw: dict[str, Any]) -> MacroAction:
    kind = raw.get("type")
    cls = ACTIONS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"{where}: action {i} has type {kind!r}; use one of {', '.join(ACTIONS)}.")
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(raw) - {"type", *names})
    if unknown:
        raise ValueError(
            f"{where}: action {i} ({kind}) has no setting {unknown[0]!r}; "
            f"it takes {', '.join(names)}."
        )
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in raw:
            if f.name == "due":
                continue
            raise ValueError(f"{where}: action {i} ({kind}) needs {f.name}.")
        value = raw[f.name]
        if f.name == "tags":
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                raise ValueError(f"{where}: action {i} ({kind}) takes tags as a list of words.")
            value = tuple(value)
        elif not isinstance(value, str):
            raise ValueError(f"{where}: action {i} ({kind}) takes {f.name} as text.")
        elif f.name == "assignee" and value == _NONE:
            value = None
        values[f.name] = value
    action = cls(**values)
    problems = check_action(action)
    if problems:
        raise ValueError(f"{where}: action {i} ({kind}): {problems[0]}")
    return action


def _read_snippet(n: int, raw: dict[str, Any]) -> Snippet:
    typed = raw.get("shortcut")
    where = f"Snippet {typed!r}" if isinstance(typed, str) and typed else f"Snippet {n}"
    unknown = sorted(set(raw) - set(_SNIPPET_KEYS))
    if unknown:
        raise ValueError(f"{where} has no setting {unknown[0]!r}; use {', '.join(_SNIPPET_KEYS)}.")
    owner = raw.get("owner")
    if owner is not None and not isinstance(owner, str):
        raise ValueError(f"{where}: owner must be text.")
    try:
        shortcut = normalize_shortcut(_text(raw, "shortcut", where))
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    snippet = Snippet(
        id=_text(raw, "id", where, "") or str(uuid.uuid4()),
        shortcut=shortcut,
        title=_text(raw, "title", where),
        body=_text(raw, "body", where),
        scope=_text(raw, "scope", where, "personal"),  # type: ignore[arg-type]
        owner_id=owner or None,
    )
    problems = check_snippet(snippet)
    if problems:
        raise ValueError(f"{where}: {problems[0]}")
    return snippet


# -- suggestions that learn ----------------------------------------------------------------

#: Words too common to say anything about a case (English and German).
_STOPWORDS = """
    the and for with from that this have has was were are not you your our can cannot
    please thanks thank hello dear about into will would could should there their what when
    der die das und mit von fur ist nicht ich sie wir ein eine einen bitte danke hallo
    auf aus bei den dem des noch nach wie was kann keine mein meine ihr ihre
"""
STOPWORDS = frozenset(_STOPWORDS.split())
MAX_SUBJECT_WORDS = 12
#: Features kept per macro; the rarest go first when there are more.
MAX_FEATURES = 400


def subject_words(subject: str) -> list[str]:
    """The words of a subject that say something: folded, 3+ letters, no stopwords."""
    decomposed = unicodedata.normalize("NFKD", subject.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = [w for w in re.findall(r"[^\W_]{3,}", plain) if w not in STOPWORDS]
    return list(dict.fromkeys(words))[:MAX_SUBJECT_WORDS]


def case_features(
    queue: str | None = None, tags: Iterable[str] = (), subject: str = ""
) -> list[str]:
    """What a case is like, as features: ``queue:billing``, ``tag:refund``, ``word:card``."""
    out = [f"queue:{queue.casefold()}"] if queue else []
    out += [f"tag:{_tag(t).casefold()}" for t in tags if _tag(t)]
    out += [f"word:{w}" for w in subject_words(subject)]
    return list(dict.fromkeys(out))


class Suggestion(NamedTuple):
    macro_id: str
    #: Higher is better (a log probability: compare, do not show).
    score: float
    #: Why, for a tooltip: "used 4 times in queue billing", ...
    reasons: tuple[str, ...]


class Suggester:
    """Learns which macro an agent applies to which kind of case, and ranks macros for a
    case by it: naive Bayes over the case's queue, tags and subject words, with Laplace
    smoothing, so a macro never used ranks by nothing but the order given, one used often
    on cases like this ranks first, and one used often on other kinds of case does not.

    score(m) = log((n_m + 1) / (N + M)) + sum over the case's features f of
               log((c(m, f) + 1) / (n_m + 2))

    where N is all recorded uses, M the macros ranked, n_m the uses of m and c(m, f) the
    uses of m on a case with feature f. Pure and in memory; :meth:`to_dict` /
    :meth:`from_dict` keep it (as JSON) wherever the desk likes."""

    def __init__(self) -> None:
        self.total = 0
        self.uses: dict[str, int] = {}
        self.features: dict[str, dict[str, int]] = {}

    def record(
        self,
        macro_id: str,
        *,
        queue: str | None = None,
        tags: Iterable[str] = (),
        subject: str = "",
    ) -> None:
        """Remember that ``macro_id`` was applied to a case like this."""
        self.total += 1
        self.uses[macro_id] = self.uses.get(macro_id, 0) + 1
        counts = self.features.setdefault(macro_id, {})
        for feature in case_features(queue, tags, subject):
            counts[feature] = counts.get(feature, 0) + 1
        if len(counts) > MAX_FEATURES:
            keep = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FEATURES]
            self.features[macro_id] = dict(keep)

    def forget(self, macro_id: str) -> None:
        """Drop what was learned about a macro (deleted, or changed beyond recognition)."""
        self.total -= self.uses.pop(macro_id, 0)
        self.features.pop(macro_id, None)

    def rank(
        self,
        macro_ids: Sequence[str],
        *,
        queue: str | None = None,
        tags: Iterable[str] = (),
        subject: str = "",
        limit: int | None = None,
    ) -> list[Suggestion]:
        """``macro_ids`` (the macros the agent can use) best first for this case; ties keep
        the given order."""
        ids = list(dict.fromkeys(macro_ids))
        features = case_features(queue, tags, subject)
        scored = []
        for order, macro_id in enumerate(ids):
            n = self.uses.get(macro_id, 0)
            counts = self.features.get(macro_id, {})
            score = math.log((n + 1) / (self.total + max(len(ids), 1)))
            reasons = []
            for feature in features:
                c = counts.get(feature, 0)
                score += math.log((c + 1) / (n + 2))
                if c:
                    reasons.append((c, _reason(feature, c)))
            reasons.sort(key=lambda r: -r[0])
            scored.append(
                (-score, order, Suggestion(macro_id, score, tuple(r for _c, r in reasons)))
            )
        scored.sort(key=lambda row: row[:2])
        out = [row[2] for row in scored]
        return out if limit is None else out[:limit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "total": self.total,
            "macros": {
                m: {"uses": self.uses[m], "features": dict(self.features.get(m, {}))}
                for m in self.uses
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Suggester:
        """Read :meth:`to_dict`'s output back; malformed parts are skipped, never fatal."""
        out = cls()
        macros = data.get("macros") if isinstance(data, Mapping) else None
        if not isinstance(macros, Mapping):
            return out
        for macro_id, entry in macros.items():
            if not isinstance(macro_id, str) or not isinstance(entry, Mapping):
                continue
            uses = entry.get("uses")
            if not isinstance(uses, int) or isinstance(uses, bool) or uses <= 0:
                continue
            feats = entry.get("features")
            counts = {
                str(f): int(c)
                for f, c in (feats.items() if isinstance(feats, Mapping) else ())
                if isinstance(c, int) and not isinstance(c, bool) and 0 < c <= uses
            }
            out.uses[macro_id] = uses
            out.features[macro_id] = dict(
                sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FEATURES]
            )
        out.total = sum(out.uses.values())
        return out


def _reason(feature: str, count: int) -> str:
    kind, _, value = feature.partition(":")
    times = "once" if count == 1 else f"{count} times"
    if kind == "queue":
        return f"used {times} in queue {value}"
    if kind == "tag":
        return f"used {times} on cases tagged {value}"
    return f"used {times} when the subject said {value!r}"


# -- actions as plain data (how macros are stored and synced) ------------------------------


def action_to_dict(action: MacroAction) -> dict[str, Any]:
    """One action as JSON-ready data: ``{"type": "add_tags", "tags": ["refund"]}``; an
    unassign is ``{"type": "set_assignee", "assignee": None}``."""
    out: dict[str, Any] = {"type": action.action}
    for f in fields(action):
        value = getattr(action, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def action_from_dict(
    data: Mapping[str, Any], *, where: str = "The macro", n: int = 1
) -> MacroAction:
    """Read :func:`action_to_dict`'s output back as a :data:`MacroAction` (checked as the
    TOML reader checks it); raises ValueError with one sentence naming action ``n``."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: action {n} is not a table of settings.")
    raw = dict(data)
    if raw.get("type") == SetAssignee.action and raw.get("assignee", _NONE) is None:
        raw["assignee"] = _NONE
    return _read_action(where, n, raw)


# -- who may change what -------------------------------------------------------------------

#: Why an agent may not change a shared macro or snippet (``kind`` is "macro" or "snippet").
SHARED_REFUSAL = "Only a team lead can change shared {kind}s."
PERSONAL_REFUSAL = "Only its owner can change a personal {kind}."


def change_refusal(
    kind: str, scope: str, owner_id: str | None, agent_id: str | None, role: str | None
) -> str | None:
    """Why the agent ``agent_id`` (of ``role``) may not create, change or delete a macro
    or snippet of this scope and owner, as a sentence; None when they may. Shared ones are
    for leads and admins, personal ones for their owner alone."""
    if scope == "shared":
        if role in (AgentRole.LEAD.value, AgentRole.ADMIN.value):
            return None
        return SHARED_REFUSAL.format(kind=kind)
    if not agent_id or owner_id != agent_id:
        return PERSONAL_REFUSAL.format(kind=kind)
    return None
