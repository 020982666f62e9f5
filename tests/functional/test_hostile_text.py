"""Untrusted text stays data: no markup is interpreted, no terminal control reaches the screen."""

from __future__ import annotations

import html
import re

from rich.segment import Segment
from textual.strip import Strip

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.screens.case import CaseScreen
from csm_tui.widgets.case_table import CaseTable
from csm_tui.widgets.message_view import MessageView

SIZE = (120, 36)
#: ESC, BEL, CSI (8-bit) and every other C0/C1 control except newline.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def assert_clean_strips(strips: list[Strip]) -> None:
    for strip in strips:
        for segment in strip:
            assert isinstance(segment, Segment)
            assert not CONTROL.search(segment.text), repr(segment.text)
            assert "SGVsbG8" not in segment.text  # the OSC 52 clipboard payload
            if segment.style is not None:
                assert not segment.style.link, segment.style.link


def screenshot_text(app: CsmApp) -> str:
    """The exported SVG with tags dropped: what a person would read on the screen."""
    svg = app.export_screenshot()
    assert "\x1b" not in svg and "\x07" not in svg
    assert "SGVsbG8" not in svg and 'evil.example"' not in svg
    text = html.unescape(re.sub(r"<[^>]+>", "", svg))
    return text.replace("\xa0", " ")


def rendered_strips(app: CsmApp) -> list[Strip]:
    """Every line of the current screen as the compositor would send it."""
    return app.screen._compositor.render_strips()  # private: no public access to lines


async def test_queue_shows_hostile_subject_literally(
    hostile_desk: Desk, settings: Settings
) -> None:
    app = make_app(settings, hostile_desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CaseTable)
        line = table.render_line(1).text
        assert "[bold red]x[/]" in line
        assert "pay now" in line
        assert "[i]Mallory[/i]" in line
        assert_clean_strips([table.render_line(y) for y in range(5)])
        text = screenshot_text(app)
        assert "[bold red]x[/]" in text
        assert_clean_strips(rendered_strips(app))


async def test_case_screen_shows_hostile_text_literally(
    hostile_desk: Desk, settings: Settings
) -> None:
    app = make_app(settings, hostile_desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CaseScreen)
        title = str(screen.query_one("#case-title").render())
        assert "[bold red]x[/]" in title
        assert "[link=http://evil.example]click[/link]" in title
        assert not CONTROL.search(title)

        views = list(screen.query(MessageView))
        body = str(views[0].query_one(".message-body").render())
        assert "[b]bold?[/b]" in body
        assert "red" in body and "\x1b" not in body and "SGVsbG8" not in body
        assert "ring end" in body.replace("  ", " ")
        author = str(views[0].query_one(".message-author").render())
        assert author == "[i]Mallory[/i]"
        note = str(views[1].query_one(".message-body").render())
        assert "[red]not red[/red]" in note and "pwned" not in note

        customer = str(screen.query_one("#customer-panel").render())
        assert "[i]Mallory[/i] [/]" in customer and "K-666" in customer
        tags = " ".join(str(label.render()) for label in screen.query(".case-meta"))
        assert "[blink]tag[/blink]" in tags

        text = screenshot_text(app)
        assert "[bold red]x[/]" in text
        assert "[b]bold?[/b]" in text
        assert_clean_strips(rendered_strips(app))
