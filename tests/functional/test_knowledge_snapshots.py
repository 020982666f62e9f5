"""A snapshot of the knowledge screen: a search for ``karte verl`` over the seeded library
(matches underlined in the titles and excerpts), the first article rendered as Markdown.

Regenerate with ``--snapshot-update`` and look at the SVG before committing it.
"""

from __future__ import annotations

from textual.pilot import Pilot

from csm_tui.app import make_app
from csm_tui.config import Settings
from csm_tui.desk import Desk
from csm_tui.screens import knowledge as knowledge_screen
from tests.knowledge_support import load_articles

SIZE = (120, 36)


def test_knowledge_screen(snap_compare, desk: Desk, settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The article's body renders at once, not after the screen's pause for typing.
    monkeypatch.setattr(knowledge_screen, "ARTICLE_DELAY", 0)
    load_articles(desk)
    app = make_app(settings, desk, sync_on_start=False)
    app.animation_level = "none"

    async def search(pilot: Pilot) -> None:
        await pilot.pause()
        await pilot.press("K")
        await pilot.app.workers.wait_for_complete()
        await pilot.press("slash", *"karte verl", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=search)
