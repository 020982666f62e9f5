"""The team lead's toast for SLA escalations: after each sync, the escalations the server
made since the last look (EVENT messages with ``ESCALATION_PREFIX``, read from the store),
said in one notification. Agents who are no leads or admins never get it (the SLA panel is
theirs to read). Nothing here imports Textual; the app calls :meth:`EscalationWatch.check`
in a thread worker (it reads the store) and shows :func:`notice` on the UI thread.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from csm_tui.domain.text import clean_line

if TYPE_CHECKING:
    from csm_tui.desk import Desk
    from csm_tui.store.kpi import EscalationRow

#: Most escalations a toast names by case number.
NAMED = 3


class EscalationWatch:
    """Which escalations a lead has been told about: those at or after ``since`` are new."""

    def __init__(self, since: datetime) -> None:
        self.since = since
        self._told: set[str] = set()

    def check(self, desk: Desk) -> list[EscalationRow]:
        """The escalations not told yet (oldest first), or [] for an agent who is no lead."""
        from csm_tui.sla_panel_data import panel_refusal
        from csm_tui.store import kpi

        if panel_refusal(desk) is not None:
            return []
        rows = [r for r in kpi.escalations(desk.reader, self.since) if r.id not in self._told]
        if rows:
            self._told.update(r.id for r in rows)
            # the store's times are whole seconds: keep the last second, and remember ids
            self.since = max(r.at for r in rows) - timedelta(seconds=1)
        return sorted(rows, key=lambda r: r.at)


def notice(rows: list[EscalationRow]) -> str:
    """One sentence for the toast (customer-free text, but cleaned all the same)."""
    if len(rows) == 1:
        row = rows[0]
        return f"{clean_line(row.number)}: {clean_line(row.text)} — press L for the SLA panel."
    named = ", ".join(clean_line(r.number) for r in rows[-NAMED:])
    more = f" and {len(rows) - NAMED} more" if len(rows) > NAMED else ""
    return f"{len(rows)} SLA escalations ({named}{more}) — press L for the SLA panel."


__all__ = ["EscalationWatch", "notice"]
