"""The customer's other cases beside the case screen, each one key away (``1``-``9``).

Subjects are untrusted text: cleaned and drawn as ``Text``. Each line shows the key, the
number, a status word and the subject, so it reads without colour.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from csm_tui.desk import CaseRow
from csm_tui.domain.text import clean_line
from csm_tui.widgets.case_table import status_label


class OtherCases(OptionList):
    """Open cases first, then recent ones; enter (or the digit) opens one."""

    DEFAULT_CSS = """
    OtherCases {
        height: auto;
        max-height: 12;
        border: round $secondary 60%;
        border-title-color: $secondary;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        & > .option-list--option { padding: 0; }
    }
    """

    def __init__(self, cases: Sequence[CaseRow], *, id: str | None = None) -> None:
        self.cases = list(cases)
        super().__init__(*(self._option(n, c) for n, c in enumerate(self.cases, 1)), id=id)
        self.border_title = f"Other cases ({len(self.cases)})"
        if not self.cases:
            self.border_subtitle = "none"

    @staticmethod
    def _option(n: int, case: CaseRow) -> Option:
        closed = case.status in ("solved", "closed")
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append(f"{n} ", style="bold")
        line.append(clean_line(case.number), style="dim" if closed else "")
        line.append(f" {status_label(case.status):<8} ", style="dim" if closed else "bold")
        line.append(clean_line(case.subject), style="dim" if closed else "")
        return Option(line, id=case.id)
