"""The native transport's one-time blocking work (the boto3 client, the TLS context)."""

from __future__ import annotations

import asyncio
import threading

import pytest

pytest.importorskip("aiohttp")

from langchain_bedrock_claude._aio_transport import _Once


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


def test_calls_that_wait_together_share_one_making_and_a_failure_is_tried_again() -> None:
    once: _Once[str] = _Once()
    maker = _Maker(failures=1)

    async def scenario() -> tuple[list[str | BaseException], str, str]:
        waiting = [asyncio.create_task(once.get(maker)) for _ in range(8)]
        await asyncio.sleep(0.05)
        maker.release.set()
        first = await asyncio.gather(*waiting, return_exceptions=True)
        again = await once.get(maker)  # after the failure: made anew
        kept = await once.get(maker)  # after the success: kept
        return first, again, kept

    first, again, kept = asyncio.run(scenario())
    assert [str(result) for result in first] == ["attempt 1 failed"] * 8
    assert all(isinstance(result, OSError) for result in first)
    assert (again, kept) == ("made by attempt 2", "made by attempt 2")
    assert maker.calls == 2


def test_a_cancelled_waiter_leaves_the_others_their_value() -> None:
    once: _Once[str] = _Once()
    maker = _Maker()

    async def scenario() -> tuple[bool, list[str]]:
        cancelled = asyncio.create_task(once.get(maker))
        others = [asyncio.create_task(once.get(maker)) for _ in range(3)]
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
