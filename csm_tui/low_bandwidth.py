"""Low-bandwidth mode (``csm --low-bandwidth`` or ``low_bandwidth = true``): what it changes.

- Live countdowns repaint every 15 s instead of every second (``CsmApp.tick_seconds``; the
  SLA panel and the queue's SLA column use it), the sync status bar every minute instead of
  every 5 s, and nothing is animated (``App.animation_level = "none"``) and no cursor blinks:
  each repaint costs bytes on the link.
- Background syncs run at most every 2 minutes (:func:`sync_interval`; the live stream still
  pokes a sync when something changes), and pulls come in smaller pages
  (:func:`pull_options`), so each page lands and commits sooner.
- The message bodies of cases solved or closed more than 14 days ago stay on the server until
  the case is opened (``store.bodies``; the case screen fetches them, with a sentence when
  offline; :func:`with_placeholders` shows what waits).

Light on purpose: the desk imports it before the first paint.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from csm_tui.store.queries import CaseDetail

#: Rows and (uncompressed JSON) bytes per pull page in low-bandwidth mode; the defaults are
#: ``wire.DEFAULT_PAGE_ROWS`` (500) and ``wire.DEFAULT_PAGE_BYTES`` (1 MB).
PAGE_ROWS = 200
PAGE_BYTES = 128_000
#: Seconds between repaints of the sync status bar ("synced 2 min ago" moves by minutes).
STATUS_TICK_SECONDS = 60.0
#: Least seconds between background syncs: each is a request and two repaints of the status
#: bar, and the live stream still starts a sync as soon as something changes.
MIN_SYNC_INTERVAL = 120.0
#: What a message whose body is still on the server shows instead.
PLACEHOLDER = (
    "(This message is still on the case server: low-bandwidth mode fetches it when the case "
    "is opened while the server can be reached.)"
)


def sync_interval(configured: float, low_bandwidth: bool) -> float:
    """Seconds between background syncs: the setting, at least ``MIN_SYNC_INTERVAL`` in
    low-bandwidth mode."""
    return max(configured, MIN_SYNC_INTERVAL) if low_bandwidth else configured


def pull_options(low_bandwidth: bool) -> dict[str, Any]:
    """Keyword arguments of ``SyncEngine`` for the mode."""
    if not low_bandwidth:
        return {}
    return {"page_rows": PAGE_ROWS, "page_bytes": PAGE_BYTES, "bodies": "recent"}


def with_placeholders(detail: CaseDetail, deferred: set[str]) -> CaseDetail:
    """``detail`` with the bodies of the ``deferred`` messages replaced by a sentence."""
    if not deferred:
        return detail
    messages = [replace(m, body=PLACEHOLDER) if m.id in deferred else m for m in detail.messages]
    return replace(detail, messages=messages)
