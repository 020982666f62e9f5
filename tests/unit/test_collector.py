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
    collector.stop()
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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_after_settling_it_collects_while_nobody_types() -> None:
    clock = Clock()
    idle = collector._Idle(clock)
    idle.start()
    try:
        assert not gc.isenabled()  # the automatic collector is off
        idle.touch()
        clock.now += 0.1
        assert idle.tick() is None  # typing: nothing
        clock.now += collector.IDLE_SECONDS
        assert idle.tick() == 1  # idle: the young generations, once
        assert idle.tick() is None
        clock.now += collector.FULL_IDLE_SECONDS
        assert idle.tick() == 2  # idle long enough: everything not frozen
    finally:
        idle.stop()
    assert gc.isenabled()  # given back at the end


def test_memory_stays_bounded_while_someone_types_without_pause() -> None:
    clock = Clock()
    idle = collector._Idle(clock)
    idle.start()
    try:
        for _ in range(int(collector.FULL_AT_LEAST_SECONDS / 0.25) + 1):
            clock.now += 0.25
            idle.touch()
            done = idle.tick()
            if done == 2:
                break
        assert done == 2  # a full pass within FULL_AT_LEAST_SECONDS, busy or not
    finally:
        idle.stop()


def test_a_desk_hands_the_collector_back_when_it_closes() -> None:
    collector.settle()
    assert not gc.isenabled()
    collector.stop()
    assert gc.isenabled()
