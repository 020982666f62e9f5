"""Issue #9 in the desk: a remapped key that works, keymap warnings, user themes (a bad one
falls back with a notice), the palette's theme choice written back to the config (comments
kept, per profile), low-bandwidth mode, and a snapshot per built-in theme."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from csm_tui.app import CsmApp, make_app
from csm_tui.config import Settings, load_settings
from csm_tui.desk import Desk
from csm_tui.locations import Locations, locations
from csm_tui.themes import BUILTIN_THEMES
from csm_tui.widgets.composer import Composer
from tests.functional.pilot_support import open_case, settle

SIZE = (120, 36)


def notices(app: CsmApp) -> list[str]:
    return [n.message for n in app._notifications]  # private: no public accessor


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition`` holds (a timer or a worker must fire first)."""
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


@pytest.fixture
def home(tmp_path: Path) -> Locations:
    return locations({"CSM_HOME": str(tmp_path / "home")}).ensure()


async def test_a_remapped_case_key_works(desk: Desk, ids: Callable[[str, int], str]) -> None:
    app = make_app(Settings(keymap={"case.note": "w"}), desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_case(app, pilot, ids("case", 3))
        composer = app.screen.query_one(Composer)
        await pilot.press("n")  # the old key does nothing now
        await pilot.pause()
        assert composer.has_class("-hidden")
        await pilot.press("w")
        await pilot.pause()
        assert not composer.has_class("-hidden") and composer.kind == "internal"


async def test_keymap_ids_that_name_nothing_are_a_warning(desk: Desk) -> None:
    keymap = {"queue.tkae": "T", "queue.take": "T"}
    app = make_app(Settings(keymap=keymap), desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        warned = [m for m in notices(app) if "queue.tkae" in m]
        assert len(warned) == 1 and "csm keys" in warned[0]
        assert not any("'queue.take'" in m for m in notices(app))


async def test_low_bandwidth_mode_slows_timers_and_stops_animations(desk: Desk) -> None:
    app = make_app(Settings(low_bandwidth=True), desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.tick_seconds == 15.0 and app.animation_level == "none"
        await pilot.press("slash")
        await pilot.pause()
        focused = app.focused
        assert isinstance(focused, Input) and focused.cursor_blink is False


async def test_normal_mode_keeps_the_blinking_cursor(desk: Desk, settings: Settings) -> None:
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.tick_seconds == 1.0
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.focused, Input) and app.focused.cursor_blink is True


GOOD_THEME = """
name = "ocean"
extends = "csm-dark"
primary = "#3AA6FF"
[variables]
sla-breach = "#FF5A5A"
"""


async def test_a_bad_user_theme_falls_back_with_a_notice(desk: Desk, home: Locations) -> None:
    themes = home.config_dir / "themes"
    themes.mkdir()
    (themes / "broken.toml").write_text('primary = "not-a-colour"\n')
    (themes / "ocean.toml").write_text(GOOD_THEME)
    home.config_file.write_text('theme = "broken"\n')
    app = make_app(load_settings(home, {}), desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "csm-dark"
        said = notices(app)
        bad = [m for m in said if "broken.toml" in m]
        assert len(bad) == 1 and "not a colour" in bad[0]
        assert any("'broken' is unknown" in m for m in said)
        assert "ocean" in app.available_themes
        app.theme = "ocean"
        await pilot.pause()
        variables = app.get_css_variables()
        assert variables["sla-breach"] == "#FF5A5A" and variables["priority-high"]


async def test_the_palette_theme_choice_is_written_back_with_comments(
    desk: Desk, home: Locations
) -> None:
    home.config_file.write_text('# my desk\ntheme = "csm-dark"  # the default\n')
    app = make_app(load_settings(home, {}), desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme")
        await until(pilot, lambda: "Switch the colour theme" in _palette_text(app), "Theme")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*"csm-light")
        await until(pilot, lambda: "csm-light" in _palette_text(app), "the theme list")
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == "csm-light", "the theme switch")
        await until(pilot, lambda: "csm-light" in home.config_file.read_text(), "the theme saved")
        await settle(app, pilot)
    text = home.config_file.read_text()
    assert "# my desk" in text and "# the default" in text
    assert load_settings(home, {}).theme == "csm-light"


async def test_a_profile_remembers_its_own_theme(desk: Desk, home: Locations) -> None:
    home.config_file.write_text('theme = "csm-dark"\n[profiles.night]\nsync_interval = 60\n')
    settings = load_settings(home, {}, profile="night")
    app = make_app(settings, desk, sync_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "csm-high-contrast"
        await until(
            pilot, lambda: "high-contrast" in home.config_file.read_text(), "the theme saved"
        )
        await settle(app, pilot)
    assert load_settings(home, {}, profile="night").theme == "csm-high-contrast"
    assert load_settings(home, {}).theme == "csm-dark"


def _palette_text(app: CsmApp) -> str:
    from textual.command import CommandPalette

    screen = app.screen
    if not isinstance(screen, CommandPalette):
        return ""
    from textual.widgets import OptionList

    options = screen.query_one(OptionList)
    return "\n".join(
        str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
    )


@pytest.mark.parametrize("theme", [t.name for t in BUILTIN_THEMES])
def test_theme_switch_snapshot(snap_compare, desk: Desk, settings: Settings, theme: str) -> None:  # type: ignore[no-untyped-def]
    """The queue after switching to each of the desk's themes at run time."""
    app = make_app(Settings(theme="textual-dark"), desk, sync_on_start=False)
    app.animation_level = "none"

    async def switch(pilot: Pilot[None]) -> None:
        await settle(app, pilot)
        app.theme = theme
        await pilot.press("j", "j")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=switch)
