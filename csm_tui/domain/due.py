"""Due times of tasks: what an agent types, how it is shown, and when a task is overdue.

An agent types a due time the short way: a date (``2026-12-01``), a date and time
(``2026-12-01 14:30``), a span from now (``+2d``, ``+4h``, ``+1w``) or nothing at all.
Times are naive UTC like every time of the domain. A due time at midnight exactly is a due
*date* without a time of day: the task is due by the end of that day, so it becomes overdue
only when that day is over.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

#: The one sentence for input that is no due time at all.
DUE_FORMAT_HINT = "Write the due date as 2026-12-01, +2d or +4h, or leave it empty."
PAST_DUE = "That due date is already past; pick today or a later day."
TOO_FAR = "A due date more than ten years ahead is surely a typo; pick an earlier one."
ZERO_SPAN = "A due time from now needs a span of at least one hour, such as +1h or +2d."

_SPAN = re.compile(r"^\+\s*(\d{1,6})\s*([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_MAX_AHEAD = timedelta(days=3653)


class DueError(ValueError):
    """What the agent typed is no usable due time; ``str()`` is one sentence saying why."""


def is_date_only(due: datetime) -> bool:
    """A due time at midnight exactly stands for a whole day."""
    return due.time() == time(0, 0)


def parse_due(text: str, now: datetime) -> datetime | None:
    """The due time ``text`` means at ``now`` (naive UTC), or None for an empty text.

    Raises :class:`DueError` with one sentence for anything else, for a day already over and
    for a time more than ten years ahead.
    """
    value = " ".join(text.split()).lower()
    if not value:
        return None
    span = _SPAN.match(value)
    if span is not None:
        amount, unit = int(span.group(1)), span.group(2)
        if amount == 0:
            raise DueError(ZERO_SPAN)
        delta = amount * _UNITS[unit]
        if delta > _MAX_AHEAD:
            raise DueError(TOO_FAR)
        return (now + delta).replace(second=0, microsecond=0)
    due = _absolute(value)
    if due is None:
        raise DueError(DUE_FORMAT_HINT)
    if due.tzinfo is not None:
        raise DueError(DUE_FORMAT_HINT)
    if is_overdue(due, now):
        raise DueError(PAST_DUE)
    if due - now > _MAX_AHEAD:
        raise DueError(TOO_FAR)
    return due


def _absolute(value: str) -> datetime | None:
    # Only the two shapes we announce: 2026-12-01 and 2026-12-01 14:30 (or with a T).
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}([ t]\d{1,2}:\d{2})?", value):
        return None
    try:
        return datetime.fromisoformat(value.replace("t", " "))
    except ValueError:
        return None


def format_due(due: datetime) -> str:
    """``2026-12-01`` for a due date, ``2026-12-01 14:30`` for a due time."""
    if is_date_only(due):
        return f"{due:%Y-%m-%d}"
    return f"{due:%Y-%m-%d %H:%M}"


def is_overdue(due: datetime | None, now: datetime) -> bool:
    """Whether a task due at ``due`` is late at ``now``: a due date once its day is over,
    a due time once it has passed. No due time is never late."""
    if due is None:
        return False
    if is_date_only(due):
        return now.date() > due.date()
    return now > due
