"""Queue views and the SQL a search becomes.

A view is a saved search string (:mod:`csm_tui.domain.search` syntax) with a title. Built-in
views come first (My open cases, Unassigned, one per queue, Pending, Solved today, All), then
the custom views of the config (``[views.<id>] title = "..." search = "..."``).

:func:`case_filter` turns a parsed :class:`~csm_tui.domain.search.SearchQuery` into SQL
conditions on ``"case" AS c`` with ``?`` parameters only: values typed by the agent never
become SQL text, and free words reach FTS5 only through
:func:`~csm_tui.domain.search.fts_match` (quoted strings). No ORM here: this runs on the
way to the first paint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from csm_tui.domain.search import CHANNELS, PRIORITIES, STATUSES, SearchQuery, fts_match
from csm_tui.store.search_index import PRIORITY_RANK_SQL

OPEN_STATUSES = ("new", "open", "pending", "on_hold")
#: The last free word counts once it has this many letters or digits.
MIN_PREFIX = 2
SORTS = ("updated", "created", "priority", "sla")


@dataclass(frozen=True)
class View:
    id: str
    title: str
    search: str
    built_in: bool


@dataclass(frozen=True)
class QueueRef:
    id: str
    slug: str
    name: str


@dataclass(frozen=True)
class AgentRef:
    id: str
    handle: str
    name: str


def built_in_views(queues: Sequence[QueueRef]) -> list[View]:
    """The built-in views, in the order the sidebar shows them."""
    views = [
        View("mine", "My open cases", "@me status:new,open,pending,on_hold", True),
        View("unassigned", "Unassigned", "is:unassigned -status:solved,closed", True),
    ]
    for q in sorted(queues, key=lambda q: (q.name.lower(), q.slug)):
        views.append(
            View(f"queue-{q.slug}", q.name or q.slug, f"queue:{q.slug} -status:solved,closed", True)
        )
    views += [
        View("pending", "Pending", "status:pending", True),
        View("solved-today", "Solved today", "status:solved updated:today", True),
        View("all", "All", "", True),
    ]
    return views


_VIEW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def custom_views(config: dict[str, dict[str, str]]) -> list[View]:
    """Views from the config (already validated by ``Settings``)."""
    return [
        View(view_id, str(spec.get("title") or view_id), str(spec.get("search", "")), False)
        for view_id, spec in config.items()
    ]


def check_custom_views(value: Any) -> str | None:
    """A sentence saying what is wrong with the ``views`` setting, or None."""
    if not isinstance(value, dict):
        return 'must be a table of views, e.g. [views.vip] title = "VIP" search = "#vip"'
    for view_id, spec in value.items():
        if not isinstance(view_id, str) or not _VIEW_ID.match(view_id):
            return (
                f"view id {view_id!r} must be letters, digits, '.', '_' or '-' "
                "(at most 64, starting with a letter or digit)"
            )
        if view_id in RESERVED_VIEW_IDS or view_id.startswith("queue-"):
            return f"view id {view_id!r} is taken by a built-in view; pick another name"
        if not isinstance(spec, dict):
            return f'view {view_id!r} must be a table with title = "..." and search = "..."'
        unknown = sorted(set(spec) - {"title", "search"})
        if unknown:
            return f"view {view_id!r} has unknown keys {', '.join(unknown)}; use title and search"
        if not isinstance(spec.get("search"), str):
            return f'view {view_id!r} needs search = "..." (a search text, e.g. "#vip")'
        title = spec.get("title", view_id)
        if not isinstance(title, str) or not title.strip() or len(title) > 80:
            return f"view {view_id!r} needs a title of 1 to 80 characters"
    return None


RESERVED_VIEW_IDS = frozenset({"mine", "unassigned", "pending", "solved-today", "all"})


def since(value: str | None, now: datetime) -> datetime | None:
    """The naive UTC time ``updated:<value>`` starts at (``today`` = local midnight), or None
    when the value is not understood."""
    if value is None:
        return None
    local = now.replace(tzinfo=UTC).astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start: datetime | None = None
    if value == "today":
        start = midnight
    elif value == "yesterday":
        start = midnight - timedelta(days=1)
    elif m := re.fullmatch(r"(\d{1,4})([dhw])", value):
        n, unit = int(m.group(1)), m.group(2)
        delta = {"d": timedelta(days=n), "h": timedelta(hours=n), "w": timedelta(weeks=n)}[unit]
        start = local - delta
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            start = datetime.fromisoformat(value).replace(tzinfo=local.tzinfo)
        except ValueError:
            return None
    if start is None:
        return None
    return start.astimezone(UTC).replace(tzinfo=None)


def _sql_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class FilterContext:
    """What resolving a search needs from the store: who I am, the queues and agents."""

    me_id: str | None
    queues: Sequence[QueueRef]
    agents: Sequence[AgentRef]
    now: datetime


def match_queues(fragment: str, queues: Sequence[QueueRef]) -> list[str]:
    """Queue ids for ``queue:<fragment>``: the queue with that slug, else every queue whose
    slug or name contains the fragment (case-insensitive)."""
    frag = fragment.lower()
    exact = [q.id for q in queues if q.slug.lower() == frag]
    if exact:
        return exact
    return [q.id for q in queues if frag in q.slug.lower() or frag in q.name.lower()]


def match_agents(handle: str, agents: Sequence[AgentRef]) -> list[str]:
    """Agent ids for ``@<handle>``: that handle, else every handle starting with it."""
    h = handle.lower()
    exact = [a.id for a in agents if a.handle.lower() == h]
    if exact:
        return exact
    return [a.id for a in agents if a.handle.lower().startswith(h)]


def _agent_ids(handles: Sequence[str], ctx: FilterContext) -> list[str]:
    ids: list[str] = []
    for handle in handles:
        if handle == "me":
            if ctx.me_id:
                ids.append(ctx.me_id)
        else:
            ids += match_agents(handle, ctx.agents)
    return list(dict.fromkeys(ids))


def _in(column: str, values: Sequence[Any], params: list[Any], *, negate: bool = False) -> str:
    if not values:
        return "1" if negate else "0"
    params.extend(values)
    marks = ", ".join("?" for _ in values)
    if negate:
        return f"({column} IS NULL OR {column} NOT IN ({marks}))"
    return f"{column} IN ({marks})"


_WORD = re.compile(r"[^\W_]+")


def _typed_terms(terms: Sequence[str]) -> list[str]:
    """The free words as the index gets them: a last word of one letter (alone, or ending a
    phrase) is still being typed. As a prefix it would match most cases and read most of the
    index for nothing, so it waits for its second letter."""
    out = list(terms)
    if out:
        words = list(_WORD.finditer(out[-1]))
        if words and len(words[-1].group()) < MIN_PREFIX:
            rest = out[-1][: words[-1].start()]
            if len(words) > 1:
                out[-1] = rest
            else:
                out.pop()
    return out


def case_filter(query: SearchQuery, ctx: FilterContext) -> tuple[list[str], list[Any]]:
    """SQL conditions (to AND together) on ``"case" AS c``, and their parameters."""
    where: list[str] = []
    params: list[Any] = []
    # Closed vocabularies: a negation becomes the list of the other values, which an index
    # can range over (``status NOT IN (...)`` would read every row).
    for column, vocab, wanted, unwanted in (
        ("c.status", STATUSES, query.statuses, query.not_statuses),
        ("c.priority", PRIORITIES, query.priorities, query.not_priorities),
        ("c.channel", CHANNELS, query.channels, query.not_channels),
    ):
        if not wanted and not unwanted:
            continue
        values = list(wanted) if wanted else list(vocab)
        values = [v for v in values if v not in unwanted]
        where.append(_in(column, values, params))
    if query.queues:
        ids = [i for frag in query.queues for i in match_queues(frag, ctx.queues)]
        where.append(_in("c.queue_id", list(dict.fromkeys(ids)), params))
    if query.not_queues:
        ids = [i for frag in query.not_queues for i in match_queues(frag, ctx.queues)]
        if ids:
            where.append(_in("c.queue_id", list(dict.fromkeys(ids)), params, negate=True))
    if query.assignees:
        where.append(_in("c.assignee_id", _agent_ids(query.assignees, ctx), params))
    if query.not_assignees:
        ids = _agent_ids(query.not_assignees, ctx)
        if ids:
            where.append(_in("c.assignee_id", ids, params, negate=True))
    if query.unassigned is True:
        where.append("c.assignee_id IS NULL")
    elif query.unassigned is False:
        where.append("c.assignee_id IS NOT NULL")
    for tag in query.tags:
        where.append("c.id IN (SELECT case_id FROM case_tag WHERE tag = ?)")
        params.append(tag.lower())
    if query.without_tags:
        marks = ", ".join("?" for _ in query.without_tags)
        where.append(f"c.id NOT IN (SELECT case_id FROM case_tag WHERE tag IN ({marks}))")
        params.extend(t.lower() for t in query.without_tags)
    if query.updated_since is not None:
        start = since(query.updated_since, ctx.now)
        if start is None:
            where.append("0")
        else:
            where.append("c.updated_at >= ?")
            params.append(_sql_time(start))
    match = fts_match(_typed_terms(query.text_terms))
    if match is not None:
        where.append(FTS_CONDITION)
        params.append(match)
    for term in query.not_text_terms:
        excluded = fts_match((term,), prefix_last=False)
        if excluded is not None:
            where.append("c.rowid NOT IN (SELECT rowid FROM case_fts WHERE case_fts MATCH ?)")
            params.append(excluded)
    return where, params


#: The condition free words become (one ``?``: the MATCH expression of :func:`fts_match`).
FTS_CONDITION = "c.rowid IN (SELECT rowid FROM case_fts WHERE case_fts MATCH ?)"
#: The same, but not usable to drive the query (unary ``+``): other indexes lead, and the
#: matches are only probed. Better when the words match a large share of the cases.
FTS_PROBE = "+" + FTS_CONDITION

_RANK = PRIORITY_RANK_SQL.replace("priority", "c.priority")

#: The index that walks the cases in each sort order (direction either way).
SORT_INDEXES = {
    "updated": "ix_case_updated",
    "created": "ix_case_created",
    "priority": "ix_case_rank_updated",
    "sla": "ix_case_sla_due",  # on case_sla, not on the cases (store/queries.window_where)
}


def order_by(sort: str, descending: bool) -> str:
    """The ORDER BY of a sort ("updated", "created", "priority", "sla"); the id breaks ties
    so that windows never overlap or skip."""
    if sort == "created":
        keys = [("c.created_at", True), ("c.id", True)]
    elif sort == "priority":
        keys = [(_RANK, True), ("c.updated_at", True), ("c.id", True)]
    elif sort == "sla":
        # The next breach first (the SLA index, store/sla_index.py: cases with nothing to
        # breach carry a due time after every real one, so they come last).
        keys = [("s.due_at", False), ("s.case_id", False)]
    else:
        keys = [("c.updated_at", True), ("c.id", True)]
    return ", ".join(f"{expr} {'DESC' if desc == descending else 'ASC'}" for expr, desc in keys)


def store_problems(query: SearchQuery, ctx: FilterContext) -> list[str]:
    """Sentences about parts of a search the store cannot match (unknown queue or agent,
    ``@me`` before the first sync)."""
    out: list[str] = []
    if query.uses_me and not ctx.me_id:
        out.append("@me matches nothing until the desk has synced once and knows who you are.")
    for frag in (*query.queues, *query.not_queues):
        if not match_queues(frag, ctx.queues):
            out.append(f"No queue matches '{frag[:40]}'.")
    for handle in (*query.assignees, *query.not_assignees):
        if handle != "me" and not match_agents(handle, ctx.agents):
            out.append(f"No agent has the handle '{handle[:40]}'.")
    return out
