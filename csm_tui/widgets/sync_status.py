"""The sync status bar: one line saying whether the desk is in step with the case server.

It reads ``desk.status`` (a ``SyncStatus``) and nothing else; the app calls
:meth:`SyncStatusBar.refresh_status` after each sync message and every few seconds. The
server address and the error come from config and the network, so they are cleaned and drawn
as ``Text``.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from csm_tui.desk import Desk, SyncStatus
from csm_tui.domain.text import clean_line

#: What each state is called on the bar, with a glyph so the state reads without colour.
STATE_LABELS: dict[str, str] = {
    "online": "● online",
    "offline": "○ offline",
    "syncing": "⟳ syncing",
    "local": "◌ local only",
}

#: Errors are one sentence, but the bar is one line: longer ones are cut here.
MAX_ERROR_CHARS = 72


def synced_ago(now: datetime, then: datetime | None) -> str:
    """``"synced just now"``, ``"synced 2 min ago"``, ``"synced 3 h ago"``, ``"never synced"``."""
    if then is None:
        return "never synced"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "synced just now"
    if seconds < 3600:
        return f"synced {seconds // 60} min ago"
    if seconds < 86400:
        return f"synced {seconds // 3600} h ago"
    return f"synced {then:%Y-%m-%d %H:%M}"


class SyncStatusBar(Widget):
    """One line: state, server, last sync, pending edits, conflicts, last error."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "sync-status--online",
        "sync-status--offline",
        "sync-status--syncing",
        "sync-status--local",
        "sync-status--error",
        "sync-status--dim",
    }

    DEFAULT_CSS = """
    SyncStatusBar {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
        & > .sync-status--online { color: $success; text-style: bold; }
        & > .sync-status--offline { color: $warning; text-style: bold; }
        & > .sync-status--syncing { color: $primary; text-style: bold; }
        & > .sync-status--local { color: $foreground-muted; text-style: bold; }
        & > .sync-status--error { color: $error; }
        & > .sync-status--dim { color: $foreground-muted; }
    }
    """

    syncing: reactive[bool] = reactive(False)
    """Set by the app while its sync worker runs (the desk's own state may lag a moment)."""

    def __init__(
        self,
        desk: Desk,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.desk = desk
        #: What the bar shows now (see :meth:`_showing`).
        self._shown: tuple[object, ...] | None = None

    def refresh_status(self, syncing: bool | None = None) -> None:
        """Re-read ``desk.status`` and repaint if the bar would say something else (it is
        asked every few seconds: a repaint that changes nothing is a frame that a keystroke's
        repaint might have to wait for)."""
        if syncing is not None:
            self.syncing = syncing
        if self._showing(self.status) != self._shown:
            self.refresh()

    def _showing(self, status: SyncStatus) -> tuple[object, ...]:
        return (self.syncing, status, synced_ago(self.desk.now(), status.last_sync_at))

    @property
    def status(self) -> SyncStatus:
        return self.desk.status

    def render(self) -> Text:
        status = self.status
        self._shown = self._showing(status)
        state = "syncing" if self.syncing else status.state
        dim = self.get_component_rich_style("sync-status--dim")
        sep = Text(" · ", style=dim)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        state_class = f"sync-status--{state}" if state in STATE_LABELS else "sync-status--local"
        line.append(
            STATE_LABELS.get(state, clean_line(state)),
            style=self.get_component_rich_style(state_class),
        )
        line.append_text(sep)
        line.append(clean_line(status.server) if status.server else "no server", style=dim)
        line.append_text(sep)
        line.append(synced_ago(self.desk.now(), status.last_sync_at))
        line.append_text(sep)
        line.append(f"{status.pending} pending")
        line.append_text(sep)
        if status.conflicts:
            # Stays on every screen until resolved; the glyph carries it without colour.
            line.append(
                f"⚠ {status.conflicts} conflicts (C)",
                style=self.get_component_rich_style("sync-status--error"),
            )
        else:
            line.append("0 conflicts")
        rejected = getattr(status, "rejected", 0)
        if rejected:
            line.append_text(sep)
            line.append(
                f"✗ {rejected} refused (C)",
                style=self.get_component_rich_style("sync-status--error"),
            )
        if status.error:
            error = clean_line(status.error)
            if len(error) > MAX_ERROR_CHARS:
                error = error[: MAX_ERROR_CHARS - 1] + "…"
            line.append_text(sep)
            line.append(
                "error: " + error,
                style=self.get_component_rich_style("sync-status--error"),
            )
        return line
