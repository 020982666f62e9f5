"""The queue screen: a header line, the virtual case table, the sync status bar and the footer.

Enter on a case pushes :class:`~csm_tui.screens.case.CaseScreen`; this screen stays on the
stack underneath, so coming back finds the cursor where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from csm_tui.desk import Desk
from csm_tui.domain.text import clean_line
from csm_tui.widgets.case_table import CaseTable
from csm_tui.widgets.sync_status import SyncStatusBar

if TYPE_CHECKING:
    from csm_tui.app import CsmApp


class QueueHeader(Static):
    """``csm desk · @handle · 40 cases`` on one line."""

    DEFAULT_CSS = """
    QueueHeader {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    """

    def show(self, handle: str | None, count: int) -> None:
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append("csm desk", style="bold")
        line.append("  ·  ", style="dim")
        line.append(f"@{clean_line(handle)}" if handle else "not signed in")
        line.append("  ·  ", style="dim")
        line.append(f"{count:,} case" + ("" if count == 1 else "s"))
        self.update(line)


class QueueScreen(Screen[None]):
    """The default mode: the agent's work list."""

    AUTO_FOCUS = "CaseTable"

    @property
    def csm_app(self) -> CsmApp:
        return cast("CsmApp", self.app)

    @property
    def desk(self) -> Desk:
        return self.csm_app.desk

    def compose(self) -> ComposeResult:
        yield QueueHeader(id="queue-header")
        yield CaseTable(self.desk, id="case-table")
        yield SyncStatusBar(self.desk, id="sync-status")
        yield Footer()

    def on_mount(self) -> None:
        self._show_count()
        self.csm_app.cases_changed_signal.subscribe(self, self._on_cases_changed)
        self.csm_app.sync_status_signal.subscribe(self, self._on_sync_status)

    @property
    def table(self) -> CaseTable:
        return self.query_one(CaseTable)

    def refresh_cases(self) -> None:
        """Re-read the queue in place (same case under the cursor, same scroll line)."""
        self.table.refresh_rows()
        self._show_count()

    def _show_count(self) -> None:
        self.query_one(QueueHeader).show(self.desk.agent_handle, self.table.row_count)

    def _on_cases_changed(self, _case_ids: set[str]) -> None:
        self.refresh_cases()

    def _on_sync_status(self, syncing: bool) -> None:
        self.query_one(SyncStatusBar).refresh_status(syncing)

    def on_case_table_case_selected(self, message: CaseTable.CaseSelected) -> None:
        message.stop()
        # Imported on first use: the case screen is not on the way to the first paint.
        from csm_tui.screens.case import CaseScreen

        self.app.push_screen(CaseScreen(message.case_id))
