"""The local store: applying snapshot and delta pages, tombstones, atomicity, damaged files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from csm_tui.domain.models import Case, to_wire
from csm_tui.errors import CsmError
from csm_tui.store.apply import CURSOR_KEY, apply_page, get_state
from csm_tui.store.engine import make_store_engine
from csm_tui.store.queries import StoreReader
from csm_tui.sync.wire import ChangeRow, ChangesPage

NOW = datetime(2026, 11, 20, 9, 0)


def _case(i: int, **kw) -> Case:  # type: ignore[no-untyped-def]
    return Case(
        id=f"c{i}",
        number=f"CS-{10000 + i}",
        subject=f"Subject {i}",
        created_at=NOW,
        updated_at=NOW.replace(minute=i % 60),
        **kw,
    )


def _snapshot(cases: list[Case], cursor: str = "d.10") -> ChangesPage:
    rows = [ChangeRow(seq=0, entity="case", id=c.id, fields=to_wire(c)) for c in cases]
    return ChangesPage(rows=rows, cursor=cursor, more=False, snapshot=True)


def test_snapshot_then_delta_then_tombstone(tmp_path: Path) -> None:
    engine = make_store_engine(tmp_path / "s.sqlite3")
    queries = StoreReader(tmp_path / "s.sqlite3")
    apply_page(engine, _snapshot([_case(i) for i in range(5)]), synced_at=NOW)
    assert queries.count_cases() == 5
    assert get_state(engine, CURSOR_KEY) == "d.10"

    delta = ChangesPage(
        rows=[
            ChangeRow(seq=11, entity="case", id="c1", fields={"status": "solved", "version": 2}),
            ChangeRow(seq=12, entity="case", id="c2", op="delete"),
            ChangeRow(seq=13, entity="case", id="c9", fields=to_wire(_case(9, tags=["vip"]))),
        ],
        cursor="d.13",
        more=False,
    )
    applied = apply_page(engine, delta, synced_at=NOW)
    assert applied.case_ids == {"c1", "c2", "c9"}
    detail = queries.case_detail("c1")
    assert detail is not None and detail.case.status == "solved" and detail.case.version == 2
    assert detail.case.subject == "Subject 1"  # untouched fields stay
    assert queries.case_detail("c2") is None
    assert queries.case_detail("c9").case.tags == ("vip",)  # type: ignore[union-attr]
    assert get_state(engine, CURSOR_KEY) == "d.13"


def test_a_failing_page_moves_neither_rows_nor_cursor(tmp_path: Path) -> None:
    engine = make_store_engine(tmp_path / "s.sqlite3")
    queries = StoreReader(tmp_path / "s.sqlite3")
    apply_page(engine, _snapshot([_case(1)], cursor="d.1"), synced_at=NOW)
    bad = ChangesPage(
        rows=[
            ChangeRow(seq=2, entity="case", id="c1", fields={"subject": "changed"}),
            ChangeRow(seq=3, entity="case", id="c1", fields={"created_at": "not a time"}),
        ],
        cursor="d.3",
        more=False,
    )
    with pytest.raises(ValueError):
        apply_page(engine, bad, synced_at=NOW)
    assert queries.case_detail("c1").case.subject == "Subject 1"  # type: ignore[union-attr]
    assert get_state(engine, CURSOR_KEY) == "d.1"


def test_window_reads_only_what_is_asked(tmp_path: Path) -> None:
    engine = make_store_engine(tmp_path / "s.sqlite3")
    queries = StoreReader(tmp_path / "s.sqlite3")
    apply_page(engine, _snapshot([_case(i) for i in range(50)]), synced_at=NOW)
    window = queries.case_window(10, 5)
    assert len(window) == 5
    everything = queries.case_window(0, 100)
    assert [r.id for r in everything[10:15]] == [r.id for r in window]
    assert everything == sorted(everything, key=lambda r: (r.updated_at, r.id), reverse=True)


def test_a_damaged_store_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(CsmError, match="damaged; move it aside"):
        make_store_engine(path)


def test_a_store_that_does_not_exist_yet_reads_as_empty(tmp_path: Path) -> None:
    reader = StoreReader(tmp_path / "absent.sqlite3")
    assert reader.count_cases() == 0 and reader.case_window(0, 10) == []
    assert not (tmp_path / "absent.sqlite3").exists()
    (tmp_path / "absent.sqlite3").touch()  # a file with no tables yet
    assert reader.count_cases() == 0 and reader.case_detail("x") is None
