"""Resolving sync conflicts, and seeing the edits the server refused.

A conflict is one field that both this agent and someone else changed: the table shows mine,
theirs, who changed theirs and when. ``m`` keeps mine (queued as a new edit), ``t`` keeps
theirs; ``M``/``T`` do that for every conflict (with one confirmation). Refused edits show the
server's reason; ``d`` dismisses one. Field values may come from customers or the server, so
they are cleaned and drawn as ``Text``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label

from csm_tui.domain.text import clean_line
from csm_tui.errors import CsmError
from csm_tui.screens.desk_access import DeskAccess

if TYPE_CHECKING:
    pass

#: Longest value shown in a cell; the rest is cut with an ellipsis.
MAX_VALUE_CHARS = 40


def show_value(value: Any) -> Text:
    """A field value as one safe line: lists joined, None as an em dash."""
    if value is None:
        return Text("—")
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value) or "(none)"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    text = clean_line(text)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return Text(text)


class ConflictsScreen(DeskAccess, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "keep('mine')", "Keep mine", id="conflicts.keep_mine"),
        Binding("t", "keep('theirs')", "Keep theirs", id="conflicts.keep_theirs"),
        Binding("M", "keep_all('mine')", "All mine", id="conflicts.all_mine"),
        Binding("T", "keep_all('theirs')", "All theirs", id="conflicts.all_theirs"),
        Binding("d", "dismiss_rejected", "Dismiss refused", id="conflicts.dismiss"),
        Binding("escape", "close", "Close", id="conflicts.close"),
    ]

    DEFAULT_CSS = """
    ConflictsScreen { align: center middle; }
    ConflictsScreen > Vertical {
        width: 95%; height: 90%; border: round $warning; background: $surface; padding: 0 1;
    }
    ConflictsScreen .section { text-style: bold; padding: 1 0 0 0; }
    ConflictsScreen #conflicts-table { height: 2fr; }
    ConflictsScreen #rejected-table { height: 1fr; }
    ConflictsScreen #conflicts-empty { color: $foreground-muted; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                Text("Conflicts: both you and someone else changed these"), classes="section"
            )
            yield DataTable(id="conflicts-table", cursor_type="row", zebra_stripes=True)
            yield Label(Text("Refused by the server"), classes="section")
            yield DataTable(id="rejected-table", cursor_type="row")
            yield Label(id="conflicts-empty")
        yield Footer()

    def on_mount(self) -> None:
        conflicts = self.query_one("#conflicts-table", DataTable)
        conflicts.add_columns("Case", "Field", "Mine", "Theirs", "Changed by", "When")
        rejected = self.query_one("#rejected-table", DataTable)
        rejected.add_columns("Case", "Refused because", "When")
        self.reload()
        conflicts.focus()

    def reload(self) -> None:
        desk = self.csm_app.desk
        table = self.query_one("#conflicts-table", DataTable)
        table.clear()
        conflicts = desk.conflicts()
        for c in conflicts:
            table.add_row(
                Text(clean_line(c.case_number or c.entity_id[:8])),
                Text(c.field),
                show_value(c.mine),
                show_value(c.theirs),
                Text(clean_line(c.by or "someone")),
                Text(clean_line(c.at or "")),
                key=str(c.id),
            )
        rejected_table = self.query_one("#rejected-table", DataTable)
        rejected_table.clear()
        rejected = desk.rejected()
        for r in rejected:
            rejected_table.add_row(
                Text(clean_line(r.case_number or r.entity_id[:8])),
                Text(clean_line(r.reason)),
                Text(f"{r.created_at:%Y-%m-%d %H:%M}"),
                key=str(r.id),
            )
        empty = not conflicts and not rejected
        self.query_one("#conflicts-empty", Label).update(
            Text("Nothing to resolve: every edit is in step with the server." if empty else "")
        )

    def _highlighted(self, table_id: str) -> int | None:
        table = self.query_one(table_id, DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(str(key.value))

    def action_keep(self, keep: str) -> None:
        conflict_id = self._highlighted("#conflicts-table")
        if conflict_id is not None:
            self._resolve([conflict_id], keep)

    def action_keep_all(self, keep: str) -> None:
        ids = [c.id for c in self.csm_app.desk.conflicts()]
        if not ids:
            return
        from csm_tui.screens.confirm import ConfirmModal

        def answered(yes: bool | None) -> None:
            if yes:
                self._resolve(ids, keep)

        self.app.push_screen(
            ConfirmModal(f"Keep {keep} for all {len(ids)} conflicts?", confirm=f"Keep {keep}"),
            answered,
        )

    @work(thread=True, group="resolve", exit_on_error=False)
    def _resolve(self, ids: list[int], keep: str) -> None:
        desk = self.csm_app.desk
        try:
            for conflict_id in ids:
                desk.resolve_conflict(conflict_id, keep)  # type: ignore[arg-type]
        except CsmError as err:
            self.app.call_from_thread(self.csm_app.route_error, err)
        self.app.call_from_thread(self._after_change)

    def action_dismiss_rejected(self) -> None:
        rejected_id = self._highlighted("#rejected-table")
        if rejected_id is not None:
            self.csm_app.desk.dismiss_rejected(rejected_id)
            self._after_change()

    def _after_change(self) -> None:
        self.reload()
        self.csm_app.local_edit_done(set())

    def action_close(self) -> None:
        self.dismiss(None)
