"""The case screen's fetch of message bodies a low-bandwidth pull left on the server.

When a case is shown whose messages wait on the server (``Desk.deferred_bodies``), a thread
worker fetches them (``Desk.fetch_bodies``); the store change is announced on the app's
``cases_changed_signal``, so the case screen (and the queue) repaint as after a sync. Offline,
one sentence says that the text comes once the server can be reached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from csm_tui.errors import CsmError

if TYPE_CHECKING:
    from csm_tui.screens.case import CaseScreen

OFFLINE = (
    "Some older messages of this case are still on the case server, which cannot be reached "
    "now; open the case again once it can."
)


def fetch_deferred_bodies(screen: CaseScreen) -> None:
    """Start fetching the shown case's missing bodies, if any (no network when none)."""
    case_id = screen.case_id
    desk = screen.desk
    if not desk.deferred_bodies(case_id):
        return
    app = screen.csm_app

    def fetch() -> None:
        try:
            filled = desk.fetch_bodies(case_id)
        except CsmError as err:
            app.call_from_thread(
                app.notify,
                f"{OFFLINE} ({str(err).rstrip('.')})",
                title="Messages",
                severity="warning",
                markup=False,
            )
            return
        if filled:
            app.call_from_thread(app.cases_changed_signal.publish, {case_id})

    screen.run_worker(fetch, thread=True, group="bodies", exit_on_error=False)
