"""The ``csm`` console script's entry: open the desk, and turn every failure into one sentence.

Plain ``csm`` (what agents run all day) opens the desk without importing Typer or building the
command tree: that is a measurable part of the start (bench/startup.py). Every other use goes
to the Typer app in :mod:`csm_tui.cli`.

Every expected failure is a :class:`~csm_tui.errors.CsmError` and is printed as one sentence
with a non-zero exit; an unexpected one is logged with its traceback to the log file in the data
dir, and the user is told where. Tokens never reach either.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from csm_tui.errors import CsmError
from csm_tui.locations import Locations, locations

if TYPE_CHECKING:
    from csm_tui.desk import Desk
    from csm_tui.sync.client import CaseServerClient


def open_desk(
    locs: Locations,
    server: str | None,
    profile: str,
    views: dict[str, dict[str, str]] | None = None,
) -> Desk:
    """The signed-in desk for ``server``, or a CsmError saying how to sign in."""
    from csm_tui.credentials import get_token
    from csm_tui.desk import Desk

    if not server:
        raise CsmError(
            "No case server is set up; run `csm login --server URL` first, or `csm demo` to try "
            "the desk on demo data."
        )
    token = get_token(server)
    if not token:
        raise CsmError(f"You are not signed in to {server}; run `csm login --server {server}`.")

    def connect() -> CaseServerClient:
        # httpx is imported here, in the sync worker, not before the first paint.
        from csm_tui.sync.client import CaseServerClient

        return CaseServerClient(server, token)

    return Desk(locs.store_file(profile), server=server, connect=connect, views=views)


#: Frames a second at most (Textual's ``TEXTUAL_FPS``; its default is 60). Textual paints a
#: change at the next tick of a timer that, right after a frame, waits one to two periods: at
#: 60 a search result read 10 ms after the keystroke's echo still waited until 17-33 ms after
#: it. At 120 that is 8-17 ms. A user's own ``TEXTUAL_FPS`` wins.
DESK_FPS = "120"


def use_desk_frame_rate() -> None:
    """Set Textual's frame rate for the desk, unless the user set one: before Textual is
    imported (it reads ``TEXTUAL_FPS`` once, on import)."""
    os.environ.setdefault("TEXTUAL_FPS", DESK_FPS)


def launch(profile: str = "default") -> None:
    use_desk_frame_rate()
    from csm_tui.app import make_app
    from csm_tui.config import load_settings

    locs = locations().ensure()
    settings = load_settings(locs)
    desk = open_desk(locs, settings.server, profile, settings.views)
    try:
        make_app(settings, desk).run()
    finally:
        desk.close()


def main() -> None:
    use_desk_frame_rate()  # `csm demo` opens a desk too
    try:
        if len(sys.argv) == 1:
            launch()
        else:
            from csm_tui.cli import app

            app()
    except CsmError as err:
        _say(f"csm: {err}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as err:  # a bug: the user gets one line, the log gets the traceback
        _say(f"csm: something went wrong ({type(err).__name__}); details are in {_log(err)}.")
        sys.exit(2)


def _say(line: str) -> None:
    sys.stderr.write(" ".join(line.split()) + "\n")
    sys.stderr.flush()


def _log(err: BaseException) -> Path:
    import logging
    import traceback

    locs = locations().ensure()
    logging.basicConfig(filename=locs.log_file, level=logging.ERROR)
    logging.getLogger("csm").error("unexpected error\n%s", "".join(traceback.format_exception(err)))
    return locs.log_file
