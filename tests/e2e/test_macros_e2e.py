"""Macros and snippets end to end, on a real case server (child process).

Two desks (SQLite and PostgreSQL servers): a team lead makes a shared macro on desk A, an
agent's desk B pulls it and may not change it (neither locally nor, for a desk that skips
the local check, on the server); B's personal macro never reaches A; B's use of the shared
macro teaches A's suggestions; the lead's delete reaches B. Then ``csm macros export`` and
``csm macros import`` through the real ``csm`` command.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from csm_tui.desk import Desk
from csm_tui.domain.macros import AddTags, CreateTask, Macro, Reply, SetPriority, macros_from_toml
from csm_tui.domain.snippets import Snippet
from csm_tui.errors import CsmError
from csm_tui.server import seed_library
from csm_tui.server.auth import issue_token
from csm_tui.server.db import make_engine
from csm_tui.store import outbox
from tests.e2e.conftest import Csm, LiveServer
from tests.sync_support import SyncServer, open_case, start_server

pytestmark = pytest.mark.e2e

LEAD = "katrin.hoffmann"  # a team lead of the seed
SHARED_ONLY = "Only a team lead can change shared macros."
NOW = datetime(2026, 1, 1)


@pytest.fixture
def server(tmp_path: Path, server_db_url: str) -> Iterator[SyncServer]:
    srv = start_server(tmp_path, db_url=server_db_url)
    engine = make_engine(srv.db_url)
    try:
        srv.tokens[LEAD] = issue_token(engine, LEAD)
    finally:
        engine.dispose()
    yield srv
    srv.close()


def stored(desk: Desk, macro_id: str) -> bool:
    return bool(desk.reader._all("SELECT 1 FROM macro WHERE id = ?", (macro_id,)))


def test_shared_macros_come_from_leads_and_personal_ones_stay_home(server: SyncServer) -> None:
    a = server.desk("a", LEAD)
    b = server.desk("b", "anna.schmidt")
    a.sync()
    b.sync()
    assert {"Refund approved", "Karte gesperrt – Betrugsverdacht"} <= {m.name for m in b.macros()}
    assert {";greet", ";iban"} <= {f";{s.shortcut}" for s in b.snippets()}

    macro = Macro(
        id="",
        name="Chargeback: documents needed",
        scope="shared",
        actions=(
            SetPriority("high"),
            AddTags(("chargeback",)),
            Reply("public", "Hello {{ customer.first_name }}, please send the receipt."),
            CreateTask("fraud", "Chargeback for {{ case.number }}", "+1d"),
        ),
    )
    macro_id = a.save_macro(macro)
    a.sync()
    assert a.pending_count() == 0 and a.status.rejected == 0
    b.sync()
    seen = b.macro(macro_id)
    assert seen == replace(macro, id=macro_id)
    assert not b.can_change(seen)  # type: ignore[arg-type]
    with pytest.raises(CsmError, match=SHARED_ONLY):
        b.save_macro(replace(seen, name="Mine now"))  # type: ignore[type-var]

    # A desk that skips the local check (an older one): the server refuses the same way,
    # and the desk shows the lead's macro again.
    with b._outbox().transaction() as conn:
        outbox.write_fields(conn, "macro", macro_id, {"name": "Mine now"})
        outbox.enqueue(
            conn,
            op="update",
            entity="macro",
            entity_id=macro_id,
            fields={"name": "Mine now"},
            base={"name": macro.name},
            base_version=1,
            now=b.now(),
        )
    b.sync()
    [rejected] = b.rejected()
    assert (rejected.entity, rejected.reason) == ("macro", SHARED_ONLY)
    assert b.macro(macro_id).name == macro.name  # type: ignore[union-attr]

    # B's personal macro and snippet: on the server, never on A's desk (delta or snapshot).
    personal = b.save_macro(Macro(id="", name="My quick close", actions=(SetPriority("low"),)))
    snippet = b.save_snippet(Snippet("", "mysig", "My signature", "Anna"))
    b.sync()
    (anna,) = server.query("SELECT id FROM agent WHERE handle = 'anna.schmidt'")
    assert server.query("SELECT owner_agent_id FROM macro WHERE id = ?", personal) == [anna]
    assert server.query("SELECT owner_agent_id FROM snippet WHERE id = ?", snippet) == [anna]
    a.sync()
    assert a.macro(personal) is None and not stored(a, personal)
    assert snippet not in {s.id for s in a.snippets()}
    fresh = server.desk("a-fresh", LEAD)
    fresh.sync()
    assert not stored(fresh, personal) and stored(fresh, macro_id)
    assert b.macro(personal) is not None

    # B applies the shared macro to a case: A's suggestions learn from it.
    case_id = open_case(b)
    before = a.suggester().uses.get(macro_id, 0)

    def place() -> int:
        return [m.id for m, _ in a.suggest_macros(case_id)].index(macro_id)

    place_before = place()
    b.record_macro_use(macro_id, case_id)
    b.sync()
    a.sync()
    assert a.suggester().uses.get(macro_id, 0) == before + 1
    # One use on a case like this one moves the macro up (the seeded macros have many).
    assert place() < place_before or place() == 0

    # The lead deletes the shared macro: gone on every desk.
    a.delete_macro(macro_id)
    a.sync()
    b.sync()
    assert b.macro(macro_id) is None and not stored(b, macro_id)
    assert server.query("SELECT count(*) FROM macro WHERE id = ?", macro_id) == [(0,)]


def test_csm_macros_export_and_import_round_trip(
    csm: Csm, live_server: LiveServer, tmp_path: Path
) -> None:
    csm("login", "--server", live_server.url, "--token", live_server.token, check=True)
    csm("sync", "-q", check=True)
    exported = tmp_path / "macros.toml"
    done = csm("macros", "export", str(exported), check=True)
    n_macros, n_snippets = len(seed_library.macros(NOW)), len(seed_library.snippets(NOW))
    assert f"Exported {n_macros} macros and {n_snippets} snippets to {exported}" in done.stdout
    library = macros_from_toml(exported.read_text(encoding="utf-8"))
    assert {"Refund approved", "Karte gesperrt – Betrugsverdacht"} <= {
        m.name for m in library.macros
    }

    refused = csm("macros", "import", str(exported), "--shared")
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"csm: {SHARED_ONLY}"

    done = csm("macros", "import", str(exported), "-q", check=True)
    assert f"Imported {n_macros} macros and {n_snippets} snippets" in done.stdout
    (demo,) = live_server.query("SELECT id FROM agent WHERE handle = 'demo'")
    names = live_server.query(
        "SELECT name FROM macro WHERE scope = 'personal' AND owner_agent_id = ?", demo[0]
    )
    assert sorted(n for (n,) in names) == sorted(m.name for m in library.macros)
    shortcuts = live_server.query(
        "SELECT shortcut FROM snippet WHERE scope = 'personal' AND owner_agent_id = ?", demo[0]
    )
    assert len(shortcuts) == n_snippets
    # The personal copies come back in the next export, beside the shared ones.
    again = tmp_path / "again.toml"
    done = csm("macros", "export", str(again), check=True)
    assert f"Exported {2 * n_macros} macros and {2 * n_snippets} snippets" in done.stdout

    bad = tmp_path / "bad.toml"
    bad.write_text('[[macro]]\nname = "No actions"\nscope = "shared"\n', encoding="utf-8")
    failed = csm("macros", "import", str(bad))
    assert failed.returncode == 1
    assert failed.stderr.strip() == (
        f"csm: {bad}: Macro 'No actions': A macro needs at least one action."
    )
