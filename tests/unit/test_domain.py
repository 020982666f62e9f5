"""Pure domain rules: status transitions and untrusted text."""

from __future__ import annotations

import pytest

from csm_tui.domain.enums import CaseStatus, Priority
from csm_tui.domain.status import (
    TransitionError,
    can_transition,
    check_transition,
    status_after_customer_reply,
)
from csm_tui.domain.text import clean, clean_line

S = CaseStatus


@pytest.mark.parametrize("source", [s for s in S if s != S.NEW])
def test_new_never_comes_back(source: CaseStatus) -> None:
    with pytest.raises(TransitionError, match="back to new"):
        check_transition(source, S.NEW)


def test_closed_takes_no_more_updates() -> None:
    for target in S:
        if target != S.CLOSED:
            assert not can_transition(S.CLOSED, target)
    with pytest.raises(TransitionError, match="follow-up case"):
        check_transition(S.CLOSED, S.OPEN)


def test_solved_can_be_reopened_and_closed() -> None:
    assert can_transition(S.SOLVED, S.OPEN)
    assert can_transition(S.SOLVED, S.CLOSED)
    assert not can_transition(S.OPEN, S.CLOSED)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (S.PENDING, S.OPEN),
        (S.ON_HOLD, S.OPEN),
        (S.SOLVED, S.OPEN),
        (S.NEW, S.NEW),
        (S.OPEN, S.OPEN),
    ],
)
def test_customer_reply_reopens_waiting_cases(before: CaseStatus, after: CaseStatus) -> None:
    assert status_after_customer_reply(before) == after


def test_priority_rank_orders_urgency() -> None:
    assert sorted(Priority, key=lambda p: p.rank) == [
        Priority.LOW,
        Priority.NORMAL,
        Priority.HIGH,
        Priority.URGENT,
    ]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2Jwiped", "wiped"),
        ("\x1b]52;c;SGVsbG8=\x07copied", "copied"),
        ("\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("a\x00b\x07c\x08d", "abcd"),
        ("c1\x9b31mx\x9dtitle\x9c!", "c1x!"),
        ("line1\r\nline2\tx", "line1\nline2\tx"),
        ("[bold red]x[/] [link=http://e]y[/link]", "[bold red]x[/] [link=http://e]y[/link]"),
        ("Überweisung über 50 €", "Überweisung über 50 €"),
    ],
)
def test_clean_strips_terminal_controls_and_keeps_text(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_clean_line_folds_whitespace() -> None:
    assert clean_line("a\n b\t\tc \x1b[1m") == "a b c"
    assert clean(None) == "" and clean_line("") == ""
