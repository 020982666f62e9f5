"""Service KPIs for the lead's SLA panel (issue #8): first reply time, resolution time,
resolution rate, CSAT and backlog, per day for a trend and over today and the last 7 days.

Pure: no I/O. The store (``csm_tui.store.kpi``) reads the times of the cases of the window
with SQL aggregates and hands them over as :class:`KpiFacts`; :func:`kpi_report` does the
rest. Times are naive UTC like everywhere in the project; days are the desk's local days
(midnight to midnight in ``tz``, the local zone by default, with its DST changes).

The definitions (DOMAIN.md, "Measuring service"):

- First reply time: from the first customer message to the first public reply (from the
  creation when no customer message came before that reply, as the SLA engine's
  ``first_reply`` counts it), in calendar minutes; a case counts on the day its first reply
  falls on. Median and 90th percentile (nearest rank: the smallest value that at least 90 %
  of the values are at or below).
- Resolution time: from the creation to the solve, in calendar minutes, for cases that are
  solved or closed now; the solve is the last time the case went from a not-done status to
  solved or closed (a closed case's solve is when it was solved, not when it closed). A case
  counts on the day it was solved. Median.
- Resolution rate: solved / (solved + received and still unsolved): the cases solved in the
  period over those plus the cases created in the period and not solved by its end. DOMAIN's
  plain "solved / received" passes 100 % whenever a team works off its backlog; this form
  stays between 0 and 100 % and reads the same way on a steady day.
- CSAT: the share of survey answers rated 4 or 5 ("satisfied" or "very satisfied", of 1 to
  5) among the answers given in the period.
- Backlog: the cases not solved or closed at the end of a day (today: now). Over the last
  7 days, the mean of its seven day-ends.

"Today" runs from local midnight to ``now``; "last 7 days" from the midnight six days ago to
``now`` (today and the six days before). The trend has one value per day for the last
:data:`TREND_DAYS` days, oldest first, today last.

The store knows only each case's current status and its last solve, so a case solved and
reopened since counts as open from its creation on (its old solve is not in the trend): a
small undercount of past solves that the panel accepts rather than replaying every history.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

#: Days of the trend (sparklines), today included.
TREND_DAYS = 14
#: Days of the "last 7 days" column, today included.
WEEK_DAYS = 7
#: Survey ratings run from 1 to 5; this and above are "satisfied".
SATISFIED = 4
RATINGS = range(1, 6)
#: The KPIs of a :class:`KpiValues`, in the order the panel shows them.
KPI_NAMES = (
    "frt_median",
    "frt_p90",
    "resolution_median",
    "resolution_rate",
    "csat",
    "backlog",
)


@dataclass(frozen=True, slots=True)
class CaseTimes:
    """What the KPIs need of one case. ``reply_from`` is when its first-reply clock started
    (its first customer message before the first reply), None for its creation;
    ``solved_at`` is its last solve, None while it is not solved or closed."""

    created_at: datetime
    first_reply_at: datetime | None = None
    reply_from: datetime | None = None
    solved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class KpiFacts:
    """The input of :func:`kpi_report`.

    ``cases`` must hold every case created, first replied to or solved in the window (more
    do no harm: one created, replied and solved before it counts nowhere); ``open_before``
    is how many cases were open when the window started (created before it and not solved
    before it); ``answers`` are survey answers as (answered at, rating 1-5)."""

    cases: Sequence[CaseTimes] = ()
    answers: Sequence[tuple[datetime, int]] = ()
    open_before: int = 0


@dataclass(frozen=True, slots=True)
class KpiValues:
    """The KPIs of one period. Times are minutes, rates 0..1; None where nothing happened
    to measure (no first reply, no solve, no answer). The counts say how many values stand
    behind each figure."""

    frt_median: float | None = None
    frt_p90: float | None = None
    resolution_median: float | None = None
    resolution_rate: float | None = None
    csat: float | None = None
    backlog: float | None = None
    replies: int = 0
    solved: int = 0
    answers: int = 0

    def value(self, name: str) -> float | None:
        return getattr(self, name)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class KpiReport:
    """Today, the last 7 days, and one :class:`KpiValues` per day (oldest first)."""

    today: KpiValues
    week: KpiValues
    days: tuple[KpiValues, ...]
    day_starts: tuple[datetime, ...]  # naive UTC instant of each day's local midnight

    def trend(self, name: str) -> list[float]:
        """The daily values of one KPI for a sparkline; days without a value are 0."""
        return [float(v) if (v := day.value(name)) is not None else 0.0 for day in self.days]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` (0..1) of the
    values at or below it; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def local_day_starts(
    now: datetime, tz: tzinfo | None = None, days: int = TREND_DAYS
) -> list[datetime]:
    """The naive UTC instants of the local midnights starting the last ``days`` days (today
    last). ``tz`` None is the machine's local zone (as the queue's ``updated:today``)."""
    aware_now = now.replace(tzinfo=UTC)
    today = (aware_now.astimezone(tz) if tz is not None else aware_now.astimezone()).date()
    starts: list[datetime] = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        # A naive datetime's astimezone() reads it as local time, DST included.
        midnight = (
            datetime.combine(day, time(), tzinfo=tz)
            if tz is not None
            else datetime.combine(day, time())
        )
        starts.append(midnight.astimezone(UTC).replace(tzinfo=None))
    return starts


def kpi_report(
    facts: KpiFacts, now: datetime, tz: tzinfo | None = None, days: int = TREND_DAYS
) -> KpiReport:
    """Every KPI per local day of the last ``days`` days, for today and for the last
    :data:`WEEK_DAYS` days (see the module's definitions)."""
    if days < WEEK_DAYS:
        raise ValueError(f"The trend needs at least {WEEK_DAYS} days.")
    starts = local_day_starts(now, tz, days)
    last = days - 1

    def day_of(moment: datetime | None) -> int | None:
        """The day index of ``moment``; None before the window. A moment after ``now`` (a
        server clock a little ahead) counts today."""
        if moment is None:
            return None
        index = bisect_right(starts, moment) - 1
        return None if index < 0 else min(index, last)

    replies: list[list[float]] = [[] for _ in range(days)]
    resolutions: list[list[float]] = [[] for _ in range(days)]
    created = [0] * days
    # Created on day d and not solved by the end of day d / by now.
    unsolved_by_day_end = [0] * days
    unsolved_now = [0] * days
    for case in facts.cases:
        reply_day = day_of(case.first_reply_at)
        if reply_day is not None and case.first_reply_at is not None:
            start = case.reply_from or case.created_at
            replies[reply_day].append(_minutes(case.first_reply_at - start))
        solved_day = day_of(case.solved_at)
        if solved_day is not None and case.solved_at is not None:
            resolutions[solved_day].append(_minutes(case.solved_at - case.created_at))
        created_day = day_of(case.created_at)
        if created_day is not None:
            created[created_day] += 1
            if case.solved_at is None:
                unsolved_now[created_day] += 1
                unsolved_by_day_end[created_day] += 1
            elif solved_day is not None and solved_day > created_day:
                unsolved_by_day_end[created_day] += 1
    answered: list[list[int]] = [[] for _ in range(days)]
    for at, rating in facts.answers:
        answer_day = day_of(at)
        if answer_day is not None and rating in RATINGS:
            answered[answer_day].append(rating)

    backlog: list[int] = []
    open_now = facts.open_before
    for d in range(days):
        open_now += created[d] - len(resolutions[d])
        backlog.append(open_now)

    day_values = tuple(
        _values(replies[d], resolutions[d], unsolved_by_day_end[d], answered[d], backlog[d])
        for d in range(days)
    )
    week = range(days - WEEK_DAYS, days)
    week_backlog = statistics.fmean(backlog[d] for d in week)
    week_values = _values(
        [m for d in week for m in replies[d]],
        [m for d in week for m in resolutions[d]],
        sum(unsolved_now[d] for d in week),
        [r for d in week for r in answered[d]],
        week_backlog,
    )
    return KpiReport(
        today=day_values[last], week=week_values, days=day_values, day_starts=tuple(starts)
    )


def _values(
    replies: list[float],
    resolutions: list[float],
    still_unsolved: int,
    ratings: Iterable[int],
    backlog: float,
) -> KpiValues:
    ratings = list(ratings)
    solved = len(resolutions)
    received_open = solved + still_unsolved
    return KpiValues(
        frt_median=median(replies),
        frt_p90=percentile(replies, 0.9),
        resolution_median=median(resolutions),
        resolution_rate=solved / received_open if received_open else None,
        csat=sum(1 for r in ratings if r >= SATISFIED) / len(ratings) if ratings else None,
        backlog=backlog,
        replies=len(replies),
        solved=solved,
        answers=len(ratings),
    )


def _minutes(span: timedelta) -> float:
    return max(0.0, span.total_seconds() / 60.0)


def format_minutes(minutes: float | None) -> str:
    """A duration the short way: ``45m``, ``3h 05m``, ``2d 04h``; ``—`` for none."""
    if minutes is None:
        return "—"
    whole = round(minutes)
    if whole < 60:
        return f"{whole}m"
    hours, mins = divmod(whole, 60)
    if hours < 24:
        return f"{hours}h {mins:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def format_share(share: float | None) -> str:
    """``87%``; ``—`` for none."""
    return "—" if share is None else f"{share * 100:.0f}%"


__all__ = [
    "KPI_NAMES",
    "SATISFIED",
    "TREND_DAYS",
    "WEEK_DAYS",
    "CaseTimes",
    "KpiFacts",
    "KpiReport",
    "KpiValues",
    "format_minutes",
    "format_share",
    "kpi_report",
    "local_day_starts",
    "median",
    "percentile",
]
