"""Business calendars: weekly opening hours in a time zone, with holidays, for SLA clocks.

A calendar answers two questions about naive UTC datetimes (the project's times): how many
open minutes lie between two instants (:meth:`BusinessCalendar.minutes_between`), and when a
number of open minutes after an instant runs out (:meth:`BusinessCalendar.add`).

Opening hours are local wall-clock hours (``08:00-18:00`` in Europe/Berlin is 07:00-17:00 UTC
in winter and 06:00-16:00 UTC in summer); a day may have several spans (``08:00-12:00`` and
``13:00-17:00``), a span may end at ``24:00``, and holidays are local dates with no hours.
DST follows the zone's rules: a span that contains the spring-forward hour is one hour
shorter that day, one that contains the fall-back hour one hour longer. A wall time that
does not exist (02:30 on the spring-forward day) counts as the instant it would be with the
old offset (03:30 new time); a wall time that happens twice counts as its first occurrence.

Internally the calendar keeps a lazily grown table of its open spans as UTC datetimes with
the open time before each span (timedeltas: exact, no float rounding), so both questions are
a binary search and some arithmetic (no minute-by-minute loops). A calendar open all the
time (the ``24x7`` one) skips the table: its open time is the elapsed time.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from threading import Lock
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

EPOCH = datetime(1970, 1, 1)
_ZERO = timedelta(0)
#: Whole UTC days a table keeps around an instant it looks up.
_MARGIN = timedelta(days=2)
_DAY_MIN = 1440

#: Weekday keys as the TOML file and :func:`format_span` write them; Monday is 0.
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: The name of the calendar that is always open (calendar hours).
CALENDAR_HOURS = "24x7"

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

#: How far add() may search before it gives up (a calendar open only on rare days).
_MAX_SEARCH_DAYS = 366 * 30

Span = tuple[int, int]
"""An opening span of one day in minutes after local midnight: ``(480, 1080)`` is 08:00-18:00."""


def parse_span(text: str, where: str = "") -> Span:
    """``"08:00-12:30"`` as minutes ``(480, 750)``; ``24:00`` is allowed as an end.

    Raises ValueError with one sentence (prefixed by ``where``, for instance "Calendar
    'de-business' on mon") for anything else.
    """
    prefix = f"{where}: " if where else ""
    match = _SPAN.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{prefix}opening hours {text!r} are not written as HH:MM-HH:MM.")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    for hour, minute in ((h1, m1), (h2, m2)):
        if minute > 59 or hour > 24 or (hour == 24 and minute != 0):
            raise ValueError(
                f"{prefix}{hour:02d}:{minute:02d} in {text!r} is no time of day (00:00 to 24:00)."
            )
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == _DAY_MIN:
        raise ValueError(f"{prefix}opening hours {text!r} start at 24:00, the end of the day.")
    if end <= start:
        raise ValueError(f"{prefix}opening hours {text!r} end before they start.")
    return start, end


def format_span(span: Span) -> str:
    """``(480, 750)`` as ``"08:00-12:30"``."""
    start, end = span
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def _span_of(value: object, where: str) -> Span:
    if isinstance(value, str):
        return parse_span(value, where)
    if isinstance(value, Sequence) and len(value) == 2:
        start, end = value
        if isinstance(start, time) and isinstance(end, time):
            s = start.hour * 60 + start.minute
            e = end.hour * 60 + end.minute
            if e == 0:  # an end of 00:00 can only mean midnight at the end of the day
                e = _DAY_MIN
            if e <= s:
                raise ValueError(
                    f"{where}: opening hours {start:%H:%M}-{end:%H:%M} end before they start."
                )
            return s, e
        if isinstance(start, str) and isinstance(end, str):
            return parse_span(f"{start}-{end}", where)
        if type(start) is int and type(end) is int:  # minutes, as ``weekly`` stores them
            if not 0 <= start < end <= _DAY_MIN:
                raise ValueError(f"{where}: opening minutes {start}-{end} are out of order.")
            return start, end
    raise ValueError(f"{where}: opening hours {value!r} are not written as HH:MM-HH:MM.")


def _weekday_of(key: object, calendar: str) -> int:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return key
    if isinstance(key, str) and key.strip().lower()[:3] in WEEKDAYS:
        return WEEKDAYS.index(key.strip().lower()[:3])
    raise ValueError(
        f"Calendar {calendar!r} has hours for {key!r}, which is no weekday "
        f"(use {', '.join(WEEKDAYS)})."
    )


def normalize_week(
    weekly: Mapping[object, Iterable[object]], calendar: str
) -> tuple[tuple[Span, ...], ...]:
    """Weekly hours as seven sorted tuples of spans (Monday first), checked for overlaps."""
    days: list[list[Span]] = [[] for _ in range(7)]
    for key, spans in weekly.items():
        day = _weekday_of(key, calendar)
        where = f"Calendar {calendar!r} on {WEEKDAYS[day]}"
        if isinstance(spans, str):
            spans = [spans]
        days[day].extend(_span_of(span, where) for span in spans)
    week: list[tuple[Span, ...]] = []
    for day, spans in enumerate(days):
        spans.sort()
        for (_, end), (start, _) in pairwise(spans):
            if start < end:
                raise ValueError(
                    f"Calendar {calendar!r} has overlapping opening hours on {WEEKDAYS[day]}: "
                    f"{', '.join(format_span(s) for s in spans)}."
                )
        week.append(tuple(spans))
    if not any(week):
        raise ValueError(f"Calendar {calendar!r} is never open; give it hours on at least one day.")
    return tuple(week)


def zone_of(name: str, calendar: str = "") -> ZoneInfo:
    """The ZoneInfo for ``name``, or a ValueError that says the zone is unknown."""
    try:
        if not isinstance(name, str) or not name.strip():
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if not available_timezones():
            raise ValueError(
                "This system has no time zone database; install the tzdata package."
            ) from None
        who = f"Calendar {calendar!r} names" if calendar else "That is"
        raise ValueError(
            f"{who} an unknown time zone {name!r}; use an IANA name such as Europe/Berlin."
        ) from None


class _Table:
    """Open spans of a range of local days as naive UTC datetimes, with the open time before
    each.

    ``cum[i]`` is the open time between the calendar's anchor and ``starts[i]``; the anchor
    is the first day the calendar ever looked at, so values stay valid when the table grows
    (backwards growth gives negative values). Immutable once built: growth makes a new table.
    """

    __slots__ = (
        "cum",
        "cum_end",
        "day0",
        "days",
        "ends",
        "first_day",
        "hi",
        "last_day",
        "lo",
        "starts",
    )

    def __init__(
        self,
        first_day: int,
        last_day: int,
        lo: datetime,
        hi: datetime,
        starts: list[datetime],
        ends: list[datetime],
        cum: list[timedelta],
    ) -> None:
        self.first_day = first_day  # local date ordinals covered: [first_day, last_day)
        self.last_day = last_day
        self.lo = lo  # UTC instants covered: [lo, hi)
        self.hi = hi
        self.starts = starts
        self.ends = ends
        self.cum = cum
        self.cum_end = [c + (e - s) for c, s, e in zip(cum, starts, ends, strict=True)]
        # For each whole UTC day in range, how many spans start by its midnight: a lookup
        # searches only the spans of its own day.
        self.day0 = lo.toordinal() + 1
        self.days = [
            bisect_right(starts, datetime.fromordinal(day))
            for day in range(self.day0, hi.toordinal() + 1)
        ]


def _cumulate(
    starts: list[datetime], ends: list[datetime], total: timedelta
) -> tuple[list[timedelta], timedelta]:
    cum: list[timedelta] = []
    for a, b in zip(starts, ends, strict=True):
        cum.append(total)
        total += b - a
    return cum, total


@dataclass(frozen=True, eq=True)
class BusinessCalendar:
    """Weekly opening hours (several spans a day allowed) in an IANA time zone, with holidays.

    ``weekly`` maps weekdays (0 = Monday, or ``"mon"``...) to spans, each ``"08:00-12:00"``,
    a pair of :class:`datetime.time` (an end of 00:00 meaning 24:00) or a pair of minutes
    after midnight; it is stored normalized as seven tuples of minute pairs (so a calendar's
    ``weekly`` builds the same calendar again). ``holidays`` are local dates with no hours.
    Equal calendars compare equal; the open-time values of :meth:`open_at` belong to one
    calendar object.
    """

    name: str
    tz: str
    weekly: tuple[tuple[Span, ...], ...]
    holidays: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _always: bool = field(init=False, repr=False, compare=False)
    _table: _Table | None = field(init=False, repr=False, compare=False, default=None)
    # The last open_at() question and answer: a panel tick asks the same ``now`` many times.
    _memo: tuple[datetime | None, timedelta] = field(init=False, repr=False, compare=False)
    _lock: Lock = field(init=False, repr=False, compare=False, default_factory=Lock)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("A calendar needs a name.")
        setattr_ = object.__setattr__
        setattr_(self, "_zone", zone_of(self.tz, self.name))
        weekly = self.weekly
        if isinstance(weekly, Mapping):
            week = normalize_week(weekly, self.name)
        else:
            week = normalize_week(dict(enumerate(weekly)), self.name)
        setattr_(self, "weekly", week)
        holidays = frozenset(self.holidays)
        for day in holidays:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"Calendar {self.name!r} has a holiday {day!r} that is no date.")
        setattr_(self, "holidays", holidays)
        full = ((0, _DAY_MIN),)
        setattr_(self, "_always", not holidays and all(spans == full for spans in week))
        setattr_(self, "_memo", (None, _ZERO))

    def __hash__(self) -> int:
        return hash((self.name, self.tz))

    @property
    def always_open(self) -> bool:
        """Open every minute of every day: open time is elapsed time."""
        return self._always

    # -- the public questions, on naive UTC datetimes ----------------------------------------

    def add(self, start: datetime, minutes: float) -> datetime:
        """The instant ``minutes`` open minutes after ``start`` (naive UTC).

        Time runs only while open: 60 minutes from Friday 17:30 on an 08:00-18:00 calendar is
        Monday 08:30 local. The result may be the end of a span (Friday 18:00 for 30 minutes
        from 17:30), never the next opening. Zero minutes is ``start`` itself.
        """
        if minutes <= 0:
            if minutes == 0:
                return start
            raise ValueError("A calendar adds a positive number of minutes.")
        return self.time_at(self.open_at(start) + timedelta(minutes=minutes))

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Open minutes from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        return (self.open_at(end) - self.open_at(start)).total_seconds() / 60.0

    def is_open(self, moment: datetime) -> bool:
        """Whether the calendar is open at ``moment`` (naive UTC)."""
        if self._always:
            return True
        table = self._covering(moment, moment)
        i = bisect_right(table.starts, moment) - 1
        return i >= 0 and moment < table.ends[i]

    def open_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open spans of one local date as naive UTC datetimes (for display and tests)."""
        return self._day_spans(day.toordinal())

    # -- the open-time axis ------------------------------------------------------------------

    def open_at(self, moment: datetime) -> timedelta:
        """Open time from the calendar's anchor to ``moment`` (naive UTC).

        Only differences of these values mean anything, and only for this calendar object.
        """
        if self._always:
            return moment - EPOCH
        memo = self._memo
        if memo[0] == moment:
            return memo[1]
        value = self._open_at(moment)
        object.__setattr__(self, "_memo", (moment, value))
        return value

    def _open_at(self, moment: datetime) -> timedelta:
        table = self._table
        if table is None:
            table = self._covering(moment, moment)
        days = table.days
        k = moment.toordinal() - table.day0
        if not 0 <= k < len(days) - 1:  # (a negative k would index from the end)
            table = self._covering(moment - _MARGIN, moment + _MARGIN)
            days = table.days
            k = moment.toordinal() - table.day0
        i = bisect_right(table.starts, moment, days[k], days[k + 1]) - 1
        if i < 0:
            return table.cum[0]
        end = table.ends[i]
        return table.cum[i] + ((end if moment > end else moment) - table.starts[i])

    def time_at(self, open_time: timedelta) -> datetime:
        """The earliest instant whose :meth:`open_at` reaches ``open_time``."""
        if self._always:
            return EPOCH + open_time
        table = self._table
        if table is None:
            raise ValueError(
                f"Calendar {self.name!r} has handed out no open times yet; ask open_at() first."
            )
        for _ in range(64):
            cum_end = table.cum_end
            j = bisect_left(cum_end, open_time)
            if j == len(cum_end):
                table = self._covering(table.lo, table.hi)  # one step further ahead
            elif j == 0 and open_time <= table.cum[0]:
                table = self._covering(table.lo - _MARGIN, table.hi - _MARGIN)  # one back
            else:
                return table.starts[j] + (open_time - table.cum[j])
        raise ValueError(f"Calendar {self.name!r} has no open time near that instant.")

    # -- the table ---------------------------------------------------------------------------

    def _day_spans(self, ordinal: int) -> list[tuple[datetime, datetime]]:
        day = date.fromordinal(ordinal)
        if day in self.holidays:
            return []
        spans = self.weekly[day.weekday()]
        if not spans:
            return []
        zone = self._zone
        midnight = datetime(day.year, day.month, day.day)
        out: list[tuple[datetime, datetime]] = []
        for start, end in spans:
            a = _utc(midnight + timedelta(minutes=start), zone)
            b = _utc(midnight + timedelta(minutes=end), zone)
            if out and a < out[-1][1]:  # wall times folded together by a DST change
                a = out[-1][1]
            if b > a:
                out.append((a, b))
        return out

    def _midnight(self, ordinal: int) -> datetime:
        day = date.fromordinal(ordinal)
        return _utc(datetime(day.year, day.month, day.day), self._zone)

    def _spans(self, first: int, last: int) -> tuple[list[datetime], list[datetime]]:
        starts: list[datetime] = []
        ends: list[datetime] = []
        for ordinal in range(first, last):
            for a, b in self._day_spans(ordinal):
                if ends and a < ends[-1]:
                    a = ends[-1]
                if b > a:
                    starts.append(a)
                    ends.append(b)
        return starts, ends

    def _covering(self, lo: datetime, hi: datetime) -> _Table:
        """A table whose range holds ``[lo, hi]``, growing (and storing) it when needed.

        Readers never lock: a table never changes once built, and growth keeps the anchor,
        so a reader holding an older table gets the same values. Growth itself takes a lock,
        so that two threads cannot start two tables with different anchors.
        """
        table = self._table
        if table is not None and table.lo <= lo and hi < table.hi:
            return table
        with self._lock:
            table = self._table
            if table is None:
                table = self._first_table(lo, hi)
            while lo < table.lo:
                table = self._grown_backward(table)
            while hi >= table.hi:
                table = self._grown_forward(table)
            object.__setattr__(self, "_table", table)
            return table

    def _first_table(self, lo: datetime, hi: datetime) -> _Table:
        first = lo.toordinal() - 7
        last = hi.toordinal() + 60
        starts, ends = self._spans(first, last)
        while not starts:  # a long closed stretch (holidays): look further ahead
            last += 60
            if last - first > _MAX_SEARCH_DAYS:
                raise ValueError(f"Calendar {self.name!r} has no open time near that instant.")
            starts, ends = self._spans(first, last)
        cum, _ = _cumulate(starts, ends, _ZERO)
        return _Table(first, last, self._midnight(first), self._midnight(last), starts, ends, cum)

    def _grown_forward(self, table: _Table) -> _Table:
        days = max(60, table.last_day - table.first_day)
        last = table.last_day + days
        if last - table.first_day > _MAX_SEARCH_DAYS * 2:
            raise ValueError(f"Calendar {self.name!r} has no open time near that instant.")
        starts, ends = self._spans(table.last_day, last)
        if starts and starts[0] < table.ends[-1]:
            starts[0] = table.ends[-1]
            if ends[0] <= starts[0]:
                del starts[0], ends[0]
        cum, _ = _cumulate(starts, ends, table.cum_end[-1])
        return _Table(
            table.first_day,
            last,
            table.lo,
            self._midnight(last),
            table.starts + starts,
            table.ends + ends,
            table.cum + cum,
        )

    def _grown_backward(self, table: _Table) -> _Table:
        days = max(60, table.last_day - table.first_day)
        first = table.first_day - days
        if table.last_day - first > _MAX_SEARCH_DAYS * 2:
            raise ValueError(f"Calendar {self.name!r} has no open time near that instant.")
        starts, ends = self._spans(first, table.first_day)
        if starts and ends[-1] > table.starts[0]:
            ends[-1] = table.starts[0]
            if ends[-1] <= starts[-1]:
                starts.pop()
                ends.pop()
        # Open time before the anchor is negative, so values already handed out stay valid.
        before = sum((b - a for a, b in zip(starts, ends, strict=True)), _ZERO)
        cum, _ = _cumulate(starts, ends, table.cum[0] - before)
        return _Table(
            first,
            table.last_day,
            self._midnight(first),
            table.hi,
            starts + table.starts,
            ends + table.ends,
            cum + table.cum,
        )


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A local wall time in ``zone`` as a naive UTC datetime (gaps shift forward, folds
    take their first occurrence)."""
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def always_open(name: str = CALENDAR_HOURS) -> BusinessCalendar:
    """A calendar open every minute (calendar hours)."""
    return BusinessCalendar(name, "UTC", {d: ["00:00-24:00"] for d in range(7)})


#: The calendar of calendar-hour targets.
ALWAYS = always_open()


# -- holidays for the default calendars -------------------------------------------------------


def easter_sunday(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def german_holidays(year: int) -> set[date]:
    """The nine national public holidays of Germany (the states add their own)."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1),  # Neujahr
        easter - timedelta(days=2),  # Karfreitag
        easter + timedelta(days=1),  # Ostermontag
        date(year, 5, 1),  # Tag der Arbeit
        easter + timedelta(days=39),  # Christi Himmelfahrt
        easter + timedelta(days=50),  # Pfingstmontag
        date(year, 10, 3),  # Tag der Deutschen Einheit
        date(year, 12, 25),  # 1. Weihnachtstag
        date(year, 12, 26),  # 2. Weihnachtstag
    }


