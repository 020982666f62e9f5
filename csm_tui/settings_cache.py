"""Validated settings remembered for the start path, so that plain ``csm`` does not import
pydantic.

Importing pydantic and pydantic-settings and building the ``Settings`` model costs ~110 ms of
a ~450 ms start (bench/startup.py). The first start with a given config file, environment and
profile validates as always (``config.load_settings``) and writes the values to
``<cache dir>/settings-<profile>.json`` under a key made of everything they came from: the
file's bytes, the ``CSM_*`` variables (not the token), the profile, the csm version and the
validating code itself (``config.py``'s size and time). Every later start with the same key
reads them back as a :class:`SettingsSnapshot`, a plain frozen dataclass with the same
fields; any change of an input is a new key, so a snapshot is never stale. A cache that
cannot be read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csm_tui import __version__

if TYPE_CHECKING:
    from csm_tui.config import Settings
    from csm_tui.locations import Locations

_CONFIG_CODE = Path(__file__).with_name("config.py")


@dataclass(frozen=True)
class SettingsSnapshot:
    """The fields of a validated ``config.Settings``, read back from the cache."""

    server: str | None = None
    theme: str = "csm-dark"
    sync_interval: float = 30.0
    keymap: dict[str, str] = field(default_factory=dict)
    views: dict[str, dict[str, str]] = field(default_factory=dict)
    low_bandwidth: bool = False
    profile: str = "default"
    config_file: Path | None = None

    def model_copy(self, *, update: Mapping[str, Any]) -> SettingsSnapshot:
        """As ``Settings.model_copy``: a copy with some fields replaced."""
        return replace(self, **update)

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        del values["profile"], values["config_file"]
        return values


#: ``CSM_<SETTING>`` for every setting of the file (the snapshot's fields but the two that
#: say where the settings came from).
_SETTING_VARIABLES = frozenset(
    f"CSM_{f.name.upper()}"
    for f in fields(SettingsSnapshot)
    if f.name not in ("profile", "config_file")
)


def settings_for_start(
    locs: Locations, profile: str | None = None, environ: Mapping[str, str] | None = None
) -> Settings | SettingsSnapshot:
    """The settings of ``profile`` (None: ``CSM_PROFILE`` or the default): from the cache
    when nothing they depend on changed, else validated (and cached for the next start).
    Raises CsmError like ``load_settings`` for settings that are not valid."""
    env = os.environ if environ is None else environ
    profile = profile or env.get("CSM_PROFILE") or "default"
    key = _key(locs.config_file, profile, env)
    cache = locs.cache_dir / f"settings-{hashlib.sha256(profile.encode()).hexdigest()[:16]}.json"
    if key is not None:
        snapshot = _read(cache, key, locs.config_file)
        if snapshot is not None:
            return snapshot
    from csm_tui.config import load_settings

    settings = load_settings(locs, env, profile=profile)
    if key is not None:
        _write(cache, key, settings)
    return settings


def _key(config_file: Path, profile: str, env: Mapping[str, str]) -> str | None:
    digest = hashlib.sha256()
    try:
        code = _CONFIG_CODE.stat()
        text = config_file.read_bytes() if config_file.exists() else b"\0missing"
    except OSError:
        return None
    # The variables that override settings (CSM_HOME is in the file's path; the token is
    # never hashed, nor kept).
    variables = sorted((k, v) for k, v in env.items() if k in _SETTING_VARIABLES)
    for part in (__version__, str(code.st_size), str(code.st_mtime_ns), profile, str(config_file)):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(text + b"\0")
    digest.update(json.dumps(variables).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _read(cache: Path, key: str, config_file: Path) -> SettingsSnapshot | None:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        values = data["values"]
        return SettingsSnapshot(
            server=values["server"],
            theme=values["theme"],
            sync_interval=float(values["sync_interval"]),
            keymap=dict(values["keymap"]),
            views={k: dict(v) for k, v in values["views"].items()},
            low_bandwidth=bool(values["low_bandwidth"]),
            profile=data["profile"],
            config_file=config_file,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write(cache: Path, key: str, settings: Settings) -> None:
    data = {"key": key, "profile": settings.profile, "values": settings.as_dict()}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(data), encoding="utf-8")
        partial.replace(cache)
    except OSError:
        pass
