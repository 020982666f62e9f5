"""Business calendars: open minutes across weekends, holidays and the DST changes.

Times are naive UTC like everywhere in the project; the comments give the local wall time.
Europe/Berlin is UTC+1 (CET) in winter and UTC+2 (CEST) in summer; in 2026 summer time
starts on Sunday 29 March (02:00 -> 03:00) and ends on Sunday 25 October (03:00 -> 02:00).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from csm_tui.domain.sla_calendar import (
    ALWAYS,
    BusinessCalendar,
    default_calendars,
    easter_sunday,
    england_bank_holidays,
    german_holidays,
    parse_span,
)

D = datetime


@pytest.fixture(scope="module")
def de() -> BusinessCalendar:
    """Mon-Fri 08:00-18:00 Europe/Berlin with the German national holidays."""
    return default_calendars()["de-business"]


def test_weekend_is_closed(de: BusinessCalendar) -> None:
    # Friday 9 January 2026, 17:30 CET = 16:30 UTC. 60 open minutes: 30 on Friday (until
    # 18:00 CET = 17:00 UTC), then Monday 12 January 08:00-08:30 CET = 07:00-07:30 UTC.
    assert de.add(D(2026, 1, 9, 16, 30), 60) == D(2026, 1, 12, 7, 30)
    assert de.minutes_between(D(2026, 1, 9, 16, 30), D(2026, 1, 12, 7, 30)) == 60
    # 30 minutes end on Friday 18:00 CET exactly: the end of the span, not Monday 08:00.
    assert de.add(D(2026, 1, 9, 16, 30), 30) == D(2026, 1, 9, 17, 0)
    # Saturday noon + 1 minute: Monday 08:01 CET.
    assert de.add(D(2026, 1, 10, 11, 0), 1) == D(2026, 1, 12, 7, 1)
    assert de.minutes_between(D(2026, 1, 10, 0, 0), D(2026, 1, 11, 23, 59)) == 0
    assert not de.is_open(D(2026, 1, 10, 11, 0))
    assert de.is_open(D(2026, 1, 12, 7, 0))
    assert not de.is_open(D(2026, 1, 12, 17, 0))  # 18:00 CET: closed


def test_holidays_are_closed(de: BusinessCalendar) -> None:
    # Thursday 2 April 2026, 17:00 CEST = 15:00 UTC. Good Friday (3 April) and Easter Monday
    # (6 April) are holidays: 60 minutes on Thursday, then Tuesday 7 April 08:00-09:00 CEST
    # = 06:00-07:00 UTC.
    assert de.add(D(2026, 4, 2, 15, 0), 120) == D(2026, 4, 7, 7, 0)
    assert de.minutes_between(D(2026, 4, 2, 15, 0), D(2026, 4, 7, 7, 0)) == 120
    assert de.open_spans(date(2026, 4, 3)) == []
    assert de.open_spans(date(2026, 4, 7)) == [(D(2026, 4, 7, 6, 0), D(2026, 4, 7, 16, 0))]


def test_march_dst_change_moves_the_utc_hours(de: BusinessCalendar) -> None:
    # Friday 27 March 2026, 16:00 CET = 15:00 UTC, + 180 minutes: 120 on Friday (until 18:00
    # CET = 17:00 UTC), 60 on Monday 30 March 08:00-09:00 CEST = 06:00-07:00 UTC.
    assert de.add(D(2026, 3, 27, 15, 0), 180) == D(2026, 3, 30, 7, 0)
    assert de.open_spans(date(2026, 3, 27)) == [(D(2026, 3, 27, 7, 0), D(2026, 3, 27, 17, 0))]
    assert de.open_spans(date(2026, 3, 30)) == [(D(2026, 3, 30, 6, 0), D(2026, 3, 30, 16, 0))]
    # Calendar hours count elapsed time: 180 minutes are 180 minutes.
    assert ALWAYS.add(D(2026, 3, 27, 15, 0), 180) == D(2026, 3, 27, 18, 0)


def test_october_dst_change_moves_the_utc_hours(de: BusinessCalendar) -> None:
    # Friday 23 October 2026, 17:00 CEST = 15:00 UTC, + 120 minutes: 60 on Friday, then
    # Monday 26 October 08:00-09:00 CET = 07:00-08:00 UTC.
    assert de.add(D(2026, 10, 23, 15, 0), 120) == D(2026, 10, 26, 8, 0)
    assert de.minutes_between(D(2026, 10, 23, 15, 0), D(2026, 10, 26, 8, 0)) == 120


def test_a_night_span_is_shorter_in_march_and_longer_in_october() -> None:
    night = BusinessCalendar("night", "Europe/Berlin", {"sun": ["00:00-06:00"]})
    # 29 March 2026: 00:00 CET = Sat 23:00 UTC, 06:00 CEST = 04:00 UTC: five real hours.
    assert night.open_spans(date(2026, 3, 29)) == [(D(2026, 3, 28, 23, 0), D(2026, 3, 29, 4, 0))]
    assert night.minutes_between(D(2026, 3, 28, 12, 0), D(2026, 3, 29, 12, 0)) == 300
    assert night.add(D(2026, 3, 28, 23, 0), 300) == D(2026, 3, 29, 4, 0)
    # One minute more runs into the next Sunday: 5 April 00:00 CEST = 4 April 22:00 UTC.
    assert night.add(D(2026, 3, 28, 23, 0), 301) == D(2026, 4, 4, 22, 1)
    # 25 October 2026: 00:00 CEST = Sat 22:00 UTC, 06:00 CET = 05:00 UTC: seven real hours.
    assert night.open_spans(date(2026, 10, 25)) == [(D(2026, 10, 24, 22, 0), D(2026, 10, 25, 5, 0))]
    assert night.minutes_between(D(2026, 10, 24, 12, 0), D(2026, 10, 25, 12, 0)) == 420


def test_split_days_skip_the_break() -> None:
    split = BusinessCalendar(
        "split", "Europe/Berlin", {d: ["08:00-12:00", "13:00-17:00"] for d in range(5)}
    )
    # Monday 12 January 2026, 11:30 CET = 10:30 UTC, + 60: 30 before lunch, 30 after it
    # (13:00-13:30 CET = 12:00-12:30 UTC).
    assert split.add(D(2026, 1, 12, 10, 30), 60) == D(2026, 1, 12, 12, 30)
    assert split.minutes_between(D(2026, 1, 12, 0, 0), D(2026, 1, 13, 0, 0)) == 480


def test_time_objects_and_a_midnight_end() -> None:
    cal = BusinessCalendar("t", "UTC", {0: [(time(22, 0), time(0, 0))]})
    assert cal.weekly[0] == ((1320, 1440),)
    # Monday 12 January 2026 22:00-24:00 UTC.
    assert cal.add(D(2026, 1, 12, 21, 0), 120) == D(2026, 1, 13, 0, 0)


def test_far_past_and_future_grow_the_table(de: BusinessCalendar) -> None:
    # A fresh calendar looks at 2026 first, then much earlier and later years.
    cal = BusinessCalendar("fresh", "Europe/Berlin", {d: ["08:00-18:00"] for d in range(5)})
    assert cal.add(D(2026, 1, 9, 16, 30), 60) == D(2026, 1, 12, 7, 30)
    # Friday 10 January 2020 17:30 CET -> Monday 13 January 08:30 CET.
    assert cal.add(D(2020, 1, 10, 16, 30), 60) == D(2020, 1, 13, 7, 30)
    # Friday 12 January 2035 17:30 CET -> Monday 15 January 08:30 CET.
    assert cal.add(D(2035, 1, 12, 16, 30), 60) == D(2035, 1, 15, 7, 30)
    # A stretch across years still counts every open minute: 2020-01-13 to 2020-01-20 is one
    # week of five days of 600 minutes.
    assert cal.minutes_between(D(2020, 1, 13, 0, 0), D(2020, 1, 20, 0, 0)) == 3000
    # A long addition: 10 weeks of 3000 minutes from Monday 08:00 CET ends on the Friday
    # 18:00 CET nine weeks and four days later.
    assert cal.add(D(2026, 1, 12, 7, 0), 30000) == D(2026, 3, 20, 17, 0)


def test_zero_and_negative_minutes(de: BusinessCalendar) -> None:
    assert de.add(D(2026, 1, 10, 11, 0), 0) == D(2026, 1, 10, 11, 0)
    with pytest.raises(ValueError):
        de.add(D(2026, 1, 10, 11, 0), -5)
    assert de.minutes_between(D(2026, 1, 12, 8, 0), D(2026, 1, 12, 7, 0)) == -60


def test_always_open_is_plain_time() -> None:
    assert ALWAYS.always_open
    assert ALWAYS.add(D(2026, 1, 10, 11, 0), 90) == D(2026, 1, 10, 12, 30)
    assert ALWAYS.minutes_between(D(2026, 1, 10, 11, 0), D(2026, 1, 11, 11, 0)) == 1440


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25:00-26:00", "no time of day"),
        ("08:00-07:00", "end before they start"),
        ("08:00-08:00", "end before they start"),
        ("08:60-09:00", "no time of day"),
        ("24:00-24:00", "start at 24:00"),
        ("8-12", "HH:MM-HH:MM"),
    ],
)
def test_bad_spans_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_span(text)


def test_bad_calendars_say_why() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        BusinessCalendar("x", "Mars/Olympus", {"mon": ["08:00-18:00"]})
    with pytest.raises(ValueError, match="overlapping"):
        BusinessCalendar("x", "UTC", {"mon": ["08:00-12:00", "11:00-13:00"]})
    with pytest.raises(ValueError, match="never open"):
        BusinessCalendar("x", "UTC", {})
    with pytest.raises(ValueError, match="no weekday"):
        BusinessCalendar("x", "UTC", {"funday": ["08:00-12:00"]})


def test_holiday_rules() -> None:
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert easter_sunday(2027) == date(2027, 3, 28)
    assert sorted(german_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 10, 3),
        date(2026, 12, 25),
        date(2026, 12, 26),
    ]
    # Boxing Day 2026 is a Saturday: Monday 28 December instead. 2027: Christmas Day and
    # Boxing Day fall on the weekend, so Monday 27 and Tuesday 28 December.
    assert date(2026, 12, 28) in england_bank_holidays(2026)
    assert {date(2027, 12, 27), date(2027, 12, 28)} <= england_bank_holidays(2027)
    assert date(2026, 8, 31) in england_bank_holidays(2026)  # summer: last Monday of August


def test_uk_calendar_keeps_london_time() -> None:
    uk = default_calendars()["uk-business"]
    # Monday 30 March 2026 (BST, UTC+1): 09:00-17:30 local = 08:00-16:30 UTC.
    assert uk.open_spans(date(2026, 3, 30)) == [(D(2026, 3, 30, 8, 0), D(2026, 3, 30, 16, 30))]
    # Friday 27 March (GMT): 17:00 local = 17:00 UTC + 60 -> 30 on Friday, then Monday
    # 09:00-09:30 BST = 08:00-08:30 UTC.
    assert uk.add(D(2026, 3, 27, 17, 0), 60) == D(2026, 3, 30, 8, 30)


def test_open_at_and_time_at_agree(de: BusinessCalendar) -> None:
    start = D(2026, 1, 12, 7, 0)
    for minutes in (1, 59, 600, 601, 6000):
        due = de.time_at(de.open_at(start) + timedelta(minutes=minutes))
        assert de.minutes_between(start, due) == minutes


def test_lookups_on_the_partial_days_at_the_table_edges() -> None:
    # Regression: the table covers whole local days; an instant on the first or last UTC
    # day of that range must not be looked up in the wrong day (a negative index).
    cal = BusinessCalendar("edges", "Europe/Berlin", {d: ["00:00-24:00"] for d in range(6)})
    cal.open_at(D(2026, 1, 14, 12, 0))  # the table starts 7 local days earlier
    table = cal._table
    assert table is not None
    # Its range: Wednesday 7 January 00:00 CET to Sunday 15 March 00:00 CET.
    assert (table.lo, table.hi) == (D(2026, 1, 6, 23, 0), D(2026, 3, 14, 23, 0))
    lo, hi, hour = table.lo, table.hi, timedelta(hours=1)
    # Tuesday 21:00 CET to Wednesday 00:30 CET: all open (Monday-Saturday around the clock).
    assert cal.minutes_between(lo - 3 * hour, lo + hour / 2) == 210
    # Saturday 22:30-23:30 CET is open; Sunday is not.
    assert cal.minutes_between(hi - 1.5 * hour, hi - hour / 2) == 60
    assert cal.minutes_between(hi - hour, hi + hour) == 60


def test_time_at_needs_open_times_from_the_same_calendar() -> None:
    cal = BusinessCalendar("new", "Europe/Berlin", {"mon": ["08:00-18:00"]})
    with pytest.raises(ValueError, match="open_at"):
        cal.time_at(timedelta(hours=1))
