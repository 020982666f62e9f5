"""The desk's widgets, one per module: case table, sync status, timeline and its entries,
case header and customer panel."""

from __future__ import annotations

from csm_tui.widgets.case_header import CaseHeader
from csm_tui.widgets.case_table import CaseTable
from csm_tui.widgets.customer_panel import CustomerPanel
from csm_tui.widgets.message_view import MessageView
from csm_tui.widgets.sync_status import SyncStatusBar
from csm_tui.widgets.timeline import Timeline

__all__ = [
    "CaseHeader",
    "CaseTable",
    "CustomerPanel",
    "MessageView",
    "SyncStatusBar",
    "Timeline",
]
