"""The desk's screens: the queue (default mode) and the case detail."""

from __future__ import annotations

from csm_tui.screens.case import CaseScreen
from csm_tui.screens.queue import QueueScreen

__all__ = ["CaseScreen", "QueueScreen"]
