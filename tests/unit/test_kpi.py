"""The SLA panel's service KPIs (``domain.kpi``): exact values on hand-countable cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from csm_tui.domain.kpi import (
    CaseTimes,
    KpiFacts,
    format_minutes,
    format_share,
    kpi_report,
    local_day_starts,
    median,
    percentile,
)

NOW = datetime(2026, 11, 20, 9, 0)


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A time in November 2026 (naive UTC)."""
    return datetime(2026, 11, day, hour, minute)


def test_median_and_nearest_rank_percentile():
    assert median([]) is None
    assert median([3.0]) == 3.0
    assert median([1.0, 5.0, 2.0, 10.0]) == 3.5
    assert percentile([], 0.9) is None
    assert percentile([7.0], 0.9) == 7.0
    # ceil(0.9 * 10) = 9th smallest
    assert percentile([float(v) for v in range(10, 0, -1)], 0.9) == 9.0
    # ceil(0.9 * 11) = 10th smallest
    assert percentile([float(v) for v in range(1, 12)], 0.9) == 10.0
    assert percentile([1.0, 2.0], 0.9) == 2.0


def test_local_days_start_at_local_midnight_across_a_dst_change():
    berlin = ZoneInfo("Europe/Berlin")
    # Summer time began on Sunday 29 March 2026 at 02:00 local.
    starts = local_day_starts(datetime(2026, 3, 30, 10, 0), berlin, days=3)
    assert starts == [
        datetime(2026, 3, 27, 23, 0),  # 28 March, CET (+1)
        datetime(2026, 3, 28, 23, 0),  # 29 March began in CET too
        datetime(2026, 3, 29, 22, 0),  # 30 March, CEST (+2)
    ]
    assert local_day_starts(NOW, UTC, days=2) == [at(19), at(20)]
    # late evening UTC is already tomorrow in Berlin
    assert local_day_starts(datetime(2026, 11, 20, 23, 30), berlin, days=1) == [at(20, 23)]


CASES = [
    # A: today, replied after 30 minutes, still open
    CaseTimes(at(20, 6), first_reply_at=at(20, 6, 30)),
    # B: today, the customer wrote at once; reply after an hour, solved after 90 minutes
    CaseTimes(at(20, 7), first_reply_at=at(20, 8), reply_from=at(20, 7), solved_at=at(20, 8, 30)),
    # C: yesterday, replied after two hours, solved today after 15 hours
    CaseTimes(at(19, 10), first_reply_at=at(19, 12), solved_at=at(20, 1)),
    # D: on the 15th, replied after 10 minutes and solved after two hours
    CaseTimes(at(15, 10), first_reply_at=at(15, 10, 10), solved_at=at(15, 12)),
    # E: from before the window, first replied on the 14th, still open
    CaseTimes(at(1), first_reply_at=at(14)),
    # F: from before the window, never replied, solved on the 16th
    CaseTimes(at(2), solved_at=at(16)),
    # G: created, replied and solved before the window: counts nowhere
    CaseTimes(at(1), first_reply_at=at(1, 1), solved_at=at(2)),
]
ANSWERS = [
    (at(20, 8), 5),
    (at(20, 8, 10), 3),
    (at(18, 12), 4),
    (at(10, 9), 1),
    (at(5), 5),  # before the window
    (at(20, 8, 20), 7),  # not a rating
]
# E and F, and three more open cases not in the window.
OPEN_BEFORE = 5


@pytest.fixture
def report():
    return kpi_report(KpiFacts(CASES, ANSWERS, OPEN_BEFORE), NOW, UTC)


def test_today(report):
    today = report.today
    assert (today.frt_median, today.frt_p90, today.replies) == (45.0, 60.0, 2)
    assert (today.resolution_median, today.solved) == (495.0, 2)  # B 90, C 900
    assert today.resolution_rate == pytest.approx(2 / 3)  # B and C solved; A received, open
    assert (today.csat, today.answers) == (0.5, 2)
    assert today.backlog == 5  # E, A and the three others


def test_last_seven_days(report):
    week = report.week
    # replies: E 13 days, D 10, C 120, A 30, B 60
    assert (week.frt_median, week.frt_p90, week.replies) == (60.0, 13 * 24 * 60.0, 5)
    # solves: D 120, F 14 days, C 900, B 90
    assert (week.resolution_median, week.solved) == (510.0, 4)
    assert week.resolution_rate == pytest.approx(4 / 5)  # A received in the week, open
    assert week.csat == pytest.approx(2 / 3)
    # day-ends 14th..20th: 5, 5 (D in and out), 4 (F solved), 4, 4, 5 (C in), 5 (A, B in; B, C out)
    assert week.backlog == pytest.approx(32 / 7)


def test_one_value_a_day_for_the_trend(report):
    assert report.day_starts == tuple(at(d) for d in range(7, 21))
    assert len(report.days) == 14
    assert report.trend("backlog") == [5.0] * 9 + [4.0, 4.0, 4.0, 5.0, 5.0]
    yesterday = report.days[-2]
    assert (yesterday.frt_median, yesterday.frt_p90) == (120.0, 120.0)
    assert yesterday.resolution_median is None
    assert yesterday.resolution_rate == 0.0  # C came in and was still open at midnight
    assert yesterday.csat is None
    assert report.trend("csat")[-3:] == [1.0, 0.0, 0.5]
    assert report.trend("resolution_median") == [0.0] * 8 + [120.0, 20160.0] + [0.0] * 3 + [495.0]
    assert report.days[3].csat == 0.0  # the 10th: one answer, rated 1


def test_a_quiet_window_has_no_figures_but_a_backlog():
    report = kpi_report(KpiFacts((), (), 7), NOW, UTC)
    today = report.today
    assert today.frt_median is None and today.frt_p90 is None
    assert today.resolution_median is None and today.resolution_rate is None
    assert today.csat is None
    assert today.backlog == 7 and report.week.backlog == 7
    assert report.trend("frt_median") == [0.0] * 14


def test_a_reply_stamped_a_little_after_now_counts_today():
    late = CaseTimes(at(20, 8), first_reply_at=NOW + timedelta(seconds=30))
    report = kpi_report(KpiFacts([late], (), 0), NOW, UTC)
    assert report.today.frt_median == 60.5


def test_the_trend_needs_a_week():
    with pytest.raises(ValueError):
        kpi_report(KpiFacts(), NOW, UTC, days=6)


def test_formats():
    assert format_minutes(None) == "—"
    assert format_minutes(0.4) == "0m"
    assert format_minutes(45) == "45m"
    assert format_minutes(125) == "2h 05m"
    assert format_minutes(1500) == "1d 01h"
    assert format_share(None) == "—"
    assert format_share(2 / 3) == "67%"
