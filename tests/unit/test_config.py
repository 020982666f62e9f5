"""Settings and credentials: defaults, overrides, clear errors, comments kept, no keyring."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from csm_tui import credentials
from csm_tui.config import load_settings, save_setting
from csm_tui.errors import CsmError
from csm_tui.locations import locations


def test_csm_home_moves_every_path(tmp_path: Path) -> None:
    locs = locations({"CSM_HOME": str(tmp_path)})
    assert locs.config_file == tmp_path / "config" / "config.toml"
    assert locs.store_file() == tmp_path / "data" / "store-default.sqlite3"
    assert locs.cache_dir == tmp_path / "cache"


def test_defaults_file_and_env_override(tmp_path: Path) -> None:
    locs = locations({"CSM_HOME": str(tmp_path)}).ensure()
    assert load_settings(locs, {}).server is None
    locs.config_file.write_text('server = "http://a.example/"\n')
    assert load_settings(locs, {}).server == "http://a.example"
    assert load_settings(locs, {"CSM_SERVER": "https://b.example"}).server == "https://b.example"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('server = "ftp://x"', "'server'"),
        ("sync_interval = -1", "'sync_interval'"),
        ("nonsense = 1", "'nonsense'"),
        ("server = [", "not valid TOML"),
    ],
)
def test_a_bad_config_is_one_sentence(tmp_path: Path, text: str, fragment: str) -> None:
    locs = locations({"CSM_HOME": str(tmp_path)}).ensure()
    locs.config_file.write_text(text + "\n")
    with pytest.raises(CsmError) as info:
        load_settings(locs, {})
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_save_setting_keeps_comments(tmp_path: Path) -> None:
    locs = locations({"CSM_HOME": str(tmp_path)}).ensure()
    locs.config_file.write_text('# my desk\ntheme = "csm-light"  # easier on the eyes\n')
    save_setting(locs, "server", "http://cases.example")
    text = locs.config_file.read_text()
    assert "# my desk" in text and "# easier on the eyes" in text
    assert load_settings(locs, {}).server == "http://cases.example"
    with pytest.raises(ValueError):
        save_setting(locs, "server", "nope")


def test_no_keyring_backend_names_the_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSM_TOKEN", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        for call in (
            lambda: credentials.get_token("http://x"),
            lambda: credentials.set_token("http://x", "t"),
        ):
            with pytest.raises(CsmError) as info:
                call()
            assert "keyrings.alt" in str(info.value) and "CSM_TOKEN" in str(info.value)
        monkeypatch.setenv("CSM_TOKEN", "from-env")
        assert credentials.get_token("http://x") == "from-env"
    finally:
        keyring.set_keyring(previous)
