"""Settings: a TOML file in the config dir, validated on load, with ``CSM_*`` overrides and
named profiles.

``Settings`` is a pydantic-settings model. Where a value comes from, strongest first:

1. ``CSM_<SETTING>`` environment variables (``CSM_SERVER``, ``CSM_THEME``,
   ``CSM_LOW_BANDWIDTH=1``, ``CSM_KEYMAP='{"app.quit": "ctrl+q"}'``, ...), read by
   :func:`load_settings` only, never when a ``Settings`` is built by hand; the tables
   (``CSM_KEYMAP``, ``CSM_VIEWS``, JSON) add their entries to the file's;
2. the ``[profiles.NAME]`` table of the file, when that profile is chosen (``--profile NAME``
   or ``CSM_PROFILE``); its ``keymap`` and ``views`` add to the top level's;
3. the top level of the file;
4. the defaults below.

Every error becomes one sentence naming the key and where it came from (the file, the profile
table, or the environment variable). The file never holds the token (that lives in the
keyring, see ``credentials``). Writing (:func:`save_setting`) keeps the user's comments and
layout (tomlkit, imported only then).

pydantic and pydantic-settings are imported with this module, which is on the way to the first
painted queue: bench/startup.py measures what that costs.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from csm_tui.errors import CsmError
from csm_tui.locations import Locations

#: The profile that is the top level of the file.
DEFAULT_PROFILE = "default"
ENV_PREFIX = "CSM_"
#: Settings that are dicts: a profile's table adds to the top level's instead of replacing it.
MERGED_SETTINGS = ("keymap", "views")
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

#: The environment of the running :func:`load_settings` (None: build from the arguments only).
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("csm_settings_environ", default=None)


class SettingError(ValueError):
    """One setting is wrong: ``key`` names it, ``str()`` says how."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


class _EnvSource(EnvSettingsSource):
    """``CSM_*`` variables of the mapping :func:`load_settings` was given (tests pass their
    own), without the ones that are not settings of the file (``CSM_PROFILE`` picks the
    profile; ``CSM_HOME`` and ``CSM_TOKEN`` are not fields at all)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env_vars = {
            k.lower(): v
            for k, v in environ.items()
            if k.upper().startswith(ENV_PREFIX)
            and v != ""
            and k.upper().removeprefix(ENV_PREFIX).lower() in FILE_SETTINGS
        }


class Settings(BaseSettings):
    """The settings in force. Building one by hand (tests, tools) reads no environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, case_sensitive=False
    )

    server: str | None = None
    """Case server base URL (http:// or https://)."""
    theme: str = "csm-dark"
    """Theme name: csm-dark, csm-light, csm-high-contrast, one of Textual's, or a user theme
    from ``<config dir>/themes/*.toml``."""
    sync_interval: float = 30.0
    """Seconds between background syncs (0 < s <= 3600)."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Binding id -> keys, e.g. ``{"queue.cursor_down" = "n"}`` (``csm keys`` lists them)."""
    views: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Custom queue views: id -> {title, search}, e.g. ``[views.vip] title = "VIP"
    search = "#vip prio:high,urgent"`` (search syntax: ``csm_tui.domain.search``)."""
    low_bandwidth: bool = False
    """Repaint live timers every 15 s instead of every second, no animations, smaller pages,
    message bodies of old cases fetched when a case is opened."""

    # Not settings of the file: where these settings came from (set by load_settings).
    profile: str = Field(default=DEFAULT_PROFILE, exclude=True)
    """The profile these settings are for (each has its own local store)."""
    config_file: Path | None = Field(default=None, exclude=True)
    """The file they were read from; None for settings built by hand, which the desk then
    never writes back (a theme picked in the palette is not remembered)."""

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as err:
            raise _setting_error(err) from None
        except SettingsError as err:
            raise _env_parse_error(err) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ = _ENVIRON.get()
        if environ is None:
            return (init_settings,)
        # The environment wins over the file (which load_settings passes as init values).
        return (_EnvSource(settings_cls, environ), init_settings)

    @field_validator("server", mode="before")
    @classmethod
    def _check_server(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("must be a URL string")
        url = value.strip().rstrip("/")
        if not url.startswith(("http://", "https://")) or len(url) <= len("https://"):
            raise ValueError("must start with http:// or https://")
        return url

    @field_validator("theme", mode="before")
    @classmethod
    def _check_theme(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a theme name")
        return value.strip()

    @field_validator("sync_interval", mode="before")
    @classmethod
    def _check_interval(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ValueError("must be a number of seconds") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number of seconds")
        if not 0 < value <= 3600:
            raise ValueError("must be more than 0 and at most 3600 seconds")
        return float(value)

    @field_validator("keymap", mode="before")
    @classmethod
    def _check_keymap(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
        ):
            raise ValueError('must map binding ids to keys, e.g. "app.quit" = "ctrl+q"')
        return value

    @field_validator("views", mode="before")
    @classmethod
    def _check_views(cls, value: Any) -> Any:
        from csm_tui.store.views import check_custom_views

        problem = check_custom_views(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("low_bandwidth", mode="before")
    @classmethod
    def _check_low_bandwidth(cls, value: Any) -> Any:
        if isinstance(value, str):  # from the environment: CSM_LOW_BANDWIDTH=1
            word = value.strip().lower()
            if word in ("1", "true", "yes", "on"):
                return True
            if word in ("0", "false", "no", "off"):
                return False
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    @field_validator("profile", mode="before")
    @classmethod
    def _check_profile(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _PROFILE_NAME.match(value):
            raise ValueError(
                "must be a name of letters, digits, '.', '_' or '-' (at most 64 characters)"
            )
        return value

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Settings:
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        """The settings of the file (not ``profile`` and ``config_file``), by name."""
        return self.model_dump()


#: The keys a config file (or a profile table) may set.
FILE_SETTINGS: tuple[str, ...] = tuple(
    name for name, info in Settings.model_fields.items() if not info.exclude
)


def _setting_error(err: ValidationError) -> SettingError:
    first = err.errors(include_url=False)[0]
    loc = first.get("loc") or ("settings",)
    key = str(loc[0])
    if first.get("type") == "extra_forbidden":
        return SettingError(key, f"is not a setting; known: {', '.join(FILE_SETTINGS)}")
    message = str(first.get("msg", "is not valid"))
    message = message.removeprefix("Value error, ")
    if len(loc) > 1:
        message = f"{'.'.join(str(p) for p in loc[1:])}: {message}"
    return SettingError(key, message[:1].lower() + message[1:])


def _env_parse_error(err: SettingsError) -> SettingError:
    found = re.search(r'field "(\w+)"', str(err))
    key = found.group(1) if found else "settings"
    return SettingError(key, "not valid JSON")


def env_var(key: str) -> str:
    """The environment variable that overrides the setting ``key``."""
    return ENV_PREFIX + key.upper()


def chosen_profile(profile: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``profile`` when given, else ``CSM_PROFILE``, else the default profile."""
    env = os.environ if environ is None else environ
    return profile or env.get("CSM_PROFILE") or DEFAULT_PROFILE


