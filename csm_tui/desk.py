"""The Desk: the one facade the Textual screens talk to.

It owns the local store and, when signed in, the connection to the case server. Reads for
painting go through :class:`~csm_tui.store.queries.StoreReader` (plain ``sqlite3``); the ORM
engine, the HTTP client and the sync engine are built on first use, inside the sync worker,
so that neither SQLAlchemy nor httpx is imported before the first queue is on screen.
Commands (``update_case``, ``add_message``, ``create_case``, resolving conflicts) write on a
plain ``sqlite3`` connection too (:class:`~csm_tui.store.outbox.OutboxStore`): each is one
transaction holding the local change and its outbox row, so the screen repaints from the
store at once and the edit goes to the server with the next sync. A phone call becomes a
case with :meth:`Desk.find_contacts` (the caller search) and :meth:`Desk.open_phone_case`
(a new contact if needed, the case and its first note, in one transaction).

Queue triage: :meth:`Desk.views` (built-in views and the config's custom ones, each a saved
search), :meth:`Desk.view_counts`, and :meth:`Desk.case_count` / :meth:`Desk.case_window`
with a :class:`CaseQuery` (view + typed search + sort). Searches are parsed by
:mod:`csm_tui.domain.search` and become SQL with ``?`` parameters and an FTS5 MATCH of quoted
strings (:mod:`csm_tui.store.views`); counts are cached until the store changes. Bulk edits
(:meth:`Desk.update_cases`, ``take``, ``assign``, ``set_priority``, ``set_status``,
``add_tags``, ``remove_tags``) write one outbox mutation per case in one transaction, and
every edit action goes on an undo stack kept in the store (``undo_action``, the last 20), so
:meth:`Desk.undo_last` works after a restart too.
Knowledge (issue #6): :meth:`Desk.search_articles` (FTS5, offline), :meth:`Desk.suggest_articles`
for a case, :meth:`Desk.propose_article` and a lead's :meth:`Desk.publish_article`.
SLA (issue #8) is computed here, offline, from the store: :meth:`Desk.sla_book` (the synced
policies, else the defaults), :meth:`Desk.sla_facts`, :meth:`Desk.sla_watch` (the queue's
column, kept per case until the store changes), :meth:`Desk.sla_states` (the case screen's
badges) and :meth:`Desk.sla_data_age`; a lead's :meth:`Desk.import_sla` queues new policies;
:meth:`Desk.sla_panel` reads the lead's SLA panel (board, KPIs, escalations).
Nothing here imports Textual.
"""

from __future__ import annotations

import contextlib
import gc
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from csm_tui.domain.enums import CaseStatus, Channel, MessageKind, Priority, TaskState, TaskTeam
from csm_tui.domain.search import SearchQuery, parse_search
from csm_tui.domain.status import TransitionError, can_transition, check_transition
from csm_tui.domain.text import clean_line
from csm_tui.errors import CsmError
from csm_tui.low_bandwidth import pull_options, with_placeholders
from csm_tui.store import drafts, outbox
from csm_tui.store import views as views_mod
from csm_tui.store.bodies import deferred_ids, fill_bodies
from csm_tui.store.knowledge import ArticleResults, ArticleRow, Knowledge
from csm_tui.store.outbox import OutboxStore, wire_time
from csm_tui.store.queries import (
    CONTACT_DIGITS,
    CONTACT_HAYSTACK,
    AgentRow,
    CaseDetail,
    CaseRow,
    ConflictRow,
    ContactRow,
    CustomerInfo,
    MessageRow,
    QueueRow,
    RejectedRow,
    StoreReader,
    fold_text,
)
from csm_tui.store.views import View

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from csm_tui.domain.macros import BulkPlan, Macro, MacroPlan, Suggester, Suggestion
    from csm_tui.domain.sla import CaseFacts, MetricState, SlaBook, Watch
    from csm_tui.domain.snippets import Snippet
    from csm_tui.domain.templates import MergeContext
    from csm_tui.sla_panel_data import SlaPanelData
    from csm_tui.sync.client import CaseServerClient
    from csm_tui.sync.engine import Progress, SyncEngine
    from csm_tui.sync.live import LiveListener
    from csm_tui.sync.report import SyncReport
    from csm_tui.sync.wire import Viewer

__all__ = [
    "AgentRow",
    "ArticleResults",
    "ArticleRow",
    "BulkResult",
    "CaseDetail",
    "CaseQuery",
    "CaseRow",
    "ConflictRow",
    "ContactRow",
    "CustomerInfo",
    "Desk",
    "MessageRow",
    "QueueRow",
    "RejectedRow",
    "SyncStatus",
    "View",
]

#: Case fields an agent may change with :meth:`Desk.update_case`.
EDITABLE_CASE_FIELDS = (
    "subject",
    "status",
    "priority",
    "channel",
    "queue_id",
    "assignee_id",
    "tags",
)
MAX_SUBJECT = 500
MAX_BODY = 100_000
#: The longest title of a task for another team (the server's limit too).
MAX_TASK_TITLE = 200
#: A new contact (:meth:`Desk.create_contact`): the fields it takes, their longest length,
#: and the languages the desk writes to customers in.
NEW_CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "language", "account_id")
MAX_CONTACT_TEXT = {"first_name": 200, "last_name": 200, "email": 320, "phone": 64}
CONTACT_LANGUAGES = ("de", "en")
#: The caller search: most words and rows it looks at.
MAX_SEARCH_WORDS = 8
MAX_CONTACT_RESULTS = 200
MAX_TAGS = 50
#: How many edit actions undo remembers (kept in the store's ``undo_action`` table).
UNDO_DEPTH = 20
#: Free words matching more cases than this are probed rather than leading the query.
FTS_PROBE_OVER = 5_000
#: A window walks the sort index when its rows are expected within this many entries.
WALK_WITHIN = 10_000
#: Most case watches ``sla_watch`` keeps (per thread) until the store changes.
SLA_WATCH_CACHE = 200_000


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _closed_sentence() -> str:
    try:
        check_transition(CaseStatus.CLOSED, CaseStatus.OPEN)
    except TransitionError as err:
        return str(err)
    return "A closed case takes no more updates."  # pragma: no cover


@dataclass(frozen=True)
class CaseQuery:
    """What the queue shows: a view, the search typed on top of it, and the order.

    ``sort`` is "updated", "created", "priority" or "sla" (next SLA breach once the SLA
    engine exists; until then priority, most pressing first, then age, oldest first);
    ``descending`` False reverses it."""

    view: str = "all"
    search: str = ""
    sort: str = "updated"
    descending: bool = True


@dataclass
class BulkResult:
    """What a bulk (or single) edit did: the cases it changed, and those it left with the
    reason (one sentence each). ``unchanged`` already had the value."""

    changed: list[str] = dc_field(default_factory=list)
    skipped: list[tuple[str, str]] = dc_field(default_factory=list)
    unchanged: list[str] = dc_field(default_factory=list)


@dataclass(frozen=True)
class SyncStatus:
    """What the sync indicator shows."""

    state: str = "offline"  # "offline" | "online" | "syncing" | "local" (no server configured)
    server: str | None = None
    last_sync_at: datetime | None = None
    pending: int = 0
    conflicts: int = 0
    error: str | None = None
    rejected: int = 0


