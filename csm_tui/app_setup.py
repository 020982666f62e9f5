"""What the App takes from the settings besides the basics (issue #9): user themes, the theme
picked in the palette remembered in the config file, keymap warnings, and the low-bandwidth
mode's quieter screen.

``CsmApp`` calls :func:`register_user_themes` and :func:`apply_low_bandwidth` while it is
built and :func:`watch_settings` when it is mounted. Nothing here runs for settings built by
hand (``Settings.config_file`` None: tests, tools): no user themes, nothing written back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.theme import Theme
from textual.timer import Timer

from csm_tui.errors import CsmError

if TYPE_CHECKING:
    from csm_tui.app import CsmApp
    from csm_tui.config import Settings
    from csm_tui.settings_cache import SettingsSnapshot

#: Seconds a theme must stay before it is written to the config (the palette previews
#: themes as the agent moves through them).
SAVE_THEME_AFTER = 1.0


def register_user_themes(app: CsmApp, settings: Settings | SettingsSnapshot) -> list[str]:
    """Register the themes of ``<config dir>/themes/*.toml``; sentences for the bad files."""
    if settings.config_file is None:
        return []
    from csm_tui.themes.user import load_user_themes

    found = load_user_themes(settings.config_file.parent)
    for theme in found.themes:
        app.register_theme(theme)
    return found.problems


def apply_low_bandwidth(app: CsmApp) -> None:
    """No animations in low-bandwidth mode (each frame of one is bytes on the link)."""
    if app.settings.low_bandwidth:
        app.animation_level = "none"


def stop_blinking(app: CsmApp, widget: Any) -> None:
    """In low-bandwidth mode a focused input's cursor does not blink (two repaints a second)."""
    if app.settings.low_bandwidth and getattr(widget, "cursor_blink", False):
        widget.cursor_blink = False


def watch_settings(app: CsmApp, notices: list[str]) -> None:
    """On mount: show the notices, remember theme changes, check the keymap."""
    for notice in notices:
        app.notify(notice, title="Theme", severity="warning", markup=False, timeout=10)
    settings = app.settings
    if settings.config_file is not None:
        _ThemeKeeper(app).watch()
    if settings.keymap:
        app.run_worker(
            lambda: _check_keymap(app), thread=True, group="settings", exit_on_error=False
        )


def _check_keymap(app: CsmApp) -> None:
    from csm_tui.keymap import problems

    for problem in problems(app.settings.keymap):
        app.call_from_thread(
            app.notify, problem, title="Keymap", severity="warning", markup=False, timeout=10
        )


class _ThemeKeeper:
    """Writes the theme to the config file (the profile's table for a profile) once it has
    stayed for a second, keeping the file's comments."""

    def __init__(self, app: CsmApp) -> None:
        self.app = app
        self.saved = app.theme
        self._timer: Timer | None = None

    def watch(self) -> None:
        self.app.theme_changed_signal.subscribe(self.app, self._changed)

    def _changed(self, theme: Theme) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if theme.name != self.saved:
            self._timer = self.app.set_timer(SAVE_THEME_AFTER, self._save)

    def _save(self) -> None:
        name = self.app.theme
        if name == self.saved:
            return
        self.saved = name
        settings = self.app.settings
        path, profile = settings.config_file, settings.profile
        assert path is not None

        def write() -> None:
            from csm_tui.config import save_setting

            try:
                save_setting(path, "theme", name, profile)
            except (CsmError, ValueError, OSError) as err:
                self.app.call_from_thread(
                    self.app.notify,
                    f"The theme {name} could not be saved in {path} ({err}).",
                    title="Theme",
                    severity="warning",
                    markup=False,
                )

        self.app.run_worker(write, thread=True, group="settings", exit_on_error=False)