def profile_names(data: Mapping[str, Any]) -> list[str]:
    """The profiles a parsed config file defines (the default one first)."""
    profiles = data.get("profiles")
    named = sorted(profiles) if isinstance(profiles, dict) else []
    return [DEFAULT_PROFILE, *named]


def merged_file_settings(
    data: Mapping[str, Any], profile: str, path: Path, *, must_exist: bool = True
) -> tuple[dict[str, Any], set[str]]:
    """The file's values for ``profile``: the top level, with the profile's table over it.
    Returns them and the keys the profile table set. Raises SettingError for a malformed
    ``profiles`` table or (``must_exist``) an unknown profile."""
    top = {k: v for k, v in data.items() if k != "profiles"}
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(t, dict) for t in profiles.values()):
        raise SettingError(
            "profiles", 'must be tables, e.g. [profiles.night] server = "https://..."'
        )
    if profile == DEFAULT_PROFILE:
        return top, set()
    if not _PROFILE_NAME.match(profile):
        raise CsmError(
            f"The profile name {profile!r} is not valid; use letters, digits, '.', '_' or '-' "
            "(at most 64 characters)."
        )
    table = profiles.get(profile)
    if table is None:
        if must_exist:
            known = ", ".join(profile_names(data))
            raise CsmError(
                f"There is no profile '{profile}' in {path}; add a [profiles.{profile}] table "
                f"or use one of: {known}."
            )
        table = {}
    merged = dict(top)
    for key, value in table.items():
        if key == "profiles":
            raise SettingError("profiles", f"cannot be nested in [profiles.{profile}]")
        if key in MERGED_SETTINGS and isinstance(value, dict) and isinstance(top.get(key), dict):
            merged[key] = {**top[key], **value}
        else:
            merged[key] = value
    return merged, set(table)


def load_settings(
    locs: Locations,
    environ: Mapping[str, str] | None = None,
    *,
    profile: str | None = None,
    must_exist: bool = True,
) -> Settings:
    """Read the config file (missing = defaults) for ``profile`` (None: ``CSM_PROFILE`` or
    the default) and apply the ``CSM_*`` overrides of ``environ`` (default ``os.environ``)."""
    env = os.environ if environ is None else environ
    profile = chosen_profile(profile, env)
    path = locs.config_file
    data = read_config_file(path)
    try:
        values, from_profile = merged_file_settings(data, profile, path, must_exist=must_exist)
    except SettingError as err:
        raise CsmError(_sentence(err, path, None, set(), env)) from None
    token = _ENVIRON.set(env)
    try:
        return Settings(**values, profile=profile, config_file=path)
    except SettingError as err:
        raise CsmError(_sentence(err, path, profile, from_profile, env)) from None
    finally:
        _ENVIRON.reset(token)