class Desk:
    def __init__(
        self,
        store_path: Path,
        *,
        server: str | None = None,
        connect: Callable[[], CaseServerClient] | None = None,
        agent_handle: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        live_connect: Callable[[], CaseServerClient] | None = None,
        views: dict[str, dict[str, str]] | None = None,
        low_bandwidth: bool = False,
    ) -> None:
        """``connect`` builds the server client when the first sync needs it; ``server`` is
        its URL, shown in the status bar before then. ``live_connect`` builds the live
        listener's own client (default: ``connect``, which must then make a new client on
        each call). ``views`` are the custom views of the config (``Settings.views``).
        ``low_bandwidth`` pulls in smaller pages and leaves old cases' message bodies on the
        server until a case is opened (:meth:`fetch_bodies`)."""
        self.store_path = store_path
        self.low_bandwidth = low_bandwidth
        self._custom_views = views_mod.custom_views(views or {})
        self._schema_checked = False
        self.reader = StoreReader(store_path)
        self.agent_handle = agent_handle
        self.clock = clock
        self._connect = connect
        self._live_connect = live_connect or connect
        self._engine: Engine | None = None
        self._client: CaseServerClient | None = None
        self._sync: SyncEngine | None = None
        self._writer: OutboxStore | None = None
        self._live: LiveListener | None = None
        self._live_lock = threading.Lock()
        self._presence_client: CaseServerClient | None = None
        self._presence_closed = False
        self._presence_lock = threading.Lock()
        self._writer_lock = threading.Lock()
        self._lock = threading.Lock()  # guards building the engine
        self._sync_lock = threading.Lock()  # one sync at a time
        # SLA: the book of the synced policies (kept while their text stays), and per thread
        # the watches of cases (kept while the store does not change).
        self._sla_book: tuple[str | None, SlaBook] | None = None
        self._sla_local = threading.local()
        self._status = SyncStatus(
            state="offline" if connect is not None else "local",
            server=server,
            last_sync_at=self._last_sync_at(),
        )

    @classmethod
    def open(
        cls,
        store_path: Path,
        *,
        client: CaseServerClient | None = None,
        agent_handle: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        live_client: Callable[[], CaseServerClient] | None = None,
        views: dict[str, dict[str, str]] | None = None,
    ) -> Desk:
        """A desk over ``store_path``, with the store created now (tests, tools) and an
        already-built client, if any (the live listener then gets ``client.clone()``)."""
        desk = cls(
            store_path,
            server=client.base_url if client is not None else None,
            connect=(lambda: client) if client is not None else None,
            agent_handle=agent_handle,
            clock=clock,
            live_connect=live_client or (client.clone if client is not None else None),
            views=views,
        )
        _ = desk.store
        return desk

    def close(self) -> None:
        self.stop_live()
        with self._presence_lock:
            presence, self._presence_client = self._presence_client, None
            self._presence_closed = True
        if presence is not None:
            presence.close()
        if self._sync is not None:
            self._sync.close()
        if self._client is not None:
            self._client.close()
        if self._writer is not None:
            self._writer.close()
        self.reader.close()
        if self._engine is not None:
            self._engine.dispose()

    @property
    def store(self) -> Engine:
        """The ORM engine of the store (created, with its tables, on first use)."""
        with self._lock:
            if self._engine is None:
                from csm_tui.store.engine import make_store_engine

                self._engine = make_store_engine(self.store_path)
            return self._engine

    def _last_sync_at(self) -> datetime | None:
        rows = self.reader._all("SELECT value FROM sync_state WHERE key = 'last_sync_at'")
        return datetime.fromisoformat(rows[0][0]) if rows and rows[0][0] else None

    # -- reads ---------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def set_custom_views(self, views: dict[str, dict[str, str]]) -> None:
        """Replace the custom views (``Settings.views``, validated there)."""
        self._custom_views = views_mod.custom_views(views or {})

    def views(self) -> list[View]:
        """Built-in views (My open cases, Unassigned, one per queue, Pending, Solved today,
        All), then the custom views of the config."""
        refs = [views_mod.QueueRef(q.id, q.slug, q.name) for q in self.reader.queues()]
        return [*views_mod.built_in_views(refs), *self._custom_views]

    def view(self, view_id: str) -> View:
        for v in self.views():
            if v.id == view_id:
                return v
        raise CsmError(f"There is no view '{view_id}'; pick one from the list.")

    def view_counts(self) -> dict[str, int]:
        """Live count of cases per view id (cached until the store changes)."""
        self._ensure_schema()
        ctx = self._filter_context()
        out: dict[str, int] = {}
        for v in self.views():
            where, params = views_mod.case_filter(parse_search(v.search), ctx)
            out[v.id] = self.reader.count_where(where, params)
        return out

    @property
    def me_id(self) -> str | None:
        """The signed-in agent's id, known after the first sync (None before)."""
        agent = self.reader.agent()
        return agent[0] if agent else None

    def agents(self) -> list[AgentRow]:
        return self.reader.agents()

    def queues(self) -> list[QueueRow]:
        return self.reader.queues()

    def find_contacts(self, text: str, limit: int = 20) -> list[ContactRow]:
        """Contacts whose name, customer number, e-mail or phone hold every word of ``text``
        (case and diacritics ignored: "muller" and "mueller" find Müller; a phone number
        matches without its spaces and dashes too). An exact customer number or e-mail
        comes first, then by name. Blank text finds nothing; any text is only data."""
        where, params, exact = _contact_filter(text)
        if not where or limit <= 0:
            return []
        return self.reader.find_contacts(where, params, exact, min(limit, MAX_CONTACT_RESULTS))

    def _filter_context(self) -> views_mod.FilterContext:
        return views_mod.FilterContext(
            me_id=self.me_id,
            queues=[views_mod.QueueRef(q.id, q.slug, q.name) for q in self.reader.queues()],
            agents=[views_mod.AgentRef(a.id, a.handle, a.name) for a in self.reader.agents()],
            now=self.clock(),
        )

    def _where(self, query: CaseQuery) -> tuple[list[str], list[Any]]:
        """The SQL conditions of a query: its view's search and the typed search, ANDed.

        Free words whose matches are many (over :data:`FTS_PROBE_OVER` cases) are only
        probed when other conditions exist, so that those lead (a status index, say)."""
        ctx = self._filter_context()
        where, params = views_mod.case_filter(parse_search(self.view(query.view).search), ctx)
        if query.search.strip():
            more, more_params = views_mod.case_filter(parse_search(query.search), ctx)
            where, params = [*where, *more], [*params, *more_params]
        if len(where) > 1 and views_mod.FTS_CONDITION in where:
            where = list(where)
            at = 0
            for i, cond in enumerate(where):
                n_params = cond.count("?")
                if (
                    cond == views_mod.FTS_CONDITION
                    and self.reader.count_fts(params[at]) > FTS_PROBE_OVER
                ):
                    where[i] = views_mod.FTS_PROBE
                at += n_params
        return where, params

    def search_problems(self, search: str) -> list[str]:
        """Sentences about what in ``search`` is not understood or matches nothing by
        construction (an unknown status, an unknown queue, @me before the first sync)."""
        parsed: SearchQuery = parse_search(search)
        return [*parsed.problems, *views_mod.store_problems(parsed, self._filter_context())]

    def case_count(self, query: CaseQuery | None = None) -> int:
        """How many cases the query shows (all cases without one). Cached until the store
        changes, so the count and the windows of one keystroke run it once."""
        if query is None:
            return self.reader.count_cases()
        self._ensure_schema()
        where, params = self._where(query)
        if where == [views_mod.FTS_CONDITION]:
            return self.reader.count_fts(params[0])
        return self.reader.count_where(where, params)

    def case_window(self, offset: int, limit: int, query: CaseQuery | None = None) -> list[CaseRow]:
        """Rows ``offset .. offset+limit`` of the query (all cases, most recently updated
        first, without one)."""
        if query is None:
            self._ensure_schema()
            return self.reader.case_window(offset, limit)
        if query.sort not in views_mod.SORTS:
            raise CsmError(f"Sort by one of {', '.join(views_mod.SORTS)}, not {query.sort!r}.")
        if limit <= 0:
            return []
        self._ensure_schema()
        if query.sort == "sla":
            self.refresh_sla()  # edits since the last sync: a few cases, if any
        where, params = self._where(query)
        order = views_mod.order_by(query.sort, query.descending)
        walk: str | None = None
        if where:
            # Walk the sort order when the matches are dense enough that the window's rows
            # come within a few thousand index entries; otherwise let SQLite pick the most
            # selective index and sort the (few) matches.
            matches = (
                self._estimated_matches(where, params) if offset == 0 else self.case_count(query)
            )
            if matches <= offset:
                return []
            total = self.reader.total_cases()
            if (offset + limit) * total <= WALK_WITHIN * matches:
                walk = views_mod.SORT_INDEXES.get(query.sort)
        return self.reader.window_where(where, params, order, offset, limit, walk=walk)

    def _estimated_matches(self, where: list[str], params: list[Any]) -> int:
        """How many cases ``where`` matches, for the first window's choice of plan: exact
        when cheap, but for free words ANDed with fields (whose exact count costs as much as
        the window itself) the fields' count scaled by the share of cases the words match.
        Both are cheap: the words' count is the one ``_where`` already read, the fields'
        count reads a covering index. So the first window need not wait for the exact
        count, which the queue reads beside it (the header's number)."""
        fts = [
            i for i, c in enumerate(where) if c in (views_mod.FTS_CONDITION, views_mod.FTS_PROBE)
        ]
        if where == [views_mod.FTS_CONDITION]:
            return self.reader.count_fts(params[0])
        if len(fts) != 1:
            return self.reader.count_where(where, params)
        at = sum(c.count("?") for c in where[: fts[0]])
        words = self.reader.count_fts(params[at])
        rest = [c for i, c in enumerate(where) if i != fts[0]]
        rest_params = [*params[:at], *params[at + 1 :]]
        fields = self.reader.count_where(rest, rest_params)
        total = max(1, self.reader.total_cases())
        return max(1, round(fields * min(words, total) / total))

    def case_ids(self, query: CaseQuery | None = None) -> list[str]:
        """The ids of every case the query shows, in no particular order (select all)."""
        if query is None:
            return self.reader.ids_where([], [])
        self._ensure_schema()
        where, params = self._where(query)
        return self.reader.ids_where(where, params)

    def _ensure_schema(self) -> None:
        """Bring a store made by an older desk up to date (search index, sort indexes, undo
        table) on first use; a no-op query afterwards."""
        if self._schema_checked:
            return
        from csm_tui.store import search_index

        if self.reader.state(search_index.SCHEMA_KEY) != search_index.SCHEMA_VERSION:
            if self.reader.has_table("case") and self.reader.has_table("sync_state"):
                # The engine creates the tables a store this old lacks (the index reads
                # some of them), then brings the index up to date (store/engine.py).
                _ = self.store
            else:
                return  # no store yet: make_store_engine creates it all on the first sync
        self._schema_checked = True

    def case_detail(self, case_id: str) -> CaseDetail | None:
        detail = self.reader.case_detail(case_id)
        # Bodies a low-bandwidth pull left on the server say so until fetched.
        return with_placeholders(detail, self.deferred_bodies(case_id)) if detail else None

    def deferred_bodies(self, case_id: str) -> set[str]:
        """Ids of the case's messages whose body is still on the server (low bandwidth)."""
        conn = self.reader._conn()
        return deferred_ids(conn, case_id) if conn is not None else set()

    def fetch_bodies(self, case_id: str) -> int:
        """Fetch the case's message bodies a low-bandwidth pull left on the server, store
        them (one transaction, search index included) and return how many; 0 at once when
        none are missing. Blocks on the network (a worker's call); CsmError when offline."""
        if not self.deferred_bodies(case_id):
            return 0
        if self._connect is None:
            raise CsmError("This desk has no case server to fetch the messages from.")
        reply = self._presence().case_messages(case_id)
        with self._outbox().transaction() as conn:
            return fill_bodies(conn, case_id, reply.messages)

    def other_cases(self, case_id: str, limit: int = 9) -> list[CaseRow]:
        """The case's customer's other cases, open ones first, then the most recent."""
        return self.reader.other_cases(case_id, limit)

    @property
    def status(self) -> SyncStatus:
        """The sync state with live counts of pending edits, conflicts and rejected edits."""
        pending, conflicts, rejected = self.reader.outbox_counts()
        return replace(self._status, pending=pending, conflicts=conflicts, rejected=rejected)

    def pending_count(self) -> int:
        return self.reader.outbox_counts()[0]

    def conflicts(self) -> list[ConflictRow]:
        return self.reader.conflicts()

    def rejected(self) -> list[RejectedRow]:
        return self.reader.rejected()

    @property
    def agent(self) -> tuple[str, str, str] | None:
        """(id, handle, name) of the signed-in agent, known from the first sync on (the
        desk asks ``GET /api/v1/me`` once). Before that, messages are written locally with
        ``author_agent_id`` None and the constructor's ``agent_handle`` as author name; the
        server sets the real author from the token either way, and the pull brings it."""
        return self.reader.agent()

    @property
    def handle(self) -> str | None:
        """The signed-in agent's handle: learned from the server, else the one given."""
        agent = self.reader.agent()
        return agent[1] if agent else self.agent_handle

    @property
    def can_sync(self) -> bool:
        return self._connect is not None

    # -- sync ----------------------------------------------------------------------------

    def _sync_engine(self) -> SyncEngine:
        if self._sync is None:
            from csm_tui.sync.engine import SyncEngine

            assert self._connect is not None
            self._client = self._connect()
            self._sync = SyncEngine(
                self.store,
                self._client,
                clock=self.clock,
                outbox_store=self._outbox(),
                **pull_options(self.low_bandwidth),
            )
        return self._sync

    def _learn_agent(self, client: CaseServerClient) -> None:
        """On the first sync: who the token belongs to, kept in sync_state."""
        if self.reader.agent() is not None:
            return
        me = client.me()
        with self._outbox().transaction() as conn:
            for key, value in zip(outbox.AGENT_KEYS, (me.id, me.handle, me.name), strict=True):
                outbox.set_state(conn, key, value)

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Push the outbox, then pull everything new. Blocking: call it from a worker thread.

        Raises CsmError with one sentence on failure; the store is left as it was before the
        failing request (each push batch settles in one transaction, each page commits with
        its cursor) and the outbox keeps every edit the server has not confirmed.
        """
        if self._connect is None:
            raise CsmError("This desk has no case server; sign in with `csm login --server URL`.")
        with self._sync_lock:
            self._status = replace(self._status, state="syncing", error=None)
            try:
                engine = self._sync_engine()
                report = engine.sync(progress)
                # After the pull, not before: on a cold desk on a thin link the first page
                # of cases matters more than one more round trip (the server takes the
                # author of an edit from the token anyway).
                self._learn_agent(engine.client)
            except CsmError as err:
                self._status = replace(self._status, state="offline", error=str(err))
                raise
            self._status = replace(
                self._status, state="online", last_sync_at=report.finished_at, error=None
            )
        # Here, in the sync's thread, so that the queue's SLA column and sort find the
        # pulled cases computed (a failure here is not a failed sync: the next read retries).
        with contextlib.suppress(CsmError):
            self.refresh_sla()
        return report

    # -- commands (each one store transaction: the local change and its outbox rows) -----

    def _outbox(self) -> OutboxStore:
        if self._writer is None:
            if not self.reader.has_table("outbox"):
                _ = self.store  # a new store, or one from before the outbox: create tables
            with self._writer_lock:
                if self._writer is None:
                    self._writer = OutboxStore(self.store_path)
        return self._writer

    def _now(self) -> datetime:
        # Whole seconds, as the wire carries them: the pulled row then equals the local one.
        return self.clock().replace(microsecond=0)

    def update_case(self, case_id: str, **fields: Any) -> None:
        """Change fields of a case locally and queue the change for the server.

        Raises CsmError with one sentence (and writes nothing) for an unknown field, a value
        outside its vocabulary, a status change the rules forbid or a closed case. The edit
        goes on the undo stack.
        """
        changes = _check_case_fields(fields)
        if not changes:
            return
        self._ensure_schema()
        now = self._now()
        with self._outbox().transaction() as conn:
            changed, base = self._edit_case(conn, case_id, changes, now, check_refs=True)
            if changed:
                self._push_undo(
                    conn, _describe(conn, changes), [_undo_entry(case_id, changed, base)], now
                )

    def _edit_case(
        self,
        conn: Any,
        case_id: str,
        changes: dict[str, Any],
        now: datetime,
        *,
        check_refs: bool = False,
        add_tags: tuple[str, ...] = (),
        remove_tags: tuple[str, ...] = (),
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One case's edit in the caller's transaction: the local row and its outbox row.
        Returns (the fields that changed, their old values); raises CsmError (one sentence)
        when the case cannot take it. Tags to add or remove apply to the case's own list."""
        columns = [*changes, "status", "version", "tags", "updated_at"]
        current = outbox.read_row(conn, "case", case_id, columns)
        if not current:
            raise CsmError("That case is not in the local store; sync and try again.")
        if check_refs:
            _check_refs(conn, changes)
        target = dict(changes)
        if add_tags or remove_tags:
            tags = _tags_after(list(current.get("tags") or []), add_tags, remove_tags)
            if len(tags) > MAX_TAGS:
                raise CsmError(f"A case takes at most {MAX_TAGS} tags.")
            target["tags"] = tags
        status = CaseStatus(current["status"])
        if "status" in target:
            try:
                check_transition(status, CaseStatus(target["status"]))
            except TransitionError as err:
                raise CsmError(str(err)) from None
        changed = {k: v for k, v in target.items() if current.get(k) != v}
        if not changed:
            return {}, {}
        if status == CaseStatus.CLOSED:
            raise CsmError(_closed_sentence())
        base = {k: current.get(k) for k in changed}
        outbox.update_row(conn, "case", case_id, changed, current, now, base=base)
        return changed, base

    # -- bulk edits and undo -------------------------------------------------------------

    def update_cases(self, case_ids: list[str], **fields: Any) -> BulkResult:
        """Change the same fields on several cases: each case its own outbox mutation, all
        in one store transaction (all or nothing locally). A case that cannot take the
        change (closed, a status move the rules forbid, not in the store) is skipped with
        the reason and does not stop the others. A bad field or value raises CsmError
        before anything is written. The whole edit is one undo step."""
        return self._bulk(case_ids, _check_case_fields(fields))

    def _bulk(
        self,
        case_ids: list[str],
        changes: dict[str, Any],
        *,
        add_tags: tuple[str, ...] = (),
        remove_tags: tuple[str, ...] = (),
        description: str | None = None,
    ) -> BulkResult:
        result = BulkResult()
        ids = list(dict.fromkeys(str(i) for i in case_ids))
        if not ids or not (changes or add_tags or remove_tags):
            result.unchanged = ids
            return result
        self._ensure_schema()
        now = self._now()
        entries: list[dict[str, Any]] = []
        with self._outbox().transaction() as conn:
            _check_refs(conn, changes)
            for case_id in ids:
                try:
                    changed, base = self._edit_case(
                        conn, case_id, changes, now, add_tags=add_tags, remove_tags=remove_tags
                    )
                except CsmError as err:
                    result.skipped.append((case_id, str(err)))
                    continue
                if changed:
                    result.changed.append(case_id)
                    entries.append(_undo_entry(case_id, changed, base))
                else:
                    result.unchanged.append(case_id)
            if entries:
                text = description or _describe(conn, changes, add_tags, remove_tags)
                self._push_undo(conn, text, entries, now)
        return result

    def take(self, case_ids: list[str]) -> BulkResult:
        """Assign the cases to me (the signed-in agent)."""
        me = self.me_id
        if me is None:
            raise CsmError("Sync once so the desk knows who you are.")
        return self._bulk(case_ids, {"assignee_id": me}, description="assigned to you")

    def assign(self, case_ids: list[str], agent_id: str | None) -> BulkResult:
        """Assign the cases to an agent (None: unassign)."""
        return self._bulk(case_ids, _check_case_fields({"assignee_id": agent_id}))

    def set_priority(self, case_ids: list[str], priority: str) -> BulkResult:
        return self._bulk(case_ids, _check_case_fields({"priority": priority}))

    def set_status(self, case_ids: list[str], status: str) -> BulkResult:
        return self._bulk(case_ids, _check_case_fields({"status": status}))

    def add_tags(self, case_ids: list[str], tags: list[str]) -> BulkResult:
        """Add tags to each case's own tag set (case-insensitive; the order kept)."""
        return self._bulk(case_ids, {}, add_tags=_check_tag_words(tags))

    def remove_tags(self, case_ids: list[str], tags: list[str]) -> BulkResult:
        """Remove tags (case-insensitive) from each case's tag set."""
        return self._bulk(case_ids, {}, remove_tags=_check_tag_words(tags))

    def _push_undo(
        self, conn: Any, description: str, entries: list[dict[str, Any]], now: datetime
    ) -> None:
        outbox._rows(
            conn,
            "INSERT INTO undo_action (description, entries, created_at) VALUES (?, ?, ?)",
            (description, outbox._json(entries), outbox.sql_time(now)),
        )
        outbox._rows(
            conn,
            "DELETE FROM undo_action WHERE id NOT IN "
            "(SELECT id FROM undo_action ORDER BY id DESC LIMIT ?)",
            (UNDO_DEPTH,),
        )

    def undo_depth(self) -> int:
        """How many edit actions undo can take back."""
        rows = self.reader._all("SELECT count(*) FROM undo_action")
        return int(rows[0][0]) if rows else 0

    def undo_last(self) -> str | None:
        """Take back the last edit action (single or bulk) by queueing reverting mutations
        for the fields that still hold the value it set; a field someone changed since is
        left alone (and counted in the sentence). Returns one sentence, or None when there
        is nothing to undo. The undo stack (the last 20 actions) lives in the store."""
        self._ensure_schema()
        now = self._now()
        with self._outbox().transaction() as conn:
            rows = outbox._rows(
                conn, "SELECT id, description, entries FROM undo_action ORDER BY id DESC LIMIT 1"
            )
            if not rows:
                return None
            action_id, description, raw = rows[0]
            outbox._rows(conn, "DELETE FROM undo_action WHERE id = ?", (action_id,))
            entries = outbox._load(raw) or []
            undone = left = 0
            for entry in entries:
                case_id = entry["id"]
                set_to, before = entry.get("set", {}), entry.get("before", {})
                current = outbox.read_row(conn, "case", case_id, [*set_to, "tags", "status"])
                if not current:
                    left += 1
                    continue
                revert: dict[str, Any] = {}
                kept = False
                for name, value in set_to.items():
                    if name == "tags":
                        old = list(before.get("tags") or [])
                        added = _tags_minus(list(value or []), old)
                        removed = _tags_minus(old, list(value or []))
                        now_tags = _tags_after(list(current.get("tags") or []), removed, added)
                        if now_tags != (current.get("tags") or []):
                            revert["tags"] = now_tags
                    elif current.get(name) == value:
                        revert[name] = before.get(name)
                    else:
                        kept = True
                if not revert:
                    left += 1
                    continue
                try:
                    changed, _ = self._edit_case(conn, case_id, revert, now)
                except CsmError:
                    if not _via_open(str(current.get("status")), revert):
                        left += 1
                        continue
                    # Solved back to pending or on hold: the rules allow it through open
                    # (two mutations, each one the server accepts).
                    self._edit_case(conn, case_id, {"status": CaseStatus.OPEN.value}, now)
                    changed, _ = self._edit_case(conn, case_id, revert, now)
                if changed:
                    undone += 1
                    if kept:
                        left += 1
                else:
                    left += 1
        total = len(entries)
        return _undo_sentence(str(description), total, undone, left)

    def add_message(self, case_id: str, kind: str, body: str) -> str:
        """Add a public reply or an internal note by this desk's agent; returns its id.
        The case's status stays as it is (:meth:`reply` is the composer's send)."""
        return self._send(case_id, kind, body, status=None, open_new=False)

    def reply(self, case_id: str, kind: str, body: str, status: str | None = None) -> str:
        """Send a public reply or an internal note, and set the case's status with it
        (``status`` None keeps it; a public reply on a new case opens it), in one store
        transaction that also clears the case's draft. Returns the message id.

        Raises CsmError with one sentence and writes nothing when the status move is
        forbidden or the case is closed; the draft is then kept."""
        return self._send(case_id, kind, body, status=status, open_new=True)

    def _send(
        self, case_id: str, kind: str, body: str, *, status: str | None, open_new: bool
    ) -> str:
        if kind not in (MessageKind.PUBLIC, MessageKind.INTERNAL):
            raise CsmError(
                f"A message from the desk is a public reply or an internal note, not {kind!r}."
            )
        text = _check_body(body)
        changes = _check_case_fields({"status": status}) if status is not None else {}
        now = self._now()
        with self._outbox().transaction() as conn:
            case = outbox.read_row(conn, "case", case_id, ["status"])
            if not case:
                raise CsmError("That case is not in the local store; sync and try again.")
            if case["status"] == CaseStatus.CLOSED:
                raise CsmError(_closed_sentence())
            answers_new = kind == MessageKind.PUBLIC and case["status"] == CaseStatus.NEW
            if open_new and not changes and answers_new:
                changes = {"status": CaseStatus.OPEN.value}
            if changes:
                # The status first: a forbidden move stops the message too.
                self._edit_case(conn, case_id, changes, now)
            message_id = self._queue_message_checked(conn, case_id, kind, text, now)
            if open_new:
                drafts.discard(conn, case_id)
        return message_id

    def _queue_message_checked(
        self, conn: Any, case_id: str, kind: str, body: str, now: datetime
    ) -> str:
        """A reply or note in the caller's transaction, refused (CsmError) for an empty
        text or a case that is closed or not in the store; returns the message id."""
        text = _check_body(body)
        case = outbox.read_row(conn, "case", case_id, ["status"])
        if not case:
            raise CsmError("That case is not in the local store; sync and try again.")
        if case["status"] == CaseStatus.CLOSED:
            raise CsmError(_closed_sentence())
        message_id = str(uuid.uuid4())
        self._queue_message(conn, message_id, case_id, MessageKind(kind), text, now)
        return message_id

    # -- macros (the preview and the writing live in csm_tui/macro_apply.py) -------------

    def merge_context(self, case_id: str) -> MergeContext:
        """The merge fields of a case (case, customer, account, me) for templates."""
        from csm_tui import macro_apply

        found = macro_apply.inputs(self, [case_id])
        if not found:
            raise CsmError("That case is not in the local store; sync and try again.")
        return found[0][1]

    def macro_preview(self, macro: Macro, case_ids: list[str]) -> BulkPlan:
        """What ``macro`` would do to each case; nothing is written."""
        from csm_tui import macro_apply

        return macro_apply.preview(self, macro, case_ids)

    def apply_macro(self, plans: list[MacroPlan], *, text: str | None = None) -> BulkResult:
        """Write the previewed plans that are ready, in one store transaction (each case
        its own outbox mutations; a case that cannot take it is skipped with its reason);
        ``text`` is the agent's edit of a single plan's message. One undo step."""
        from csm_tui import macro_apply

        return macro_apply.apply(self, plans, text=text)

    # -- drafts (local only: kept as the agent types, back after a crash or a quit) --------

    def draft(self, case_id: str) -> drafts.Draft | None:
        return self.reader.draft(case_id)

    def save_draft(self, case_id: str, kind: str, body: str) -> None:
        """Keep the composer's text for the case; blank text removes the draft."""
        if kind not in (MessageKind.PUBLIC, MessageKind.INTERNAL):
            raise CsmError(f"A draft is a public reply or an internal note, not {kind!r}.")
        if len(body) > MAX_BODY:
            raise CsmError(f"A message is at most {MAX_BODY:,} characters long.")
        with self._outbox().transaction() as conn:
            drafts.save(conn, case_id, kind, body, self._now())

    def discard_draft(self, case_id: str) -> None:
        with self._outbox().transaction() as conn:
            drafts.discard(conn, case_id)

    def _queue_message(
        self, conn: Any, message_id: str, case_id: str, kind: MessageKind, body: str, now: datetime
    ) -> None:
        agent = _agent_in(conn)
        fields = {
            "case_id": case_id,
            "kind": kind.value,
            "author_agent_id": agent[0] if agent else None,
            "author_name": agent[2] if agent else (self.agent_handle or ""),
            "body": body,
            "created_at": wire_time(now),
        }
        outbox.insert_row(conn, "message", message_id, {**fields, "version": 1})
        outbox.enqueue(
            conn, op="create", entity="message", entity_id=message_id, fields=fields, now=now
        )

    def create_case(
        self,
        *,
        subject: str,
        contact_id: str | None,
        channel: str = "phone",
        queue_id: str | None = None,
        priority: str = "normal",
        note: str = "",
    ) -> str:
        """Open a new case (and, if given, its first internal note); returns the case id.

        Works offline: the case shows as ``NEW-<first 8 of its id>`` until the server's
        number arrives by pull.
        """
        checked = _check_case_fields({"subject": subject, "channel": channel, "priority": priority})
        _check_new_case_ids(contact_id, queue_id)
        text = _check_note(note)
        now = self._now()
        case_id = str(uuid.uuid4())
        with self._outbox().transaction() as conn:
            self._insert_case(conn, case_id, checked, contact_id, queue_id, text, now)
        return case_id

    def _insert_case(
        self,
        conn: Any,
        case_id: str,
        checked: dict[str, Any],
        contact_id: str | None,
        queue_id: str | None,
        note: str,
        now: datetime,
    ) -> None:
        """A new case (checked fields), assigned to me, and its first internal note if any,
        in the caller's transaction: the local rows and their outbox rows."""
        _check_refs(conn, {"queue_id": queue_id, "contact_id": contact_id})
        agent = _agent_in(conn)
        fields: dict[str, Any] = {
            **checked,
            "status": CaseStatus.NEW.value,
            "queue_id": queue_id,
            "assignee_id": agent[0] if agent else None,
            "contact_id": contact_id,
            "tags": [],
            "created_at": wire_time(now),
        }
        local = {**fields, "updated_at": now, "version": 1}  # the number: provisional
        outbox.insert_row(conn, "case", case_id, local)
        outbox.enqueue(conn, op="create", entity="case", entity_id=case_id, fields=fields, now=now)
        if note:
            self._queue_message(conn, str(uuid.uuid4()), case_id, MessageKind.INTERNAL, note, now)

    def create_contact(
        self,
        first_name: str,
        last_name: str,
        email: str = "",
        phone: str = "",
        language: str = "de",
        account_id: str | None = None,
    ) -> str:
        """Add a contact (a caller the store does not know yet); returns its id.

        Works offline: the contact shows the customer number ``NEW-<first 8 of its id>``
        until the server's number (it assigns them) arrives by pull. Raises CsmError with one
        sentence, and writes nothing, for a contact without a name, an e-mail address
        without an @, a language other than de or en, or an account the store lacks.
        """
        fields = check_new_contact(
            {
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "phone": phone,
                "language": language,
                "account_id": account_id,
            }
        )
        now = self._now()
        contact_id = str(uuid.uuid4())
        with self._outbox().transaction() as conn:
            _insert_contact(conn, contact_id, fields, now)
        return contact_id

    def open_phone_case(
        self,
        *,
        subject: str,
        contact_id: str | None = None,
        new_contact: dict[str, Any] | None = None,
        queue_id: str | None = None,
        priority: str = "normal",
        note: str = "",
    ) -> str:
        """A phone call becomes a case at once: the caller (``contact_id``, or a
        ``new_contact`` with :data:`NEW_CONTACT_FIELDS`), the case (channel phone, status
        new, assigned to me) and its first internal note, in one store transaction and in
        that order in the outbox. Returns the case id.

        Works offline (numbers are ``NEW-…`` until the server's arrive by pull). Raises
        CsmError with one sentence, and writes nothing, when the subject or the caller is
        missing or a value is not valid (see :func:`check_phone_case`).
        """
        checked, contact, text = check_phone_case(
            subject=subject,
            contact_id=contact_id,
            new_contact=new_contact,
            priority=priority,
            note=note,
        )
        _check_new_case_ids(contact_id, queue_id)
        now = self._now()
        case_id = str(uuid.uuid4())
        with self._outbox().transaction() as conn:
            if contact is not None:
                contact_id = str(uuid.uuid4())
                _insert_contact(conn, contact_id, contact, now)
            self._insert_case(conn, case_id, checked, contact_id, queue_id, text, now)
        return case_id

    # -- tasks for other teams (fraud, billing, field service) ----------------------------

    def create_task(
        self, case_id: str, team: str, title: str, due_at: datetime | None = None
    ) -> str:
        """Give a task on the case to another team; returns the task id.

        One store transaction holds the local task (shown at once, offline too) and its
        outbox row; the server writes the "Task for … created" event when it arrives.
        ``due_at`` is naive UTC (an aware time is converted); midnight means a due date.
        Raises CsmError with one sentence, and writes nothing, for an unknown team, an empty
        or too long title, a case the store lacks or a closed case."""
        fields = self._check_task_fields({"team": team, "title": title, "due_at": due_at})
        now = self._now()
        self._ensure_task_table()
        with self._outbox().transaction() as conn:
            return self._queue_task(conn, case_id, fields, now)

    def _queue_task(self, conn: Any, case_id: str, fields: dict[str, Any], now: datetime) -> str:
        """A new task (checked fields) in the caller's transaction: local row + outbox row."""
        case = outbox.read_row(conn, "case", case_id, ["status"])
        if not case:
            raise CsmError("That case is not in the local store; sync and try again.")
        if case["status"] == CaseStatus.CLOSED:
            raise CsmError("A closed case takes no new tasks; open a follow-up case for more work.")
        task_id = str(uuid.uuid4())
        agent = _agent_in(conn)
        wire: dict[str, Any] = {
            "case_id": case_id,
            **fields,
            "state": TaskState.OPEN.value,
            "created_at": wire_time(now),
        }
        local = {
            **wire,
            "created_by_agent_id": agent[0] if agent else None,
            "updated_at": now,
            "version": 1,
        }
        outbox.insert_row(conn, "task", task_id, local)
        outbox.enqueue(conn, op="create", entity="task", entity_id=task_id, fields=wire, now=now)
        return task_id

    def set_task_state(self, task_id: str, state: str) -> None:
        """Mark a task open, done or cancelled (see :meth:`update_task`)."""
        self.update_task(task_id, state=state)

    def update_task(self, task_id: str, **fields: Any) -> None:
        """Change a task's ``state``, ``title`` or ``due_at`` locally and queue the change
        (field by field, like a case: a value someone else changed meanwhile comes back as a
        conflict). Tasks of a closed case still take updates: the other team may finish its
        work after the case closed. Raises CsmError with one sentence, writing nothing, for
        an unknown field or value or a task the store lacks."""
        changes = self._check_task_fields(fields, create=False)
        if not changes:
            return
        now = self._now()
        self._ensure_task_table()
        with self._outbox().transaction() as conn:
            current = outbox.read_row(conn, "task", task_id, [*changes, "version", "updated_at"])
            if not current:
                raise CsmError("That task is not in the local store; sync and try again.")
            if current.get("due_at") is not None:
                # The store keeps SQL time text; the server compares wire values.
                current["due_at"] = wire_time(datetime.fromisoformat(str(current["due_at"])))
            changed = {k: v for k, v in changes.items() if current.get(k) != v}
            if not changed:
                return
            outbox.update_row(conn, "task", task_id, changed, current, now)

    def _ensure_task_table(self) -> None:
        # A store made before tasks existed gets the table from the ORM's create_all.
        if not self.reader.has_table("task"):
            _ = self.store

    @staticmethod
    def _check_task_fields(fields: dict[str, Any], *, create: bool = True) -> dict[str, Any]:
        """Validate task fields and return their wire values; CsmError names the problem."""
        allowed = ("team", "title", "due_at") if create else ("state", "title", "due_at")
        unknown = sorted(set(fields) - set(allowed))
        if unknown:
            raise CsmError(
                f"A task has no editable field {', '.join(unknown)}; use {', '.join(allowed)}."
            )
        out: dict[str, Any] = {}
        vocab: dict[str, type[TaskTeam] | type[TaskState]] = {"team": TaskTeam, "state": TaskState}
        for name, value in fields.items():
            if name in vocab:
                try:
                    out[name] = vocab[name](value).value
                except ValueError:
                    allowed_values = ", ".join(m.value for m in vocab[name])
                    raise CsmError(
                        f"{value!r} is not a task {name}; use one of {allowed_values}."
                    ) from None
            elif name == "title":
                text = " ".join(value.split()) if isinstance(value, str) else ""
                if not text:
                    raise CsmError("A task needs a title; write what the team should do.")
                if len(text) > MAX_TASK_TITLE:
                    raise CsmError(f"A task title is at most {MAX_TASK_TITLE} characters long.")
                out[name] = text
            elif name == "due_at":
                if value is None:
                    out[name] = None
                    continue
                if not isinstance(value, datetime):
                    raise CsmError("The due time of a task must be a date and time, or none.")
                if value.tzinfo is not None:
                    value = value.astimezone(UTC).replace(tzinfo=None)
                out[name] = wire_time(value.replace(microsecond=0))
        return out

    # -- macros and snippets (shared: leads and admins change them; personal: the owner) ---

    def macros(self) -> list[Macro]:
        """The macros this agent can use (the shared ones and their own), by name. A macro
        whose stored actions this desk cannot read (a newer server's) is left out."""
        from csm_tui.domain import macros as rules

        found = [m for m in map(self._macro_of, self.reader.macro_records()) if m is not None]
        return sorted(rules.visible(found, self.me_id), key=lambda m: (m.name.casefold(), m.id))

    def macro(self, macro_id: str) -> Macro | None:
        return next((m for m in self.macros() if m.id == macro_id), None)

    def snippets(self) -> list[Snippet]:
        """The snippets this agent can use (the shared ones and their own), by shortcut."""
        from csm_tui.domain import snippets as rules

        found = [self._snippet_of(r) for r in self.reader.snippet_records()]
        return sorted(rules.visible(found, self.me_id), key=lambda s: (s.shortcut, s.id))

    def can_change(self, item: Macro | Snippet) -> bool:
        """Whether this agent may edit or delete the macro or snippet (shared ones: leads
        and admins; personal ones: their owner). Anyone may duplicate a macro."""
        from csm_tui.domain.macros import change_refusal

        me = self.me_id
        role = self.reader.agent_role(me) if me else None
        return change_refusal("macro", item.scope, item.owner_id, me, role) is None

    def save_macro(self, macro: Macro) -> str:
        """Create the macro (an id the store lacks, or "") or change it (name, description
        and actions; its scope and owner stay); returns its id. A new personal macro is the
        signed-in agent's. One store transaction: the local row and its outbox row. Raises
        CsmError with one sentence, writing nothing, for what the server would refuse: a
        problem of :func:`~csm_tui.domain.macros.check_macro`, a shared macro and an agent
        who is no lead, another agent's macro, a change of scope, no sync yet."""
        self._ensure_library_tables()
        now = self._now()
        with self._outbox().transaction() as conn:
            return self._save_macro_in(conn, macro, now)

    def _save_macro_in(self, conn: Any, macro: Macro, now: datetime) -> str:
        from csm_tui.domain import macros as rules

        macro_id = self._library_id(macro.id, "macro")
        me = self._library_agent(conn)
        current = outbox.read_row(conn, "macro", macro_id, outbox.MACRO_COLUMNS)
        self._check_scope_kept("macro", current, macro.scope)
        owner = current.get("owner_agent_id") if current else me
        checked = replace(
            macro,
            id=macro_id,
            name=clean_line(macro.name) if isinstance(macro.name, str) else macro.name,
            description=macro.description.strip()
            if isinstance(macro.description, str)
            else macro.description,
            owner_id=owner if macro.scope == "personal" else None,
        )
        problems = rules.check_macro(checked)
        if problems:
            raise CsmError(problems[0])
        fields: dict[str, Any] = {
            "name": checked.name,
            "description": checked.description,
            "actions": [rules.action_to_dict(a) for a in checked.actions],
        }
        self._save_library_row(conn, "macro", macro_id, checked, fields, current, me, now)
        return macro_id

    def duplicate_macro(self, macro_id: str, name: str) -> str:
        """A personal copy of a macro this agent can see, named ``name``; returns its id."""
        source = self.macro(macro_id)
        if source is None:
            raise CsmError("That macro is not in the local store; sync and try again.")
        copy = replace(source, id=str(uuid.uuid4()), name=name, scope="personal", owner_id=None)
        return self.save_macro(copy)

    def delete_macro(self, macro_id: str) -> None:
        """Delete a macro (shared: leads only; personal: its owner) locally and queue the
        delete; should the server refuse it, the macro comes back."""
        self._delete_library_row("macro", macro_id)

    def save_snippet(self, snippet: Snippet) -> str:
        """Create or change a snippet (shortcut, title, body), like :meth:`save_macro`."""
        self._ensure_library_tables()
        now = self._now()
        with self._outbox().transaction() as conn:
            return self._save_snippet_in(conn, snippet, now)

    def _save_snippet_in(self, conn: Any, snippet: Snippet, now: datetime) -> str:
        from csm_tui.domain import snippets as rules

        snippet_id = self._library_id(snippet.id, "snippet")
        try:
            shortcut = rules.normalize_shortcut(str(snippet.shortcut))
        except ValueError as err:
            raise CsmError(str(err)) from None
        me = self._library_agent(conn)
        current = outbox.read_row(conn, "snippet", snippet_id, outbox.SNIPPET_COLUMNS)
        self._check_scope_kept("snippet", current, snippet.scope)
        owner = current.get("owner_agent_id") if current else me
        checked = replace(
            snippet,
            id=snippet_id,
            shortcut=shortcut,
            title=clean_line(snippet.title) if isinstance(snippet.title, str) else "",
            owner_id=owner if snippet.scope == "personal" else None,
        )
        problems = (
            rules.check_snippet(checked)
            if isinstance(checked.body, str)
            else ["A snippet needs some text."]
        )
        if problems:
            raise CsmError(problems[0])
        fields = {"shortcut": shortcut, "title": checked.title, "body": checked.body}
        self._save_library_row(conn, "snippet", snippet_id, checked, fields, current, me, now)
        return snippet_id

    def import_library(
        self, macros: list[Macro], snippets: list[Snippet], *, shared: bool = False
    ) -> tuple[list[str], list[str]]:
        """Save macros and snippets read from a file (``csm macros import``) as the signed-in
        agent's personal ones, or as shared ones (``shared``: leads only), all in one store
        transaction (all or nothing); returns their ids. One whose id the store holds, in
        that scope and changeable by this agent, is updated; any other gets a new id."""
        from csm_tui.domain.macros import change_refusal

        scope = "shared" if shared else "personal"
        self._ensure_library_tables()
        now = self._now()
        with self._outbox().transaction() as conn:
            me = self._library_agent(conn)
            self._library_refusal(conn, "macro" if macros else "snippet", scope, me, me)
            rows = outbox._rows(conn, "SELECT role FROM agent WHERE id = ?", (me,))
            role = str(rows[0][0]) if rows else None

            def target_id(kind: str, item_id: str) -> str:
                current = outbox.read_row(conn, kind, item_id, ["scope", "owner_agent_id"])
                if current and current.get("scope") == scope:
                    owner = current.get("owner_agent_id")
                    if change_refusal(kind, scope, owner, me, role) is None:
                        return item_id
                return str(uuid.uuid4())

            macro_ids = [
                self._save_macro_in(
                    conn,
                    replace(m, id=target_id("macro", m.id), scope=scope, owner_id=None),
                    now,
                )
                for m in macros
            ]
            snippet_ids = [
                self._save_snippet_in(
                    conn,
                    replace(s, id=target_id("snippet", s.id), scope=scope, owner_id=None),
                    now,
                )
                for s in snippets
            ]
        return macro_ids, snippet_ids

    def delete_snippet(self, snippet_id: str) -> None:
        self._delete_library_row("snippet", snippet_id)

    def record_macro_use(self, macro_id: str, case_id: str) -> str:
        """Remember that a macro was applied to a case, with the case's queue, tags and
        subject as they are now (what the suggestions learn from); returns the use's id.
        Works offline; the record goes to the server with the next sync."""
        self._ensure_library_tables()
        now = self._now()
        with self._outbox().transaction() as conn:
            return self._queue_macro_use(conn, macro_id, case_id, now)

    def _queue_macro_use(self, conn: Any, macro_id: str, case_id: str, now: datetime) -> str:
        """:meth:`record_macro_use` in the caller's transaction (applying a macro can
        record its use in the same one)."""
        case = outbox.read_row(conn, "case", case_id, ["subject", "tags", "queue_id"])
        if not case:
            raise CsmError("That case is not in the local store; sync and try again.")
        macro = outbox.read_row(conn, "macro", macro_id, ["scope", "owner_agent_id"])
        if not macro:
            raise CsmError("That macro is not in the local store; sync and try again.")
        agent = _agent_in(conn)
        if macro["scope"] != "shared" and (not agent or macro["owner_agent_id"] != agent[0]):
            raise CsmError("Only its owner can use a personal macro.")
        slug = outbox._rows(conn, "SELECT slug FROM queue WHERE id = ?", (case["queue_id"],))
        use_id = str(uuid.uuid4())
        wire: dict[str, Any] = {
            "macro_id": macro_id,
            "case_id": case_id,
            "queue": str(slug[0][0]) if slug else "",
            "tags": list(case.get("tags") or []),
            "subject": case.get("subject") or "",
            "created_at": wire_time(now),
        }
        local = {**wire, "agent_id": agent[0] if agent else None, "version": 1}
        outbox.insert_row(conn, "macro_use", use_id, local)
        outbox.enqueue(
            conn, op="create", entity="macro_use", entity_id=use_id, fields=wire, now=now
        )
        return use_id

    def suggester(self) -> Suggester:
        """What every recorded macro use (all agents') teaches, ready to rank macros for a
        case. Built from the store and kept until the store changes: read it, do not
        ``record`` into it (record a use with :meth:`record_macro_use`)."""
        from csm_tui.domain.macros import Suggester

        def build() -> Suggester:
            learned = Suggester()
            for use in self.reader.macro_uses():
                learned.record(use.macro_id, queue=use.queue, tags=use.tags, subject=use.subject)
            return learned

        return self.reader.cached(("suggester",), build)  # type: ignore[no-any-return]

    def suggest_macros(
        self, case_id: str, limit: int | None = None
    ) -> list[tuple[Macro, Suggestion]]:
        """The agent's macros ranked for a case (its queue, tags and subject), best first."""
        macros = {m.id: m for m in self.macros()}
        rows = self.reader.merge_rows([case_id])
        if not rows:
            raise CsmError("That case is not in the local store; sync and try again.")
        row = rows[0]
        ranked = self.suggester().rank(
            list(macros),
            queue=row["queue"],
            tags=row["tags"],
            subject=row["subject"] or "",
            limit=limit,
        )
        return [(macros[s.macro_id], s) for s in ranked]

    @staticmethod
    def _macro_of(record: Any) -> Macro | None:
        from csm_tui.domain import macros as rules

        try:
            actions = tuple(
                rules.action_from_dict(a, where=f"Macro {record.name!r}", n=n)
                for n, a in enumerate(record.actions, 1)
            )
        except ValueError:
            return None
        return rules.Macro(
            id=record.id,
            name=record.name,
            actions=actions,
            scope=record.scope,
            owner_id=record.owner_agent_id,
            description=record.description,
        )

    @staticmethod
    def _snippet_of(record: Any) -> Snippet:
        from csm_tui.domain.snippets import Snippet

        return Snippet(
            id=record.id,
            shortcut=record.shortcut,
            title=record.title,
            body=record.body,
            scope=record.scope,
            owner_id=record.owner_agent_id,
        )

    @staticmethod
    def _library_id(value: Any, kind: str) -> str:
        if value in (None, ""):
            return str(uuid.uuid4())
        if not isinstance(value, str) or len(value) > 36 or not value.strip():
            raise CsmError(f"A {kind} id is text of at most 36 characters.")
        return value

    def _ensure_library_tables(self) -> None:
        # A store made before macros existed gets the tables from the ORM's create_all.
        if not self.reader.has_table("macro_use"):
            _ = self.store

    @staticmethod
    def _library_agent(conn: Any) -> str:
        agent = _agent_in(conn)
        if agent is None:
            raise CsmError("Sync once so the desk knows who you are.")
        return agent[0]

    @staticmethod
    def _check_scope_kept(kind: str, current: dict[str, Any], scope: Any) -> None:
        if current and current.get("scope") != scope:
            other = "personal" if current.get("scope") == "shared" else "shared"
            raise CsmError(
                f"A {kind} stays {current.get('scope')}; duplicate it to make a {other} one."
            )

    @staticmethod
    def _library_refusal(conn: Any, kind: str, scope: Any, owner: Any, me: str) -> None:
        from csm_tui.domain.macros import change_refusal

        rows = outbox._rows(conn, "SELECT role FROM agent WHERE id = ?", (me,))
        role = str(rows[0][0]) if rows else None
        reason = change_refusal(kind, str(scope), owner, me, role)
        if reason is not None:
            raise CsmError(reason)

    def _save_library_row(
        self,
        conn: Any,
        kind: str,
        row_id: str,
        item: Macro | Snippet,
        fields: dict[str, Any],
        current: dict[str, Any],
        me: str,
        now: datetime,
    ) -> None:
        """The create or update of a checked macro or snippet, in the caller's transaction."""
        self._library_refusal(conn, kind, item.scope, item.owner_id, me)
        if not current:
            wire = {**fields, "scope": item.scope}
            local = {**wire, "owner_agent_id": item.owner_id, "version": 1, "updated_at": now}
            outbox.insert_row(conn, kind, row_id, local)
            outbox.enqueue(conn, op="create", entity=kind, entity_id=row_id, fields=wire, now=now)
            return
        changed = {k: v for k, v in fields.items() if current.get(k) != v}
        if not changed:
            return
        outbox.update_row(conn, kind, row_id, changed, current, now)

    def _delete_library_row(self, kind: str, row_id: str) -> None:
        self._ensure_library_tables()
        now = self._now()
        columns = outbox.MACRO_COLUMNS if kind == "macro" else outbox.SNIPPET_COLUMNS
        with self._outbox().transaction() as conn:
            me = self._library_agent(conn)
            current = outbox.read_row(conn, kind, row_id, columns)
            if not current:
                raise CsmError(f"That {kind} is not in the local store; sync and try again.")
            self._library_refusal(
                conn, kind, current.get("scope"), current.get("owner_agent_id"), me
            )
            outbox.delete_row(conn, kind, row_id)
            outbox.enqueue(
                conn,
                op="delete",
                entity=kind,
                entity_id=row_id,
                fields={},
                base=current,
                base_version=current.get("version"),
                now=now,
            )

    # -- knowledge (issue #6: articles, search, suggestions, proposals; the queries and
    # -- commands live in csm_tui/store/knowledge.py, the rules in domain/knowledge.py) ----

    @property
    def knowledge(self) -> Knowledge:
        """The knowledge base over this desk's store (built on first use)."""
        kb = self.__dict__.get("_knowledge_base")
        if kb is None:
            kb = Knowledge(self.reader, self._outbox, lambda: self.store)
            kb = self.__dict__.setdefault("_knowledge_base", kb)
        return kb  # type: ignore[no-any-return]

    def search_articles(self, text: str, state: str = "published") -> ArticleResults:
        """Articles matching ``text`` in the filter ``state`` ("published", "proposed",
        "all"), best first (no text: the latest); offline, from the store's FTS5 index."""
        return self.knowledge.search(text, state=state)

    def article(self, article_id: str) -> ArticleRow | None:
        return self.knowledge.article(article_id)

    def article_count(self, state: str = "published") -> int:
        return self.knowledge.count(state)

    def suggest_articles(self, case_id: str, limit: int = 5) -> list[ArticleRow]:
        """Published articles for a case (its subject, tags and latest customer message)."""
        return self.knowledge.suggest(case_id, limit)

    def my_replies(self, case_id: str) -> list[tuple[str, str]]:
        """(id, text) of the public replies the signed-in agent wrote on the case, newest
        first."""
        return self.knowledge.my_replies(case_id, self.me_id)

    @property
    def can_publish(self) -> bool:
        """Whether the signed-in agent may publish articles (leads and admins)."""
        from csm_tui.domain.knowledge import is_lead

        me = self.me_id
        return me is not None and is_lead(self.reader.agent_role(me))

    def propose_article(
        self,
        title: str,
        body: str,
        language: str,
        tags: list[str] | tuple[str, ...] = (),
        product: str = "",
        source_case_id: str | None = None,
    ) -> str:
        """Propose an article (state "proposed"; a lead publishes it); returns its id. One
        store transaction with its outbox row; CsmError with one sentence for a problem."""
        me = self.me_id
        if me is None:
            raise CsmError("Sync once so the desk knows who you are.")
        return self.knowledge.propose(
            me,
            self._now(),
            title=title,
            body=body,
            language=language,
            tags=tags,
            product=product,
            source_case_id=source_case_id,
        )

    def publish_article(self, article_id: str) -> None:
        """Publish a proposal (leads and admins only: others get the refusal sentence)."""
        me = self.me_id
        if me is None:
            raise CsmError("Sync once so the desk knows who you are.")
        self.knowledge.publish(article_id, me, self.reader.agent_role(me), self._now())

    def withdraw_article(self, article_id: str) -> None:
        """Delete an article: leads any, an agent their own proposal."""
        me = self.me_id
        if me is None:
            raise CsmError("Sync once so the desk knows who you are.")
        self.knowledge.withdraw(article_id, me, self.reader.agent_role(me), self._now())

    # -- SLA (computed here, offline, from the store; the policies sync from the server) --

    def sla_toml(self) -> str:
        """The SLA calendars and policies in force as TOML: the synced file, else the
        defaults (what ``csm admin sla export`` writes)."""
        from csm_tui.store import sla_facts

        text = sla_facts.config_text(self.reader)
        if text is not None:
            return text
        from csm_tui.domain.sla import default_calendars, default_policies, policies_to_toml

        return policies_to_toml(default_calendars(), default_policies())

    def sla_synced(self) -> bool:
        """Whether the store holds SLA policies (synced, or imported here and on their way);
        else the defaults apply."""
        from csm_tui.store import sla_facts

        return sla_facts.config_text(self.reader) is not None

    def sla_book(self) -> SlaBook:
        """The calendars and policies in force: the synced ``sla_config`` row, else (none
        synced yet, or a file this desk cannot read) the defaults. Built once and kept until
        the row's text changes."""
        from csm_tui.domain.sla import SlaBook, policies_from_toml
        from csm_tui.store import sla_facts

        text = self.reader.cached(("sla_toml",), lambda: sla_facts.config_text(self.reader))
        held = self._sla_book
        if held is not None and held[0] == text:
            return held[1]
        book: SlaBook | None = None
        if text is not None:
            try:
                book = SlaBook(*policies_from_toml(text))
            except ValueError:
                book = None  # a newer server's format: the defaults rather than nothing
        if book is None:
            book = SlaBook.defaults()
        self._sla_book = (text, book)
        return book

    def sla_facts(self, case_ids: list[str]) -> dict[str, CaseFacts]:
        """What the SLA engine needs of each case (ids the store lacks are left out), read
        in two queries per 5,000 cases: see :mod:`csm_tui.store.sla_facts`."""
        from csm_tui.store import sla_facts

        return sla_facts.load_facts(self.reader, case_ids)

    def sla_watch(
        self, case_ids: list[str], now: datetime | None = None
    ) -> dict[str, Watch | None]:
        """Each case's live SLA (:class:`~csm_tui.domain.sla.Watch`: the active metric due
        first; ``.at(now)`` gives left/breached/at risk at any instant), None for a case
        with no active metric; ids the store lacks are left out. Computed once per case
        and kept until the store changes (or the policies do), so the queue can ask for its
        visible rows on every repaint."""
        from csm_tui.domain.sla import watch

        book = self.sla_book()
        version = self.reader.data_version()
        held = getattr(self._sla_local, "watches", None)
        if held is None or held[0] != version or held[1] is not book:
            held = (version, book, {})
            self._sla_local.watches = held
        known: dict[str, Watch | None] = held[2]
        missing = [i for i in dict.fromkeys(case_ids) if i not in known]
        if missing:
            # No reference cycles are made here: the collector's passes over the growing
            # results would cost more than the work (see ``SlaBook.compute_many``).
            was_enabled = gc.isenabled()
            gc.disable()
            try:
                facts = self.sla_facts(missing)
                if len(known) + len(facts) > SLA_WATCH_CACHE:
                    known.clear()
                at = _sla_instant(facts.values(), now or self.clock())
                states = book.compute_many(facts.values(), at)
                for case_id, case_states in zip(facts, states, strict=True):
                    known[case_id] = watch(case_states)
            finally:
                if was_enabled:
                    gc.enable()
        return {i: known[i] for i in case_ids if i in known}

    def refresh_sla(self) -> int:
        """Compute the next breach of every case marked since the last call (pulled,
        edited, or all of them after a policy change) into the store's SLA index, which the
        queue's SLA column and sort read. A batch per write transaction; returns how many
        cases were computed. Cheap when nothing is marked (one indexed read)."""
        from csm_tui.store import sla_index

        self._ensure_schema()
        if not self.reader.has_table("case_sla_dirty"):
            return 0
        if not sla_index.has_dirty(self._outbox().read()):
            return 0
        done = 0
        while True:
            with self._outbox().transaction() as conn:
                n = sla_index.refresh_batch(conn, self.sla_watch)
            if not n:
                return done
            done += n

    def sla_states(self, case_id: str, now: datetime | None = None) -> list[MetricState]:
        """Every metric state of one case at ``now`` (the case screen's badges), or []
        when the store lacks the case or no policy applies to it."""
        facts = self.sla_facts([case_id]).get(case_id)
        if facts is None:
            return []
        return self.sla_book().compute(facts, _sla_instant([facts], now or self.clock()))

    def sla_data_age(self, now: datetime | None = None) -> str:
        """How old the data behind the SLA figures is ("SLA from data 12 min old"), from the
        last sync that pulled into this store."""
        from csm_tui.domain.sla import data_age_text

        return data_age_text(self._last_sync_at(), now or self.clock())

    def sla_panel(self, now: datetime | None = None) -> SlaPanelData:
        """Everything the lead's SLA panel shows, read in one go (blocking: store reads and
        the SLA engine; call it from a worker): see :mod:`csm_tui.sla_panel_data`."""
        from csm_tui.sla_panel_data import load_panel

        return load_panel(self, now)

    def import_sla(self, text: str) -> bool:
        """Make ``text`` (an SLA file: TOML calendars and policies) the policies in force:
        the local row and its outbox mutation in one transaction, pushed with the next
        sync. Returns False (and queues nothing) when they already are those. Raises
        CsmError with one sentence, writing nothing, for a file the SLA engine refuses, an
        agent who is no team lead or admin, or a desk that never synced."""
        from csm_tui.domain.models import SLA_CONFIG_ID, SLA_CONFIG_NAME
        from csm_tui.domain.sla import policies_from_toml
        from csm_tui.domain.sla_policy import MAX_SLA_FILE, sla_change_refusal

        if not isinstance(text, str):
            raise CsmError("An SLA file is TOML text.")
        if len(text) > MAX_SLA_FILE:
            raise CsmError(f"An SLA file is at most {MAX_SLA_FILE} characters long.")
        try:
            policies_from_toml(text)
        except ValueError as err:
            raise CsmError(str(err)) from None
        if not self.reader.has_table("sla_config"):
            _ = self.store  # a store made before SLA policies synced: create the table
        now = self._now()
        with self._outbox().transaction() as conn:
            me = self._library_agent(conn)
            rows = outbox._rows(conn, "SELECT role FROM agent WHERE id = ?", (me,))
            reason = sla_change_refusal(str(rows[0][0]) if rows else None)
            if reason is not None:
                raise CsmError(reason)
            found = outbox._rows(
                conn,
                "SELECT id FROM sla_config WHERE name = ? ORDER BY id LIMIT 1",
                (SLA_CONFIG_NAME,),
            )
            config_id = str(found[0][0]) if found else SLA_CONFIG_ID
            current = outbox.read_row(conn, "sla_config", config_id, outbox.SLA_CONFIG_COLUMNS)
            if not current:
                wire = {"name": SLA_CONFIG_NAME, "toml": text}
                local = {**wire, "version": 1, "updated_at": now}
                outbox.insert_row(conn, "sla_config", config_id, local)
                outbox.enqueue(
                    conn,
                    op="create",
                    entity="sla_config",
                    entity_id=config_id,
                    fields=wire,
                    now=now,
                )
                return True
            if current.get("toml") == text:
                return False
            outbox.update_row(conn, "sla_config", config_id, {"toml": text}, current, now)
        return True

    def resolve_conflict(self, conflict_id: int, keep: Literal["mine", "theirs"]) -> None:
        """Settle one conflict: ``mine`` queues my value again (based on theirs), ``theirs``
        keeps the server's value. Either way the conflict row goes."""
        if keep not in ("mine", "theirs"):
            raise CsmError("Keep either 'mine' or 'theirs'.")
        now = self._now()
        with self._outbox().transaction() as conn:
            found = outbox._rows(
                conn,
                "SELECT entity, entity_id, field, mine, theirs FROM conflict WHERE id = ?",
                (conflict_id,),
            )
            if not found:
                raise CsmError("That conflict is already resolved.")
            entity, entity_id, field, mine, theirs = found[0]
            mine, theirs = outbox._load(mine), outbox._load(theirs)
            outbox._rows(conn, "DELETE FROM conflict WHERE id = ?", (conflict_id,))
            if entity != "case":
                return
            current = outbox.read_row(
                conn, "case", entity_id, [field, "status", "version", "updated_at"]
            )
            if not current:
                return  # the case is gone; nothing to keep
            if keep == "theirs":
                # Nothing to write: the store already shows the server's value (the push
                # result wrote ``theirs``; pulls since may have brought a newer one, which
                # the stale ``theirs`` of the conflict row must not overwrite).
                return
            if field in EDITABLE_CASE_FIELDS:
                mine = _check_case_fields({field: mine})[field]
            status = CaseStatus(current["status"])
            if field == "status":
                try:
                    check_transition(status, CaseStatus(mine))
                except TransitionError as err:
                    raise CsmError(str(err)) from None
            elif status == CaseStatus.CLOSED:
                raise CsmError(_closed_sentence())
            outbox.update_row(
                conn, "case", entity_id, {field: mine}, current, now, base={field: theirs}
            )

    def resolve_all(self, keep: Literal["mine", "theirs"]) -> None:
        """Settle every conflict the same way; those that cannot be kept as mine (say, a
        status the rules no longer allow) are left, and the first reason is raised."""
        problems: list[str] = []
        for conflict in self.conflicts():
            try:
                self.resolve_conflict(conflict.id, keep)
            except CsmError as err:
                problems.append(f"{conflict.case_number or conflict.entity_id}: {err}")
        if problems:
            n = len(problems)
            raise CsmError(
                f"{n} conflict{'s' if n != 1 else ''} could not be kept as yours "
                f"(first, {problems[0].rstrip('.')})."
            )

    def dismiss_rejected(self, rejected_id: int) -> None:
        with self._outbox().transaction() as conn:
            outbox._rows(conn, "DELETE FROM rejected WHERE id = ?", (rejected_id,))

    # -- live ----------------------------------------------------------------------------

    def start_live(self, on_change: Callable[[], None]) -> None:
        """Listen to the server's live stream; ``on_change`` is called (from the listener's
        thread) when the server has changes this desk has not pulled. Never blocks: the
        listener connects in its own thread."""
        if self._live_connect is None:
            return
        with self._live_lock:
            if self._live is not None:
                return
            from csm_tui.sync.live import LiveListener

            def poked(seq: int) -> None:
                if seq > self.reader.cursor_seq():
                    on_change()

            self._live = LiveListener(
                self._live_connect,
                poked,
                self.reader.cursor_seq() or None,
                cursor=lambda: self.reader.cursor_seq(),
            )
            self._live.start()

    def stop_live(self) -> None:
        with self._live_lock:
            live, self._live = self._live, None
        if live is not None:
            live.stop()

    @property
    def live(self) -> LiveListener | None:
        return self._live

    # -- presence (who else has a case open; online only, never stored) --------------------

    def announce_presence(self, case_id: str, composing: bool = False) -> list[Viewer]:
        """Tell the server this agent has the case open (``composing``: and is writing a
        reply); returns the other agents who have it open. [] at once without a server.

        Blocks on the network (call it from a worker thread), on a client of its own so it
        never waits behind a sync. Raises CsmError (offline, refused) on failure."""
        if self._connect is None:
            return []
        return self._presence().presence(case_id, composing)

    def leave_case(self, case_id: str) -> None:
        """Tell the server this agent closed the case (blocks; a worker thread's call)."""
        if self._connect is None:
            return
        self._presence().leave(case_id)

    def _presence(self) -> CaseServerClient:
        with self._presence_lock:
            if self._presence_closed:
                raise CsmError("This desk is closed; presence is no longer announced.")
            if self._presence_client is None:
                assert self._live_connect is not None
                self._presence_client = self._live_connect()
            return self._presence_client


