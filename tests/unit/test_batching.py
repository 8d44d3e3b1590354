"""The bounded concurrent map behind every batch path (``_batching``), sync and async."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import pytest

from langchain_bedrock_claude._batching import (
    aiter_concurrently,
    amap_concurrently,
    iter_concurrently,
    map_concurrently,
)

T = TypeVar("T")

CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("CURRENT", default="unset")


class Gauge:
    """Counts the calls running at once (entered, not yet left)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.started: list[int] = []

    def enter(self, item: int) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
            self.started.append(item)

    def leave(self) -> None:
        with self._lock:
            self.now -= 1


class Abort:
    """An ``Abortable`` for blocking work that waits on an event: ``abort`` sets it."""

    made: ClassVar[list[Abort]] = []

    def __init__(self) -> None:
        self.event = threading.Event()
        self.aborted = False
        Abort.made.append(self)

    def run(self, function: Callable[[], T], *, finish: bool) -> T:
        _aborter.value = self
        try:
            return function()
        finally:
            _aborter.value = None

    def abort(self) -> None:
        self.aborted = True
        self.event.set()


_aborter = threading.local()


def _wait_until_aborted(seconds: float) -> None:
    abort: Abort = _aborter.value
    if abort.event.wait(seconds):
        raise ConnectionAbortedError("aborted")


def _batch_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("batch-")]


# --- sync ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_results_come_in_item_order_and_at_most_limit_run_at_once(limit: int) -> None:
    gauge = Gauge()

    def square(item: int) -> int:
        gauge.enter(item)
        time.sleep(0.002 * (10 - item))  # later items finish first
        gauge.leave()
        return item * item

    assert map_concurrently(square, list(range(10)), limit=limit) == [i * i for i in range(10)]
    assert gauge.peak <= limit
    assert not _batch_threads()


def test_return_exceptions_puts_each_error_in_its_place() -> None:
    errors = {2: KeyError("two"), 5: ValueError("five")}

    def check(item: int) -> int:
        if item in errors:
            raise errors[item]
        return item

    results = map_concurrently(check, list(range(7)), limit=3, return_exceptions=True)
    assert results == [0, 1, errors[2], 3, 4, errors[5], 6]
    assert results[2] is errors[2] and results[5] is errors[5]


def test_the_first_error_is_raised_and_aborts_the_calls_in_flight() -> None:
    Abort.made.clear()
    gauge = Gauge()
    lock = threading.Lock()
    in_flight: list[int] = []
    both = threading.Event()

    def work(item: int) -> int:
        gauge.enter(item)
        if item == 0:
            both.wait(5)  # the other two are in flight
            raise LookupError("the first failure")
        with lock:
            in_flight.append(item)
            if len(in_flight) == 2:
                both.set()
        _wait_until_aborted(30.0)
        return item

    started = time.monotonic()
    with pytest.raises(LookupError, match="the first failure"):
        map_concurrently(work, list(range(10)), limit=3, abortable=Abort)
    assert time.monotonic() - started < 10  # not the 30 s the others would wait
    # The two in flight were aborted; the seven waiting never started.
    assert sorted(gauge.started) == [0, 1, 2]
    assert sum(abort.aborted for abort in Abort.made) == 2
    assert not _batch_threads()


def test_without_an_abortable_the_calls_in_flight_are_waited_for() -> None:
    finished: list[int] = []
    second = threading.Event()

    def work(item: int) -> int:
        if item == 0:
            second.wait(5)
            raise LookupError("boom")
        second.set()
        time.sleep(0.1)
        finished.append(item)
        return item

    with pytest.raises(LookupError):
        map_concurrently(work, list(range(10)), limit=2)
    assert finished == [1]
    assert not _batch_threads()


def test_each_item_runs_in_its_own_copy_of_the_callers_context() -> None:
    CURRENT.set("caller")
    seen: list[str] = []

    def work(item: int) -> int:
        seen.append(CURRENT.get())
        CURRENT.set(f"item {item}")  # must not reach another item, nor the caller
        time.sleep(0.01)
        return item

    map_concurrently(work, list(range(6)), limit=2)
    assert seen == ["caller"] * 6
    assert CURRENT.get() == "caller"


def test_an_interrupt_is_raised_even_with_return_exceptions() -> None:
    def work(item: int) -> int:
        if item == 1:
            raise KeyboardInterrupt
        return item

    with pytest.raises(KeyboardInterrupt):
        map_concurrently(work, list(range(4)), limit=2, return_exceptions=True)
    assert not _batch_threads()


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, None])
def test_a_limit_must_be_a_positive_integer(limit: Any) -> None:
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        map_concurrently(str, [1, 2], limit=limit)
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        asyncio.run(amap_concurrently(_echo, [1, 2], limit=limit))


def test_one_item_runs_in_the_callers_thread() -> None:
    caller = threading.current_thread()
    assert map_concurrently(lambda _: threading.current_thread(), [0], limit=8) == [caller]
    assert map_concurrently(str, [], limit=8) == []


