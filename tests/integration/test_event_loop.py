"""The async paths never block the event loop: a ticker beside each keeps ticking.

Each call below waits 1.5 s or more (for the server, or in a retry's backoff): a path that
blocked the loop while waiting (the sync client inside ``_agenerate``, ``time.sleep`` in the
async backoff) would show a gap that long between two ticks. Each client makes one call
first: building a boto3 client parses large JSON files in C, holding the GIL for a while.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from langchain_bedrock_claude import AsyncAnthropicBedrock, RetryPolicy

from .conftest import CREDENTIALS, SONNET_45

T = TypeVar("T")

TICK = 0.01
BLOCKED = 0.8
"""A gap this long means the loop was blocked: the waits are 1.5 s or more, and a busy shared
machine delays a tick by tens or a few hundred milliseconds."""


async def _largest_gap(work: Awaitable[T]) -> tuple[float, T]:
    """Await ``work`` beside a ticker; the longest time between two ticks, and the result."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(TICK * 3)
    try:
        result = await work
    finally:
        done.set()
        await ticker
    return max(gaps), result


async def test_ainvoke_keeps_the_loop_ticking(llm_factory: Any, emu: Any) -> None:
    llm = llm_factory()
    await llm.ainvoke("warm up")
    emu.reply("after a while", first_byte_latency=1.5)
    gap, text = await _largest_gap(llm.ainvoke("hi"))
    assert text == "after a while"
    assert gap < BLOCKED, gap


async def test_astream_keeps_the_loop_ticking(llm_factory: Any, emu: Any) -> None:
    llm = llm_factory()
    await llm.ainvoke("warm up")
    emu.reply([f" w{i}" for i in range(10)], token_latency=0.1, first_byte_latency=1.0)

    async def read() -> str:
        return "".join([piece async for piece in llm.astream("hi")])

    gap, text = await _largest_gap(read())
    assert text == "".join(f" w{i}" for i in range(10))
    assert gap < BLOCKED, gap


async def test_async_retries_wait_without_blocking_the_loop(emu: Any) -> None:
    client = AsyncAnthropicBedrock(
        region="us-east-1",
        endpoint_url=emu.endpoint_url,
        retry_policy=RetryPolicy(max_retries=1, initial_delay=3.0, max_delay=3.0),
        **CREDENTIALS,
    )
    await client.Completion.create(model=SONNET_45, prompt="warm up")
    emu.throttle(1)
    emu.reply("retried")
    started = time.monotonic()
    gap, completion = await _largest_gap(client.Completion.create(model=SONNET_45, prompt="hi"))
    assert time.monotonic() - started >= 1.5  # the backoff (1.5-3 s) was waited out
    assert completion.completion == "retried"
    assert gap < BLOCKED, gap
    await client.aclose()
