"""Applying a macro from a screen, in three steps shared by the case and queue screens:

1. pick the macro (a fuzzy picker, the macros suggested for the case first, with why);
2. preview it on the case or the selection (in a thread worker: rendering a template for a
   few thousand cases takes a moment);
3. on ``ctrl+s`` in the preview, apply it as a desk command (one store transaction, its
   outbox mutations pushed by the app) and say what changed and what was skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.worker import get_current_worker

from csm_tui.errors import CsmError
from csm_tui.screens.fuzzy_picker import FuzzyPicker, PickItem

if TYPE_CHECKING:
    from csm_tui.app import CsmApp
    from csm_tui.desk import BulkResult
    from csm_tui.domain.macros import BulkPlan
    from csm_tui.screens.macro_preview import MacroApproval

#: Suggestions shown with their reasons at the top of the picker.
SUGGESTED = 3


def start(
    screen: Screen[object], case_ids: list[str], *, then: Callable[[], None] | None = None
) -> None:
    """Pick a macro for ``case_ids`` and take it through preview and apply."""
    app: CsmApp = screen.app  # type: ignore[assignment]
    desk = app.desk
    if not case_ids:
        app.notify("No case to apply a macro to.", timeout=2)
        return
    try:
        macros = desk.macros()
        ranking = _ranking(desk, case_ids[0], [m.id for m in macros])
    except CsmError as err:
        app.route_error(err, "No macros")
        return
    if not macros:
        app.notify("There are no macros yet; a sync brings the shared ones.", timeout=3)
        return
    by_id = {m.id: m for m in macros}
    items = []
    for rank, (macro_id, reasons) in enumerate(ranking):
        macro = by_id[macro_id]
        hint = reasons[0] if rank < SUGGESTED and reasons else ""
        items.append(PickItem(macro.id, macro.name, macro.description, hint))
    what = "this case" if len(case_ids) == 1 else f"{len(case_ids):,} cases"

    def picked(macro_id: str | None) -> None:
        if macro_id is not None:
            _preview(screen, by_id[macro_id], case_ids, then)

    app.push_screen(FuzzyPicker(f"Apply a macro to {what}", items), picked)


def _ranking(desk: object, case_id: str, macro_ids: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    rows = desk.reader.merge_rows([case_id])  # type: ignore[attr-defined]
    if not rows:
        return [(m, ()) for m in macro_ids]
    row = rows[0]
    suggestions = desk.suggester().rank(  # type: ignore[attr-defined]
        macro_ids, queue=row["queue"], tags=row["tags"], subject=row["subject"]
    )
    return [(s.macro_id, s.reasons) for s in suggestions]


def _preview(
    screen: Screen[object], macro: object, case_ids: list[str], then: Callable[[], None] | None
) -> None:
    app: CsmApp = screen.app  # type: ignore[assignment]
    desk = app.desk

    def work() -> None:
        worker = get_current_worker()
        try:
            bulk = desk.macro_preview(macro, case_ids)  # type: ignore[arg-type]
            numbers = {r["id"]: r["number"] for r in desk.reader.merge_rows(case_ids)}
        except CsmError as err:
            app.call_from_thread(app.route_error, err, "Macro not previewed")
            return
        if not worker.is_cancelled:
            app.call_from_thread(_show, screen, bulk, numbers, then)

    app.run_worker(work, thread=True, group="macro-preview", exclusive=True, exit_on_error=False)


def _show(
    screen: Screen[object], bulk: BulkPlan, numbers: dict[str, str], then: Callable[[], None] | None
) -> None:
    from csm_tui.screens.macro_preview import MacroPreview

    app: CsmApp = screen.app  # type: ignore[assignment]
    desk = app.desk
    plans = list(bulk.plans)

    def approved(approval: MacroApproval | None) -> None:
        if approval is None:
            return

        def done(result: BulkResult) -> None:
            if result.skipped:
                case_id, reason = result.skipped[0]
                more = f" and {len(result.skipped) - 1} more" if len(result.skipped) > 1 else ""
                app.notify(
                    f"{numbers.get(case_id, case_id)}{more} skipped: {reason}",
                    severity="warning",
                    markup=False,
                )
            if then is not None:
                then()

        app.edit(
            lambda: desk.apply_macro(plans, text=approval.text),
            {p.case_id for p in plans},
            f"{bulk.macro_name}: applied to {len(bulk.ready):,} of {bulk.count:,} case(s).",
            then=done,
        )

    app.push_screen(MacroPreview(bulk, numbers=numbers), approved)
