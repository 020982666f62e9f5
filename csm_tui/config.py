"""Settings: a TOML file in the config dir, validated on load, with ``CSM_*`` overrides.

The file never holds the token (that lives in the keyring, see ``credentials``). Writing keeps
the user's comments and layout (tomlkit).

``Settings`` is a plain dataclass checked field by field, not a pydantic model: it is read on
the way to the first painted queue, and importing pydantic and building the model cost ~60 ms
of a ~300 ms start (bench/startup.py). The wire schemas, which are not on that path, use
pydantic.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from csm_tui.errors import CsmError
from csm_tui.locations import Locations

#: Environment variables that override a setting, e.g. ``CSM_SERVER=http://...``.
ENV_OVERRIDES = {"CSM_SERVER": "server", "CSM_THEME": "theme"}


class SettingError(ValueError):
    """One setting is wrong: ``key`` names it, ``str()`` says how."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


@dataclass(frozen=True)
class Settings:
    server: str | None = None
    """Case server base URL (http:// or https://)."""
    theme: str = "csm-dark"
    """Theme name."""
    sync_interval: float = 30.0
    """Seconds between background syncs (0 < s <= 3600)."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, e.g. ``{"queue.cursor_down" = "n"}``."""
    views: dict[str, dict[str, str]] = field(default_factory=dict)
    """Custom queue views: id -> {title, search}, e.g. ``[views.vip] title = "VIP"
    search = "#vip prio:high,urgent"`` (search syntax: ``csm_tui.domain.search``)."""
    low_bandwidth: bool = False
    """Repaint live timers every 15 s instead of every second, no animations, smaller pages."""

    def __post_init__(self) -> None:
        if self.server is not None:
            if not isinstance(self.server, str):
                raise SettingError("server", "must be a URL string")
            url = self.server.strip().rstrip("/")
            if not url.startswith(("http://", "https://")):
                raise SettingError("server", "must start with http:// or https://")
            object.__setattr__(self, "server", url)
        if not isinstance(self.theme, str) or not self.theme.strip():
            raise SettingError("theme", "must be a theme name")
        interval = self.sync_interval
        if isinstance(interval, bool) or not isinstance(interval, int | float):
            raise SettingError("sync_interval", "must be a number of seconds")
        if not 0 < interval <= 3600:
            raise SettingError("sync_interval", "must be more than 0 and at most 3600 seconds")
        object.__setattr__(self, "sync_interval", float(interval))
        if not isinstance(self.keymap, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.keymap.items()
        ):
            raise SettingError("keymap", 'must map binding ids to keys, e.g. "app.quit" = "ctrl+q"')
        if not isinstance(self.low_bandwidth, bool):
            raise SettingError("low_bandwidth", "must be true or false")
        from csm_tui.store.views import check_custom_views

        problem = check_custom_views(self.views)
        if problem is not None:
            raise SettingError("views", problem)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise SettingError(key, f"is not a setting; known: {', '.join(sorted(known))}")
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_settings(locs: Locations, environ: dict[str, str] | None = None) -> Settings:
    """Read the config file (missing = defaults) and apply ``CSM_*`` overrides."""
    env = os.environ if environ is None else environ
    data = read_config_file(locs.config_file)
    for var, key in ENV_OVERRIDES.items():
        if env.get(var):
            data[key] = env[var]
    try:
        return Settings.from_mapping(data)
    except SettingError as err:
        raise CsmError(
            f"The setting '{err.key}' in {locs.config_file} is invalid ({err}); "
            "fix it with `csm config` or edit the file."
        ) from None


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise CsmError(
            f"The config file {path} is not valid TOML ({err}); fix or delete it."
        ) from None


def save_setting(locs: Locations, key: str, value: Any) -> None:
    """Set one top-level key in the config file, keeping everything else as the user wrote it."""
    Settings.from_mapping({**read_config_file(locs.config_file), key: value})
    import tomlkit  # only when writing: not on the way to the first paint

    path = locs.config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    doc[key] = value
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
