"""Macros on the desk: their preview read from the store, and a previewed plan written as
ordinary outbox mutations.

:func:`inputs` reads what :func:`csm_tui.domain.macros.plan` needs of each case (its facts
and its merge context) in one query; :func:`preview` plans a macro on one case or a
selection; :func:`apply` writes the ready plans in one store transaction: per case the field
and tag changes (one update mutation), the message (the agent may have edited its text), the
tasks and the macro's use (what the suggestions learn from), each case inside a savepoint so
that a case that cannot take it is skipped with its reason and leaves nothing behind. The
field changes are one undo step; messages are append-only and stay.

Nothing here imports Textual; the desk's own methods are thin wrappers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from csm_tui.domain.macros import BulkPlan, CaseFacts, Macro, MacroPlan, plan_bulk
from csm_tui.domain.templates import MergeContext, merge_context, unknown_marks
from csm_tui.errors import CsmError

if TYPE_CHECKING:
    from csm_tui.desk import BulkResult, Desk

#: Plan field names and the case columns they set (assignee: handle -> id, queue: slug -> id).
_COLUMN = {
    "status": "status",
    "priority": "priority",
    "assignee": "assignee_id",
    "queue": "queue_id",
}


def inputs(desk: Desk, case_ids: list[str]) -> list[tuple[CaseFacts, MergeContext]]:
    """Facts and merge context of each case the store has, in the order given."""
    agent = desk.agent
    me = {"name": agent[2], "handle": agent[1]} if agent else {"handle": desk.agent_handle}
    rows = {row["id"]: row for row in desk.reader.merge_rows(case_ids)}
    out: list[tuple[CaseFacts, MergeContext]] = []
    for case_id in case_ids:
        row = rows.get(case_id)
        if row is None:
            continue
        facts = CaseFacts(
            status=row["status"],
            priority=row["priority"],
            assignee=row["assignee"],
            queue=row["queue"],
            tags=row["tags"],
            id=case_id,
        )
        context = merge_context(
            case={
                "number": row["number"],
                "subject": row["subject"],
                "status": row["status"],
                "priority": row["priority"],
                "queue": row["queue_name"],
                "channel": row["channel"],
            },
            customer={
                "first_name": row["first_name"],
                "last_name": row["last_name"],
                "customer_number": row["customer_number"],
                "email": row["email"],
                "language": row["language"],
            },
            account={"name": row["account"], "tier": row["tier"]},
            agent=me,
        )
        out.append((facts, context))
    return out


def preview(desk: Desk, macro: Macro, case_ids: list[str]) -> BulkPlan:
    """What ``macro`` would do to each case (problems included, nothing written)."""
    return plan_bulk(
        macro,
        inputs(desk, case_ids),
        me=desk.handle,
        agents=[a.handle for a in desk.agents()],
        queues=[q.slug for q in desk.queues()],
        now=desk.now(),
    )


def apply(desk: Desk, plans: list[MacroPlan], *, text: str | None = None) -> BulkResult:
    """Write the plans that are ready; ``text`` replaces the message of a single plan (the
    agent edited it in the preview). Raises CsmError (one sentence, nothing written) for an
    edited text that still has unknown fields or is empty."""
    from csm_tui.desk import BulkResult, _undo_entry

    result = BulkResult()
    ready = [p for p in plans if p.ok and p.changes_anything]
    result.skipped = [(p.case_id, p.problems[0]) for p in plans if not p.ok]
    result.unchanged = [p.case_id for p in plans if p.ok and not p.changes_anything]
    if text is not None:
        if len(ready) != 1 or ready[0].message is None:
            raise CsmError("An edited text goes with a macro on one case that writes one.")
        marks = unknown_marks(text)
        if marks:
            raise CsmError(f"The text still has an unknown field ({marks[0]}); fix it first.")
        if not text.strip():
            raise CsmError("The macro's message is empty; write something or cancel.")
    if not ready:
        return result
    agent_ids = {a.handle: a.id for a in desk.agents()}
    queue_ids = {q.slug: q.id for q in desk.queues()}
    now = desk._now()
    undo: list[dict[str, Any]] = []
    with desk._outbox().transaction() as conn:
        for plan in ready:
            conn.execute("SAVEPOINT macro_case")
            try:
                changed, base = _apply_one(desk, conn, plan, text, agent_ids, queue_ids, now)
            except CsmError as err:
                conn.execute("ROLLBACK TO macro_case")
                conn.execute("RELEASE macro_case")
                result.skipped.append((plan.case_id, str(err)))
                continue
            conn.execute("RELEASE macro_case")
            result.changed.append(plan.case_id)
            if changed:
                undo.append(_undo_entry(plan.case_id, changed, base))
        if undo:
            name = ready[0].macro_name
            desk._push_undo(conn, f"macro {name!r} on {len(undo)} case(s)", undo, now)
    return result


def _apply_one(
    desk: Desk,
    conn: Any,
    plan: MacroPlan,
    text: str | None,
    agent_ids: dict[str, str],
    queue_ids: dict[str, str],
    now: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    changes: dict[str, Any] = {}
    for name, (_old, new) in plan.field_changes.items():
        if name == "assignee":
            changes["assignee_id"] = agent_ids[new] if new else None
        elif name == "queue":
            changes["queue_id"] = queue_ids[new] if new else None
        else:
            changes[_COLUMN[name]] = new
    changed, base = {}, {}
    if changes or plan.tags_add or plan.tags_remove:
        changed, base = desk._edit_case(
            conn,
            plan.case_id,
            changes,
            now,
            check_refs=True,
            add_tags=plan.tags_add,
            remove_tags=plan.tags_remove,
        )
    if plan.message is not None:
        body = text if text is not None else plan.message.rendered.text
        desk._queue_message_checked(conn, plan.case_id, plan.message.kind, body, now)
    for task in plan.tasks:
        fields = {"team": task.team, "title": task.title, "due_at": task.due_at}
        desk._queue_task(conn, plan.case_id, desk._check_task_fields(fields), now)
    # What the suggestions learn from (every desk pulls the uses).
    desk._queue_macro_use(conn, plan.macro_id, plan.case_id, now)
    return changed, base
