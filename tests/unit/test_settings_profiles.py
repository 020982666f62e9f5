"""Settings (pydantic-settings): profiles, CSM_* overrides, one-sentence errors that name the
key and where it came from, and writing back with comments kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from csm_tui.config import (
    SettingError,
    Settings,
    config_template,
    load_settings,
    read_config_file,
    save_setting,
)
from csm_tui.errors import CsmError
from csm_tui.launch import fast_launch_args
from csm_tui.locations import Locations, locations

CONFIG = """\
# the desk of the night shift
server = "https://day.example"
theme = "csm-light"  # bright office
[keymap]
"queue.take" = "T"

[profiles.night]
server = "https://night.example/"
low_bandwidth = true
[profiles.night.keymap]
"app.help" = "h"
"""


@pytest.fixture
def home(tmp_path: Path) -> Locations:
    locs = locations({"CSM_HOME": str(tmp_path)}).ensure()
    locs.config_file.write_text(CONFIG)
    return locs


def test_a_profile_overrides_the_top_level_and_adds_to_its_keymap(home: Locations) -> None:
    day = load_settings(home, {})
    assert (day.server, day.low_bandwidth, day.profile) == ("https://day.example", False, "default")
    night = load_settings(home, {}, profile="night")
    assert night.server == "https://night.example"
    assert night.low_bandwidth and night.theme == "csm-light" and night.profile == "night"
    assert night.keymap == {"queue.take": "T", "app.help": "h"}
    assert night.config_file == home.config_file
    assert load_settings(home, {"CSM_PROFILE": "night"}).profile == "night"
    assert home.store_file("night") != home.store_file("default")


def test_environment_overrides_the_file_and_the_profile(home: Locations) -> None:
    env = {
        "CSM_SERVER": "http://env.example/",
        "CSM_LOW_BANDWIDTH": "0",
        "CSM_SYNC_INTERVAL": "12",
        "CSM_KEYMAP": '{"app.quit": "ctrl+q"}',
        "CSM_HOME": "/not/a/setting",
        "CSM_TOKEN": "not-a-setting-either",
    }
    night = load_settings(home, env, profile="night")
    assert night.server == "http://env.example"
    assert night.low_bandwidth is False and night.sync_interval == 12.0
    # pydantic-settings merges tables: the variable's entries add to the file's
    assert night.keymap == {"queue.take": "T", "app.help": "h", "app.quit": "ctrl+q"}


def test_settings_built_by_hand_read_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSM_THEME", "csm-light")
    monkeypatch.setenv("CSM_SERVER", "http://env.example")
    built = Settings(server="https://given.example/")
    assert built.server == "https://given.example" and built.theme == "csm-dark"
    assert built.config_file is None


@pytest.mark.parametrize(
    ("text", "env", "profile", "fragments"),
    [
        ('server = "ftp://x"\n', {}, None, ["'server'", "config.toml", "http://"]),
        ("sync_interval = 0\n", {}, None, ["'sync_interval'", "more than 0"]),
        ('sync_interval = "soon"\n', {}, None, ["'sync_interval'", "number of seconds"]),
        ("low_bandwidth = 3\n", {}, None, ["'low_bandwidth'", "true or false"]),
        ('keymap = "q"\n', {}, None, ["'keymap'", "binding ids"]),
        ("nonsense = 1\n", {}, None, ["'nonsense'", "is not a setting"]),
        ("[profiles.a]\nserver = 5\n", {}, "a", ["'server'", "[profiles.a] of", "URL"]),
        ("profiles = 3\n", {}, None, ["'profiles'", "tables"]),
        ("", {"CSM_SYNC_INTERVAL": "never"}, None, ["CSM_SYNC_INTERVAL", "fix or unset"]),
        ("", {"CSM_VIEWS": "{not json"}, None, ["CSM_VIEWS", "not valid JSON"]),
        ("", {}, "nope", ["no profile 'nope'", "default"]),
        ("", {}, "bad name!", ["profile name", "not valid"]),
        ("server = [", {}, None, ["not valid TOML"]),
    ],
)
def test_a_broken_value_is_one_sentence_naming_key_and_source(
    tmp_path: Path, text: str, env: dict[str, str], profile: str | None, fragments: list[str]
) -> None:
    locs = locations({"CSM_HOME": str(tmp_path)}).ensure()
    locs.config_file.write_text(text)
    with pytest.raises(CsmError) as info:
        load_settings(locs, env, profile=profile)
    sentence = str(info.value)
    assert "\n" not in sentence and sentence.endswith(".")
    for fragment in fragments:
        assert fragment in sentence, sentence


def test_hand_built_errors_name_the_key() -> None:
    with pytest.raises(SettingError) as info:
        Settings(sync_interval=-1)
    assert info.value.key == "sync_interval"
    with pytest.raises(SettingError) as info:
        Settings(colour="red")  # type: ignore[call-arg]
    assert info.value.key == "colour" and "is not a setting" in str(info.value)


def test_save_setting_keeps_comments_and_writes_profiles_and_parts(home: Locations) -> None:
    assert save_setting(home, "sync_interval", "45") == 45.0
    assert save_setting(home, "keymap.case.reply", "R") == "R"
    assert save_setting(home, "theme", "csm-high-contrast", "night") == "csm-high-contrast"
    assert save_setting(home, "server", "https://late.example/", "late") == "https://late.example"
    save_setting(home, "views.vip.search", "#vip")
    save_setting(home, "views.vip.title", "VIP")
    text = home.config_file.read_text()
    assert "# the desk of the night shift" in text and "# bright office" in text
    day = load_settings(home, {})
    assert day.sync_interval == 45.0 and day.theme == "csm-light"
    assert day.keymap == {"queue.take": "T", "case.reply": "R"}
    assert day.views == {"vip": {"search": "#vip", "title": "VIP"}}
    assert load_settings(home, {}, profile="night").theme == "csm-high-contrast"
    assert load_settings(home, {}, profile="late").server == "https://late.example"
    save_setting(home, "keymap.queue.take", None)
    save_setting(home, "views.vip", None)
    save_setting(home, "low_bandwidth", None, "night")
    data = read_config_file(home.config_file)
    assert data["keymap"] == {"case.reply": "R"} and "views" not in data
    assert "low_bandwidth" not in data["profiles"]["night"]


def test_save_setting_refuses_a_bad_value_and_leaves_the_file(home: Locations) -> None:
    before = home.config_file.read_text()
    for key, value in (("server", "nope"), ("sync_interval", "-3"), ("colour", "red")):
        with pytest.raises(SettingError):
            save_setting(home, key, value)
    with pytest.raises(SettingError):
        save_setting(home, "views.vip", "x")
    assert home.config_file.read_text() == before


def test_the_template_is_valid_and_sets_nothing(tmp_path: Path) -> None:
    locs = locations({"CSM_HOME": str(tmp_path)}).ensure()
    locs.config_file.write_text(config_template())
    assert load_settings(locs, {}).as_dict() == Settings().as_dict()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], (None, False)),
        (["--low-bandwidth"], (None, True)),
        (["--profile", "night"], ("night", False)),
        (["--profile=night", "--low-bandwidth"], ("night", True)),
        (["sync"], None),
        (["--profile"], None),
        (["--profile", "night", "sync"], None),
        (["--low-bandwidth", "--low-bandwidth"], None),
        (["--help"], None),
    ],
)
def test_plain_launches_skip_typer(argv: list[str], expected: object) -> None:
    assert fast_launch_args(argv) == expected
