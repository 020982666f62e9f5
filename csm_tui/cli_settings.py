"""The ``csm`` commands of issue #9: sign-in (``login`` with a handle and password or a token,
``logout``), settings (``config show|get|set|unset|edit``), ``keys`` and ``doctor``, and the
password commands of the server (``server set-password``).

:mod:`csm_tui.cli` declares the commands (their options and help) and calls these functions;
every failure is a :class:`~csm_tui.errors.CsmError` with one sentence. Values that came from
a server or a file are printed with ``markup=False``.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from csm_tui.errors import CsmError
from csm_tui.locations import locations

out = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


# -- reading secrets -------------------------------------------------------------------------


def read_secret(prompt: str, from_stdin: bool, *, confirm: bool = False) -> str:
    """A password: one line of standard input (``--password-stdin``), or asked for on the
    terminal without echo. Never from the command line, where others could see it."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CsmError("No password came on standard input.")
        return line
    if not sys.stdin.isatty():
        raise CsmError(
            "There is no terminal to ask for the password on; pass it on standard input with "
            "--password-stdin."
        )
    import typer

    secret: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return secret


def _ask(prompt: str) -> str:
    if not sys.stdin.isatty():
        raise CsmError(f"There is no terminal to ask for the {prompt.lower()} on; pass --handle.")
    import typer

    answer: str = typer.prompt(prompt)
    return answer.strip()


# -- login and logout ------------------------------------------------------------------------


def login(
    server: str | None,
    token: str | None,
    handle: str | None,
    password_stdin: bool,
    profile: str | None,
) -> None:
    """Sign in to ``server`` (else the profile's), with the agent's handle and password (the
    server issues a token) or with ``token``; the token goes to the keyring and the server
    to the config (the profile's table for a profile)."""
    from csm_tui.config import SettingError, Settings, chosen_profile, load_settings, save_setting
    from csm_tui.credentials import backend_problem, set_token
    from csm_tui.sync.client import CaseServerClient, Unauthorized

    profile = chosen_profile(profile)
    locs = locations().ensure()
    settings = load_settings(locs, profile=profile, must_exist=False)
    if server:
        try:
            url = Settings(server=server).server or server
        except SettingError as err:
            raise CsmError(f"The server URL {server!r} {err}.") from None
    else:
        url = settings.server
    if not url:
        raise CsmError("Say which case server to sign in to: `csm login --server URL`.")
    # Before the server issues a token: one that cannot be kept would be lost.
    if not os.environ.get("CSM_TOKEN"):
        problem = backend_problem()
        if problem is not None:
            raise CsmError(problem)
    if token is None:
        who = handle or _ask("Handle")
        if not who:
            raise CsmError("No handle given; it is the agent's login name, e.g. anna.schmidt.")
        password = read_secret("Password", password_stdin)
        label = f"csm on {socket.gethostname()}"[:100]
        with CaseServerClient(url, "") as client:
            try:
                reply = client.login(who, password, label=label)
            except Unauthorized:
                raise CsmError(
                    f"{url} refused the sign-in: the handle or the password is not right."
                ) from None
        token, me = reply.token, reply.agent
    else:
        token = token.strip()
        if not token:
            raise CsmError("No token given; get one from your lead (`csm server issue-token`).")
        with CaseServerClient(url, token) as client:
            me = client.me()
    set_token(url, token)
    save_setting(locs, "server", url, profile)
    where = "" if profile == "default" else f" (profile {profile})"
    out.print(f"Signed in to {url} as {me.name} ({me.handle}){where}.", markup=False)


def logout(profile: str | None) -> None:
    from csm_tui.config import chosen_profile, load_settings
    from csm_tui.credentials import delete_token

    profile = chosen_profile(profile)
    settings = load_settings(locations(), profile=profile)
    if not settings.server:
        raise CsmError("No case server is set up, so there is nothing to sign out of.")
    removed = delete_token(settings.server)
    out.print(
        f"Signed out of {settings.server}."
        if removed
        else f"No token was stored for {settings.server}.",
        markup=False,
    )
    if os.environ.get("CSM_TOKEN"):
        err_console.print(
            "CSM_TOKEN is still set in your environment and signs this desk in; unset it too.",
            markup=False,
        )


# -- config ----------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    """A value as the TOML file would hold it."""
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def config_show(profile: str | None) -> None:
    """The settings in force, each with where it came from."""
    from csm_tui.config import (
        DEFAULT_PROFILE,
        chosen_profile,
        env_var,
        load_settings,
        merged_file_settings,
        profile_names,
        read_config_file,
    )

    profile = chosen_profile(profile)
    locs = locations()
    settings = load_settings(locs, profile=profile)
    data = read_config_file(locs.config_file)
    file_values, from_profile = merged_file_settings(data, profile, locs.config_file)
    for key, value in settings.as_dict().items():
        if os.environ.get(env_var(key)):
            source = env_var(key)
        elif key in from_profile:
            source = f"[profiles.{profile}]"
        elif key in file_values:
            source = "config file"
        else:
            source = "default"
        out.print(f"{key} = {_shown(value)}  # {source}", markup=False)
    names = profile_names(data)
    if len(names) > 1 or profile != DEFAULT_PROFILE:
        out.print(f"# profile: {profile} (profiles: {', '.join(names)})", markup=False)


