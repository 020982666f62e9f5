"""Jepsen-style sync test: several desks, a real case server, a faulty network, a random schedule.

Four desks (each its own store file, agent and token) work the same few cases of a small
seeded server (a child process on loopback, SQLite file or PostgreSQL) through
:class:`tests.faults.FaultyTransport`: requests dropped, replies lost after the server
committed, 500s after commit, duplicated requests, old pushes replayed, delays and stretches
offline; and each desk's clock is off by a few minutes, as device clocks are. A seeded
schedule interleaves field edits (often several of one case in a row), replies, notes, new
cases, conflict resolutions and syncs; every local command is checked to read back at once
(read-your-writes). The schedule and the faults are the same for a seed on both backends
(the figures it prints match). At the end the
faults go, every desk syncs until its outbox is empty and once more, and the server's own
database is the oracle:

- exactly once: each queued mid has exactly one stored result (ok, conflict or error), the
  server's ``last_mid`` is the desk's, refused mids are the desk's rejected rows and the
  conflicts the server answered are the desk's conflicts (open or resolved);
- messages are never doubled and never lost (unless refused);
- no lost update, no double apply: each case's change log folds into the row the server holds
  with versions rising by exactly one per entry, and the state right after each applied
  mutation shows its values;
- convergence: every desk's replicated tables equal the server's.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from csm_tui.desk import Desk
from csm_tui.domain.enums import CaseStatus, Priority
from csm_tui.domain.status import ALLOWED
from csm_tui.errors import CsmError
from csm_tui.server.process import ServerProcess
from csm_tui.sync.client import CaseServerClient
from csm_tui.sync.engine import ServerBehind
from tests.faults import FaultPlan, FaultyTransport
from tests.sync_support import (
    ServerOracle,
    fold_change_log,
    prepare_server_db,
    replicated_rows,
    row_diff,
)

pytestmark = pytest.mark.e2e

#: Two schedules; between them they catch each of the three desk bugs this test found
#: (see the regression tests in tests/unit/test_push_engine.py) on both backends.
SEEDS = (7, 10)
DESKS = 4
OPERATIONS = 300
SEED_CASES = 40
#: Edits go to these few cases (plus cases the desks create), so that desks collide.
HOT_CASES = 10
TAGS = ("vip", "refund", "hardware", "billing", "escalated", "callback")
FAULTS = FaultPlan(
    drop_request=0.1,
    drop_reply=0.1,
    error_after_commit=0.08,
    duplicate=0.1,
    replay_old=0.35,
    delay=0.15,
    max_delay=0.005,
)
#: How often a desk's next edit goes to the case it edited last.
FOCUS = 0.4
#: Rounds of fault-free syncs allowed for every outbox to drain at the end.
DRAIN_ROUNDS = 5


@dataclass
class Actor:
    """One desk of the schedule and what the test knows it did."""

    name: str
    handle: str
    desk: Desk
    transport: FaultyTransport
    #: mid -> the mutation as queued (read from the outbox right after each command).
    queued: dict[int, dict[str, Any]] = field(default_factory=dict)
    last_mid: int = 0
    offline_for: int = 0
    syncs: Counter[str] = field(default_factory=Counter)
    #: (entity_id, field, mine, theirs) of conflicts this desk resolved during the run.
    resolved: list[tuple[str, str, Any, Any]] = field(default_factory=list)
    last_case: str | None = None

    def collect(self) -> None:
        """Record the mutations the last command queued; mids rise by exactly one."""
        rows = self.desk.reader._all(
            "SELECT mid, op, entity, entity_id, base_version, fields, base FROM outbox "
            "WHERE mid > ? ORDER BY mid",
            (self.last_mid,),
        )
        for mid, op, entity, entity_id, base_version, fields, base in rows:
            assert mid == self.last_mid + 1, f"{self.name}: mid {mid} follows {self.last_mid}"
            self.queued[mid] = {
                "op": op,
                "entity": entity,
                "id": entity_id,
                "base_version": base_version,
                "fields": json.loads(fields),
                "base": json.loads(base),
            }
            self.last_mid = mid
        assert int(self.desk.reader.state("next_mid") or 1) == self.last_mid + 1

    def go_offline(self, ops: int) -> None:
        self.offline_for = ops
        self.transport.plan.offline = True

    def tick(self) -> None:
        """One operation of this desk passed: an offline stretch may end."""
        if self.offline_for:
            self.offline_for -= 1
            self.transport.plan.offline = self.offline_for > 0


@dataclass
class World:
    rng: random.Random
    seed: int
    actors: list[Actor]
    hot: list[str]
    agent_ids: list[str]
    ops: Counter[str] = field(default_factory=Counter)
    serial: int = 0

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial


# -- the schedule ------------------------------------------------------------------------


def _local_cases(actor: Actor, ids: list[str]) -> list[dict[str, Any]]:
    rows = actor.desk.reader._all(
        f'SELECT id, status, priority, tags, assignee_id, subject FROM "case" '
        f"WHERE status != 'closed' AND id IN ({', '.join('?' for _ in ids)})",
        tuple(ids),
    )
    # In the order of ``ids`` (not by uuid): the schedule stays the same for a seed.
    order = {case_id: n for n, case_id in enumerate(ids)}
    rows = sorted(rows, key=lambda r: order[r[0]])
    return [
        {
            "id": r[0],
            "status": r[1],
            "priority": r[2],
            "tags": json.loads(r[3]),
            "assignee_id": r[4],
            "subject": r[5],
        }
        for r in rows
    ]


def _local_value(actor: Actor, case_id: str, name: str) -> Any:
    detail = actor.desk.case_detail(case_id)
    assert detail is not None, f"{actor.name}: case {case_id} vanished locally"
    if name == "assignee_id":
        ((value,),) = actor.desk.reader._all(
            'SELECT assignee_id FROM "case" WHERE id = ?', (case_id,)
        )
        return value
    value = getattr(detail.case, name)
    return list(value) if name == "tags" else value


def _edit(world: World, actor: Actor) -> None:
    rng = world.rng
    cases = _local_cases(actor, world.hot)
    if not cases:
        world.ops["skipped"] += 1
        return
    case = rng.choice(cases)
    # Agents often work one case for a while: several edits of it in a row, queued on
    # top of each other (their bases are the desk's own unconfirmed values).
    same = [c for c in cases if c["id"] == actor.last_case]
    if same and rng.random() < FOCUS:
        case = same[0]
    actor.last_case = case["id"]
    name = rng.choice(("priority", "priority", "tags", "tags", "assignee_id", "status", "subject"))
    if name == "priority":
        value: Any = rng.choice([p.value for p in Priority if p.value != case["priority"]])
    elif name == "tags":
        tags = list(case["tags"])
        absent = [t for t in TAGS if t not in tags]
        if tags and (rng.random() < 0.4 or not absent):
            tags.remove(rng.choice(tags))
        else:
            tags.append(rng.choice(absent))
        value = tags
    elif name == "assignee_id":
        value = rng.choice([a for a in [None, *world.agent_ids] if a != case["assignee_id"]])
    elif name == "status":
        targets = sorted(ALLOWED[CaseStatus(case["status"])])
        # Closing is rarer: it ends a case for everyone (later edits are refused).
        weights = [1 if t == CaseStatus.CLOSED else 3 for t in targets]
        value = rng.choices(targets, weights)[0].value
    else:
        value = f"{actor.name} subject {world.next_serial()}"
    actor.desk.update_case(case["id"], **{name: value})
    world.ops[f"edit {name}"] += 1
    # Read-your-writes: the desk's own reads show the edit at once.
    assert _local_value(actor, case["id"], name) == value, (actor.name, name, value)


def _message(world: World, actor: Actor) -> None:
    rng = world.rng
    pool = world.hot if rng.random() < 0.7 else _all_case_ids(actor)
    cases = _local_cases(actor, pool)
    if not cases:
        world.ops["skipped"] += 1
        return
    case_id = rng.choice(cases)["id"]
    kind = rng.choice(("public", "internal"))
    body = f"{actor.name} {kind} #{world.next_serial()} (seed {world.seed})"
    message_id = actor.desk.add_message(case_id, kind, body)
    world.ops[f"message {kind}"] += 1
    detail = actor.desk.case_detail(case_id)
    assert detail is not None
    assert [(m.kind, m.body) for m in detail.messages if m.id == message_id] == [(kind, body)]


def _all_case_ids(actor: Actor) -> list[str]:
    return [r[0] for r in actor.desk.reader._all('SELECT id FROM "case" ORDER BY number')]


def _create(world: World, actor: Actor) -> None:
    rng = world.rng
    contacts = [r[0] for r in actor.desk.reader._all("SELECT id FROM contact ORDER BY id")]
    queues = [r[0] for r in actor.desk.reader._all("SELECT id FROM queue ORDER BY id")]
    n = world.next_serial()
    note = f"{actor.name} first note #{n}" if rng.random() < 0.5 else ""
    case_id = actor.desk.create_case(
        subject=f"{actor.name} new case {n}",
        contact_id=rng.choice(contacts),
        channel=rng.choice(("phone", "email", "chat")),
        queue_id=rng.choice(queues),
        priority=rng.choice([p.value for p in Priority]),
        note=note,
    )
    world.hot.append(case_id)
    world.ops["create case"] += 1
    detail = actor.desk.case_detail(case_id)
    assert detail is not None and detail.case.number == f"NEW-{case_id[:8]}"
    assert [m.body for m in detail.messages] == ([note] if note else [])


def _resolve(world: World, actor: Actor) -> None:
    conflicts = actor.desk.conflicts()
    if not conflicts:
        world.ops["skipped"] += 1
        return
    conflict = world.rng.choice(conflicts)
    keep = world.rng.choice(("mine", "theirs"))
    try:
        actor.desk.resolve_conflict(conflict.id, keep)  # type: ignore[arg-type]
    except CsmError:
        # Mine can no longer be kept (a status the rules forbid now, a closed case).
        world.ops["resolve refused"] += 1
        assert conflict.id in [c.id for c in actor.desk.conflicts()]
        return
    world.ops[f"resolve {keep}"] += 1
    actor.resolved.append((conflict.entity_id, conflict.field, conflict.mine, conflict.theirs))
    assert conflict.id not in [c.id for c in actor.desk.conflicts()]
    if keep == "mine" and conflict.field in ("priority", "status", "subject", "assignee_id"):
        assert _local_value(actor, conflict.entity_id, conflict.field) == conflict.mine


def _sync(world: World, actor: Actor) -> None:
    world.ops["sync"] += 1
    try:
        actor.desk.sync()
    except ServerBehind:
        raise  # the server lost acknowledged edits: never acceptable
    except CsmError as err:
        actor.syncs[type(err).__name__] += 1
    else:
        actor.syncs["ok"] += 1


def _run_schedule(world: World) -> None:
    rng = world.rng
    for _ in range(OPERATIONS):
        actor = rng.choice(world.actors)
        actor.tick()
        roll = rng.random()
        if roll < 0.05 and not actor.offline_for:
            actor.go_offline(rng.randint(4, 15))
            world.ops["offline stretch"] += 1
        elif roll < 0.27:
            _sync(world, actor)
        elif roll < 0.47:
            _message(world, actor)
        elif roll < 0.52:
            _resolve(world, actor)
        elif roll < 0.54:
            _create(world, actor)
        else:
            _edit(world, actor)
        actor.collect()


def _drain(actors: list[Actor]) -> None:
    """Faults off; sync until every outbox is empty (bounded), then everyone once more."""
    for actor in actors:
        actor.transport.plan = FaultPlan()
        actor.offline_for = 0
    for _ in range(DRAIN_ROUNDS):
        for actor in actors:
            if actor.desk.pending_count():
                _sync_counted(actor)
        if all(actor.desk.pending_count() == 0 for actor in actors):
            break
    left = {a.name: a.desk.pending_count() for a in actors}
    assert not any(left.values()), f"outboxes did not drain in {DRAIN_ROUNDS} rounds: {left}"
    for actor in actors:
        actor.desk.sync()  # no faults now: must succeed


def _sync_counted(actor: Actor) -> None:
    try:
        actor.desk.sync()
    except CsmError as err:
        actor.syncs[f"drain {type(err).__name__}"] += 1


# -- the checks ----------------------------------------------------------------------------


def _check_exactly_once(oracle: ServerOracle, actor: Actor) -> Counter[str]:
    client_id = actor.desk.reader.state("client_id")
    assert client_id
    state = oracle.client_state(client_id)
    assert state is not None and state.last_mid == actor.last_mid, (actor.name, state)
    agent = actor.desk.agent
    assert agent is not None and state.agent_id == agent[0]
    results = oracle.push_results(client_id)
    assert sorted(results) == list(range(1, actor.last_mid + 1)) == sorted(actor.queued)
    statuses = Counter(r.status for r in results.values())
    assert sum(statuses.values()) == len(actor.queued)
    assert actor.desk.pending_count() == 0

    # Refused on the server = rejected on the desk, once each.
    refused = sorted(mid for mid, r in results.items() if r.status == "error")
    rejected = sorted(r[0] for r in actor.desk.reader._all("SELECT mid FROM rejected"))
    assert rejected == refused, actor.name
    reasons = {r[0]: r[1] for r in actor.desk.reader._all("SELECT mid, reason FROM rejected")}
    assert all(reasons[mid] == results[mid].reason for mid in refused)

    # Conflicts the server answered = conflicts the desk shows or resolved, once each.
    answered = Counter(
        (actor.queued[mid]["id"], c.field, json.dumps(c.mine), json.dumps(c.theirs))
        for mid, r in results.items()
        if r.status == "conflict"
        for c in r.conflicts
    )
    held = Counter(
        (c.entity_id, c.field, json.dumps(c.mine), json.dumps(c.theirs))
        for c in actor.desk.conflicts()
    )
    held += Counter((e, f, json.dumps(m), json.dumps(t)) for e, f, m, t in actor.resolved)
    assert held == answered, actor.name
    assert all(r.status != "conflict" or r.conflicts for r in results.values())
    return statuses


def _check_applied_values(
    actor: Actor, results: dict[int, Any], cases: dict[str, dict[int, dict[str, Any]]]
) -> None:
    """The case right after each applied update (the version its result names) shows the
    update's values, or the server's where the result says conflict: nothing was lost."""
    for mid, mutation in actor.queued.items():
        result = results[mid]
        if mutation["entity"] != "case" or result.status == "error":
            continue
        after = cases[mutation["id"]][int(result.version)]
        if mutation["op"] == "create":
            assert after["subject"] == mutation["fields"]["subject"]
            continue
        conflicted = {c.field: c.theirs for c in result.conflicts}
        assert sorted(result.applied) == sorted(set(mutation["fields"]) - set(conflicted))
        for name, mine in mutation["fields"].items():
            if name in conflicted:
                assert after[name] == conflicted[name], (actor.name, mid, name)
            elif name == "tags":
                base = set(mutation["base"].get("tags") or [])
                added, removed = set(mine) - base, base - set(mine)
                assert added <= set(after["tags"]), (actor.name, mid, after["tags"])
                assert not removed & set(after["tags"]), (actor.name, mid, after["tags"])
            else:
                assert after[name] == mine, (actor.name, mid, name, after[name], mine)


def _check_messages(
    oracle_rows: dict[str, dict[str, dict[str, Any]]],
    log_counts: Counter[str],
    actor: Actor,
    results: dict[int, Any],
) -> None:
    agent = actor.desk.agent
    assert agent is not None
    messages = oracle_rows["message"]
    local = {r[0] for r in actor.desk.reader._all("SELECT id FROM message")}
    for mid, mutation in actor.queued.items():
        if mutation["entity"] != "message":
            continue
        message_id = mutation["id"]
        if results[mid].status == "error":
            assert message_id not in messages and message_id not in local
            continue
        row = messages[message_id]
        assert row["body"] == mutation["fields"]["body"]
        assert row["case_id"] == mutation["fields"]["case_id"]
        assert row["author_agent_id"] == agent[0]
        assert log_counts[message_id] == 1, f"message {message_id} logged {log_counts[message_id]}x"


def _story(oracle: ServerOracle, world: World, log: list[Any], entity_id: str) -> str:
    """What happened to one row, for a failure message: its change log and every desk's
    mutations of it with their stored results."""
    lines = [f"\nchange log of {entity_id}:"]
    lines += [
        f"  seq {e.seq} by {e.actor_agent_id}: {e.fields}" for e in log if e.entity_id == entity_id
    ]
    for actor in world.actors:
        results = oracle.push_results(str(actor.desk.reader.state("client_id")))
        for mid, m in sorted(actor.queued.items()):
            if m["id"] == entity_id:
                r = results.get(mid)
                who = f"{actor.name} ({actor.desk.agent and actor.desk.agent[0]})"
                lines.append(f"  {who} mid {mid}: {m['fields']} base {m['base']} -> {r}")
    return "\n".join(lines)


def _check_world(oracle: ServerOracle, world: World) -> dict[str, Any]:
    server = oracle.rows()
    log = oracle.change_log()
    figures: dict[str, Any] = {"statuses": Counter(), "conflicts open": 0}

    # No double apply: every case's log folds, version by version, into the row it holds.
    cases = fold_change_log([e for e in log if e.entity == "case"])
    assert set(cases) == set(server["case"])
    for case_id, row in server["case"].items():
        versions = cases[case_id]
        assert max(versions) == row["version"]
        assert versions[row["version"]] == row, case_id
        for name, value in row.items():
            touching = [e for e in log if e.entity_id == case_id and name in e.fields]
            assert touching[-1].fields[name] == value, (case_id, name)
    fold_change_log([e for e in log if e.entity == "message"])

    # Replies and notes never doubled: one row per add_message. (Audit events may repeat
    # a line, say the same priority change twice; the case folds above count those.)
    ours = {a.desk.agent[0] for a in world.actors if a.desk.agent}
    keys = Counter(
        (m["case_id"], m["body"], m["author_agent_id"])
        for m in server["message"].values()
        if m["author_agent_id"] in ours and m["kind"] != "event"
    )
    assert [k for k, n in keys.items() if n > 1] == []
    log_counts = Counter(e.entity_id for e in log if e.entity == "message")

    for actor in world.actors:
        figures["statuses"] += _check_exactly_once(oracle, actor)
        results = oracle.push_results(str(actor.desk.reader.state("client_id")))
        _check_applied_values(actor, results, cases)
        _check_messages(server, log_counts, actor, results)

        # Convergence: the desk holds what the server holds, conflicts showing theirs.
        local = replicated_rows(actor.desk.store)
        for entity, rows in server.items():
            problems = row_diff(local[entity], rows)
            assert not problems, (
                f"{actor.name} {entity}:\n"
                + "\n".join(problems[:10])
                + "".join(
                    _story(oracle, world, log, p.split(":")[0].split()[-1]) for p in problems[:3]
                )
            )
        for conflict in actor.desk.conflicts():
            assert (
                local["case"][conflict.entity_id][conflict.field]
                == (server["case"][conflict.entity_id][conflict.field])
            )
        figures["conflicts open"] += len(actor.desk.conflicts())
        assert actor.desk.reader.cursor_seq() == max(int(e.seq or 0) for e in log)
    return figures


def _skewed(skew: timedelta) -> Callable[[], datetime]:
    """A desk's clock that is off by ``skew``, as device clocks are."""
    return lambda: datetime.now(UTC).replace(tzinfo=None) + skew


