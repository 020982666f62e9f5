"""``csm sync`` SIGKILLed at random points of its pull and of its push, then run again.

The real console script runs against a real case server (SQLite, child process on loopback)
with ``CSM_HOME``, ``CSM_TOKEN`` and ``server = URL`` in its config file. After every kill,
before the next run, the store file and the server's database are checked:

- the store passes ``PRAGMA integrity_check``;
- pull: the cursor never points past what was applied (a snapshot cursor's rows are all
  there and equal the server's; a delta cursor at the head means the store equals the
  server);
- push: the outbox is a suffix of the queued mids; everything settled locally is applied on
  the server (never lost); an edit applied on the server whose reply the kill cut off is
  still queued and is answered from the stored result by the next run (never applied twice);
  every edited field still reads back its newest queued value; the versions of the store
  are those of the server's change log at the store's cursor.

At the end one more run completes: nothing is queued, each mid has exactly one stored
result, every case's change log rises one version per change, and the store equals the
server.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from csm_tui.desk import Desk
from csm_tui.domain.models import REPLICATED
from csm_tui.server.changes import compact
from csm_tui.server.process import ServerProcess
from csm_tui.server.push import KEEP_RESULTS
from csm_tui.server.seed import touch_cases
from tests.e2e.conftest import Csm, csm_command
from tests.sync_support import (
    ServerOracle,
    fold_change_log,
    prepare_server_db,
    row_diff,
    store_rows,
)

pytestmark = pytest.mark.e2e

RNG_SEED = 90210
SEED_CASES = 3000
#: SIGKILLs of each phase (a kill that comes after the run ended counts as completed).
PULL_KILLS = 4
PUSH_KILLS = 4
UPDATES = 300
NOTES = 100
HANDLE = "sigkill.desk"
#: Seconds after its start at which a pull run is killed (the full snapshot of 3,000 cases
#: takes a few seconds), and the same for a push run (400 edits, two batches).
PULL_KILL = (0.3, 3.5)
PUSH_KILL = (0.25, 2.0)
#: Longest a run may take before the test calls it stuck.
RUN_TIMEOUT = 120


@dataclass
class Rig:
    csm: Csm
    server: ServerProcess
    oracle: ServerOracle
    log: Path
    rng: random.Random
    #: mid -> queued mutation, over all push rounds.
    queued: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: (case id, field) -> the newest value queued for it.
    newest: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: Server rows when the push rounds began: the change log is folded from there.
    start: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    start_seq: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def store(self) -> Path:
        return self.csm.store

    def run(self, kill_after: float | None, armed: Callable[[], bool] | None = None) -> bool:
        """Run ``csm sync`` and SIGKILL it ``kill_after`` seconds after its start, or after
        ``armed()`` first holds (polled), unless it ended before. True if it was killed."""
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                [*csm_command(), "sync"],
                env=self.csm.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            deadline = time.monotonic() + RUN_TIMEOUT
            while armed is not None and proc.poll() is None and not armed():
                assert time.monotonic() < deadline, "csm sync never got there"
                time.sleep(0.002)
            proc.wait(timeout=kill_after if kill_after is not None else RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            if kill_after is None:
                raise AssertionError(f"csm sync did not finish in {RUN_TIMEOUT} s") from None
            return True
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
        assert proc.returncode == 0, f"csm sync exited {proc.returncode}; see {self.log}"
        return False

    def quiesce(self) -> None:
        """Let the server finish what the killed desk had sent: a push that arrived before
        the kill still commits. Stopping it gracefully (SIGTERM) waits for requests in
        flight; then it starts again on the same port."""
        self.server.stop()
        assert not self.server.killed, "the server did not stop gracefully"
        self.server = ServerProcess(
            self.server.db_url, log_file=self.server.log_file, port=self.server.port
        ).start()

    def local(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        assert self.store.exists()
        with closing(sqlite3.connect(self.store)) as conn:
            return conn.execute(sql, params).fetchall()

    def has_store(self) -> bool:
        """The store file exists with its tables (a run killed while starting may have
        left none, or an empty file)."""
        if not self.store.exists():
            return False
        found = self.local("SELECT 1 FROM sqlite_master WHERE name = 'sync_state'")
        return bool(found)

    def state(self, key: str) -> str:
        if not self.has_store():
            return ""
        rows = self.local("SELECT value FROM sync_state WHERE key = ?", key)
        return str(rows[0][0]) if rows else ""

    def max_seq(self) -> int:
        return self.oracle.max_seq()


def _check_store_file(rig: Rig) -> None:
    assert rig.local("PRAGMA integrity_check") == [("ok",)]
    assert rig.local("SELECT count(*) FROM conflict") == [(0,)]
    assert rig.local("SELECT count(*) FROM rejected") == [(0,)]


# -- pull ----------------------------------------------------------------------------------


def _check_pull_state(rig: Rig) -> bool:
    """The store after a run of the pull rounds; True if the pull was cut short."""
    if not rig.has_store():
        return True  # killed before it made the store
    _check_store_file(rig)
    assert rig.local("SELECT count(*) FROM outbox") == [(0,)]
    cursor = rig.state("cursor")
    server = rig.oracle.rows()
    local = store_rows(rig.store)
    for entity, rows in local.items():
        assert set(rows) <= set(server[entity]), f"{entity}: rows the server never had"
    head = rig.max_seq()
    if cursor.startswith("d."):
        seq = int(cursor[2:])
        assert seq <= head, f"cursor {cursor} is past the server's log ({head})"
        if seq == head:
            for entity, rows in server.items():
                problems = row_diff(local[entity], rows)
                assert not problems, f"{entity} at the head:\n" + "\n".join(problems[:10])
            return False
        return True
    if cursor.startswith("s."):
        high, index, last_id = cursor[2:].split(".", 2)
        assert int(high) <= head
        # Everything the snapshot pages before the cursor brought is in the store, as is.
        for n, model in enumerate(REPLICATED[: int(index) + 1]):
            entity = model.entity  # type: ignore[attr-defined]
            covered = {
                i: row
                for i, row in server[entity].items()
                if n < int(index) or (last_id and i <= last_id)
            }
            mine = {i: row for i, row in local[entity].items() if i in covered}
            problems = row_diff(mine, covered)
            assert not problems, f"{entity} before {cursor}:\n" + "\n".join(problems[:10])
    # No cursor yet, or inside the first-screen prelude ("f."): only rows the server has.
    return True


def _pull_rounds(rig: Rig) -> None:
    for point in range(PULL_KILLS):
        if rig.state("cursor") == f"d.{rig.max_seq()}":
            # The desk is at the head: change some cases and compact the log past its
            # cursor, so that this run is a full resync again (410), not a short delta.
            touch_cases(rig.oracle.engine, 40, seed=point)
            compact(rig.oracle.engine, keep_last=10)
        before = rig.state("cursor")
        if point % 2:
            # A random time after the first page of this run committed with its cursor.
            killed = rig.run(
                rig.rng.uniform(0, PULL_KILL[0] * 3),
                armed=lambda was=before: rig.state("cursor") != was,
            )
        else:
            killed = rig.run(rig.rng.uniform(*PULL_KILL))
        behind = _check_pull_state(rig)
        if not killed:
            rig.outcomes["pull: the run completed first"] += 1
        elif rig.state("cursor") == before:
            rig.outcomes["pull: killed before its first page"] += 1
        elif behind:
            rig.outcomes["pull interrupted"] += 1
        else:
            rig.outcomes["pull: killed after it was done"] += 1
    rig.run(None)
    assert not _check_pull_state(rig)


# -- push ----------------------------------------------------------------------------------


def _queue_edits(rig: Rig) -> None:
    """300 updates and 100 notes through a desk on the store file, then closed."""
    desk = Desk(rig.store)
    rng = rig.rng
    try:
        cases = [
            (r[0], r[1], json.loads(r[2]))
            for r in desk.reader._all(
                "SELECT id, priority, tags FROM \"case\" WHERE status IN ('open', 'pending', "
                "'on_hold') ORDER BY number"
            )
        ]
        chosen = rng.sample(cases, 150)
        priorities = ("low", "normal", "high", "urgent")
        for n in range(UPDATES):
            case_id, _, _ = chosen[n % len(chosen)]
            name = rng.choice(("priority", "subject", "tags"))
            current = rig.newest.get((case_id, name), _local(desk, case_id, name))
            if name == "priority":
                value: Any = rng.choice([p for p in priorities if p != current])
            elif name == "subject":
                value = f"Killed and resumed {len(rig.queued) + n}"
            else:
                value = [*current, f"k{len(rig.queued) + n}"][-4:]
            desk.update_case(case_id, **{name: value})
            rig.newest[(case_id, name)] = value
        for n in range(NOTES):
            case_id = rng.choice(chosen)[0]
            desk.add_message(case_id, "internal", f"Note {len(rig.queued) + n} across a kill")
        rows = desk.reader._all(
            "SELECT mid, op, entity, entity_id, fields FROM outbox WHERE mid > ? ORDER BY mid",
            (max(rig.queued, default=0),),
        )
    finally:
        desk.close()
    assert len(rows) == UPDATES + NOTES
    for mid, op, entity, entity_id, fields in rows:
        assert mid == max(rig.queued, default=0) + 1
        rig.queued[mid] = {
            "op": op,
            "entity": entity,
            "id": entity_id,
            "fields": json.loads(fields),
        }


def _local(desk: Desk, case_id: str, name: str) -> Any:
    ((value,),) = desk.reader._all(f'SELECT {name} FROM "case" WHERE id = ?', (case_id,))
    return json.loads(value) if name == "tags" else value


def _check_push_state(rig: Rig) -> tuple[int, int]:
    """The store and the server after a run of the push rounds: returns (edits still queued,
    edits applied on the server but still queued here)."""
    _check_store_file(rig)
    client_id = rig.state("client_id")
    last = max(rig.queued)
    pending = [r[0] for r in rig.local("SELECT mid FROM outbox ORDER BY mid")]
    settled = last - len(pending)
    assert pending == list(range(settled + 1, last + 1)), "the outbox is not a suffix"
    state = rig.oracle.client_state(client_id)
    held = int(state.last_mid) if state is not None else 0
    # Settled here => applied there (never lost); never more than was queued.
    assert settled <= held <= last, (settled, held, last)
    results = rig.oracle.push_results(client_id)
    # The server keeps the newest KEEP_RESULTS results; each held mid has exactly one.
    assert sorted(results) == list(range(max(1, held - KEEP_RESULTS + 1), held + 1))
    assert {r.status for r in results.values()} <= {"ok"}

    # Every edited field reads back the newest value queued for it, whatever got through.
    for (case_id, name), value in rig.newest.items():
        ((stored,),) = rig.local(f'SELECT {name} FROM "case" WHERE id = ?', case_id)
        assert (json.loads(stored) if name == "tags" else stored) == value, (case_id, name)
    notes = {m["id"]: (mid, m) for mid, m in rig.queued.items() if m["entity"] == "message"}
    on_server = rig.oracle.message_ids(list(notes))
    for message_id, (mid, mutation) in notes.items():
        here = rig.local("SELECT body FROM message WHERE id = ?", message_id)
        assert here == [(mutation["fields"]["body"],)]
        assert (message_id in on_server) == (mid <= held), (mid, held)

    # The store's versions are the server's at the store's cursor: no page applied without
    # its cursor, no cursor saved without its page.
    cursor = rig.state("cursor")
    assert cursor.startswith("d.")
    seq = int(cursor[2:])
    log = rig.oracle.change_log_tail(rig.start_seq)
    assert seq <= max((int(e.seq or 0) for e in log), default=rig.start_seq)
    for entity in ("case", "message"):
        folded = fold_change_log(
            [e for e in log if e.entity == entity and int(e.seq or 0) <= seq], rig.start[entity]
        )
        versions = {i: max(v) for i, v in folded.items()}
        local = {r[0]: r[1] for r in rig.local(f'SELECT id, version FROM "{entity}"')}
        for row_id, version in versions.items():
            assert local.get(row_id) == version, (entity, row_id, local.get(row_id), version)
    return len(pending), held - settled


def _server_mid(rig: Rig) -> int:
    state = rig.oracle.client_state(rig.state("client_id"))
    return int(state.last_mid) if state is not None else 0


def _push_rounds(rig: Rig) -> None:
    rig.start = rig.oracle.rows()
    rig.start_seq = rig.max_seq()
    for point in range(PUSH_KILLS):
        _queue_edits(rig)
        before = (_server_mid(rig), len(rig.local("SELECT mid FROM outbox")))
        if point % 2:
            # A random time after the server committed the run's first batch: between
            # the batches, or while the desk settles one, or in the pull after them.
            killed = rig.run(
                rig.rng.uniform(0, PUSH_KILL[0]),
                armed=lambda held=before[0]: _server_mid(rig) > held,
            )
        else:
            killed = rig.run(rig.rng.uniform(*PUSH_KILL))
        if killed:
            rig.quiesce()
        queued, in_flight = _check_push_state(rig)
        if not killed:
            rig.outcomes["push: the run completed first"] += 1
        elif (_server_mid(rig), queued) == before:
            rig.outcomes["push: killed before it pushed"] += 1
        elif queued:
            rig.outcomes["push interrupted"] += 1
            rig.outcomes["edits applied but unsettled at a kill"] += in_flight
        elif rig.state("cursor") != f"d.{rig.max_seq()}":
            rig.outcomes["push done, pull interrupted"] += 1
        else:
            rig.outcomes["push: killed after it was done"] += 1
    rig.run(None)
    assert _check_push_state(rig) == (0, 0)


def _check_final(rig: Rig) -> None:
    client_id = rig.state("client_id")
    state = rig.oracle.client_state(client_id)
    assert state is not None and state.last_mid == max(rig.queued) == len(rig.queued)
    results = rig.oracle.push_results(client_id)
    kept = min(len(rig.queued), KEEP_RESULTS)
    assert sorted(results) == list(range(len(rig.queued) - kept + 1, len(rig.queued) + 1))
    assert Counter(r.status for r in results.values()) == {"ok": kept}
    log = rig.oracle.change_log_tail(rig.start_seq)
    server = rig.oracle.rows()
    # Applied once: every case's versions rise one per logged change, up to the row's.
    folded = fold_change_log([e for e in log if e.entity == "case"], rig.start["case"])
    for case_id, row in server["case"].items():
        assert max(folded[case_id]) == row["version"]
        assert folded[case_id][row["version"]] == row
    bodies = Counter(m["body"] for m in server["message"].values())
    notes = [m["fields"]["body"] for m in rig.queued.values() if m["entity"] == "message"]
    assert all(bodies[b] == 1 for b in notes)
    for (case_id, name), value in rig.newest.items():
        assert server["case"][case_id][name] == value
    local = store_rows(rig.store)
    for entity, rows in server.items():
        problems = row_diff(local[entity], rows)
        assert not problems, f"{entity}:\n" + "\n".join(problems[:10])


def test_csm_sync_killed_during_pull_and_push_resumes_consistently(
    tmp_path: Path, csm: Csm, server_db_url: str
) -> None:
    # ``server_db_url`` is parametrised: the server runs on SQLite and on PostgreSQL.
    db_url = server_db_url
    token = prepare_server_db(db_url, cases=SEED_CASES, new_agents=(HANDLE,))[HANDLE]
    oracle = ServerOracle(db_url)
    server = ServerProcess(db_url, log_file=tmp_path / "server" / "server.log").start()
    config = csm.home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'server = "{server.url}"\n', encoding="utf-8")
    csm.env["CSM_TOKEN"] = token
    rig = Rig(csm, server, oracle, tmp_path / "csm-sync.log", random.Random(RNG_SEED))
    try:
        _pull_rounds(rig)
        _push_rounds(rig)
        _check_final(rig)
    finally:
        rig.server.stop()
        oracle.close()
    print(f"\nsigkill kill points: {dict(sorted(rig.outcomes.items()))}")
    assert rig.outcomes["pull interrupted"] >= 2, rig.outcomes
    assert rig.outcomes["push interrupted"] >= 2, rig.outcomes