def _sla_instant(facts: Any, now: datetime) -> datetime:
    """``now``, or the latest fact of ``facts`` when that is later: a message stamped by a
    server clock a little ahead of this desk's must count at once."""
    latest = now
    for f in facts:
        if f.statuses and f.statuses[-1][0] > latest:
            latest = f.statuses[-1][0]
        if f.messages and f.messages[-1][0] > latest:
            latest = f.messages[-1][0]
    return latest


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _via_open(current: str, revert: dict[str, Any]) -> bool:
    """Whether a status the rules do not allow directly is reachable through open."""
    target = revert.get("status")
    if target is None or current not in CaseStatus.__members__.values():
        return False
    open_ = CaseStatus.OPEN
    return can_transition(CaseStatus(current), open_) and can_transition(open_, CaseStatus(target))


def _undo_sentence(description: str, total: int, undone: int, left: int) -> str:
    if undone == 0:
        return (
            f"Nothing undone for {description} on {_plural(total, 'case')}: "
            "each was changed since or cannot go back."
        )
    if left == 0:
        return f"Undid: {description} on {_plural(undone, 'case')}."
    return (
        f"Undid: {description} on {undone} of {_plural(total, 'case')} "
        f"({left} changed since or unable to go back were left alone)."
    )


def _undo_entry(case_id: str, changed: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    return {"id": case_id, "set": changed, "before": base}


def _tag_key(tag: str) -> str:
    return tag.casefold()


def _tags_minus(tags: list[str], other: list[str]) -> tuple[str, ...]:
    drop = {_tag_key(t) for t in other}
    return tuple(t for t in tags if _tag_key(t) not in drop)


def _tags_after(tags: list[str], add: tuple[str, ...], remove: tuple[str, ...]) -> list[str]:
    """A tag list with ``remove`` taken out and ``add`` appended (as a set, ignoring case;
    the order and spelling of the tags already there are kept)."""
    drop = {_tag_key(t) for t in remove}
    out = [t for t in tags if _tag_key(t) not in drop]
    have = {_tag_key(t) for t in out}
    for tag in add:
        if _tag_key(tag) not in have:
            out.append(tag)
            have.add(_tag_key(tag))
    return out


def _check_tag_words(tags: Any) -> tuple[str, ...]:
    if isinstance(tags, str):
        tags = [tags]
    checked = _check_case_fields({"tags": list(tags or [])})["tags"]
    return tuple(t.lstrip("#") for t in checked if t.lstrip("#"))


def _name_of(conn: Any, table: str, value: str | None) -> str:
    if value is None:
        return "none"
    rows = outbox._rows(conn, f"SELECT name FROM {table} WHERE id = ?", (value,))
    return str(rows[0][0]) if rows else value


def _describe(
    conn: Any,
    changes: dict[str, Any],
    add_tags: tuple[str, ...] = (),
    remove_tags: tuple[str, ...] = (),
) -> str:
    """A few words for the undo sentence: "priority urgent", "status solved", ..."""
    parts: list[str] = []
    for name, value in changes.items():
        if name == "assignee_id":
            parts.append(f"assignee {_name_of(conn, 'agent', value)}")
        elif name == "queue_id":
            parts.append(f"queue {_name_of(conn, 'queue', value)}")
        elif name == "tags":
            parts.append("tags")
        elif name == "subject":
            parts.append("subject")
        else:
            parts.append(f"{name} {str(value).replace('_', ' ')}")
    if add_tags:
        parts.append("tags " + " ".join(f"+{t}" for t in add_tags))
    if remove_tags:
        parts.append("tags " + " ".join(f"-{t}" for t in remove_tags))
    return ", ".join(parts) or "an edit"


def _check_case_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate case fields and return their wire values; CsmError names the first problem."""
    unknown = sorted(set(fields) - set(EDITABLE_CASE_FIELDS))
    if unknown:
        raise CsmError(
            f"A case has no editable field {', '.join(unknown)}; "
            f"use {', '.join(EDITABLE_CASE_FIELDS)}."
        )
    out: dict[str, Any] = {}
    vocab: dict[str, type[Any]] = {"status": CaseStatus, "priority": Priority, "channel": Channel}
    for name, value in fields.items():
        if name in vocab:
            enum = vocab[name]
            try:
                out[name] = enum(value).value
            except ValueError:
                allowed = ", ".join(m.value for m in enum)
                raise CsmError(f"{value!r} is not a {name}; use one of {allowed}.") from None
        elif name == "subject":
            if not isinstance(value, str) or not value.strip():
                raise CsmError("A case needs a subject; write a few words about the problem.")
            if len(value) > MAX_SUBJECT:
                raise CsmError(f"A subject is at most {MAX_SUBJECT} characters long.")
            out[name] = " ".join(value.split())
        elif name in ("queue_id", "assignee_id"):
            if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 64):
                raise CsmError(f"The {name.removesuffix('_id')} must be an id or none.")
            out[name] = value
        elif name == "tags":
            if isinstance(value, str) or not all(isinstance(t, str) for t in value or ()):
                raise CsmError("Tags are a list of words.")
            tags: list[str] = []
            for tag in value or ():
                tag = " ".join(tag.split())
                if tag and tag not in tags:
                    tags.append(tag)
            if len(tags) > MAX_TAGS:
                raise CsmError(f"A case takes at most {MAX_TAGS} tags.")
            out[name] = tags
    return out


def _check_note(note: Any) -> str:
    """The first note of a new case: blank is no note."""
    if note is None or (isinstance(note, str) and not note.strip()):
        return ""
    return _check_body(note)


def _check_new_case_ids(contact_id: Any, queue_id: Any) -> None:
    if not isinstance(contact_id, str | None) or (
        isinstance(contact_id, str) and not 0 < len(contact_id) <= 64
    ):
        raise CsmError("The contact of a new case must be a contact id or none.")
    if not isinstance(queue_id, str | None):
        raise CsmError("The queue of a new case must be a queue id or none.")


def check_new_contact(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a new contact (:data:`NEW_CONTACT_FIELDS`; missing ones are blank, language
    de) and return its wire fields; CsmError names the first problem in one sentence.
    Pure: the account is checked against the store when the contact is written."""
    if not isinstance(values, Mapping):
        raise CsmError("A new contact is given as its fields (first_name, last_name, ...).")
    unknown = sorted(set(values) - set(NEW_CONTACT_FIELDS))
    if unknown:
        raise CsmError(
            f"A new contact has no field {', '.join(unknown)}; use {', '.join(NEW_CONTACT_FIELDS)}."
        )
    out: dict[str, Any] = {}
    for name, longest in MAX_CONTACT_TEXT.items():
        value = values.get(name) or ""
        if not isinstance(value, str):
            raise CsmError(f"The {name.replace('_', ' ')} of a contact must be text.")
        value = clean_line(value)
        if len(value) > longest:
            raise CsmError(
                f"The {name.replace('_', ' ')} of a contact is at most {longest} characters long."
            )
        out[name] = value
    if not (out["first_name"] or out["last_name"]):
        raise CsmError("A new contact needs a name; write at least a first or a last name.")
    email = out["email"]
    if email:
        local, _, domain = email.rpartition("@")
        if not local or not domain or " " in email:
            raise CsmError(f"{email!r} is not an e-mail address; it needs a name, @ and a domain.")
    if out["phone"] and not any(c.isdigit() for c in out["phone"]):
        raise CsmError(f"{out['phone']!r} is not a phone number; it has no digits.")
    language = values.get("language") or "de"
    if not isinstance(language, str) or language.strip().lower() not in CONTACT_LANGUAGES:
        raise CsmError(
            f"{language!r} is not a contact language; use one of {', '.join(CONTACT_LANGUAGES)}."
        )
    out["language"] = language.strip().lower()
    account_id = values.get("account_id")
    if account_id is not None and (
        not isinstance(account_id, str) or not 0 < len(account_id) <= 36
    ):
        raise CsmError("The account of a contact must be an account id or none.")
    out["account_id"] = account_id
    return out


def check_phone_case(
    *,
    subject: Any,
    contact_id: Any = None,
    new_contact: Mapping[str, Any] | None = None,
    priority: Any = "normal",
    note: Any = "",
) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """Validate a phone case before anything is written (the new-case modal asks too, to
    show the sentence while the typed text is still there). Returns the case's wire fields
    (subject, channel phone, priority), the new contact's fields (or None) and the note.
    The caller comes first, as on the form: an existing contact or a new one, not both."""
    if contact_id is not None and new_contact is not None:
        raise CsmError("A phone case has one caller: pick a contact or add a new one, not both.")
    if contact_id is None and new_contact is None:
        raise CsmError("Who is calling? Pick the caller from the search or add a new contact.")
    contact = check_new_contact(new_contact) if new_contact is not None else None
    checked = _check_case_fields(
        {"subject": subject, "channel": Channel.PHONE.value, "priority": priority}
    )
    return checked, contact, _check_note(note)


def _insert_contact(conn: Any, contact_id: str, fields: dict[str, Any], now: datetime) -> None:
    """A new contact (checked fields) in the caller's transaction: the local row, with the
    provisional customer number ``NEW-<first 8 of its id>``, and its outbox row. The server
    assigns the real number, since the create carries none."""
    _check_refs(conn, {"account_id": fields["account_id"]})
    outbox.insert_row(conn, "contact", contact_id, {**fields, "version": 1, "updated_at": now})
    outbox.enqueue(
        conn, op="create", entity="contact", entity_id=contact_id, fields=dict(fields), now=now
    )


_PHONE_SEPARATORS = re.compile(r"[\s\-/().+]")


def _like(word: str) -> str:
    """A LIKE pattern (``ESCAPE '\\'``) finding ``word`` anywhere, its % and _ as text."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contact_filter(text: Any) -> tuple[list[str], list[Any], str]:
    """SQL conditions (``contact AS p``) for the caller search: every word must be in the
    folded haystack (or, for a German "ae/oe/ue" spelling, its umlaut-free form; for a
    number, in the phone's digits). Fixed SQL text; the words go in as parameters."""
    if not isinstance(text, str):
        return [], [], ""
    cleaned = clean_line(text[:200])
    words = list(dict.fromkeys(fold_text(w) for w in cleaned.split()))[:MAX_SEARCH_WORDS]
    where: list[str] = []
    params: list[Any] = []
    for word in words:
        options = list(
            dict.fromkeys([word, word.replace("ae", "a").replace("oe", "o").replace("ue", "u")])
        )
        conditions = [f"{CONTACT_HAYSTACK} LIKE ? ESCAPE '\\'" for _ in options]
        params += [_like(option) for option in options]
        digits = _PHONE_SEPARATORS.sub("", word)
        if len(digits) >= 3 and digits.isascii() and digits.isdigit():
            conditions.append(f"{CONTACT_DIGITS} LIKE ? ESCAPE '\\'")
            params.append(_like(digits))
        where.append("(" + " OR ".join(conditions) + ")")
    return where, params, cleaned.lower()


def _check_refs(conn: Any, refs: dict[str, Any]) -> None:
    """Queue, assignee, contact and account ids must name rows the store knows."""
    tables = {"queue_id": ("queue", "queue"), "assignee_id": ("agent", "agent")}
    tables["contact_id"] = ("contact", "contact")
    tables["account_id"] = ("account", "account")
    for name, value in refs.items():
        if value is None or name not in tables:
            continue
        table, word = tables[name]
        if not outbox._rows(conn, f"SELECT 1 FROM {table} WHERE id = ?", (value,)):
            raise CsmError(f"There is no {word} with id {value} in the local store; sync first.")


def _check_body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise CsmError("An empty message is not saved; write something first.")
    if len(body) > MAX_BODY:
        raise CsmError(f"A message is at most {MAX_BODY:,} characters long.")
    return body.strip("\n")


def _agent_in(conn: Any) -> tuple[str, str, str] | None:
    values = [outbox.get_state(conn, key) for key in outbox.AGENT_KEYS]
    if not values[0]:
        return None
    return (str(values[0]), str(values[1] or ""), str(values[2] or ""))
