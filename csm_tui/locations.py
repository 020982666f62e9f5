"""Where the desk keeps its files: config, data (local store, logs) and cache.

platformdirs gives the per-OS defaults; ``CSM_HOME`` moves all three under one folder, which is
what tests and demos use so that they never touch a user's real desk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "csm-tui"


@dataclass(frozen=True)
class Locations:
    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "csm.log"

    def store_file(self, profile: str = "default") -> Path:
        return self.data_dir / f"store-{profile}.sqlite3"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo"

    def ensure(self) -> Locations:
        for path in (self.config_dir, self.data_dir, self.cache_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self


def locations(environ: dict[str, str] | None = None) -> Locations:
    env = os.environ if environ is None else environ
    home = env.get("CSM_HOME")
    if home:
        root = Path(home).expanduser()
        return Locations(root / "config", root / "data", root / "cache")
    return Locations(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )
