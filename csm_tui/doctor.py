"""``csm doctor``: is this desk set up to work? One check per part, each ok, warn or fail.

- config: the file parses and its settings (every profile's) are valid; the keymap's ids
  exist; the user themes load;
- keyring: a backend is installed and holds a token for the server (or ``CSM_TOKEN`` is set);
- server: it answers ``GET /api/v1/me`` with the token, and for https its certificate is
  verified (the TLS error is reported as it is);
- store: the local database passes ``PRAGMA quick_check`` (the fast form of
  ``integrity_check``);
- outbox: edits waiting to be pushed, conflicts and refused edits.

Every check turns failures into its own sentence; no check raises.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from csm_tui.errors import CsmError
from csm_tui.locations import Locations

Status = Literal["ok", "warn", "fail"]

#: Seconds the server check waits for an answer.
SERVER_TIMEOUT = 5.0
#: More edits than this waiting to be pushed is worth a warning.
OUTBOX_WARN = 500


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


def run_checks(
    locs: Locations, profile: str | None = None, environ: Mapping[str, str] | None = None
) -> list[Check]:
    from csm_tui.config import chosen_profile

    env = os.environ if environ is None else environ
    profile = chosen_profile(profile, env)
    checks: list[Check] = []
    settings, config_checks = _config(locs, profile, env)
    checks.extend(config_checks)
    server = settings.server if settings is not None else None
    token, keyring_check = _keyring(server, env)
    checks.append(keyring_check)
    checks.append(_server(server, token))
    store = locs.store_file(profile)
    store_check = _store(store)
    checks.append(store_check)
    checks.append(_outbox(store) if store_check.status == "ok" else _skipped("outbox", store))
    return checks


def _config(
    locs: Locations, profile: str, env: Mapping[str, str]
) -> tuple[object | None, list[Check]]:
    from csm_tui.config import (
        DEFAULT_PROFILE,
        load_settings,
        profile_names,
        read_config_file,
    )

    path = locs.config_file
    try:
        data = read_config_file(path)
        settings = load_settings(locs, env, profile=profile)
    except CsmError as err:
        return None, [Check("config", "fail", str(err))]
    checks: list[Check] = []
    others: list[str] = []
    for name in profile_names(data):
        if name in (profile, DEFAULT_PROFILE):
            continue
        try:
            load_settings(locs, {}, profile=name)
        except CsmError as err:
            others.append(str(err))
    where = str(path) if path.exists() else f"{path} (not there: the defaults apply)"
    label = "" if profile == DEFAULT_PROFILE else f", profile {profile}"
    if others:
        checks.append(Check("config", "warn", f"{where}{label}; another profile: {others[0]}"))
    else:
        checks.append(Check("config", "ok", f"{where}{label}"))
    if settings.keymap:
        from csm_tui.keymap import problems

        found = problems(settings.keymap)
        checks.append(
            Check("keymap", "warn", " ".join(found))
            if found
            else Check("keymap", "ok", f"{len(settings.keymap)} keys remapped")
        )
    from csm_tui.themes.user import load_user_themes, themes_dir

    themes = load_user_themes(path.parent)
    if themes.problems:
        checks.append(Check("themes", "warn", " ".join(themes.problems)))
    elif themes.themes:
        names = ", ".join(t.name for t in themes.themes)
        checks.append(Check("themes", "ok", f"{names} (from {themes_dir(path.parent)})"))
    return settings, checks


def _keyring(server: str | None, env: Mapping[str, str]) -> tuple[str | None, Check]:
    from csm_tui.credentials import backend_name, backend_problem, get_token

    from_env = env.get("CSM_TOKEN")
    problem = backend_problem()
    if problem is not None:
        if from_env:
            return from_env, Check("keyring", "warn", f"{problem} (CSM_TOKEN is set: used)")
        return None, Check("keyring", "fail", problem)
    if from_env:
        return from_env, Check("keyring", "ok", f"{backend_name()}; the token is in CSM_TOKEN")
    if not server:
        return None, Check("keyring", "ok", f"{backend_name()} (no server set up yet)")
    try:
        token = get_token(server)
    except CsmError as err:
        return None, Check("keyring", "fail", str(err))
    if not token:
        return None, Check(
            "keyring",
            "fail",
            f"{backend_name()} holds no token for {server}; run `csm login --server {server}`.",
        )
    return token, Check("keyring", "ok", f"{backend_name()} holds the token for {server}")


def _server(server: str | None, token: str | None) -> Check:
    if not server:
        return Check("server", "fail", "No case server is set up; run `csm login --server URL`.")
    import httpx

    from csm_tui.sync.client import tls_problem

    started = time.monotonic()
    try:
        reply = httpx.get(
            f"{server}/api/v1/me",
            headers={"Authorization": f"Bearer {token or ''}"},
            timeout=SERVER_TIMEOUT,
        )
    except httpx.TimeoutException:
        return Check("server", "fail", f"{server} did not answer in {SERVER_TIMEOUT:g} s.")
    except httpx.ConnectError as err:
        tls = tls_problem(err)
        if tls is not None:
            return Check("server", "fail", f"The TLS certificate of {server} failed: {tls}.")
        return Check("server", "fail", f"Cannot reach {server} ({_reason(err)}).")
    except httpx.HTTPError as err:
        return Check("server", "fail", f"The connection to {server} failed ({_reason(err)}).")
    ms = (time.monotonic() - started) * 1000
    scheme = urlsplit(server).scheme
    host = urlsplit(server).hostname or ""
    tls = "TLS certificate verified" if scheme == "https" else "plain http"
    if reply.status_code == 401:
        return Check(
            "server", "fail", f"{server} answers ({tls}) but refuses the token; run `csm login`."
        )
    if reply.status_code != 200:
        return Check("server", "fail", f"{server} answered {reply.status_code} to /api/v1/me.")
    try:
        me = reply.json()
        who = f"{me['name']} ({me['handle']})"
    except (ValueError, KeyError, TypeError):
        return Check("server", "fail", f"{server} does not answer like a csm case server.")
    detail = f"{server} answers in {ms:.0f} ms, {tls}; signed in as {who}"
    if scheme == "http" and host not in ("localhost", "127.0.0.1", "::1"):
        return Check("server", "warn", f"{detail}; the token travels unencrypted over http")
    return Check("server", "ok", detail)


def _reason(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text[:120] or type(err).__name__


def _store(store: Path) -> Check:
    if not store.exists():
        return Check("store", "warn", f"{store} is not there yet; the first sync makes it.")
    try:
        conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        return Check("store", "fail", f"{store} cannot be checked ({err}).")
    if [r[0] for r in rows] != ["ok"]:
        first = rows[0][0] if rows else "no answer"
        return Check(
            "store",
            "fail",
            f"{store} is damaged ({first}); move it away and sync again (pending edits in it "
            "would be lost).",
        )
    size = store.stat().st_size / (1024 * 1024)
    return Check("store", "ok", f"{store} ({size:.1f} MiB) passes quick_check")


def _outbox(store: Path) -> Check:
    from csm_tui.store.queries import StoreReader

    reader = StoreReader(store)
    try:
        pending, conflicts, rejected = reader.outbox_counts()
        last = reader.state("last_sync_at")
    finally:
        reader.close()
    when = f"last sync {last.replace('T', ' ')} UTC" if last else "never synced"
    detail = f"{pending} edits waiting, {conflicts} conflicts, {rejected} refused edits; {when}"
    if conflicts or rejected:
        return Check("outbox", "warn", f"{detail} (press C in the desk to see them)")
    if pending > OUTBOX_WARN:
        return Check("outbox", "warn", f"{detail} (run `csm sync`)")
    return Check("outbox", "ok", detail)


def _skipped(name: str, store: Path) -> Check:
    return Check(name, "warn", f"not checked: no usable local store at {store}")
