"""User themes: ``<config dir>/themes/*.toml``, one Textual ``Theme`` per file.

A file names its colours like Textual's ``Theme`` does, and may start from a theme of the desk
(``extends``) so that it only says what differs::

    name = "night-shift"          # default: the file's name without .toml
    extends = "csm-high-contrast" # optional: csm-dark, csm-light or csm-high-contrast
    dark = true
    primary = "#FFB000"
    background = "#101010"

    [variables]                   # the domain colours, e.g. SLA and priority
    sla-breach = "#FF5A5A"

A file that cannot be used (not TOML, a colour that is not one, an unknown key, a name that
is taken) is skipped with one sentence naming the file and the problem; the desk goes on with
the other themes (and, if it was the chosen one, with the default theme).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from csm_tui.themes.builtin import BUILTIN_THEMES, DOMAIN_VARIABLE_DEFAULTS

#: Theme fields that are colours.
COLOR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_ALLOWED = {
    *COLOR_FIELDS,
    "name",
    "extends",
    "dark",
    "luminosity_spread",
    "text_alpha",
    "variables",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Variables that are not colours (e.g. "block-cursor-text-style" = "bold") go into the
# stylesheet as they are: only plain words, so a value can never break its parsing.
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9#.%_ -]{1,64}$")
MAX_THEME_FILES = 100
MAX_FILE_BYTES = 64 * 1024


@dataclass(frozen=True)
class UserThemes:
    themes: list[Theme]
    problems: list[str]


def themes_dir(config_dir: Path) -> Path:
    return config_dir / "themes"


def load_user_themes(config_dir: Path) -> UserThemes:
    """Every usable theme in ``<config_dir>/themes`` (by file name), and a sentence for each
    file that is not."""
    folder = themes_dir(config_dir)
    try:
        files = sorted(folder.glob("*.toml"))[:MAX_THEME_FILES]
    except OSError:
        return UserThemes([], [])
    themes: list[Theme] = []
    problems: list[str] = []
    taken = {t.name for t in BUILTIN_THEMES}
    for path in files:
        try:
            theme = theme_from_file(path)
        except ValueError as err:
            problems.append(f"The theme file {path} was skipped: {err}.")
            continue
        if theme.name in taken:
            problems.append(
                f"The theme file {path} was skipped: the name {theme.name!r} is taken by "
                "another theme."
            )
            continue
        taken.add(theme.name)
        themes.append(theme)
    return UserThemes(themes, problems)


def theme_from_file(path: Path) -> Theme:
    """The theme in ``path``; ValueError says what is wrong (no trailing full stop)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"it is larger than {MAX_FILE_BYTES // 1024} KiB")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"it is not valid TOML ({err})") from None
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None
    except OSError as err:
        raise ValueError(f"it cannot be read ({err.strerror})") from None
    return theme_from_mapping(data, default_name=path.stem)


def theme_from_mapping(data: dict[str, Any], *, default_name: str) -> Theme:
    unknown = sorted(set(data) - _ALLOWED)
    if unknown:
        raise ValueError(
            f"unknown key {unknown[0]!r} (a theme has name, extends, dark, the colours "
            f"{', '.join(COLOR_FIELDS)}, luminosity_spread, text_alpha and [variables])"
        )
    name = data.get("name", default_name)
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"the name {name!r} must be letters, digits, '.', '_' or '-'")
    values: dict[str, Any] = {}
    variables: dict[str, str] = {}
    extends = data.get("extends")
    if extends is not None:
        base = {t.name: t for t in BUILTIN_THEMES}.get(extends)
        if base is None:
            names = ", ".join(t.name for t in BUILTIN_THEMES)
            raise ValueError(f"extends {extends!r}, which is not one of {names}")
        values = {f.name: getattr(base, f.name) for f in fields(base) if f.name != "name"}
        variables = dict(base.variables)
    for key in COLOR_FIELDS:
        if key in data:
            values[key] = _color(key, data[key])
    if "primary" not in values:
        raise ValueError('it needs primary = "#rrggbb" (or extends = one of the desk\'s themes)')
    if "dark" in data:
        if not isinstance(data["dark"], bool):
            raise ValueError("dark must be true or false")
        values["dark"] = data["dark"]
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{key} must be a number from 0 to 1")
            values[key] = float(value)
    extra = data.get("variables", {})
    if not isinstance(extra, dict):
        raise ValueError('[variables] must be a table, e.g. sla-breach = "#D55E00"')
    for key, value in extra.items():
        if not isinstance(value, str):
            raise ValueError(f"the variable {key!r} must be a string")
        if key in DOMAIN_VARIABLE_DEFAULTS or key.endswith(("-background", "-foreground")):
            variables[key] = _color(key, value)
        elif _PLAIN_VALUE.match(value):
            variables[key] = value
        else:
            raise ValueError(f"the variable {key!r} has a value the desk cannot use: {value!r}")
    values["variables"] = {**DOMAIN_VARIABLE_DEFAULTS, **variables}
    theme = Theme(name=name, **values)
    try:
        theme.to_color_system().generate()
    except Exception as err:  # any colour the generator cannot use
        raise ValueError(f"its colours do not make a theme ({err})") from None
    return theme


def _color(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f'{key} must be a colour such as "#D55E00"')
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f'{key} = {value!r} is not a colour (use "#rrggbb" or a name)') from None
    return value
