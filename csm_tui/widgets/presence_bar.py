"""Who else has this case open: one line on the case screen, fed by the case server.

While mounted, a worker thread announces the case through ``desk.announce_presence`` every
``interval`` seconds, and at once when :attr:`PresenceBar.composing` changes (the case
screen calls :meth:`PresenceBar.set_composing` as its composer gets or loses text). The reply
comes back as a :class:`PresenceBar.Updated` message. On unmount the loop ends and the desk
tells the server the agent left, in a thread of its own (best effort).

The bar is hidden while nobody else is here; a failed call (offline, refused) shows a dim
"presence unknown (offline)". Names come from the server, so they are cleaned and drawn as
``Text``; each state has a symbol as well as a colour.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.message import Message
from textual.reactive import var
from textual.widgets import Static
from textual.worker import get_current_worker

from csm_tui.domain.text import clean_line
from csm_tui.errors import CsmError

if TYPE_CHECKING:
    from csm_tui.desk import Desk
    from csm_tui.sync.wire import Viewer

log = logging.getLogger("csm_tui.presence")

VIEWING = "👁"
WRITING = "✎"
OFFLINE = "◌"
OFFLINE_TEXT = "presence unknown (offline)"
#: Longest name shown; the bar is one line.
MAX_NAME_CHARS = 40
#: How long the leave call waits for an announce still in flight (its timeout is 5 s).
LEAVE_WAIT_SECONDS = 6.0


def viewer_name(viewer: Viewer) -> str:
    """The viewer's name for the bar: cleaned, one line, cut to :data:`MAX_NAME_CHARS`."""
    name = clean_line(viewer.name) or clean_line(viewer.handle) or "Another agent"
    if len(name) > MAX_NAME_CHARS:
        name = name[: MAX_NAME_CHARS - 1] + "…"
    return name


class PresenceBar(Static):
    """One line: who else has the case open, and whether they are writing a reply."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "presence-bar--viewing",
        "presence-bar--writing",
        "presence-bar--offline",
    }

    DEFAULT_CSS = """
    PresenceBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
        &.-empty { display: none; }
        & > .presence-bar--viewing { color: $primary; text-style: bold; }
        & > .presence-bar--writing { color: $warning; text-style: bold; }
        & > .presence-bar--offline { color: $foreground-muted; }
    }
    """

    composing: var[bool] = var(False, init=False)
    """Whether this agent is writing a reply on the case (told to the others)."""

    class Updated(Message):
        """A presence reply arrived (``offline``: the call failed; ``viewers`` is then [])."""

        def __init__(self, bar: PresenceBar, viewers: list[Viewer], offline: bool) -> None:
            super().__init__()
            self.bar = bar
            self.viewers = viewers
            self.offline = offline

        @property
        def control(self) -> PresenceBar:
            return self.bar

    def __init__(
        self,
        desk: Desk,
        case_id: str,
        *,
        interval: float = 10.0,
        id: str | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("The presence interval must be a positive number of seconds.")
        super().__init__("", markup=False, id=id, classes="-empty")
        self.desk = desk
        self.case_id = case_id
        self.interval = interval
        #: The other agents of the last reply (in the server's order: who came first).
        self.viewers: list[Viewer] = []
        #: Whether the last call failed.
        self.offline = False
        #: How many replies (or failures) arrived so far.
        self.updates = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._loop_idle = threading.Event()
        self._loop_idle.set()

    # -- the loop ------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.desk.can_sync:  # a desk without a server has nobody to meet
            self._announce_loop()

    def on_unmount(self) -> None:
        self._stop.set()
        self._wake.set()
        if self.desk.can_sync:
            threading.Thread(target=self._leave, name="presence-leave", daemon=True).start()

    def set_composing(self, composing: bool) -> None:
        """Tell the others whether this agent is writing a reply (announced at once)."""
        self.composing = bool(composing)

    def watch_composing(self) -> None:
        self._wake.set()

    @work(thread=True, exclusive=True, group="presence", exit_on_error=False)
    def _announce_loop(self) -> None:
        worker = get_current_worker()
        self._loop_idle.clear()
        try:
            while not self._stop.is_set() and not worker.is_cancelled:
                self._wake.clear()
                try:
                    viewers = self.desk.announce_presence(self.case_id, composing=self.composing)
                    offline = False
                except CsmError:
                    viewers, offline = [], True
                except Exception:  # a bug must not end the app: show "unknown", log it
                    log.exception("Announcing presence on case %s failed", self.case_id)
                    viewers, offline = [], True
                if self._stop.is_set():
                    break
                self.post_message(self.Updated(self, viewers, offline))
                self._wake.wait(self.interval)
        finally:
            self._loop_idle.set()

    def _leave(self) -> None:
        # An announce still in flight would bring the row back after the delete: wait for it.
        self._loop_idle.wait(LEAVE_WAIT_SECONDS)
        try:
            self.desk.leave_case(self.case_id)
        except Exception as exc:  # best effort: the server forgets us after its TTL anyway
            log.debug("Leaving case %s: %s", self.case_id, exc)

    def on_presence_bar_updated(self, message: Updated) -> None:
        if message.bar is not self:
            return
        self.viewers = message.viewers
        self.offline = message.offline
        self.updates += 1
        self.set_class(not (self.viewers or self.offline), "-empty")
        self.refresh()

    # -- painting ------------------------------------------------------------------------

    @property
    def summary(self) -> str:
        """What the bar says, as plain text ("" while nobody else is here)."""
        return self.render().plain

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        if self.offline:
            line.append(
                f"{OFFLINE} {OFFLINE_TEXT}",
                style=self.get_component_rich_style("presence-bar--offline"),
            )
            return line
        viewers = self.viewers
        if not viewers:
            return line
        viewing = self.get_component_rich_style("presence-bar--viewing")
        writing = self.get_component_rich_style("presence-bar--writing")
        writers = [v for v in viewers if v.composing]
        if len(viewers) == 1:
            (viewer,) = viewers
            if viewer.composing:
                line.append(f"{WRITING} ", style=writing)
                line.append(viewer_name(viewer), style=writing)
                line.append(" is writing a reply", style=writing)
            else:
                line.append(f"{VIEWING} ", style=viewing)
                line.append(viewer_name(viewer), style=viewing)
                line.append(" is viewing this case")
            return line
        first = writers[0] if writers else viewers[0]
        others = len(viewers) - 1
        line.append(f"{WRITING if writers else VIEWING} ", style=writing if writers else viewing)
        line.append(viewer_name(first), style=viewing)
        line.append(f" and {others} other{'s' if others != 1 else ''} are here")
        if writers:
            line.append(f" ({len(writers)} writing)", style=writing)
        return line
