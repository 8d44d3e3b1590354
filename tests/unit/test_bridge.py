"""The bridge: worker threads that follow demand, and channels from them to the event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import random
import threading
import time
import weakref
from typing import Any

import pytest

from langchain_bedrock_claude._bridge import _READ_AHEAD, Channel, Workers, run_blocking


def test_one_wake_up_serves_every_stream_with_new_pieces() -> None:
    # 50 streams each get a piece while the loop is busy: the loop is woken once, not 50
    # times, and every stream's consumer gets its piece.
    loop = asyncio.new_event_loop()
    wake_ups = 0
    call_soon_threadsafe = loop.call_soon_threadsafe

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal wake_ups
        wake_ups += 1
        return call_soon_threadsafe(*args, **kwargs)

    loop.call_soon_threadsafe = counted  # type: ignore[method-assign,assignment]

    async def scenario() -> list[list[object]]:
        channels = [Channel(asyncio.get_running_loop()) for _ in range(50)]
        consumers = [asyncio.ensure_future(channel.get_batch()) for channel in channels]
        await asyncio.sleep(0)  # every consumer is now waiting

        def pumps() -> None:
            for index, channel in enumerate(channels):
                channel.put(index)

        producer = threading.Thread(target=pumps)
        producer.start()
        producer.join()  # the loop is busy (blocked here) while every piece arrives
        return await asyncio.gather(*consumers)

    try:
        assert loop.run_until_complete(scenario()) == [[index] for index in range(50)]
    finally:
        loop.close()
    assert wake_ups == 1


def test_pieces_arriving_while_the_loop_serves_are_not_lost() -> None:
    # Pumps keep putting while the loop takes batches: every piece arrives once, in order.
    async def scenario() -> list[list[object]]:
        loop = asyncio.get_running_loop()
        channels = [Channel(loop) for _ in range(8)]

        def pump(channel: Channel, base: int) -> None:
            for index in range(500):
                channel.put(base + index)
            channel.put(None, last=True)

        async def consume(channel: Channel) -> list[object]:
            got: list[object] = []
            while not got or got[-1] is not None:
                got.extend(await channel.get_batch())
            return got[:-1]

        threads = [
            threading.Thread(target=pump, args=(channel, 1000 * number))
            for number, channel in enumerate(channels)
        ]
        consumers = [asyncio.ensure_future(consume(channel)) for channel in channels]
        for thread in threads:
            thread.start()
        # A lost wake-up would leave a consumer waiting for ever.
        results = await asyncio.wait_for(asyncio.gather(*consumers), timeout=10)
        for thread in threads:
            thread.join()
        return results

    results = asyncio.run(scenario())
    assert results == [list(range(1000 * n, 1000 * n + 500)) for n in range(8)]


def test_a_finished_event_loop_is_not_kept_alive() -> None:
    async def use_a_channel() -> None:
        channel = Channel(asyncio.get_running_loop())
        channel.put("piece")
        assert await channel.get_batch() == ["piece"]

    loop = asyncio.new_event_loop()
    loop.run_until_complete(use_a_channel())
    loop.close()
    gone = weakref.ref(loop)
    del loop
    gc.collect()
    assert gone() is None


def test_a_loop_without_weak_references_still_gets_its_pieces() -> None:
    class SlottedLoop:
        __slots__ = ("calls",)

        def __init__(self) -> None:
            self.calls: list[Any] = []

        def call_soon_threadsafe(self, callback: Any, *args: Any) -> None:
            self.calls.append(callback)

        def create_future(self) -> Any:
            return asyncio.get_running_loop().create_future()

    async def scenario() -> list[object]:
        loop = SlottedLoop()
        channel = Channel(loop)  # type: ignore[arg-type]
        waiting = asyncio.ensure_future(channel.get_batch())
        await asyncio.sleep(0)
        channel.put("piece")
        (serve,) = loop.calls
        serve()
        return await waiting

    assert asyncio.run(scenario()) == ["piece"]


def _alive(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def _eventually(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_workers_grow_with_demand_up_to_their_ceiling_and_end_when_idle() -> None:
    workers = Workers(8, idle_seconds=0.2, name="grow-test")
    release = threading.Event()
    running = threading.Semaphore(0)

    def blocked() -> int:
        running.release()
        release.wait()
        return 1

    futures = [workers.submit(blocked) for _ in range(5)]
    for _ in range(5):  # five calls at once: five threads, none waits for another
        assert running.acquire(timeout=5)
    # Thread dumps and ``%(threadName)s`` in logs show one number per thread, in start order;
    # daemons, so a script that ends while a worker idles exits at once.
    assert sorted(thread.name for thread in _alive("grow-test")) == [
        f"grow-test-{n}" for n in range(1, 6)
    ]
    assert all(thread.daemon for thread in _alive("grow-test"))
    assert workers.threads == 5
    more = [workers.submit(blocked) for _ in range(10)]
    assert _eventually(lambda: workers.threads == 8)  # the ceiling: the rest wait their turn
    time.sleep(0.1)
    assert workers.threads == 8
    release.set()
    assert [future.result(timeout=5) for future in futures + more] == [1] * 15
    assert _eventually(lambda: not _alive("grow-test"))  # idle for 0.2 s: all ended
    assert workers.submit(lambda: 2).result(timeout=5) == 2  # and started again on demand
    workers.shutdown()
    assert not _alive("grow-test")


def test_an_idle_worker_is_reused_rather_than_a_new_one_started() -> None:
    workers = Workers(8, name="reuse-test")
    for _ in range(20):  # one call at a time: the thread that served the last one is idle
        assert workers.submit(lambda: 1).result(timeout=5) == 1
        time.sleep(0.005)
    assert workers.threads == 1
    workers.shutdown()
    assert not _alive("reuse-test")


def test_a_call_submitted_as_an_idle_worker_times_out_is_still_run() -> None:
    # The race the idle check guards: a worker's wait times out while a call arrives, and the
    # call counted it as idle (so started no thread). The worker must take the call, not end
    # and leave it waiting. Four callers, each with one worker, send calls at about the idle
    # timeout for 1 s, so the race happens many times over (a worker that ends loses a call
    # within about 0.1 s, seen after the 5 s wait).
    lost: list[int] = []

    def caller(lane: int) -> None:
        workers = Workers(1, idle_seconds=0.001, name=f"timeout-race-test-{lane}")
        jitter = random.Random(lane)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and not lost:
            try:
                workers.submit(int).result(timeout=5)  # generous: the machine may be busy
            except concurrent.futures.TimeoutError:  # not the builtin before Python 3.11
                lost.append(lane)
            time.sleep(jitter.uniform(0.0005, 0.0015))
        workers.shutdown(wait=False)

    callers = [threading.Thread(target=caller, args=(lane,)) for lane in range(4)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join()
    assert lost == []


def test_dropping_the_workers_ends_their_threads() -> None:
    workers = Workers(4, name="dropped-test")
    assert workers.submit(lambda: 1).result(timeout=5) == 1
    assert _alive("dropped-test")
    del workers
    gc.collect()
    assert _eventually(lambda: not _alive("dropped-test"))


def test_shutdown_cancels_queued_calls_on_request_and_refuses_new_ones() -> None:
    workers = Workers(1, name="shutdown-test")
    release = threading.Event()
    running = threading.Event()

    def blocked() -> bool:
        running.set()
        return release.wait()

    first = workers.submit(blocked)
    assert running.wait(timeout=5)  # running, so not among the queued calls shutdown cancels
    queued = workers.submit(lambda: "ran")
    workers.shutdown(wait=False, cancel_futures=True)
    release.set()
    assert first.result(timeout=5) is True
    assert queued.cancelled()
    with pytest.raises(RuntimeError):
        workers.submit(lambda: None)
    assert _eventually(lambda: not _alive("shutdown-test"))


async def test_a_cancelled_caller_stops_waiting_at_once_and_may_abort_the_call() -> None:
    workers = Workers(2, name="cancel-test")
    release = threading.Event()
    task = asyncio.ensure_future(run_blocking(workers, release.wait, on_cancel=release.set))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert release.is_set()  # on_cancel ran: the blocking call could return
    workers.shutdown()
    assert not _alive("cancel-test")


def test_a_worker_holds_at_most_the_read_ahead_for_a_consumer_that_keeps_taking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The patience is raised so a slow machine's loop never outwaits it: every wait of the
    # producer then ends because the consumer took, and no batch exceeds the read-ahead.
    from langchain_bedrock_claude import _bridge

    monkeypatch.setattr(_bridge, "_READ_AHEAD_PATIENCE", 30.0)
    total = 5 * _bridge._READ_AHEAD

    async def scenario() -> list[list[object]]:
        channel = Channel(asyncio.get_running_loop())

        def pump() -> None:
            for index in range(total):
                channel.put(index)
            channel.put(None, last=True)

        async def consume() -> list[list[object]]:
            batches: list[list[object]] = []
            while not batches or batches[-1][-1] is not None:
                batches.append(await channel.get_batch())
            return batches

        producer = threading.Thread(target=pump)
        producer.start()
        try:
            return await asyncio.wait_for(consume(), timeout=10)
        finally:
            channel.close()
            producer.join(timeout=5)

    batches = asyncio.run(scenario())
    assert [item for batch in batches for item in batch] == [*range(total), None]
    # The end (``last``) never waits, so it may ride on a full batch.
    assert max(len([item for item in batch if item is not None]) for batch in batches) == (
        _bridge._READ_AHEAD
    )


def test_a_cancelled_consumer_does_not_stop_the_wake_up_of_other_streams() -> None:
    # A consumer cancelled while it waited leaves its (cancelled) waiter behind; the next
    # piece for it must not disturb the wake-up that serves the other streams of the loop.
    errors: list[dict[str, Any]] = []

    async def scenario() -> list[object]:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: errors.append(context))
        gone, alive = Channel(loop), Channel(loop)
        cancelled = asyncio.ensure_future(gone.get_batch())
        waiting = asyncio.ensure_future(alive.get_batch())
        await asyncio.sleep(0)  # both consumers wait
        cancelled.cancel()
        await asyncio.sleep(0)

        def pumps() -> None:  # one wake-up serves both channels, the cancelled one first
            gone.put("dropped")
            alive.put("piece")

        producer = threading.Thread(target=pumps)
        producer.start()
        producer.join()
        return await asyncio.wait_for(waiting, timeout=5)

    assert asyncio.run(scenario()) == ["piece"]
    assert errors == []


def test_workers_need_a_ceiling_of_at_least_one_thread() -> None:
    for ceiling in (0, -1):
        with pytest.raises(ValueError, match=f"max_workers must be at least 1 \\(got {ceiling}\\)"):
            Workers(ceiling)


def test_workers_pass_the_arguments_of_a_call() -> None:
    workers = Workers(2, name="arguments-test")
    assert workers.submit(pow, 2, 5).result(timeout=5) == 32
    assert workers.submit(int, "ff", base=16).result(timeout=5) == 255
    assert workers.submit(dict, one=1).result(timeout=5) == {"one": 1}
    workers.shutdown()


def test_a_consumer_that_takes_again_after_a_pause_gets_the_read_ahead_bound_back() -> None:
    channel = Channel(None)  # a thread's channel, driven step by step from here
    for n in range(_READ_AHEAD):
        channel.put(n)
    channel.put("past the bound")  # nobody takes: waits out its patience, then goes on
    channel.put("impatient")  # no wait now: the consumer is taken to be away
    assert len(channel.take_batch()) == _READ_AHEAD + 2
    for n in range(_READ_AHEAD):  # it took again: the bound holds again
        channel.put(n)
    waited: list[float] = []

    def one_more() -> None:
        started = time.monotonic()
        channel.put("waits for a take")
        waited.append(time.monotonic() - started)

    worker = threading.Thread(target=one_more)
    worker.start()
    time.sleep(0.03)
    assert len(channel.take_batch()) >= _READ_AHEAD
    worker.join(timeout=5)
    assert waited and waited[0] >= 0.02  # it waited (for the take or its patience), not at once