# -- the test ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_desks_on_a_faulty_network_converge_exactly_once(
    server_db_url: str, tmp_path: Path, seed: int
) -> None:
    handles = tuple(f"jepsen.desk{i}" for i in range(DESKS))
    tokens = prepare_server_db(server_db_url, cases=SEED_CASES, new_agents=handles)
    oracle = ServerOracle(server_db_url)
    actors: list[Actor] = []
    process = ServerProcess(server_db_url, log_file=tmp_path / "server.log").start()
    try:
        for i, handle in enumerate(handles):
            transport = FaultyTransport(
                httpx.HTTPTransport(), FaultPlan(), random.Random(seed * 100 + i)
            )
            client = CaseServerClient(process.url, tokens[handle], transport=transport)
            desk = Desk.open(
                tmp_path / f"desk{i}.sqlite3",
                client=client,
                agent_handle=handle,
                clock=_skewed(timedelta(minutes=7 * i - 10)),
            )
            actors.append(Actor(f"desk{i}", handle, desk, transport))
            desk.sync()  # the snapshot, before the network turns bad
            transport.plan = dataclasses.replace(FAULTS)
        first = actors[0].desk
        hot = [
            r[0]
            for r in first.reader._all(
                "SELECT id FROM \"case\" WHERE status != 'closed' ORDER BY number LIMIT ?",
                (HOT_CASES,),
            )
        ]
        agent_ids = [
            r[0]
            for r in first.reader._all(
                "SELECT id FROM agent WHERE handle LIKE 'jepsen.%' OR handle = 'demo' "
                "ORDER BY handle"
            )
        ]
        world = World(random.Random(seed), seed, actors, hot, agent_ids)

        _run_schedule(world)
        faults = sum((Counter(a.transport.counts) for a in actors), Counter())
        syncs = sum((a.syncs for a in actors), Counter())
        _drain(actors)
        figures = _check_world(oracle, world)
    finally:
        for actor in actors:
            actor.desk.close()
        process.stop()
        oracle.close()

    print(
        f"\njepsen seed={seed} backend={server_db_url.split(':')[0]} "
        f"operations={sum(world.ops.values())} {dict(sorted(world.ops.items()))}\n"
        f"  faults {dict(sorted(faults.items()))}\n"
        f"  syncs {dict(sorted(syncs.items()))}\n"
        f"  results {dict(figures['statuses'])}, conflicts still open {figures['conflicts open']}"
    )
    # The schedule must really have exercised the protocol.
    assert faults["drop_reply"] and faults["error_after_commit"] and faults["replay_old"]
    assert faults["offline"] and faults["duplicate"] and faults["drop_request"]
    assert figures["statuses"]["ok"] > 50
