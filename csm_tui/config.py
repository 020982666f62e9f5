"""Settings: a TOML file in the config dir, validated by pydantic, with ``CSM_*`` overrides.

The file never holds the token (that lives in the keyring, see ``credentials``). Writing keeps
the user's comments and layout (tomlkit).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from csm_tui.errors import CsmError
from csm_tui.locations import Locations

#: Environment variables that override a setting, e.g. ``CSM_SERVER=http://...``.
ENV_OVERRIDES = {"CSM_SERVER": "server", "CSM_THEME": "theme"}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    server: str | None = Field(default=None, description="Case server base URL")
    theme: str = Field(default="csm-dark", description="Theme name")
    sync_interval: float = Field(default=30.0, gt=0, le=3600, description="Seconds between syncs")
    keymap: dict[str, str] = Field(
        default_factory=dict, description="Binding id -> keys, e.g. {'queue.cursor_down' = 'n'}"
    )

    @field_validator("server")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


def load_settings(locs: Locations, environ: dict[str, str] | None = None) -> Settings:
    """Read the config file (missing = defaults) and apply ``CSM_*`` overrides."""
    env = os.environ if environ is None else environ
    data = read_config_file(locs.config_file)
    for var, key in ENV_OVERRIDES.items():
        if env.get(var):
            data[key] = env[var]
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "config"
        raise CsmError(
            f"The setting '{where}' in {locs.config_file} is invalid ({first['msg']}); "
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
    Settings.model_validate({**read_config_file(locs.config_file), key: value})
    path = locs.config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    doc[key] = value
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
