"""The desk's search and triage schema: the FTS5 index of cases, the tag index, the sort
indexes and the undo stack. Plain SQL on a ``sqlite3`` connection (no ORM), so that both
``make_store_engine`` (a new store, or one created by an older desk) and the desk's own
writer (a store opened without the ORM) can bring a store up to date.

FTS design: ``case_fts`` is an FTS5 table with one row per case (``rowid`` = the case's
rowid) and four columns: number, subject, customer (name and customer number) and body (the
text of all its messages, joined, except system events such as "Status: open → pending",
whose words would make every case that ever passed through a status or an agent match).
One row per case makes every search word a property of the case, whichever field it is
found in. It keeps its own copy of the text: SQLite 3.40
(the oldest we run on) has no ``contentless_delete``, and an external-content table over
computed text (joined message bodies) would need the exact old text on every delete. The
tokenizer is ``unicode61 remove_diacritics 2`` (``Überweisung`` and ``uberweisung`` are the
same word) with prefix indexes for 2- and 3-letter prefixes (search as you type).

Triggers keep it current, so rows written by a pulled page (ORM), by a local edit (sqlite3)
or by a replayed outbox entry all index themselves:

- case insert, case update of number, subject or contact (only when a value really changed:
  a snapshot upsert sets every column) and case delete re-index the case at once;
- message insert, delete, update of body or case, and contact insert (its cases may have
  arrived first), update of name or number, delete only mark the cases in
  ``case_fts_dirty``; :func:`flush` re-indexes the marked cases at the end of the writing
  transaction (``apply_page`` and ``OutboxStore.transaction`` call it before they commit),
  so a case is tokenized once per pulled page, not once per message. A mark that some other
  writer left is picked up by the next flush.

``case_tag`` (case id, lower-cased tag) is kept by triggers from ``case.tags`` (JSON) and
answers ``#tag`` filters by index instead of parsing JSON on every row.

Case rowids are not aliased by an INTEGER PRIMARY KEY, so a VACUUM could renumber them: the
desk never runs VACUUM, and :func:`rebuild` (also run when the schema version changes) puts
the index right in any case.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from csm_tui.store import schema_objects

#: Bumped when anything below changes; the store keeps it in sync_state.
SCHEMA_VERSION = "3"
SCHEMA_KEY = "search_schema"

PRIORITY_RANK_SQL = (
    "(CASE priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'normal' THEN 2 "
    "WHEN 'low' THEN 1 ELSE 0 END)"
)

_CUSTOMER = (
    "(SELECT trim(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '') || ' ' || "
    "coalesce(p.customer_number, '')) FROM contact AS p WHERE p.id = c.contact_id)"
)
_BODIES = (
    "(SELECT group_concat(m.body, char(10)) FROM message AS m "
    "WHERE m.case_id = c.id AND m.kind != 'event')"
)


def _refresh(where: str) -> str:
    """Re-index the cases ``where`` selects (``c`` is the case). Delete, then insert: a
    trigger runs with the conflict policy of the statement that fired it (``INSERT OR
    IGNORE`` of a local message, say), so ``INSERT OR REPLACE`` cannot be relied on."""
    return (
        f'DELETE FROM case_fts WHERE rowid IN (SELECT c.rowid FROM "case" AS c WHERE {where}); '
        "INSERT INTO case_fts (rowid, number, subject, customer, body) "
        f'SELECT c.rowid, c.number, c.subject, {_CUSTOMER}, {_BODIES} FROM "case" AS c '
        f"WHERE {where};"
    )


_TAGS_OF_NEW = (
    "INSERT OR IGNORE INTO case_tag (tag, case_id) SELECT DISTINCT lower(trim(j.value)), NEW.id "
    "FROM json_each(CASE WHEN json_valid(NEW.tags) AND json_type(NEW.tags) = 'array' "
    "THEN NEW.tags ELSE '[]' END) AS j WHERE j.type = 'text' AND trim(j.value) != '';"
)

_OBJECTS: tuple[tuple[str, str], ...] = (
    (
        "case_fts",
        "CREATE VIRTUAL TABLE case_fts USING fts5(number, subject, customer, body, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', columnsize = 0)",
    ),
    (
        "case_tag",
        "CREATE TABLE case_tag (tag TEXT NOT NULL, case_id TEXT NOT NULL, "
        "PRIMARY KEY (tag, case_id)) WITHOUT ROWID",
    ),
    ("ix_case_tag_case", "CREATE INDEX ix_case_tag_case ON case_tag (case_id)"),
    (
        "case_fts_dirty",
        "CREATE TABLE case_fts_dirty (case_id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID",
    ),
    (
        "undo_action",
        "CREATE TABLE undo_action (id INTEGER PRIMARY KEY, description TEXT NOT NULL, "
        "entries TEXT NOT NULL, created_at TEXT NOT NULL)",
    ),
    # Sort and filter indexes of the queue (the ORM models keep theirs; these are desk-only).
    ("ix_case_created", 'CREATE INDEX ix_case_created ON "case" (created_at, id)'),
    (
        "ix_case_assignee_updated",
        'CREATE INDEX ix_case_assignee_updated ON "case" (assignee_id, updated_at, status, id)',
    ),
    (
        "ix_case_queue_updated",
        'CREATE INDEX ix_case_queue_updated ON "case" (queue_id, updated_at, status, id)',
    ),
    (
        "ix_case_rank_updated",
        f'CREATE INDEX ix_case_rank_updated ON "case" ({PRIORITY_RANK_SQL}, updated_at, id)',
    ),
    (
        "ix_case_rank_created",
        f'CREATE INDEX ix_case_rank_created ON "case" ({PRIORITY_RANK_SQL} DESC, created_at, id)',
    ),
    # Covers every field filter, so counts read the index and never the table.
    (
        "ix_case_filter",
        'CREATE INDEX ix_case_filter ON "case" '
        "(status, priority, channel, queue_id, assignee_id, updated_at)",
    ),
    (
        "case_search_ai",
        'CREATE TRIGGER case_search_ai AFTER INSERT ON "case" BEGIN '
        + _refresh("c.rowid = NEW.rowid")
        + _TAGS_OF_NEW
        + " END",
    ),
    (
        "case_search_au",
        'CREATE TRIGGER case_search_au AFTER UPDATE OF number, subject, contact_id ON "case" '
        "WHEN OLD.number IS NOT NEW.number OR OLD.subject IS NOT NEW.subject "
        "OR OLD.contact_id IS NOT NEW.contact_id BEGIN " + _refresh("c.rowid = NEW.rowid") + " END",
    ),
    (
        "case_tags_au",
        'CREATE TRIGGER case_tags_au AFTER UPDATE OF tags ON "case" '
        "WHEN OLD.tags IS NOT NEW.tags BEGIN "
        "DELETE FROM case_tag WHERE case_id = OLD.id; " + _TAGS_OF_NEW + " END",
    ),
    (
        "case_search_ad",
        'CREATE TRIGGER case_search_ad AFTER DELETE ON "case" BEGIN '
        "DELETE FROM case_fts WHERE rowid = OLD.rowid; "
        "DELETE FROM case_tag WHERE case_id = OLD.id; END",
    ),
    # A message or contact change marks its cases; the writer's transaction re-indexes them
    # once at its end (flush): a case's text is tokenized once per page or command, not
    # once per message (re-indexing per message made a snapshot 8x slower to apply).
    (
        "message_search_ai",
        "CREATE TRIGGER message_search_ai AFTER INSERT ON message BEGIN "
        "INSERT OR IGNORE INTO case_fts_dirty (case_id) VALUES (NEW.case_id); END",
    ),
    (
        "message_search_au",
        "CREATE TRIGGER message_search_au AFTER UPDATE OF body, case_id ON message "
        "WHEN OLD.body IS NOT NEW.body OR OLD.case_id IS NOT NEW.case_id BEGIN "
        "INSERT OR IGNORE INTO case_fts_dirty (case_id) VALUES (OLD.case_id); "
        "INSERT OR IGNORE INTO case_fts_dirty (case_id) VALUES (NEW.case_id); END",
    ),
    (
        "message_search_ad",
        "CREATE TRIGGER message_search_ad AFTER DELETE ON message BEGIN "
        "INSERT OR IGNORE INTO case_fts_dirty (case_id) VALUES (OLD.case_id); END",
    ),
    (
        "contact_search_ai",
        "CREATE TRIGGER contact_search_ai AFTER INSERT ON contact BEGIN "
        "INSERT OR IGNORE INTO case_fts_dirty (case_id) "
        'SELECT id FROM "case" WHERE contact_id = NEW.id; END',
    ),
    (
        "contact_search_au",
        "CREATE TRIGGER contact_search_au AFTER UPDATE OF first_name, last_name, "
        "customer_number ON contact WHEN OLD.first_name IS NOT NEW.first_name "
        "OR OLD.last_name IS NOT NEW.last_name OR OLD.customer_number IS NOT NEW.customer_number "
        "BEGIN INSERT OR IGNORE INTO case_fts_dirty (case_id) "
        'SELECT id FROM "case" WHERE contact_id = NEW.id; END',
    ),
    (
        "contact_search_ad",
        "CREATE TRIGGER contact_search_ad AFTER DELETE ON contact BEGIN "
        "INSERT OR IGNORE INTO case_fts_dirty (case_id) "
        'SELECT id FROM "case" WHERE contact_id = OLD.id; END',
    ),
)


#: Mark one case for the SLA index (``case_sla``, see :mod:`csm_tui.store.sla_index`).
#: Not ``INSERT OR IGNORE``: a trigger takes the conflict policy of the statement that fired
#: it (a pulled case's upsert), so a duplicate must never be attempted.
def _sla_dirty(case_id: str) -> str:
    return (
        f"INSERT INTO case_sla_dirty (case_id) SELECT {case_id} WHERE NOT EXISTS "
        f"(SELECT 1 FROM case_sla_dirty WHERE case_id = {case_id});"
    )


def _sla_dirty_all(select: str) -> str:
    """Mark the cases (``c.id``) a ``FROM ... WHERE ...`` selects."""
    return (
        f"INSERT INTO case_sla_dirty (case_id) SELECT c.id {select} AND NOT EXISTS "
        "(SELECT 1 FROM case_sla_dirty AS d WHERE d.case_id = c.id);"
    )


#: The queue's SLA column and sort: each case's next breach, kept in ``case_sla`` and
#: recomputed for the cases in ``case_sla_dirty``. Whatever moves an SLA clock marks its cases:
#: the case itself, its messages (customer writes, replies, status events), its contact's
#: account (the support tier picks the policy), and the policies (every case).
_SLA_OBJECTS: tuple[tuple[str, str], ...] = (
    (
        "case_sla",
        "CREATE TABLE case_sla (case_id TEXT PRIMARY KEY NOT NULL, due_at TEXT NOT NULL, "
        "at_risk_at TEXT, metric TEXT) WITHOUT ROWID",
    ),
    ("ix_case_sla_due", "CREATE INDEX ix_case_sla_due ON case_sla (due_at, case_id)"),
    (
        "case_sla_dirty",
        "CREATE TABLE case_sla_dirty (case_id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID",
    ),
    (
        "case_sla_ai",
        f'CREATE TRIGGER case_sla_ai AFTER INSERT ON "case" BEGIN {_sla_dirty("NEW.id")} END',
    ),
    (
        "case_sla_au",
        f'CREATE TRIGGER case_sla_au AFTER UPDATE ON "case" BEGIN {_sla_dirty("NEW.id")} END',
    ),
    (
        "case_sla_ad",
        'CREATE TRIGGER case_sla_ad AFTER DELETE ON "case" BEGIN '
        "DELETE FROM case_sla WHERE case_id = OLD.id; "
        "DELETE FROM case_sla_dirty WHERE case_id = OLD.id; END",
    ),
    (
        "message_sla_ai",
        f"CREATE TRIGGER message_sla_ai AFTER INSERT ON message BEGIN "
        f"{_sla_dirty('NEW.case_id')} END",
    ),
    (
        "message_sla_au",
        "CREATE TRIGGER message_sla_au AFTER UPDATE ON message BEGIN "
        f"{_sla_dirty('OLD.case_id')} {_sla_dirty('NEW.case_id')} END",
    ),
    (
        "message_sla_ad",
        f"CREATE TRIGGER message_sla_ad AFTER DELETE ON message BEGIN "
        f"{_sla_dirty('OLD.case_id')} END",
    ),
    (
        "contact_sla_au",
        "CREATE TRIGGER contact_sla_au AFTER UPDATE OF account_id ON contact "
        "WHEN OLD.account_id IS NOT NEW.account_id BEGIN "
        + _sla_dirty_all('FROM "case" AS c WHERE c.contact_id = NEW.id')
        + " END",
    ),
    (
        "account_sla_au",
        "CREATE TRIGGER account_sla_au AFTER UPDATE OF tier ON account "
        "WHEN OLD.tier IS NOT NEW.tier BEGIN "
        + _sla_dirty_all(
            'FROM "case" AS c JOIN contact AS p ON p.id = c.contact_id WHERE p.account_id = NEW.id'
        )
        + " END",
    ),
    (
        "sla_config_ai",
        "CREATE TRIGGER sla_config_ai AFTER INSERT ON sla_config BEGIN "
        + _sla_dirty_all('FROM "case" AS c WHERE 1')
        + " END",
    ),
    (
        "sla_config_au",
        "CREATE TRIGGER sla_config_au AFTER UPDATE ON sla_config BEGIN "
        + _sla_dirty_all('FROM "case" AS c WHERE 1')
        + " END",
    ),
    (
        "sla_config_ad",
        "CREATE TRIGGER sla_config_ad AFTER DELETE ON sla_config BEGIN "
        + _sla_dirty_all('FROM "case" AS c WHERE 1')
        + " END",
    ),
)
_OBJECTS = _OBJECTS + _SLA_OBJECTS

_REQUIRED_TABLES = ("case", "message", "contact", "account", "sla_config", "sync_state")


def _exec(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params).fetchall()


def is_current(conn: sqlite3.Connection) -> bool:
    return schema_objects.is_current(conn, SCHEMA_KEY, SCHEMA_VERSION)


def ensure(conn: sqlite3.Connection) -> bool:
    """Create what is missing, in the caller's transaction (the replicated tables must
    exist). A store that had no index, or one of an older version, is re-indexed from its
    rows. Returns True when it changed anything."""
    return schema_objects.ensure(
        conn,
        _OBJECTS,
        required=_REQUIRED_TABLES,
        key=SCHEMA_KEY,
        version=SCHEMA_VERSION,
        rebuild=rebuild,
        keep=frozenset({"undo_action"}),
    )


#: Re-index the cases marked by message and contact changes (the end of every writer's
#: transaction: ``apply_page`` and ``OutboxStore.transaction``).
FLUSH_STATEMENTS = (
    "DELETE FROM case_fts WHERE rowid IN "
    '(SELECT c.rowid FROM case_fts_dirty AS d JOIN "case" AS c ON c.id = d.case_id)',
    "INSERT INTO case_fts (rowid, number, subject, customer, body) "
    f"SELECT c.rowid, c.number, c.subject, {_CUSTOMER}, {_BODIES} "
    'FROM case_fts_dirty AS d JOIN "case" AS c ON c.id = d.case_id',
    "DELETE FROM case_fts_dirty",
)


def flush(conn: Any) -> None:
    """Re-index the marked cases, in the caller's transaction (a ``sqlite3`` connection or a
    SQLAlchemy one). A store without the index yet (an older store before its first open
    by this version) is left alone."""
    run = conn.execute if isinstance(conn, sqlite3.Connection) else conn.exec_driver_sql
    try:
        pending = run("SELECT 1 FROM case_fts_dirty LIMIT 1").fetchall()
    except sqlite3.OperationalError:
        return
    except Exception as err:  # SQLAlchemy wraps it
        if "no such table" in str(err):
            return
        raise
    if pending:
        for sql in FLUSH_STATEMENTS:
            run(sql)


def rebuild(conn: sqlite3.Connection) -> None:
    """Index every case again from the tables (in the caller's transaction)."""
    _exec(conn, "DELETE FROM case_fts_dirty")
    _exec(conn, "DELETE FROM case_fts")
    _exec(
        conn,
        "INSERT INTO case_fts (rowid, number, subject, customer, body) "
        "SELECT c.rowid, c.number, c.subject, "
        "trim(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '') || ' ' || "
        "coalesce(p.customer_number, '')), m.body "
        'FROM "case" AS c LEFT JOIN contact AS p ON p.id = c.contact_id '
        "LEFT JOIN (SELECT case_id, group_concat(body, char(10)) AS body FROM message "
        "WHERE kind != 'event' GROUP BY case_id) AS m ON m.case_id = c.id",
    )
    _exec(conn, "DELETE FROM case_tag")
    _exec(
        conn,
        "INSERT OR IGNORE INTO case_tag (tag, case_id) "
        'SELECT DISTINCT lower(trim(j.value)), c.id FROM "case" AS c, '
        "json_each(CASE WHEN json_valid(c.tags) AND json_type(c.tags) = 'array' "
        "THEN c.tags ELSE '[]' END) AS j WHERE j.type = 'text' AND trim(j.value) != ''",
    )
    _exec(conn, "INSERT INTO case_fts (case_fts) VALUES ('optimize')")
    # every case's SLA is computed again (store/sla_index.py), outside this transaction
    _exec(conn, "DELETE FROM case_sla")
    _exec(conn, "DELETE FROM case_sla_dirty")
    _exec(conn, 'INSERT INTO case_sla_dirty (case_id) SELECT id FROM "case"')