def test_iter_yields_each_result_as_it_finishes() -> None:
    def later_first(item: int) -> int:
        time.sleep(0.1 * (4 - item))
        return item * 10

    pairs = list(iter_concurrently(later_first, list(range(5)), limit=5))
    assert pairs == [(4, 40), (3, 30), (2, 20), (1, 10), (0, 0)]
    assert not _batch_threads()


def test_closing_the_iterator_early_aborts_the_calls_in_flight() -> None:
    Abort.made.clear()
    gauge = Gauge()

    def work(item: int) -> int:
        gauge.enter(item)
        if item == 0:
            return 0
        _wait_until_aborted(30.0)
        return item

    started = time.monotonic()
    pairs = iter_concurrently(work, list(range(10)), limit=3, abortable=Abort)
    assert next(pairs) == (0, 0)
    pairs.close()  # type: ignore[attr-defined]
    assert time.monotonic() - started < 10  # not the 30 s the others would wait
    # The ones in flight were aborted; no other starts once it is closed.
    in_flight = sum(abort.aborted for abort in Abort.made)
    assert in_flight >= 2 and len(gauge.started) == 1 + in_flight
    assert not _batch_threads()


# --- async -----------------------------------------------------------------------------


async def _echo(item: int) -> int:
    await asyncio.sleep(0)
    return item


@pytest.mark.parametrize("limit", [1, 3, 10])
async def test_async_results_come_in_item_order_and_at_most_limit_run_at_once(
    limit: int,
) -> None:
    gauge = Gauge()

    async def square(item: int) -> int:
        gauge.enter(item)
        await asyncio.sleep(0.002 * (10 - item))
        gauge.leave()
        return item * item

    results = await amap_concurrently(square, list(range(10)), limit=limit)
    assert results == [i * i for i in range(10)]
    assert gauge.peak == limit


async def test_async_return_exceptions_puts_each_error_in_its_place() -> None:
    errors = {1: KeyError("one"), 4: ValueError("four")}

    async def check(item: int) -> int:
        await asyncio.sleep(0.001 * item)
        if item in errors:
            raise errors[item]
        return item

    results = await amap_concurrently(check, list(range(6)), limit=4, return_exceptions=True)
    assert results == [0, errors[1], 2, 3, errors[4], 5]


async def test_async_first_error_cancels_the_running_tasks_before_it_is_raised() -> None:
    gauge = Gauge()
    cancelled: list[int] = []

    async def work(item: int) -> int:
        gauge.enter(item)
        if item == 0:
            await asyncio.sleep(0.02)
            raise LookupError("the first failure")
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(item)
            raise
        return item

    tasks_before = len(asyncio.all_tasks())
    with pytest.raises(LookupError, match="the first failure"):
        await amap_concurrently(work, list(range(10)), limit=3)
    assert sorted(gauge.started) == [0, 1, 2]
    assert sorted(cancelled) == [1, 2]  # cancelled, and done, by the time it was raised
    assert len(asyncio.all_tasks()) == tasks_before


async def test_cancelling_the_caller_cancels_every_running_task() -> None:
    cancelled: list[int] = []
    running = asyncio.Event()

    async def work(item: int) -> int:
        running.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(item)
            raise
        return item

    tasks_before = len(asyncio.all_tasks())
    batch = asyncio.ensure_future(amap_concurrently(work, list(range(8)), limit=4))
    await running.wait()
    batch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await batch
    assert sorted(cancelled) == [0, 1, 2, 3]
    assert len(asyncio.all_tasks()) == tasks_before


async def test_async_each_item_runs_in_its_own_copy_of_the_callers_context() -> None:
    CURRENT.set("caller")
    seen: list[str] = []

    async def work(item: int) -> int:
        seen.append(CURRENT.get())
        CURRENT.set(f"item {item}")
        await asyncio.sleep(0.001)
        return item

    await amap_concurrently(work, list(range(6)), limit=2)
    assert seen == ["caller"] * 6
    assert CURRENT.get() == "caller"


async def test_aiter_yields_each_result_as_it_finishes_and_aclose_cancels_the_rest() -> None:
    cancelled: list[int] = []
    entered: list[int] = []

    async def work(item: int) -> int:
        entered.append(item)
        if item == 2:
            return 2
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(item)
            raise
        return item

    tasks_before = len(asyncio.all_tasks())
    pairs = aiter_concurrently(work, list(range(6)), limit=4)
    assert await pairs.__anext__() == (2, 2)
    await pairs.aclose()  # type: ignore[attr-defined]
    # The three running were cancelled and are done; 4 (its task made as 2 came back) and 5
    # never ran.
    assert sorted(cancelled) == [0, 1, 3]
    assert sorted(entered) == [0, 1, 2, 3]
    assert len(asyncio.all_tasks()) == tasks_before
