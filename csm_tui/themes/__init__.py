"""Themes and the stylesheet of the desk (``desk.tcss`` sits next to this module)."""

from __future__ import annotations

from pathlib import Path

from csm_tui.themes.builtin import (
    BUILTIN_THEMES,
    CSM_DARK,
    CSM_HIGH_CONTRAST,
    CSM_LIGHT,
    DEFAULT_THEME,
    DOMAIN_VARIABLE_DEFAULTS,
)

#: The app's stylesheet, loaded through ``CsmApp.CSS_PATH``.
DESK_TCSS = Path(__file__).with_name("desk.tcss")

__all__ = [
    "BUILTIN_THEMES",
    "CSM_DARK",
    "CSM_HIGH_CONTRAST",
    "CSM_LIGHT",
    "DEFAULT_THEME",
    "DESK_TCSS",
    "DOMAIN_VARIABLE_DEFAULTS",
]
