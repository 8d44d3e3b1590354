"""The native transport's pacing: a burst of signings is spread over the loop's iterations."""

from __future__ import annotations

import asyncio
import collections
import time

import pytest

pytest.importorskip("aiohttp")

from langchain_bedrock_claude._aio_transport import _SIGNING_BUDGET, _Pacing
from tests.loop_iterations import LoopIterations

COST = 0.0005
"""Seconds one stand-in signing keeps the loop (botocore's, here, is 0.3-0.5 ms)."""


async def _burst(count: int, cancel: set[int] = frozenset()) -> tuple[list[int], dict[int, int]]:
    """``count`` calls started at once, each taking its turn then "signing" for COST.

    Returns the order they signed in, and how many signed in each loop iteration.
    """
    pacing = _Pacing(asyncio.get_running_loop())
    iterations = LoopIterations()
    iterations.start()
    order: list[int] = []
    per_iteration: collections.Counter[int] = collections.Counter()

    async def call(index: int) -> None:
        await pacing.turn()
        started = time.perf_counter()
        while time.perf_counter() - started < COST:
            pass
        pacing.spent(time.perf_counter() - started)
        order.append(index)
        per_iteration[iterations.count] += 1

    tasks = [asyncio.create_task(call(index)) for index in range(count)]
    await asyncio.sleep(0)
    for index in cancel:
        tasks[index].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    iterations.stop()
    return order, dict(per_iteration)


async def test_a_burst_signs_a_budget_per_loop_iteration_in_the_order_it_came() -> None:
    order, per_iteration = await _burst(64)
    assert order == list(range(64))
    most = int(_SIGNING_BUDGET / COST) + 1
    assert max(per_iteration.values()) <= most, per_iteration
    assert len(per_iteration) >= 64 // most  # spread over many iterations, not one


async def test_a_call_cancelled_in_line_leaves_it_without_holding_up_the_rest() -> None:
    order, _ = await _burst(32, cancel={10, 11, 20})
    assert order == [index for index in range(32) if index not in {10, 11, 20}]


async def test_a_lone_call_never_waits() -> None:
    pacing = _Pacing(asyncio.get_running_loop())
    await asyncio.wait_for(pacing.turn(), 0.001)
    pacing.spent(COST)
    await asyncio.wait_for(pacing.turn(), 0.001)  # budget left in this iteration
