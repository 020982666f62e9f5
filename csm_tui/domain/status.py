"""Case status transitions, as DOMAIN.md states them.

- ``new`` never comes back once left;
- a customer reply moves ``pending`` or ``on_hold`` back to ``open``;
- ``solved`` can be reopened;
- ``closed`` takes no more updates (a reply makes a follow-up case).
"""

from __future__ import annotations

from csm_tui.domain.enums import CaseStatus

_S = CaseStatus

ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    _S.NEW: frozenset({_S.OPEN, _S.PENDING, _S.ON_HOLD, _S.SOLVED}),
    _S.OPEN: frozenset({_S.PENDING, _S.ON_HOLD, _S.SOLVED}),
    _S.PENDING: frozenset({_S.OPEN, _S.ON_HOLD, _S.SOLVED}),
    _S.ON_HOLD: frozenset({_S.OPEN, _S.PENDING, _S.SOLVED}),
    _S.SOLVED: frozenset({_S.OPEN, _S.CLOSED}),
    _S.CLOSED: frozenset(),
}


class TransitionError(ValueError):
    """A status change the rules forbid; ``str()`` is a sentence for the agent."""


def check_transition(current: CaseStatus, target: CaseStatus) -> None:
    """Raise :class:`TransitionError`, with a reason, if ``current -> target`` is forbidden."""
    if current == target:
        return
    if target == _S.NEW:
        raise TransitionError("A case cannot go back to new once it has been worked on.")
    if current == _S.CLOSED:
        raise TransitionError(
            "A closed case takes no more updates; a reply creates a follow-up case instead."
        )
    if target not in ALLOWED[current]:
        raise TransitionError(
            f"A {current.label} case cannot move to {target.label} directly; "
            f"allowed: {', '.join(sorted(s.label for s in ALLOWED[current]))}."
        )


def can_transition(current: CaseStatus, target: CaseStatus) -> bool:
    try:
        check_transition(current, target)
    except TransitionError:
        return False
    return True


def status_after_customer_reply(current: CaseStatus) -> CaseStatus:
    """A customer writing again reopens a case that waits on them or on another team."""
    if current in (_S.PENDING, _S.ON_HOLD, _S.SOLVED):
        return _S.OPEN
    return current
