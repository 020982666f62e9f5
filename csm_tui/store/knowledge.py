"""Knowledge articles in the local store: search, suggestions for a case, and the commands
that propose, publish and withdraw an article (each one transaction: the local row and its
outbox mutation, like every desk command).

Reads run on the desk's :class:`~csm_tui.store.queries.StoreReader` (plain ``sqlite3``, one
connection per thread), so search works offline and off the UI thread. The MATCH text comes
only from ``domain.knowledge`` (double-quoted strings); ranking is the index's bm25 with the
title weighted above the body (``knowledge_index.RANK``).

Nothing here imports Textual.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from csm_tui.domain import knowledge as rules
from csm_tui.domain.text import clean, clean_line
from csm_tui.errors import CsmError
from csm_tui.store import knowledge_index, outbox
from csm_tui.store.outbox import wire_time

if TYPE_CHECKING:
    from csm_tui.store.outbox import OutboxStore
    from csm_tui.store.queries import StoreReader

#: Most articles a search lists.
SEARCH_LIMIT = 30
#: bm25 is computed for every matching row, about a microsecond each: a search that matches
#: more articles than this (a one- or two-letter prefix over 20,000) ranks only those that
#: match in the title, and if those are still more, lists matches unranked and says so.
RANK_AT_MOST = 3000
#: Ranked rows looked up in the article table before the state filter; more only when the
#: filter dropped so many that the page is not full.
_RANKED_WINDOW = 4 * SEARCH_LIMIT
UNRANKED = "More than {n:,} articles match; type more of the word to rank them by relevance."
#: Most articles suggested for a case.
SUGGEST_LIMIT = 5
#: Which states a search looks at: the screen's filter.
FILTERS: dict[str, tuple[str, ...]] = {
    "published": (rules.PUBLISHED,),
    "proposed": (rules.PROPOSED,),
    "all": rules.STATES,
}

_COLUMNS = (
    "a.id, a.slug, a.title, a.body, a.tags, a.product, a.language, a.state, "
    "a.author_agent_id, a.source_case_id, a.updated_at, "
    "coalesce((SELECT g.name FROM agent AS g WHERE g.id = a.author_agent_id), '')"
)


@dataclass(frozen=True)
class ArticleRow:
    """One article as the desk shows it. Text fields are raw: widgets clean them."""

    id: str
    slug: str
    title: str
    body: str
    tags: tuple[str, ...]
    product: str
    language: str
    state: str
    author_id: str | None
    source_case_id: str | None
    updated_at: datetime
    author: str = ""

    @property
    def link(self) -> str:
        return rules.link_text(clean_line(self.title), self.slug, self.language)

    @property
    def quote(self) -> str:
        return rules.quote_text(clean_line(self.title), clean(self.body), self.slug, self.language)


@dataclass(frozen=True)
class ArticleResults:
    """What a search found: ``query`` (for highlighting), the articles best first, whether
    more matched than were listed, and sentences about what was not understood."""

    text: str
    query: rules.ArticleQuery
    articles: tuple[ArticleRow, ...]
    more: bool = False
    problems: tuple[str, ...] = ()


def _row(r: Sequence[Any]) -> ArticleRow:
    try:
        tags = json.loads(r[4]) if isinstance(r[4], str) and r[4] else []
    except ValueError:
        tags = []
    updated = r[10] if isinstance(r[10], datetime) else datetime.fromisoformat(str(r[10]))
    return ArticleRow(
        id=r[0],
        slug=r[1] or "",
        title=r[2] or "",
        body=r[3] or "",
        tags=tuple(str(t) for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        product=r[5] or "",
        language=r[6] or "",
        state=r[7] or "",
        author_id=r[8],
        source_case_id=r[9],
        updated_at=updated,
        author=r[11] or "",
    )


class Knowledge:
    """The desk's knowledge base over its store (built by ``Desk``; screens call the desk)."""

    def __init__(
        self,
        reader: StoreReader,
        writer: Callable[[], OutboxStore],
        create_store: Callable[[], object],
    ) -> None:
        self.reader = reader
        self._writer = writer
        self._create_store = create_store
        self._checked = False

    # -- the schema ------------------------------------------------------------------------

    def ensure(self) -> None:
        """Bring a store made before articles existed up to date (the table through the
        ORM's create_all, the index here), once."""
        if self._checked:
            return
        if not self.reader.has_table("article"):
            self._create_store()  # make_store_engine: tables, then both indexes
        elif self.reader.state(knowledge_index.SCHEMA_KEY) != knowledge_index.SCHEMA_VERSION:
            with self._writer().transaction() as conn:
                knowledge_index.ensure(conn)
        self._checked = True

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.reader._all(sql, params)

    # -- reads -----------------------------------------------------------------------------

    def search(
        self, text: str, *, state: str = "published", limit: int = SEARCH_LIMIT
    ) -> ArticleResults:
        """Articles in the filter ``state`` ("published", "proposed" or "all") matching
        ``text``, best first; no text: the most recently updated ones. Never raises for
        what was typed (its problems come back as sentences)."""
        self.ensure()
        states = FILTERS.get(state, FILTERS["published"])
        marks = ", ".join("?" for _ in states)
        query = rules.parse_article_search(text)
        match = rules.match_expression(query)
        note: str | None = None
        if match is None:
            rows = self._all(
                f"SELECT {_COLUMNS} FROM article AS a WHERE a.state IN ({marks}) "
                "ORDER BY a.updated_at DESC, a.id LIMIT ?",
                (*states, limit + 1),
            )
        else:
            rows, note = self._matching(match, states, limit + 1)
        found = tuple(_row(r) for r in rows[:limit])
        problems = query.problems if note is None else (*query.problems, note)
        if match is not None and not found:
            problems = (*problems, "No article matches; try fewer or shorter words.")
        return ArticleResults(text, query, found, more=len(rows) > limit, problems=problems)

    def _count(self, match: str) -> int:
        rows = self._all("SELECT count(*) FROM article_fts WHERE article_fts MATCH ?", (match,))
        return int(rows[0][0]) if rows else 0

    def _matching(
        self, match: str, states: tuple[str, ...], limit: int
    ) -> tuple[list[tuple[Any, ...]], str | None]:
        """Up to ``limit`` rows matching, best first, and a sentence when they are unranked.

        Counting is cheap (no ranking): it decides what to rank. Up to ``RANK_AT_MOST``
        matches are all ranked; beyond, only the title matches (a word typed so far that
        is in thousands of bodies is hardly what the agent looks for); beyond that too, the
        first matches come unranked."""
        marks = ", ".join("?" for _ in states)
        if self._count(match) > RANK_AT_MOST:
            in_title = f"title : ({match})"
            if self._count(in_title) > RANK_AT_MOST:
                rows = self._all(
                    f"SELECT {_COLUMNS} FROM article_fts JOIN article AS a "
                    "ON a.rowid = article_fts.rowid "
                    f"WHERE article_fts MATCH ? AND a.state IN ({marks}) LIMIT ?",
                    (in_title, *states, limit),
                )
                return rows, UNRANKED.format(n=RANK_AT_MOST)
            match = in_title
        # Rank in the index alone, then look up only the best rows (a join per match costs
        # as much as ranking it); a filter that dropped too many gets the full join.
        window = _RANKED_WINDOW if states == FILTERS["published"] else -1
        sql = (
            f"SELECT {_COLUMNS} FROM (SELECT rowid AS fts_rowid, {knowledge_index.RANK} AS score "
            "FROM article_fts WHERE article_fts MATCH ? ORDER BY score LIMIT ?) AS f "
            "JOIN article AS a ON a.rowid = f.fts_rowid "
            f"WHERE a.state IN ({marks}) ORDER BY f.score, a.title, a.id LIMIT ?"
        )
        rows = self._all(sql, (match, window, *states, limit))
        if window > 0 and len(rows) < limit and self._count(match) > window:
            rows = self._all(sql, (match, -1, *states, limit))
        return rows, None

    def article(self, article_id: str) -> ArticleRow | None:
        self.ensure()
        rows = self._all(f"SELECT {_COLUMNS} FROM article AS a WHERE a.id = ?", (article_id,))
        return _row(rows[0]) if rows else None

    def count(self, state: str = "published") -> int:
        self.ensure()
        states = FILTERS.get(state, FILTERS["published"])
        rows = self._all(
            f"SELECT count(*) FROM article WHERE state IN ({', '.join('?' for _ in states)})",
            states,
        )
        return int(rows[0][0]) if rows else 0

    def suggest(self, case_id: str, limit: int = SUGGEST_LIMIT) -> list[ArticleRow]:
        """Published articles for a case, from its subject, tags and latest customer
        message; articles in the customer's language first, then by bm25."""
        self.ensure()
        rows = self._all(
            "SELECT c.subject, c.tags, (SELECT m.body FROM message AS m WHERE m.case_id = c.id "
            "AND m.kind = 'customer' ORDER BY m.created_at DESC, m.id DESC LIMIT 1), "
            '(SELECT p.language FROM contact AS p WHERE p.id = c.contact_id) FROM "case" AS c '
            "WHERE c.id = ?",
            (case_id,),
        )
        if not rows:
            return []
        subject, tags_json, message, language = rows[0]
        try:
            tags = json.loads(tags_json) if isinstance(tags_json, str) else []
        except ValueError:
            tags = []
        tag_text = " ".join(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ""
        match = rules.suggestion_expression(rules.suggestion_terms(subject, tag_text, message))
        if match is None:
            return []
        found = self._all(
            f"SELECT {_COLUMNS} FROM article_fts JOIN article AS a "
            "ON a.rowid = article_fts.rowid WHERE article_fts MATCH ? AND a.state = ? "
            f"ORDER BY (a.language = ?) DESC, {knowledge_index.RANK}, a.id LIMIT ?",
            (match, rules.PUBLISHED, (language or "").split("-")[0], limit),
        )
        return [_row(r) for r in found]

    def my_replies(self, case_id: str, agent_id: str | None) -> list[tuple[str, str]]:
        """(message id, body) of the public replies ``agent_id`` wrote on the case, newest
        first: what a proposal can start from."""
        if agent_id is None:
            return []
        return [
            (str(r[0]), str(r[1] or ""))
            for r in self._all(
                "SELECT id, body FROM message WHERE case_id = ? AND kind = 'public' "
                "AND author_agent_id = ? ORDER BY created_at DESC, id DESC",
                (case_id, agent_id),
            )
        ]

    # -- commands --------------------------------------------------------------------------

    def propose(
        self,
        me: str,
        now: datetime,
        *,
        title: str,
        body: str,
        language: str,
        tags: Sequence[str] = (),
        product: str = "",
        source_case_id: str | None = None,
    ) -> str:
        """A new article in state "proposed" by ``me``, locally and queued for the server;
        returns its id. Raises CsmError with one sentence (writing nothing) for a problem."""
        self.ensure()
        title = clean_line(title) if isinstance(title, str) else title
        body = clean(body).strip() if isinstance(body, str) else body
        tag_list = list(dict.fromkeys(clean_line(t) for t in tags if clean_line(t)))
        product = clean_line(product) if isinstance(product, str) else product
        problems = rules.check_article(title, body, language, tag_list, product)
        if problems:
            raise CsmError(problems[0])
        article_id = str(uuid.uuid4())
        wire: dict[str, Any] = {
            "slug": rules.slugify(str(title), article_id[:8]),
            "title": title,
            "body": body,
            "tags": tag_list,
            "product": product,
            "language": language,
            "state": rules.PROPOSED,
            "source_case_id": source_case_id,
            "created_at": wire_time(now),
        }
        local = {**wire, "author_agent_id": me, "updated_at": wire_time(now), "version": 1}
        with self._writer().transaction() as conn:
            if source_case_id is not None and not outbox.read_row(
                conn, "case", source_case_id, ["version"]
            ):
                raise CsmError("That case is not in the local store; sync and try again.")
            outbox.insert_row(conn, "article", article_id, local)
            outbox.enqueue(
                conn, op="create", entity="article", entity_id=article_id, fields=wire, now=now
            )
        return article_id

    def _change(
        self,
        article_id: str,
        me: str,
        role: str | None,
        now: datetime,
        fields: dict[str, Any],
    ) -> None:
        self.ensure()
        with self._writer().transaction() as conn:
            current = outbox.read_row(conn, "article", article_id, outbox.ARTICLE_COLUMNS)
            if not current:
                raise CsmError("That article is not in the local store; sync and try again.")
            refusal = rules.change_refusal(
                role, me, current.get("author_agent_id"), str(current.get("state")),
                fields.get("state"),
            )  # fmt: skip
            if refusal is not None:
                raise CsmError(refusal)
            changed = {k: v for k, v in fields.items() if current.get(k) != v}
            if not changed:
                return
            outbox.update_row(conn, "article", article_id, changed, current, now)

    def publish(self, article_id: str, me: str, role: str | None, now: datetime) -> None:
        """Publish a proposal (leads and admins; anyone else gets the refusal sentence)."""
        refusal = rules.publish_refusal(role)
        if refusal is not None:
            raise CsmError(refusal)
        self._change(article_id, me, role, now, {"state": rules.PUBLISHED})

    def withdraw(self, article_id: str, me: str, role: str | None, now: datetime) -> None:
        """Delete an article (a lead: any; an agent: their own proposal), locally and queued;
        should the server refuse, it comes back."""
        self.ensure()
        with self._writer().transaction() as conn:
            current = outbox.read_row(conn, "article", article_id, outbox.ARTICLE_COLUMNS)
            if not current:
                raise CsmError("That article is not in the local store; sync and try again.")
            refusal = rules.change_refusal(
                role, me, current.get("author_agent_id"), str(current.get("state")), delete=True
            )
            if refusal is not None:
                raise CsmError(refusal)
            outbox.delete_row(conn, "article", article_id)
            outbox.enqueue(
                conn,
                op="delete",
                entity="article",
                entity_id=article_id,
                fields={},
                base=current,
                base_version=current.get("version"),
                now=now,
            )
