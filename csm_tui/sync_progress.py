"""A Rich progress bar around a blocking desk sync, for the CLI (``csm sync``, ``csm demo``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from csm_tui.desk import Desk
    from csm_tui.sync.report import SyncReport
    from csm_tui.sync.wire import ChangesPage


def sync_with_progress(desk: Desk, *, console: Console) -> SyncReport:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"Syncing from {desk.status.server}", total=None)

        def step(report: SyncReport, page: ChangesPage) -> None:
            label = "Downloading cases" if page.snapshot else "Applying changes"
            total = report.rows + page.remaining if page.remaining is not None else None
            progress.update(task, description=label, completed=report.rows, total=total)

        return desk.sync(step)