def _sentence(
    err: SettingError,
    path: Path,
    profile: str | None,
    from_profile: set[str],
    env: Mapping[str, str],
) -> str:
    problem = str(err).rstrip(".")
    if err.key == "profile":
        return f"The profile name '{profile}' is not valid ({problem})."
    if err.key in FILE_SETTINGS and env.get(env_var(err.key)):
        return (
            f"The setting '{err.key}' from the environment variable {env_var(err.key)} is "
            f"invalid ({problem}); fix or unset it."
        )
    where = f"[profiles.{profile}] of {path}" if err.key in from_profile else str(path)
    return (
        f"The setting '{err.key}' in {where} is invalid ({problem}); "
        "fix it with `csm config set` or `csm config edit`."
    )


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise CsmError(
            f"The config file {path} is not valid TOML ({err}); fix or delete it."
        ) from None
    except OSError as err:
        raise CsmError(f"The config file {path} cannot be read ({err.strerror}).") from None


def save_setting(
    locs: Locations | Path, key: str, value: Any, profile: str = DEFAULT_PROFILE
) -> Any:
    """Set one key in the config file (top level, or in ``[profiles.PROFILE]``), keeping
    everything else as the user wrote it; ``value`` None removes the key. ``key`` may name a
    part of a table setting: ``keymap.<binding id>``, ``views.<id>.title``,
    ``views.<id>.search`` (``views.<id>`` to remove a view). The result is checked first
    (SettingError, a ValueError, names the problem); returns the value as written (a URL
    without its trailing slash, "30" as 30.0, ...)."""
    path = locs if isinstance(locs, Path) else locs.config_file
    parts = _key_parts(key, value)
    name = parts[0]
    data = read_config_file(path)
    candidate = copy.deepcopy(data)
    _set_path(_profile_table(candidate, profile), parts, value)
    merged, _ = merged_file_settings(candidate, profile, path, must_exist=False)
    settings = Settings(**merged)
    if value is None or len(parts) > 1 or name in MERGED_SETTINGS:
        written = value
    else:
        written = getattr(settings, name)
    import tomlkit  # only when writing: not on the way to the first paint

    path.parent.mkdir(parents=True, exist_ok=True)
    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    _set_path(_profile_table(doc, profile, tomlkit.table), parts, written, tomlkit.table)
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return written


def _key_parts(key: str, value: Any) -> list[str]:
    name, _, sub = key.partition(".")
    if name not in FILE_SETTINGS:
        raise SettingError(name, f"is not a setting; known: {', '.join(FILE_SETTINGS)}")
    if not sub:
        return [name]
    if name == "keymap":
        return [name, sub]  # binding ids hold dots themselves
    if name == "views":
        view_id, _, part = sub.partition(".")
        if not part and value is not None:
            raise SettingError(name, f"set views.{view_id}.title and views.{view_id}.search")
        return [name, view_id, part] if part else [name, view_id]
    raise SettingError(name, "has no parts; set it as a whole")


def _profile_table(doc: Any, profile: str, new_table: Any = dict) -> Any:
    """The table of ``profile`` in a parsed file (the document itself for the default one),
    created when missing."""
    if profile == DEFAULT_PROFILE:
        return doc
    if "profiles" not in doc:
        doc["profiles"] = new_table(True) if new_table is not dict else {}
    if profile not in doc["profiles"]:
        doc["profiles"][profile] = new_table()
    return doc["profiles"][profile]


def _set_path(table: Any, parts: list[str], value: Any, new_table: Any = dict) -> None:
    """Set (or, for None, remove) ``table[parts[0]][parts[1]]...``; tables on the way are
    made when missing, and ones a removal leaves empty go too."""
    head, rest = parts[0], parts[1:]
    if not rest:
        if value is None:
            if head in table:
                del table[head]
        else:
            table[head] = value
        return
    if head not in table or not isinstance(table[head], dict):
        if value is None:
            return
        table[head] = new_table()
    _set_path(table[head], rest, value, new_table)
    if value is None and not table[head]:
        del table[head]


def config_template() -> str:
    """What ``csm config edit`` opens when there is no file yet: every setting, commented."""
    return (
        "# csm settings (csm config show lists the ones in force).\n"
        "# Environment variables override these: CSM_SERVER, CSM_THEME, CSM_LOW_BANDWIDTH, ...\n"
        "\n"
        '# server = "https://cases.example.com"\n'
        '# theme = "csm-dark"          # csm-light, csm-high-contrast, or themes/*.toml\n'
        "# sync_interval = 30.0        # seconds between background syncs\n"
        "# low_bandwidth = false       # slow timers, no animations, smaller pages\n"
        "\n"
        "# [keymap]                    # binding id = keys (csm keys lists them)\n"
        '# "queue.take" = "T"\n'
        "\n"
        "# [views.vip]                 # a custom queue view\n"
        '# title = "VIP"\n'
        '# search = "#vip prio:high,urgent"\n'
        "\n"
        "# [profiles.night]            # csm --profile night: overrides the top level\n"
        '# server = "https://night.cases.example.com"\n'
        '# theme = "csm-high-contrast"\n'
    )
