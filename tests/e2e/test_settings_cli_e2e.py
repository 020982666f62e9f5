"""Issue #9 through the real ``csm`` command: sign-in with a password or a token (profiles
too), logout, ``config show|get|set|unset|path|edit``, ``keys``, ``doctor``, a broken config
value, a missing keyring backend, usage errors as one line, shell completion."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from csm_tui.config import read_config_file
from tests.e2e.conftest import Csm, LiveServer, csm_command

pytestmark = pytest.mark.e2e

PASSWORD = "night-shift-42"


def run(
    csm: Csm, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``csm`` with text on its standard input (the Csm fixture gives it none)."""
    return subprocess.run(
        [*csm_command(), *args],
        env={**csm.env, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


def give_password(csm: Csm, server: LiveServer, handle: str = "demo") -> None:
    result = run(
        csm,
        *("server", "set-password", "--handle", handle, "--password-stdin", "--db"),
        server.db_url,
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert f"{handle} can now sign in" in result.stdout


def test_login_with_a_password_sync_doctor_and_logout(csm: Csm, live_server: LiveServer) -> None:
    give_password(csm, live_server)
    url = live_server.url
    wrong = run(
        csm, "login", "--server", url, "--handle", "demo", "--password-stdin", stdin="nope\n"
    )
    assert wrong.returncode == 1
    assert "the handle or the password is not right" in one_line(wrong)
    good = run(
        csm, "login", "--server", url, "--handle", "demo", "--password-stdin", stdin=PASSWORD
    )
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == f"Signed in to {url} as Demo Agent (demo)."
    assert csm("config", "get", "server", check=True).stdout.strip() == url
    assert live_server.query("SELECT count(*) FROM agent_token WHERE label LIKE 'csm on %'") == [
        (1,)
    ]
    csm("sync", "--quiet", check=True)
    doctor = csm("doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    for name in ("config", "keyring", "server", "store", "outbox"):
        assert name in doctor.stdout
    assert "fail" not in doctor.stdout and "signed in as Demo Agent" in doctor.stdout
    out = csm("logout", check=True)
    assert out.stdout.strip() == f"Signed out of {url}."
    after = csm("sync")
    assert after.returncode == 1 and "not signed in" in one_line(after)
    doctor = csm("doctor")
    assert doctor.returncode == 1 and "holds no token" in doctor.stdout


def test_no_password_on_a_terminal_less_stdin_is_one_sentence(
    csm: Csm, live_server: LiveServer
) -> None:
    result = csm("login", "--server", live_server.url, "--handle", "demo")
    assert result.returncode == 1 and "--password-stdin" in one_line(result)


def test_a_token_into_a_profile_with_its_own_store(csm: Csm, live_server: LiveServer) -> None:
    csm.home.joinpath("config").mkdir(parents=True)
    csm.home.joinpath("config", "config.toml").write_text(
        '# day desk\ntheme = "csm-light"\nserver = "http://127.0.0.1:9"\n'
    )
    signed = csm(
        "login", "--server", live_server.url, "--token", live_server.token, "--profile", "night"
    )
    assert signed.returncode == 0, signed.stderr
    assert "(profile night)" in signed.stdout
    data = read_config_file(csm.home / "config" / "config.toml")
    assert data["server"] == "http://127.0.0.1:9"  # the top level is left alone
    assert data["profiles"]["night"]["server"] == live_server.url
    csm("--profile", "night", "sync", "--quiet", check=True)
    assert (csm.home / "data" / "store-night.sqlite3").exists()
    assert not csm.store.exists()
    shown = csm("config", "show", "--profile", "night", check=True).stdout
    assert f'server = "{live_server.url}"  # [profiles.night]' in shown
    assert 'theme = "csm-light"  # config file' in shown
    unknown = csm("sync", "--profile", "nope")
    assert "no profile 'nope'" in one_line(unknown)


def test_no_keyring_backend_names_the_way_out(csm: Csm, live_server: LiveServer) -> None:
    csm.env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    result = csm("login", "--server", live_server.url, "--token", live_server.token)
    assert result.returncode == 1
    line = one_line(result)
    assert "keyrings.alt" in line and "CSM_TOKEN" in line
    assert not (csm.home / "config" / "config.toml").exists()
    doctor = csm("doctor")
    assert doctor.returncode == 1 and "keyrings.alt" in doctor.stdout
    # The way out works: the token from the environment.
    csm.env.update(CSM_TOKEN=live_server.token, CSM_SERVER=live_server.url)
    csm("sync", "--quiet", check=True)


def test_config_set_get_unset_show_path(csm: Csm) -> None:
    assert "Set theme" in csm("config", "set", "theme", "csm-high-contrast", check=True).stdout
    csm("config", "set", "sync_interval", "45", check=True)
    csm("config", "set", "keymap.queue.take", "T", check=True)
    csm("config", "set", "low_bandwidth", "true", check=True)
    assert csm("config", "get", "sync_interval", check=True).stdout.strip() == "45.0"
    assert csm("config", "get", "keymap.queue.take", check=True).stdout.strip() == "T"
    shown = csm("config", "show", check=True).stdout
    assert 'theme = "csm-high-contrast"  # config file' in shown
    assert "low_bandwidth = true  # config file" in shown
    assert "server = (not set)  # default" in shown
    csm.env["CSM_THEME"] = "csm-light"
    assert 'theme = "csm-light"  # CSM_THEME' in csm("config", "show", check=True).stdout
    del csm.env["CSM_THEME"]
    csm("config", "unset", "low_bandwidth", check=True)
    assert "low_bandwidth" not in read_config_file(csm.home / "config" / "config.toml")
    paths = csm("config", "path", check=True).stdout
    assert str(csm.home / "config" / "config.toml") in paths and "csm.log" in paths
    for args, fragment in (
        (("config", "set", "sync_interval", "0"), "more than 0"),
        (("config", "set", "server", "ftp://x"), "http://"),
        (("config", "set", "colour", "red"), "not a setting"),
        (("config", "get", "colour"), "no setting"),
        (("config", "get", "keymap.nope"), "not set"),
    ):
        result = csm(*args)
        assert result.returncode == 1 and fragment in one_line(result), args


def test_a_broken_config_value_stops_every_command_with_one_sentence(csm: Csm) -> None:
    config = csm.home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# mine\nsync_interval = -5\n")
    for args in (("sync",), ("config", "show"), ("keys",), ()):
        result = csm(*args)
        assert result.returncode == 1, args
        line = one_line(result)
        assert "'sync_interval'" in line and str(config) in line
    doctor = csm("doctor")
    assert doctor.returncode == 1 and "sync_interval" in doctor.stdout


def test_config_edit_checks_what_the_editor_wrote(csm: Csm, tmp_path: Path) -> None:
    editor = tmp_path / "editor.py"
    # An "editor" that appends the text of editor.line to the file it is given.
    editor.write_text(
        "import pathlib, sys\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "line = pathlib.Path(__file__).with_suffix('.line').read_text()\n"
        "path.write_text(path.read_text() + line)\n"
    )
    (tmp_path / "editor.line").write_text('theme = "csm-light"\n')
    csm.env["EDITOR"] = f"{sys.executable} {editor}"
    result = csm("config", "edit")
    assert result.returncode == 0, result.stderr
    config = csm.home / "config" / "config.toml"
    assert config.read_text().startswith("# csm settings")  # the commented template
    assert read_config_file(config)["theme"] == "csm-light"
    (tmp_path / "editor.line").write_text("sync_interval = 0\n")
    broken = csm("config", "edit")
    assert broken.returncode == 1
    assert "csm config edit" in one_line(broken) and "'sync_interval'" in broken.stderr


def test_keys_prints_the_map_in_force(csm: Csm) -> None:
    csm("config", "set", "keymap.queue.take", "T", check=True)
    csm("config", "set", "keymap.queue.tkae", "x", check=True)
    result = csm("keys", check=True)
    rows = [line for line in result.stdout.splitlines() if "│ queue.take " in line]
    assert len(rows) == 1 and "T" in rows[0] and "(default t)" in rows[0] and "Take" in rows[0]
    assert "app.quit" in result.stdout and "case.reply" in result.stdout
    assert "warning:" in result.stderr and "queue.tkae" in result.stderr


def test_doctor_on_a_fresh_machine_and_a_damaged_store(csm: Csm) -> None:
    fresh = csm("doctor")
    assert fresh.returncode == 1
    assert "No case server is set up" in fresh.stdout
    csm.env.update(CSM_SERVER="http://127.0.0.1:9", CSM_TOKEN="x")
    csm.store.parent.mkdir(parents=True, exist_ok=True)
    csm.store.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    damaged = csm("doctor")
    assert damaged.returncode == 1
    assert "Cannot reach http://127.0.0.1:9" in damaged.stdout
    assert "store" in damaged.stdout and "fail" in damaged.stdout
    assert "csm doctor: " in damaged.stderr and "store" in damaged.stderr


def test_usage_errors_are_one_line(csm: Csm) -> None:
    for args, fragment in (
        (("--bogus",), "No such option: --bogus"),
        (("config", "get"), "Missing argument"),
        (("sync", "--nope"), "csm sync --help"),
    ):
        result = csm(*args)
        assert result.returncode == 2 and fragment in one_line(result), args


def test_help_and_shell_completion(csm: Csm) -> None:
    helped = csm("--help", check=True).stdout
    for word in ("--low-bandwidth", "--profile", "login", "doctor", "keys", "config"):
        assert word in helped
    # the shell named, not detected from the parent process (CI runs under sh)
    shown = subprocess.run(
        [*csm_command(), "--show-completion", "bash"],
        env={**csm.env, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "_csm_completion" in shown.stdout
    env = {**csm.env, "_CSM_COMPLETE": "complete_bash", "COMP_WORDS": "csm con", "COMP_CWORD": "1"}
    completed = subprocess.run(
        csm_command(), env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert completed.stdout.split() == ["config"]


def test_low_bandwidth_from_the_environment_leaves_old_bodies_on_the_server(
    csm: Csm, live_server: LiveServer
) -> None:
    old = live_server.query(
        "SELECT id FROM 'case' WHERE id IN (SELECT case_id FROM message) ORDER BY number LIMIT 1"
    )[0][0]
    with sqlite3.connect(live_server.db_path) as conn:
        conn.execute(
            "UPDATE 'case' SET status = 'closed', updated_at = '2020-01-01 00:00:00' WHERE id = ?",
            (old,),
        )
    csm.env.update(CSM_SERVER=live_server.url, CSM_TOKEN=live_server.token, CSM_LOW_BANDWIDTH="1")
    csm("sync", "--quiet", check=True)
    with sqlite3.connect(csm.store) as conn:
        marked = {r[0] for r in conn.execute("SELECT case_id FROM deferred_body")}
        (body,) = conn.execute(
            "SELECT group_concat(body, '') FROM message WHERE case_id = ?", (old,)
        ).fetchone()
    assert old in marked and body == ""


def test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_the_log(csm: Csm) -> None:
    # Fault injection: a doctor check that fails like a bug would, in the real entry point.
    code = (
        "import sys\n"
        "import csm_tui.doctor as doctor\n"
        "def broken(*args, **kwargs):\n"
        "    raise ZeroDivisionError('a bug')\n"
        "doctor.run_checks = broken\n"
        "sys.argv = ['csm', 'doctor']\n"
        "from csm_tui.launch import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=csm.env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    line = one_line(result)
    log = csm.home / "data" / "csm.log"
    assert "ZeroDivisionError" in line and str(log) in line
    text = log.read_text()
    assert "Traceback" in text and "a bug" in text and "broken" in text
    # A data dir that cannot be made: still one line.
    blocked = csm.home.parent / "a-file"
    blocked.write_text("not a folder")
    csm.env["CSM_HOME"] = str(blocked)
    again = csm("sync")
    assert again.returncode == 2 and "could not be written" in one_line(again)
