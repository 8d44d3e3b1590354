"""Cancelling an async call frees its worker thread and its connection at once.

Each client here has one worker and one connection (``max_connections=1``) and a long read
timeout: a cancelled call that kept either would make the next call wait for the timeout.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from langchain_bedrock_claude import AsyncAnthropicBedrock

from ._sockets import client_sockets, wait_until
from .conftest import CREDENTIALS, SONNET_45

READ_TIMEOUT = 60.0
"""Far longer than any wait below: nothing may wait for it."""


async def _cancelled_once_sent(emu: Any, call: Awaitable[Any]) -> None:
    """Start ``call``; once the (hanging) server has its request, give it 0.5 s, then cancel
    it with ``asyncio.wait_for``. (Waiting for the request first keeps a slow machine from
    cancelling the call before it was sent, which would leave the hang to the next call.)"""
    task = asyncio.ensure_future(call)
    deadline = time.monotonic() + 10
    while not emu.requests and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert emu.requests
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(task, 0.5)


async def _read(stream: Any) -> str:
    return "".join([str(piece) async for piece in stream])


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("bedrock-claude")]


@pytest.fixture
def client(emu: Any) -> AsyncIterator[AsyncAnthropicBedrock]:
    return AsyncAnthropicBedrock(
        region="us-east-1",
        endpoint_url=emu.endpoint_url,
        max_connections=1,
        timeout=(5.0, READ_TIMEOUT),
        **CREDENTIALS,
    )


CALLS: dict[str, Callable[[Any], Awaitable[str]]] = {
    "create": lambda client: _text(client.Completion.create(model=SONNET_45, prompt="hi")),
    "create(stream=True)": lambda client: _opened(client),
}


async def _text(completion: Awaitable[Any]) -> str:
    return str((await completion).completion)


async def _opened(client: AsyncAnthropicBedrock) -> str:
    return await _read(await client.Completion.create(model=SONNET_45, prompt="hi", stream=True))


@pytest.mark.parametrize("call", list(CALLS))
async def test_cancelling_a_call_before_its_response_frees_worker_and_connection(
    emu: Any, client: AsyncAnthropicBedrock, call: str
) -> None:
    sockets_before = client_sockets(emu.port)
    emu.hang(times=1)
    await _cancelled_once_sent(emu, CALLS[call](client))
    emu.reply("next")
    started = time.monotonic()
    assert await asyncio.wait_for(CALLS[call](client), 5) == "next"
    assert time.monotonic() - started < 2.0
    # The abandoned request's socket is closed: only the second call's connection is left.
    assert wait_until(lambda: client_sockets(emu.port) <= sockets_before + 1, 2.0)
    started = time.monotonic()
    await client.aclose()
    assert time.monotonic() - started < 2.0
    assert wait_until(lambda: not _workers(), 2.0)


async def test_cancelling_ainvoke_before_its_response_frees_worker_and_connection(
    emu: Any, llm_factory: Any
) -> None:
    llm = llm_factory(max_connections=1, timeout=READ_TIMEOUT)
    sockets_before = client_sockets(emu.port)
    emu.hang(times=1)
    await _cancelled_once_sent(emu, llm.ainvoke("hi"))
    emu.reply("next")
    started = time.monotonic()
    assert await asyncio.wait_for(llm.ainvoke("hi"), 5) == "next"
    assert time.monotonic() - started < 2.0
    assert wait_until(lambda: client_sockets(emu.port) <= sockets_before + 1, 2.0)


async def test_a_call_cancelled_while_queued_never_runs(emu: Any, client: Any) -> None:
    emu.hang(times=1)
    hung = asyncio.ensure_future(client.Completion.create(model=SONNET_45, prompt="first"))
    await asyncio.sleep(0.3)  # the only worker is busy with the hung call
    queued = asyncio.ensure_future(client.Completion.create(model=SONNET_45, prompt="queued"))
    await asyncio.sleep(0.1)
    queued.cancel()
    hung.cancel()
    await asyncio.gather(hung, queued, return_exceptions=True)
    emu.reply("next")
    assert (await client.Completion.create(model=SONNET_45, prompt="hi")).completion == "next"
    prompts = [request.json["messages"][0]["content"] for request in emu.requests]
    assert "queued" not in str(prompts)
    await client.aclose()
