"""The start path's settings cache: the same values as a validation, never stale, and plain
``csm`` then starts without importing pydantic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from csm_tui.config import Settings, load_settings
from csm_tui.errors import CsmError
from csm_tui.locations import Locations, locations
from csm_tui.settings_cache import SettingsSnapshot, settings_for_start

CONFIG = """\
server = "https://cases.example/"
keymap = { "queue.take" = "T" }
[views.vip]
title = "VIP"
search = "#vip"
[profiles.night]
low_bandwidth = true
"""


@pytest.fixture
def home(tmp_path: Path) -> Locations:
    locs = locations({"CSM_HOME": str(tmp_path)}).ensure()
    locs.config_file.write_text(CONFIG)
    return locs


def test_the_snapshot_has_every_setting() -> None:
    assert SettingsSnapshot().as_dict() == Settings().as_dict()


def test_the_second_start_reads_what_the_first_validated(home: Locations) -> None:
    first = settings_for_start(home, None, {})
    assert isinstance(first, Settings)
    again = settings_for_start(home, None, {})
    assert isinstance(again, SettingsSnapshot)
    assert again.as_dict() == first.as_dict() == load_settings(home, {}).as_dict()
    assert (again.profile, again.config_file) == ("default", home.config_file)
    night = settings_for_start(home, "night", {})
    assert isinstance(night, Settings) and night.low_bandwidth
    cached_night = settings_for_start(home, None, {"CSM_PROFILE": "night"})
    assert cached_night.low_bandwidth and cached_night.profile == "night"
    assert cached_night.model_copy(update={"low_bandwidth": False}).low_bandwidth is False


def test_any_change_of_an_input_validates_again(home: Locations) -> None:
    settings_for_start(home, None, {})
    assert isinstance(settings_for_start(home, None, {"CSM_THEME": "csm-light"}), Settings)
    assert settings_for_start(home, None, {"CSM_THEME": "csm-light"}).theme == "csm-light"
    home.config_file.write_text(CONFIG.replace("cases.example", "other.example"))
    changed = settings_for_start(home, None, {})
    assert isinstance(changed, Settings) and changed.server == "https://other.example"
    # The token is not part of the key (nor of the cache).
    settings_for_start(home, None, {"CSM_TOKEN": "a"})
    assert isinstance(settings_for_start(home, None, {"CSM_TOKEN": "b"}), SettingsSnapshot)
    for cache in home.cache_dir.glob("settings-*.json"):
        assert '"a"' not in cache.read_text() and "CSM_TOKEN" not in cache.read_text()


def test_invalid_settings_are_refused_every_time(home: Locations) -> None:
    home.config_file.write_text("sync_interval = -1\n")
    for _ in range(2):
        with pytest.raises(CsmError, match="sync_interval"):
            settings_for_start(home, None, {})


def test_a_damaged_cache_is_ignored(home: Locations) -> None:
    settings_for_start(home, None, {})
    for cache in home.cache_dir.glob("settings-*.json"):
        data = json.loads(cache.read_text())
        data["values"] = {"server": 5}
        cache.write_text(json.dumps(data))
    assert isinstance(settings_for_start(home, None, {}), Settings)
    for cache in home.cache_dir.glob("settings-*.json"):
        cache.write_text("{not json")
    assert settings_for_start(home, None, {}).server == "https://cases.example"


def test_a_cached_start_imports_no_pydantic(home: Locations) -> None:
    settings_for_start(home, None, {})
    code = (
        "import sys\n"
        "from csm_tui.locations import locations\n"
        "from csm_tui.settings_cache import settings_for_start\n"
        "import csm_tui.app\n"
        "s = settings_for_start(locations(), None)\n"
        "assert type(s).__name__ == 'SettingsSnapshot', type(s)\n"
        "loaded = [m for m in sys.modules if m.startswith(('pydantic', 'csm_tui.config'))]\n"
        "assert not loaded, loaded\n"
    )
    env = {"CSM_HOME": str(home.config_dir.parent), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
