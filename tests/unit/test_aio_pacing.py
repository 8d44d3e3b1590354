"""The native transport's pacing: a burst of signings is spread over the loop's iterations."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable

import pytest

pytest.importorskip("aiohttp")

from langchain_bedrock_claude._aio_transport import _SIGNING_BUDGET, _Pacing
from tests.loop_iterations import LoopIterations

COST = 0.0005
"""Seconds one stand-in signing keeps the loop (botocore's, here, is 0.3-0.5 ms)."""


async def _burst(
    count: int, cancel: set[int] = frozenset(), cost: Callable[[int], float] = lambda _: COST
) -> tuple[list[int], dict[int, int], dict[int, float]]:
    """``count`` calls started at once, each taking its turn then "signing" for ``cost(index)``.

    Returns the order they signed in, and how many signed in each loop iteration, and how
    long they kept it.
    """
    pacing = _Pacing(asyncio.get_running_loop())
    iterations = LoopIterations()
    iterations.start()
    order: list[int] = []
    per_iteration: collections.Counter[int] = collections.Counter()
    work: collections.defaultdict[int, float] = collections.defaultdict(float)

    async def call(index: int) -> None:
        await pacing.turn()
        started = time.perf_counter()
        while time.perf_counter() - started < cost(index):
            pass
        took = time.perf_counter() - started
        pacing.spent(took)
        order.append(index)
        per_iteration[iterations.count] += 1
        work[iterations.count] += took

    tasks = [asyncio.create_task(call(index)) for index in range(count)]
    await asyncio.sleep(0)
    for index in cancel:
        tasks[index].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    iterations.stop()
    return order, dict(per_iteration), dict(work)


async def test_a_burst_signs_a_budget_per_loop_iteration_in_the_order_it_came() -> None:
    order, per_iteration, _ = await _burst(64)
    assert order == list(range(64))
    most = int(_SIGNING_BUDGET / COST) + 1
    assert max(per_iteration.values()) <= most, per_iteration
    assert len(per_iteration) >= 64 // most  # spread over many iterations, not one


async def test_a_call_cancelled_in_line_leaves_it_without_holding_up_the_rest() -> None:
    order, _, _ = await _burst(32, cancel={10, 11, 20})
    assert order == [index for index in range(32) if index not in {10, 11, 20}]


async def test_an_iteration_stays_near_the_budget_when_the_turns_cost_more_than_expected() -> None:
    # Cheap turns first (0.05 ms) teach the line a small cost, at which the next iteration
    # lets forty waiting turns in; these cost 1 ms each. Let in and not checked again, they
    # would keep that iteration 40 ms; each checks the budget when it runs, and waits on
    # for the next iteration once the turns before it have spent it.
    cheap, dear = 0.00005, 0.001
    order, _, work = await _burst(80, cost=lambda index: cheap if index < 40 else dear)
    assert order == list(range(80))
    assert max(work.values()) <= _SIGNING_BUDGET + 2 * dear, work


async def test_a_lone_call_never_waits() -> None:
    pacing = _Pacing(asyncio.get_running_loop())
    await asyncio.wait_for(pacing.turn(), 0.001)
    pacing.spent(COST)
    await asyncio.wait_for(pacing.turn(), 0.001)  # budget left in this iteration
