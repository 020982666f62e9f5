"""Applying macros on a real store: the preview from the store's rows (merge fields of the
case, customer and agent), N cases -> N cases' outbox mutations in one transaction, skipped
cases with reasons, an edited text, one undo step. Offline: no server involved."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from csm_tui.desk import Desk
from csm_tui.domain.macros import (
    AddTags,
    CreateTask,
    Macro,
    RemoveTags,
    Reply,
    SetAssignee,
    SetPriority,
    SetQueue,
    SetStatus,
)
from csm_tui.errors import CsmError
from tests.triage_support import build, clock, outbox_rows

REFUND = Macro(
    id="m-refund",
    name="Refund approved",
    scope="personal",
    owner_id="a-anna",
    actions=(
        SetStatus("pending"),
        SetPriority("high"),
        SetAssignee("me"),
        SetQueue("billing"),
        AddTags(("refund-ok",)),
        RemoveTags(("refund",)),
        Reply(
            "public",
            "Hello {{ customer.first_name }},\nyour refund for {{ case.number }} is approved."
            "\n{{ cursor }}\nRegards, {{ agent.first_name }}",
        ),
        CreateTask("billing", "Pay out {{ case.number }}", "+2d"),
    ),
)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    desk = Desk(build(tmp_path / "store.sqlite3"), clock=clock)
    desk.save_macro(REFUND)  # Anna's own macro
    with sqlite3.connect(desk.store_path) as conn:
        conn.execute("DELETE FROM outbox")  # only the macro's application is looked at
    yield desk
    desk.close()


def test_the_preview_reads_the_merge_fields_from_the_store(desk: Desk) -> None:
    (plan,) = desk.macro_preview(REFUND, ["c3"]).plans
    assert plan.ok, plan.problems
    assert (
        plan.field_changes
        == {
            "status": ("pending", "pending"),
            "priority": ("normal", "high"),
            "assignee": ("ben", "anna.schmidt"),
        }
        or "status" not in plan.field_changes
    )
    assert plan.field_changes["priority"] == ("normal", "high")
    assert plan.field_changes["assignee"] == ("ben", "anna.schmidt")
    assert "status" not in plan.field_changes  # c3 is pending already
    assert (plan.tags_add, plan.tags_remove) == (("refund-ok",), ("refund",))
    assert plan.message is not None
    assert plan.message.rendered.text == (
        "Hello Jürgen,\nyour refund for CS-10003 is approved.\n\nRegards, Anna"
    )
    assert plan.message.rendered.cursor == len(
        "Hello Jürgen,\nyour refund for CS-10003 is approved.\n"
    )
    assert [t.title for t in plan.tasks] == ["Pay out CS-10003"]
    # Nothing written by a preview.
    assert outbox_rows(desk.store_path) == []


def test_a_bulk_apply_writes_each_cases_mutations_and_skips_with_reasons(desk: Desk) -> None:
    bulk = desk.macro_preview(REFUND, ["c1", "c2", "c3", "c5"])
    assert bulk.count == 4
    assert [case for case, _reason in bulk.skipped] == ["c5"]  # closed
    result = desk.apply_macro(list(bulk.plans))
    assert sorted(result.changed) == ["c1", "c2", "c3"]
    assert [case for case, _ in result.skipped] == ["c5"]
    rows = outbox_rows(desk.store_path)
    per_case: dict[str, list[str]] = {}
    for _mid, op, entity, entity_id, fields, _base in rows:
        case = entity_id if entity == "case" else json.loads(fields)["case_id"]
        per_case.setdefault(case, []).append(f"{op} {entity}")
    assert per_case == {
        c: ["update case", "create message", "create task", "create macro_use"]
        for c in ("c1", "c2", "c3")
    }
    detail = desk.case_detail("c2")
    assert detail is not None
    assert (detail.case.status, detail.case.priority, detail.case.queue) == (
        "pending",
        "high",
        "Billing",
    )
    assert detail.messages[-1].body.startswith("Hello Zoë,")
    # One undo step takes back every case's field changes (messages and tasks stay).
    assert "3" in (desk.undo_last() or "")
    assert desk.case_detail("c1").case.priority == "urgent"  # type: ignore[union-attr]
    assert desk.case_detail("c1").case.status == "open"  # type: ignore[union-attr]


def test_a_case_that_cannot_take_it_leaves_nothing_behind(desk: Desk) -> None:
    bulk = desk.macro_preview(REFUND, ["c1", "c4"])  # c4 is solved: pending is forbidden
    reasons = dict((p.case_id, p.problems) for p in bulk.plans)
    assert reasons["c1"] == ()
    assert reasons["c4"] and "solved" in reasons["c4"][0]
    result = desk.apply_macro(list(bulk.plans))
    assert result.changed == ["c1"]
    assert {json.loads(r[4]).get("case_id", r[3]) for r in outbox_rows(desk.store_path)} == {"c1"}


def test_the_agents_edit_of_the_text_is_what_goes(desk: Desk) -> None:
    (plan,) = desk.macro_preview(REFUND, ["c1"]).plans
    with pytest.raises(CsmError, match="unknown field"):
        desk.apply_macro([plan], text="Hello [?customer.frist_name]")
    assert outbox_rows(desk.store_path) == []
    desk.apply_macro([plan], text="Hello Jürgen, done.")
    bodies = [json.loads(r[4])["body"] for r in outbox_rows(desk.store_path) if r[2] == "message"]
    assert bodies == ["Hello Jürgen, done."]


def test_merge_context_of_a_case(desk: Desk) -> None:
    ctx = desk.merge_context("c2")
    assert (ctx.customer.first_name, ctx.customer.last_name) == ("Zoë", "Smith")
    assert (ctx.case.number, ctx.case.queue, ctx.agent.handle) == (
        "CS-10002",
        "Cards & Fraud",
        "anna.schmidt",
    )
    with pytest.raises(CsmError):
        desk.merge_context("nope")
