"""The ``csm`` command on a fresh machine: clear sentences, the demo, the version."""

from __future__ import annotations

import sqlite3

import pytest

from csm_tui import __version__
from tests.e2e.conftest import Csm

pytestmark = pytest.mark.e2e


def test_csm_without_login_or_server_says_one_sentence(csm: Csm) -> None:
    result = csm()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "csm login --server URL" in lines[0] and "csm demo" in lines[0]


def test_csm_with_a_server_but_no_token_says_how_to_sign_in(csm: Csm) -> None:
    csm.env["CSM_SERVER"] = "http://127.0.0.1:9"
    result = csm()
    assert result.returncode == 1
    assert "not signed in" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_config_value_is_one_sentence(csm: Csm) -> None:
    config = csm.home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('server = "ftp://nope"\n')
    result = csm("sync")
    assert result.returncode == 1
    assert "server" in result.stderr and "http://" in result.stderr
    assert "Traceback" not in result.stderr


def test_version(csm: Csm) -> None:
    assert csm("--version", check=True).stdout.strip() == f"csm {__version__}"


def test_demo_headless_seeds_serves_and_syncs(csm: Csm) -> None:
    result = csm("demo", "--cases", "150", "--headless", check=True, timeout=180)
    assert "150 cases" in result.stderr
    store = csm.home / "data" / "demo" / "desk.sqlite3"
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT count(*) FROM 'case'").fetchone()[0] == 150
    # A second run reuses the demo data and a new in-memory token; no keyring was touched.
    again = csm("demo", "--headless", check=True, timeout=180)
    assert "150 cases" in again.stderr
    assert not (csm.home / "config" / "config.toml").exists()
