"""The baseline of bench/queue.py's UI section: Textual's plain DataTable holding every case.

    python bench/_datatable_app.py STORE

What a queue that loads everything does: it reads every case of the store once, and the case
ids of every view (the desk's own view queries, done once at load), then shows them in one
``DataTable`` with the same keys as the desk: ``]``/``[`` open the next/previous view (clear
+ add that view's rows), ``/`` focuses the search box, each keystroke there is one filter
(the desk's search query for the matching ids, then clear + add those rows), ``escape``
clears the search, ``pagedown`` scrolls the table. The header line says what is shown in the
desk's words (``view  ·  N cases  ·  sort``), so that the bench knows when a frame shows it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar

_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Static

from csm_tui.desk import CaseQuery, Desk
from csm_tui.widgets.case_table import format_age, priority_label, status_label

COLUMNS = ("Number", "Subject", "Customer", "Status", "Priority", "Assignee", "Age")


def plural(n: int) -> str:
    return f"{n:,} case" + ("" if n == 1 else "s")


class TableDesk(App[None]):
    CSS = """
    #header { height: 1; padding: 0 1; background: $panel; }
    #search { height: 1; border: none; padding: 0 1; }
    DataTable { height: 1fr; }
    #status { height: 1; padding: 0 1; background: $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_square_bracket", "cycle_view(1)", "Next view"),
        Binding("left_square_bracket", "cycle_view(-1)", "Previous view"),
        Binding("slash", "focus_search", "Search"),
        Binding("escape", "escape", "Clear search"),
    ]

    def __init__(self, store: Path) -> None:
        super().__init__()
        self.desk = Desk(store)
        self.views = self.desk.views()
        self.view_index = len(self.views) - 1  # "All", as the desk starts
        self.search = ""
        self.by_id: dict[str, tuple[str, ...]] = {}
        self.position: dict[str, int] = {}
        self.view_rows: dict[str, list[tuple[str, ...]]] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        yield Input(placeholder="/ search", id="search", compact=True)
        yield DataTable(cursor_type="row")
        yield Static(Text("DataTable baseline: every case in memory"), id="status")

    def on_mount(self) -> None:
        # Everything, once: every case as the table's cells, and each view's rows.
        now = self.desk.now()
        for i, r in enumerate(self.desk.case_window(0, 10**9)):
            self.by_id[r.id] = (
                r.number,
                r.subject,
                r.customer,
                status_label(r.status),
                priority_label(r.priority),
                r.assignee or "—",
                format_age(now, r.created_at),
            )
            self.position[r.id] = i
        for view in self.views:
            self.view_rows[view.id] = self._rows(self.desk.case_ids(CaseQuery(view=view.id)))
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.show(self.view_rows[self.views[self.view_index].id])

    def _rows(self, ids: list[str]) -> list[tuple[str, ...]]:
        """The rows of ``ids`` in the queue's order (most recently updated first)."""
        position = self.position
        return [self.by_id[i] for i in sorted(ids, key=position.__getitem__)]

    def show(self, rows: list[tuple[str, ...]]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(rows)
        view = self.views[self.view_index]
        line = f"DataTable  ·  {view.title}  ·  {plural(len(rows))}"
        line += " found" if self.search.strip() else ""
        self.query_one("#header", Static).update(Text(line + "  ·  sort: updated ↓"))

    def action_cycle_view(self, step: int) -> None:
        self.view_index = (self.view_index + step) % len(self.views)
        self.refill()

    def refill(self) -> None:
        view = self.views[self.view_index]
        if self.search.strip():
            query = CaseQuery(view=view.id, search=self.search)
            self.show(self._rows(self.desk.case_ids(query)))
        else:
            self.show(self.view_rows[view.id])

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value != self.search:
            self.search = event.value
            self.refill()

    def action_escape(self) -> None:
        box = self.query_one("#search", Input)
        if box.value:
            box.value = ""  # Input.Changed refills
        self.query_one(DataTable).focus()


if __name__ == "__main__":
    TableDesk(Path(sys.argv[1])).run()
