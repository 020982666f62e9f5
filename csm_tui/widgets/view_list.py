"""The queue's sidebar: every view (built-in and saved in the config) with its live count.

Counts come from ``desk.view_counts()``, which the queue screen runs in a thread worker and
hands over with :meth:`ViewList.show_counts`; until then a view shows ``…``. Moving the
highlight picks the view at once (k9s/lazygit style); the screen listens for
:class:`ViewList.ViewChosen`. View titles may come from the config, so they are drawn as
``Text`` after ``clean_line``.

A small line-API widget (like the case table) rather than an ``OptionList``: it is on the way
to the first painted queue, and a handful of plain lines costs far less to lay out and paint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from csm_tui.domain.text import clean_line

#: Cells the sidebar is wide (its right border included).
SIDEBAR_WIDTH = 22
#: Cells for the count at the right of each line.
COUNT_WIDTH = 5


def count_label(count: int | None) -> str:
    """``"12"``, ``"1,234"``, ``"12k"``, ``"3M"`` (at most 5 cells), ``"…"`` (not counted yet)."""
    if count is None:
        return "…"
    if count >= 1_000_000:
        return f"{count // 1_000_000}M"
    if count >= 10_000:
        return f"{count // 1000}k"
    return f"{count:,}"


def view_line(title: str, count: int | None, width: int) -> Text:
    """One line: the title on the left (cut with …), the count right-aligned."""
    name_width = max(4, width - COUNT_WIDTH - 1)
    line = Text(no_wrap=True, end="")
    name = Text(clean_line(title), no_wrap=True, overflow="ellipsis", end="")
    name.truncate(name_width, overflow="ellipsis", pad=True)
    line.append_text(name)
    line.append(" ")
    line.append(count_label(count).rjust(COUNT_WIDTH), style="bold" if count else "dim")
    return line


class ViewList(ScrollView, can_focus=True, inherit_bindings=False):
    """The views of the queue, one per line, with counts."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "move(1)", "Next view", show=False, id="views.next"),
        Binding("up,k", "move(-1)", "Previous view", show=False, id="views.previous"),
        Binding("home,g", "move_to(0)", "First view", show=False, id="views.first"),
        Binding("end,G", "move_to(-1)", "Last view", show=False, id="views.last"),
        Binding("enter", "choose", "Show the view", show=False, id="views.open"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"view-list--highlight", "view-list--highlight-blurred"}

    DEFAULT_CSS = f"""
    ViewList {{
        width: {SIDEBAR_WIDTH};
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        border-right: vkey $panel;
        background: $surface;
        & > .view-list--highlight {{
            background: $block-cursor-background; color: $block-cursor-foreground;
        }}
        & > .view-list--highlight-blurred {{ background: $block-cursor-background 60%; }}
    }}
    """

    @dataclass
    class ViewChosen(Message):
        """The highlight moved to the view ``view_id`` (``go_to_table``: enter was pressed)."""

        view_id: str
        go_to_table: bool = False

    highlighted: reactive[int] = reactive(0, always_update=True)
    """Index of the highlighted view."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._titles: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._quiet = False
        #: Drawn lines by what they show (title, count, width, style): a view change redraws
        #: two lines, a new count one.
        self._lines: dict[tuple[object, ...], Strip] = {}
        self._base: Style | None = None

    # -- content ---------------------------------------------------------------------------

    def show_views(self, views: Sequence[Any], current: str | None = None) -> None:
        """Fill the list with ``views`` (objects with ``id`` and ``title``)."""
        self._titles = {view.id: view.title for view in views}
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._titles))
        self.highlight_view(current if current in self._titles else self.highlighted_view)
        self.refresh()

    def show_counts(self, counts: dict[str, int]) -> None:
        if counts == self._counts:
            return
        self._counts = dict(counts)
        self.refresh()

    def count_of(self, view_id: str) -> int | None:
        return self._counts.get(view_id)

    @property
    def view_ids(self) -> list[str]:
        return list(self._titles)

    @property
    def highlighted_view(self) -> str | None:
        ids = self.view_ids
        return ids[self.highlighted] if 0 <= self.highlighted < len(ids) else None

    def line_text(self, index: int) -> str:
        """The plain text of one view's line (for tests and the curious)."""
        view_id = self.view_ids[index]
        return view_line(self._titles[view_id], self._counts.get(view_id), self._text_width).plain

    @property
    def _text_width(self) -> int:
        return max(8, (self.scrollable_content_region.width or SIDEBAR_WIDTH - 1) - 2)

    def highlight_view(self, view_id: str | None) -> None:
        """Move the highlight without announcing a choice (the screen already knows)."""
        if view_id not in self._titles or view_id == self.highlighted_view:
            return
        self._quiet = True
        try:
            self.highlighted = self.view_ids.index(view_id)
        finally:
            self._quiet = False

    # -- keys and mouse ----------------------------------------------------------------------

    def validate_highlighted(self, index: int) -> int:
        return max(0, min(index, len(self._titles) - 1))

    def watch_highlighted(self, old: int, new: int) -> None:
        # the two lines that change (a view change must not repaint the whole sidebar)
        for index in {old, new}:
            self.refresh(Region(0, index - round(self.scroll_y), self.size.width, 1))
        if new < round(self.scroll_y) or new >= round(self.scroll_y) + self.size.height:
            self.scroll_to(y=max(0, new - self.size.height + 1), animate=False)
        view_id = self.highlighted_view
        if not self._quiet and view_id is not None and old != new:
            self.post_message(self.ViewChosen(view_id))

    def action_move(self, step: int) -> None:
        self.highlighted += step

    def action_move_to(self, index: int) -> None:
        self.highlighted = index if index >= 0 else len(self._titles) - 1

    def action_choose(self) -> None:
        view_id = self.highlighted_view
        if view_id is not None:
            self.post_message(self.ViewChosen(view_id, go_to_table=True))

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y
        if 0 <= index < len(self._titles):
            self.highlighted = index
            self.action_choose()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self, _event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._titles))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None
        self.refresh()

    # -- rendering -------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # once per repaint, not once per line
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style if self._base is None else self._base
        index = round(self.scroll_y) + y
        ids = self.view_ids
        if index >= len(ids):
            return Strip.blank(width, base)
        style = base
        if index == self.highlighted:
            style = base + self.get_component_rich_style(
                "view-list--highlight" if self.has_focus else "view-list--highlight-blurred"
            )
        view_id = ids[index]
        key = (self._titles[view_id], self._counts.get(view_id), width, style)
        strip = self._lines.get(key)
        if strip is None:
            line = Text(" ", end="")
            line.append_text(view_line(key[0], key[1], width - 2))
            segments = list(line.render(self.app.console))
            strip = Strip(segments).apply_style(style).adjust_cell_length(width, style).simplify()
            if len(self._lines) > 256:
                self._lines.clear()
            self._lines[key] = strip
        return strip