def config_get(key: str, profile: str | None) -> None:
    from csm_tui.config import FILE_SETTINGS, chosen_profile, load_settings

    name, _, sub = key.partition(".")
    if name not in FILE_SETTINGS:
        raise CsmError(
            f"There is no setting {name!r}; the settings are {', '.join(FILE_SETTINGS)}."
        )
    settings = load_settings(locations(), profile=chosen_profile(profile))
    value: Any = getattr(settings, name)
    if sub:
        if not isinstance(value, dict):
            raise CsmError(f"The setting {name!r} has no parts; use `csm config get {name}`.")
        parts = [sub] if name == "keymap" else sub.split(".", 1)
        for part in parts:
            if not isinstance(value, dict) or part not in value:
                raise CsmError(f"{key} is not set.")
            value = value[part]
    # Plain text for scripts: strings as they are, the rest as in the file.
    out.print(value if isinstance(value, str) else _shown(value), markup=False)


def config_set(key: str, value: str | None, profile: str | None) -> None:
    from csm_tui.config import SettingError, chosen_profile, load_settings, save_setting

    profile = chosen_profile(profile)
    locs = locations().ensure()
    if profile != "default":
        load_settings(locs, {}, profile="default")  # a broken file is said as such first
    try:
        written = save_setting(locs, key, value, profile)
    except SettingError as err:
        where = locs.config_file if profile == "default" else f"[profiles.{profile}]"
        raise CsmError(
            f"Cannot set {key} in {where}: the setting '{err.key}' {str(err).rstrip('.')}."
        ) from None
    table = "" if profile == "default" else f" [profiles.{profile}] of"
    if value is None:
        out.print(f"Removed {key} from{table} {locs.config_file}.", markup=False)
    else:
        out.print(f"Set {key} = {_shown(written)} in{table} {locs.config_file}.", markup=False)
    from csm_tui.config import env_var

    name = key.partition(".")[0]
    if os.environ.get(env_var(name)):
        err_console.print(
            f"{env_var(name)} is set in your environment and overrides this setting.",
            markup=False,
        )


def config_edit(profile: str | None) -> None:
    """Open the config file in ``$VISUAL`` / ``$EDITOR`` (a commented template when there is
    none yet), then check it."""
    from csm_tui.config import chosen_profile, config_template, load_settings

    locs = locations().ensure()
    path = locs.config_file
    if not path.exists():
        path.write_text(config_template(), encoding="utf-8")
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = [*shlex.split(command), str(path)]
    except ValueError:
        raise CsmError(f"The editor command {command!r} cannot be read; fix $EDITOR.") from None
    try:
        result = subprocess.run(argv, check=False)
    except OSError as err:
        raise CsmError(
            f"Could not start the editor {command!r} ({err.strerror}); set $EDITOR."
        ) from None
    if result.returncode != 0:
        raise CsmError(f"The editor ended with status {result.returncode}; check {path}.")
    try:
        load_settings(locs, profile=chosen_profile(profile))
    except CsmError as err:
        raise CsmError(f"{str(err).rstrip('.')} (run `csm config edit` again).") from None
    out.print(f"{path} is valid.", markup=False)


# -- keys ------------------------------------------------------------------------------------


def show_keys(profile: str | None) -> None:
    """The key map in force as a table, then any problems of the configured keymap."""
    from csm_tui.config import chosen_profile, load_settings
    from csm_tui.keymap import key_map, problems

    settings = load_settings(locations(), profile=chosen_profile(profile))
    table = Table(title="Keys in force", title_justify="left", show_lines=False)
    table.add_column("Where")
    table.add_column("Binding id")
    table.add_column("Keys")
    table.add_column("Does")
    for info in key_map(settings.keymap):
        keys = ", ".join(info.keys)
        if info.remapped:
            keys += f"  (default {', '.join(info.default_keys)})"
        table.add_row(Text(info.where), Text(info.id), Text(keys), Text(info.description))
    out.print(table)
    out.print(
        'Remap one in the config: `csm config set keymap.queue.take T` (or [keymap] "queue.take"'
        ' = "T"); several keys: "T,ctrl+t".',
        markup=False,
    )
    for problem in problems(settings.keymap):
        err_console.print(f"warning: {problem}", markup=False)


# -- doctor ----------------------------------------------------------------------------------


def doctor(profile: str | None) -> bool:
    """Print the checks as a table; True when none failed."""
    from csm_tui.doctor import run_checks

    checks = run_checks(locations(), profile)
    table = Table(title="csm doctor", title_justify="left")
    table.add_column("Check")
    table.add_column("Result")
    table.add_column("Details", overflow="fold")
    styles = {"ok": "green", "warn": "yellow", "fail": "bold red"}
    for check in checks:
        table.add_row(
            Text(check.name), Text(check.status, style=styles[check.status]), Text(check.detail)
        )
    out.print(table)
    failed = [c.name for c in checks if c.status == "fail"]
    if failed:
        err_console.print(f"csm doctor: {len(failed)} failed ({', '.join(failed)}).", markup=False)
    return not failed


# -- server passwords ------------------------------------------------------------------------


def new_password(password_stdin: bool) -> str:
    """A new password (asked for twice on a terminal), checked for length."""
    from csm_tui.server.passwords import check_new_password

    password = read_secret("New password", password_stdin, confirm=True)
    try:
        check_new_password(password)
    except ValueError as err:
        raise CsmError(str(err)) from None
    return password


def set_agent_password(db: str, handle: str, password_stdin: bool) -> None:
    from csm_tui.server.auth import UnknownAgent
    from csm_tui.server.db import init_db, make_engine
    from csm_tui.server.passwords import set_password

    password = new_password(password_stdin)
    engine = make_engine(db)
    try:
        init_db(engine)
        agent = set_password(engine, handle, password)
    except (UnknownAgent, ValueError) as err:
        raise CsmError(str(err).strip("'\"")) from None
    finally:
        engine.dispose()
    out.print(f"{agent.handle} can now sign in with `csm login` and this password.", markup=False)


def log_file() -> Path:
    return locations().log_file
