"""The store's SLA index (store/sla_index.py): each case's next breach, kept current by
triggers and ``Desk.refresh_sla``, read by the queue's SLA column and its sort.

On the hand-countable store of tests/triage_support.py (NOW 2026-11-20 09:00 UTC), with the
default policies: c1 urgent open, first reply due 11-15 10:00 (calendar hours); c2 high new,
11-18 13:00 (business hours); c6 urgent on hold, 11-19 10:00; c3 pending, resolution due
11-24 09:00; c4 solved and c5 closed have nothing to breach.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from csm_tui.desk import CaseQuery, Desk
from csm_tui.domain.sla_calendar import default_calendars
from csm_tui.domain.sla_policy import default_policies, policies_to_toml
from csm_tui.store import sla_index
from tests.triage_support import NOW, build, clock


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return build(tmp_path / "store.sqlite3")


@pytest.fixture
def desk(store: Path) -> Iterator[Desk]:
    desk = Desk(store, clock=clock)
    yield desk
    desk.close()


def sla_order(desk: Desk, search: str = "") -> list[str]:
    return [r.id for r in desk.case_window(0, 100, CaseQuery(sort="sla", search=search))]


def due(desk: Desk) -> dict[str, datetime | None]:
    return {r.id: r.sla_due for r in desk.case_window(0, 100, CaseQuery(sort="sla"))}


def dirty(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT case_id FROM case_sla_dirty")}


def test_every_case_is_computed_once_and_sorted_by_its_next_breach(desk: Desk, store: Path) -> None:
    # a store opened by this version marks every case; the first SLA read computes them
    assert dirty(store) == {f"c{i}" for i in range(1, 7)}
    assert sla_order(desk) == ["c1", "c2", "c6", "c3", "c4", "c5"]
    assert dirty(store) == set()
    assert due(desk) == {
        "c1": datetime(2026, 11, 15, 10, 0),
        "c2": datetime(2026, 11, 18, 13, 0),
        "c6": datetime(2026, 11, 19, 10, 0),
        "c3": datetime(2026, 11, 24, 9, 0),
        "c4": sla_index.NEVER,
        "c5": sla_index.NEVER,
    }
    assert desk.refresh_sla() == 0  # nothing marked: nothing computed


def test_the_index_agrees_with_the_engine(desk: Desk) -> None:
    desk.refresh_sla()
    watches = desk.sla_watch([f"c{i}" for i in range(1, 7)])
    for row in desk.case_window(0, 100, CaseQuery(sort="sla")):
        w = watches[row.id]
        assert row.sla_due == (sla_index.NEVER if w is None else w.due_at), row.id
        assert row.sla_risk == (None if w is None else w.at_risk_at), row.id


def test_a_reply_moves_the_case_and_only_it_is_computed_again(desk: Desk, store: Path) -> None:
    desk.refresh_sla()
    # c2's first reply fulfils its only running clock until the customer writes again:
    # resolution (business hours) now leads
    desk.reply("c2", "public", "We have unblocked your card.")
    assert dirty(store) == {"c2"}
    assert desk.refresh_sla() == 1
    after = due(desk)
    assert after["c2"] != datetime(2026, 11, 18, 13, 0)
    assert sla_order(desk)[0] == "c1"


def test_solving_a_case_takes_it_off_the_clock(desk: Desk) -> None:
    desk.refresh_sla()
    desk.set_status(["c1"], "solved")
    # the sort itself computes what changed since (offline: no sync ran)
    assert sla_order(desk)[-3:] == ["c1", "c4", "c5"]
    assert due(desk)["c1"] == sla_index.NEVER


def test_new_policies_mark_every_case(desk: Desk, store: Path) -> None:
    desk.refresh_sla()
    calendars, policies = default_calendars(), default_policies()
    text = policies_to_toml(calendars, policies)
    with sqlite3.connect(store) as conn:
        conn.execute(
            "INSERT INTO sla_config (id, name, toml, version, updated_at) "
            "VALUES ('sla', 'sla', ?, 1, ?)",
            (text, NOW.isoformat(sep=" ")),
        )
    assert dirty(store) == {f"c{i}" for i in range(1, 7)}


def test_the_sort_pages_without_overlap_and_filters_apply(desk: Desk) -> None:
    whole = sla_order(desk)
    paged = [
        r.id for off in range(0, 6, 2) for r in desk.case_window(off, 2, CaseQuery(sort="sla"))
    ]
    assert paged == whole
    assert sla_order(desk, "queue:billing") == ["c1", "c3", "c4"]
    assert sla_order(desk, "-status:solved,closed") == ["c1", "c2", "c6", "c3"]


@pytest.mark.parametrize(
    ("moment", "stored"),
    [
        (datetime(2026, 3, 29, 1, 30), "2026-03-29 01:30:00"),
        (datetime(2026, 3, 29, 1, 30, 59, 999), "2026-03-29 01:30:59"),
    ],
)
def test_times_are_stored_as_sortable_text(moment: datetime, stored: str) -> None:
    assert sla_index.stamp(moment) == stored
    assert sla_index.parse(stored) == moment.replace(microsecond=0)
    assert stored < sla_index.NO_BREACH
    assert sla_index.parse(sla_index.NO_BREACH) is sla_index.NEVER
    assert sla_index.parse(None) is None


def test_the_column_says_what_the_colour_says() -> None:
    from csm_tui.widgets.case_table import format_countdown, sla_cell

    due = datetime(2026, 11, 20, 12, 0)
    risk = due - timedelta(hours=1)
    assert sla_cell(due - timedelta(hours=3, minutes=10), due, risk) == ("● 3h10", "ok")
    assert sla_cell(due - timedelta(minutes=25), due, risk) == ("⚠ 25m", "at-risk")
    assert sla_cell(due - timedelta(minutes=4, seconds=12), due, risk) == ("⚠ 4m12s", "at-risk")
    assert sla_cell(due + timedelta(hours=1, minutes=5), due, risk) == ("✖ -1h05", "breached")
    assert sla_cell(due, sla_index.NEVER, None) == ("—", "none")
    assert sla_cell(due, None, None) == ("…", "none")  # not computed yet
    assert format_countdown(2 * 86400 + 4 * 3600) == "2d04h"
    assert format_countdown(500 * 86400) == "99d+"


def test_a_store_from_before_the_sla_index_is_brought_up_to_date(store: Path) -> None:
    # as an older desk left it: no SLA tables, no sla_config table, index version 2
    with sqlite3.connect(store) as conn:
        for name in ("case_sla", "case_sla_dirty", "sla_config"):
            conn.execute(f"DROP TABLE {name}")
        conn.execute("UPDATE sync_state SET value = '2' WHERE key = 'search_schema'")
    desk = Desk(store, clock=clock)
    try:
        assert sla_order(desk) == ["c1", "c2", "c6", "c3", "c4", "c5"]
    finally:
        desk.close()
