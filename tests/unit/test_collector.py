"""csm_tui.collector: a hold is undone by its release only, and never re-enables a collector
that was off before it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from csm_tui import collector


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    collector.release()
    if was:
        gc.enable()
    else:
        gc.disable()


def test_hold_then_release() -> None:
    collector.hold()
    assert not gc.isenabled() and collector.held()
    collector.hold()  # twice: still one hold
    collector.release()
    assert gc.isenabled() and not collector.held()
    collector.release()  # nothing held: nothing happens
    assert gc.isenabled()


def test_a_collector_switched_off_elsewhere_stays_off() -> None:
    gc.disable()
    collector.hold()
    assert not collector.held()
    collector.release()
    assert not gc.isenabled()


def test_settle_freezes_once() -> None:
    collector.settle()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    collector.settle()
    assert gc.get_freeze_count() == frozen
