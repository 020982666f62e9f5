"""Demo survey answers (CSAT) for the seeded cases: a share of the solved and closed cases
got the survey sent on solve answered, a little after the solve.

Own generator, so that adding answers leaves the rest of a seed's data as it was. The solve
is the case's ``open → solved`` audit line on its timeline (the seed writes the server's
lines); a case closed without one is left without an answer. Ratings lean satisfied, as in
the field: about four answers in five are 4 or 5.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from csm_tui.domain.enums import CaseStatus, MessageKind
from csm_tui.domain.sla import status_line

#: Share of solved or closed cases whose customer answered the survey.
RESPONSE_SHARE = 0.32
#: Rating (1 very dissatisfied .. 5 very satisfied) -> weight.
RATING_WEIGHTS = {5: 52, 4: 28, 3: 8, 2: 5, 1: 7}
#: An answer comes this long after the solve at most (and never after ``now``).
LATEST_ANSWER = timedelta(days=3)

_SOLVED_LINE = status_line(CaseStatus.OPEN, CaseStatus.SOLVED)
_DONE = frozenset({CaseStatus.SOLVED, CaseStatus.CLOSED})


def survey_answers(
    rng: random.Random,
    cases: Iterable[Mapping[str, Any]],
    messages: Iterable[Mapping[str, Any]],
    now: datetime,
) -> list[dict[str, Any]]:
    """Answer rows (column dicts) for a share of the solved and closed ``cases``, each
    answered between a few minutes and :data:`LATEST_ANSWER` after its solve."""
    solved_at: dict[str, datetime] = {}
    event = MessageKind.EVENT
    for message in messages:
        if message["kind"] == event and message["body"] == _SOLVED_LINE:
            solved_at[message["case_id"]] = message["created_at"]
    ratings = list(RATING_WEIGHTS)
    weights = list(RATING_WEIGHTS.values())
    answers: list[dict[str, Any]] = []
    for case in cases:
        solved = solved_at.get(case["id"])
        if case["status"] not in _DONE or solved is None or rng.random() >= RESPONSE_SHARE:
            continue
        latest = min(solved + LATEST_ANSWER, now - timedelta(minutes=1))
        if latest <= solved:
            continue  # solved a moment ago: no answer yet
        span = int((latest - solved).total_seconds())
        answered = solved + timedelta(seconds=rng.randint(min(300, span), span))
        answers.append(
            dict(
                id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                case_id=case["id"],
                rating=rng.choices(ratings, weights)[0],
                answered_at=answered.replace(microsecond=0),
                version=1,
            )
        )
    return answers


__all__ = ["LATEST_ANSWER", "RATING_WEIGHTS", "RESPONSE_SHARE", "survey_answers"]
