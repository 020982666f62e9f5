"""The desk's FTS5 index of knowledge articles (``article_fts``), kept by triggers.

One index row per article (``rowid`` = the article's rowid) with three columns: ``title``,
``keywords`` (tags and product) and ``body`` (the Markdown text; the tokenizer drops its
marks). Searches rank with ``bm25(article_fts, 10, 4, 1)``: a word in the title weighs ten
times one in the body.

Folding: each column holds the text with ``ä ö ü ß`` written ``ae oe ue ss`` (the replacements
of ``domain.knowledge.FOLD_SQL_PAIRS``, done in SQL so that any writer's rows fold the same:
a pulled page through the ORM, a local proposal through ``sqlite3``), and the tokenizer is
``unicode61 remove_diacritics 2`` for case and every other accent. Queries are folded by
``domain.knowledge`` the same way, so ``Ueberweisung`` finds ``Überweisung``. Prefix indexes
for one to three letters keep search-as-you-type fast from the first key.

The index keeps its own (folded) copy of the text: SQLite 3.40, the oldest we run on, has no
``contentless_delete``, and an external-content table cannot hold text that differs from its
content table's. An article's rowid is not an INTEGER PRIMARY KEY alias, so a VACUUM could
renumber it: the desk never runs VACUUM, and :func:`rebuild` (also run when the schema
version below changes) puts the index right in any case.

Plain SQL on a ``sqlite3`` connection (the same pattern as ``search_index``), run inside the
caller's transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from csm_tui.domain.knowledge import FOLD_SQL_PAIRS
from csm_tui.store import schema_objects

#: Bumped when anything below changes; the store keeps it in sync_state.
SCHEMA_VERSION = "1"
SCHEMA_KEY = "knowledge_schema"
#: bm25 weights of title, keywords and body.
WEIGHTS = (10.0, 4.0, 1.0)
RANK = f"bm25(article_fts, {', '.join(str(w) for w in WEIGHTS)})"


def fold_sql(expr: str) -> str:
    """``expr`` with the German letters replaced, as nested SQL ``replace`` calls."""
    out = f"coalesce({expr}, '')"
    for letter, spelling in FOLD_SQL_PAIRS:
        out = f"replace({out}, '{letter}', '{spelling}')"
    return out


def _keywords(row: str) -> str:
    return (
        "(coalesce((SELECT group_concat(j.value, ' ') FROM json_each("
        f"CASE WHEN json_valid({row}.tags) AND json_type({row}.tags) = 'array' "
        f"THEN {row}.tags ELSE '[]' END) AS j WHERE j.type = 'text'), '') "
        f"|| ' ' || coalesce({row}.product, ''))"
    )


def _insert(row: str, source: str = "") -> str:
    return (
        "INSERT INTO article_fts (rowid, title, keywords, body) "
        f"SELECT {row}.rowid, {fold_sql(f'{row}.title')}, {fold_sql(_keywords(row))}, "
        f"{fold_sql(f'{row}.body')}{source}"
    )


_OBJECTS: tuple[tuple[str, str], ...] = (
    (
        "article_fts",
        "CREATE VIRTUAL TABLE article_fts USING fts5(title, keywords, body, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')",
    ),
    (
        "ix_article_state_updated",
        "CREATE INDEX ix_article_state_updated ON article (state, updated_at)",
    ),
    (
        "article_fts_ai",
        "CREATE TRIGGER article_fts_ai AFTER INSERT ON article BEGIN " + _insert("NEW") + "; END",
    ),
    (
        "article_fts_au",
        "CREATE TRIGGER article_fts_au AFTER UPDATE OF title, body, tags, product ON article "
        "WHEN OLD.title IS NOT NEW.title OR OLD.body IS NOT NEW.body OR OLD.tags IS NOT NEW.tags "
        "OR OLD.product IS NOT NEW.product BEGIN "
        "DELETE FROM article_fts WHERE rowid = OLD.rowid; " + _insert("NEW") + "; END",
    ),
    (
        "article_fts_ad",
        "CREATE TRIGGER article_fts_ad AFTER DELETE ON article BEGIN "
        "DELETE FROM article_fts WHERE rowid = OLD.rowid; END",
    ),
)

_REQUIRED_TABLES = ("article", "sync_state")


def _exec(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params).fetchall()


def is_current(conn: sqlite3.Connection) -> bool:
    return schema_objects.is_current(conn, SCHEMA_KEY, SCHEMA_VERSION)


def ensure(conn: sqlite3.Connection) -> bool:
    """Create what is missing, in the caller's transaction (the article table must exist);
    an index of an older version is dropped and built again. True when anything changed."""
    return schema_objects.ensure(
        conn,
        _OBJECTS,
        required=_REQUIRED_TABLES,
        key=SCHEMA_KEY,
        version=SCHEMA_VERSION,
        rebuild=rebuild,
    )


def rebuild(conn: sqlite3.Connection) -> None:
    """Index every article again from the table (in the caller's transaction)."""
    _exec(conn, "DELETE FROM article_fts")
    _exec(conn, _insert("a", " FROM article AS a"))
    _exec(conn, "INSERT INTO article_fts (article_fts) VALUES ('optimize')")
