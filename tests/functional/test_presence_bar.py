"""The presence bar in a running app, over a desk stand-in that answers what the test says
(the real desk and server are the e2e test's): what it says, hidden when nobody is here,
offline, hostile names, composing announced at once, leaving on unmount."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from csm_tui.errors import CsmError
from csm_tui.sync.wire import Viewer
from csm_tui.widgets.presence_bar import PresenceBar

SINCE = datetime(2026, 11, 20, 9, 0)
CASE = "case-1"


def viewer(name: str, composing: bool = False, handle: str = "") -> Viewer:
    return Viewer(
        agent_id=f"id-{name}",
        handle=handle or name.lower().replace(" ", "."),
        name=name,
        composing=composing,
        since=SINCE,
    )


class FakeDesk:
    """``announce_presence`` returns ``viewers`` (or raises ``error``) and records calls."""

    can_sync = True

    def __init__(self, viewers: list[Viewer] | None = None) -> None:
        self.viewers = viewers or []
        self.error: Exception | None = None
        self.announced: list[tuple[str, bool]] = []
        self.left: list[str] = []
        self.left_event = threading.Event()

    def announce_presence(self, case_id: str, composing: bool = False) -> list[Viewer]:
        self.announced.append((case_id, composing))
        if self.error is not None:
            raise self.error
        return list(self.viewers)

    def leave_case(self, case_id: str) -> None:
        self.left.append(case_id)
        self.left_event.set()


class BarApp(App[None]):
    def __init__(self, desk: FakeDesk, interval: float = 0.05) -> None:
        super().__init__()
        self.desk = desk
        self.interval = interval

    def compose(self) -> ComposeResult:
        yield PresenceBar(self.desk, CASE, interval=self.interval, id="presence")  # type: ignore[arg-type]


async def until(pilot: Pilot[None], condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)


async def shown(desk: FakeDesk) -> tuple[str, bool, PresenceBar]:
    app = BarApp(desk)
    async with app.run_test() as pilot:
        bar = app.query_one(PresenceBar)
        await until(pilot, lambda: bar.updates >= 1, "the first reply")
        await pilot.pause()
        return bar.summary, bar.display, bar


async def test_hidden_while_nobody_else_is_here():
    summary, display, bar = await shown(FakeDesk())
    assert summary == "" and display is False
    assert bar.viewers == []


async def test_one_viewer():
    summary, display, bar = await shown(FakeDesk([viewer("Anna Schmidt")]))
    assert summary == "👁 Anna Schmidt is viewing this case"
    assert display is True
    assert [v.name for v in bar.viewers] == ["Anna Schmidt"]


async def test_one_writer():
    summary, _, _ = await shown(FakeDesk([viewer("Tom Berger", composing=True)]))
    assert summary == "✎ Tom Berger is writing a reply"


async def test_several_viewers_name_the_first_writer_and_count_the_rest():
    desk = FakeDesk([viewer("Anna Schmidt"), viewer("Tom Berger", True), viewer("Bea Kim")])
    summary, _, _ = await shown(desk)
    assert summary == "✎ Tom Berger and 2 others are here (1 writing)"
    summary, _, _ = await shown(FakeDesk([viewer("Anna Schmidt"), viewer("Bea Kim")]))
    assert summary == "👁 Anna Schmidt and 1 other are here"


async def test_offline_is_dim_and_says_so():
    desk = FakeDesk([viewer("Anna Schmidt")])
    desk.error = CsmError("Cannot reach the case server.")
    summary, display, bar = await shown(desk)
    assert summary == "◌ presence unknown (offline)"
    assert display is True
    assert bar.viewers == [] and bar.offline


async def test_an_unexpected_error_is_offline_too_and_the_app_keeps_running():
    desk = FakeDesk()
    desk.error = RuntimeError("a bug")
    summary, _, _ = await shown(desk)
    assert summary == "◌ presence unknown (offline)"


async def test_hostile_names_are_cleaned_and_never_markup():
    hostile = viewer("[b]Mallory[/b]\x1b[2J\x1b]52;c;SGVsbG8=\x07 Evil\nName", handle="m")
    summary, _, _ = await shown(FakeDesk([hostile]))
    assert summary == "👁 [b]Mallory[/b] Evil Name is viewing this case"
    assert "\x1b" not in summary
    blank = viewer("\x1b[2J", handle="\x07")
    summary, _, _ = await shown(FakeDesk([blank]))
    assert summary == "👁 Another agent is viewing this case"


async def test_writing_and_viewing_differ_in_colour_as_well_as_symbol():
    app = BarApp(FakeDesk([viewer("Tom Berger", composing=True)]))
    async with app.run_test() as pilot:
        bar = app.query_one(PresenceBar)
        await until(pilot, lambda: bar.updates >= 1, "the first reply")
        writing = bar.render()
        bar.viewers = [viewer("Anna Schmidt")]
        viewing = bar.render()
    assert writing.spans and viewing.spans
    assert writing.spans[0].style != viewing.spans[0].style


async def test_composing_is_announced_at_once_then_leaving_on_unmount():
    desk = FakeDesk([viewer("Anna Schmidt")])
    app = BarApp(desk, interval=3600)  # only a change of composing can announce again
    async with app.run_test() as pilot:
        bar = app.query_one(PresenceBar)
        await until(pilot, lambda: desk.announced == [(CASE, False)], "the first announce")
        bar.set_composing(True)
        await until(pilot, lambda: len(desk.announced) == 2, "the composing announce")
        assert desk.announced[-1] == (CASE, True)
        bar.set_composing(True)  # no change, no call
        bar.set_composing(False)
        await until(pilot, lambda: len(desk.announced) == 3, "the stop-composing announce")
        assert desk.announced[-1] == (CASE, False)
        await bar.remove()
        await until(pilot, desk.left_event.is_set, "the leave call")
        assert desk.left == [CASE]
        await app.workers.wait_for_complete()
        calls = len(desk.announced)
        await pilot.pause(0.1)
        assert len(desk.announced) == calls, "the loop ended with the bar"
