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
    *,
    low_bandwidth: bool = False,
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

    return Desk(
        locs.store_file(profile),
        server=server,
        connect=connect,
        views=views,
        low_bandwidth=low_bandwidth,
    )


#: Frames a second at most (Textual's ``TEXTUAL_FPS``; its default is 60). Textual paints a
#: change at the next tick of a timer that, right after a frame, waits one to two periods: at
#: 60 a search result read 10 ms after the keystroke's echo still waited until 17-33 ms after
#: it. At 120 that is 8-17 ms. A user's own ``TEXTUAL_FPS`` wins.
DESK_FPS = "120"


def use_desk_frame_rate() -> None:
    """Set Textual's frame rate for the desk, unless the user set one: before Textual is
    imported (it reads ``TEXTUAL_FPS`` once, on import)."""
    os.environ.setdefault("TEXTUAL_FPS", DESK_FPS)


def launch(profile: str | None = None, *, low_bandwidth: bool = False) -> None:
    """Open the desk for ``profile`` (None: ``CSM_PROFILE`` or the default one);
    ``low_bandwidth`` as ``--low-bandwidth`` (else the setting decides)."""
    use_desk_frame_rate()
    from csm_tui.app import make_app
    from csm_tui.settings_cache import settings_for_start

    locs = locations().ensure()
    settings = settings_for_start(locs, profile)
    if low_bandwidth and not settings.low_bandwidth:
        settings = settings.model_copy(update={"low_bandwidth": True})
    desk = open_desk(
        locs,
        settings.server,
        settings.profile,
        settings.views,
        low_bandwidth=settings.low_bandwidth,
    )
    try:
        make_app(settings, desk).run()
    finally:
        desk.close()


def main() -> None:
    use_desk_frame_rate()  # `csm demo` opens a desk too
    try:
        # A shell asking for completions runs plain `csm` with _CSM_COMPLETE set: Typer's.
        fast = None if "_CSM_COMPLETE" in os.environ else fast_launch_args(sys.argv[1:])
        if fast is not None:
            launch(fast[0], low_bandwidth=fast[1])
        else:
            _run_cli()
    except CsmError as err:
        _say(f"csm: {err}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as err:  # a bug: the user gets one line, the log gets the traceback
        try:
            where = f"details are in {_log(err)}"
        except OSError as log_err:  # the data dir itself is the trouble
            where = f"the details could not be written to the log ({log_err.strerror})"
        _say(f"csm: something went wrong ({type(err).__name__}); {where}.")
        sys.exit(2)


def _run_cli() -> None:
    """The Typer app, with its usage errors (an unknown option, a missing argument) as one
    line too, instead of a framed panel."""
    import typer

    try:  # Typer vendors click since 0.2x; plain click before
        from typer._click.exceptions import ClickException
    except ImportError:  # pragma: no cover
        from click.exceptions import ClickException

    from csm_tui.cli import app

    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        _say("csm: stopped.")
        sys.exit(1)
    except ClickException as err:
        ctx = getattr(err, "ctx", None)
        where = ctx.command_path if ctx is not None else "csm"
        _say(f"csm: {err.format_message().rstrip('.')}; see `{where} --help`.")
        sys.exit(err.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)


def fast_launch_args(args: list[str]) -> tuple[str | None, bool] | None:
    """(profile, low_bandwidth) when ``args`` only open the desk (``csm``, ``csm
    --low-bandwidth``, ``csm --profile NAME``), which skips Typer; None for anything else."""
    profile: str | None = None
    low_bandwidth = False
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--low-bandwidth" and not low_bandwidth:
            low_bandwidth = True
        elif arg == "--profile" and profile is None and rest and not rest[0].startswith("-"):
            profile = rest.pop(0)
        elif arg.startswith("--profile=") and profile is None and len(arg) > len("--profile="):
            profile = arg.removeprefix("--profile=")
        else:
            return None
    return profile, low_bandwidth


def _say(line: str) -> None:
    sys.stderr.write(" ".join(line.split()) + "\n")
    sys.stderr.flush()


def _log(err: BaseException) -> Path:
    import logging
    import traceback

    locs = locations().ensure()
    # A handler of its own: basicConfig does nothing once anything (uvicorn, a library) has
    # configured the root logger, and the traceback must reach the file.
    handler = logging.FileHandler(locs.log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("csm.crash")
    logger.propagate = False  # the user sees one line; the traceback goes to the file only
    logger.addHandler(handler)
    try:
        logger.error("unexpected error\n%s", "".join(traceback.format_exception(err)))
    finally:
        logger.removeHandler(handler)
        handler.close()
    return locs.log_file