def _weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _substitute(day: date, taken: set[date]) -> date:
    while day.weekday() >= 5 or day in taken:
        day += timedelta(days=1)
    return day


def england_bank_holidays(year: int) -> set[date]:
    """The bank holidays of England and Wales by the usual rules (with weekend substitutes).

    One-off holidays (jubilees, coronations, state funerals) are not rules; add them by hand.
    """
    easter = easter_sunday(year)
    days: set[date] = {
        _substitute(date(year, 1, 1), set()),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _weekday_on_or_after(date(year, 5, 1), 0),  # early May
        _weekday_on_or_after(date(year, 5, 25), 0),  # spring: last Monday of May
        _weekday_on_or_after(date(year, 8, 25), 0),  # summer: last Monday of August
    }
    christmas = _substitute(date(year, 12, 25), set())
    days.add(christmas)
    days.add(_substitute(date(year, 12, 26), {christmas}))
    return days


def default_calendars() -> dict[str, BusinessCalendar]:
    """The calendars the seed and a fresh server start with, by name."""
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    de_holidays = german_holidays(2026) | german_holidays(2027)
    uk_holidays = england_bank_holidays(2026) | england_bank_holidays(2027)
    calendars = [
        always_open(),
        BusinessCalendar(
            "de-business", "Europe/Berlin", {d: ["08:00-18:00"] for d in weekdays}, de_holidays
        ),
        BusinessCalendar(
            # Field service: a lunch break, and Saturday mornings.
            "de-field-service",
            "Europe/Berlin",
            {**{d: ["07:30-12:00", "12:45-16:30"] for d in weekdays}, "sat": ["09:00-13:00"]},
            de_holidays,
        ),
        BusinessCalendar(
            "uk-business", "Europe/London", {d: ["09:00-17:30"] for d in weekdays}, uk_holidays
        ),
    ]
    return {c.name: c for c in calendars}
