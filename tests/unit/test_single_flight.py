"""Blocking work done once for the coroutines that wait for it together (the boto3 client,
the TLS context)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from langchain_bedrock_claude._single_flight import SingleFlight


class _Maker:
    """Makes a value on a worker thread once released; fails the first ``failures`` times."""

    def __init__(self, failures: int = 0) -> None:
        self.calls = 0
        self.failures = failures
        self.release = threading.Event()

    def __call__(self) -> str:
        self.calls += 1
        assert self.release.wait(5), "never released"
        if self.calls <= self.failures:
            raise OSError(f"attempt {self.calls} failed")
        return f"made by attempt {self.calls}"


def test_calls_that_wait_together_share_one_making_and_nothing_outlives_it() -> None:
    flight: SingleFlight[str] = SingleFlight()
    maker = _Maker(failures=1)

    async def scenario() -> tuple[list[str | BaseException], list[str], str]:
        waiting = [asyncio.create_task(flight.run("key", maker)) for _ in range(8)]
        await asyncio.sleep(0.05)
        maker.release.set()
        failed = await asyncio.gather(*waiting, return_exceptions=True)
        together = [asyncio.create_task(flight.run("key", maker)) for _ in range(8)]
        made = await asyncio.gather(*together)  # after the failure: made anew, once
        later = await flight.run("key", maker)  # after the success: made again
        return failed, made, later

    failed, made, later = asyncio.run(scenario())
    assert [str(result) for result in failed] == ["attempt 1 failed"] * 8
    assert all(isinstance(result, OSError) for result in failed)
    assert made == ["made by attempt 2"] * 8
    assert later == "made by attempt 3"
    assert maker.calls == 3


def test_each_key_has_its_own_flight() -> None:
    flight: SingleFlight[str] = SingleFlight()
    makers = {key: _Maker() for key in ("a", "b")}

    async def scenario() -> list[str]:
        waiting = [
            asyncio.create_task(flight.run(key, makers[key])) for key in ("a", "b", "a", "b")
        ]
        await asyncio.sleep(0.05)
        for maker in makers.values():
            maker.release.set()
        return await asyncio.gather(*waiting)

    assert asyncio.run(scenario()) == ["made by attempt 1"] * 4
    assert [maker.calls for maker in makers.values()] == [1, 1]


def test_a_cancelled_waiter_leaves_the_others_their_value() -> None:
    flight: SingleFlight[str] = SingleFlight()
    maker = _Maker()

    async def scenario() -> tuple[bool, list[str]]:
        cancelled = asyncio.create_task(flight.run("key", maker))
        others = [asyncio.create_task(flight.run("key", maker)) for _ in range(3)]
        await asyncio.sleep(0.05)
        cancelled.cancel()
        await asyncio.sleep(0)
        maker.release.set()
        values = await asyncio.gather(*others)
        return cancelled.cancelled(), values

    was_cancelled, values = asyncio.run(scenario())
    assert was_cancelled
    assert values == ["made by attempt 1"] * 3
    assert maker.calls == 1


def test_an_executor_that_refuses_the_work_fails_that_call_and_not_the_next() -> None:
    flight: SingleFlight[str] = SingleFlight()
    maker = _Maker()
    maker.release.set()

    async def refused() -> str:
        executor = ThreadPoolExecutor(max_workers=1)
        executor.shutdown()
        asyncio.get_running_loop().set_default_executor(executor)
        return await flight.run("key", maker)

    with pytest.raises(RuntimeError, match="shutdown"):
        asyncio.run(refused())

    async def served() -> str:
        return await asyncio.wait_for(flight.run("key", maker), 5)

    assert asyncio.run(served()) == "made by attempt 1"


def test_callers_on_two_event_loops_share_one_flight() -> None:
    flight: SingleFlight[str] = SingleFlight()
    maker = _Maker()
    values: list[str] = []
    waiting = threading.Barrier(3)

    async def call() -> str:
        task = asyncio.create_task(flight.run("key", maker))
        await asyncio.sleep(0.05)  # the flight has started, or been joined
        waiting.wait(5)
        return await task

    threads = [
        threading.Thread(target=lambda: values.append(asyncio.run(call()))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    waiting.wait(5)
    maker.release.set()
    for thread in threads:
        thread.join(5)
    assert values == ["made by attempt 1"] * 2
    assert maker.calls == 1
