"""A row-cursor DataTable for the SLA panel, whose cells show SLA states in the theme's
``$sla-breach`` / ``$sla-at-risk`` / ``$sla-ok`` colours, always next to a symbol and a word
(never colour alone).

Cells are ``rich.text.Text`` (names and subjects come from customers and the server: never
markup). :meth:`SlaTable.show_rows` replaces the rows only when the row keys changed, else
updates the cells that differ, so a tick repaints a few cells and the cursor stays put.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey

#: A state's symbol and word, for the cells and the column titles.
BREACHED = "✖"
AT_RISK = "▲"
ON_TRACK = "●"

Cell = str | Text
#: The key of the one row that says a table is empty.
EMPTY_KEY = "__empty__"


class SlaTable(DataTable[Cell]):
    """``columns`` are (key, title, width or None for the content's width); rows are keyed
    by an id string."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "sla-table--breach",
        "sla-table--at-risk",
        "sla-table--ok",
        "sla-table--muted",
    }

    DEFAULT_CSS = """
    SlaTable { height: 1fr; }
    SlaTable > .sla-table--breach { color: $sla-breach; text-style: bold; }
    SlaTable > .sla-table--at-risk { color: $sla-at-risk; text-style: bold; }
    SlaTable > .sla-table--ok { color: $sla-ok; }
    SlaTable > .sla-table--muted { color: $foreground-muted; }
    """

    def __init__(
        self,
        columns: Sequence[tuple[str, str, int | None]],
        *,
        empty: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id)
        self._columns = list(columns)
        self.empty = empty
        self._keys: list[str] | None = None  # None: nothing shown yet

    def on_mount(self) -> None:
        for key, title, width in self._columns:
            self.add_column(Text(title, no_wrap=True), key=key, width=width)

    def styled(self, text: str, state: str | None) -> Text:
        """``text`` in a state's style: "breach", "at-risk", "ok", "muted", or None."""
        # partial: the colour and weight only; the row (cursor, zebra) keeps its background
        style = self.get_component_rich_style(f"sla-table--{state}", partial=True) if state else ""
        return Text(text, style=style, no_wrap=True, overflow="ellipsis")

    @property
    def row_keys(self) -> list[str]:
        return list(self._keys or ())

    @property
    def cursor_key(self) -> str | None:
        """The id of the row under the cursor, or None."""
        if not self._keys or not 0 <= self.cursor_row < len(self._keys):
            return None
        return self._keys[self.cursor_row]

    def _set_cell(self, key: str, column: str, cell: Cell) -> None:
        """``update_cell``, repainting that cell only: ``update_cell`` repaints the whole
        table, so one countdown moving cost the next-20 table's every line on the wire each
        second (~4.8 KB; bench/terminal_bytes.py). The cell goes in through the same internal
        fields ``update_cell`` sets; should Textual rename them, ``update_cell`` it is."""
        data = getattr(self, "_data", None)
        if not isinstance(data, dict) or not hasattr(self, "_update_count"):
            self.update_cell(key, column, cell)
            return
        row_key, column_key = RowKey(key), ColumnKey(column)
        row = data.get(row_key)
        if row is None or column_key not in row:
            self.update_cell(key, column, cell)
            return
        row[column_key] = cell
        self._update_count += 1  # the table's line cache keys on it
        self.refresh_coordinate(self.get_cell_coordinate(row_key, column_key))

    def show_rows(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        """Show ``rows`` ((key, cells)): the same keys in the same order update only the
        cells that changed; other keys rebuild the rows, the cursor staying on its row's key
        (or its position) when it can."""
        keys = [key for key, _ in rows]
        if keys == self._keys:
            for key, cells in rows:
                for (column, _, _), cell in zip(self._columns, cells, strict=True):
                    try:
                        if not _same(self.get_cell(key, column), cell):
                            self._set_cell(key, column, cell)
                    except CellDoesNotExist:
                        pass
            return
        kept = self.cursor_key
        at = self.cursor_row
        self.clear()
        self._keys = keys
        self.show_cursor = bool(keys)  # no cursor on the "empty" line
        for key, cells in rows:
            self.add_row(*cells, key=key)
        if not keys:
            if self.empty:
                # in the widest column: a DataTable has no cell spanning columns
                widths = [width or 0 for _, _, width in self._columns]
                cells: list[Cell] = [""] * len(widths)
                cells[widths.index(max(widths))] = self.styled(self.empty, "muted")
                self.add_row(*cells, key=EMPTY_KEY)
            return
        target = keys.index(kept) if kept in keys else min(max(at, 0), len(keys) - 1)
        self.move_cursor(row=target, animate=False)


def _same(a: object, b: object) -> bool:
    """Equal cells: for ``Text`` the same characters and the same styles (``Text.__eq__``
    leaves the base style out)."""
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain == b.plain and a.style == b.style and a.spans == b.spans
    return a == b


__all__ = ["AT_RISK", "BREACHED", "EMPTY_KEY", "ON_TRACK", "SlaTable"]
