"""The SLA panel's KPIs: one line per KPI with today's value, the last 7 days' value and a
14-day trend as a Textual ``Sparkline`` (one bar a day, today on the right).

The figures come from :func:`csm_tui.domain.kpi.kpi_report`; a period with nothing to measure
shows ``—``. For the times a higher bar is worse, for the rates a higher bar is better: the
line's name says which way is better (↑ or ↓), so the bars never rely on colour.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Label, Sparkline

from csm_tui.domain.kpi import (
    KPI_NAMES,
    TREND_DAYS,
    KpiReport,
    KpiValues,
    format_minutes,
    format_share,
)

#: Each KPI's title, and whether a higher value is better.
KPI_TITLES: dict[str, tuple[str, bool]] = {
    "frt_median": ("First reply, median", False),
    "frt_p90": ("First reply, p90", False),
    "resolution_median": ("Resolution, median", False),
    "resolution_rate": ("Resolution rate", True),
    "csat": ("CSAT (4-5 of 5)", True),
    "backlog": ("Backlog (open)", False),
}


def kpi_text(name: str, values: KpiValues, *, mean: bool = False) -> str:
    """One KPI of a period as the panel shows it."""
    value = values.value(name)
    if name in ("resolution_rate", "csat"):
        return format_share(value)
    if name == "backlog":
        if value is None:
            return "—"
        return f"{value:,.1f}" if mean and value != int(value) else f"{value:,.0f}"
    return format_minutes(value)


class KpiBoard(Grid):
    """KPI, today, last 7 days, trend: a grid of labels and sparklines."""

    DEFAULT_CSS = f"""
    KpiBoard {{
        grid-size: 4;
        grid-columns: 1fr 9 9 {TREND_DAYS};
        grid-rows: 1;
        grid-gutter: 0 1;
        height: auto;
        padding: 0 1;
    }}
    KpiBoard .kpi-head {{ text-style: bold; color: $text-muted; }}
    KpiBoard .kpi-value {{ width: 1fr; content-align-horizontal: right; }}
    KpiBoard Sparkline {{ width: {TREND_DAYS}; }}
    KpiBoard Sparkline > .sparkline--max-color {{ color: $primary; }}
    KpiBoard Sparkline > .sparkline--min-color {{ color: $primary 40%; }}
    """

    def compose(self) -> ComposeResult:
        yield Label("KPI", classes="kpi-head")
        yield Label("Today", classes="kpi-head kpi-value")
        yield Label("7 days", classes="kpi-head kpi-value")
        yield Label(f"{TREND_DAYS} days", classes="kpi-head")
        for name in KPI_NAMES:
            title, higher_better = KPI_TITLES[name]
            yield Label(f"{title} {'↑' if higher_better else '↓'}", id=f"kpi-{name}-title")
            yield Label("—", id=f"kpi-{name}-today", classes="kpi-value")
            yield Label("—", id=f"kpi-{name}-week", classes="kpi-value")
            yield Sparkline([], id=f"kpi-{name}-trend")

    def show(self, report: KpiReport) -> None:
        for name in KPI_NAMES:
            today = kpi_text(name, report.today)
            week = kpi_text(name, report.week, mean=True)
            self.query_one(f"#kpi-{name}-today", Label).update(Text(today))
            self.query_one(f"#kpi-{name}-week", Label).update(Text(week))
            self.query_one(f"#kpi-{name}-trend", Sparkline).data = report.trend(name)


__all__ = ["KPI_TITLES", "KpiBoard", "kpi_text"]
