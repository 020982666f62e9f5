"""A draft survives a crash: the real ``csm`` on a real terminal (pty), signed in to a real
case server; the agent opens a case, writes a note, hands it to ``$EDITOR`` (the desk
suspends and resumes), and the desk is SIGKILLed with the draft open. The next ``csm``
shows the draft again on the same case."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import SEED_CASES, Csm, LiveServer, csm_command
from tests.pty_support import Terminal

pytestmark = pytest.mark.e2e

TYPED = "Dear colleagues, the refund is approved"
FROM_EDITOR = "added in the editor"


def _draft(store: Path) -> tuple[str, str, str] | None:
    try:
        with sqlite3.connect(store) as conn:
            return conn.execute("SELECT case_id, kind, body FROM draft").fetchone()
    except sqlite3.OperationalError:
        return None  # no draft table yet


def _wait_for_draft(store: Path, needle: str, timeout: float = 30) -> tuple[str, str, str]:
    deadline = time.monotonic() + timeout
    while True:
        draft = _draft(store)
        if draft is not None and needle in draft[2]:
            return draft
        assert time.monotonic() < deadline, f"no draft with {needle!r}: {draft!r}"
        time.sleep(0.05)


def _open_first_case(term: Terminal) -> None:
    term.wait_for(f"{SEED_CASES} cases")  # the desk opens on All
    term.wait_for("@demo")  # signed in: the first sync asked the server who we are
    term.press("/")
    term.settle()  # the search box has the focus before the first letter comes
    term.press(*"CS-10001", "enter")
    term.wait_for("1 case found")
    term.press("enter")
    term.wait_for("Customer")


def test_a_draft_and_an_editor_round_trip_survive_sigkill(
    csm: Csm, live_server: LiveServer, tmp_path: Path
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\nprintf '\\n{FROM_EDITOR}' >> \"$1\"\n")
    editor.chmod(0o755)
    env = {
        **csm.env,
        "CSM_SERVER": live_server.url,
        "CSM_TOKEN": live_server.token,
        "EDITOR": str(editor),
    }
    env.pop("NO_COLOR", None)
    csm.env.update(CSM_SERVER=live_server.url, CSM_TOKEN=live_server.token)
    csm("sync", check=True)

    term = Terminal(csm_command(), env)
    try:
        _open_first_case(term)
        term.press("n")
        term.settle()
        term.press(*TYPED)
        term.wait_for("INTERNAL NOTE")
        _wait_for_draft(csm.store, TYPED)
        term.press("ctrl+o")  # $EDITOR appends a line; the desk comes back
        case_id, kind, body = _wait_for_draft(csm.store, FROM_EDITOR)
        assert (kind, body) == ("internal", f"{TYPED}\n{FROM_EDITOR}")
    finally:
        term.kill()  # SIGKILL: no clean shutdown, no last save
        term.close()
    (number,) = live_server.query("SELECT number FROM 'case' WHERE id = ?", case_id)[0]
    assert number == "CS-10001"

    term = Terminal(csm_command(), env)
    try:
        _open_first_case(term)
        term.wait_for(FROM_EDITOR)  # in the composer, shown with the case
        term.wait_for("INTERNAL NOTE — only colleagues")
        term.wait_for("Your draft note")  # the toast (it may wrap after these words)
    finally:
        term.close()
    assert _draft(csm.store) == (case_id, "internal", f"{TYPED}\n{FROM_EDITOR}")
